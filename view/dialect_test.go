package view

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/enforcer"
	"github.com/aclsh/aclsh/internal/golden"
)

// TestShowACLsDialects: show access-lists of a bound IPv4 list (a remark, a
// connlimit line with its sessions, a log line, counters) and an IPv6 list, as
// the kernel counted them, in each dialect: testdata/dialects/*.txt. IOS leaves
// remarks out and writes IPv6 seqs last; EOS counts `[match N packets]`. The
// text is the same with the entries made (MakeEntries) or not.
func TestShowACLsDialects(t *testing.T) {
	cfg := acl.NewConfig()
	a, err := cfg.Ensure("mgmt", acl.IPv4)
	require.NoError(t, err)
	pfx, _ := acl.ParsePrefix("10.64.0.0/10")
	ssh, _ := acl.PortList(acl.PortEq, 22)
	tcp := acl.Protocol{Num: acl.ProtoTCP, Set: true, Keyword: true}
	for _, r := range []acl.Rule{
		{Seq: 5, Remark: "management stations"},
		{Seq: 10, Proto: tcp, Src: pfx, DstPort: ssh, ConnLimit: 3},
		{Seq: 20, Proto: tcp, Src: acl.HostAddr(netip.MustParseAddr("10.24.12.107")), DstPort: acl.PortMatch{Op: acl.PortEq, Lo: 80}},
		{Seq: 30, Action: acl.Deny, Log: true},
	} {
		_, err := a.Add(r)
		require.NoError(t, err)
	}
	require.NoError(t, cfg.Bind(acl.Inbound(acl.IPv4), "mgmt"))
	a6, err := cfg.Ensure("mgmt6", acl.IPv6)
	require.NoError(t, err)
	v6, _ := acl.ParsePrefix("2001:db8::/32")
	_, err = a6.Add(acl.Rule{Seq: 10, Proto: tcp, Src: v6, DstPort: ssh})
	require.NoError(t, err)
	require.NoError(t, cfg.Bind(acl.Inbound(acl.IPv6), "mgmt6"))
	l := enforcer.Line
	st := &enforcer.Stats{State: enforcer.InSync,
		Counters: map[enforcer.LineRef]enforcer.Counter{l("mgmt", 10): {Packets: 12}, l("mgmt", 10).As(enforcer.Refused): {Packets: 1},
			l("mgmt", 20): {Packets: 1}, l("mgmt", 30): {Packets: 7}, l("mgmt", 30).As(enforcer.LogSeen): {Packets: 7},
			l("mgmt", 30).As(enforcer.Logged): {Packets: 2}, enforcer.DenyOf("mgmt"): {Packets: 3},
			l("mgmt6", 10): {Packets: 4}, enforcer.NDOf("mgmt6"): {Packets: 9}, enforcer.DenyOf("mgmt6"): {}},
		Sessions: map[enforcer.LineRef][]enforcer.SourceCount{l("mgmt", 10): {{Src: netip.MustParsePrefix("10.64.1.7/32"), Count: 3}}},
		Sources:  map[enforcer.LineRef]enforcer.SetUse{l("mgmt", 10): {Used: 1, Size: 65535, New: 1}},
	}
	for _, d := range []acl.Dialect{acl.SLX, acl.IOS, acl.EOS} {
		cfg.SetDialect(d)
		v := ACLsOf(cfg, []*acl.ACL{a, a6}, st)
		var b strings.Builder
		v.WriteText(&b)
		golden.Check(t, "../testdata/dialects/show-access-lists-"+d.String()+".txt", b.String())
		// the text writes each entry as it makes it (only what it writes):
		// the same as with every entry made, as for the JSON
		for i := range v.AccessLists {
			v.AccessLists[i].MakeEntries()
			require.Len(t, v.AccessLists[i].Entries, []int{4, 1}[i])
		}
		var made strings.Builder
		v.WriteText(&made)
		require.Equal(t, b.String(), made.String(), "with the entries made (%s)", d)
	}
}

// TestShowACLsPlainLines: lines with nothing to add to their text (no matches,
// no log, no connlimit), written straight from the rules, read as with every
// entry made, beside lines with matches, log and connlimit, bound or not, in
// each dialect.
func TestShowACLsPlainLines(t *testing.T) {
	cfg := acl.NewConfig()
	a, err := cfg.Ensure("block", acl.IPv4)
	require.NoError(t, err)
	tcp := acl.Protocol{Num: acl.ProtoTCP, Set: true, Keyword: true}
	ssh, _ := acl.PortList(acl.PortEq, 22)
	for i, r := range []acl.Rule{
		{Remark: "blocked hosts"},
		{Action: acl.Deny, Src: acl.HostAddr(netip.MustParseAddr("11.0.0.1"))},
		{Action: acl.Deny, Src: acl.HostAddr(netip.MustParseAddr("11.0.0.2"))},
		{Action: acl.Deny, Src: acl.HostAddr(netip.MustParseAddr("11.0.0.3")), Log: true},
		{Action: acl.Deny, Src: acl.HostAddr(netip.MustParseAddr("11.0.0.4"))},
		{Proto: tcp, DstPort: ssh, ConnLimit: 4},
	} {
		r.Seq = acl.Seq(10 * (i + 1))
		_, err := a.Add(r)
		require.NoError(t, err)
	}
	b, err := cfg.Ensure("spare", acl.IPv4)
	require.NoError(t, err)
	_, err = b.Add(acl.Rule{Seq: 10, Action: acl.Deny, Src: acl.HostAddr(netip.MustParseAddr("11.0.0.9"))})
	require.NoError(t, err)
	require.NoError(t, cfg.Bind(acl.Inbound(acl.IPv4), "block"))
	l := enforcer.Line
	st := &enforcer.Stats{State: enforcer.InSync,
		Counters: map[enforcer.LineRef]enforcer.Counter{l("block", 30): {Packets: 5}, l("block", 40): {Packets: 2},
			l("block", 40).As(enforcer.LogSeen): {Packets: 2}, l("block", 40).As(enforcer.Logged): {Packets: 1},
			l("block", 60): {Packets: 1}, enforcer.DenyOf("block"): {Packets: 3}},
	}
	for _, d := range []acl.Dialect{acl.SLX, acl.IOS, acl.EOS} {
		cfg.SetDialect(d)
		for _, st := range []*enforcer.Stats{st, nil} {
			v := ACLsOf(cfg, []*acl.ACL{a, b}, st)
			var lazy strings.Builder
			v.WriteText(&lazy)
			for i := range v.AccessLists {
				v.AccessLists[i].MakeEntries()
			}
			var made strings.Builder
			v.WriteText(&made)
			require.Equal(t, made.String(), lazy.String(), "%s, stats %v", d, st != nil)
			require.Contains(t, lazy.String(), "11.0.0.4", "%s", d)
		}
	}
}
