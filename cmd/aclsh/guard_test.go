package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/internal/needs"
)

// guardNS creates a namespace whose mgmt0 (a veth, its peer in the same namespace) has 10.24.12.129/24,
// the address an operator's SSH_CONNECTION names, and removes it afterwards.
func guardNS(t *testing.T) string {
	t.Helper()
	needs.Root(t)
	needs.Program(t, "nft", "nftables")
	ns := fmt.Sprintf("aclsh-grd-%d", os.Getpid())
	sshRun(t, "ip", "netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	sshRun(t, "ip", "-n", ns, "link", "add", "mgmt0", "type", "veth", "peer", "name", "peer0")
	sshRun(t, "ip", "-n", ns, "addr", "add", "10.24.12.129/24", "dev", "mgmt0")
	sshRun(t, "ip", "-n", ns, "link", "set", "mgmt0", "up")
	return ns
}

// TestScriptGuard: a script whose change would refuse the operator's own SSH
// connection (SSH_CONNECTION, server address on management 0) fails with the
// guard's warning, exit 1, nothing applied (running-config and kernel as before);
// with --force it commits (exit 0, the warning still printed). Without an
// operator on management 0 (no SSH_CONNECTION, an unparsable one, a server
// address elsewhere) the guard says nothing.
func TestScriptGuard(t *testing.T) {
	ns := guardNS(t)
	const (
		setup = "conf t\nip access-list extended m\npermit tcp host 10.24.12.107 any eq 22\ninterface management 0\nip access-group m in\n"
		typo  = "conf t\nip access-list extended m\nno seq 10\npermit tcp host 10.24.12.170 any eq 22\n"
		own   = "10.24.12.107 40022 10.24.12.129 22"
	)
	run := func(state, sshConn string, lines string, args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command("ip", append([]string{"netns", "exec", ns, binary, "--mgmt-if", "mgmt0", "--state-dir", state}, args...)...)
		cmd.Env = append(os.Environ(), "SSH_CONNECTION="+sshConn)
		return script(t, cmd, lines)
	}
	ruleset := func() string {
		t.Helper()
		out, err := exec.Command("ip", "netns", "exec", ns, "nft", "list", "ruleset").CombinedOutput()
		require.NoError(t, err, "%s", out)
		return string(out)
	}
	fresh := func() string {
		t.Helper()
		exec.Command("ip", "netns", "exec", ns, "nft", "delete", "table", "inet", "aclsh").Run()
		state := stateDir(t)
		out, rc := run(state, "", setup)
		require.Equal(t, 0, rc, "setup: %s", out)
		require.Contains(t, ruleset(), "10.24.12.107", "setup enforced")
		return state
	}
	running := func(state string) string { return readFile(t, filepath.Join(state, "running-config")) }

	// Refused without --force.
	state := fresh()
	beforeCfg, beforeKernel := running(state), ruleset()
	out, rc := run(state, own, typo)
	t.Logf("without --force (exit %d):\n%s", rc, out)
	require.Equal(t, 1, rc, "exit status without --force")
	for _, want := range []string{
		"% Warning: this change would lock you out (your connection: 10.24.12.107 port 40022 to 10.24.12.129 port 22, on management 0):\n",
		"%   your session would be dropped by the implicit deny at the end of access list m\n",
		"%   a new connection from 10.24.12.107 to port 22 would be refused by the implicit deny at the end of access list m\n",
		"% Error: the lockout guard warns (see above; --force commits anyway); nothing was applied\n",
	} {
		require.Contains(t, out, want)
	}
	require.Equal(t, beforeCfg, running(state), "running-config unchanged")
	require.Equal(t, beforeKernel, ruleset(), "kernel unchanged")

	// --force commits, and still says why it is dangerous.
	out, rc = run(state, own, typo, "--force")
	t.Logf("with --force (exit %d):\n%s", rc, out)
	require.Equal(t, 0, rc, "exit status with --force")
	require.Contains(t, out, "%   your session would be dropped by the implicit deny at the end of access list m\n")
	require.Contains(t, out, "% Committed anyway (--force)\n")
	require.Contains(t, running(state), "10.24.12.170")
	require.Contains(t, ruleset(), "10.24.12.170")

	// No operator on management 0: the guard is silent and the change commits.
	for _, conn := range []string{"", "garbage", "192.0.2.7 40022 192.0.2.1 22"} {
		state := fresh()
		out, rc := run(state, conn, typo)
		require.Equal(t, 0, rc, "SSH_CONNECTION=%q: %s", conn, out)
		require.NotContains(t, out, "Warning", "SSH_CONNECTION=%q", conn)
		require.Contains(t, running(state), "10.24.12.170", "SSH_CONNECTION=%q", conn)
	}
}

// TestForceFlag: --force is for scripts and not for aclsh follow.
func TestForceFlag(t *testing.T) {
	out, err := exec.Command(binary, "follow", "--force").CombinedOutput()
	require.Error(t, err)
	require.Contains(t, string(out), "takes only")
	out, _ = exec.Command(binary, "--help").CombinedOutput()
	require.True(t, strings.Contains(string(out), "--force"), "usage names --force: %s", out)
}
