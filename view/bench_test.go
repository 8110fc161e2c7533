package view

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/enforcer"
)

// BenchmarkACLsText: the view and text of show access-lists for a bound
// 100,000-line blocklist whose lines matched nothing but one, without the kernel
// (what show does after Stats).
func BenchmarkACLsText(b *testing.B) {
	cfg := acl.NewConfig()
	a, err := cfg.Ensure("block", acl.IPv4)
	if err != nil {
		b.Fatal(err)
	}
	const n = 100000
	a.Grow(n)
	for i := range n {
		r := acl.Rule{Seq: acl.Seq(i + 1), Action: acl.Deny, Src: acl.HostAddr(netip.AddrFrom4([4]byte{11, byte(i >> 16), byte(i >> 8), byte(i)}))}
		if _, err := a.Add(r); err != nil {
			b.Fatal(err)
		}
	}
	if err := cfg.Bind(acl.Inbound(acl.IPv4), "block"); err != nil {
		b.Fatal(err)
	}
	st := &enforcer.Stats{State: enforcer.InSync, Counters: map[enforcer.LineRef]enforcer.Counter{enforcer.Line("block", 500): {Packets: 1}}}
	b.ReportAllocs()
	for b.Loop() {
		var sb strings.Builder
		ACLsOf(cfg, []*acl.ACL{a}, st).WriteText(&sb)
	}
}
