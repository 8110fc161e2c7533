package enforcer_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	. "github.com/aclsh/aclsh/enforcer"
)

// blockText is a blocklist of n lines (`deny ip host X any`, hosts outside the
// lab; host i is 11.0.0.0 + 7i when spread), then `permit tcp any any eq 22`.
func blockText(n int, spread bool) string {
	var sb strings.Builder
	sb.WriteString("ip access-list extended block\n")
	for i := range n {
		a := i
		if spread {
			a = 7 * i
		}
		fmt.Fprintf(&sb, " seq %d deny ip host %d.%d.%d.%d any\n", i+1, 11+a>>24, a>>16&255, a>>8&255, a&255)
	}
	fmt.Fprintf(&sb, " seq %d permit tcp any any eq 22\n", n+1)
	sb.WriteString("interface management 0\n ip access-group block in\n")
	return sb.String()
}

// TestShardsBoundMaps: a 100,000-line blocklist compiles into verdict maps of at
// most shardMax elements and a dispatch map, holding every line once.
func TestShardsBoundMaps(t *testing.T) {
	p := Compile(config(t, blockText(100000, true)), "mgmt0", nil)
	elems, shards, most, dispatch := 0, 0, 0, 0
	for _, s := range p.Sets {
		if s.Kind != SetRun {
			continue
		}
		if strings.HasSuffix(s.Name, "_d") {
			dispatch += len(s.Elems)
			continue
		}
		shards++
		elems += len(s.Elems)
		most = max(most, len(s.Elems))
	}
	t.Logf("%d shards (%d dispatch elements), at most %d elements", shards, dispatch, most)
	require.Equal(t, 100001, elems)
	require.Equal(t, shards-1, dispatch) // and the permit's map
	require.LessOrEqual(t, most, 4096)
	require.Greater(t, shards, 50)
}

// TestShardedOneLineChange: in a bound blocklist whose map is sharded, a line
// changed in the middle, one added and one removed are each a change of one
// shard's elements in the kernel, not a replacement; the table is what the
// config needs (Stats compares every element), and at the end it is what a
// fresh apply makes.
func TestShardedOneLineChange(t *testing.T) {
	defer SetShardSizes(64, 16, 64)()
	cfg := config(t, blockText(2000, true))
	l := newLab(t)
	l.applyInSync(cfg, "first apply")
	require.Greater(t, strings.Count(l.nft("list", "table", "inet", Table), "chain run_"), 50)
	a := cfg.ACLs["block"]
	edits := []struct {
		what string
		do   func()
	}{
		{"seq 1000 changed", func() {
			require.NoError(t, a.DeleteSeq(1000))
			_, err := a.Add(rule(t, "seq 1000 deny ip host 11.0.27.83 any"))
			require.NoError(t, err)
		}},
		{"seq 1500 removed", func() { require.NoError(t, a.DeleteSeq(1500)) }},
		{"seq 1700 changed", func() {
			require.NoError(t, a.DeleteSeq(1700))
			_, err := a.Add(rule(t, "seq 1700 deny ip host 11.0.41.3 any"))
			require.NoError(t, err)
		}},
	}
	for _, ed := range edits {
		ed.do()
		l.applyInSync(cfg, ed.what)
		batch := LastBatch(l.e)
		require.LessOrEqual(t, len(batch), 2, "%s: %q", ed.what, batch)
		for _, c := range batch {
			require.Regexp(t, `^(add|delete) element inet aclsh run_[0-9a-f]+_[0-9a-f]{8}: 1$`, c, ed.what)
		}
	}
	l.sameAsFresh(cfg)
}

// udpRunText is a bound list "run" of n lines `permit udp host SRC any eq 53`,
// one run: sources spread in 11.0.0.0/16, but every one at i%every == 3 a
// lab client's (10.24.12.107 on), so that traffic counts on several shards.
func udpRunText(n, every int) string {
	var sb strings.Builder
	sb.WriteString("ip access-list extended run\n")
	for i := range n {
		src := fmt.Sprintf("11.0.%d.%d", i/3, i*37%256)
		if i%every == 3 {
			src = fmt.Sprintf("10.24.12.%d", 107+i/every)
		}
		fmt.Fprintf(&sb, " seq %d permit udp host %s any eq 53\n", 10*(i+1), src)
	}
	sb.WriteString("interface management 0\n ip access-group run in\n")
	return sb.String()
}

// TestShardedCounters: the lines of a sharded map count exactly what they
// match, read by the enforcer that applied them and by another; clearing the
// counters zeroes those of every shard.
func TestShardedCounters(t *testing.T) {
	defer SetShardSizes(4, 2, 4)()
	l := newLab(t)
	l.serveUDP(":53")
	cfg := config(t, udpRunText(40, 10))
	require.NoError(t, l.e.Apply(cfg))
	listing := l.nft("list", "table", "inet", Table)
	require.Greater(t, strings.Count(listing, ": jump run_"), 4, "sharded:\n%s", listing)
	send := func() {
		for k := range 4 {
			l.udpN(fmt.Sprintf("10.24.12.%d", 107+k), 30001+k, "10.24.12.129:53", k+1)
		}
	}
	matches := func(e *Enforcer) map[string]uint64 {
		st, err := e.Stats(cfg)
		require.NoError(t, err)
		require.Equal(t, InSync, st.State)
		out := map[string]uint64{}
		for k, c := range st.Counters {
			if c.Packets > 0 {
				out[k.String()] = c.Packets
			}
		}
		return out
	}
	send()
	want := map[string]uint64{"run/40/m": 1, "run/140/m": 2, "run/240/m": 3, "run/340/m": 4}
	require.Equal(t, want, matches(l.e))
	other := &Enforcer{IfName: "mgmt0", NetNS: l.e.NetNS}
	defer other.Close()
	require.Equal(t, want, matches(other))
	require.NoError(t, l.e.ClearCounters(cfg, "run"))
	require.Empty(t, matches(l.e))
	send()
	require.Equal(t, want, matches(l.e))
}

// A run that grows no more (longer than a run kept to grow) gives its shards
// its maps' own elements, reordered shard by shard: the plan is the one that
// shards holding copies make. The hosts are out of order (host 7919*i mod n
// at line i), as the shards are by address.
func TestShardsInPlaceSameAsCopies(t *testing.T) {
	const n = 70000
	piece := regexp.MustCompile(`^run_[0-9a-f]+_[0-9a-f]{8}$`)
	var sb strings.Builder
	sb.WriteString("ip access-list extended block\n")
	for i := range n {
		a := 7919 * i % n
		fmt.Fprintf(&sb, " seq %d deny ip host %d.%d.%d.%d any\n", i+1, 11+a>>24, a>>16&255, a>>8&255, a&255)
	}
	fmt.Fprintf(&sb, " seq %d permit tcp any any eq 22\ninterface management 0\n ip access-group block in\n", n+1)
	cfg := config(t, sb.String())
	// Each side: a first compile, then one after a line changed in the
	// middle, by the same Compiler.
	compile := func() (first, second *Plan) {
		c := &Compiler{}
		first = c.Compile(cfg, "mgmt0", nil)
		edited := cfg.Clone()
		a := edited.ACLs["block"]
		require.NoError(t, a.DeleteSeq(n/2))
		_, err := a.Add(rule(t, fmt.Sprintf("seq %d deny ip host 11.200.0.1 any", n/2)))
		require.NoError(t, err)
		return first, c.Compile(edited, "mgmt0", nil)
	}
	before := ShardedInPlace()
	in, inEdited := compile()
	require.Equal(t, before+1, ShardedInPlace(),
		"sharded in place in the first compile only: after the change a new shard would keep the whole new array, beside the old one the shards kept")
	restore := ShardCopies()
	copied, copiedEdited := compile()
	restore()
	for k, pp := range [][2]*Plan{{in, copied}, {inEdited, copiedEdited}} {
		in, copied := pp[0], pp[1]
		require.Len(t, in.Sets, len(copied.Sets))
		shards := 0
		for i, s := range in.Sets {
			require.Equal(t, copied.Sets[i].Name, s.Name, "compile %d", k)
			require.Equal(t, copied.Sets[i].Elems, s.Elems, "compile %d: %s", k, s.Name)
			if piece.MatchString(s.Name) {
				shards++
				require.Equal(t, len(s.Elems), cap(s.Elems), "%s: a shard's part is capped at its end", s.Name)
			}
		}
		require.Greater(t, shards, 10)
	}
}
