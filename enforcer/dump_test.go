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
	var sb strings.Builder
	sb.WriteString("ip access-list extended run\n")
	for i := range 60 {
		src := fmt.Sprintf("11.0.%d.%d", i/3, i*37%256)
		if i%15 == 3 {
			src = fmt.Sprintf("10.24.12.%d", 107+i/15)
		}
		fmt.Fprintf(&sb, " seq %d permit udp host %s any eq 53\n", 10*(i+1), src)
	}
	sb.WriteString("interface management 0\n ip access-group run in\n")
	cfg := config(t, sb.String())
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
