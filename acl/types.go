// Package acl is the pure ACL model of aclsh: configs, access lists, rules and their
// parts, with validation, seq numbering, canonical text and packet evaluation.
//
// It does no I/O and imports nothing of aclsh's own. Every value type has a String
// method giving the canonical running-config spelling.
package acl

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Family is an address family. The zero value is IPv4.
type Family uint8

const (
	IPv4 Family = iota
	IPv6
)

// String returns "ip" or "ipv6", the CLI keyword of the family.
func (f Family) String() string {
	if f == IPv6 {
		return "ipv6"
	}
	return "ip"
}

// Name returns "IPv4" or "IPv6" for human-readable output.
func (f Family) Name() string {
	if f == IPv6 {
		return "IPv6"
	}
	return "IPv4"
}

// Bits returns the address length of the family: 32 or 128.
func (f Family) Bits() int {
	if f == IPv6 {
		return 128
	}
	return 32
}

// Action is what a rule does with a matching packet. The zero value is Permit.
type Action uint8

const (
	Permit Action = iota
	Deny
)

func (a Action) String() string {
	if a == Deny {
		return "deny"
	}
	return "permit"
}

// Protocol numbers with a keyword of their own.
const (
	ProtoICMP   = 1
	ProtoTCP    = 6
	ProtoUDP    = 17
	ProtoICMPv6 = 58
)

// Protocol is the protocol a rule matches. The zero value matches every protocol
// (`ip` in IPv4 lists, `ipv6` in IPv6 lists).
type Protocol struct {
	Num uint8 // protocol number when Set
	Set bool  // false: any protocol
	// Keyword records that the protocol was named with a keyword (tcp, udp, icmp)
	// rather than a number, so that it renders as typed.
	Keyword bool
}

// IsAny reports whether p matches every protocol.
func (p Protocol) IsAny() bool { return !p.Set }

// ProtoNum returns a Protocol for a number as written (`6`).
func ProtoNum(n uint8) Protocol { return Protocol{Num: n, Set: true} }

// ProtoKeyword returns the Protocol named by a keyword: tcp, udp or icmp.
// In IPv6 lists icmp means ICMPv6 (58), as on IOS, and so does icmpv6 (EOS),
// which IPv4 lists refuse.
func ProtoKeyword(name string, f Family) (Protocol, bool) {
	switch name {
	case "icmpv6":
		if f == IPv6 {
			return Protocol{Num: ProtoICMPv6, Set: true, Keyword: true}, true
		}
		return Protocol{}, false
	case "tcp":
		return Protocol{Num: ProtoTCP, Set: true, Keyword: true}, true
	case "udp":
		return Protocol{Num: ProtoUDP, Set: true, Keyword: true}, true
	case "icmp":
		if f == IPv6 {
			return Protocol{Num: ProtoICMPv6, Set: true, Keyword: true}, true
		}
		return Protocol{Num: ProtoICMP, Set: true, Keyword: true}, true
	case "ip", "ipv6":
		return Protocol{}, true
	case "ipv4": // IOS-XR
		return Protocol{}, f == IPv4
	}
	for _, n := range protoNames {
		if n.Name == name && n.in(f) {
			return Protocol{Num: n.Num, Set: true, Keyword: true}, true
		}
	}
	return Protocol{}, false
}

// ProtoName is an IP protocol named on input and in the running-config
// besides tcp, udp and icmp (IOS's and EOS's names).
type ProtoName struct {
	Name string
	Num  uint8
	Help string
	v6   bool // named in IPv6 lists too
}

func (n ProtoName) in(f Family) bool { return f == IPv4 || n.v6 }

var protoNames = []ProtoName{
	{"ahp", 51, "Authentication Header Protocol", true},
	{"eigrp", 88, "Cisco's EIGRP routing protocol", true},
	{"esp", 50, "Encapsulation Security Payload", true},
	{"gre", 47, "Generic Routing Encapsulation", true},
	{"igmp", 2, "Internet Group Management Protocol", false},
	{"ipinip", 4, "IP in IP tunneling", false},
	{"nos", 94, "KA9Q NOS compatible IP over IP tunneling", false},
	{"ospf", 89, "OSPF routing protocol", true},
	{"pcp", 108, "Payload Compression Protocol", true},
	{"pim", 103, "Protocol Independent Multicast", true},
	{"rsvp", 46, "Resource Reservation Protocol", true},
	{"sctp", 132, "Stream Control Transmission Protocol", true},
	{"vrrp", 112, "Virtual Router Redundancy Protocol", true},
}

// ProtoNames returns the protocol names of lists of family f, sorted.
func ProtoNames(f Family) []ProtoName {
	var out []ProtoName
	for _, n := range protoNames {
		if n.in(f) {
			out = append(out, n)
		}
	}
	return out
}

// HasPorts reports whether port matches may be given: only for tcp and udp keywords.
func (p Protocol) HasPorts() bool {
	return p.Set && p.Keyword && (p.Num == ProtoTCP || p.Num == ProtoUDP)
}

// HasICMP reports whether ICMP types may be given in a list of family f: only
// for the icmp keyword (icmpv6 in IPv6 lists).
func (p Protocol) HasICMP(f Family) bool {
	want := uint8(ProtoICMP)
	if f == IPv6 {
		want = ProtoICMPv6
	}
	return p.Set && p.Keyword && p.Num == want
}

func (p Protocol) appendTo(b []byte, f Family) []byte {
	if p.Set && !p.Keyword {
		return strconv.AppendUint(b, uint64(p.Num), 10)
	}
	return append(b, p.Format(f)...)
}

// Format renders the protocol for a list of family f.
func (p Protocol) Format(f Family) string {
	if !p.Set {
		return f.String()
	}
	if p.Keyword {
		switch p.Num {
		case ProtoTCP:
			return "tcp"
		case ProtoUDP:
			return "udp"
		case ProtoICMP, ProtoICMPv6:
			return "icmp"
		}
		for _, n := range protoNames {
			if n.Num == p.Num && n.in(f) {
				return n.Name
			}
		}
	}
	return strconv.Itoa(int(p.Num))
}

// AddrKind says which form an Address has. The zero value is AddrAny.
type AddrKind uint8

const (
	AddrAny      AddrKind = iota // any
	AddrHost                     // host A
	AddrPrefix                   // A/LEN
	AddrWildcard                 // A W (IPv4 only, non-contiguous mask)
)

// Address is a source or destination match. The zero value is `any`.
//
// Canonical forms: a contiguous wildcard becomes a prefix, a full-length prefix
// becomes `host`, a zero-length prefix becomes `any`.
type Address struct {
	Addr     netip.Addr // network address (host bits clear) or the host
	Wildcard netip.Addr // the wildcard mask for AddrWildcard
	Kind     AddrKind
	Bits     uint8 // prefix length for AddrPrefix
}

// AnyAddr is the address that matches everything.
var AnyAddr = Address{}

// HostAddr returns `host a`.
func HostAddr(a netip.Addr) Address { return Address{Kind: AddrHost, Addr: a} }

// AppendTo appends String() to b.
func (a Address) AppendTo(b []byte) []byte {
	switch a.Kind {
	case AddrHost:
		return a.Addr.AppendTo(append(b, "host "...))
	case AddrPrefix:
		return strconv.AppendInt(append(a.Addr.AppendTo(b), '/'), int64(a.Bits), 10)
	case AddrWildcard:
		return a.Wildcard.AppendTo(append(a.Addr.AppendTo(b), ' '))
	}
	return append(b, "any"...)
}

// String returns the canonical CLI form.
func (a Address) String() string {
	switch a.Kind {
	case AddrHost:
		return "host " + a.Addr.String()
	case AddrPrefix:
		return a.Addr.String() + "/" + strconv.Itoa(int(a.Bits))
	case AddrWildcard:
		return a.Addr.String() + " " + a.Wildcard.String()
	}
	return "any"
}

// Family returns the family of the address; any is IPv4 as well as IPv6 and
// reports ok=false.
func (a Address) Family() (Family, bool) {
	if a.Kind == AddrAny {
		return IPv4, false
	}
	if a.Addr.Is4() {
		return IPv4, true
	}
	return IPv6, true
}

// Unmapped reports whether every address a matches is IPv4-mapped
// (::ffff:0:0/96, `host ::ffff:10.0.0.1`) and returns the IPv4 addresses they
// map. No packet carries an IPv4-mapped address: programs on a dual-stack socket
// (sshd) show IPv4 clients that way, but their packets are IPv4.
func (a Address) Unmapped() (Address, bool) {
	switch {
	case a.Kind == AddrHost && a.Addr.Is4In6():
		return HostAddr(a.Addr.Unmap()), true
	case a.Kind == AddrPrefix && a.Addr.Is4In6() && a.Bits >= 96:
		if a.Bits == 96 {
			return AnyAddr, true
		}
		return Address{Kind: AddrPrefix, Addr: a.Addr.Unmap(), Bits: a.Bits - 96}, true
	}
	return Address{}, false
}

// Contains reports whether ip matches the address.
func (a Address) Contains(ip netip.Addr) bool {
	switch a.Kind {
	case AddrAny:
		return true
	case AddrHost:
		return a.Addr == ip
	case AddrPrefix:
		return ip.BitLen() == a.Addr.BitLen() && netip.PrefixFrom(a.Addr, int(a.Bits)).Contains(ip)
	case AddrWildcard:
		if !ip.Is4() {
			return false
		}
		x, w, n := ip.As4(), a.Wildcard.As4(), a.Addr.As4()
		for i := range x {
			if x[i]&^w[i] != n[i] {
				return false
			}
		}
		return true
	}
	return false
}

// ParsePrefix parses `A/LEN`. A prefix with host bits set is refused with the network
// address suggested; a full-length prefix becomes host and /0 becomes any.
func ParsePrefix(s string) (Address, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return Address{}, errf(ErrInvalid, "%q is not an address prefix", s)
	}
	if p.Addr().Zone() != "" {
		return Address{}, errf(ErrInvalid, "%q: zones are not allowed", s)
	}
	m := p.Masked()
	if m.Addr() != p.Addr() {
		return Address{}, errf(ErrInvalid, "%s has host bits set; did you mean %s?", s, m)
	}
	return prefixAddress(m), nil
}

func prefixAddress(p netip.Prefix) Address {
	switch p.Bits() {
	case 0:
		return AnyAddr
	case p.Addr().BitLen():
		return HostAddr(p.Addr())
	}
	return Address{Kind: AddrPrefix, Addr: p.Addr(), Bits: uint8(p.Bits())}
}

// ParseWildcard parses an IPv4 `A WILDCARD` pair. Contiguous wildcards become
// prefixes; address bits under the wildcard are refused with the corrected
// address suggested (ParseWildcardMasked takes them, as IOS does).
func ParseWildcard(addr, wild string) (Address, error) {
	a, masked, err := ParseWildcardMasked(addr, wild)
	if err == nil && masked {
		return Address{}, errf(ErrInvalid, "%s has bits set under wildcard %s; did you mean %s %s?", addr, wild, a.Addr, wild)
	}
	return a, err
}

// ParseWildcardMasked parses an IPv4 `A WILDCARD` pair as IOS and SLX-OS do:
// address bits under the wildcard are cleared (masked reports it). A netmask
// typed where a wildcard belongs (`10.0.0.0 255.255.255.0`) is refused, the
// wildcard and the prefix it meant suggested: read as a wildcard it would
// match a scatter of addresses.
func ParseWildcardMasked(addr, wild string) (a Address, masked bool, err error) {
	ip, err := netip.ParseAddr(addr)
	if err != nil || !ip.Is4() {
		return Address{}, false, errf(ErrInvalid, "%q is not an IPv4 address", addr)
	}
	w, err := netip.ParseAddr(wild)
	if err != nil || !w.Is4() {
		return Address{}, false, errf(ErrInvalid, "%q is not an IPv4 wildcard mask", wild)
	}
	ab, wb := ip.As4(), w.As4()
	v := uint32(wb[0])<<24 | uint32(wb[1])<<16 | uint32(wb[2])<<8 | uint32(wb[3])
	if inv := ^v; v != 0 && v != ^uint32(0) && inv&(inv+1) == 0 {
		// Ones then zeros: a netmask.
		bits := 0
		for x := v; x != 0; x <<= 1 {
			bits++
		}
		p := netip.PrefixFrom(ip, bits).Masked()
		wc := netip.AddrFrom4([4]byte{byte(inv >> 24), byte(inv >> 16), byte(inv >> 8), byte(inv)})
		return Address{}, false, errf(ErrInvalid, "%s is a netmask; a wildcard mask is its inverse: %s %s, or %s", wild, p.Addr(), wc, p)
	}
	var fixed [4]byte
	for i := range ab {
		fixed[i] = ab[i] &^ wb[i]
	}
	masked = fixed != ab
	ip = netip.AddrFrom4(fixed)
	// Contiguous wildcard: 0...01...1
	if v&(v+1) == 0 {
		bits := 32
		for x := v; x != 0; x >>= 1 {
			bits--
		}
		return prefixAddress(netip.PrefixFrom(ip, bits)), masked, nil
	}
	return Address{Kind: AddrWildcard, Addr: ip, Wildcard: w}, masked, nil
}

// PortOp is a port comparison. The zero value, PortAny, matches every port.
type PortOp uint8

const (
	PortAny PortOp = iota
	PortEq
	PortNeq
	PortLt
	PortGt
	PortRange
)

var portOpNames = [...]string{"", "eq", "neq", "lt", "gt", "range"}

func (o PortOp) String() string { return portOpNames[o] }

// ParsePortOp maps an operator keyword to its PortOp.
func ParsePortOp(s string) (PortOp, bool) {
	for i, n := range portOpNames {
		if i > 0 && n == s {
			return PortOp(i), true
		}
	}
	return PortAny, false
}

// MaxPorts is the most ports one eq or neq match may list (`eq 22 443 830`), as
// on EOS.
const MaxPorts = 10

// PortMatch is a port condition. The zero value matches every port.
//
// An eq or neq match may list several ports (`eq 22 443 830`: any of them; `neq
// 22 443`: none of them): Lo is the lowest, More[:NMore] the others in ascending
// order, all different. Build such a match with PortList.
type PortMatch struct {
	Op     PortOp
	Lo, Hi uint16 // Hi is used by PortRange only
	More   [MaxPorts - 1]uint16
	NMore  uint8
}

// PortList returns the eq or neq match of ports (1 to MaxPorts, in any order),
// in canonical form: ascending. A port listed twice is an error.
func PortList(op PortOp, ports ...uint16) (PortMatch, error) {
	if len(ports) == 0 || len(ports) > 1 && op != PortEq && op != PortNeq {
		return PortMatch{}, errf(ErrInvalid, "%s takes one port", op)
	}
	if len(ports) > MaxPorts {
		return PortMatch{}, errf(ErrInvalid, "%s lists %d ports; at most %d", op, len(ports), MaxPorts)
	}
	s := slices.Clone(ports)
	slices.Sort(s)
	for i := 1; i < len(s); i++ {
		if s[i] == s[i-1] {
			return PortMatch{}, errf(ErrInvalid, "port %d is listed twice", s[i])
		}
	}
	p := PortMatch{Op: op, Lo: s[0], NMore: uint8(len(s) - 1)}
	copy(p.More[:], s[1:])
	return p, nil
}

// Ports returns the ports an eq or neq match lists (Lo for lt and gt, Lo and
// Hi for a range, none for any).
func (p PortMatch) Ports() []uint16 {
	switch p.Op {
	case PortAny:
		return nil
	case PortRange:
		return []uint16{p.Lo, p.Hi}
	}
	return append([]uint16{p.Lo}, p.More[:p.NMore]...)
}

// String returns the canonical form (`eq 22`, `eq 22 443`, `range 1000 2000`),
// or "" for any.
func (p PortMatch) String() string { return string(p.AppendTo(nil)) }

// AppendTo appends String() to b.
func (p PortMatch) AppendTo(b []byte) []byte {
	if p.Op == PortAny {
		return b
	}
	b = append(b, p.Op.String()...)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(p.Lo), 10)
	if p.Op == PortRange {
		b = append(b, ' ')
		return strconv.AppendUint(b, uint64(p.Hi), 10)
	}
	for _, x := range p.More[:p.NMore] {
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(x), 10)
	}
	return b
}

// listed reports whether port is one of an eq or neq match's ports.
func (p PortMatch) listed(port uint16) bool {
	return port == p.Lo || slices.Contains(p.More[:p.NMore], port)
}

// Matches reports whether port satisfies p.
func (p PortMatch) Matches(port uint16) bool {
	switch p.Op {
	case PortEq:
		return p.listed(port)
	case PortNeq:
		return !p.listed(port)
	case PortLt:
		return port < p.Lo
	case PortGt:
		return port > p.Lo
	case PortRange:
		return port >= p.Lo && port <= p.Hi
	}
	return true
}

// Validate checks that the match can match something and is in canonical form.
func (p PortMatch) Validate() error {
	switch {
	case p.Op == PortRange && p.Lo > p.Hi:
		return errf(ErrInvalid, "port range %d %d is empty: the first port must not exceed the second", p.Lo, p.Hi)
	case p.Op == PortLt && p.Lo == 0:
		return errf(ErrInvalid, "lt 0 matches no port")
	case p.Op == PortGt && p.Lo == 65535:
		return errf(ErrInvalid, "gt 65535 matches no port")
	case p.NMore > 0 && p.Op != PortEq && p.Op != PortNeq:
		return errf(ErrInvalid, "%s takes one port", p.Op)
	case int(p.NMore) > len(p.More):
		return errf(ErrInvalid, "%s lists %d ports; at most %d", p.Op, p.NMore+1, MaxPorts)
	}
	prev := p.Lo
	for _, x := range p.More[:p.NMore] {
		if x <= prev {
			return errf(ErrInvalid, "the ports of %s must be ascending and different", p)
		}
		prev = x
	}
	return nil
}

// TTLMatch is a condition on a packet's TTL (IPv6: hop limit), as EOS's and
// IOS's `ttl eq|neq|lt|gt N`. The zero value matches every packet.
type TTLMatch struct {
	Op  PortOp // PortEq, PortNeq, PortLt or PortGt; PortAny: none
	Val uint8
}

// String returns the canonical form (`ttl eq 255`), or "" for none.
func (t TTLMatch) String() string {
	if t.Op == PortAny {
		return ""
	}
	return "ttl " + t.Op.String() + " " + strconv.Itoa(int(t.Val))
}

// Matches reports whether a packet of TTL ttl satisfies t.
func (t TTLMatch) Matches(ttl uint8) bool {
	switch t.Op {
	case PortEq:
		return ttl == t.Val
	case PortNeq:
		return ttl != t.Val
	case PortLt:
		return ttl < t.Val
	case PortGt:
		return ttl > t.Val
	}
	return true
}

// Validate checks that the match can match something.
func (t TTLMatch) Validate() error {
	switch {
	case t.Op == PortRange || t.Op > PortRange:
		return errf(ErrInvalid, "ttl takes eq, neq, lt or gt")
	case t.Op == PortLt && t.Val == 0:
		return errf(ErrInvalid, "ttl lt 0 matches no packet")
	case t.Op == PortGt && t.Val == 255:
		return errf(ErrInvalid, "ttl gt 255 matches no packet")
	}
	return nil
}

// PortName is a port name accepted on input for a protocol (ports always render
// as numbers).
type PortName struct {
	Name string
	Port uint16
	Help string
}

// portName is a row of the port name table: the protocols it names a port of.
type portName struct {
	PortName
	tcp, udp bool
}

// portTable holds the port names, per protocol as IOS has them (IOS's own names,
// plus a few common ones IOS lacks: ssh, http, https, imap, ldap, netconf, ...),
// and EOS's (bfd, ldp, mlag, msdp, ptp-event, ...). EOS names snmp, snmptrap and
// ntp for tcp as well as udp, and so does aclsh.
// A name is valid only for the protocols it names a port of: snmp is udp,
// bgp tcp, domain both.
var portTable = func() []portName {
	const tcp, udp, both = 1, 2, 3
	rows := []struct {
		name  string
		port  uint16
		proto int
		help  string
	}{
		{"bfd", 3784, udp, "Bidirectional Forwarding Detection"},
		{"bfd-echo", 3785, udp, "BFD echo"},
		{"bgp", 179, tcp, "Border Gateway Protocol"},
		{"biff", 512, udp, "Biff (mail notification, comsat)"},
		{"bootpc", 68, udp, "Bootstrap Protocol (BOOTP) client"},
		{"bootps", 67, udp, "Bootstrap Protocol (BOOTP) server"},
		{"chargen", 19, tcp, "Character generator"},
		{"cmd", 514, tcp, "Remote commands (rcmd)"},
		{"daytime", 13, tcp, "Daytime"},
		{"discard", 9, both, "Discard"},
		{"dnsix", 195, udp, "DNSIX security protocol auditing"},
		{"domain", 53, both, "Domain Name Service (DNS)"},
		{"echo", 7, both, "Echo"},
		{"exec", 512, tcp, "Exec (rsh)"},
		{"finger", 79, tcp, "Finger"},
		{"ftp", 21, tcp, "File Transfer Protocol"},
		{"ftp-data", 20, tcp, "FTP data connections"},
		{"gopher", 70, tcp, "Gopher"},
		{"hostname", 101, tcp, "NIC hostname server"},
		{"http", 80, tcp, "Hypertext Transfer Protocol"},
		{"https", 443, tcp, "HTTP over TLS"},
		{"ident", 113, tcp, "Ident Protocol"},
		{"imap", 143, tcp, "Internet Message Access Protocol"},
		{"imap4", 143, tcp, "Internet Message Access Protocol"},
		{"irc", 194, tcp, "Internet Relay Chat"},
		{"isakmp", 500, udp, "Internet Security Association and Key Management Protocol"},
		{"kerberos", 88, both, "Kerberos"},
		{"klogin", 543, tcp, "Kerberos login"},
		{"kshell", 544, tcp, "Kerberos shell"},
		{"ldap", 389, tcp, "Lightweight Directory Access Protocol"},
		{"ldaps", 636, tcp, "LDAP over TLS"},
		{"ldp", 646, both, "Label Distribution Protocol"},
		{"login", 513, tcp, "Login (rlogin)"},
		{"lpd", 515, tcp, "Printer service"},
		{"lsp-ping", 3503, udp, "MPLS LSP ping"},
		{"micro-bfd", 6784, udp, "BFD on LAG members (micro BFD)"},
		{"mlag", 4432, both, "Arista MLAG peer"},
		{"mobile-ip", 434, udp, "Mobile IP registration"},
		{"msdp", 639, tcp, "Multicast Source Discovery Protocol"},
		{"msrpc", 135, tcp, "Microsoft Remote Procedure Call"},
		{"multihop-bfd", 4784, udp, "Multihop BFD"},
		{"nameserver", 42, udp, "IEN116 name service"},
		{"netbios-dgm", 138, udp, "NetBIOS datagram service"},
		{"netbios-ns", 137, udp, "NetBIOS name service"},
		{"netbios-ss", 139, udp, "NetBIOS session service"},
		{"netconf", 830, tcp, "NETCONF over SSH"},
		{"nntp", 119, tcp, "Network News Transport Protocol"},
		{"non500-isakmp", 4500, udp, "ISAKMP over NAT traversal"},
		{"ntp", 123, both, "Network Time Protocol"},
		{"pim-auto-rp", 496, both, "PIM Auto-RP"},
		{"pop2", 109, tcp, "Post Office Protocol v2"},
		{"pop3", 110, tcp, "Post Office Protocol v3"},
		{"ptp-event", 319, udp, "Precision Time Protocol events"},
		{"ptp-general", 320, udp, "Precision Time Protocol general messages"},
		{"radius", 1812, udp, "RADIUS authentication"},
		{"rip", 520, udp, "Routing Information Protocol"},
		{"rsh", 514, tcp, "Remote shell (cmd)"},
		{"rsync", 873, tcp, "rsync"},
		{"sbfd", 7784, udp, "Seamless BFD"},
		{"sftp", 115, tcp, "Simple File Transfer Protocol"},
		{"smtp", 25, tcp, "Simple Mail Transport Protocol"},
		{"snmp", 161, both, "Simple Network Management Protocol"},
		{"snmptrap", 162, both, "SNMP traps"},
		{"ssh", 22, tcp, "Secure Shell"},
		{"sunrpc", 111, both, "Sun Remote Procedure Call"},
		{"syslog", 514, udp, "System logger"},
		{"tacacs", 49, both, "TAC Access Control System"},
		{"tacacs-ds", 65, both, "TACACS database service"},
		{"talk", 517, both, "Talk"},
		{"telnet", 23, tcp, "Telnet"},
		{"tftp", 69, udp, "Trivial File Transfer Protocol"},
		{"time", 37, both, "Time"},
		{"uucp", 540, tcp, "Unix-to-Unix Copy Program"},
		{"who", 513, udp, "Who service (rwho)"},
		{"whois", 43, tcp, "Nicname"},
		{"www", 80, tcp, "World Wide Web (HTTP)"},
		{"xdmcp", 177, udp, "X Display Manager Control Protocol"},
	}
	out := make([]portName, len(rows))
	for i, r := range rows {
		out[i] = portName{PortName{r.name, r.port, r.help}, r.proto&tcp != 0, r.proto&udp != 0}
	}
	return out
}()

func (n *portName) names(proto uint8) bool {
	return proto == ProtoTCP && n.tcp || proto == ProtoUDP && n.udp
}

// protoName is how a port error names the protocol.
func protoName(proto uint8) string {
	if proto == ProtoUDP {
		return "udp"
	}
	return "tcp"
}

// PortNames returns the port names of protocol proto (ProtoTCP or ProtoUDP),
// sorted, for help and completion.
func PortNames(proto uint8) []PortName {
	var out []PortName
	for _, n := range portTable {
		if n.names(proto) {
			out = append(out, n.PortName)
		}
	}
	return out
}

// IsPortName reports whether s is a port name, or the start of one, of either
// protocol (case-insensitive): a word ParsePort reads as a name, or explains.
func IsPortName(s string) bool {
	ls := strings.ToLower(s)
	for _, n := range portTable {
		if ls != "" && strings.HasPrefix(n.Name, ls) {
			return true
		}
	}
	return false
}

// ParsePort parses a port number 0-65535 or a port name of protocol proto
// (ProtoTCP or ProtoUDP), such as ssh for tcp or snmp for udp, or a unique
// abbreviation of one. A name of the other protocol only is refused, saying so.
func ParsePort(s string, proto uint8) (uint16, error) {
	if isDigitString(s) {
		n, err := strconv.ParseUint(s, 10, 16)
		if err != nil {
			return 0, errf(ErrInvalid, "%q is not a port number (0-65535) or name", s)
		}
		return uint16(n), nil
	}
	ls := strings.ToLower(s)
	var found *portName
	for i := range portTable {
		n := &portTable[i]
		if n.Name == ls {
			if !n.names(proto) {
				other := "udp"
				if n.tcp {
					other = "tcp"
				}
				return 0, errf(ErrInvalid, "%s is a %s port name (%d), not a %s one; give the number if you mean it", n.Name, other, n.Port, protoName(proto))
			}
			return n.Port, nil
		}
	}
	// A unique abbreviation of a name, as for keywords.
	for i := range portTable {
		n := &portTable[i]
		if n.names(proto) && strings.HasPrefix(n.Name, ls) && ls != "" {
			if found != nil && found.Port != n.Port {
				return 0, errf(ErrInvalid, "port name %q is ambiguous", s)
			}
			found = n
		}
	}
	if found != nil {
		return found.Port, nil
	}
	return 0, errf(ErrInvalid, "%q is not a %s port number (0-65535) or name", s, protoName(proto))
}

func isDigitString(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
