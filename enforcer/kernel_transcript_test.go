package enforcer_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	statedir "github.com/aclsh/aclsh/config"
	"github.com/aclsh/aclsh/internal/golden"
	"github.com/aclsh/aclsh/shell"
)

// TestKernelTranscripts plays each testdata/kernel-transcripts/*.in as an
// operator types it at a terminal, with the kernel of a lab, and compares the
// screen (prompt and line, then what it printed, errors as the shell prints
// them) with NAME.out. A line `!udp PORT N` is not typed: the client sends N
// datagrams from 10.24.12.107 to the device's PORT, where a socket reads them
// (the screen shows the line).
func TestKernelTranscripts(t *testing.T) {
	files, err := filepath.Glob("../testdata/kernel-transcripts/*.in")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".in")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			l := newLab(t)
			l.serveUDP(":7")
			// the device's address resolved before anything is bound: packets
			// queued for ARP can be lost
			c, err := l.udpExchange(l.cli, "10.24.12.107", "10.24.12.129:7")
			require.NoError(t, err)
			c.Close()
			var out strings.Builder
			sh, err := shell.New(shell.Options{Host: "device", Store: &statedir.Store{Dir: t.TempDir()}, Out: &out, Err: &out,
				Enforcer: l.e, IfName: "mgmt0", Interactive: true})
			require.NoError(t, err)
			listening := map[int]bool{}
			for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
				if act, ok := strings.CutPrefix(line, "!udp "); ok {
					out.WriteString(line + "\n")
					var port, n int
					_, err := fmt.Sscan(act, &port, &n)
					require.NoError(t, err, line)
					if !listening[port] {
						// a socket, so that a permitted datagram gets no port unreachable
						l.countUDP(":" + strconv.Itoa(port))
						listening[port] = true
					}
					l.flood("10.24.12.129:"+strconv.Itoa(port), n, 0)
					continue
				}
				prompt := sh.Prompt()
				out.WriteString(prompt + line + "\n")
				if err := sh.Run(line); err != nil {
					shell.PrintError(&out, len(prompt), err)
				}
			}
			golden.Check(t, strings.TrimSuffix(f, ".in")+".out", out.String())
		})
	}
}
