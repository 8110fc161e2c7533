package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/internal/labns"
)

// The startup-config at boot (issue 9): the saved config becomes the running-config
// and the kernel enforces it; without one the last running-config is kept.

const savedCfg = `conf t
ip access-list extended saved
permit tcp any any eq 22
interface management 0
ip access-group saved in
end
write memory
`

const unsavedCfg = `conf t
ip access-list extended unsaved
permit tcp any any eq 80
interface management 0
ip access-group unsaved in
`

var bootNS atomic.Int32

// freshNS is a new network namespace, as a host has after a reboot: no table.
func freshNS(t *testing.T) string {
	t.Helper()
	ns := fmt.Sprintf("aclsh-cmd-%d-boot%d", os.Getpid(), bootNS.Add(1))
	out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput()
	require.NoError(t, err, "%s", out)
	// a commit that binds a connlimit line starts aclsh follow in ns: kill it too
	t.Cleanup(func() { labns.Kill(ns); exec.Command("ip", "netns", "del", ns).Run() })
	return ns
}

// bootIn runs aclsh boot in namespace ns; it returns its output and exit status.
func bootIn(t *testing.T, ns, state string) (string, int) {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", ns, binary, "boot", "--mgmt-if", "mgmt0", "--state-dir", state)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	}
	require.NoError(t, err, "%s", out)
	return string(out), 0
}

// tableIn lists table inet aclsh in ns ("" if there is none).
func tableIn(t *testing.T, ns string) string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", ns, "nft", "list", "table", "inet", "aclsh").CombinedOutput()
	if err != nil {
		require.Contains(t, string(out), "No such file or directory", "nft: %s", out)
		return ""
	}
	return string(out)
}

// bootState commits the saved config (and writes it to startup-config), then
// the unsaved one, in the test namespace; it returns the tables each made.
func bootState(t *testing.T, state string) (saved, unsaved string) {
	t.Helper()
	out, code := script(t, aclsh("--state-dir", state), savedCfg)
	require.Equal(t, 0, code, out)
	saved = table(t)
	require.Contains(t, saved, "dport 22")
	out, code = script(t, aclsh("--state-dir", state), unsavedCfg)
	require.Equal(t, 0, code, out)
	unsaved = table(t)
	require.Contains(t, unsaved, "dport 80")
	require.NotContains(t, unsaved, "dport 22")
	return saved, unsaved
}

// TestBootRestoresStartupConfig: a host rebooted with unsaved changes comes up
// enforcing its startup-config, and the running-config is the startup-config.
func TestBootRestoresStartupConfig(t *testing.T) {
	kernelNS(t)
	state := stateDir(t)
	savedTable, _ := bootState(t, state)
	require.NotEqual(t, readFile(t, filepath.Join(state, "startup-config")), readFile(t, filepath.Join(state, "running-config")))

	ns := freshNS(t)
	require.Equal(t, "", tableIn(t, ns), "a fresh namespace has no table")
	out, code := bootIn(t, ns, state)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "aclsh boot: the startup-config is the running-config now and the kernel enforces it (1 access list(s), 1 line(s); interface management 0: ip access-group saved in)")
	require.Equal(t, readFile(t, filepath.Join(state, "startup-config")), readFile(t, filepath.Join(state, "running-config")))
	require.Equal(t, savedTable, tableIn(t, ns), "the kernel enforces the startup-config, object for object")

	// Nothing differs now, and the shell says nothing about it.
	show := exec.Command("ip", "netns", "exec", ns, binary, "--mgmt-if", "mgmt0", "--state-dir", state, "-c", "show running-config")
	shown, err := show.CombinedOutput()
	require.NoError(t, err, "%s", shown)
	require.NotContains(t, string(shown), "differs")
	require.Contains(t, string(shown), "ip access-group saved in")

	// Booting again changes nothing.
	out, code = bootIn(t, ns, state)
	require.Equal(t, 0, code, out)
	require.Equal(t, savedTable, tableIn(t, ns))
}

// TestBootWithoutStartupConfig: nothing was ever saved; the last running-config
// is enforced and the journal says why.
func TestBootWithoutStartupConfig(t *testing.T) {
	kernelNS(t)
	state := stateDir(t)
	_, unsavedTable := bootState(t, state)
	require.NoError(t, os.Remove(filepath.Join(state, "startup-config")))
	running := readFile(t, filepath.Join(state, "running-config"))

	ns := freshNS(t)
	out, code := bootIn(t, ns, state)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "there is no startup-config in "+state+" (nothing was saved with write memory): keeping the last running-config")
	require.Contains(t, out, "the kernel enforces the last running-config (2 access list(s), 2 line(s); interface management 0: ip access-group unsaved in)")
	require.Equal(t, running, readFile(t, filepath.Join(state, "running-config")))
	require.Equal(t, unsavedTable, tableIn(t, ns))
}

// TestBootBadStartupConfig: a startup-config that does not load fails the unit
// with the reason, and the last running-config is enforced meanwhile.
func TestBootBadStartupConfig(t *testing.T) {
	kernelNS(t)
	state := stateDir(t)
	_, unsavedTable := bootState(t, state)
	require.NoError(t, os.WriteFile(filepath.Join(state, "startup-config"), []byte("ip access-list extended saved\n permit tcp any any eq 22 garbage\n"), 0o660))
	running := readFile(t, filepath.Join(state, "running-config"))

	ns := freshNS(t)
	out, code := bootIn(t, ns, state)
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "aclsh boot: the startup-config was not made the running-config: "+filepath.Join(state, "startup-config")+": line 2")
	require.Contains(t, out, "the kernel enforces the last running-config")
	require.Contains(t, out, "fix the startup-config")
	require.Equal(t, running, readFile(t, filepath.Join(state, "running-config")))
	require.Equal(t, unsavedTable, tableIn(t, ns))

	// The running-config broken too: nothing to enforce, and it says so.
	require.NoError(t, os.WriteFile(filepath.Join(state, "running-config"), []byte("garbage\n"), 0o660))
	ns = freshNS(t)
	out, code = bootIn(t, ns, state)
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "the running-config is not enforced either")
	require.Equal(t, "", tableIn(t, ns))
	require.True(t, strings.Count(out, "aclsh boot:") >= 2, out)
}

// TestBootUsage: aclsh boot takes only the state directory and the interface; it
// refuses anything else before it touches anything.
func TestBootUsage(t *testing.T) {
	for _, args := range [][]string{{"boot", "-c", "exit"}, {"boot", "stray"}, {"boot", "--check"}} {
		out, err := exec.Command(binary, append(args, "--state-dir", t.TempDir())...).CombinedOutput()
		ee, ok := err.(*exec.ExitError)
		require.True(t, ok, "aclsh %v: %v %s", args, err, out)
		require.Equal(t, 2, ee.ExitCode(), "aclsh %v: %s", args, out)
		require.Contains(t, string(out), "aclsh boot: takes only --state-dir and --mgmt-if", "aclsh %v", args)
	}
}
