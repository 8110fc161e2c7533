// Package acltest generates random valid rules for the property tests of the
// packages that read and write them (grammar's fast path, shell's round trip).
// Only tests import it.
package acltest

import (
	"math/rand/v2"
	"net/netip"
	"slices"

	"github.com/aclsh/aclsh/acl"
)

// Rule returns a valid rule of family f in one of every form the
// running-config can hold (remarks aside).
func Rule(r *rand.Rand, f acl.Family) acl.Rule {
	addr := func() acl.Address {
		var ip netip.Addr
		if f == acl.IPv4 {
			ip = netip.AddrFrom4([4]byte{byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
		} else {
			ip = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 6: byte(r.IntN(256)), 15: byte(r.IntN(256))})
		}
		switch r.IntN(4) {
		case 0:
			return acl.AnyAddr
		case 1:
			return acl.HostAddr(ip)
		case 2:
			if f == acl.IPv4 {
				a, _ := acl.ParseWildcard(netip.AddrFrom4([4]byte{10, 0, byte(r.IntN(256)), 0}).String(), "0.255.0.255")
				return a
			}
		}
		a, _ := acl.ParsePrefix(netip.PrefixFrom(ip, 1+r.IntN(ip.BitLen()-1)).Masked().String())
		return a
	}
	ports := func() acl.PortMatch {
		p := acl.PortMatch{Op: acl.PortOp(r.IntN(6)), Lo: uint16(1 + r.IntN(65534))}
		switch p.Op {
		case acl.PortAny:
			return acl.PortMatch{}
		case acl.PortRange:
			p.Hi = p.Lo + uint16(r.IntN(int(65535-p.Lo)))
		case acl.PortEq, acl.PortNeq:
			if r.IntN(3) == 0 { // several ports
				ports := []uint16{p.Lo}
				for range 1 + r.IntN(acl.MaxPorts-1) {
					if n := uint16(r.IntN(65536)); !slices.Contains(ports, n) {
						ports = append(ports, n)
					}
				}
				p, _ = acl.PortList(p.Op, ports...)
			}
		}
		return p
	}
	rule := acl.Rule{Action: acl.Action(r.IntN(2)), Src: addr(), Dst: addr(), Established: r.IntN(4) == 0, Log: r.IntN(4) == 0}
	if r.IntN(2) == 0 {
		rule.Seq = acl.Seq(1 + r.Int64N(int64(acl.MaxSeq)))
	}
	if r.IntN(3) == 0 && !rule.Established {
		rule.ConnLimit = acl.ConnLimit(1 + r.IntN(65535))
		if r.IntN(2) == 0 {
			rule.ConnMask, _ = acl.MaskLen(f, r.IntN(f.Bits()+1))
		}
		if n := 1 + r.IntN(acl.MaxConnSources); r.IntN(2) == 0 && n != acl.DefaultConnSources {
			rule.ConnSources = uint32(n)
		}
	}
	switch r.IntN(5) {
	case 0:
		rule.Proto, _ = acl.ProtoKeyword("tcp", f)
	case 1:
		rule.Proto, _ = acl.ProtoKeyword("udp", f)
	case 2:
		rule.Proto, _ = acl.ProtoKeyword("icmp", f)
	case 3:
		rule.Proto = acl.ProtoNum(uint8(r.IntN(256)))
	}
	if rule.Proto.HasPorts() {
		rule.SrcPort, rule.DstPort = ports(), ports()
	}
	if rule.Proto.HasICMP(f) {
		switch r.IntN(4) {
		case 0: // a name
			names := acl.ICMPNames(f)
			rule.ICMP = names[r.IntN(len(names))].ICMPMatch
		case 1: // a type, maybe a code
			rule.ICMP = acl.ICMPMatch{Type: uint8(r.IntN(256)), Set: true}
			if r.IntN(2) == 0 {
				rule.ICMP.Code, rule.ICMP.CodeSet = uint8(r.IntN(256)), true
			}
		}
	}
	// Issue 20: a TTL condition, a protocol by its name, fragments.
	if r.IntN(6) == 0 {
		rule.TTL = acl.TTLMatch{Op: acl.PortOp(1 + r.IntN(4)), Val: uint8(1 + r.IntN(254))}
	}
	if !rule.Proto.Set && r.IntN(6) == 0 {
		names := acl.ProtoNames(f)
		rule.Proto, _ = acl.ProtoKeyword(names[r.IntN(len(names))].Name, f)
	}
	if !rule.Proto.HasPorts() && !rule.ICMP.Set && !rule.Established && rule.ConnLimit == 0 && r.IntN(8) == 0 {
		rule.Fragments = true
	}
	return rule
}
