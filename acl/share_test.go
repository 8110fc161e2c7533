package acl

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// hostRule is `permit tcp host 10.0.X.Y any eq 22` for i.
func hostRule(i int) Rule {
	return Rule{Action: Permit, Proto: Protocol{Num: ProtoTCP, Set: true, Keyword: true},
		Src:     Address{Kind: AddrHost, Addr: netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})},
		DstPort: PortMatch{Op: PortEq, Lo: 22}}
}

// texts returns the entries of a as text, seq first.
func texts(a *ACL) []string {
	var out []string
	for _, r := range a.Entries() {
		out = append(out, fmt.Sprintf("%d %s", r.Seq, r.Body(a.Family)))
	}
	return out
}

// A clone and its original share entries and index until one changes them;
// every kind of change on either side leaves the other as it was, and each
// side's duplicate index answers for its own lines.
func TestCloneSharesUntilChanged(t *testing.T) {
	mk := func() *ACL {
		a := NewACL("big", IPv4)
		for i := range 100 {
			_, err := a.Add(hostRule(i))
			require.NoError(t, err)
		}
		_, err := a.Add(Rule{Remark: "the hosts"})
		require.NoError(t, err)
		return a
	}
	changes := map[string]func(t *testing.T, a *ACL){
		"append": func(t *testing.T, a *ACL) {
			_, err := a.Add(hostRule(500))
			require.NoError(t, err)
		},
		"insert": func(t *testing.T, a *ACL) {
			r := hostRule(501)
			r.Seq = 15
			_, err := a.Add(r)
			require.NoError(t, err)
		},
		"delete middle": func(t *testing.T, a *ACL) { require.NoError(t, a.DeleteSeq(50)) },
		"delete last":   func(t *testing.T, a *ACL) { require.NoError(t, a.DeleteSeq(1010)) },
		"resequence":    func(t *testing.T, a *ACL) { require.NoError(t, a.Resequence(5, 5)) },
		"remark":        func(t *testing.T, a *ACL) { _, err := a.Add(Rule{Remark: "more"}); require.NoError(t, err) },
	}
	for name, change := range changes {
		for _, side := range []string{"clone", "original"} {
			t.Run(name+" on the "+side, func(t *testing.T) {
				a := mk()
				before := texts(a)
				b := a.Clone()
				changed, kept := b, a
				if side == "original" {
					changed, kept = a, b
				}
				change(t, changed)
				require.Equal(t, before, texts(kept), "the other side changed")
				require.NotEqual(t, before, texts(changed))
				// Each side's index is its own: the kept side still has
				// seq 50 and not host 500; a fresh list of the same lines
				// agrees with each side on every rule.
				for _, x := range []*ACL{kept, changed} {
					fresh := NewACL("big", IPv4)
					for _, r := range x.Entries() {
						_, err := fresh.Add(r)
						require.NoError(t, err)
					}
					for i := range 600 {
						s1, ok1 := x.Find(hostRule(i))
						s2, ok2 := fresh.Find(hostRule(i))
						require.Equal(t, ok2, ok1, "host %d", i)
						require.Equal(t, s2, s1, "host %d", i)
					}
					_, okr := x.Find(Rule{Remark: "more"})
					_, okf := fresh.Find(Rule{Remark: "more"})
					require.Equal(t, okf, okr)
				}
				// Changing the other side too keeps both apart.
				change(t, kept)
				require.Equal(t, texts(changed), texts(kept))
			})
		}
	}
}

// Copies that each add a line at the end of the same list get their own line:
// the first takes the slot past the end in place, the others copy. Run with
// -race, many at once.
func TestClonesAppendConcurrently(t *testing.T) {
	a := NewACL("big", IPv4)
	a.Grow(2000)
	for i := range 1000 {
		_, err := a.Add(hostRule(i))
		require.NoError(t, err)
	}
	base := &Config{ACLs: map[string]*ACL{"big": a}}
	var wg sync.WaitGroup
	got := make([]*ACL, 16)
	for g := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := base.Clone().ACLs["big"]
			for j := range 3 {
				if _, err := c.Add(hostRule(2000 + 10*g + j)); err != nil {
					panic(err)
				}
			}
			got[g] = c
		}()
	}
	wg.Wait()
	require.Equal(t, 1000, a.Len())
	for g, c := range got {
		require.Equal(t, 1003, c.Len())
		for j := range 3 {
			require.Equal(t, hostRule(2000+10*g+j).key(), c.Entries()[1000+j].key(), "copy %d line %d", g, j)
		}
		require.Equal(t, a.Entries(), c.Entries()[:1000])
	}
}

// Equal knows a clone is equal without comparing its lines, and sees a line
// one of them added.
func TestEqualSharedEntries(t *testing.T) {
	c := NewConfig()
	a, err := c.Ensure("big", IPv4)
	require.NoError(t, err)
	for i := range 10 {
		_, err := a.Add(hostRule(i))
		require.NoError(t, err)
	}
	d := c.Clone()
	require.True(t, c.Equal(d))
	_, err = d.ACLs["big"].Add(hostRule(99))
	require.NoError(t, err)
	require.False(t, c.Equal(d))
	require.NoError(t, d.ACLs["big"].DeleteSeq(110))
	require.True(t, c.Equal(d))
}

// SamePrefix is the shorter Snapshot when both live in one array, 0 when not.
func TestSamePrefix(t *testing.T) {
	a := NewACL("big", IPv4)
	for i := range 10 {
		_, err := a.Add(hostRule(i))
		require.NoError(t, err)
	}
	s1 := a.Snapshot()
	b := a.Clone()
	_, err := b.Add(hostRule(50))
	require.NoError(t, err)
	require.Equal(t, 10, SamePrefix(s1, b.Snapshot()))
	require.NoError(t, b.DeleteSeq(20)) // copies: s1 is not changed
	require.Equal(t, 0, SamePrefix(s1, b.Snapshot()))
	require.Equal(t, hostRule(1).key(), s1[1].key())
}

// fresh returns a config with c's lists and bindings built line by line: no
// array, cache or index shared with c.
func fresh(t *testing.T, c *Config) *Config {
	d := NewConfig()
	d.Dialect, d.LogInterval, d.Bound = c.Dialect, c.LogInterval, c.Bound
	for name, a := range c.ACLs {
		b, err := d.EnsureKind(name, a.Family, a.Standard)
		require.NoError(t, err)
		for _, r := range a.Entries() {
			_, err := b.Add(r)
			require.NoError(t, err)
		}
	}
	return d
}

// The running-config text of a list is rendered once: a copy renders only the
// lines it added, and whatever either side does after (add, delete, insert,
// renumber, another dialect) its text is the text of the same lines rendered
// from nothing.
func TestRenderReusesSharedLines(t *testing.T) {
	for _, limit := range []int{maxLinesCache, 700} {
		// 700 bytes: a list's text is longer than what is kept of it.
		t.Run(strconv.Itoa(limit), func(t *testing.T) {
			defer func(was int) { maxLinesCache = was }(maxLinesCache)
			maxLinesCache = limit
			renderReusesSharedLines(t)
		})
	}
}

func renderReusesSharedLines(t *testing.T) {
	c := NewConfig()
	a, err := c.Ensure("big", IPv4)
	require.NoError(t, err)
	for i := range 50 {
		_, err := a.Add(hostRule(i))
		require.NoError(t, err)
	}
	same := func(c *Config) {
		t.Helper()
		f := fresh(t, c)
		for _, d := range []Dialect{SLX, IOS, EOS} {
			require.Equal(t, f.TextIn(d), c.TextIn(d), "dialect %v", d)
		}
		require.Equal(t, f.Render(), c.Render())
		var w strings.Builder
		n, err := c.WriteTo(&w)
		require.NoError(t, err)
		require.Equal(t, f.Render(), w.String(), "WriteTo")
		require.EqualValues(t, w.Len(), n)
	}
	same(c)
	d := c.Clone()
	_, err = d.ACLs["big"].Add(hostRule(77))
	require.NoError(t, err)
	same(d)
	same(c) // the original, whose array holds d's line past its end
	require.NoError(t, d.ACLs["big"].DeleteSeq(510))
	same(d)
	r := hostRule(78)
	r.Seq = 15
	_, err = d.ACLs["big"].Add(r)
	require.NoError(t, err)
	same(d)
	require.NoError(t, d.ACLs["big"].Resequence(100, 100))
	same(d)
	same(c)
	require.NotEqual(t, c.Render(), d.Render())
	// A list nobody cloned, changed in place after it was rendered, then
	// cloned and rendered.
	g := fresh(t, c)
	same(g)
	r.Seq = 25
	_, err = g.ACLs["big"].Add(r)
	require.NoError(t, err)
	same(g)
	same(g.Clone())
}
