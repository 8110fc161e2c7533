package acl

import (
	"strconv"
	"strings"
)

// ICMPMatch is an ICMP (ICMPv6 in IPv6 lists) type and code condition of an
// icmp rule: `permit icmp any any echo`, `... 3 4`. The zero value matches every
// type.
type ICMPMatch struct {
	Type, Code uint8
	Set        bool // a type is given
	CodeSet    bool // a code is given too (needs Set)
}

// Matches reports whether a message of ICMP type typ and code code satisfies m.
func (m ICMPMatch) Matches(typ, code uint8) bool {
	return !m.Set || typ == m.Type && (!m.CodeSet || code == m.Code)
}

// mayOverlap reports whether a message could satisfy both m and o.
func (m ICMPMatch) mayOverlap(o ICMPMatch) bool {
	if !m.Set || !o.Set {
		return true
	}
	return m.Type == o.Type && (!m.CodeSet || !o.CodeSet || m.Code == o.Code)
}

// ICMPName is a name of an ICMP type, or of a type and code, as IOS has it for
// the family.
type ICMPName struct {
	Name string
	ICMPMatch
	Help string
}

func icmpType(name string, typ uint8, help string) ICMPName {
	return ICMPName{name, ICMPMatch{Type: typ, Set: true}, help}
}

func icmpCode(name string, typ, code uint8, help string) ICMPName {
	return ICMPName{name, ICMPMatch{Type: typ, Code: code, Set: true, CodeSet: true}, help}
}

// icmp4Names are IOS's names of ICMP types and codes (`permit icmp any any ?`),
// sorted; IPv4 names an echo request `echo`, as IOS.
var icmp4Names = []ICMPName{
	icmpCode("administratively-prohibited", 3, 13, "Administratively prohibited"),
	icmpType("alternate-address", 6, "Alternate address"),
	icmpType("conversion-error", 31, "Datagram conversion"),
	icmpCode("dod-host-prohibited", 3, 10, "Host prohibited"),
	icmpCode("dod-net-prohibited", 3, 9, "Net prohibited"),
	icmpType("echo", 8, "Echo (ping)"),
	icmpType("echo-reply", 0, "Echo reply"),
	icmpCode("general-parameter-problem", 12, 0, "Parameter problem"),
	icmpCode("host-isolated", 3, 8, "Host isolated"),
	icmpCode("host-precedence-unreachable", 3, 14, "Host unreachable for precedence"),
	icmpCode("host-redirect", 5, 1, "Host redirect"),
	icmpCode("host-tos-redirect", 5, 3, "Host redirect for TOS"),
	icmpCode("host-tos-unreachable", 3, 12, "Host unreachable for TOS"),
	icmpCode("host-unknown", 3, 7, "Host unknown"),
	icmpCode("host-unreachable", 3, 1, "Host unreachable"),
	icmpType("information-reply", 16, "Information replies"),
	icmpType("information-request", 15, "Information requests"),
	icmpType("mask-reply", 18, "Mask replies"),
	icmpType("mask-request", 17, "Mask requests"),
	icmpType("mobile-redirect", 32, "Mobile host redirect"),
	icmpCode("net-redirect", 5, 0, "Network redirect"),
	icmpCode("net-tos-redirect", 5, 2, "Net redirect for TOS"),
	icmpCode("net-tos-unreachable", 3, 11, "Network unreachable for TOS"),
	icmpCode("net-unreachable", 3, 0, "Net unreachable"),
	icmpCode("network-unknown", 3, 6, "Network unknown"),
	icmpCode("no-room-for-option", 12, 2, "Parameter required but no room"),
	icmpCode("option-missing", 12, 1, "Parameter required but not present"),
	icmpCode("packet-too-big", 3, 4, "Fragmentation needed and DF set"),
	icmpType("parameter-problem", 12, "All parameter problems"),
	icmpCode("port-unreachable", 3, 3, "Port unreachable"),
	icmpCode("precedence-unreachable", 3, 15, "Precedence cutoff"),
	icmpCode("protocol-unreachable", 3, 2, "Protocol unreachable"),
	icmpCode("reassembly-timeout", 11, 1, "Reassembly timeout"),
	icmpType("redirect", 5, "All redirects"),
	icmpType("router-advertisement", 9, "Router discovery advertisements"),
	icmpType("router-solicitation", 10, "Router discovery solicitations"),
	icmpType("source-quench", 4, "Source quenches"),
	icmpCode("source-route-failed", 3, 5, "Source route failed"),
	icmpType("time-exceeded", 11, "All time exceededs"),
	icmpType("timestamp-reply", 14, "Timestamp replies"),
	icmpType("timestamp-request", 13, "Timestamp requests"),
	icmpType("traceroute", 30, "Traceroute"),
	icmpCode("ttl-exceeded", 11, 0, "TTL exceeded"),
	icmpType("unreachable", 3, "All unreachables"),
}

// icmp6Names are IOS's names of ICMPv6 types and codes, sorted; IPv6 names an
// echo request `echo-request`, as IOS.
var icmp6Names = []ICMPName{
	icmpCode("beyond-scope", 1, 2, "Destination beyond scope"),
	icmpType("echo-reply", 129, "Echo reply"),
	icmpType("echo-request", 128, "Echo request (ping)"),
	icmpCode("header", 4, 0, "Parameter header problems"),
	icmpCode("hop-limit", 3, 0, "Hop limit exceeded in transit"),
	icmpType("mld-query", 130, "Multicast listener query"),
	icmpType("mld-reduction", 132, "Multicast listener done"),
	icmpType("mld-report", 131, "Multicast listener report"),
	icmpType("nd-na", 136, "Neighbor advertisements"),
	icmpType("nd-ns", 135, "Neighbor solicitations"),
	icmpCode("next-header", 4, 1, "Parameter next header problems"),
	icmpCode("no-admin", 1, 1, "Administration prohibited destination"),
	icmpCode("no-route", 1, 0, "No route to destination"),
	icmpType("packet-too-big", 2, "Packet too big"),
	icmpCode("parameter-option", 4, 2, "Parameter option problems"),
	icmpType("parameter-problem", 4, "All parameter problems"),
	icmpCode("port-unreachable", 1, 4, "Port unreachable"),
	icmpCode("reassembly-timeout", 3, 1, "Reassembly timeout"),
	icmpType("redirect", 137, "Neighbor redirect"),
	icmpType("router-advertisement", 134, "Neighbor discovery router advertisements"),
	icmpType("router-renumbering", 138, "All router renumbering"),
	icmpType("router-solicitation", 133, "Neighbor discovery router solicitations"),
	icmpType("time-exceeded", 3, "All time exceeded"),
	icmpType("unreachable", 1, "All unreachable"),
}

// ICMPNames returns the ICMP type names of family f (ICMPv6 for IPv6), sorted.
// The slice must not be modified.
func ICMPNames(f Family) []ICMPName {
	if f == IPv6 {
		return icmp6Names
	}
	return icmp4Names
}

// ParseICMPName returns the type (and code) an ICMP name of family f stands for.
func ParseICMPName(f Family, name string) (ICMPMatch, bool) {
	name = strings.ToLower(name)
	for _, n := range ICMPNames(f) {
		if n.Name == name {
			return n.ICMPMatch, true
		}
	}
	return ICMPMatch{}, false
}

// Format renders the match for a list of family f: the name of its type (and
// code) when the family has one, else the numbers (`3 4` in IPv6 lists); ""
// for the zero value.
func (m ICMPMatch) Format(f Family) string { return string(m.AppendTo(nil, f)) }

// AppendTo appends Format(f) to b.
func (m ICMPMatch) AppendTo(b []byte, f Family) []byte {
	if !m.Set {
		return b
	}
	for _, n := range ICMPNames(f) {
		if n.ICMPMatch == m {
			return append(b, n.Name...)
		}
	}
	b = strconv.AppendUint(b, uint64(m.Type), 10)
	if m.CodeSet {
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(m.Code), 10)
	}
	return b
}

// Validate checks the match against the rule's protocol in a list of family f.
func (m ICMPMatch) validate(p Protocol, f Family) error {
	if m.CodeSet && !m.Set {
		return errf(ErrInvalid, "an ICMP code needs a type")
	}
	if m.Set && !p.HasICMP(f) {
		if f == IPv6 {
			return errf(ErrInvalid, "ICMP types need protocol icmp (or icmpv6)")
		}
		return errf(ErrInvalid, "ICMP types need protocol icmp")
	}
	return nil
}

// ImplicitICMPv6 returns, in type order, the ICMPv6 types every bound IPv6 list
// permits after its last line, before the implicit deny: neighbor
// solicitations and advertisements, as IOS permits them (without them IPv6
// stops working), and router advertisements, which IOS does not: a host (not a
// router) learns its default route and addresses from them, and would lose
// them when the last one expires. A line of the list decides first: `deny icmp
// any any router-advertisement` drops them.
func ImplicitICMPv6() []ICMPName {
	var out []ICMPName
	for _, name := range []string{"router-advertisement", "nd-ns", "nd-na"} {
		m, _ := ParseICMPName(IPv6, name)
		out = append(out, ICMPName{Name: name, ICMPMatch: m})
	}
	return out
}

// ImplicitICMPv6Line is the implicit permit of ImplicitICMPv6 as show
// access-lists shows it: `implicit permit icmp any any router-advertisement,
// nd-ns, nd-na`.
func ImplicitICMPv6Line() string {
	var names []string
	for _, n := range ImplicitICMPv6() {
		names = append(names, n.Name)
	}
	return "implicit permit icmp any any " + strings.Join(names, ", ")
}

// ImplicitPermits reports whether a packet no line of a list of family f
// decides is permitted by the implicit permit (ImplicitICMPv6) rather than
// dropped by the implicit deny: an ICMPv6 message of one of its types, any
// code, new or not (the enforcer's `icmpv6 type 134-136 accept` looks at
// nothing else).
func ImplicitPermits(f Family, p Packet) bool {
	if f != IPv6 || p.Proto != ProtoICMPv6 {
		return false
	}
	for _, n := range ImplicitICMPv6() {
		if n.Matches(p.ICMPType, p.ICMPCode) {
			return true
		}
	}
	return false
}

// icmpMessageName names an ICMP message of family f as rules do: the name of
// its type and code, else of its type when the code is 0 (what `test
// access-list` reads the name as), else "".
func icmpMessageName(f Family, typ, code uint8) string {
	m := ICMPMatch{Type: typ, Code: code, Set: true, CodeSet: true}
	for _, n := range ICMPNames(f) {
		if n.ICMPMatch == m {
			return n.Name
		}
	}
	if code != 0 {
		return ""
	}
	m.CodeSet, m.Code = false, 0
	for _, n := range ICMPNames(f) {
		if n.ICMPMatch == m {
			return n.Name
		}
	}
	return ""
}
