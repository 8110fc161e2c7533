package acl

import (
	"math/bits"
	"net/netip"
	"slices"
)

// The header space: the packets a line matches, as a product of one set per
// dimension (a cube), and exact answers to "do these lines cover that cube?"
// with a packet as the witness when they do not. Trace and lint (lint.go) are
// built on it; Evaluate stays the definition of what a list does, and the tests
// check this file against it.
//
// Each dimension is read from a rule by one small function (stateOf, protoOf,
// addrOf, portsOf, icmpOf). A new kind of match plugs in there: several ports in
// one line are more spans from portsOf, ICMP type/code matches spans from icmpOf.

// Dimensions held as sets of numbers (spans).
const (
	dState = iota // 0: a new connection's first packet, 1: established (a reply)
	dProto        // protocol number, 0-255
	dSport        // source port, 0-65535 (tcp and udp lines only; every port otherwise)
	dDport        // destination port
	dICMP         // ICMP type<<8 | code (of the family's ICMP protocol; every value for other lines)
	dTTL          // TTL (IPv6: hop limit), 0-255
	nSpan
)

// Address dimensions, held as ternary patterns.
const (
	dSrc = iota
	dDst
	nAddr
)

var spanMax = [nSpan]uint16{dState: 1, dProto: 255, dSport: 65535, dDport: 65535, dICMP: 65535, dTTL: 255}

// span is the closed interval lo-hi.
type span struct{ lo, hi uint16 }

// spans is a set of numbers: sorted, disjoint, non-adjacent spans. Empty is the
// empty set.
type spans []span

func full(d int) spans { return spans{{0, spanMax[d]}} }

func one(v uint16) spans { return spans{{v, v}} }

// overlaps reports whether s and t share a number.
func (s spans) overlaps(t spans) bool {
	i, j := 0, 0
	for i < len(s) && j < len(t) {
		switch {
		case s[i].hi < t[j].lo:
			i++
		case t[j].hi < s[i].lo:
			j++
		default:
			return true
		}
	}
	return false
}

// covers reports whether every number of t is in s.
func (s spans) covers(t spans) bool {
	i := 0
	for _, x := range t {
		for i < len(s) && s[i].hi < x.lo {
			i++
		}
		if i == len(s) || s[i].lo > x.lo || s[i].hi < x.hi {
			return false
		}
	}
	return true
}

// and returns s ∩ t.
func (s spans) and(t spans) spans {
	var out spans
	i, j := 0, 0
	for i < len(s) && j < len(t) {
		lo, hi := max(s[i].lo, t[j].lo), min(s[i].hi, t[j].hi)
		if lo <= hi {
			out = append(out, span{lo, hi})
		}
		if s[i].hi < t[j].hi {
			i++
		} else {
			j++
		}
	}
	return out
}

// minus returns s \ t.
func (s spans) minus(t spans) spans {
	var out spans
	j := 0
	for _, x := range s {
		lo := uint32(x.lo)
		for j < len(t) && t[j].hi < x.lo {
			j++
		}
		for k := j; k < len(t) && t[k].lo <= x.hi && lo <= uint32(x.hi); k++ {
			if uint32(t[k].lo) > lo {
				out = append(out, span{uint16(lo), t[k].lo - 1})
			}
			lo = uint32(t[k].hi) + 1
		}
		if lo <= uint32(x.hi) {
			out = append(out, span{uint16(lo), x.hi})
		}
	}
	return out
}

// u128 is an address: IPv6 as is, IPv4 in the low 32 bits. Bit 0 is the most
// significant of the 128.
type u128 struct{ hi, lo uint64 }

func (a u128) and(b u128) u128    { return u128{a.hi & b.hi, a.lo & b.lo} }
func (a u128) or(b u128) u128     { return u128{a.hi | b.hi, a.lo | b.lo} }
func (a u128) xor(b u128) u128    { return u128{a.hi ^ b.hi, a.lo ^ b.lo} }
func (a u128) andNot(b u128) u128 { return u128{a.hi &^ b.hi, a.lo &^ b.lo} }
func (a u128) zero() bool         { return a.hi|a.lo == 0 }

// bit returns the value with only bit i set.
func bit(i int) u128 {
	if i < 64 {
		return u128{1 << (63 - i), 0}
	}
	return u128{0, 1 << (127 - i)}
}

// first returns the most significant set bit, -1 if none.
func (a u128) first() int {
	if a.hi != 0 {
		return bits.LeadingZeros64(a.hi)
	}
	if a.lo != 0 {
		return 64 + bits.LeadingZeros64(a.lo)
	}
	return -1
}

func u128Of(a netip.Addr) u128 {
	if a.Is4() {
		b := a.As4()
		return u128{0, uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])}
	}
	b := a.As16()
	var x u128
	for i := range 8 {
		x.hi = x.hi<<8 | uint64(b[i])
		x.lo = x.lo<<8 | uint64(b[8+i])
	}
	return x
}

func (a u128) addr(f Family) netip.Addr {
	if f == IPv4 {
		return netip.AddrFrom4([4]byte{byte(a.lo >> 24), byte(a.lo >> 16), byte(a.lo >> 8), byte(a.lo)})
	}
	var b [16]byte
	for i := range 8 {
		b[i] = byte(a.hi >> (56 - 8*i))
		b[8+i] = byte(a.lo >> (56 - 8*i))
	}
	return netip.AddrFrom16(b)
}

// prefixBits returns the mask of the first n bits of an address of family f.
func prefixBits(f Family, n int) u128 {
	var m u128
	off := 128 - f.Bits()
	for i := range n {
		m = m.or(bit(off + i))
	}
	return m
}

// tern is an address match as a ternary pattern: an address x matches when
// x & care == val. care zero is any.
type tern struct{ val, care u128 }

func (t tern) overlaps(u tern) bool { return t.val.xor(u.val).and(t.care).and(u.care).zero() }

// covers reports whether every address u matches t matches.
func (t tern) covers(u tern) bool {
	return t.care.andNot(u.care).zero() && t.val.xor(u.val).and(t.care).zero()
}

// cube is a set of packets: those whose every field is in the cube's set for it.
type cube struct {
	sp [nSpan]spans
	ad [nAddr]tern
}

func (c *cube) overlaps(d *cube) bool {
	for i := range c.ad {
		if !c.ad[i].overlaps(d.ad[i]) {
			return false
		}
	}
	for i := range c.sp {
		if !c.sp[i].overlaps(d.sp[i]) {
			return false
		}
	}
	return true
}

// covers reports whether d ⊆ c.
func (c *cube) covers(d *cube) bool {
	for i := range c.ad {
		if !c.ad[i].covers(d.ad[i]) {
			return false
		}
	}
	for i := range c.sp {
		if !c.sp[i].covers(d.sp[i]) {
			return false
		}
	}
	return true
}

// and returns c ∩ d; ok is false when it is empty.
func (c *cube) and(d *cube) (x cube, ok bool) {
	for i := range c.ad {
		if !c.ad[i].overlaps(d.ad[i]) {
			return x, false
		}
		x.ad[i] = tern{c.ad[i].val.or(d.ad[i].val), c.ad[i].care.or(d.ad[i].care)}
	}
	for i := range c.sp {
		if x.sp[i] = c.sp[i].and(d.sp[i]); len(x.sp[i]) == 0 {
			return x, false
		}
	}
	return x, true
}

// everything is the cube of every packet.
func everything() cube {
	var c cube
	for d := range c.sp {
		c.sp[d] = full(d)
	}
	return c
}

// The dimension functions: what a rule matches in each dimension.

// stateOf: a line with established matches replies to the host's own
// connections, a connlimit line a new connection's first packet, any other line
// both (as Rule.MatchesState).
func stateOf(r Rule) spans {
	switch {
	case r.Established:
		return one(1)
	case r.ConnLimit != 0:
		return one(0)
	}
	return full(dState)
}

func protoOf(r Rule) spans {
	if !r.Proto.Set {
		return full(dProto)
	}
	return one(uint16(r.Proto.Num))
}

func addrOf(a Address) tern {
	switch a.Kind {
	case AddrHost:
		f, _ := a.Family()
		return tern{u128Of(a.Addr), prefixBits(f, f.Bits())}
	case AddrPrefix:
		f, _ := a.Family()
		return tern{u128Of(a.Addr), prefixBits(f, int(a.Bits))}
	case AddrWildcard:
		w := u128Of(a.Wildcard)
		return tern{u128Of(a.Addr), prefixBits(IPv4, 32).andNot(w)}
	}
	return tern{}
}

// listSpans returns the ports of an eq or neq match (ascending, all different)
// as spans, neighbours joined.
func listSpans(p PortMatch) spans {
	out := make(spans, 0, 1+p.NMore)
	for _, x := range p.Ports() {
		if n := len(out); n > 0 && out[n-1].hi+1 == x {
			out[n-1].hi = x
			continue
		}
		out = append(out, span{x, x})
	}
	return out
}

// portsOf returns the ports p allows; every port for a line without ports.
func portsOf(r Rule, p PortMatch) spans {
	if !r.Proto.HasPorts() {
		return full(dSport)
	}
	switch p.Op {
	case PortEq:
		return listSpans(p)
	case PortNeq:
		return full(dSport).minus(listSpans(p))
	case PortLt:
		return spans{{0, p.Lo - 1}}
	case PortGt:
		return spans{{p.Lo + 1, 65535}}
	case PortRange:
		return spans{{p.Lo, p.Hi}}
	}
	return full(dSport)
}

// icmpOf returns the ICMP type<<8|code values the line matches: one type (every
// code), one type and code, or every value for a line without an ICMP type.
func icmpOf(r Rule) spans { return icmpSpans(r.ICMP) }

func icmpSpans(m ICMPMatch) spans {
	switch {
	case !m.Set:
		return full(dICMP)
	case !m.CodeSet:
		return spans{{uint16(m.Type) << 8, uint16(m.Type)<<8 | 0xff}}
	}
	return one(uint16(m.Type)<<8 | uint16(m.Code))
}

// icmpProto returns the protocol whose messages have ICMP types in lists of
// family f: ICMP, or ICMPv6 in IPv6 lists.
func icmpProto(f Family) uint8 {
	if f == IPv6 {
		return ProtoICMPv6
	}
	return ProtoICMP
}

// echoRequest is the ICMP type<<8|code of a ping, the message a witness takes
// where it can.
var echoRequest = [2]uint16{IPv4: 8 << 8, IPv6: 128 << 8}

// cubeOf returns the packets r matches by its criteria (connection limits aside).
func cubeOf(r Rule) cube {
	var c cube
	c.sp[dState] = stateOf(r)
	c.sp[dProto] = protoOf(r)
	c.sp[dSport] = portsOf(r, r.SrcPort)
	c.sp[dDport] = portsOf(r, r.DstPort)
	c.sp[dICMP] = icmpOf(r)
	c.sp[dTTL] = ttlOf(r.TTL)
	c.ad[dSrc] = addrOf(r.Src)
	c.ad[dDst] = addrOf(r.Dst)
	if r.Fragments {
		c.sp[dProto] = nil // no packet a list sees is a fragment (Rule.Fragments)
	}
	return c
}

// ttlOf returns the TTLs a TTL condition matches.
func ttlOf(t TTLMatch) spans {
	v := uint16(t.Val)
	switch t.Op {
	case PortEq:
		return one(v)
	case PortLt:
		return spans{{0, v - 1}} // Validate: not lt 0
	case PortGt:
		return spans{{v + 1, 255}} // Validate: not gt 255
	case PortNeq:
		return full(dTTL).minus(one(v))
	}
	return full(dTTL)
}

// point returns one packet of c, as an operator would pick it: for an address
// left free a documentation address (192.0.2.1, 2001:db8::1) or the
// management address preferred, in a prefix its first host rather than its
// network address, source port 40000 where allowed, and the lowest value (but
// 0) of what else is left, or the preferred destination port; an ICMP message
// an echo request (ping) where allowed.
func (c *cube) point(f Family, prefer [nAddr]netip.Addr, port uint16) Example {
	pick := func(t tern, prefer netip.Addr) netip.Addr {
		if prefer.IsValid() && prefer.Is4() == (f == IPv4) {
			if v := u128Of(prefer); v.and(t.care) == t.val {
				return prefer
			}
		}
		v := t.val
		if t.care.zero() {
			return docAddr[f]
		}
		if free := prefixBits(f, f.Bits()).andNot(t.care); !free.zero() {
			// the least significant free bit: x.x.x.1 in a prefix
			if free.lo != 0 {
				v.lo |= free.lo & -free.lo
			} else {
				v.hi |= free.hi & -free.hi
			}
		}
		return v.addr(f)
	}
	// prefer if allowed, else the lowest value but 0 (port 0 reads as a mistake)
	lowest := func(s spans, prefer uint16) uint16 {
		switch {
		case s.overlaps(one(prefer)):
			return prefer
		case s[0].lo == 0 && s[0].hi > 0:
			return 1
		}
		return s[0].lo
	}
	p := Packet{
		Proto: uint8(lowest(c.sp[dProto], ProtoTCP)),
		Src:   pick(c.ad[dSrc], prefer[dSrc]),
		Dst:   pick(c.ad[dDst], prefer[dDst]),
		Reply: c.sp[dState][0].lo == 1,
		TTL:   uint8(lowest(c.sp[dTTL], DefaultTTL)),
	}
	if p.Proto == ProtoTCP || p.Proto == ProtoUDP {
		p.SrcPort = lowest(c.sp[dSport], 40000)
		p.DstPort = lowest(c.sp[dDport], max(1, c.sp[dDport][0].lo))
		if port != 0 && c.sp[dDport].overlaps(one(port)) {
			p.DstPort = port
		}
	}
	if p.Proto == icmpProto(f) {
		ic := c.sp[dICMP][0].lo
		if c.sp[dICMP].overlaps(one(echoRequest[f])) {
			ic = echoRequest[f]
		}
		p.ICMPType, p.ICMPCode = uint8(ic>>8), uint8(ic)
	}
	return Example{Family: f, Packet: p}
}

// docAddr is the address a witness takes where any address will do (RFC 5737,
// RFC 3849).
var docAddr = [2]netip.Addr{IPv4: netip.MustParseAddr("192.0.2.1"), IPv6: netip.MustParseAddr("2001:db8::1")}

// pointCube returns the cube of one packet.
func pointCube(p Packet) cube {
	var c cube
	st := uint16(0)
	if p.Reply {
		st = 1
	}
	c.sp[dState] = one(st)
	c.sp[dProto] = one(uint16(p.Proto))
	c.sp[dSport], c.sp[dDport] = one(p.SrcPort), one(p.DstPort)
	c.sp[dICMP] = one(uint16(p.ICMPType)<<8 | uint16(p.ICMPCode))
	c.sp[dTTL] = one(uint16(p.HopLimit()))
	f := IPv4
	if p.Src.Is6() {
		f = IPv6
	}
	all := prefixBits(f, f.Bits())
	c.ad[dSrc] = tern{u128Of(p.Src), all}
	c.ad[dDst] = tern{u128Of(p.Dst), all}
	return c
}

// solver answers whether a union of cubes covers a cube, exactly: it splits the
// cube along the first cube that does not cover it, until every part is covered
// by one cube or meets none (then any packet of that part is a witness).
type solver struct {
	f      Family
	prefer [nAddr]netip.Addr // addresses a witness takes where it can
	port   uint16            // the destination port a witness takes where it can (0: none)
	cubes  []cube            // by line index
	steps  int               // parts looked at, over the solver's life
	limit  int               // steps a question may take (0: no limit)
	// scratch: candidate lists per depth
	pool [][]int32
}

// coverResult is the answer to one question.
type coverResult struct {
	covered bool
	witness Example // when not covered
	used    []int32 // when covered: lines whose cubes covered a part, in line order
	gaveUp  bool    // the limit was reached: neither answer is known
}

// cover answers whether the cubes of lines ks (all meeting c) cover c.
func (s *solver) cover(c cube, ks []int32) coverResult {
	var res coverResult
	start := s.steps
	var used []int32
	var rec func(c *cube, ks []int32, depth int) bool
	rec = func(c *cube, ks []int32, depth int) bool {
		s.steps++
		if s.limit > 0 && s.steps-start > s.limit {
			res.gaveUp = true
			return false
		}
		for _, k := range ks {
			if s.cubes[k].covers(c) {
				used = append(used, k)
				return true
			}
		}
		if len(ks) == 0 {
			res.witness = c.point(s.f, s.prefer, s.port)
			return false
		}
		in, out := s.split(c, ks)
		parts := [2]*cube{&in, &out}
		lists := [2][]int32{s.filter(&in, ks, depth*2), s.filter(&out, ks, depth*2+1)}
		// The part that fewer lines meet first: when the cube is not covered,
		// that is where a witness is found soonest.
		order := [2]int{0, 1}
		if len(lists[1]) < len(lists[0]) {
			order = [2]int{1, 0}
		}
		for _, i := range order {
			if !rec(parts[i], lists[i], depth+1) {
				return false
			}
		}
		return true
	}
	res.covered = rec(&c, ks, 0)
	if res.covered {
		slices.Sort(used)
		res.used = slices.Compact(used)
	}
	return res
}

// filter returns the lines of ks whose cubes meet c, in scratch slot n.
func (s *solver) filter(c *cube, ks []int32, n int) []int32 {
	for len(s.pool) <= n {
		s.pool = append(s.pool, nil)
	}
	out := s.pool[n][:0]
	for _, k := range ks {
		if s.cubes[k].overlaps(c) {
			out = append(out, k)
		}
	}
	s.pool[n] = out
	return out
}

// split divides c in two along the dimension most of the first lines of ks
// constrain (an address bit they fix, or a set of numbers they do not hold
// whole), so that each part meets fewer of them. No line of ks covers c, and
// every one meets it.
func (s *solver) split(c *cube, ks []int32) (in, out cube) {
	const sample = 16
	var bitCount [nAddr][128]uint8
	var spanCount [nSpan]uint8
	var spanBy [nSpan]int32
	bestD, bestBit, best := -1, 0, 0
	for _, k := range ks[:min(len(ks), sample)] {
		kc := &s.cubes[k]
		for d := range c.ad {
			free := kc.ad[d].care.andNot(c.ad[d].care)
			for b := free.first(); b >= 0; b = free.first() {
				free = free.andNot(bit(b))
				bitCount[d][b]++
				if n := int(bitCount[d][b]); n > best {
					best, bestD, bestBit = n, d, b
				}
			}
		}
		for d := range c.sp {
			if !kc.sp[d].covers(c.sp[d]) {
				if spanCount[d] == 0 {
					spanBy[d] = k
				}
				spanCount[d]++
				if n := int(spanCount[d]); n > best {
					best, bestD, bestBit = n, nAddr+d, 0
				}
			}
		}
	}
	in, out = *c, *c
	if bestD < 0 {
		panic("acl: split of a cube its splitters cover")
	}
	if bestD < nAddr {
		ct, b := c.ad[bestD], bit(bestBit)
		in.ad[bestD] = tern{ct.val.or(b), ct.care.or(b)}
		out.ad[bestD] = tern{ct.val, ct.care.or(b)}
		return in, out
	}
	d := bestD - nAddr
	k := &s.cubes[spanBy[d]]
	in.sp[d] = c.sp[d].and(k.sp[d])
	out.sp[d] = c.sp[d].minus(k.sp[d])
	return in, out
}
