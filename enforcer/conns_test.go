package enforcer_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	. "github.com/aclsh/aclsh/enforcer"
	"github.com/aclsh/aclsh/internal/echo"
)

// These tests start where a host with no firewall is: nothing loaded in the device
// namespace when the sessions open, so conntrack does not track them.

const connsMark = 0x80010000 // an aclsh mark: the tag bit and a line's number

// holdRuleset drops what arrives on mgmt0 unless its conntrack entry carries
// connsMark: only sessions setMarks gave an entry pass, and new connections do not.
const holdRuleset = `table inet t {
	chain input {
		type filter hook input priority filter; policy drop;
		iifname != "mgmt0" accept
		meta l4proto ipv6-icmp accept
		ct mark 0x80010000 accept
	}
}`

// ctOnRuleset accepts everything but makes the kernel track connections.
const ctOnRuleset = `table inet on {
	chain input { type filter hook input priority filter; ct state established accept; }
	chain output { type filter hook output priority filter; ct state established accept; }
}`

// liveSession is a TCP connection from a client namespace into the device: cli
// is the client's end, dev the device's (accepted) end.
type liveSession struct {
	cli, dev net.Conn
}

// port is the session's client (source) port.
func (s liveSession) port() uint16 { return uint16(s.cli.LocalAddr().(*net.TCPAddr).Port) }

// keepServer listens in the device namespace, echoes lines and hands the accepted
// ends to the test, so that the device side can write first.
func (l *lab) keepServer(network, addr string) <-chan net.Conn {
	var ln net.Listener
	inNS(l.t, l.dev, func() {
		var err error
		ln, err = net.Listen(network, addr)
		require.NoError(l.t, err)
	})
	l.t.Cleanup(func() { ln.Close() })
	ch := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go io.Copy(c, c)
			ch <- c
		}
	}()
	return ch
}

// open dials addr from ns (source src) and takes the device's end from accepted.
func (l *lab) open(accepted <-chan net.Conn, ns, src, addr string) liveSession {
	l.t.Helper()
	c, err := l.dialTimeout(ns, src, addr, 2*time.Second) // 2 s: covers one lost SYN or ARP on a loaded machine
	require.NoError(l.t, err)
	l.t.Cleanup(func() { c.Close() })
	select {
	case d := <-accepted:
		l.t.Cleanup(func() { d.Close() })
		require.Equal(l.t, c.LocalAddr().String(), d.RemoteAddr().String())
		return liveSession{cli: c, dev: d}
	case <-time.After(time.Second):
		l.t.Fatal("server did not accept")
		return liveSession{}
	}
}

// clientEcho sends a line from the client and waits for the echo.
func clientEcho(s liveSession, d time.Duration) error {
	s.cli.SetDeadline(time.Now().Add(d))
	defer s.cli.SetDeadline(time.Time{})
	if _, err := fmt.Fprintf(s.cli, "ping\n"); err != nil {
		return err
	}
	line, err := bufio.NewReader(s.cli).ReadString('\n')
	if err != nil {
		return fmt.Errorf("client first: %w", err)
	}
	if line != "ping\n" {
		return fmt.Errorf("echo got %q", line)
	}
	return nil
}

// deviceWrite writes a line from the device's end and reads it at the client. The
// device's packets leave whatever the input chain says; the client's ACKs do not.
func deviceWrite(s liveSession, d time.Duration) error {
	if _, err := fmt.Fprintf(s.dev, "hello\n"); err != nil {
		return err
	}
	s.cli.SetReadDeadline(time.Now().Add(d))
	defer s.cli.SetReadDeadline(time.Time{})
	line, err := bufio.NewReader(s.cli).ReadString('\n')
	if err != nil {
		return fmt.Errorf("device first: %w", err)
	}
	if line != "hello\n" {
		return fmt.Errorf("device wrote, client got %q", line)
	}
	return nil
}

// nftIn loads a ruleset in the device namespace.
func (l *lab) nftIn(ruleset string) {
	l.t.Helper()
	cmd := exec.Command("ip", "netns", "exec", l.dev, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(ruleset)
	out, err := cmd.CombinedOutput()
	require.NoError(l.t, err, "nft -f -: %s", out)
}

// ctList is `conntrack -L` in the device namespace.
func (l *lab) ctList() string {
	out, err := exec.Command("ip", "netns", "exec", l.dev, "conntrack", "-L").CombinedOutput()
	require.NoError(l.t, err, "conntrack -L: %s", out)
	return string(out)
}

func (l *lab) tcpLoose(v int) {
	run(l.t, "ip", "netns", "exec", l.dev, "sysctl", "-qw", fmt.Sprintf("net.netfilter.nf_conntrack_tcp_loose=%d", v))
}

func tcpConn(src, dst string, sport, dport uint16) Conn {
	return Conn{Proto: 6, Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst), SPort: sport, DPort: dport}
}

func markAll(Conn) uint32 { return connsMark }

// findConn returns the conn of conns with c's 5-tuple.
func findConn(t *testing.T, conns []Conn, c Conn) Conn {
	t.Helper()
	for _, x := range conns {
		if x.Proto == c.Proto && x.Src == c.Src && x.Dst == c.Dst && x.SPort == c.SPort && x.DPort == c.DPort {
			return x
		}
	}
	t.Fatalf("%+v not in %+v", c, conns)
	return Conn{}
}

func TestConnsListed(t *testing.T) {
	l := newLab(t)
	acc := l.keepServer("tcp", ":22") // dual stack: IPv4 sessions are v4-mapped sockets
	var want []Conn
	for range 3 {
		s := l.open(acc, l.cli, "10.24.12.107", "10.24.12.129:22")
		want = append(want, tcpConn("10.24.12.107", "10.24.12.129", s.port(), 22))
	}
	l.open(acc, l.cli2, "10.78.0.2", "10.78.0.1:22")      // arrived on other0
	l.open(acc, l.dev, "127.0.0.1", "127.0.0.1:22")       // loopback
	l.open(acc, l.dev, "10.24.12.129", "10.24.12.129:22") // the host to itself: lo
	var ln net.Listener                                   // a server on the client's side
	inNS(t, l.cli, func() {
		var err error
		ln, err = net.Listen("tcp", "10.24.12.107:2222")
		require.NoError(t, err)
	})
	defer ln.Close()
	go echo.ServeTCP(ln)
	out, err := l.dial(l.dev, "", "10.24.12.107:2222") // outbound from the device
	require.NoError(t, err)
	defer out.Close()

	require.NotContains(t, l.ctList(), "sport=", "nothing loaded: conntrack tracks nothing")
	conns, err := LiveConns(l.e)
	require.NoError(t, err)
	require.ElementsMatch(t, want, conns)
}

func TestConnsHold(t *testing.T) {
	for _, tc := range []struct {
		name, listen, src, ctl, fresh, host, addr string
		loose0                                    bool
	}{
		{"ipv4", ":22", "10.24.12.107", "10.24.12.108", "10.24.12.110", "10.24.12.129", "10.24.12.129:22", false},
		{"ipv4-tcp_loose=0", "10.24.12.129:22", "10.24.12.107", "10.24.12.108", "10.24.12.110", "10.24.12.129", "10.24.12.129:22", true},
		{"ipv6", "[fd77::129]:22", "fd77::107", "fd77::107", "fd77::107", "fd77::129", "[fd77::129]:22", false},
		{"ipv6-tcp_loose=0", "[::]:22", "fd77::107", "fd77::107", "fd77::107", "fd77::129", "[fd77::129]:22", true},
	} {
		for _, deviceFirst := range []bool{false, true} {
			name := tc.name + "/client-first"
			if deviceFirst {
				name = tc.name + "/device-first"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				l := newLab(t)
				if tc.loose0 {
					l.tcpLoose(0)
				}
				acc := l.keepServer("tcp", tc.listen)
				var ss []liveSession
				var want []Conn
				for range 3 {
					s := l.open(acc, l.cli, tc.src, tc.addr)
					ss = append(ss, s)
					want = append(want, tcpConn(tc.src, tc.host, s.port(), 22))
				}
				ctl := l.open(acc, l.cli, tc.ctl, tc.addr) // left unmarked: the control
				require.NotContains(t, l.ctList(), "sport=")

				conns, err := LiveConns(l.e)
				require.NoError(t, err)
				require.ElementsMatch(t, append(want[:3:3], tcpConn(tc.ctl, tc.host, ctl.port(), 22)), conns)
				require.NoError(t, SetMarks(l.e, want, markAll))
				conns, err = LiveConns(l.e)
				require.NoError(t, err)
				for _, c := range want {
					got := findConn(t, conns, c)
					require.True(t, got.Tracked && !got.Reversed && got.Mark == connsMark, "%+v", got)
				}
				require.False(t, findConn(t, conns, tcpConn(tc.ctl, tc.host, ctl.port(), 22)).Tracked)

				l.nftIn(holdRuleset)
				for _, s := range ss {
					if deviceFirst {
						require.NoError(t, deviceWrite(s, time.Second))
						require.NoError(t, clientEcho(s, time.Second))
					} else {
						require.NoError(t, clientEcho(s, time.Second))
						require.NoError(t, deviceWrite(s, time.Second))
					}
					require.NoError(t, clientEcho(s, time.Second))
				}
				// The control proves the ruleset would have cut them.
				if deviceFirst {
					deviceWrite(ctl, 300*time.Millisecond) // out passes; the client's ACK does not
				}
				require.Error(t, clientEcho(ctl, 300*time.Millisecond), "an unmarked liveSession passes")
				_, err = l.dialTimeout(l.cli, tc.fresh, tc.addr, 300*time.Millisecond)
				require.Error(t, err, "a new connection passes")
			})
		}
	}
}

// A session conntrack picked up from the device's own packet is held host -> client.
func TestConnsReversed(t *testing.T) {
	l := newLab(t)
	acc := l.keepServer("tcp", ":22")
	a := l.open(acc, l.cli, "10.24.12.107", "10.24.12.129:22")
	b := l.open(acc, l.cli, "10.24.12.108", "10.24.12.129:22")
	stale, err := LiveConns(l.e)
	require.NoError(t, err)
	require.Len(t, stale, 2)

	l.nftIn(ctOnRuleset)
	require.NoError(t, deviceWrite(a, time.Second))
	require.NoError(t, deviceWrite(b, time.Second))
	ct := l.ctList()
	require.Contains(t, ct, fmt.Sprintf("src=10.24.12.129 dst=10.24.12.107 sport=22 dport=%d", a.port()))
	require.Contains(t, ct, fmt.Sprintf("src=10.24.12.129 dst=10.24.12.108 sport=22 dport=%d", b.port()))
	l.nft("delete", "table", "inet", "on")

	conns, err := LiveConns(l.e)
	require.NoError(t, err)
	ca := findConn(t, conns, tcpConn("10.24.12.107", "10.24.12.129", a.port(), 22))
	require.True(t, ca.Tracked && ca.Reversed && ca.Mark == 0, "%+v", ca)
	require.NoError(t, SetMarks(l.e, []Conn{ca}, markAll))
	// b as listed before conntrack had it: Create meets EEXIST and updates instead.
	cb := findConn(t, stale, tcpConn("10.24.12.108", "10.24.12.129", b.port(), 22))
	require.False(t, cb.Tracked)
	require.NoError(t, SetMarks(l.e, []Conn{cb}, markAll))
	// A session that ended meanwhile is skipped.
	gone := tcpConn("10.24.12.109", "10.24.12.129", 1, 22)
	gone.Tracked = true
	require.NoError(t, SetMarks(l.e, []Conn{gone}, markAll))

	conns, err = LiveConns(l.e)
	require.NoError(t, err)
	for _, c := range []Conn{ca, cb} {
		got := findConn(t, conns, c)
		require.True(t, got.Tracked && got.Reversed && got.Mark == connsMark, "%+v", got)
	}

	l.tcpLoose(0)
	l.nftIn(holdRuleset)
	for _, s := range []liveSession{a, b} {
		require.NoError(t, clientEcho(s, time.Second))
		require.NoError(t, deviceWrite(s, time.Second))
		require.NoError(t, clientEcho(s, time.Second))
	}
	_, err = l.dialTimeout(l.cli, "10.24.12.110", "10.24.12.129:22", 300*time.Millisecond)
	require.Error(t, err, "a new connection passes")
}

func TestConnsWatchEnds(t *testing.T) {
	l := newLab(t)
	acc4 := l.keepServer("tcp4", "0.0.0.0:22") // AF_INET sockets
	acc6 := l.keepServer("tcp", "[::]:2222")   // AF_INET6, v4-mapped for IPv4 peers
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ends, errs, err := WatchTCPEnds(ctx, l.e)
	require.NoError(t, err)

	for _, tc := range []struct {
		acc       <-chan net.Conn
		src, addr string
		want      Conn
		devFirst  bool // the device closes first: its socket goes to TIME_WAIT
	}{
		{acc4, "10.24.12.109", "10.24.12.129:22", tcpConn("10.24.12.109", "10.24.12.129", 0, 22), false},
		{acc4, "10.24.12.109", "10.24.12.129:22", tcpConn("10.24.12.109", "10.24.12.129", 0, 22), true},
		{acc6, "10.24.12.109", "10.24.12.129:2222", tcpConn("10.24.12.109", "10.24.12.129", 0, 2222), false},
		{acc6, "fd77::107", "[fd77::129]:2222", tcpConn("fd77::107", "fd77::129", 0, 2222), true},
	} {
		s := l.open(tc.acc, l.cli, tc.src, tc.addr)
		tc.want.SPort = s.port()
		if tc.devFirst {
			s.dev.Close()
			s.cli.Close()
		} else {
			s.cli.Close()
			s.dev.Close()
		}
		timeout := time.After(time.Second)
	wait:
		for {
			select {
			case c := <-ends:
				if c == tc.want {
					break wait
				}
			case err := <-errs:
				t.Fatal(err)
			case <-timeout:
				t.Fatalf("no end reported for %+v", tc.want)
			}
		}
	}
	cancel()
	select {
	case <-errs: // closed
	case <-time.After(time.Second):
		t.Fatal("watchTCPEnds did not stop")
	}
}

// icmpEcho sends an ICMP echo request with identifier id from ns (source src) to
// dst and waits for the reply.
func (l *lab) icmpEcho(ns, src, dst string, id uint16) {
	var pc net.PacketConn
	inNS(l.t, ns, func() {
		var err error
		pc, err = net.ListenPacket("ip4:icmp", src)
		require.NoError(l.t, err)
	})
	defer pc.Close()
	m := []byte{8, 0, 0, 0, 0, 0, 0, 1}
	binary.BigEndian.PutUint16(m[4:], id)
	var sum uint32
	for i := 0; i < len(m); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(m[i:]))
	}
	sum = sum>>16 + sum&0xffff
	binary.BigEndian.PutUint16(m[2:], ^uint16(sum+sum>>16))
	_, err := pc.WriteTo(m, &net.IPAddr{IP: net.ParseIP(dst)})
	require.NoError(l.t, err)
	pc.SetReadDeadline(time.Now().Add(time.Second))
	b := make([]byte, 1500)
	for {
		n, _, err := pc.ReadFrom(b)
		require.NoError(l.t, err, "no echo reply")
		if n >= 8 && b[0] == 0 && binary.BigEndian.Uint16(b[4:]) == id {
			return
		}
	}
}

func TestConnsUDP(t *testing.T) {
	l := newLab(t)
	l.nftIn(ctOnRuleset) // conntrack on: flows other than TCP are known only to it
	l.serveUDP(":5353")
	u, err := l.udpExchange(l.cli, "10.24.12.109", "10.24.12.129:5353")
	require.NoError(t, err)
	defer u.Close()
	u2, err := l.udpExchange(l.cli2, "10.78.0.2", "10.78.0.1:5353") // over other0
	require.NoError(t, err)
	defer u2.Close()
	l.icmpEcho(l.cli, "10.24.12.110", "10.24.12.129", 0x4142)

	conns, err := LiveConns(l.e)
	require.NoError(t, err)
	uc := Conn{Proto: 17, Src: netip.MustParseAddr("10.24.12.109"), Dst: netip.MustParseAddr("10.24.12.129"),
		SPort: uint16(u.LocalAddr().(*net.UDPAddr).Port), DPort: 5353, Tracked: true}
	ic := Conn{Proto: 1, Src: netip.MustParseAddr("10.24.12.110"), Dst: netip.MustParseAddr("10.24.12.129"),
		SPort: 0x4142, Tracked: true}
	require.ElementsMatch(t, []Conn{uc, ic}, conns)

	require.NoError(t, SetMarks(l.e, conns, markAll))
	conns, err = LiveConns(l.e)
	require.NoError(t, err)
	uc.Mark, ic.Mark = connsMark, connsMark
	require.ElementsMatch(t, []Conn{uc, ic}, conns)
}
