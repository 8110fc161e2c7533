package cli

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/grammar"
	"github.com/aclsh/aclsh/internal/acltest"
)

// A script keeps the rules it adds as their lines (RuleLines) to apply them
// again at its commit: applied again they make the same list as the AddRule
// values did, for every rule line the grammar's examples give in a list's
// mode (remarks, standard lists, lines without seq) and for random rules of
// both families, with and without seq.
func TestRuleLinesReadBack(t *testing.T) {
	type list struct {
		name     string
		mode     grammar.Mode
		family   acl.Family
		standard bool
	}
	lists := []list{{"v4", grammar.IPACL, acl.IPv4, false}, {"v6", grammar.IP6ACL, acl.IPv6, false}, {"std", grammar.StdACL, acl.IPv4, true}}
	newCfg := func() *acl.Config {
		cfg := acl.NewConfig()
		for _, l := range lists {
			_, err := cfg.EnsureKind(l.name, l.family, l.standard)
			require.NoError(t, err)
		}
		return cfg
	}
	want := newCfg()
	kept := map[string]*RuleLines{}
	n := 0
	add := func(l list, c AddRule) {
		if c.Apply(want) != nil {
			return // a duplicate or a taken seq: not a change the script made
		}
		if kept[l.name] == nil {
			kept[l.name] = &RuleLines{List: l.name, Mode: l.mode}
		}
		kept[l.name].Add(c)
		n++
	}
	for _, l := range lists {
		for _, ex := range grammar.Examples() {
			cmd, err := grammar.Parse(l.mode, ex.Line)
			if err != nil {
				continue
			}
			if c, ok := Of(cmd, l.name).(AddRule); ok {
				add(l, c)
			}
		}
	}
	examples := n
	r := rand.New(rand.NewPCG(7, 8))
	for i := range 4000 {
		l := lists[i%2]
		rule := acltest.Rule(r, l.family)
		if i%4 < 2 {
			rule.Seq = 0 // numbered when added
		}
		add(l, AddRule{List: l.name, Family: l.family, Rule: rule})
	}
	require.Greater(t, examples, 20, "rule lines among the grammar's examples")
	got := newCfg()
	total := 0
	for _, l := range lists {
		require.NotNil(t, kept[l.name], l.name)
		require.NoError(t, kept[l.name].Apply(got))
		total += kept[l.name].Len()
	}
	require.Equal(t, n, total)
	require.Equal(t, want.Render(), got.Render())
	require.True(t, want.Equal(got))
}

// A copy of RuleLines keeps the lines it had when more are added, in the same
// block or in new ones.
func TestRuleLinesCopyKeepsItsLines(t *testing.T) {
	l := &RuleLines{List: "a", Mode: grammar.IPACL}
	rule := func(s acl.Seq) AddRule {
		return AddRule{List: "a", Family: acl.IPv4, Rule: acl.Rule{Seq: s, Action: acl.Permit, Proto: acl.ProtoNum(6),
			Src: acl.HostAddr(netip.AddrFrom4([4]byte{10, 0, byte(s >> 8), byte(s)}))}}
	}
	for s := acl.Seq(1); s <= 3000; s++ { // about two blocks
		l.Add(rule(s))
	}
	before := l.Copy()
	for s := acl.Seq(3001); s <= 6000; s++ {
		l.Add(rule(s))
	}
	for _, tc := range []struct {
		l *RuleLines
		n int
	}{{before, 3000}, {l, 6000}} {
		cfg := acl.NewConfig()
		_, err := cfg.Ensure("a", acl.IPv4)
		require.NoError(t, err)
		require.NoError(t, tc.l.Apply(cfg))
		require.Equal(t, tc.n, tc.l.Len())
		require.Equal(t, tc.n, cfg.ACLs["a"].Len())
		require.Equal(t, acl.Seq(tc.n), cfg.ACLs["a"].Entries()[tc.n-1].Seq)
	}
	require.Greater(t, len(l.blocks), 2)
}
