package enforcer_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	. "github.com/aclsh/aclsh/enforcer"
)

// nftFile loads an nft script in the device namespace (nft -f).
func (l *lab) nftFile(script string) {
	l.t.Helper()
	f := filepath.Join(l.t.TempDir(), "rules.nft")
	require.NoError(l.t, os.WriteFile(f, []byte(script+"\n"), 0o600))
	l.nft("-f", f)
}

// TestOtherTablesCanDrop is testdata/kernel-scripts/other-tables-can-drop.txtar now (TestKernelScripts).

// Which other chains count, read from the kernel (Stats().Others): hooks that
// see packets for the host (netdev ingress, prerouting, input), drop and
// reject rules, verdict maps, interface names; chains that accept everything
// or only drop elsewhere do not count. One look costs one listing of chains
// and the rules of the candidates.
func TestOtherTablesLook(t *testing.T) {
	l := newLab(t)
	cfg := config(t, "ip access-list extended mgmt\n permit tcp any any eq 22\ninterface management 0\n ip access-group mgmt in\n")
	require.NoError(t, l.e.Apply(cfg))
	look := func() []Dropper {
		t.Helper()
		st, err := l.e.Stats(cfg)
		require.NoError(t, err)
		return st.Others
	}
	require.Empty(t, look())
	for _, c := range []struct {
		name, script string
		want         []Dropper
	}{
		{"netdev ingress", `table netdev t { chain in { type filter hook ingress device "mgmt0" priority 0; tcp dport 22 drop; }; }`,
			[]Dropper{{Family: "netdev", Table: "t", Chain: "in", Hook: "ingress", Rule: 1}}},
		{"prerouting reject at rule 2", `table ip6 raw { chain PREROUTING { type filter hook prerouting priority -300; udp dport 9 accept; tcp dport 22 reject; }; }`,
			[]Dropper{{Family: "ip6", Table: "raw", Chain: "PREROUTING", Hook: "prerouting", Priority: -300, Rule: 2}}},
		{"verdict map", `table inet fw { chain pre { type filter hook prerouting priority -150; tcp dport vmap { 22 : drop, 80 : accept }; }; }`,
			[]Dropper{{Family: "inet", Table: "fw", Chain: "pre", Hook: "prerouting", Priority: -150, Rule: 1}}},
		{"verdict map jumping to a chain that drops", `table inet fw { chain d { drop; }; chain in { type filter hook input priority 5; tcp dport vmap { 22 : jump d }; }; }`,
			[]Dropper{{Family: "inet", Table: "fw", Chain: "in", Hook: "input", Priority: 5, Rule: 1, Via: "d"}}},
		{"goto, two levels", `table inet fw { chain b { drop; }; chain a { jump b; }; chain in { type filter hook input priority 0; goto a; }; }`,
			[]Dropper{{Family: "inet", Table: "fw", Chain: "in", Hook: "input", Rule: 1, Via: "a"}}},
		{"a table named aclsh of another family", `table ip aclsh { chain in { type filter hook input priority 0; policy drop; }; }`,
			[]Dropper{{Family: "ip", Table: "aclsh", Chain: "in", Hook: "input", Policy: true}}},
		{"verdict map that accepts", `table inet fw { chain pre { type filter hook prerouting priority -150; tcp dport vmap { 22 : accept }; }; }`, nil},
		{"another interface", `table inet fw { chain in { type filter hook input priority 0; iifname "other0" drop; iifname "docker*" drop; iifname != "mgmt0" drop; }; }`, nil},
		{"not for this host", `table inet fw { chain forwarding { type filter hook forward priority 0; policy drop; }; chain outgoing { type filter hook output priority 0; tcp dport 9 drop; }; }`, nil},
		{"accepts", `table inet fw { chain in { type filter hook input priority 0; ct state established accept; tcp dport 22 accept; }; }`, nil},
		{"a regular chain nothing jumps to", `table inet fw { chain lonely { drop; }; chain in { type filter hook input priority 0; }; }`, nil},
	} {
		before := l.nft("list", "ruleset")
		l.nftFile(c.script)
		added := l.nft("list", "ruleset")
		require.Equal(t, c.want, look(), "%s: %s", c.name, c.script)
		require.Equal(t, added, l.nft("list", "ruleset"), "%s: the look changes nothing", c.name)
		for _, tb := range strings.Split(strings.TrimSpace(l.nft("list", "tables")), "\n") {
			if f := strings.Fields(tb); tb != "table inet "+Table {
				l.nft("delete", "table", f[1], f[2])
			}
		}
		require.Equal(t, before, l.nft("list", "ruleset"))
		require.Empty(t, look(), c.name)
	}

	// The cost of one look with a few tables, as firewalld and docker leave them.
	l.nftFile(`table inet firewalld {
	chain filter_INPUT { type filter hook input priority 10; policy accept;
		ct state established,related accept; iifname "lo" accept; jump filter_INPUT_ZONES; ct state invalid drop; reject with icmpx admin-prohibited; }
	chain filter_INPUT_ZONES { iifname "mgmt0" goto filter_IN_public; goto filter_IN_public; }
	chain filter_IN_public { tcp dport 22 accept; }
	chain filter_FORWARD { type filter hook forward priority 10; policy accept; reject; }
}
table ip filter {
	chain INPUT { type filter hook input priority 0; policy accept; }
	chain FORWARD { type filter hook forward priority 0; policy drop; }
	chain DOCKER { }
}`)
	require.Equal(t, []Dropper{{Family: "inet", Table: "firewalld", Chain: "filter_INPUT", Hook: "input", Priority: 10, Rule: 4}}, look())
	start := time.Now()
	const n = 20
	for range n {
		_, err := OtherDroppers(l.e)
		require.NoError(t, err)
	}
	t.Logf("one look at the other tables: %v", time.Since(start)/n)
}
