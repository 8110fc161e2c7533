package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/internal/echo"
)

// Issue 17: a CLI-only operator cannot forward. sshd's ForceCommand replaces the
// command a login runs, but forwarding needs none (ssh -N -L/-R/-D, ssh -W), and
// a forwarded connection starts on the device itself, from loopback, where the
// management ACL does not filter: it reaches local services the ACL refuses from
// outside. contrib/sshd-aclsh.conf (installed as /etc/ssh/sshd_config.d/aclsh.conf)
// turns every kind of forwarding off.

// dropInForLab returns contrib/sshd-aclsh.conf as the lab's sshd uses it: its text
// unchanged but for two lines. The Match line: the drop-in matches the groups
// aclsh and aclsh-view, but the lab logs in as root (the one user every machine
// has, authorized by the lab's key), and creating groups or users would change
// this machine's /etc; so `Match User root` stands for the group match, and the
// block's body is what an operator in those groups gets. The ForceCommand line:
// the installed path becomes the lab's aclsh with its flags (state directory,
// management interface), with the host name dropin, so that the prompt shows
// that the drop-in's ForceCommand, not the lab's global one, runs the login.
func dropInForLab(t *testing.T) func(l *sshLab) string {
	text, err := os.ReadFile("../../contrib/sshd-aclsh.conf")
	require.NoError(t, err)
	const match, force = "Match Group aclsh,aclsh-view\n", "\tForceCommand /usr/local/sbin/aclsh\n"
	for _, line := range []string{match, force} {
		require.Equal(t, 1, strings.Count(string(text), line), "contrib/sshd-aclsh.conf has the line %q once", line)
	}
	return func(l *sshLab) string {
		conf := strings.Replace(string(text), match, "Match User root\n", 1)
		return "\n" + strings.Replace(conf, force, "\tForceCommand "+strings.Replace(l.command, "--hostname device", "--hostname dropin", 1)+"\n", 1)
	}
}

// TestSSHForwardingRefused: through a ForceCommand login, every kind of
// forwarding reaches a service on the device's loopback that the bound ACL
// refuses from outside, until the drop-in is in sshd's config; with it, -L, -R,
// -D, -W and -L to a Unix socket are all refused by sshd and no forwarded
// connection reaches the echo servers, while the login still gets the shell.
// The first half is the control: without it the test could pass with forwarding
// broken in some other way.
func TestSSHForwardingRefused(t *testing.T) {
	dropIn := dropInForLab(t)
	for _, tc := range []struct {
		name    string
		opts    []sshLabOption
		host    string // the prompt's host name: whose ForceCommand runs
		refused bool
	}{
		{"lab config alone, the control", nil, "device", false},
		{"with the drop-in", []sshLabOption{withSSHDConfig(dropIn)}, "dropin", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newSSHLab(t, tc.opts...)
			f := newForwardLab(l)
			if tc.refused {
				// What the kernel cases below do not exercise (agent, X11, tun
				// devices, ~/.ssh/rc), as sshd resolves it for the login.
				out, err := exec.Command(sshdPath, "-T", "-f", filepath.Join(l.dir, "sshd_config"),
					"-C", "user=root,host=client,addr=10.24.12.107").CombinedOutput()
				require.NoError(t, err, "sshd -T: %s", out)
				for _, want := range []string{"disableforwarding yes", "allowtcpforwarding no", "allowstreamlocalforwarding no",
					"allowagentforwarding no", "x11forwarding no", "permittunnel no", "permitopen none", "permitlisten none",
					"permituserrc no", "permittty yes", "forcecommand " + binary} {
					require.Regexp(t, `(?m)^`+regexp.QuoteMeta(want)+`( |$)`, string(out), "sshd -T for the login")
				}
			}

			// The login gets the shell; it binds a list that admits only SSH, so
			// the device's port 80 is refused from outside.
			s := l.dial("10.24.12.107")
			s.must(regexp.MustCompile(regexp.QuoteMeta(tc.host)+`#`), 5*time.Second, "login")
			step := func(line, want string) {
				t.Helper()
				s.send(line)
				out := s.must(freshPrompt(want), 3*time.Second, fmt.Sprintf("after %q", line))
				require.NotContains(t, out, "% Error")
			}
			step("conf t", tc.host+"(config)# ")
			step("ip access-list extended mgmt", tc.host+"(conf-ipacl-ext)# ")
			step("permit tcp any host "+sshDevAddr+" eq 22", tc.host+"(conf-ipacl-ext)# ")
			step("interface management 0", tc.host+"(config-Management-0)# ")
			step("ip access-group mgmt in", tc.host+"(config-Management-0)# ")
			step("end", tc.host+"# ")
			s.logout()
			var direct error
			inNetNS(t, l.cli, func() {
				var c net.Conn
				if c, direct = net.DialTimeout("tcp", sshDevAddr+":80", time.Second); direct == nil {
					c.Close()
				}
			})
			require.Error(t, direct, "the ACL refuses the device's port 80 from outside")
			require.Zero(t, f.devHits.Load())

			for _, fc := range f.cases() {
				start := time.Now()
				refusals := len(sshdRefusal.FindAllString(l.sshdLog.String(), -1))
				p := l.forward(fc.args...)
				reached := fc.use(p)
				p.stop()
				out := p.output()
				t.Logf("ssh %s: reached=%v after %v; ssh said: %s", strings.Join(fc.args, " "), reached,
					time.Since(start).Round(time.Millisecond), strings.TrimSpace(out))
				if tc.refused {
					require.False(t, reached, "ssh %s: the forward answered", strings.Join(fc.args, " "))
					if fc.refusal != "" {
						require.Contains(t, out, fc.refusal, "ssh %s: sshd refuses it", strings.Join(fc.args, " "))
						continue
					}
					// sshd logs the refusal before it answers ssh; its log is copied
					// into the lab's buffer a moment later.
					deadline := time.Now().Add(time.Second)
					for len(sshdRefusal.FindAllString(l.sshdLog.String(), -1)) == refusals && time.Now().Before(deadline) {
						time.Sleep(10 * time.Millisecond)
					}
					require.Greater(t, len(sshdRefusal.FindAllString(l.sshdLog.String(), -1)), refusals,
						"ssh %s: sshd logs a refusal (%s)", strings.Join(fc.args, " "), sshdRefusal)
				} else {
					require.True(t, reached, "ssh %s: the forward does not answer without the drop-in (control); ssh said: %s", strings.Join(fc.args, " "), out)
				}
			}
			want := int32(0)
			if !tc.refused {
				want = 1
			}
			require.Equal(t, 3*want, f.devHits.Load(), "connections at the device's echo server (-L, -D, -W)")
			require.Equal(t, want, f.cliHits.Load(), "connections at the client's echo server (-R)")
			require.Equal(t, want, f.unixHits.Load(), "connections at the device's Unix socket")
		})
	}
}

// forwardLab holds the echo servers the forwards aim at, each counting the
// connections it accepts: on the device 0.0.0.0:80 (its loopback included) and a
// Unix socket, on the client 127.0.0.1:80 (the target of -R).
type forwardLab struct {
	l                          *sshLab
	sock                       string
	devHits, cliHits, unixHits atomic.Int32
}

func newForwardLab(l *sshLab) *forwardLab {
	f := &forwardLab{l: l, sock: filepath.Join(l.dir, "echo.sock")}
	serve := func(ns, network, addr string, hits *atomic.Int32) {
		var ln net.Listener
		listen := func() {
			var err error
			ln, err = net.Listen(network, addr)
			require.NoError(l.t, err, "listen %s %s", network, addr)
		}
		if ns == "" {
			listen()
		} else {
			inNetNS(l.t, ns, listen)
		}
		l.t.Cleanup(func() { ln.Close() })
		go echo.ServeTCP(countingListener{ln, hits})
	}
	serve(l.dev, "tcp", "0.0.0.0:80", &f.devHits)
	serve(l.cli, "tcp", "127.0.0.1:80", &f.cliHits)
	serve("", "unix", f.sock, &f.unixHits)
	return f
}

type countingListener struct {
	net.Listener
	hits *atomic.Int32
}

func (c countingListener) Accept() (net.Conn, error) {
	conn, err := c.Listener.Accept()
	if err == nil {
		c.hits.Add(1)
	}
	return conn, err
}

type forwardCase struct {
	args []string                 // ssh's options
	use  func(p *sshForward) bool // opens a connection through the forward: did the echo answer?
	// If set, what ssh says when sshd refuses the forward (sshd logs nothing at
	// VERBOSE when it refuses -R); else sshd logs a refusal (sshdRefusal).
	refusal string
}

// sshdRefusal is what sshd logs when it refuses a channel to a TCP port or a Unix
// socket: by AllowTcpForwarding or AllowStreamLocalForwarding (DisableForwarding
// sets both), or by PermitOpen.
var sshdRefusal = regexp.MustCompile(`refused (local|streamlocal) port forward: |Received request to connect to .*, but the request was denied\.`)

// The ports the client listens on (-L, -D) and the device (-R): in the lab's own
// namespaces, so they collide with nothing.
func (f *forwardLab) cases() []forwardCase {
	local := func(port string) func(p *sshForward) bool {
		return func(p *sshForward) bool {
			c := p.dialWhileUp(f.l.cli, "127.0.0.1:"+port)
			return c != nil && echoes(c)
		}
	}
	return []forwardCase{
		{args: []string{"-N", "-L", "127.0.0.1:18080:127.0.0.1:80"}, use: local("18080")},
		{args: []string{"-N", "-L", "127.0.0.1:18083:" + f.sock}, use: local("18083")},
		{args: []string{"-N", "-R", "127.0.0.1:18081:127.0.0.1:80"}, use: func(p *sshForward) bool {
			c := p.dialWhileUp(f.l.dev, "127.0.0.1:18081")
			return c != nil && echoes(c)
		}, refusal: "Error: remote port forwarding failed for listen port 18081"},
		{args: []string{"-N", "-D", "127.0.0.1:18082"}, use: func(p *sshForward) bool {
			c := p.dialWhileUp(f.l.cli, "127.0.0.1:18082")
			return c != nil && socks5(c, [4]byte{127, 0, 0, 1}, 80) && echoes(c)
		}},
		{args: []string{"-W", "127.0.0.1:80"}, use: func(p *sshForward) bool {
			io.WriteString(p.stdin, "ping\n")
			deadline := time.Now().Add(3 * time.Second)
			for time.Now().Before(deadline) {
				if p.stdout.String() == "ping\n" {
					return true
				}
				select {
				case <-p.done:
					return p.stdout.String() == "ping\n"
				case <-time.After(20 * time.Millisecond):
				}
			}
			return false
		}},
	}
}

// echoes reports whether a line written to c comes back within 2 s; it closes c.
func echoes(c net.Conn) bool {
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, "ping\n"); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && line == "ping\n"
}

// socks5 asks the SOCKS5 server at the other end of c (ssh -D) to connect to
// addr:port and reports whether it says it did.
func socks5(c net.Conn, addr [4]byte, port uint16) bool {
	c.SetDeadline(time.Now().Add(2 * time.Second))
	b := make([]byte, 10)
	if _, err := c.Write([]byte{5, 1, 0}); err != nil { // version 5, one method: no authentication
		return false
	}
	if _, err := io.ReadFull(c, b[:2]); err != nil || b[0] != 5 || b[1] != 0 {
		return false
	}
	req := append([]byte{5, 1, 0, 1}, addr[:]...) // CONNECT, IPv4 address
	if _, err := c.Write(append(req, byte(port>>8), byte(port))); err != nil {
		return false
	}
	if _, err := io.ReadFull(c, b); err != nil || b[1] != 0 {
		return false
	}
	c.SetDeadline(time.Time{})
	return true
}

// sshForward is one ssh client in the client namespace that logs in only to
// forward (no pty, no command).
type sshForward struct {
	l              *sshLab
	cmd            *exec.Cmd
	stdin          io.WriteCloser
	stdout, stderr syncBuffer
	done           chan struct{}
}

// forward starts ssh from 10.24.12.107 with args before the destination. It
// logs at INFO (the lab's sessions log only errors), as that is where ssh says
// that sshd refused a channel.
func (l *sshLab) forward(args ...string) *sshForward {
	l.t.Helper()
	full := append([]string{"netns", "exec", l.cli, "ssh", "-F", "/dev/null",
		"-i", l.key, "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "ConnectTimeout=2", "-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes",
		"-b", "10.24.12.107"}, args...)
	p := &sshForward{l: l, cmd: exec.Command("ip", append(full, "root@"+sshDevAddr)...), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	p.cmd.WaitDelay = time.Second
	in, err := p.cmd.StdinPipe()
	require.NoError(l.t, err)
	p.stdin = in
	require.NoError(l.t, p.cmd.Start())
	go func() { p.cmd.Wait(); close(p.done) }()
	l.t.Cleanup(p.stop)
	return p
}

// dialWhileUp connects to addr in namespace ns as soon as something listens
// there (ssh sets the forward up after it logged in), for up to 3 s or until ssh
// ends; nil if nothing did.
func (p *sshForward) dialWhileUp(ns, addr string) net.Conn {
	var c net.Conn
	inNetNS(p.l.t, ns, func() {
		deadline := time.Now().Add(3 * time.Second)
		for {
			var err error
			if c, err = net.DialTimeout("tcp", addr, time.Second); err == nil || time.Now().After(deadline) {
				return
			}
			select {
			case <-p.done:
				c, _ = net.DialTimeout("tcp", addr, time.Second) // once more: it may have listened
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	return c
}

// stop ends ssh (if it still runs) and waits for it.
func (p *sshForward) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.stdin.Close()
	p.cmd.Process.Kill() // ip netns exec execs: this is ssh
	<-p.done
}

func (p *sshForward) output() string { return p.stderr.String() }
