package enforcer_test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	. "github.com/aclsh/aclsh/enforcer"
)

// addClientAddrs gives the client namespace more addresses on the management LAN
// (IPv6 without duplicate address detection).
func (l *lab) addClientAddrs(addrs ...string) {
	l.t.Helper()
	for _, a := range addrs {
		args := []string{"ip", "-n", l.cli, "addr", "add", a, "dev", "eth0"}
		if strings.Contains(a, ":") {
			args = append(args, "nodad")
		}
		run(l.t, args...)
	}
}

// sessionsOf returns a connlimit line's live sessions per source, as show prints
// them ("prefix count").
func sessionsOf(t *testing.T, e *Enforcer, text string, key LineRef) []string {
	t.Helper()
	st, err := e.Stats(config(t, text))
	require.NoError(t, err)
	var out []string
	for _, sc := range st.Sessions[key] {
		out = append(out, fmt.Sprintf("%s %d", sc.Src, sc.Count))
	}
	return out
}

// `connlimit N mask /64` counts an IPv6 /64 as one source: a host that picks a
// new address of its /64 for each connection gets N in all, another /64 has its
// own count, the set holds one element per /64, and sessions that existed before
// the limit count per prefix too (and free their slot when they close, through
// the follow daemon).
func TestConnlimitMaskPerPrefix(t *testing.T) {
	l := newLab(t)
	l.serveTCP("[::]:22")
	var addrs []string
	for i := range 12 {
		addrs = append(addrs, fmt.Sprintf("fd77::2%02d/64", i))
	}
	l.addClientAddrs(append(addrs, "fd77:0:0:1::7/64")...)
	run(t, "ip", "-n", l.dev, "route", "add", "fd77:0:0:1::/64", "dev", "mgmt0")
	const dst = "[fd77::129]:22"
	open := `
ipv6 access-list extended v6
 permit tcp any any eq 22
interface management 0
 ipv6 access-group v6 in
`
	limited := strings.Replace(open, "eq 22\n", "eq 22 connlimit 3 mask /64\n", 1)
	require.NoError(t, l.e.Apply(config(t, open)))
	var pre []net.Conn
	for _, src := range []string{"fd77::200", "fd77::201"} {
		c, err := l.dial(l.cli, src, dst)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		pre = append(pre, c)
	}
	cfg := config(t, limited)
	require.NoError(t, l.e.Apply(cfg))
	require.Equal(t, []string{"fd77::/64 2"}, sessionsOf(t, l.e, limited, Line("v6", 10)), "sessions open before the limit count for their /64")

	c, err := l.dial(l.cli, "fd77::202", dst)
	require.NoError(t, err, "the 3rd connection of the /64")
	defer c.Close()
	for _, src := range []string{"fd77::203", "fd77::204", "fd77::107"} {
		l.refused(src, dst) // a new address of the same /64 is the same source
	}
	for i := range 3 {
		c, err := l.dial(l.cli, "fd77:0:0:1::7", dst)
		require.NoError(t, err, "connection %d of another /64", i+1)
		defer c.Close()
	}
	l.refused("fd77:0:0:1::7", dst)
	require.Equal(t, []string{"fd77::/64 3", "fd77:0:0:1::/64 3"}, sessionsOf(t, l.e, limited, Line("v6", 10)))
	st, err := l.e.Stats(cfg)
	require.NoError(t, err)
	require.Equal(t, InSync, st.State)
	require.Equal(t, SetUse{Used: 2, Size: 65535, New: 1}, st.Sources[Line("v6", 10)], "one element per /64 (the first /64 is in its offset's set)")

	// A session counted before the limit closes: the daemon lowers the /64's
	// offset, and another address of the /64 gets the slot.
	l.follow(cfg)
	pre[0].Close()
	var got net.Conn
	require.Eventually(t, func() bool {
		got, err = l.dialTimeout(l.cli, "fd77::205", dst, 150*time.Millisecond)
		return err == nil
	}, 2*time.Second, 20*time.Millisecond, "a slot of the /64 is free after a counted session closed")
	defer got.Close()
	l.refused("fd77::206", dst)
}

// TestConnlimitSetFull is testdata/kernel-scripts/connlimit-set-full.txtar now (TestKernelScripts).

// What a full set does to a deny: sources in the set stay limited, and the line
// stops denying sources not in it (they fall through to the next line).
func TestDenyConnlimitSetFull(t *testing.T) {
	l := newLab(t)
	l.serveTCP(":22")
	var addrs []string
	for i := 12; i < 17; i++ {
		addrs = append(addrs, fmt.Sprintf("10.24.12.%d/24", i))
	}
	l.addClientAddrs(addrs...)
	text := `
ip access-list extended check
 seq 10 deny tcp any any eq 22 connlimit 2 sources 4
 seq 20 permit tcp any any eq 22
interface management 0
 ip access-group check in
`
	cfg := config(t, text)
	require.NoError(t, l.e.Apply(cfg))
	for i := 12; i < 16; i++ {
		l.openN(fmt.Sprintf("10.24.12.%d", i), 1)
	}
	st, err := l.e.Stats(cfg)
	require.NoError(t, err)
	require.Equal(t, SetUse{Used: 4, Size: 4, New: 4}, st.Sources[Line("check", 10)])
	require.True(t, st.Sources[Line("check", 10)].Full())
	l.refused("10.24.12.12", dev) // in the set: its 2nd connection is denied
	l.openN("10.24.12.16", 3)     // not in it: not denied at all
}

// fail-closed (issue 17): with the source set full, a source not in it is
// refused by a permit (counted as refused by the limit) and dropped by a deny,
// while sources in the set keep their limit; without it the same source gets
// past the line (the two tests above), which is what this test's control half
// shows on the same lab.
func TestConnlimitSetFullFailClosed(t *testing.T) {
	l := newLab(t)
	l.serveTCP(":22")
	var addrs []string
	for i := 12; i < 40; i++ {
		addrs = append(addrs, fmt.Sprintf("10.24.12.%d/24", i))
	}
	l.addClientAddrs(addrs...)
	// Each case has sources of its own: the last case's closed sessions may
	// still be sockets on the device (CLOSE_WAIT) when the next one applies,
	// and those count.
	for n, tc := range []struct {
		name, text string
		seq        int
	}{
		{"permit", `
ip access-list extended check
 seq 10 permit tcp any any eq 22 connlimit 2 sources 4 fail-closed
interface management 0
 ip access-group check in
`, 10},
		{"deny", `
ip access-list extended check
 seq 10 deny tcp any any eq 22 connlimit 2 sources 4 fail-closed
 seq 20 permit tcp any any eq 22
interface management 0
 ip access-group check in
`, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l.t = t
			cfg := config(t, tc.text)
			require.NoError(t, l.e.Apply(cfg))
			src := func(k int) string { return fmt.Sprintf("10.24.12.%d", 12+14*n+k) }
			var conns []net.Conn
			for k := range 4 {
				conns = append(conns, l.openN(src(k), 1)...)
			}
			st, err := l.e.Stats(cfg)
			require.NoError(t, err)
			require.True(t, st.Sources[Line("check", 10)].Full(), "%+v", st.Sources[Line("check", 10)])
			// In the set: limited as ever (permit: a 2nd admitted, a 3rd not;
			// deny: the 2nd dropped).
			if tc.name == "permit" {
				conns = append(conns, l.openN(src(0), 1)...)
			}
			l.refused(src(0), dev)
			// Not in it: refused, from two more sources.
			l.refused(src(4), dev)
			l.refused(src(5), dev)
			if tc.name == "permit" {
				st, err = l.e.Stats(cfg)
				require.NoError(t, err)
				require.GreaterOrEqual(t, st.Counters[Line("check", 10).As(Refused)].Packets, uint64(3), "refusals counted by the line: %+v", st.Counters)
			}

			// The control: the same line without fail-closed lets them past.
			open := config(t, strings.Replace(tc.text, " fail-closed", "", 1))
			require.NoError(t, l.e.Apply(open))
			conns = append(conns, l.openN(src(6), 1)...)
			for _, c := range conns {
				c.Close()
			}
			l.e.Apply(config(t, "ip access-list extended check\n"))
		})
	}
}
