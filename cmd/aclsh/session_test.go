package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netns"

	"github.com/aclsh/aclsh/internal/echo"
	"github.com/aclsh/aclsh/internal/labns"
	"github.com/aclsh/aclsh/internal/needs"
)

// Issue 9: configuration sessions and commit timers, with the real binary, the
// real kernel and real connections, in throwaway namespaces.

var sessLabSeq atomic.Int32

// sessLab is a device namespace whose mgmt0 (10.77.9.1) faces a client namespace
// (10.77.9.2), with a TCP echo server on the device's port 22.
type sessLab struct {
	t          *testing.T
	dev, cli   string
	state, dir string
}

func newSessLab(t *testing.T) *sessLab {
	needs.Root(t)
	needs.Program(t, "nft", "nftables")
	n := fmt.Sprintf("acls%d-s%d", os.Getpid(), sessLabSeq.Add(1))
	l := &sessLab{t: t, dev: n + "d", cli: n + "c", dir: t.TempDir()}
	for _, ns := range []string{l.dev, l.cli} {
		sshRun(t, "ip", "netns", "add", ns)
		t.Cleanup(func() {
			killNS(ns)
			exec.Command("ip", "netns", "del", ns).Run()
		})
	}
	in := func(ns string, args ...string) { sshRun(t, append([]string{"ip", "-n", ns}, args...)...) }
	in(l.dev, "link", "add", "mgmt0", "type", "veth", "peer", "name", "eth0", "netns", l.cli)
	in(l.dev, "addr", "add", "10.77.9.1/24", "dev", "mgmt0")
	in(l.cli, "addr", "add", "10.77.9.2/24", "dev", "eth0")
	for _, ns := range []string{l.dev, l.cli} {
		in(ns, "link", "set", "lo", "up")
	}
	in(l.dev, "link", "set", "mgmt0", "up")
	in(l.cli, "link", "set", "eth0", "up")
	l.state = filepath.Join(l.dir, "state")
	require.NoError(t, os.Mkdir(l.state, 0o750))

	var ln net.Listener
	l.inNS(l.dev, func() {
		var err error
		ln, err = net.Listen("tcp", "10.77.9.1:22")
		require.NoError(t, err)
	})
	go echo.ServeTCP(ln)
	t.Cleanup(func() { ln.Close() })
	// Up: the links' carrier and the first neighbour resolution take a moment
	// (longer on a loaded machine); nothing is filtered yet.
	for deadline := time.Now().Add(5 * time.Second); !l.admitted(); {
		require.True(t, time.Now().Before(deadline), "the lab's client does not reach its device")
		time.Sleep(50 * time.Millisecond)
	}
	return l
}

// inNS runs f on a thread inside namespace ns.
func (l *sessLab) inNS(ns string, f func()) { inNetNS(l.t, ns, f) }

// inNetNS runs f on a thread inside namespace ns: sockets f opens belong to ns.
func inNetNS(t testing.TB, ns string, f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		orig, err := netns.Get()
		require.NoError(t, err)
		defer orig.Close()
		h, err := netns.GetFromName(ns)
		require.NoError(t, err)
		defer h.Close()
		require.NoError(t, netns.Set(h))
		// Back before the thread is unlocked (or, if that fails, the thread ends
		// with the goroutine): the process must not be seen in the namespace.
		defer func() {
			if netns.Set(orig) == nil {
				runtime.UnlockOSThread()
			}
		}()
		f()
	}()
	<-done
}

// admitted reports whether a new connection from the client reaches the echo
// server (and echoes) within a second.
func (l *sessLab) admitted() bool {
	ok := false
	l.inNS(l.cli, func() {
		c, err := net.DialTimeout("tcp", "10.77.9.1:22", time.Second)
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(time.Second))
		if _, err := c.Write([]byte("x\n")); err != nil {
			return
		}
		b := make([]byte, 2)
		_, err = c.Read(b)
		ok = err == nil
	})
	return ok
}

func (l *sessLab) cmd(args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", l.dev, binary, "--mgmt-if", "mgmt0", "--state-dir", l.state}, args...)...)
}

// ruleset is the device's table without counters or set contents (nft -s).
func (l *sessLab) ruleset() string {
	out, err := exec.Command("ip", "netns", "exec", l.dev, "nft", "-s", "list", "table", "inet", "aclsh").CombinedOutput()
	require.NoError(l.t, err, "%s", out)
	return string(out)
}

// handles is the ruleset with rule handles: any rule the kernel replaced shows.
func (l *sessLab) handles() string {
	out, err := exec.Command("ip", "netns", "exec", l.dev, "nft", "-s", "-a", "list", "table", "inet", "aclsh").CombinedOutput()
	require.NoError(l.t, err, "%s", out)
	return string(out)
}

func (l *sessLab) running() string { return readFile(l.t, filepath.Join(l.state, "running-config")) }

// term starts an interactive aclsh on a pseudo-terminal in the device namespace;
// it returns what the shell wrote up to its first prompt.
func (l *sessLab) term() (*ptyTerm, string) {
	tm := startPTY(l.t, l.cmd("--hostname", "device"), l.dir, 200)
	return tm, tm.expect("device#")
}

// hangUp ends the operator's connection: the terminal goes away (SIGHUP) and the
// process is gone.
func (tm *ptyTerm) hangUp() {
	tm.f.Close()
	tm.cmd.Process.Kill()
	tm.cmd.Wait()
}

const sessBase = `conf t
ip access-list extended mgmt
permit tcp any any eq 22
interface management 0
ip access-group mgmt in
`

// A session committed with `commit timer 00:00:05` that locks the operator out
// (its only permit line removed), whose operator then disconnects, is rolled back
// by `aclsh follow`: the kernel's ruleset and the running-config are byte for
// byte what they were, and new connections are admitted again, within the timer
// plus two seconds. A shell started afterwards says what was rolled back.
func TestCommitTimerRollsBackAfterHangup(t *testing.T) {
	l := newSessLab(t)
	out, code := script(t, l.cmd(), sessBase)
	require.Equal(t, 0, code, out)
	stop := startFollowIn(t, l)
	require.True(t, l.admitted(), "the base config admits the client")
	beforeRules, beforeHandles, beforeFile := l.ruleset(), l.handles(), l.running()

	tm, _ := l.term()
	tm.send("configure session risky\r")
	tm.expect("device(config-s-risky)#")
	tm.send("ip access-list extended mgmt\r")
	tm.expect("device(config-s-risky-ipacl-ext)#")
	tm.send("no seq 10\r")
	tm.expect("device(config-s-risky-ipacl-ext)#")
	require.Equal(t, beforeHandles, l.handles(), "nothing reaches the kernel before commit")
	require.Equal(t, beforeFile, l.running())
	tm.send("commit timer 00:00:05\r")
	tm.expect("unless confirmed")
	committed := time.Now()
	tm.expect("device#")
	require.False(t, l.admitted(), "the committed session refuses new connections")
	require.NotEqual(t, beforeFile, l.running())
	tm.hangUp()

	// Rolled back by the daemon within the timer plus two seconds.
	for l.running() != beforeFile {
		require.Less(t, time.Since(committed), 7*time.Second, "not rolled back in time")
		time.Sleep(50 * time.Millisecond)
	}
	took := time.Since(committed)
	t.Logf("rolled back %v after the commit (timer 5s)", took.Round(10*time.Millisecond))
	require.GreaterOrEqual(t, took, 5*time.Second-200*time.Millisecond, "not before the timer ran out")
	require.Equal(t, beforeRules, l.ruleset())
	require.True(t, l.admitted(), "new connections are admitted again")
	_, err := os.Stat(filepath.Join(l.state, "rollback.pending"))
	require.ErrorIs(t, err, os.ErrNotExist)

	_, start := l.term()
	require.Contains(t, start, "% Configuration session risky was rolled back at ")
	require.Contains(t, start, ": commit timer expired (committed by root")
	log := stop()
	require.Contains(t, log, "Configuration session risky was rolled back at")
	require.Contains(t, log, "commit timer expired")
}

// Without the daemon, the next aclsh that takes the lock after the deadline
// carries the rollback out, and every shell started afterwards says so.
func TestCommitTimerFallbackWithoutDaemon(t *testing.T) {
	l := newSessLab(t)
	out, code := script(t, l.cmd(), sessBase)
	require.Equal(t, 0, code, out)
	tm, _ := l.term()
	tm.send("configure session quick\r")
	tm.expect("device(config-s-quick)#")
	tm.send("ip access-list extended mgmt\r")
	tm.send("permit tcp any any eq 80\r")
	tm.send("commit timer 00:00:01\r")
	tm.expect("unless confirmed")
	tm.hangUp()
	time.Sleep(1100 * time.Millisecond)
	// No daemon runs: the next aclsh that takes the lock carries the rollback out.
	out, code = script(t, l.cmd(), "show running-config\nconf t\nip access-list extended other\n")
	require.Equal(t, 0, code, out)
	require.NotContains(t, l.running(), "eq 80")
	_, start := l.term()
	require.Contains(t, start, "% Configuration session quick was rolled back at ")
	_, start = l.term()
	require.Contains(t, start, "% Configuration session quick was rolled back at ", "every shell started afterwards says it")
}

// A confirmed timer stays; an aborted session never touched the kernel.
func TestCommitTimerConfirmedAndAbort(t *testing.T) {
	l := newSessLab(t)
	out, code := script(t, l.cmd(), sessBase)
	require.Equal(t, 0, code, out)
	startFollowIn(t, l)
	beforeRules, beforeFile := l.handles(), l.running()

	// Aborted: the kernel's table (handles included) never changes.
	tm, _ := l.term()
	tm.send("configure session scratch\r")
	tm.send("ip access-list extended mgmt\r")
	tm.send("deny tcp any any eq 22\r")
	tm.send("seq 5 deny ip any any\r")
	tm.expect("device(config-s-scratch-ipacl-ext)# seq 5 deny ip any any")
	tm.expect("device(config-s-scratch-ipacl-ext)#")
	require.Equal(t, beforeRules, l.handles())
	tm.send("abort\r")
	tm.expect("device#")
	require.Equal(t, beforeRules, l.handles())
	require.Equal(t, beforeFile, l.running())
	require.True(t, l.admitted())

	// Confirmed: the change stays after the timer.
	tm.send("configure session keep\r")
	tm.send("ip access-list extended mgmt\r")
	tm.send("permit tcp any any eq 80\r")
	tm.send("commit timer 00:00:03\r")
	tm.expect("unless confirmed")
	tm.send("configure session keep\r")
	tm.expect("device(config-s-keep)#")
	tm.send("commit\r")
	tm.expect("confirmed: the commit timer is cancelled")
	after := l.running()
	require.Contains(t, after, "eq 80")
	tm.hangUp()
	time.Sleep(5 * time.Second)
	require.Equal(t, after, l.running())
	require.True(t, l.admitted())
	_, err := os.Stat(filepath.Join(l.state, "rollback.pending"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

// startFollowIn runs aclsh follow in the lab's device namespace; stop ends it and
// returns its log.
func startFollowIn(t *testing.T, l *sessLab) (stop func() string) {
	labns.StopDaemons(l.dev) // the daemon a script started (its shells are done)
	cmd := exec.Command("ip", "netns", "exec", l.dev, binary, "follow", "--mgmt-if", "mgmt0", "--state-dir", l.state)
	var log syncBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	require.NoError(t, cmd.Start())
	stopped := false
	stop = func() string {
		if !stopped {
			stopped = true
			cmd.Process.Signal(os.Interrupt)
			cmd.Wait()
		}
		return log.String()
	}
	t.Cleanup(func() { stop() })
	// Started: it applied the running-config and looks every second.
	time.Sleep(300 * time.Millisecond)
	return stop
}

// A reboot wins over a pending commit timer (issue 17): startup-config {22},
// unsaved running-config {22, 80}, a session adds 443 with a commit timer; the
// host reboots (shell and daemon killed, a fresh namespace) before the timer
// runs out. At its first start after the reboot the daemon makes the
// startup-config the running-config (or aclsh boot does, where it is run
// before the daemon), the journal says the pending rollback was dropped, and
// after the deadline nothing rolls back to the unsaved {22, 80}; new shells
// say what the reboot dropped. A restart of the daemon without a reboot
// changes nothing.
func TestRebootDropsPendingRollback(t *testing.T) {
	for _, how := range []string{"daemon", "aclsh boot"} {
		t.Run(how, func(t *testing.T) { rebootDropsPendingRollback(t, how) })
	}
}

func rebootDropsPendingRollback(t *testing.T, how string) {
	l := newSessLab(t)
	out, code := script(t, l.cmd(), sessBase+"end\nwrite memory\n")
	require.Equal(t, 0, code, out)
	out, code = script(t, l.cmd(), "conf t\nip access-list extended mgmt\npermit tcp any any eq 80\n")
	require.Equal(t, 0, code, out)
	// The daemon restarted (no reboot): the unsaved running-config stays.
	labns.StopDaemons(l.dev)
	out, code = script(t, l.cmd(), "show running-config\n")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "started one", "a new daemon")
	require.Contains(t, out, "eq 80", "a restart is not a reboot")
	tm, _ := l.term()
	tm.send("configure session risky\r")
	tm.expect("device(config-s-risky)#")
	tm.send("ip access-list extended mgmt\r")
	tm.send("permit tcp any any eq 443\r")
	tm.send("commit timer 00:00:03\r")
	tm.expect("unless confirmed")
	deadline := time.Now().Add(3 * time.Second)
	require.Contains(t, l.running(), "eq 443")
	tm.hangUp()

	// The reboot: every process gone, a namespace with no table, and a new
	// boot id (here: the record of the boot before this one).
	labns.StopDaemons(l.dev)
	ns := freshNS(t)
	require.NoError(t, os.WriteFile(filepath.Join(l.state, "run", "boot-id"), []byte("00000000-0000-0000-0000-000000000000\n"), 0o640))
	var log string
	if how == "aclsh boot" {
		boot := exec.Command("ip", "netns", "exec", ns, binary, "boot", "--mgmt-if", "mgmt0", "--state-dir", l.state)
		bout, err := boot.CombinedOutput()
		require.NoError(t, err, "%s", bout)
		log = string(bout)
	} else {
		out, code = script(t, exec.Command("ip", "netns", "exec", ns, binary, "--mgmt-if", "mgmt0", "--state-dir", l.state), "show clock\n")
		require.Equal(t, 0, code, out)
		require.Contains(t, out, "started one")
		log = readFile(t, filepath.Join(l.state, "run", "follow.log"))
	}
	require.Regexp(t, `aclsh boot: dropped the pending rollback of configuration session risky \(commit timer, committed by \S+, due at [^)]+\): a reboot ends it, the startup-config wins`, log)
	require.NotContains(t, l.running(), "eq 80")
	require.NotContains(t, l.running(), "eq 443")

	time.Sleep(time.Until(deadline) + 200*time.Millisecond)
	out, code = script(t, exec.Command("ip", "netns", "exec", ns, binary, "--mgmt-if", "mgmt0", "--state-dir", l.state), "show running-config\n")
	require.Equal(t, 0, code, out)
	require.NotContains(t, out, "eq 80", "no rollback to the unsaved running-config after the reboot")
	require.NotContains(t, l.running(), "eq 80")
	tm2 := startPTY(t, exec.Command("ip", "netns", "exec", ns, binary, "--mgmt-if", "mgmt0", "--state-dir", l.state, "--hostname", "device"), l.dir, 200)
	start := tm2.expect("device#")
	require.Contains(t, start, "A reboot dropped the pending rollback of configuration session risky")
}
