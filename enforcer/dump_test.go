package enforcer_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	. "github.com/aclsh/aclsh/enforcer"
)

// TestShardedCountersDumpers: the counters of a sharded map's lines are the same
// whether its maps are read on one socket or on several at once, read by the
// enforcer that applied them (only the elements with counters) and by another
// (every element, compared with the plan: in sync).
func TestShardedCountersDumpers(t *testing.T) {
	defer SetShardSizes(4, 2, 4)()
	l := newLab(t)
	l.serveUDP(":53")
	cfg := config(t, udpRunText(60, 15))
	require.NoError(t, l.e.Apply(cfg))
	listing := l.nft("list", "table", "inet", Table)
	require.Greater(t, strings.Count(listing, ": jump run_"), 8, "sharded:\n%s", listing)
	for k := range 4 {
		l.udpN(fmt.Sprintf("10.24.12.%d", 107+k), 30001+k, "10.24.12.129:53", k+1)
	}
	// one line a source
	want := map[string]uint64{"run/40/m": 1, "run/190/m": 2, "run/340/m": 3, "run/490/m": 4}
	other := &Enforcer{IfName: "mgmt0", NetNS: l.e.NetNS}
	defer other.Close()
	for _, e := range []*Enforcer{l.e, other} {
		for _, n := range []int{1, 2, 3, 16} {
			SetDumpers(e, n)
			st, err := e.Stats(cfg)
			require.NoError(t, err)
			require.Equal(t, InSync, st.State, "%d sockets", n)
			got := map[string]uint64{}
			for k, c := range st.Counters {
				if c.Packets > 0 {
					got[k.String()] = c.Packets
				}
			}
			require.Equal(t, want, got, "%d sockets", n)
		}
	}
}
