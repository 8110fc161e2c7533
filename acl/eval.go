package acl

import "net/netip"

// Packet is what Evaluate looks at: the first packet of a connection arriving on the
// management interface, or (Reply) a packet of a connection this host initiated
// (conntrack's reply direction).
type Packet struct {
	Proto            uint8
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16 // tcp and udp only
	// ICMPType and ICMPCode are the type and code of an ICMP (ICMPv6) message.
	ICMPType, ICMPCode uint8
	Reply              bool
	// TTL is the packet's TTL (IPv6: hop limit); zero is read as 64, the
	// usual start value (HopLimit).
	TTL uint8
}

// DefaultTTL is the TTL of a Packet that gives none.
const DefaultTTL = 64

// HopLimit returns the packet's TTL: TTL, or DefaultTTL when zero.
func (p Packet) HopLimit() uint8 {
	if p.TTL == 0 {
		return DefaultTTL
	}
	return p.TTL
}

// Matches reports whether the packet matches the rule's criteria, ignoring any
// connection limit. Remarks match nothing.
//
// Every line applies to every packet, as on IOS and as the kernel walks the
// list: a line without `established` matches replies too (`deny udp any any`
// drops the answers to the host's own DNS queries). A line with `established`
// matches only replies; a connlimit line only new connections (it counts them).
func (r Rule) Matches(p Packet) bool {
	if r.IsRemark() || !r.MatchesState(p.Reply) {
		return false
	}
	if r.Proto.Set && r.Proto.Num != p.Proto {
		return false
	}
	if !r.Src.Contains(p.Src) || !r.Dst.Contains(p.Dst) {
		return false
	}
	if r.Proto.HasPorts() && (!r.SrcPort.Matches(p.SrcPort) || !r.DstPort.Matches(p.DstPort)) {
		return false
	}
	if !r.ICMP.Matches(p.ICMPType, p.ICMPCode) {
		return false
	}
	if !r.TTL.Matches(p.HopLimit()) {
		return false
	}
	// No packet reaching a list is a non-initial fragment: the kernel
	// reassembles them first (Rule.Fragments).
	return !r.Fragments
}

// MatchesState reports whether the rule can match a packet of a new connection
// (reply false) or a reply to a connection this host initiated (reply true).
func (r Rule) MatchesState(reply bool) bool {
	switch {
	case r.Established:
		return reply
	case r.ConnLimit != 0:
		return !reply
	}
	return true
}

// Evaluate returns the rule that decides a packet (a new connection's first packet, or a reply): rules in
// seq order, first match wins. live returns how many connections matching a
// connlimit rule the packet's source already has: `permit ... connlimit N` matches
// while live+1 <= N, `deny ... connlimit N` while live+1 >= N. ok is false when no
// rule matches (the implicit deny).
func (a *ACL) Evaluate(p Packet, live func(r Rule) int) (r Rule, ok bool) {
	for _, r := range a.entries {
		if !r.Matches(p) {
			continue
		}
		if r.ConnLimit != 0 && !r.Established {
			n := 1
			if live != nil {
				n += live(r)
			}
			if r.Action == Permit && n > int(r.ConnLimit) || r.Action == Deny && n < int(r.ConnLimit) {
				continue
			}
		}
		return r, true
	}
	return Rule{}, false
}
