package acl

import "net/netip"

// MayOverlap reports whether some packet could match both rules' criteria
// (connection limits and actions aside). It never says false for rules that
// overlap; for non-contiguous wildcards and `neq` ports it may say true for rules
// that do not.
func (r Rule) MayOverlap(o Rule) bool {
	if r.IsRemark() || o.IsRemark() || !(r.MatchesState(false) && o.MatchesState(false) || r.MatchesState(true) && o.MatchesState(true)) {
		return false
	}
	if r.Proto.Set && o.Proto.Set && r.Proto.Num != o.Proto.Num {
		return false
	}
	if !r.Src.mayOverlap(o.Src) || !r.Dst.mayOverlap(o.Dst) {
		return false
	}
	if r.Proto.HasPorts() && o.Proto.HasPorts() {
		return r.SrcPort.mayOverlap(o.SrcPort) && r.DstPort.mayOverlap(o.DstPort)
	}
	return r.ICMP.mayOverlap(o.ICMP)
}

// prefix returns the address as a prefix; ok is false for any and wildcards.
func (a Address) prefix() (netip.Prefix, bool) {
	switch a.Kind {
	case AddrHost:
		return netip.PrefixFrom(a.Addr, a.Addr.BitLen()), true
	case AddrPrefix:
		return netip.PrefixFrom(a.Addr, int(a.Bits)), true
	}
	return netip.Prefix{}, false
}

func (a Address) mayOverlap(b Address) bool {
	p, ok1 := a.prefix()
	q, ok2 := b.prefix()
	if !ok1 || !ok2 {
		return true
	}
	return p.Overlaps(q)
}

// bounds returns the ports a match allows as a range; ok is false for neq.
func (p PortMatch) bounds() (lo, hi uint16, ok bool) {
	switch p.Op {
	case PortEq:
		return p.Lo, p.Lo, true
	case PortLt:
		return 0, p.Lo - 1, true
	case PortGt:
		return p.Lo + 1, 65535, true
	case PortRange:
		return p.Lo, p.Hi, true
	case PortAny:
		return 0, 65535, true
	}
	return 0, 0, false
}

func (p PortMatch) mayOverlap(q PortMatch) bool {
	// An eq match shares a port with q exactly when q matches one of its ports.
	if p.Op == PortEq || q.Op == PortEq {
		if p.Op != PortEq {
			p, q = q, p
		}
		for _, x := range p.Ports() {
			if q.Matches(x) {
				return true
			}
		}
		return false
	}
	a, b, ok1 := p.bounds()
	c, d, ok2 := q.bounds()
	if !ok1 || !ok2 {
		return true
	}
	return a <= d && c <= b
}
