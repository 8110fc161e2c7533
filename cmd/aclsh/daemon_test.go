package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netns"

	"github.com/aclsh/aclsh/internal/labns"
	"github.com/aclsh/aclsh/internal/needs"
)

// daemonLab is a fresh network namespace with the documented install: a state
// directory of the configuring group (2770), and aclsh follow (the daemon) run
// by root with the groups it is told: configure (admin) and show (view).
type daemonLab struct {
	t     *testing.T
	ns    string
	state string
	log   func() string
}

const (
	adminGID = 4343 // the operators who configure
	viewGID  = 4444 // the operators who only show and test
)

func newDaemonLab(t *testing.T) *daemonLab {
	needs.Root(t)
	needs.Program(t, "nft", "nftables")
	needs.Program(t, "setpriv", "util-linux")
	l := &daemonLab{t: t, ns: freshNS(t), state: groupDir(t, adminGID)}
	sshRun(t, "ip", "-n", l.ns, "link", "add", "mgmt0", "type", "veth", "peer", "name", "peer0")
	sshRun(t, "ip", "-n", l.ns, "link", "set", "mgmt0", "up")
	cmd := exec.Command("sh", "-c", "umask 027; exec \"$@\"", "sh", "ip", "netns", "exec", l.ns, binary, "follow", "--mgmt-if", "mgmt0",
		"--state-dir", l.state, "--admin-group", fmt.Sprint(adminGID), "--view-group", fmt.Sprint(viewGID))
	var log syncBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Errorf("aclsh follow did not stop on SIGINT")
			cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("daemon log:\n%s", log.String())
		}
	})
	l.log = log.String
	waitDaemon(t, l.ns)
	return l
}

// cmd is aclsh run in the lab by uid (0: root) with supplementary group gid and
// no capability at all (the documented install: no setcap, no sudo).
func (l *daemonLab) cmd(uid, gid int, args ...string) *exec.Cmd {
	argv := []string{"netns", "exec", l.ns}
	if uid != 0 {
		argv = append(argv, "setpriv", fmt.Sprintf("--reuid=%d", uid), fmt.Sprintf("--regid=%d", uid),
			fmt.Sprintf("--groups=%d", gid), "--inh-caps=-all", "--bounding-set=-all")
	}
	argv = append(argv, binary, "--mgmt-if", "mgmt0", "--hostname", "device")
	if uid == 0 {
		argv = append(argv, "--state-dir", l.state)
	}
	return exec.Command("ip", append(argv, args...)...)
}

// run runs a script as uid.
func (l *daemonLab) run(uid, gid int, lines string, args ...string) (string, int) {
	l.t.Helper()
	return script(l.t, l.cmd(uid, gid, args...), lines)
}

func (l *daemonLab) table() string {
	out, _ := exec.Command("ip", "netns", "exec", l.ns, "nft", "list", "table", "inet", "aclsh").CombinedOutput()
	return string(out)
}

// Roles by the peer's credentials (issue 17): with no setcap and no sudo, an
// operator of the configuring group commits through the daemon and the kernel
// changes; an operator of the read-only group shows and tests but cannot
// configure; a local user outside both can neither change nor read the config
// (through the daemon or the state directory); an unprivileged client cannot
// choose another state directory; two operators committing at once lose nothing.
func TestDaemonRoles(t *testing.T) {
	l := newDaemonLab(t)
	const seed = "conf t\nip access-list extended check\npermit tcp host 10.24.12.107 any eq 22\ninterface management 0\nip access-group check in\n"

	// An operator of the configuring group, without any capability.
	out, code := l.run(4301, adminGID, seed)
	require.Equal(t, 0, code, out)
	require.Contains(t, l.table(), "tcp dport 22", "the daemon enforced the operator's change")
	require.Contains(t, readFile(t, filepath.Join(l.state, "running-config")), "permit tcp host 10.24.12.107 any eq 22")

	// The read-only role: show and test, not configure.
	out, code = l.run(4310, viewGID, "show access-lists\ntest access-list check tcp 10.24.12.107 40000 10.24.12.129 22\n")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, " seq 10 permit tcp host 10.24.12.107 any eq 22")
	require.Contains(t, out, "result: permit (seq 10)")
	before := readFile(t, filepath.Join(l.state, "running-config"))
	for _, line := range []string{"conf t", "write memory", "clear access-list counters", "copy running-config kernel", "reload in 5", "configure session x"} {
		out, code = l.run(4310, viewGID, line+"\n")
		require.Equal(t, 1, code, "%s: %s", line, out)
		require.Contains(t, out, "user 4310 may show and test, not configure: that needs group 4343", line)
	}
	require.Equal(t, before, readFile(t, filepath.Join(l.state, "running-config")))

	// A local user in neither group.
	out, code = l.run(4399, 4399, "show running-config\n")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "user 4399 (uid 4399) may not use aclsh: members of group 4343 configure, members of group 4444 show and test")
	require.NotContains(t, out, "10.24.12.107")
	cat := exec.Command("ip", "netns", "exec", l.ns, "setpriv", "--reuid=4399", "--regid=4399", "--clear-groups", "cat", filepath.Join(l.state, "running-config"))
	catOut, err := cat.CombinedOutput()
	require.Error(t, err, "the state directory is closed to others: %s", catOut)
	require.NotContains(t, string(catOut), "10.24.12.107")
	// Nor by pretending: a state directory of its own choosing is not served.
	own := t.TempDir()
	out, code = l.run(4301, adminGID, "show running-config\n", "--state-dir", own)
	require.Equal(t, 2, code, out)
	require.Contains(t, out, "owns state directory "+l.state+"; --state-dir "+own+" is not served")

	// Two operators at once, ten commits each: nothing lost.
	var wg sync.WaitGroup
	errs := make(chan string, 20)
	for op, uid := range []int{4301, 4302} {
		wg.Go(func() {
			for i := range 10 {
				out, code := l.run(uid, adminGID, fmt.Sprintf("conf t\nip access-list extended check\npermit tcp any any eq %d\n", 2000+op*100+i))
				if code != 0 {
					errs <- fmt.Sprintf("operator %d, commit %d: %s", uid, i, out)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	running, k := readFile(t, filepath.Join(l.state, "running-config")), l.table()
	for op := range 2 {
		for i := range 10 {
			port := 2000 + op*100 + i
			require.Contains(t, running, fmt.Sprintf("eq %d\n", port))
			require.Regexp(t, fmt.Sprintf(`tcp dport %d\b|tcp \. %d\b|\b%d\b`, port, port, port), k)
		}
	}
}

// An operator of the configuring group on a terminal, through the daemon: the
// same screen as a shell of its own (banner, prompts, ? help, an error's caret,
// a change enforced at once), and show users names the operator.
func TestDaemonInteractive(t *testing.T) {
	l := newDaemonLab(t)
	home := t.TempDir()
	os.Chmod(home, 0o777)
	tm := startPTY(t, l.cmd(4301, adminGID), home, 160)
	tm.expect("aclsh on device, management 0 is mgmt0. Type ? for help.")
	tm.expect("device#")
	tm.send("conf t\r")
	tm.expect("device(config)#")
	tm.send("ip access-list extended web\r")
	tm.expect("device(conf-ipacl-ext)#")
	tm.send("permit tcp any any eq 443 conlimit 3\r")
	tm.expect("% Invalid input detected at '^' marker.")
	tm.send("permit tcp any any eq 443\r")
	tm.expect("device(conf-ipacl-ext)#")
	tm.send("permit tcp any any eq ?")
	tm.expect("<0-65535>")
	tm.send("\x15") // Ctrl-U drops the line
	tm.send("end\r")
	tm.expect("device#")
	tm.send("show users\r")
	tm.expect("Since")
	users := tm.expect("device#")
	require.Regexp(t, `\* 4301 +\d+`, users, "show users names the operator, not the daemon")
	tm.send("show running-config | include 443\r")
	tm.expect("permit tcp any any eq 443")
	tm.send("exit\r")
	select {
	case <-tm.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the client did not end after exit")
	}
	require.True(t, strings.Contains(readFile(t, filepath.Join(l.state, "running-config")), "permit tcp any any eq 443"))
}

// BenchmarkDaemonChange10k: a one-shot `aclsh -c` that adds one line to a bound
// 10,000-line list, as a process, through the namespace's daemon (which keeps
// the parsed config and the kernel's handles in memory), against a first apply
// of that list (`aclsh -f` in a namespace with no daemon and no table, which
// starts the daemon that applies it) in the same run: x-first-apply
// is first apply / change. Both processes are started in their namespace
// directly (no ip netns exec). ms-noop is `aclsh -c 'show clock'` through the
// daemon: what any one-shot costs; x-first-apply-over-noop is first apply /
// (change - noop), what the change itself costs.
func BenchmarkDaemonChange10k(b *testing.B) {
	needs.Root(b)
	needs.Program(b, "nft", "nftables")
	file := list10kFile(b)
	first, served := benchNS(b), benchNS(b)
	in := func(ns string, args ...string) time.Duration { return timedIn(b, ns, args...) }
	state := b.TempDir()
	in(served, "--state-dir", state, "-f", file) // starts the namespace's daemon
	for deadline := time.Now().Add(5 * time.Second); ; {
		var out []byte
		inThreadNS(b, served, func() {
			out, _ = exec.Command(binary, "--mgmt-if", "mgmt0", "--state-dir", state, "-c", "show clock").CombinedOutput()
		})
		if strings.Contains(string(out), "UTC") {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("the daemon does not answer: %s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var tFirst, tChange, tNoop time.Duration
	n := 0
	for b.Loop() {
		tNoop += in(served, "--state-dir", state, "-c", "show clock")
		b.StopTimer()
		fresh := filepath.Join(b.TempDir(), "s")
		labns.StopDaemons(first) // the last iteration's
		exec.Command("ip", "netns", "exec", first, "nft", "delete", "table", "inet", "aclsh").Run()
		b.StartTimer()
		tFirst += in(first, "--state-dir", fresh, "-f", file)
		tChange += in(served, "--state-dir", state, "-c", "conf t", "-c", "ip access-list extended big",
			"-c", fmt.Sprintf("permit tcp host 192.0.%d.%d any eq 22", n/250%256, n%250+1), "-c", "end")
		n++
	}
	b.ReportMetric(float64(tFirst.Microseconds())/float64(n)/1000, "ms-first-apply")
	b.ReportMetric(float64(tChange.Microseconds())/float64(n)/1000, "ms-change")
	b.ReportMetric(float64(tNoop.Microseconds())/float64(n)/1000, "ms-noop")
	b.ReportMetric(float64(tFirst)/float64(max(tChange, 1)), "x-first-apply")
	// what the change costs over any one-shot (the process, the socket): the
	// daemon's share, against the same first apply
	b.ReportMetric(float64(tFirst)/float64(max(tChange-tNoop, 1)), "x-first-apply-over-noop")
}

// benchNS is a fresh namespace with a management interface (mgmt0, up) for a
// benchmark or test, removed with whatever runs in it when it ends.
func benchNS(tb testing.TB) string {
	ns := labns.Name("aclsh-cmd-") // swept by the pid in its name if a run is killed
	sshRun(tb, "ip", "netns", "add", ns)
	tb.Cleanup(func() { labns.Kill(ns); exec.Command("ip", "netns", "del", ns).Run() })
	sshRun(tb, "ip", "-n", ns, "link", "add", "mgmt0", "type", "veth", "peer", "name", "peer0")
	sshRun(tb, "ip", "-n", ns, "link", "set", "mgmt0", "up")
	return ns
}

// list10kFile writes BenchmarkDaemonChange10k's bound 10,000-line list (a
// script) to a file and returns its path.
func list10kFile(b *testing.B) string {
	var big strings.Builder
	big.WriteString("conf t\nip access-list extended big\n")
	for i := range 10000 {
		fmt.Fprintf(&big, " seq %d permit tcp host 10.%d.%d.%d any eq %d\n", 10*(i+1), i>>16&255, i>>8&255, i&255, 1+i%60000)
	}
	big.WriteString(" seq 100010 permit tcp any any eq 22\ninterface management 0\n ip access-group big in\nend\n")
	file := filepath.Join(b.TempDir(), "big.conf")
	if err := os.WriteFile(file, []byte(big.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	return file
}

// timedIn runs the binary with args in namespace ns (forked from a thread in
// it, management 0 on mgmt0) and returns how long it took; a failure ends b.
func timedIn(b *testing.B, ns string, args ...string) time.Duration {
	var d time.Duration
	var out []byte
	var err error
	inThreadNS(b, ns, func() {
		cmd := exec.Command(binary, append([]string{"--mgmt-if", "mgmt0"}, args...)...)
		t0 := time.Now()
		out, err = cmd.CombinedOutput()
		d = time.Since(t0)
	})
	if err != nil {
		b.Fatalf("%v: %v\n%s", args, err, out)
	}
	return d
}

// inThreadNS runs f on a locked thread inside namespace ns: processes it starts
// are forked from that thread, so they start in ns.
func inThreadNS(tb testing.TB, ns string, f func()) {
	h, err := netns.GetFromName(ns)
	if err != nil {
		tb.Fatal(err)
	}
	defer h.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := netns.Set(h); err != nil {
			tb.Error(err)
			return
		}
		f()
	}()
	<-done
}

// An aclsh made privileged by how it is installed or run (file capabilities,
// here an ambient capability) for a user who is not root never makes itself
// the owner where no daemon runs, nor takes a state directory from its command
// line: it would write where that user says.
func TestPrivilegedNonRootTakesNoStateDir(t *testing.T) {
	kernelNS(t)
	stopNSDaemon()
	needs.Program(t, "setpriv", "util-linux")
	state := groupDir(t, adminGID)
	out, code := script(t, operator(4301, adminGID, "022", true, "--state-dir", state), "show running-config\n")
	require.Equal(t, 2, code, out)
	require.Contains(t, out, "this aclsh may change the kernel though uid 4301 is not root (file capabilities or setuid), and no aclsh daemon runs: remove that (setcap -r ")
	_, err := os.Stat(filepath.Join(state, "lock"))
	require.True(t, os.IsNotExist(err), "nothing written")

	// Nor does it become the owner by its subcommands.
	for _, sub := range []string{"follow", "boot"} {
		cmd := exec.Command("ip", "netns", "exec", testNS, "setpriv", "--reuid=4301", "--regid=4301", fmt.Sprintf("--groups=%d", adminGID),
			"--inh-caps=+net_admin", "--ambient-caps=+net_admin", binary, sub, "--mgmt-if", "mgmt0", "--state-dir", state)
		out, err := cmd.CombinedOutput()
		require.Error(t, err, "aclsh %s: %s", sub, out)
		require.Contains(t, string(out), "aclsh "+sub+": this aclsh may change the kernel though uid 4301 is not root")
	}
	_, err = os.Stat(filepath.Join(state, "run"))
	require.True(t, os.IsNotExist(err), "nothing written")
	require.Empty(t, table(t), "nothing enforced")
}

// One owner per network namespace (issue 17): in a namespace where nothing was
// started by hand, root's first aclsh starts the daemon and says so; aclsh
// processes started at the same moment share one daemon; an aclsh asking for
// another state directory is refused and names the owner; and when the
// clients are done one daemon runs in the namespace.
func TestOneOwnerPerNamespace(t *testing.T) {
	needs.Root(t)
	needs.Program(t, "nft", "nftables")
	ns := freshNS(t)
	sshRun(t, "ip", "-n", ns, "link", "add", "mgmt0", "type", "veth", "peer", "name", "peer0")
	state, other := stateDir(t), stateDir(t)
	in := func(state string, args ...string) *exec.Cmd {
		return exec.Command("ip", append([]string{"netns", "exec", ns, binary, "--mgmt-if", "mgmt0", "--state-dir", state}, args...)...)
	}
	// Four at once, on a namespace with no daemon.
	const bind = "conf t\nip access-list extended a\npermit tcp any any eq 22 connlimit 3\ninterface management 0\nip access-group a in\n"
	outs := make([]string, 4)
	codes := make([]int, 4)
	var wg sync.WaitGroup
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], codes[i] = script(t, in(state), bind)
		}()
	}
	wg.Wait()
	started := 0
	for i := range outs {
		require.Equal(t, 0, codes[i], outs[i])
		if strings.Contains(outs[i], "% No aclsh daemon ran in this network namespace: started one (pid ") {
			started++
		}
	}
	require.Equal(t, 1, started, "one of them started the daemon and said so: %q", outs)
	daemons := func() (pids []string) {
		out, _ := exec.Command("ip", "netns", "pids", ns).Output()
		for _, pid := range strings.Fields(string(out)) {
			argv, _ := os.ReadFile("/proc/" + pid + "/cmdline")
			if strings.Contains(string(argv), "aclsh\x00follow\x00") {
				pids = append(pids, pid)
			}
		}
		return pids
	}
	require.Len(t, daemons(), 1, "one daemon in the namespace")

	// Another state directory: refused, the owner named, nothing written.
	out, code := script(t, in(other), bind)
	require.Equal(t, 2, code, out)
	require.Contains(t, out, "the aclsh daemon of this network namespace owns state directory "+state+"; --state-dir "+other+" is not served")
	require.Contains(t, out, "kill "+daemons()[0])
	_, err := os.Stat(filepath.Join(other, "running-config"))
	require.True(t, os.IsNotExist(err), "nothing written to the other state directory")

	// The daemon enforces; a later aclsh is its client and says nothing of it.
	out, code = script(t, in(state), "show access-lists\n")
	require.Equal(t, 0, code, out)
	require.NotContains(t, out, "started one")
	require.Contains(t, out, "seq 10 permit tcp any any eq 22 connlimit 3")
	tbl, _ := exec.Command("ip", "netns", "exec", ns, "nft", "list", "table", "inet", "aclsh").CombinedOutput()
	require.Contains(t, string(tbl), "ct count over 3")
	out, code = script(t, in(state), "show access-lists | json\n")
	require.Equal(t, 0, code, out)
	require.Regexp(t, `"counts": ?"exact"`, out, "the daemon keeps the counts exact, and says so")
}

// The documented install starts the daemon by socket activation (aclsh.socket):
// systemd listens on @aclsh/daemon and hands the socket to aclsh follow, so the
// socket's peer (SO_PEERCRED: who called listen) is systemd, not the daemon.
// Here the test plays systemd's part: it listens in the namespace and starts
// aclsh follow with the socket (LISTEN_FDS, LISTEN_PID). The first client is
// served by that daemon; Probe names the daemon itself, so aclsh boot does
// nothing while it runs and a refused state directory names the daemon's pid.
func TestSocketActivatedDaemon(t *testing.T) {
	needs.Root(t)
	needs.Program(t, "nft", "nftables")
	ns := freshNS(t)
	sshRun(t, "ip", "-n", ns, "link", "add", "mgmt0", "type", "veth", "peer", "name", "peer0")
	state := stateDir(t)
	var sock *os.File
	inThreadNS(t, ns, func() {
		ln, err := net.Listen("unix", "@aclsh/daemon")
		require.NoError(t, err)
		sock, err = ln.(*net.UnixListener).File()
		require.NoError(t, err)
		ln.Close() // the duplicate in sock stays open, listening
	})
	t.Cleanup(func() { sock.Close() })
	daemon := exec.Command("ip", "netns", "exec", ns, "sh", "-c", `LISTEN_PID=$$ LISTEN_FDS=1 exec "$@"`, "sh",
		binary, "follow", "--mgmt-if", "mgmt0", "--state-dir", state)
	daemon.ExtraFiles = []*os.File{sock} // fd 3, as systemd passes it
	var log syncBuffer
	daemon.Stdout, daemon.Stderr = &log, &log
	require.NoError(t, daemon.Start())
	t.Cleanup(func() { daemon.Process.Signal(os.Interrupt); daemon.Wait() })
	in := func(args ...string) *exec.Cmd {
		return exec.Command("ip", append([]string{"netns", "exec", ns, binary, "--mgmt-if", "mgmt0"}, args...)...)
	}
	out, code := script(t, in("--state-dir", state), "conf t\nip access-list extended a\npermit tcp any any eq 22\ninterface management 0\nip access-group a in\n")
	require.Equal(t, 0, code, "%s\ndaemon:\n%s", out, log.String())
	require.NotContains(t, out, "started one", "the socket-activated daemon serves the first client")
	tbl, _ := exec.Command("ip", "netns", "exec", ns, "nft", "list", "table", "inet", "aclsh").CombinedOutput()
	require.Contains(t, string(tbl), "tcp dport 22")

	pid := fmt.Sprint(daemon.Process.Pid) // ip netns exec and sh exec: this is aclsh follow
	boot, err := exec.Command("ip", "netns", "exec", ns, binary, "boot", "--mgmt-if", "mgmt0", "--state-dir", state).CombinedOutput()
	require.NoError(t, err, "%s", boot)
	require.Contains(t, string(boot), "aclsh boot: the aclsh daemon runs in this network namespace (pid "+pid+", state directory "+state+")")
	out, code = script(t, in("--state-dir", stateDir(t)), "show clock\n")
	require.Equal(t, 2, code, out)
	require.Contains(t, out, "kill "+pid)
}
