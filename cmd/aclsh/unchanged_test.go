package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/internal/needs"
)

// Issue 10 follow-up, with the kernel: a line the running-config already holds,
// typed on a terminal or sent in a script, rewrites neither the running-config
// nor running-config.last-good (same inode and times) and leaves the kernel's
// rules as they were (same handles). The kernel is still made to match: after
// the table was flushed by hand, the same identical line puts it back, and the
// files stay untouched.
func TestIdenticalLineKernel(t *testing.T) {
	needs.Root(t)
	needs.Program(t, "nft", "nftables")
	ns, state := freshNS(t), t.TempDir()
	handles := func() string {
		t.Helper()
		out, err := exec.Command("ip", "netns", "exec", ns, "nft", "-a", "-s", "list", "table", "inet", "aclsh").CombinedOutput()
		require.NoError(t, err, "%s", out)
		return string(out)
	}
	type id struct{ ino, mtime, ctime int64 }
	ids := func() [2]id {
		t.Helper()
		var r [2]id
		for i, n := range []string{"running-config", "running-config.last-good"} {
			fi, err := os.Stat(filepath.Join(state, n))
			require.NoError(t, err)
			st := fi.Sys().(*syscall.Stat_t)
			r[i] = id{int64(st.Ino), st.Mtim.Nano(), st.Ctim.Nano()}
		}
		return r
	}
	const push = `conf t
ip access-list extended mgmt
 permit tcp 10.0.0.0/8 any eq ssh connlimit 3
 permit udp any any eq ntp
interface management 0
 ip access-group mgmt in
end
`
	cmd := exec.Command("ip", "netns", "exec", ns, binary, "--mgmt-if", "mgmt0", "--state-dir", state)
	cmd.Stdin = strings.NewReader(push)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	files, table := ids(), handles()
	require.Contains(t, table, "dport 22")

	// By script.
	cmd = exec.Command("ip", "netns", "exec", ns, binary, "--mgmt-if", "mgmt0", "--state-dir", state)
	cmd.Stdin = strings.NewReader("conf t\nip access-list extended mgmt\npermit tcp 10.0.0.0/8 any eq 22 connlimit 3\n")
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Equal(t, files, ids(), "script: the files are not rewritten")
	require.Equal(t, table, handles(), "script")

	// On a terminal.
	tm := startPTY(t, exec.Command("ip", "netns", "exec", ns, binary, "--mgmt-if", "mgmt0", "--state-dir", state, "--hostname", "device"), t.TempDir(), 160)
	// line types l and waits for the prompt after its output (the echo of the
	// line ends with CR LF; the prompt redrawn while typing does not).
	line := func(l, prompt string) {
		t.Helper()
		tm.send(l + "\r")
		tm.expect(l + "\r\n")
		tm.expect(prompt)
	}
	tm.expect("device# ")
	line("conf t", "device(config)# ")
	line("ip access-list extended mgmt", "device(conf-ipacl-ext)# ")
	line("seq 20 permit udp any any eq 123", "device(conf-ipacl-ext)# ")
	require.Equal(t, files, ids(), "terminal: the files are not rewritten")
	require.Equal(t, table, handles(), "terminal")

	// Someone flushes the ruleset: the identical line still mends the kernel.
	fl, err := exec.Command("ip", "netns", "exec", ns, "nft", "flush", "ruleset").CombinedOutput()
	require.NoError(t, err, "%s", fl)
	line("permit udp any any eq ntp", "device(conf-ipacl-ext)# ")
	require.Contains(t, handles(), "dport 22")
	require.Equal(t, files, ids(), "after the flush: the files are not rewritten")
	line("end", "device# ")
	tm.send("exit\r")
	<-tm.done
}
