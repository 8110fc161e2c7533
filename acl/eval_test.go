package acl

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEvaluate(t *testing.T) {
	a := NewACL("check", IPv4)
	tcp, _ := ProtoKeyword("tcp", IPv4)
	host := func(s string) Address { return HostAddr(netip.MustParseAddr(s)) }
	a.Add(Rule{Seq: 10, Action: Deny, Proto: tcp, Src: host("10.24.12.107"), Dst: host("10.24.12.129"), DstPort: PortMatch{Op: PortEq, Lo: 22}, ConnLimit: 3})
	a.Add(Rule{Seq: 20, Proto: tcp, DstPort: PortMatch{Op: PortRange, Lo: 20, Hi: 23}, ConnLimit: 2})
	a.Add(Rule{Seq: 30, Proto: tcp, Established: true})
	pkt := func(src string, dport uint16) Packet {
		return Packet{Proto: 6, Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr("10.24.12.129"), SrcPort: 40000, DstPort: dport}
	}
	for _, tc := range []struct {
		p    Packet
		live int
		seq  Seq
		ok   bool
	}{
		{pkt("10.24.12.107", 22), 0, 20, true}, // 1st: deny falls through, permit admits
		{pkt("10.24.12.107", 22), 1, 20, true}, // 2nd: still under both
		{pkt("10.24.12.107", 22), 2, 10, true}, // 3rd: seed 001, "the 3rd connection will be denied"
		{pkt("10.24.12.108", 22), 2, 0, false}, // permit over its limit, implicit deny
		{pkt("10.24.12.108", 80), 0, 0, false}, // nothing matches
		{Packet{Proto: 6, Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("10.24.12.129"), Reply: true}, 0, 30, true},
	} {
		r, ok := a.Evaluate(tc.p, func(Rule) int { return tc.live })
		assert.Equal(t, tc.ok, ok, "Evaluate(%+v, live %d)", tc.p, tc.live)
		assert.Equal(t, tc.seq, r.Seq, "Evaluate(%+v, live %d)", tc.p, tc.live)
	}
}

// TestEvaluatePortsAndICMP: a line with several ports matches each of them and
// no other; ICMP types and codes match as given.
func TestEvaluatePortsAndICMP(t *testing.T) {
	a := NewACL("m", IPv4)
	tcp, _ := ProtoKeyword("tcp", IPv4)
	icmp, _ := ProtoKeyword("icmp", IPv4)
	ports, err := PortList(PortEq, 830, 22, 443)
	if err != nil {
		t.Fatal(err)
	}
	a.Add(Rule{Seq: 10, Proto: tcp, DstPort: ports})
	a.Add(Rule{Seq: 20, Proto: icmp, ICMP: ICMPMatch{Type: 8, Set: true}})
	a.Add(Rule{Seq: 30, Proto: icmp, ICMP: ICMPMatch{Type: 3, Code: 4, Set: true, CodeSet: true}})
	a.Add(Rule{Seq: 40, Action: Deny, Proto: icmp})
	src, dst := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	for _, tc := range []struct {
		p   Packet
		seq Seq
		ok  bool
	}{
		{Packet{Proto: 6, Src: src, Dst: dst, DstPort: 22}, 10, true},
		{Packet{Proto: 6, Src: src, Dst: dst, DstPort: 443}, 10, true},
		{Packet{Proto: 6, Src: src, Dst: dst, DstPort: 830}, 10, true},
		{Packet{Proto: 6, Src: src, Dst: dst, DstPort: 80}, 0, false},
		{Packet{Proto: 1, Src: src, Dst: dst, ICMPType: 8}, 20, true},
		{Packet{Proto: 1, Src: src, Dst: dst, ICMPType: 8, ICMPCode: 1}, 20, true},
		{Packet{Proto: 1, Src: src, Dst: dst, ICMPType: 3, ICMPCode: 4}, 30, true},
		{Packet{Proto: 1, Src: src, Dst: dst, ICMPType: 3, ICMPCode: 3}, 40, true},
		{Packet{Proto: 1, Src: src, Dst: dst, ICMPType: 13}, 40, true},
	} {
		r, ok := a.Evaluate(tc.p, nil)
		assert.Equal(t, tc.ok, ok, "Evaluate(%+v)", tc.p)
		assert.Equal(t, tc.seq, r.Seq, "Evaluate(%+v)", tc.p)
	}
}
