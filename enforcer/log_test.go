package enforcer_test

import (
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/shell"
)

// flood sends n datagrams from the client (10.24.12.107) to addr as fast as it
// can and returns how long that took.
func (l *lab) flood(addr string, n int, gap time.Duration) time.Duration {
	l.t.Helper()
	var c net.Conn
	inNS(l.t, l.cli, func() {
		var err error
		d := net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP("10.24.12.107")}}
		c, err = d.Dial("udp", addr)
		require.NoError(l.t, err)
	})
	defer c.Close()
	start := time.Now()
	for range n {
		_, err := c.Write([]byte("flood"))
		require.NoError(l.t, err)
		if gap > 0 {
			time.Sleep(gap)
		}
	}
	return time.Since(start)
}

// countUDP counts the datagrams a device-side UDP socket on addr receives.
func (l *lab) countUDP(addr string) *atomic.Int64 {
	var pc net.PacketConn
	inNS(l.t, l.dev, func() {
		var err error
		pc, err = net.ListenPacket("udp", addr)
		require.NoError(l.t, err)
	})
	l.t.Cleanup(func() { pc.Close() })
	var n atomic.Int64
	go func() {
		b := make([]byte, 64)
		for {
			if _, _, err := pc.ReadFrom(b); err != nil {
				return
			}
			n.Add(1)
		}
	}()
	return &n
}

// TestLogRateLimit floods `log` lines from a client namespace: every packet still
// gets its line's verdict (a deny drops all 500, a permit admits all 500), the
// kernel logs at most one packet per log interval per line (the first at once),
// and show access-lists says how many log lines the limit suppressed. A shorter
// `ip access-list logging interval` logs more often, never more than one packet
// per interval.
func TestLogRateLimit(t *testing.T) {
	l := newLab(t)
	denied := l.countUDP(":5300")
	l.countUDP(":5301")
	l.serveUDP(":53")
	var out strings.Builder
	sh, err := shell.New(shell.Options{Host: "device", Store: &shell.Store{Dir: t.TempDir()}, Out: &out, Err: &out,
		Enforcer: l.e, IfName: "mgmt0", Interactive: true})
	require.NoError(t, err)
	run := func(lines ...string) string {
		t.Helper()
		out.Reset()
		for _, line := range lines {
			require.NoError(t, sh.Run(line), line)
		}
		return out.String()
	}
	run("conf t", "ip access-list extended flood",
		"deny udp any host 10.24.12.129 eq 5300 log",
		"permit udp any host 10.24.12.129 eq 5301 log",
		"permit ip any any", "end",
		"conf t", "interface management 0", "ip access-group flood in", "end")
	// Resolve the device's address first: packets queued for ARP can be lost.
	c, err := l.udpExchange(l.cli, "10.24.12.107", "10.24.12.129:53")
	require.NoError(t, err)
	c.Close()

	const n = 500
	elapsed := l.flood("10.24.12.129:5300", n, 0)
	l.flood("10.24.12.129:5301", n, 0)
	cfg, err := shell.LoadConfig(run("show running-config"))
	require.NoError(t, err)
	st, err := l.e.Stats(cfg)
	require.NoError(t, err)
	for _, seq := range []string{"flood/10", "flood/20"} {
		require.Equal(t, uint64(n), st.Counters[seq+"/m"].Packets, "%s decided every packet", seq)
		require.Equal(t, uint64(n), st.Counters[seq+"/log"].Packets, "%s: packets its log rule saw", seq)
	}
	time.Sleep(100 * time.Millisecond)
	require.Zero(t, denied.Load(), "no denied packet reached the socket")

	logged := st.Counters["flood/10/logged"].Packets
	t.Logf("%d packets in %v: %d logged, %d suppressed", n, elapsed, logged, st.Suppressed("flood/10"))
	most := 1 + uint64(elapsed/acl.DefaultLogInterval.Duration())
	require.GreaterOrEqual(t, logged, uint64(1), "the first match is logged at once")
	require.LessOrEqual(t, logged, most, "%d packets in %v: at most one log line per %v after the first", n, elapsed, acl.DefaultLogInterval.Duration())
	require.Equal(t, n-logged, st.Suppressed("flood/10"))
	show := run("show access-lists")
	require.Contains(t, show, fmt.Sprintf(" seq 10 deny udp any host 10.24.12.129 eq 5300 log (%d matches, %d log lines suppressed)\n", n, n-logged))
	require.Regexp(t, fmt.Sprintf(`(?m)^ seq 20 permit udp any host 10.24.12.129 eq 5301 log \(%d matches, 4\d\d log lines suppressed\)$`, n), show)
	require.Regexp(t, `(?m)^ seq 30 permit ip any any \(\d+ matches\)$`, show, "a line without log shows no suppressed count")

	// One log line per 100 ms: packets every 5 ms for about a second are logged
	// about ten times, never more than once per interval.
	run("conf t", "ip access-list logging interval 100", "end", "clear access-list counters")
	elapsed = l.flood("10.24.12.129:5300", 200, 5*time.Millisecond)
	cfg, err = shell.LoadConfig(run("show running-config"))
	require.NoError(t, err)
	require.Equal(t, uint32(100), cfg.LogInterval.Millis())
	st, err = l.e.Stats(cfg)
	require.NoError(t, err)
	logged = st.Counters["flood/10/logged"].Packets
	t.Logf("200 packets in %v, interval 100 ms: %d logged", elapsed, logged)
	require.Equal(t, uint64(200), st.Counters["flood/10/m"].Packets)
	require.GreaterOrEqual(t, logged, uint64(2), "a new interval logs again")
	require.LessOrEqual(t, logged, 1+uint64(elapsed/(100*time.Millisecond)), "200 packets in %v", elapsed)
	require.Zero(t, denied.Load())
}
