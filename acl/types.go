// Package acl is the pure ACL model of aclsh: configs, access lists, rules and their
// parts, with validation, seq numbering, canonical text and packet evaluation.
//
// It does no I/O and imports nothing of aclsh's own. Every value type has a String
// method giving the canonical running-config spelling.
package acl

import (
	"fmt"
	"net/netip"
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
// In IPv6 lists icmp means ICMPv6 (58).
func ProtoKeyword(name string, f Family) (Protocol, bool) {
	switch name {
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
	}
	return Protocol{}, false
}

// HasPorts reports whether port matches may be given: only for tcp and udp keywords.
func (p Protocol) HasPorts() bool {
	return p.Set && p.Keyword && (p.Num == ProtoTCP || p.Num == ProtoUDP)
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
	Kind     AddrKind
	Addr     netip.Addr // network address (host bits clear) or the host
	Bits     int        // prefix length for AddrPrefix
	Wildcard netip.Addr // the wildcard mask for AddrWildcard
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
		return a.Addr.String() + "/" + strconv.Itoa(a.Bits)
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

// Contains reports whether ip matches the address.
func (a Address) Contains(ip netip.Addr) bool {
	switch a.Kind {
	case AddrAny:
		return true
	case AddrHost:
		return a.Addr == ip
	case AddrPrefix:
		return ip.BitLen() == a.Addr.BitLen() && netip.PrefixFrom(a.Addr, a.Bits).Contains(ip)
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
	return Address{Kind: AddrPrefix, Addr: p.Addr(), Bits: p.Bits()}
}

// ParseWildcard parses an IPv4 `A WILDCARD` pair. Contiguous wildcards become
// prefixes; address bits under the wildcard are refused with the corrected
// address suggested.
func ParseWildcard(addr, wild string) (Address, error) {
	a, err := netip.ParseAddr(addr)
	if err != nil || !a.Is4() {
		return Address{}, errf(ErrInvalid, "%q is not an IPv4 address", addr)
	}
	w, err := netip.ParseAddr(wild)
	if err != nil || !w.Is4() {
		return Address{}, errf(ErrInvalid, "%q is not an IPv4 wildcard mask", wild)
	}
	ab, wb := a.As4(), w.As4()
	var fixed [4]byte
	for i := range ab {
		fixed[i] = ab[i] &^ wb[i]
	}
	if fixed != ab {
		return Address{}, errf(ErrInvalid, "%s has bits set under wildcard %s; did you mean %s %s?", a, w, netip.AddrFrom4(fixed), w)
	}
	// Contiguous wildcard: 0...01...1
	v := uint32(wb[0])<<24 | uint32(wb[1])<<16 | uint32(wb[2])<<8 | uint32(wb[3])
	if v&(v+1) == 0 {
		bits := 32
		for x := v; x != 0; x >>= 1 {
			bits--
		}
		return prefixAddress(netip.PrefixFrom(a, bits)), nil
	}
	return Address{Kind: AddrWildcard, Addr: a, Wildcard: w}, nil
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

// PortMatch is a port condition. The zero value matches every port.
type PortMatch struct {
	Op     PortOp
	Lo, Hi uint16 // Hi is used by PortRange only
}

// String returns the canonical form (`eq 22`, `range 1000 2000`), or "" for any.
func (p PortMatch) String() string {
	switch p.Op {
	case PortAny:
		return ""
	case PortRange:
		return fmt.Sprintf("range %d %d", p.Lo, p.Hi)
	}
	return p.Op.String() + " " + strconv.Itoa(int(p.Lo))
}

// AppendTo appends String() to b.
func (p PortMatch) AppendTo(b []byte) []byte {
	switch p.Op {
	case PortAny:
		return b
	case PortRange:
		b = append(b, "range "...)
		b = strconv.AppendUint(b, uint64(p.Lo), 10)
		b = append(b, ' ')
		return strconv.AppendUint(b, uint64(p.Hi), 10)
	}
	b = append(b, p.Op.String()...)
	b = append(b, ' ')
	return strconv.AppendUint(b, uint64(p.Lo), 10)
}

// Matches reports whether port satisfies p.
func (p PortMatch) Matches(port uint16) bool {
	switch p.Op {
	case PortEq:
		return port == p.Lo
	case PortNeq:
		return port != p.Lo
	case PortLt:
		return port < p.Lo
	case PortGt:
		return port > p.Lo
	case PortRange:
		return port >= p.Lo && port <= p.Hi
	}
	return true
}

// Validate checks that the match can match something.
func (p PortMatch) Validate() error {
	switch {
	case p.Op == PortRange && p.Lo > p.Hi:
		return errf(ErrInvalid, "port range %d %d is empty: the first port must not exceed the second", p.Lo, p.Hi)
	case p.Op == PortLt && p.Lo == 0:
		return errf(ErrInvalid, "lt 0 matches no port")
	case p.Op == PortGt && p.Lo == 65535:
		return errf(ErrInvalid, "gt 65535 matches no port")
	}
	return nil
}

// portNames are the accepted port names (input only: ports render as numbers).
var portNames = map[string]uint16{
	"bgp": 179, "bootpc": 68, "bootps": 67, "chargen": 19, "daytime": 13, "discard": 9,
	"domain": 53, "echo": 7, "finger": 79, "ftp": 21, "ftp-data": 20, "gopher": 70,
	"http": 80, "https": 443, "imap": 143, "imap4": 143, "irc": 194, "isakmp": 500,
	"kerberos": 88, "ldap": 389, "ldaps": 636, "login": 513, "lpd": 515, "netconf": 830,
	"nntp": 119, "ntp": 123, "pop2": 109, "pop3": 110, "radius": 1812, "rsh": 514,
	"rsync": 873, "sftp": 115, "smtp": 25, "snmp": 161, "snmptrap": 162, "ssh": 22,
	"sunrpc": 111, "syslog": 514, "tacacs": 49, "telnet": 23, "tftp": 69, "time": 37,
	"whois": 43, "www": 80,
}

// PortNames returns the accepted port names, for help and completion.
func PortNames() map[string]uint16 { return portNames }

// ParsePort parses a port number 0-65535 or a name such as ssh or www.
func ParsePort(s string) (uint16, error) {
	if isDigitString(s) {
		n, err := strconv.ParseUint(s, 10, 16)
		if err != nil {
			return 0, errf(ErrInvalid, "%q is not a port number (0-65535) or name", s)
		}
		return uint16(n), nil
	}
	ls := strings.ToLower(s)
	if n, ok := portNames[ls]; ok {
		return n, nil
	}
	// A unique abbreviation of a name, as for keywords.
	var found []string
	for name, n := range portNames {
		if strings.HasPrefix(name, ls) {
			if len(found) > 0 && portNames[found[0]] != n {
				return 0, errf(ErrInvalid, "port name %q is ambiguous", s)
			}
			found = append(found, name)
		}
	}
	if len(found) > 0 && !isDigitString(s) {
		return portNames[found[0]], nil
	}
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, errf(ErrInvalid, "%q is not a port number (0-65535) or name", s)
	}
	return uint16(n), nil
}

func isDigitString(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
