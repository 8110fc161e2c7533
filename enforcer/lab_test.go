package enforcer_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netns"

	"github.com/aclsh/aclsh/acl"
	statedir "github.com/aclsh/aclsh/config"
	. "github.com/aclsh/aclsh/enforcer"
	"github.com/aclsh/aclsh/internal/echo"
	"github.com/aclsh/aclsh/internal/labns"
	"github.com/aclsh/aclsh/internal/needs"
	"github.com/aclsh/aclsh/shell"
)

var labSeq atomic.Int32

// lab is a throwaway set of network namespaces:
//
//	dev: mgmt0 10.24.12.129/24 fd77::129/64 (management 0), other0 10.78.0.1/24
//	cli: eth0 10.24.12.107-110/24, fd77::107/64, on mgmt0's LAN
//	cli2: eth0 10.78.0.2/24, on other0's LAN
type lab struct {
	t              testing.TB
	dev, cli, cli2 string
	devNS          netns.NsHandle
	e              *Enforcer
}

func run(t testing.TB, args ...string) {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	require.NoError(t, err, "%s: %s", strings.Join(args, " "), out)
}

// sweep removes, once per test process, the labs of test runs that were killed
// (their pid is dead); those of live processes are never touched.
var sweep sync.Once

func newLab(t testing.TB) *lab {
	needs.Root(t)
	sweep.Do(func() { labns.Sweep("acl") })
	n := fmt.Sprintf("acl%d-%d", os.Getpid(), labSeq.Add(1)) // only this process's: pid and a counter
	l := &lab{t: t, dev: n + "d", cli: n + "c", cli2: n + "x"}
	for _, ns := range []string{l.dev, l.cli, l.cli2} {
		run(t, "ip", "netns", "add", ns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	}
	in := func(ns string, args ...string) { run(t, append([]string{"ip", "-n", ns}, args...)...) }
	in(l.dev, "link", "add", "mgmt0", "type", "veth", "peer", "name", "eth0", "netns", l.cli)
	in(l.dev, "link", "add", "other0", "type", "veth", "peer", "name", "eth0", "netns", l.cli2)
	in(l.dev, "addr", "add", "10.24.12.129/24", "dev", "mgmt0")
	in(l.dev, "addr", "add", "fd77::129/64", "dev", "mgmt0", "nodad")
	in(l.dev, "addr", "add", "10.78.0.1/24", "dev", "other0")
	for _, a := range []string{"10.24.12.107/24", "10.24.12.108/24", "10.24.12.109/24", "10.24.12.110/24"} {
		in(l.cli, "addr", "add", a, "dev", "eth0")
	}
	in(l.cli, "addr", "add", "fd77::107/64", "dev", "eth0", "nodad")
	in(l.cli2, "addr", "add", "10.78.0.2/24", "dev", "eth0")
	for _, ns := range []string{l.dev, l.cli, l.cli2} {
		in(ns, "link", "set", "lo", "up")
	}
	in(l.dev, "link", "set", "mgmt0", "up")
	in(l.dev, "link", "set", "other0", "up")
	in(l.cli, "link", "set", "eth0", "up")
	in(l.cli2, "link", "set", "eth0", "up")
	h, err := netns.GetFromName(l.dev)
	require.NoError(t, err)
	t.Cleanup(func() { h.Close() })
	l.devNS = h
	l.e = &Enforcer{IfName: "mgmt0", NetNS: int(h)}
	t.Cleanup(l.e.Close)
	return l
}

// inNS runs f on a thread inside namespace ns. Sockets f opens stay there.
func inNS(t testing.TB, ns string, f func()) {
	h, err := netns.GetFromName(ns)
	require.NoError(t, err)
	defer h.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		require.NoError(t, netns.Set(h))
		f()
	}()
	<-done
}

// serveTCP starts an echo server in the device namespace and returns its port.
func (l *lab) serveTCP(addr string) {
	var ln net.Listener
	inNS(l.t, l.dev, func() {
		var err error
		ln, err = net.Listen("tcp", addr)
		require.NoError(l.t, err)
	})
	l.t.Cleanup(func() { ln.Close() })
	go echo.ServeTCP(ln)
}

// serveUDP starts a UDP echo server in the device namespace.
func (l *lab) serveUDP(addr string) {
	var pc net.PacketConn
	inNS(l.t, l.dev, func() {
		var err error
		pc, err = net.ListenPacket("udp", addr)
		require.NoError(l.t, err)
	})
	l.t.Cleanup(func() { pc.Close() })
	go echo.ServeUDP(pc)
}

// dial opens a TCP connection from ns (source address src) to addr, and proves it
// works with one echo. A connection the ACL drops times out.
func (l *lab) dial(ns, src, addr string) (net.Conn, error) {
	return l.dialTimeout(ns, src, addr, 700*time.Millisecond)
}

func (l *lab) dialTimeout(ns, src, addr string, timeout time.Duration) (net.Conn, error) {
	var c net.Conn
	var err error
	inNS(l.t, ns, func() {
		d := net.Dialer{Timeout: timeout}
		if src != "" {
			d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
		}
		c, err = d.Dial("tcp", addr)
	})
	if err != nil {
		return nil, err
	}
	if err := echoOnce(c); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// echoOnce sends a line and waits for it to come back.
func echoOnce(c net.Conn) error {
	c.SetDeadline(time.Now().Add(time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := fmt.Fprintf(c, "ping\n"); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "ping\n" {
		return fmt.Errorf("echo got %q", line)
	}
	return nil
}

// udpExchange sends a datagram from ns (src, a fresh source port) and waits for the
// echo.
func (l *lab) udpExchange(ns, src, addr string) (net.Conn, error) {
	var c net.Conn
	var err error
	inNS(l.t, ns, func() {
		d := net.Dialer{}
		if src != "" {
			d.LocalAddr = &net.UDPAddr{IP: net.ParseIP(src)}
		}
		c, err = d.Dial("udp", addr)
	})
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(700 * time.Millisecond))
	defer c.SetDeadline(time.Time{})
	if _, err := c.Write([]byte("x")); err != nil {
		c.Close()
		return nil, err
	}
	b := make([]byte, 16)
	if _, err := c.Read(b); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// follow runs the session daemon for cfg in the background until the test ends.
func (l *lab) follow(cfg *acl.Config) {
	log := &syncLog{}
	l.followWith(func(f func(*acl.Config) error) error { return f(cfg) }, log)
	l.t.Cleanup(func() {
		if l.t.Failed() {
			l.t.Logf("follow daemon log:\n%s", log)
		}
	})
}

func (l *lab) followWith(view func(func(*acl.Config) error) error, log *syncLog) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := l.e.Follow(ctx, view, log.printf); err != nil {
			log.printf("Follow: %v", err)
		}
	}()
	l.t.Cleanup(func() { cancel(); <-done })
}

// syncLog collects a daemon's log lines.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncLog) printf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(&s.b, format+"\n", args...)
}

func (s *syncLog) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// nft runs the nft program in the device namespace.
func (l *lab) nft(args ...string) string {
	out, err := exec.Command("ip", append([]string{"netns", "exec", l.dev, "nft"}, args...)...).CombinedOutput()
	require.NoError(l.t, err, "nft %v: %s", args, out)
	return string(out)
}

// typist is an interactive shell on the lab's kernel, as an operator types
// into it: run enters lines (each must succeed) and returns what they wrote.
type typist struct {
	sh  *shell.Shell
	out *strings.Builder
}

// shell starts an interactive shell on the lab's kernel with a state directory
// of its own (store: nil) or the given one.
func (l *lab) shell(store *statedir.Store) *typist {
	l.t.Helper()
	if store == nil {
		store = &statedir.Store{Dir: l.t.TempDir()}
	}
	out := &strings.Builder{}
	sh, err := shell.New(shell.Options{Host: "device", Store: store, Out: out, Err: out, Enforcer: l.e, IfName: "mgmt0", Interactive: true})
	require.NoError(l.t, err)
	return &typist{sh: sh, out: out}
}

// run enters lines and returns their output.
func (ty *typist) run(t testing.TB, lines ...string) string {
	t.Helper()
	ty.out.Reset()
	for _, line := range lines {
		require.NoError(t, ty.sh.Run(line), line)
	}
	return ty.out.String()
}

// pinNeighbours makes the device and the client know each other's IPv6
// link-layer addresses for good: lists may drop neighbour discovery.
func (l *lab) pinNeighbours(clientAddrs ...string) {
	mac := func(ns, dev string) string {
		out, err := exec.Command("ip", "-n", ns, "-br", "link", "show", "dev", dev).CombinedOutput()
		require.NoError(l.t, err, "%s", out)
		return strings.Fields(string(out))[2]
	}
	cliMAC, devMAC := mac(l.cli, "eth0"), mac(l.dev, "mgmt0")
	for _, a := range clientAddrs {
		run(l.t, "ip", "-n", l.dev, "neigh", "replace", a, "lladdr", cliMAC, "dev", "mgmt0", "nud", "permanent")
	}
	run(l.t, "ip", "-n", l.cli, "neigh", "replace", "fd77::129", "lladdr", devMAC, "dev", "eth0", "nud", "permanent")
}
