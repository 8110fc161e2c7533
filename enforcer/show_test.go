package enforcer_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	. "github.com/aclsh/aclsh/enforcer"
)

// Show lists only what limits may count (sockets, the flows with an aclsh mark,
// and a lookup for an unmarked session): the counts per line are the ones a full
// listing of every socket and flow gives, including a session that was over one
// line's limit, fell through unmarked and is counted by later lines, sessions
// opened before the ruleset, and flows of protocols no connlimit line counts.
func TestShowCountsMatchFullListing(t *testing.T) {
	l := newLab(t)
	l.serveTCP(dev)
	l.serveUDP("10.24.12.129:53")
	l.openN("10.24.12.109", 2) // before any ruleset: untracked
	cfg := config(t, `
ip access-list extended check
 permit tcp any any eq 22 connlimit 1
 deny tcp any any eq 22 connlimit 10
 permit tcp any any eq 22
 permit udp any any eq 53
interface management 0
 ip access-group check in
`)
	require.NoError(t, l.e.Apply(cfg))
	l.openN("10.24.12.107", 3) // the 2nd and 3rd fall through line 10, unmarked
	l.openN("10.24.12.108", 1)
	for i := range 20 {
		c, err := l.udpExchange(l.cli, "10.24.12.110", "10.24.12.129:53")
		require.NoError(t, err, "udp flow %d", i)
		c.Close()
	}

	st, err := l.e.Stats(cfg)
	require.NoError(t, err)
	full, err := FullCounts(l.e, cfg)
	require.NoError(t, err)
	limits := LimitsOf(cfg)
	require.Len(t, limits, 2)
	for _, lm := range limits {
		require.ElementsMatch(t, full[lm.Ref()], st.Sessions[lm.Ref()], "line %s", lm.Ref())
	}
	byAddr := func(key LineRef) map[string]int {
		m := map[string]int{}
		for _, sc := range st.Sessions[key] {
			m[sc.Src.Addr().String()] = sc.Count
		}
		return m
	}
	require.Equal(t, map[string]int{"10.24.12.107": 3, "10.24.12.108": 1, "10.24.12.109": 2}, byAddr(limits[0].Ref()))
	require.Equal(t, map[string]int{"10.24.12.107": 2}, byAddr(limits[1].Ref()), "the two that fell through line 10")
	all, err := ShowDumpsAll(l.e, cfg)
	require.NoError(t, err)
	require.True(t, all, "unmarked sessions reach a connlimit line: only the whole table tells")
}

// With only permit connlimit lines and sessions within their limits, show reads
// the marked flows alone (filtered in the kernel) and counts the same.
func TestShowReadsMarkedFlowsOnly(t *testing.T) {
	l := newLab(t)
	l.serveTCP(dev)
	l.serveUDP("10.24.12.129:53")
	l.openN("10.24.12.109", 2) // before any ruleset: adopted, marked
	cfg := config(t, `
ip access-list extended check
 permit tcp any any eq 22 connlimit 3
 permit udp any any eq 53
interface management 0
 ip access-group check in
`)
	require.NoError(t, l.e.Apply(cfg))
	l.openN("10.24.12.107", 3)
	for i := range 20 {
		c, err := l.udpExchange(l.cli, "10.24.12.110", "10.24.12.129:53")
		require.NoError(t, err, "udp flow %d", i)
		c.Close()
	}
	all, err := ShowDumpsAll(l.e, cfg)
	require.NoError(t, err)
	require.False(t, all, "every counted session is marked: no full dump")
	st, err := l.e.Stats(cfg)
	require.NoError(t, err)
	full, err := FullCounts(l.e, cfg)
	require.NoError(t, err)
	key := LimitsOf(cfg)[0].Ref()
	require.ElementsMatch(t, full[key], st.Sessions[key])
	require.Len(t, st.Sessions[key], 2)
}
