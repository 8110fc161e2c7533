package enforcer_test

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/cli"
	. "github.com/aclsh/aclsh/enforcer"
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
	ty := l.shell(nil)
	run := func(lines ...string) string { t.Helper(); return ty.run(t, lines...) }
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
	cfg, err := cli.LoadConfig(run("show running-config"))
	require.NoError(t, err)
	st, err := l.e.Stats(cfg)
	require.NoError(t, err)
	for _, line := range []LineRef{Line("flood", 10), Line("flood", 20)} {
		require.Equal(t, uint64(n), st.Counters[line].Packets, "%s decided every packet", line)
		require.Equal(t, uint64(n), st.Counters[line.As(LogSeen)].Packets, "%s: packets its log rule saw", line)
	}
	time.Sleep(100 * time.Millisecond)
	require.Zero(t, denied.Load(), "no denied packet reached the socket")

	logged := st.Counters[Line("flood", 10).As(Logged)].Packets
	t.Logf("%d packets in %v: %d logged, %d suppressed", n, elapsed, logged, st.Suppressed(Line("flood", 10)))
	most := 1 + uint64(elapsed/acl.DefaultLogInterval.Duration())
	require.GreaterOrEqual(t, logged, uint64(1), "the first match is logged at once")
	require.LessOrEqual(t, logged, most, "%d packets in %v: at most one log line per %v after the first", n, elapsed, acl.DefaultLogInterval.Duration())
	require.Equal(t, n-logged, st.Suppressed(Line("flood", 10)))
	show := run("show access-lists")
	require.Contains(t, show, fmt.Sprintf(" seq 10 deny udp any host 10.24.12.129 eq 5300 log (%d matches, %d log lines suppressed)\n", n, n-logged))
	require.Regexp(t, fmt.Sprintf(`(?m)^ seq 20 permit udp any host 10.24.12.129 eq 5301 log \(%d matches, 4\d\d log lines suppressed\)$`, n), show)
	require.Regexp(t, `(?m)^ seq 30 permit ip any any \(\d+ match(?:es)?\)$`, show, "a line without log shows no suppressed count")

	// One log line per 100 ms: packets every 5 ms for about a second are logged
	// about ten times, never more than once per interval.
	run("conf t", "ip access-list logging interval 100", "end", "clear access-list counters")
	elapsed = l.flood("10.24.12.129:5300", 200, 5*time.Millisecond)
	cfg, err = cli.LoadConfig(run("show running-config"))
	require.NoError(t, err)
	require.Equal(t, uint32(100), cfg.LogInterval.Millis())
	st, err = l.e.Stats(cfg)
	require.NoError(t, err)
	logged = st.Counters[Line("flood", 10).As(Logged)].Packets
	t.Logf("200 packets in %v, interval 100 ms: %d logged", elapsed, logged)
	require.Equal(t, uint64(200), st.Counters[Line("flood", 10)].Packets)
	require.GreaterOrEqual(t, logged, uint64(2), "a new interval logs again")
	require.LessOrEqual(t, logged, 1+uint64(elapsed/(100*time.Millisecond)), "200 packets in %v", elapsed)
	require.Zero(t, denied.Load())
}

// TestFollowLogSummary: `aclsh follow` reports, per period, each log line's
// matches that were not logged, naming the list and seq; nothing for a quiet
// period, and nothing twice.
func TestFollowLogSummary(t *testing.T) {
	l := newLab(t)
	l.countUDP(":5300")
	l.serveUDP(":53")
	cfg := config(t, `
ip access-list extended flood
 deny udp any host 10.24.12.129 eq 5300 log
 permit ip any any
interface management 0
 ip access-group flood in
`)
	require.NoError(t, l.e.Apply(cfg))
	c, err := l.udpExchange(l.cli, "10.24.12.107", "10.24.12.129:53")
	require.NoError(t, err)
	c.Close()
	l.flood("10.24.12.129:5300", 300, 0) // before the daemon: not its to report

	const period = 400 * time.Millisecond
	SetLogSummary(l.e, period)
	log := &syncLog{}
	l.followWith(func(f func(*acl.Config) error) error { return f(cfg) }, log)
	t.Cleanup(func() { t.Logf("follow daemon log:\n%s", log) })
	require.Eventually(t, func() bool { return strings.Contains(log.String(), "follow: 1 line(s) with log;") }, 5*time.Second, 20*time.Millisecond)
	time.Sleep(2 * period)
	require.NotContains(t, log.String(), "list flood", "a quiet period reports nothing")

	l.flood("10.24.12.129:5300", 200, 0)
	re := regexp.MustCompile(`list flood seq 10 \(deny\): 200 matches in the last \d+ms, (\d+) log lines suppressed\n`)
	require.Eventually(t, func() bool { return re.MatchString(log.String()) }, 5*time.Second, 20*time.Millisecond)
	n, _ := strconv.Atoi(re.FindStringSubmatch(log.String())[1])
	require.True(t, n >= 198 && n <= 200, "200 packets in a moment: at most 2 logged, %d suppressed", n)
	time.Sleep(2 * period)
	require.Len(t, re.FindAllString(log.String(), -1), 1, "reported once")
	require.NotContains(t, log.String(), "reading the log lines' counters")
}
