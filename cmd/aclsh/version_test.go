package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/daemon"
	"github.com/aclsh/aclsh/internal/needs"
)

// After an upgrade the daemon that answers may be the one that ran before it,
// of another protocol version: aclsh says its refusal and how to restart it,
// and fails. The daemon here is a stand-in that answers as a protocol-1
// daemon does.
func TestOlderDaemonRefuses(t *testing.T) {
	needs.Root(t)
	ns := benchNS(t)
	state := t.TempDir()
	var ln net.Listener
	var err error
	inThreadNS(t, ns, func() { ln, err = net.Listen("unix", daemon.Name) })
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				line, _ := bufio.NewReader(c).ReadString('\n')
				if strings.Contains(line, `"op":"status"`) {
					fmt.Fprintf(c, `{"op":"status","v":1,"pid":%d,"state_dir":%q}`+"\n", os.Getpid(), state)
					return
				}
				io.WriteString(c, `{"op":"refused","v":1,"msg":"this aclsh speaks protocol version 2 and the daemon 1: use the aclsh of the daemon's installation"}`+"\n")
			}()
		}
	}()
	var out []byte
	inThreadNS(t, ns, func() {
		out, err = exec.Command(binary, "--mgmt-if", "mgmt0", "--state-dir", state, "-c", "show clock").CombinedOutput()
	})
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "%s", out)
	require.Equal(t, 1, exit.ExitCode(), "%s", out)
	require.Contains(t, string(out), "aclsh: this aclsh speaks protocol version 2 and the daemon 1")
	require.Contains(t, string(out), fmt.Sprintf("aclsh: after an upgrade, restart the daemon (systemctl restart aclsh-follow; where no unit runs it, kill %d and run aclsh again)\n", os.Getpid()))
}
