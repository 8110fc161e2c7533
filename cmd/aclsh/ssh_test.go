package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/internal/labns"
	"github.com/aclsh/aclsh/internal/needs"
	"github.com/aclsh/aclsh/internal/syncbuf"
)

// The real-SSH lab: OpenSSH's sshd runs in a device namespace with aclsh as its
// ForceCommand (the documented install), and the tests log in with OpenSSH's ssh
// from a client namespace, typing into the remote pty as an operator does.
//
//	dev: mgmt0 10.24.12.129/24 (management 0), sshd on 10.24.12.129:22, aclsh follow
//	cli: eth0 10.24.12.107/24, 10.24.12.108/24
//
// Nothing is loaded into nftables before the first login, so conntrack does not
// track the sessions open when a list is bound, as on a host with no firewall.

const (
	sshdPath   = "/usr/sbin/sshd"
	sshDevAddr = "10.24.12.129"
)

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer = syncbuf.Buffer

var (
	redraw   = regexp.MustCompile(` ?\x08(?:\r\x08)*\r?\x1b\[J`)
	lineJunk = regexp.MustCompile(`[ \x08\r]+$`)
)

// screen renders the last n lines of a session's output for a reader: the line
// editor's redraws become line breaks and the intermediate states of a line being
// typed are dropped.
func screen(out string, n int) string {
	var lines []string
	for _, l := range strings.Split(redraw.ReplaceAllString(out, "\n"), "\n") {
		l = strings.TrimLeft(lineJunk.ReplaceAllString(l, ""), "\r\x08")
		if l == "" {
			continue
		}
		if k := len(lines) - 1; k >= 0 && strings.HasPrefix(l, lines[k]) {
			lines[k] = l
			continue
		}
		lines = append(lines, l)
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "    | " + strings.Join(lines, "\n    | ")
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

var sshLabSeq atomic.Int32

type sshLab struct {
	t        *testing.T
	dev, cli string
	addr     string // the device's address, where sshd listens (sshDevAddr)
	dir      string // keys, sshd config, HOME of the sessions
	key      string // the client's private key
	state    string // aclsh --state-dir
	command  string // the lab's ForceCommand: aclsh with its flags
	user     string // who logs in (root unless withUser)
	sshdLog  syncBuffer

	mu       sync.Mutex
	sessions []*sshSession
}

// sshLabOption changes the lab newSSHLab builds.
type sshLabOption func(*sshLabOptions)

type sshLabOptions struct {
	sshdConfig []func(l *sshLab) string
	user       string
}

// withUser logs in as user rather than root.
func withUser(user string) sshLabOption {
	return func(o *sshLabOptions) { o.user = user }
}

// withSSHDConfig appends the text f returns to sshd_config, after the lab's own
// (global) lines; f may use the lab's dir, state and command.
func withSSHDConfig(f func(l *sshLab) string) sshLabOption {
	return func(o *sshLabOptions) { o.sshdConfig = append(o.sshdConfig, f) }
}

// newSSHLab creates the namespaces, starts sshd in the device namespace (and
// nothing else: a commit that needs aclsh follow starts it) and removes
// everything when the test ends. On failure it logs every session's last
// output, the device's ruleset and conntrack table, and the logs of sshd and
// aclsh follow.
func newSSHLab(t *testing.T, opts ...sshLabOption) *sshLab {
	var o sshLabOptions
	for _, opt := range opts {
		opt(&o)
	}
	needs.Root(t)
	needs.Program(t, sshdPath, "openssh-server")
	needs.Program(t, "ssh", "openssh-client")
	needs.Program(t, "ssh-keygen", "openssh-client")
	needs.Program(t, "nft", "nftables")
	needs.Program(t, "conntrack", "conntrack")

	n := fmt.Sprintf("acls%d-%d", os.Getpid(), sshLabSeq.Add(1))
	l := &sshLab{t: t, dev: n + "d", cli: n + "c", addr: sshDevAddr, dir: t.TempDir(), user: "root"}
	if o.user != "" {
		l.user = o.user
	}

	// Namespaces; at cleanup, whatever still runs in them (sshd's per-connection
	// processes and their aclsh shells, ssh clients) is killed before they go.
	for _, ns := range []string{l.dev, l.cli} {
		sshRun(t, "ip", "netns", "add", ns)
		t.Cleanup(func() {
			killNS(ns)
			exec.Command("ip", "netns", "del", ns).Run()
		})
	}
	in := func(ns string, args ...string) { sshRun(t, append([]string{"ip", "-n", ns}, args...)...) }
	in(l.dev, "link", "add", "mgmt0", "type", "veth", "peer", "name", "eth0", "netns", l.cli)
	in(l.dev, "addr", "add", sshDevAddr+"/24", "dev", "mgmt0")
	in(l.cli, "addr", "add", "10.24.12.107/24", "dev", "eth0")
	in(l.cli, "addr", "add", "10.24.12.108/24", "dev", "eth0")
	for _, ns := range []string{l.dev, l.cli} {
		in(ns, "link", "set", "lo", "up")
	}
	in(l.dev, "link", "set", "mgmt0", "up")
	in(l.cli, "link", "set", "eth0", "up")
	l.serve(o)
	return l
}

// serve makes the device's state directory and keys and starts sshd in its
// namespace on l.addr:22, with aclsh (l.command) as its ForceCommand; everything
// goes when the test ends. The namespaces and their links exist already.
func (l *sshLab) serve(o sshLabOptions) {
	t := l.t
	// The documented install: a group-writable, setgid state directory.
	l.state = filepath.Join(l.dir, "state")
	require.NoError(t, os.Mkdir(l.state, 0o700))
	require.NoError(t, os.Chmod(l.state, 0o770|os.ModeSetgid))

	// Keys: the host's, and the client's, authorized for root.
	hostKey := filepath.Join(l.dir, "ssh_host_ed25519_key")
	l.key = filepath.Join(l.dir, "id_ed25519")
	sshRun(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey)
	sshRun(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", l.key)
	pub, err := os.ReadFile(l.key + ".pub")
	require.NoError(t, err)
	authKeys := filepath.Join(l.dir, "authorized_keys")
	require.NoError(t, os.WriteFile(authKeys, pub, 0o600))

	// sshd's privilege separation directory (Debian's unit creates it at boot).
	require.NoError(t, os.MkdirAll("/run/sshd", 0o755))

	// HOME (SetEnv) keeps the shells' history out of root's home and root's
	// ~/.bashrc out of the login (bash sources it for commands run by sshd).
	home := filepath.Join(l.dir, "home")
	require.NoError(t, os.Mkdir(home, 0o700))
	if l.user != "root" {
		// The operator reaches the state directory and owns the home.
		for _, d := range []string{l.dir, filepath.Dir(l.dir)} {
			require.NoError(t, os.Chmod(d, 0o711))
		}
		u, err := user.Lookup(l.user)
		require.NoError(t, err)
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		require.NoError(t, os.Chown(home, uid, gid))
		require.NoError(t, os.Chown(authKeys, uid, gid)) // sshd reads it as the user
	}
	cfg := filepath.Join(l.dir, "sshd_config")
	l.command = binary + " --state-dir " + l.state + " --mgmt-if mgmt0 --hostname device"
	conf := strings.Join([]string{
		"ListenAddress " + l.addr + ":22",
		"HostKey " + hostKey,
		"PidFile " + filepath.Join(l.dir, "sshd.pid"),
		"UsePAM no",
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"AuthorizedKeysFile " + authKeys,
		"StrictModes no",
		"PermitRootLogin yes",
		"UseDNS no",
		"MaxStartups 100",
		"MaxSessions 100",
		"LoginGraceTime 30",
		"PrintMotd no",
		"PrintLastLog no",
		"LogLevel VERBOSE",
		"SetEnv HOME=" + home,
		"ForceCommand " + l.command,
	}, "\n") + "\n"
	// Options' text comes last: it may open Match blocks, which run to the end.
	var extra string
	for _, f := range o.sshdConfig {
		extra += f(l)
	}
	// OpenSSH 9.8+ penalizes sources whose connections end without logging in; the
	// tests kill sessions. Older versions refuse the option: leave it out there.
	withPenalties := conf + "PerSourcePenalties no\n" + extra
	require.NoError(t, os.WriteFile(cfg, []byte(withPenalties), 0o600))
	if out, err := exec.Command(sshdPath, "-t", "-f", cfg).CombinedOutput(); err != nil {
		require.Contains(t, string(out), "PerSourcePenalties", "sshd -t: %s", out)
		require.NoError(t, os.WriteFile(cfg, []byte(conf+extra), 0o600))
		out, err := exec.Command(sshdPath, "-t", "-f", cfg).CombinedOutput()
		require.NoError(t, err, "sshd -t: %s", out)
	}

	l.startDaemon("sshd", &l.sshdLog, sshdPath, "-D", "-e", "-f", cfg)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(l.sshdLog.String(), "Server listening on "+l.addr+" port 22") {
		if time.Now().After(deadline) {
			t.Fatalf("sshd does not listen on %s:22; its log:\n%s", l.addr, l.sshdLog.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Nothing else is started by hand: the first commit that binds a connlimit
	// line starts aclsh follow (its log: state/run/follow.log).

	// Registered last, so it runs first: diagnostics while everything still runs.
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(l.diagnostics())
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, s := range l.sessions {
			s.cmd.Process.Kill()
			<-s.done
		}
	})
}

func sshRun(t testing.TB, args ...string) {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	require.NoError(t, err, "%s: %s", strings.Join(args, " "), out)
}

// killNS kills the processes left in namespace ns (by pid: they are the
// test's), never this one: a thread locked into ns by a goroutine that ended
// stays there when it is the main thread (the runtime cannot end that one), and
// `ip netns pids` then lists this process (the test binary was killed so).
func killNS(ns string) { labns.Kill(ns) }

// startDaemon runs a program in the device namespace until the test ends (then
// SIGTERM, and SIGKILL if it lingers).
func (l *sshLab) startDaemon(name string, log *syncBuffer, args ...string) {
	cmd := exec.Command("ip", append([]string{"netns", "exec", l.dev}, args...)...)
	cmd.Stdout, cmd.Stderr = log, log
	// sshd's per-connection processes inherit its stderr: do not wait for them.
	cmd.WaitDelay = time.Second
	require.NoError(l.t, cmd.Start(), name)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	l.t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM) // ip netns exec execs: this is the program
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			l.t.Errorf("%s did not stop on SIGTERM", name)
			cmd.Process.Kill()
			<-done
		}
	})
}

// devExec runs a program in the device namespace and returns its output.
func (l *sshLab) devExec(args ...string) string {
	out, err := exec.Command("ip", append([]string{"netns", "exec", l.dev}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("%s(%v: %v)", out, args, err)
	}
	return string(out)
}

func (l *sshLab) diagnostics() string {
	var b strings.Builder
	l.mu.Lock()
	for _, s := range l.sessions {
		state := "running"
		select {
		case <-s.done:
			state = fmt.Sprintf("ended (%v)", s.err)
		default:
		}
		fmt.Fprintf(&b, "--- session %s, %s; its screen:\n%s\n    last bytes: %q\n", s.name, state, screen(s.out.String(), 30), tail(s.out.String(), 200))
	}
	l.mu.Unlock()
	fmt.Fprintf(&b, "--- nft list ruleset (device):\n%s", l.devExec("nft", "list", "ruleset"))
	fmt.Fprintf(&b, "--- conntrack -L (device):\n%s", l.devExec("conntrack", "-L"))
	fmt.Fprintf(&b, "--- sshd log:\n%s", tail(l.sshdLog.String(), 3000))
	follow, _ := os.ReadFile(filepath.Join(l.state, "run", "follow.log"))
	fmt.Fprintf(&b, "--- aclsh follow log (started by the shell):\n%s", tail(string(follow), 2000))
	return b.String()
}

// sshSession is one `ssh -tt` login from the client namespace: send types a line
// into the remote pty, expect reads the shell's output.
type sshSession struct {
	l     *sshLab
	name  string
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   syncBuffer // stdout and stderr of ssh
	mark  int        // output consumed by expect
	start time.Time
	done  chan struct{}
	err   error // ssh's exit, once done is closed
}

// prompt matches the exec prompt anywhere: the first one after login.
var prompt = regexp.MustCompile(`device#`)

// freshPrompt matches prompt p waiting for input after a line was entered: the
// output since the line was sent holds its newline, and after the last newline it
// ends with the prompt. (A plain line is echoed as typed; only a line the operator
// edits is redrawn, with " \b" after an empty one.)
func freshPrompt(p string) *regexp.Regexp {
	return regexp.MustCompile(`\n[^\n]*` + regexp.QuoteMeta(p) + `[ \x08]*\z`)
}

// dial starts ssh from source address src; it does not wait for anything.
func (l *sshLab) dial(src string) *sshSession {
	l.t.Helper()
	cmd := exec.Command("ip", "netns", "exec", l.cli, "ssh", "-F", "/dev/null",
		"-i", l.key, "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
		"-o", "ConnectTimeout=2", "-o", "BatchMode=yes", "-b", src, "-tt", l.user+"@"+l.addr)
	cmd.Env = append(os.Environ(), "TERM=xterm")
	l.mu.Lock()
	s := &sshSession{l: l, name: fmt.Sprintf("#%d from %s", len(l.sessions)+1, src), cmd: cmd, done: make(chan struct{})}
	l.sessions = append(l.sessions, s)
	l.mu.Unlock()
	cmd.Stdout, cmd.Stderr = &s.out, &s.out
	cmd.WaitDelay = time.Second
	in, err := cmd.StdinPipe()
	require.NoError(l.t, err)
	s.in = in
	s.start = time.Now()
	require.NoError(l.t, cmd.Start())
	go func() { s.err = cmd.Wait(); close(s.done) }()
	return s
}

// tryLogin logs in from src and waits up to timeout for the exec prompt. It
// returns an error if ssh ends first or the prompt does not come.
func (l *sshLab) tryLogin(src string, timeout time.Duration) (*sshSession, error) {
	s := l.dial(src)
	if _, err := s.expect(prompt, timeout); err != nil {
		return s, err
	}
	return s, nil
}

// login logs in from src; the test fails unless the prompt appears within 5 s.
func (l *sshLab) login(src string) *sshSession {
	l.t.Helper()
	s, err := l.tryLogin(src, 5*time.Second)
	if err != nil {
		l.t.Fatalf("login from %s: %v", src, err)
	}
	return s
}

// send types line and Enter.
func (s *sshSession) send(line string) {
	s.l.t.Helper()
	_, err := io.WriteString(s.in, line+"\r")
	require.NoError(s.l.t, err, "session %s: typing %q", s.name, line)
}

// expect reads until the output since the last match matches re, consumes it and
// returns it. It fails if ssh ends or timeout passes first.
func (s *sshSession) expect(re *regexp.Regexp, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		out := s.out.String()[s.mark:]
		if loc := re.FindStringIndex(out); loc != nil {
			s.mark += loc[1]
			return out[:loc[1]], nil
		}
		select {
		case <-s.done:
			if out := s.out.String()[s.mark:]; re.MatchString(out) {
				continue
			}
			return out, fmt.Errorf("session %s: ssh ended (%v) before %q; output %q", s.name, s.err, re, tail(out, 400))
		default:
		}
		if time.Now().After(deadline) {
			return out, fmt.Errorf("session %s: no %q within %v; output %q", s.name, re, timeout, tail(out, 400))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// must is expect that fails the test.
func (s *sshSession) must(re *regexp.Regexp, timeout time.Duration, why string) string {
	s.l.t.Helper()
	out, err := s.expect(re, timeout)
	if err != nil {
		s.l.t.Fatalf("%s: %v", why, err)
	}
	return out
}

// logout types exit and waits for ssh to end.
func (s *sshSession) logout() {
	s.l.t.Helper()
	s.send("exit")
	select {
	case <-s.done:
		require.NoError(s.l.t, s.err, "session %s: ssh after exit: %s", s.name, tail(s.out.String(), 400))
	case <-time.After(5 * time.Second):
		s.l.t.Fatalf("session %s: ssh still running 5 s after exit", s.name)
	}
}

// refused checks that a login from src fails at the TCP connect (the SYN is
// dropped, so ssh gives up after its ConnectTimeout) and never shows a prompt.
func (l *sshLab) refused(src string) error {
	l.t.Helper()
	s := l.dial(src)
	select {
	case <-s.done:
	case <-time.After(4 * time.Second):
		return fmt.Errorf("login from %s: ssh still running after 4 s (ConnectTimeout=2); output %q", src, tail(s.out.String(), 400))
	}
	out := s.out.String()
	if prompt.MatchString(out) {
		return fmt.Errorf("login from %s was admitted: it showed the prompt; output %q", src, tail(out, 400))
	}
	if s.err == nil || !strings.Contains(out, "connect to host "+l.addr+" port 22: ") {
		return fmt.Errorf("login from %s did not fail at the TCP connect (exit %v) after %v; output %q",
			src, s.err, time.Since(s.start).Round(time.Millisecond), tail(out, 400))
	}
	l.t.Logf("login from %s refused after %v: %s", src, time.Since(s.start).Round(time.Millisecond), strings.TrimSpace(out))
	return nil
}

// TestSSHSeed001 is the product's central promise with real OpenSSH: on a host where
// nothing was loaded before, an operator logged in three times from 10.24.12.107
// binds `permit tcp host 10.24.12.107 host 10.24.12.129 eq 22 connlimit 3` from one
// of those sessions. All three sessions keep working, a fourth login from that
// address and any login from elsewhere are refused, and when one session ends a
// new one is admitted.
func TestSSHSeed001(t *testing.T) {
	l := newSSHLab(t)
	const src = "10.24.12.107"

	// 1. Three logins, each at the exec prompt.
	s := []*sshSession{l.login(src), l.login(src), l.login(src)}

	// The lab is a host with no firewall: nothing loaded, conntrack not tracking.
	require.Empty(t, strings.TrimSpace(l.devExec("nft", "list", "ruleset")), "nothing loaded before the bind")
	require.NotContains(t, l.devExec("conntrack", "-L"), "dport=22", "conntrack tracks nothing before the bind")

	// 2. Seed 001, typed in the first session.
	bound := false
	step := func(sess *sshSession, line, want string) string {
		t.Helper()
		why := fmt.Sprintf("after %q", line)
		if bound {
			why += " (typed after the bind: the typing session stopped answering)"
		}
		sess.send(line)
		return sess.must(freshPrompt(want), 3*time.Second, why)
	}
	step(s[0], "conf t", "device(config)# ")
	step(s[0], "ip access-list extended check", "device(conf-ipacl-ext)# ")
	step(s[0], "permit tcp host 10.24.12.107 host 10.24.12.129 eq 22 connlimit 3", "device(conf-ipacl-ext)# ")
	step(s[0], "end", "device# ")
	step(s[0], "conf t", "device(config)# ")
	step(s[0], "interface management 0", "device(config-Management-0)# ")
	// The bind. The typing session's next prompt is the first packet of any session
	// after the table is loaded, and it is the host's (outbound): conntrack picks
	// the session up with the host as originator.
	out := step(s[0], "ip access-group check in", "device(config-Management-0)# ")
	require.NotContains(t, out, "% Error", "the bind is accepted")
	require.NotContains(t, out, "% Warning", "the bind is accepted")
	// No daemon was installed in this lab: the first login started one, said
	// so, and every other shell is its client (one owner per namespace).
	daemonStarted := regexp.MustCompile(`% No aclsh daemon ran in this network namespace: started one \(pid (\d+)\)`)
	started := daemonStarted.FindStringSubmatch(s[0].out.String())
	require.NotNil(t, started, "the first login starts the daemon and says so:\n%s", tail(s[0].out.String(), 2000))
	for _, sess := range s[1:] {
		require.NotRegexp(t, daemonStarted, sess.out.String(), "one daemon, started once")
	}
	bound = true
	step(s[0], "end", "device# ")

	// 3. Every session keeps answering: the typing session (host spoke first) and
	// the two idle ones (client speaks first).
	rule := regexp.MustCompile(`(?m)^ seq 10 permit tcp host 10\.24\.12\.107 host 10\.24\.12\.129 eq 22 connlimit 3`)
	for _, sess := range s {
		sess.send("show access-lists")
		sess.must(rule, 3*time.Second, "a session open at the bind stopped answering")
		sess.must(freshPrompt("device# "), 3*time.Second, "a session open at the bind stopped answering")
	}

	// 4. A fourth login from the same source, and any from a source no rule
	// permits, fail at the SYN.
	errs := make(chan error, 2)
	for _, a := range []string{src, "10.24.12.108"} {
		go func() { errs <- l.refused(a) }()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// 5. The shell shows the three sessions against the limit.
	s[0].send("show access-lists")
	out = s[0].must(regexp.MustCompile(`sessions: [^\r\n]*`), 3*time.Second, "show access-lists")
	require.Contains(t, out, "sessions: 10.24.12.107 3/3", "show access-lists counts the three sessions")
	t.Logf("show access-lists:\n%s", screen(out, 10))
	s[0].must(freshPrompt("device# "), 3*time.Second, "show access-lists")

	// 6. One session ends; within 2 seconds a new login from the source is
	// admitted (the follow daemon the bind started frees the slot).
	s[2].logout()
	loggedOut := time.Now()
	deadline := loggedOut.Add(2 * time.Second)
	var errLogin error
	for time.Now().Before(deadline) {
		var s4 *sshSession
		if s4, errLogin = l.tryLogin(src, time.Until(deadline)+100*time.Millisecond); errLogin == nil {
			t.Logf("a new login from %s admitted %v after a logout", src, time.Since(loggedOut).Round(time.Millisecond))
			s4.send("show access-lists")
			s4.must(rule, 3*time.Second, "the new session answers")
			s4.logout()
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.NoError(t, errLogin, "a new login from %s within 2 s of a logout", src)

	// 7. The daemon is killed: the operators' shells say so at their next line
	// and go on with a new daemon (root's shell starts one, as at first), which
	// recounts the live sessions: the source stays at its limit.
	pid, err := strconv.Atoi(started[1])
	require.NoError(t, err)
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	deadline = time.Now().Add(3 * time.Second)
	for syscall.Kill(pid, 0) == nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	s[0].send("show clock")
	out = s[0].must(freshPrompt("device# "), 5*time.Second, "the shell goes on after the daemon went away")
	require.Regexp(t, daemonStarted, out, "root's shell starts a daemon again and says so")
	require.Contains(t, out, "a new one serves this shell: a new session, at exec mode")
	require.Regexp(t, `\d\d:\d\d:\d\d\.\d+ UTC`, out, "the line the old daemon never had runs in the new one")
	s[1].send("show access-lists")
	out = s[1].must(regexp.MustCompile(`sessions: [^\r\n]*`), 5*time.Second, "show access-lists after the restart")
	require.Contains(t, out, "a new one serves this shell")
	require.NotRegexp(t, daemonStarted, out, "the second shell uses the daemon the first started")
	require.Contains(t, out, "sessions: 10.24.12.107 2/3", "the new daemon counts the two live sessions")
	s[1].must(freshPrompt("device# "), 3*time.Second, "show access-lists")
	if err := l.refused("10.24.12.108"); err != nil {
		t.Fatal(err)
	}

	// 8. Another program flushes the ruleset (as nftables.service does when it
	// starts): within a second the table is back, the two sessions keep working
	// and still count, other sources stay refused, and show says what happened.
	l.devExec("nft", "flush", "ruleset")
	flushed := time.Now()
	for !strings.Contains(l.devExec("nft", "list", "table", "inet", "aclsh"), "ct count over") {
		require.Less(t, time.Since(flushed), time.Second, "the table is back within a second of nft flush ruleset")
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("the table was back %v after nft flush ruleset", time.Since(flushed).Round(time.Millisecond))
	require.NoError(t, l.refused("10.24.12.108"))
	s[1].send("show access-lists")
	out = s[1].must(regexp.MustCompile(`% aclsh follow put table inet aclsh back once after another program deleted or changed it; last at [^\r\n]* \(deleted by nft \(pid \d+\)\)`), 3*time.Second, "show after the flush")
	require.Contains(t, out, "sessions: 10.24.12.107 2/3", "the sessions open before the flush still count")
	s[1].must(freshPrompt("device# "), 3*time.Second, "show access-lists")

	for _, sess := range s[:2] {
		sess.logout()
	}
}

// operatorAccount creates a system group and a member of it for the test (as
// `make install` creates group aclsh and an administrator adds operators to
// it), and removes both when the test ends.
func operatorAccount(t *testing.T) (name, group string) {
	t.Helper()
	needs.Program(t, "useradd", "passwd")
	suffix := fmt.Sprintf("%d%d", os.Getpid()%100000, sshLabSeq.Add(1))
	group, name = "aclg"+suffix, "aclop"+suffix
	sshRun(t, "groupadd", "--system", group)
	t.Cleanup(func() { exec.Command("groupdel", group).Run() })
	sshRun(t, "useradd", "--system", "--no-create-home", "--home-dir", "/", "--shell", "/bin/sh", "--gid", group, name)
	t.Cleanup(func() { exec.Command("userdel", name).Run() })
	// No password, but not locked: sshd (without PAM) refuses a locked account
	// even for a key.
	sshRun(t, "usermod", "-p", "*", name)
	return name, group
}

// TestSSHSeed001DocumentedInstall is seed 001 on the documented install: the
// daemon runs as root as its unit runs it, with the configuring group
// (--admin-group); the operator is an ordinary user of that group who logs in
// over SSH and gets aclsh (ForceCommand), with no capability, no setcap, no
// sudo. Three sessions from 10.24.12.107 bind the connlimit 3 line from one of
// them; all three keep working, a fourth login and any login from elsewhere are
// refused, a logout frees a slot; the operator's aclsh processes hold no
// capability and the daemon is the only process that changes the kernel.
func TestSSHSeed001DocumentedInstall(t *testing.T) {
	op, group := operatorAccount(t)
	l := newSSHLab(t, withUser(op))
	g, err := user.LookupGroup(group)
	require.NoError(t, err)
	gid, _ := strconv.Atoi(g.Gid)
	require.NoError(t, os.Chown(l.state, 0, gid))
	require.NoError(t, os.Chmod(l.state, 0o770|os.ModeSetgid))
	var daemonLog syncBuffer
	l.startDaemon("aclsh follow", &daemonLog, "sh", "-c", "umask 027; exec \"$@\"", "sh",
		binary, "follow", "--mgmt-if", "mgmt0", "--state-dir", l.state, "--admin-group", group)
	waitDaemon(t, l.dev)
	const src = "10.24.12.107"
	s := []*sshSession{l.login(src), l.login(src), l.login(src)}
	for _, sess := range s {
		require.NotContains(t, sess.out.String(), "started one", "the unit's daemon serves the operator")
	}
	step := func(line, want string) string {
		t.Helper()
		s[0].send(line)
		return s[0].must(freshPrompt(want), 3*time.Second, line)
	}
	step("conf t", "device(config)# ")
	step("ip access-list extended check", "device(conf-ipacl-ext)# ")
	step("permit tcp host 10.24.12.107 host 10.24.12.129 eq 22 connlimit 3", "device(conf-ipacl-ext)# ")
	step("exit", "device(config)# ")
	step("interface management 0", "device(config-Management-0)# ")
	out := step("ip access-group check in", "device(config-Management-0)# ")
	require.NotContains(t, out, "% Error", "the operator of the configuring group commits")
	step("end", "device# ")
	require.Contains(t, l.devExec("nft", "list", "table", "inet", "aclsh"), "ct count over 3")

	rule := regexp.MustCompile(`sessions: 10\.24\.12\.107 3/3`)
	for _, sess := range s {
		sess.send("show access-lists")
		sess.must(rule, 3*time.Second, "a session open at the bind counts and answers")
		sess.must(freshPrompt("device# "), 3*time.Second, "show access-lists")
	}
	for _, from := range []string{src, "10.24.12.108"} {
		if err := l.refused(from); err != nil {
			t.Fatal(err)
		}
	}

	// The operator's aclsh processes: uid of the operator, no capability.
	u, err := user.Lookup(op)
	require.NoError(t, err)
	clients, daemons := 0, 0
	pids, _ := exec.Command("ip", "netns", "pids", l.dev).Output()
	for _, pid := range strings.Fields(string(pids)) {
		comm, _ := os.ReadFile("/proc/" + pid + "/comm")
		if strings.TrimSpace(string(comm)) != "aclsh" {
			continue
		}
		argv, _ := os.ReadFile("/proc/" + pid + "/cmdline")
		status, err := os.ReadFile("/proc/" + pid + "/status")
		require.NoError(t, err)
		t.Logf("aclsh pid %s: %q", pid, strings.ReplaceAll(string(argv), "\x00", " "))
		if strings.Contains(string(argv), "\x00follow\x00") {
			daemons++
			require.Regexp(t, `(?m)^Uid:\s+0\s`, string(status), "the daemon runs as root")
			continue
		}
		clients++
		require.Regexp(t, `(?m)^Uid:\s+`+u.Uid+`\s`, string(status), "a client runs as the operator")
		require.Regexp(t, `(?m)^CapEff:\s+0+$`, string(status), "a client holds no capability")
	}
	require.Equal(t, 1, daemons, "one daemon")
	require.Equal(t, 3, clients, "the three operators' shells")

	// A logout frees a slot: a new login is admitted within 2 s.
	s[2].logout()
	deadline := time.Now().Add(2 * time.Second)
	var errLogin error
	for time.Now().Before(deadline) {
		var s4 *sshSession
		if s4, errLogin = l.tryLogin(src, time.Until(deadline)+100*time.Millisecond); errLogin == nil {
			s4.logout()
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.NoError(t, errLogin, "a new login from %s within 2 s of a logout", src)
	if t.Failed() {
		t.Logf("daemon log:\n%s", daemonLog.String())
	}
}
