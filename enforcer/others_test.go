package enforcer_test

import (
	"encoding/json"
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

// Another table's drop is final: a table inet filter whose input chain drops
// (after aclsh's chain has accepted) drops SSH that the bound list permits.
// show access-lists and test access-list say so, in text and JSON, naming the
// chain; when that chain accepts, the connection passes and the warnings go. An
// iptables-nft table (ip filter, chain INPUT) warns for the IPv4 list only; a
// forward chain, and a rule that matches another input interface, do not warn;
// a rule that jumps to a chain that drops does.
func TestOtherTablesCanDrop(t *testing.T) {
	l := newLab(t)
	l.serveTCP(":22")
	ty := l.shell(nil)
	run := func(lines ...string) string { t.Helper(); return ty.run(t, lines...) }
	run("conf t", "ip access-list extended mgmt", "permit tcp any any eq 22",
		"ipv6 access-list extended mgmt6", "permit tcp any any eq 22",
		"interface management 0", "ip access-group mgmt in", "ipv6 access-group mgmt6 in", "end")
	const (
		test4  = "test access-list tcp 10.24.12.107 40000 10.24.12.129 22"
		test6  = "test access-list tcp fd77::107 40000 fd77::129 22"
		denied = "test access-list tcp 10.24.12.107 40000 10.24.12.129 23"
		tail   = "; a drop in any base chain is final, whatever aclsh permits\n"
	)
	admitted := func(src, addr string) {
		t.Helper()
		c, err := l.dial(l.cli, src, addr)
		require.NoError(t, err, "%s to %s", src, addr)
		c.Close()
	}
	// the other tables' chains show and test name for each list's family
	type chainJSON struct {
		Family, Table, Chain, Hook string
		Priority                   int32
		PolicyDrop                 bool `json:"policy_drop"`
		Rule                       int
		Via                        string
	}
	showJSON := func() map[string][]chainJSON {
		t.Helper()
		var v struct {
			AccessLists []struct {
				Name   string
				Others []chainJSON `json:"other_tables_can_drop"`
			} `json:"access_lists"`
		}
		require.NoError(t, json.Unmarshal([]byte(run("show access-lists | json")), &v))
		m := map[string][]chainJSON{}
		for _, a := range v.AccessLists {
			m[a.Name] = a.Others
		}
		return m
	}
	testJSON := func(test string) []chainJSON {
		t.Helper()
		var v struct {
			Others []chainJSON `json:"other_tables_can_drop"`
		}
		require.NoError(t, json.Unmarshal([]byte(run(test+" | json")), &v))
		return v.Others
	}
	quiet := func() {
		t.Helper()
		require.NotContains(t, run("show access-lists"), "nftables table")
		require.Equal(t, map[string][]chainJSON{"mgmt": nil, "mgmt6": nil}, showJSON())
		for _, c := range []string{test4, test6} {
			require.NotContains(t, run(c), "nftables table", c)
			require.Nil(t, testJSON(c), c)
		}
	}

	admitted("10.24.12.107", dev)
	quiet()

	// A second table whose input chain drops, after aclsh's (priority 10 > 0).
	l.nftFile(`table inet filter { chain input { type filter hook input priority 10; policy drop; }; }`)
	l.refused("10.24.12.107", dev)
	st, err := l.e.Stats(config(t, "ip access-list extended mgmt\n permit tcp any any eq 22\ninterface management 0\n ip access-group mgmt in\n"))
	require.NoError(t, err)
	require.Equal(t, []Dropper{{Family: "inet", Table: "filter", Chain: "input", Hook: "input", Priority: 10, Policy: true}}, st.Others)
	warn := "% another nftables table can drop what this list permits: table inet filter chain input (policy drop)" + tail
	show := run("show access-lists")
	require.Contains(t, show, "IPv4 access list mgmt, bound to interface management 0 in\n "+warn)
	require.Contains(t, show, "IPv6 access list mgmt6, bound to interface management 0 in\n "+warn)
	inetDrop := []chainJSON{{Family: "inet", Table: "filter", Chain: "input", Hook: "input", Priority: 10, PolicyDrop: true}}
	require.Equal(t, map[string][]chainJSON{"mgmt": inetDrop, "mgmt6": inetDrop}, showJSON())
	require.Contains(t, run(test4), "result: permit (seq 10)\n"+warn)
	require.Contains(t, run(test6), "result: permit (seq 10)\n"+warn)
	require.Equal(t, inetDrop, testJSON(test4))
	require.NotContains(t, run(denied), "nftables table", "aclsh denies it: nothing to warn about")

	// The control: the same chain accepting.
	l.nftFile(`chain inet filter input { policy accept; }`)
	admitted("10.24.12.107", dev)
	quiet()

	// iptables-nft's tables: ip filter, chain INPUT policy drop (IPv4 only),
	// and a forward chain that drops (docker's), which never sees packets for
	// this host.
	l.nftFile(`table ip filter {
	chain INPUT { type filter hook input priority 0; policy drop; }
	chain FORWARD { type filter hook forward priority 0; policy drop; }
}`)
	l.refused("10.24.12.107", dev)
	admitted("fd77::107", "[fd77::129]:22")
	show = run("show access-lists")
	ipWarn := "% another nftables table can drop what this list permits: table ip filter chain INPUT (policy drop)" + tail
	require.Contains(t, show, "IPv4 access list mgmt, bound to interface management 0 in\n "+ipWarn)
	require.Contains(t, show, "IPv6 access list mgmt6, bound to interface management 0 in\n seq 10", "an ip table does not see IPv6")
	require.Contains(t, run(test4), "result: permit (seq 10)\n"+ipWarn)
	require.NotContains(t, run(test6), "nftables table")

	// Rules: one that matches another interface only (not counted), then a
	// jump to a chain that drops SSH (ufw's way).
	l.nftFile(`chain ip filter INPUT { policy accept; }
add chain ip filter ufw-before-input
add rule ip filter ufw-before-input tcp dport 22 drop
add rule ip filter INPUT iifname "other0" drop
add rule ip filter INPUT jump ufw-before-input`)
	l.refused("10.24.12.107", dev)
	require.Contains(t, run(test4), "result: permit (seq 10)\n% another nftables table can drop what this list permits: "+
		"table ip filter chain INPUT (rule 2 jumps to chain ufw-before-input, which can drop)"+tail)
	require.Equal(t, []chainJSON{{Family: "ip", Table: "filter", Chain: "INPUT", Hook: "input", Rule: 2, Via: "ufw-before-input"}}, testJSON(test4))

	// The control: the chain it jumps to drops nothing.
	l.nftFile(`flush chain ip filter ufw-before-input`)
	admitted("10.24.12.107", dev)
	quiet()
}

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
