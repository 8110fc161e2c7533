package enforcer

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
)

// TestArenaLineName: the key a run line's elements carry, made in one
// allocation, is lineID's.
func TestArenaLineName(t *testing.T) {
	var a lineArena
	for _, r := range []acl.Rule{{Seq: 10, Action: acl.Deny}, {Seq: 20, Action: acl.Permit, Log: true}} {
		for _, f := range []acl.Family{acl.IPv4, acl.IPv6} {
			if got, want := a.lineName(f, "l", &r), "l/"+lineID(f, "l", r); got != want {
				t.Fatalf("%q != %q", got, want)
			}
		}
	}
}

// hostLines returns n lines `deny ip host A any`, A from base on, seqs from
// seq on by 10.
func hostLines(base netip.Addr, n int, seq acl.Seq) []acl.Rule {
	var rs []acl.Rule
	for range n {
		rs = append(rs, acl.Rule{Seq: seq, Action: acl.Deny, Src: acl.HostAddr(base), Dst: acl.AnyAddr})
		base, seq = base.Next(), seq+10
	}
	return rs
}

func prefixLine(p string, seq acl.Seq, log bool) acl.Rule {
	pp := netip.MustParsePrefix(p)
	return acl.Rule{Seq: seq, Action: acl.Permit, Src: acl.Address{Kind: acl.AddrPrefix, Addr: pp.Addr(), Bits: uint8(pp.Bits())}, Dst: acl.AnyAddr, Log: log}
}

// TestArenaBlocksGrow: a compile that makes a few run lines keeps a few
// lines' memory, not a block of arenaBlock.
func TestArenaBlocksGrow(t *testing.T) {
	var a lineArena
	a.line()
	require.Equal(t, 16, cap(a.rls))
	for range 16 {
		a.line()
	}
	require.Equal(t, 32, cap(a.rls))
	for range 5000 {
		a.line()
	}
	require.Equal(t, arenaBlock, cap(a.rls))
	require.Len(t, a.key(4), 0)
	require.Equal(t, 256, cap(a.bytes))
}

// TestSegmentRepointsKeptLines: after a change that copied the list's
// entries (an insert in the middle of a shared list), the run lines kept from
// the last compile point at their rules in the new entries, so the old ones
// are not kept alive by them.
func TestSegmentRepointsKeptLines(t *testing.T) {
	fm := famOf(acl.IPv4)
	old := hostLines(netip.MustParseAddr("10.0.0.1"), 10000, 10)
	m1 := segment(fm, "l", old, nil)
	rs := slices.Clone(old[:5000])
	rs = append(rs, acl.Rule{Seq: 50005, Action: acl.Deny, Src: acl.HostAddr(netip.MustParseAddr("192.0.2.1")), Dst: acl.AnyAddr})
	rs = append(rs, old[5000:]...)
	m2 := segment(fm, "l", rs, m1)
	lo, hi := uintptr(unsafe.Pointer(&rs[0])), uintptr(unsafe.Pointer(&rs[len(rs)-1]))
	runs := 0
	for _, s := range m2.segs {
		if s.run == nil {
			continue
		}
		for j, rl := range s.run.rls {
			runs++
			p := uintptr(unsafe.Pointer(rl.r))
			require.True(t, p >= lo && p <= hi, "line %d of the run at %d points outside the entries compiled", j, s.start)
			require.Equal(t, &rs[s.start+j], rl.r)
		}
	}
	require.Equal(t, len(rs), runs)
}

// TestRunIndexSizedAhead: a run's index sized ahead reserves at most four
// times what the run holds when the run ends early (MaxLayers), though many
// more lines could have joined it.
func TestRunIndexSizedAhead(t *testing.T) {
	fm := famOf(acl.IPv4)
	rs := hostLines(netip.MustParseAddr("10.0.0.1"), 5000, 10)
	for i, b := range []int{16, 17, 18, 19} {
		rs = append(rs, prefixLine(fmt.Sprintf("10.0.0.0/%d", b), acl.Seq(60000+i), false))
	}
	rs = append(rs, hostLines(netip.MustParseAddr("11.0.0.1"), 100000, 100000)...)
	var lens [2][129]int32
	for _, r := range rs {
		countLens(fm, &lens, r, 1)
	}
	var a lineArena
	n, _, _, x := runLen(rs, lensOf(&lens), func(j int) *runLine { return newRunLine(fm, "l", &rs[j], &a) })
	require.Equal(t, 5003, n, "the /19 line is a fifth layer")
	require.LessOrEqual(t, cap(x.boxes), 4*len(x.boxes))
}

// TestRunIndexGrowsWithShorterPrefixes: sizing a kept index again, where the
// list has shorter prefixes (more chain nodes than elements), grows it (a
// negative size once panicked).
func TestRunIndexGrowsWithShorterPrefixes(t *testing.T) {
	fm := famOf(acl.IPv4)
	// a /16 line that ends no run (log) makes every host element a node
	// under its /16 too; the run of 5,000 hosts after it grows by a line
	list := append([]acl.Rule{prefixLine("10.0.0.0/16", 5, true)}, hostLines(netip.MustParseAddr("10.0.0.1"), 5000, 10)...)
	m1 := segment(fm, "l", list, nil)
	grown := append(slices.Clone(list), acl.Rule{Seq: 99990, Action: acl.Deny, Src: acl.HostAddr(netip.MustParseAddr("10.0.200.1")), Dst: acl.AnyAddr})
	m2 := segment(fm, "l", grown, m1)
	last := m2.segs[len(m2.segs)-1]
	require.NotNil(t, last.run)
	require.Equal(t, len(grown), last.start+last.n)
	require.Equal(t, 5001, last.n)
}
