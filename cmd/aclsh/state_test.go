package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/aclsh/aclsh/daemon"
	"github.com/aclsh/aclsh/internal/needs"
)

// Commit integrity under faults, hostile state directories and the documented
// multi-operator install (issue 7), with the real binary in the test namespace.

const checkCfg = `conf t
ip access-list extended check
permit tcp any any eq 80
interface management 0
ip access-group check in
`

// kernelNS says the test runs where the binary can change a kernel: root, in the
// test namespace. The table is removed afterwards.
func kernelNS(t *testing.T) {
	t.Helper()
	needs.Root(t) // testNS exists when root (TestMain)
	t.Cleanup(func() {
		stopNSDaemon() // or it would put the table back
		exec.Command("ip", "netns", "exec", testNS, "nft", "delete", "table", "inet", "aclsh").Run()
	})
}

// table lists table inet aclsh in the test namespace ("" if there is none).
func table(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", testNS, "nft", "list", "table", "inet", "aclsh").CombinedOutput()
	if err != nil {
		require.Contains(t, string(out), "No such file or directory", "nft: %s", out)
		return ""
	}
	return string(out)
}

// script runs lines as a script with cmd's settings; it returns the output and the
// exit status.
func script(t *testing.T, cmd *exec.Cmd, lines string) (string, int) {
	t.Helper()
	cmd.Stdin = strings.NewReader(lines)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	}
	require.NoError(t, err, "%s", out)
	return string(out), 0
}

func stateDir(t *testing.T) string {
	d, err := os.MkdirTemp("", "aclsh-state")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// Item 1: the disk fills up. The commit fails and the kernel keeps what it had
// (before: the kernel enforced the new line, the running-config did not have it).
func TestDiskFullKeepsKernel(t *testing.T) {
	kernelNS(t)
	state := stateDir(t)
	require.NoError(t, unix.Mount("tmpfs", state, "tmpfs", 0, "size=64k,mode=0750"))
	t.Cleanup(func() { unix.Unmount(state, unix.MNT_DETACH) })
	out, code := script(t, aclsh("--state-dir", state), checkCfg)
	require.Equal(t, 0, code, out)
	before, beforeFile := table(t), readFile(t, filepath.Join(state, "running-config"))
	require.Contains(t, before, "tcp dport 80")

	// Fill the file system.
	f, err := os.Create(filepath.Join(state, "filler"))
	require.NoError(t, err)
	for {
		if _, err := f.Write(make([]byte, 4096)); err != nil {
			require.ErrorIs(t, err, syscall.ENOSPC)
			break
		}
	}
	f.Close()

	out, code = script(t, aclsh("--state-dir", state), "conf t\nip access-list extended check\ndeny tcp any any eq 22\n")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "no space left on device")
	require.Contains(t, out, "nothing was applied")
	require.Equal(t, before, table(t), "the kernel does not enforce the line the running-config does not have")
	require.Equal(t, beforeFile, readFile(t, filepath.Join(state, "running-config")))
}

// Item 1: installing the new running-config fails after the kernel accepted the
// change (rename onto a mount point: EBUSY). The kernel is put back.
func TestSaveFailurePutsKernelBack(t *testing.T) {
	kernelNS(t)
	state := stateDir(t)
	out, code := script(t, aclsh("--state-dir", state), checkCfg)
	require.Equal(t, 0, code, out)
	before := table(t)
	running := filepath.Join(state, "running-config")
	require.NoError(t, unix.Mount(running, running, "", unix.MS_BIND, ""))
	t.Cleanup(func() { unix.Unmount(running, unix.MNT_DETACH) })
	// The daemon started above lives in the mount namespace of the ip netns
	// exec that started it, which does not see mounts made after it: the next
	// one does.
	stopNSDaemon()

	out, code = script(t, aclsh("--state-dir", state), "conf t\nip access-list extended check\ndeny tcp any any eq 22\n")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "device or resource busy")
	require.Contains(t, out, "the kernel was put back to the config before, nothing was applied")
	require.Equal(t, before, table(t))
	require.NotContains(t, readFile(t, running), "deny")
}

// Item 2: an operator without CAP_NET_ADMIN unbinds: the commit fails, the
// running-config keeps the binding and the kernel its table.
func TestUnprivilegedUnbindFails(t *testing.T) {
	kernelNS(t)
	state := groupDir(t, 65534)
	out, code := script(t, aclsh("--state-dir", state), checkCfg)
	require.Equal(t, 0, code, out)
	before := table(t)
	cmd := operator(65534, 65534, "022", false, "--state-dir", state)
	out, code = script(t, cmd, "conf t\ninterface management 0\nno ip access-group check in\n")
	require.Equal(t, 1, code, out)
	// The daemon serves only its groups (aclsh, aclsh-view) and root.
	require.Contains(t, out, "user nobody (uid 65534) may not use aclsh")
	require.Contains(t, readFile(t, filepath.Join(state, "running-config")), "ip access-group check in")
	require.Equal(t, before, table(t))
}

// Item 2: another program owns table inet aclsh (nftables owner flag): root is
// refused too, and the error says why instead of "needs root".
func TestOwnedTableSaysSo(t *testing.T) {
	kernelNS(t)
	ns, err := os.Open("/var/run/netns/" + testNS)
	require.NoError(t, err)
	defer ns.Close()
	c, err := nftables.New(nftables.WithNetNSFd(int(ns.Fd())), nftables.AsLasting())
	require.NoError(t, err)
	c.AddTable(&nftables.Table{Name: "aclsh", Family: nftables.TableFamilyINet, Flags: nftables.TableFlagOwner})
	require.NoError(t, c.Flush())
	state := stateDir(t)
	// The operator knows the table is not aclsh's and starts from an empty config.
	require.NoError(t, os.WriteFile(filepath.Join(state, "running-config"), nil, 0o660))
	out, code := script(t, aclsh("--state-dir", state), checkCfg)
	require.NoError(t, c.CloseLasting()) // the owner goes, and its table with it
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "table inet aclsh is owned by another program")
	require.NotContains(t, out, "needs root")
}

// Item 3: the state directory is removed (rm -rf). Shells and the follow daemon
// keep the kernel's table, say why, change nothing, and the daemon does not
// re-create the directory (as root, locking the group out). Restored as
// documented, the daemon enforces the running-config again.
func TestMissingRunningConfigKeepsTable(t *testing.T) {
	kernelNS(t)
	const netops = 4343
	state := groupDir(t, netops)
	out, code := script(t, aclsh("--state-dir", state), checkCfg)
	require.Equal(t, 0, code, out)
	before := table(t)
	stop := startFollow(t, state)
	// rm -rf, again if the daemon took its lock (re-creating the lock file)
	// in the middle of it, as an administrator would run it again.
	require.Eventually(t, func() bool { return os.RemoveAll(state) == nil }, 3*time.Second, 50*time.Millisecond)

	out, code = script(t, operator(4301, netops, "022", false, "--state-dir", state), "conf t\nip access-list extended other\n")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "running-config is missing, but the kernel enforces table inet aclsh")
	require.Equal(t, before, table(t))

	time.Sleep(2500 * time.Millisecond)
	require.Equal(t, before, table(t), "the daemon keeps the table")
	_, err := os.Stat(state)
	require.True(t, os.IsNotExist(err), "the daemon does not re-create the directory")

	// The way back when nothing was kept: the directory as installed, and an
	// empty running-config, on purpose, by an operator.
	require.NoError(t, os.Mkdir(state, 0o770))
	groupOwn(t, state, netops)
	out, code = script(t, operator(4301, netops, "022", false, "--state-dir", state), "show running-config\n")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "is missing")
	cmd := exec.Command("ip", "netns", "exec", testNS, "setpriv", "--reuid=4301", "--regid=4301", fmt.Sprintf("--groups=%d", netops),
		"touch", filepath.Join(state, "running-config"))
	touched, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", touched)
	deadline := time.Now().Add(5 * time.Second)
	for table(t) != "" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	require.Equal(t, "", table(t), "the daemon applied the empty running-config: nothing bound, no table")
	log := stop()
	require.Equal(t, 1, strings.Count(log, "is missing"), "said once, not every second: %s", log)
	require.Contains(t, log, "the running-config can be read again; applied it")
}

// Item 5: a running-config with garbage in it. Every start says what is wrong
// and how to get back, the kernel keeps enforcing, and the way back works.
func TestCorruptRunningConfigRecovery(t *testing.T) {
	kernelNS(t)
	state := stateDir(t)
	out, code := script(t, aclsh("--state-dir", state), checkCfg)
	require.Equal(t, 0, code, out)
	before := table(t)
	running := filepath.Join(state, "running-config")
	require.NoError(t, os.WriteFile(running, []byte("ip access-list extended check\n permit tcp any any eq 80 garbage\n"), 0o660))

	out, code = script(t, aclsh("--state-dir", state), "show running-config\n")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "running-config cannot be used: line 2")
	require.Contains(t, out, "copy last-good-config running-config")

	followFor(t, state, 1500*time.Millisecond)
	require.Equal(t, before, table(t), "the kernel keeps enforcing meanwhile")

	tm := startTerm(t, t.TempDir(), state)
	tm.expect("cannot be used")
	tm.expect("device# ")
	tm.send("copy last-good-config running-config\r")
	tm.expect("[OK] running-config replaced by last-good-config")
	tm.send("show running-config | include access-group\r")
	tm.expect(" ip access-group check in")
	tm.send("exit\r")
	<-tm.done
	require.Equal(t, before, table(t))
}

// Item 7: the documented install. The directory belongs to the operators' group
// (2770); root created the lock and the running-config under umask 077; two
// operators with umasks 022 and 077 take turns committing.
func TestTwoOperatorsDocumentedInstall(t *testing.T) {
	kernelNS(t)
	const netops = 4343
	state := groupDir(t, netops)
	forState(state)
	cmd := exec.Command("sh", "-c", "umask 077; exec \"$@\"", "sh", "ip", "netns", "exec", testNS, binary, "--mgmt-if", "mgmt0", "--state-dir", state)
	out, code := script(t, cmd, checkCfg)
	require.Equal(t, 0, code, out)
	startFollow(t, state)
	for i, op := range []struct {
		uid   int
		umask string
	}{{4301, "022"}, {4302, "077"}, {4301, "077"}, {4302, "022"}} {
		out, code := script(t, operator(op.uid, netops, op.umask, false, "--state-dir", state),
			fmt.Sprintf("conf t\nip access-list extended check\npermit tcp any any eq %d\n", 1000+i))
		require.Equal(t, 0, code, "operator %d, umask %s: %s", op.uid, op.umask, out)
	}
	running := readFile(t, filepath.Join(state, "running-config"))
	k := table(t)
	for i := range 4 {
		require.Contains(t, running, fmt.Sprintf("eq %d", 1000+i))
		// a rule, or an element of a run's set (5 lines: one set)
		require.Regexp(t, fmt.Sprintf(`tcp dport %d\b|tcp \. %d\b`, 1000+i, 1000+i), k)
	}
}

// groupDir is a state directory as the README installs it: root, group gid, 2770.
func groupDir(t *testing.T, gid int) string {
	state := stateDir(t)
	groupOwn(t, state, gid)
	return state
}

func groupOwn(t *testing.T, dir string, gid int) {
	require.NoError(t, os.Chown(dir, 0, gid))
	require.NoError(t, os.Chmod(dir, 0o770|os.ModeSetgid))
}

// operator runs the binary in the test namespace as uid (in group gid) with umask, with
// CAP_NET_ADMIN (as setcap gives it) or without any capability.
func operator(uid, gid int, umask string, netAdmin bool, args ...string) *exec.Cmd {
	caps := []string{"--inh-caps=-all"}
	if netAdmin {
		caps = []string{"--inh-caps=+net_admin", "--ambient-caps=+net_admin"}
	}
	// The operator's own primary group; the operators' group is a supplementary
	// one, as on a host where netops is added to each user.
	argv := []string{"-c", "umask " + umask + "; exec \"$@\"", "sh", "ip", "netns", "exec", testNS, "setpriv",
		fmt.Sprintf("--reuid=%d", uid), fmt.Sprintf("--regid=%d", uid), fmt.Sprintf("--groups=%d", gid)}
	argv = append(argv, caps...)
	argv = append(argv, binary, "--mgmt-if", "mgmt0")
	forState(stateArg(args))
	return exec.Command("sh", append(argv, args...)...)
}

// startFollow starts aclsh follow as root under umask 027, as the unit runs it,
// with the operators' group (netops, gid 4343) as the configuring group; stop
// ends it and returns its log.
func startFollow(t *testing.T, state string) (stop func() string) {
	t.Helper()
	stopNSDaemon() // the one a script started
	cmd := exec.Command("sh", "-c", "umask 027; exec \"$@\"", "sh", "ip", "netns", "exec", testNS, binary, "follow", "--mgmt-if", "mgmt0", "--state-dir", state,
		"--admin-group", "4343")
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	require.NoError(t, cmd.Start())
	stopped := false
	stop = func() string {
		if !stopped {
			stopped = true
			require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
			require.NoError(t, cmd.Wait(), "%s", log.String())
		}
		return log.String()
	}
	t.Cleanup(func() { stop() })
	waitDaemon(t, testNS)
	return stop
}

// waitDaemon waits until the daemon of namespace ns serves clients (its boot
// step done), as its status says.
func waitDaemon(t *testing.T, ns string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		var st daemon.Status
		inThreadNS(t, ns, func() { st, _ = daemon.Probe() })
		if st.Ready {
			return
		}
		require.True(t, time.Now().Before(deadline), "the daemon does not serve in %s (status %+v)", ns, st)
		time.Sleep(10 * time.Millisecond)
	}
}

// followFor runs aclsh follow for d and returns its log.
func followFor(t *testing.T, state string, d time.Duration) string {
	t.Helper()
	stopNSDaemon()
	cmd := exec.Command("ip", "netns", "exec", testNS, binary, "follow", "--mgmt-if", "mgmt0", "--state-dir", state)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	require.NoError(t, cmd.Start())
	time.Sleep(d)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "%s", log.String())
	return log.String()
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	return string(data)
}

// --mgmt-if and --ssh-ports are the daemon's settings: a client that names
// others is told which the daemon uses, and goes on; the first root aclsh that
// starts the daemon gives it its own.
func TestClientSettingsAreTheDaemons(t *testing.T) {
	kernelNS(t)
	stopNSDaemon()
	state := stateDir(t)
	out, code := script(t, aclsh("--state-dir", state, "--ssh-ports", "2222", "-c", "show clock"), "")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "started one", "the daemon is started with the client's settings")
	require.NotContains(t, out, "% Note: the aclsh daemon")
	out, code = script(t, aclsh("--state-dir", state, "--ssh-ports", "22,2222", "-c", "show clock"), "")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "% Note: the aclsh daemon of this network namespace (pid ")
	require.Contains(t, out, "runs with its own settings: the login service is on port(s) 2222, not 22,2222 (they are aclsh follow's")
	out, code = script(t, aclsh("--state-dir", state, "-c", "show clock"), "")
	require.Equal(t, 0, code, out)
	require.NotContains(t, out, "% Note:", "no flag, nothing to say")
}
