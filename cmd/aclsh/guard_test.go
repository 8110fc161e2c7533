package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/internal/labns"
	"github.com/aclsh/aclsh/internal/needs"
)

// guardNS creates a namespace whose mgmt0 (a veth, its peer in the same namespace) has 10.24.12.129/24,
// the address an operator's SSH_CONNECTION names, and removes it afterwards.
func guardNS(t *testing.T) string {
	t.Helper()
	needs.Root(t)
	needs.Program(t, "nft", "nftables")
	ns := labns.Name("aclsh-grd-") // pid and a counter: only this test's
	sshRun(t, "ip", "netns", "add", ns)
	// a commit that binds a connlimit line starts aclsh follow in ns: kill it too
	t.Cleanup(func() { labns.Kill(ns); exec.Command("ip", "netns", "del", ns).Run() })
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
		labns.StopDaemons(ns) // the daemon of the last state directory
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

// counters hides the packet and byte counts of a ruleset: traffic changes them.
var counters = regexp.MustCompile(`counter packets \d+ bytes \d+`)

// TestSSHGuard is the lockout guard over real SSH: an operator logged in from
// 10.24.12.107 types a line that would drop new logins from there. The shell
// warns, says which line refuses them and asks Proceed? [y/N]; `n` applies
// nothing (running-config and kernel ruleset as before), the session keeps
// working and a new login is still admitted. `y` applies it: the session still
// works (a deny ... connlimit 1 drops only new connections) and a new login from
// 10.24.12.107 is refused.
func TestSSHGuard(t *testing.T) {
	l := newSSHLab(t)
	const src = "10.24.12.107"
	s := l.login(src)
	step := func(line, want string) string {
		t.Helper()
		s.send(line)
		return s.must(freshPrompt(want), 3*time.Second, fmt.Sprintf("after %q", line))
	}
	step("conf t", "device(config)# ")
	step("ip access-list extended m", "device(conf-ipacl-ext)# ")
	step("permit tcp host 10.24.12.107 host 10.24.12.129 eq 22", "device(conf-ipacl-ext)# ")
	step("interface management 0", "device(config-Management-0)# ")
	out := step("ip access-group m in", "device(config-Management-0)# ")
	require.NotContains(t, out, "Warning", "binding a list that permits the operator does not warn")
	step("ip access-list extended m", "device(conf-ipacl-ext)# ")

	runningPath := filepath.Join(l.state, "running-config")
	cfgBefore := readFile(t, runningPath)
	kernelBefore := counters.ReplaceAllString(l.devExec("nft", "list", "ruleset"), "counter")
	require.Contains(t, kernelBefore, "10.24.12.107")

	// The question, answered n.
	const bad = "seq 5 deny tcp any any eq 22 connlimit 1"
	s.send(bad)
	out = s.must(regexp.MustCompile(`Proceed\? \[y/N\] [ \x08]*\z`), 3*time.Second, "the guard asks")
	t.Logf("the question:\n%s", screen(out, 8))
	require.Contains(t, out, "% Warning: this change would lock you out (your connection: 10.24.12.107 port ")
	require.Contains(t, out, "to 10.24.12.129 port 22, on management 0):")
	require.Contains(t, out, "%   a new connection from 10.24.12.107 to port 22 would be refused by access list m seq 5 deny tcp any any eq 22 connlimit 1")
	require.NotContains(t, out, "your session would be dropped", "deny ... connlimit 1 leaves existing sessions alone")
	s.send("n")
	out = s.must(freshPrompt("device(conf-ipacl-ext)# "), 3*time.Second, "after answering n")
	require.Contains(t, out, "% Error: not applied (you answered no)")
	require.Equal(t, cfgBefore, readFile(t, runningPath), "running-config unchanged after n")
	require.Equal(t, kernelBefore, counters.ReplaceAllString(l.devExec("nft", "list", "ruleset"), "counter"), "kernel unchanged after n")
	out = step("do show access-lists m", "device(conf-ipacl-ext)# ")
	require.NotContains(t, out, "seq 5")
	require.Contains(t, out, "seq 10 permit tcp host 10.24.12.107 host 10.24.12.129 eq 22")
	s2 := l.login(src) // still admitted
	s2.logout()

	// The question, answered y: applied.
	s.send(bad)
	s.must(regexp.MustCompile(`Proceed\? \[y/N\] [ \x08]*\z`), 3*time.Second, "the guard asks again")
	s.send("y")
	out = s.must(freshPrompt("device(conf-ipacl-ext)# "), 3*time.Second, "after answering y")
	require.NotContains(t, out, "% Error")
	require.Contains(t, readFile(t, runningPath), "seq 5 deny tcp any any eq 22 connlimit 1")
	out = step("do show access-lists m", "device(conf-ipacl-ext)# ")
	require.Contains(t, out, "seq 5 deny tcp any any eq 22 connlimit 1", "the session still works")
	require.NoError(t, l.refused(src), "a new login from the operator's address is refused")

	// Taking it back needs no question.
	out = step("no seq 5", "device(conf-ipacl-ext)# ")
	require.NotContains(t, out, "Proceed")
	s3 := l.login(src)
	s3.logout()
	step("end", "device# ")
	s.logout()

	// The answers are not commands: they stay out of the history.
	hist := strings.Split(readFile(t, filepath.Join(l.dir, "home", ".aclsh_history")), "\n")
	require.Contains(t, hist, bad)
	require.NotContains(t, hist, "y")
	require.NotContains(t, hist, "n")
}
