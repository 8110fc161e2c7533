package acl

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	_ "github.com/aclsh/aclsh/internal/golden" // -update, for `go test ./... -update`
)

func TestParsePrefix(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"10.0.0.0/8", "10.0.0.0/8", ""},
		{"10.0.0.1/8", "", "10.0.0.1/8 has host bits set; did you mean 10.0.0.0/8?"},
		{"10.0.0.1/32", "host 10.0.0.1", ""},
		{"0.0.0.0/0", "any", ""},
		{"2001:db8::/32", "2001:db8::/32", ""},
		{"2001:db8::1/128", "host 2001:db8::1", ""},
		{"2001:db8::1/64", "", "2001:db8::1/64 has host bits set; did you mean 2001:db8::/64?"},
		{"10.0.0.0/33", "", `"10.0.0.0/33" is not an address prefix`},
	} {
		a, err := ParsePrefix(tc.in)
		if tc.err != "" {
			require.EqualError(t, err, tc.err, "ParsePrefix(%q)", tc.in)
			assert.True(t, errors.Is(err, ErrInvalid))
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tc.want, a.String(), "ParsePrefix(%q)", tc.in)
	}
}

func TestParseWildcard(t *testing.T) {
	for _, tc := range []struct{ a, w, want, err string }{
		{"10.0.0.0", "0.0.0.255", "10.0.0.0/24", ""},
		{"10.0.0.0", "0.255.255.255", "10.0.0.0/8", ""},
		{"10.0.0.5", "0.0.0.0", "host 10.0.0.5", ""},
		{"0.0.0.0", "255.255.255.255", "any", ""},
		{"10.0.0.0", "0.255.0.255", "10.0.0.0 0.255.0.255", ""},
		{"10.0.0.1", "0.0.0.255", "", "10.0.0.1 has bits set under wildcard 0.0.0.255; did you mean 10.0.0.0 0.0.0.255?"},
	} {
		a, err := ParseWildcard(tc.a, tc.w)
		if tc.err != "" {
			require.EqualError(t, err, tc.err)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tc.want, a.String(), "ParseWildcard(%q, %q)", tc.a, tc.w)
	}
}

func TestAddressContains(t *testing.T) {
	w, err := ParseWildcard("10.0.0.1", "0.255.0.254")
	require.NoError(t, err)
	ip := netip.MustParseAddr
	assert.True(t, w.Contains(ip("10.7.0.9")))
	assert.False(t, w.Contains(ip("10.7.1.9")))
	assert.False(t, w.Contains(ip("10.7.0.8")))
	p, _ := ParsePrefix("2001:db8::/32")
	assert.True(t, p.Contains(ip("2001:db8::5")))
	assert.False(t, p.Contains(ip("10.0.0.1")))
	assert.True(t, AnyAddr.Contains(ip("::1")))
}

func TestParsePort(t *testing.T) {
	for _, tc := range []struct {
		in    string
		proto uint8
		want  uint16
	}{
		{"22", ProtoTCP, 22}, {"ssh", ProtoTCP, 22}, {"SSH", ProtoTCP, 22}, {"www", ProtoTCP, 80}, {"http", ProtoTCP, 80},
		{"https", ProtoTCP, 443}, {"dom", ProtoTCP, 53}, {"domain", ProtoUDP, 53}, {"0", ProtoUDP, 0}, {"65535", ProtoTCP, 65535},
		{"bgp", ProtoTCP, 179}, {"snmp", ProtoUDP, 161}, {"sy", ProtoUDP, 514}, {"cmd", ProtoTCP, 514}, {"login", ProtoTCP, 513},
		{"who", ProtoUDP, 513}, {"ntp", ProtoUDP, 123}, {"sn", ProtoUDP, 161}, // snmp and snmptrap: 161 and 162, but sn... is ambiguous only across numbers
	} {
		if tc.in == "sn" {
			_, err := ParsePort(tc.in, tc.proto)
			assert.Error(t, err, "ParsePort(%q, %d): snmp and snmptrap", tc.in, tc.proto)
			continue
		}
		got, err := ParsePort(tc.in, tc.proto)
		require.NoError(t, err, "ParsePort(%q, %d)", tc.in, tc.proto)
		assert.Equal(t, tc.want, got, "ParsePort(%q, %d)", tc.in, tc.proto)
	}
	for _, tc := range []struct {
		in    string
		proto uint8
		msg   string
	}{
		{"65536", ProtoTCP, `"65536" is not a port number (0-65535) or name`},
		{"-1", ProtoTCP, `"-1" is not a tcp port number (0-65535) or name`},
		{"nosuch", ProtoUDP, `"nosuch" is not a udp port number (0-65535) or name`},
		{"s", ProtoTCP, `port name "s" is ambiguous`},
		{"", ProtoTCP, `"" is not a tcp port number (0-65535) or name`},
		// Names per protocol, as IOS: defect 10 of issue 10.
		{"syslog", ProtoTCP, "syslog is a udp port name (514), not a tcp one; give the number if you mean it"},
		{"bgp", ProtoUDP, "bgp is a tcp port name (179), not a udp one; give the number if you mean it"},
		{"ssh", ProtoUDP, "ssh is a tcp port name (22), not a udp one; give the number if you mean it"},
		{"sysl", ProtoTCP, `"sysl" is not a tcp port number (0-65535) or name`},
	} {
		_, err := ParsePort(tc.in, tc.proto)
		require.Error(t, err, "ParsePort(%q, %d)", tc.in, tc.proto)
		assert.Equal(t, tc.msg, err.Error(), "ParsePort(%q, %d)", tc.in, tc.proto)
	}
}

// TestPortNames: each protocol's names are sorted and unique, every one parses
// for its protocol to its port, and a name of both protocols (domain) names the
// same port in each.
func TestPortNames(t *testing.T) {
	tcp, udp := map[string]uint16{}, map[string]uint16{}
	for proto, m := range map[uint8]map[string]uint16{ProtoTCP: tcp, ProtoUDP: udp} {
		names := PortNames(proto)
		require.NotEmpty(t, names)
		for i, n := range names {
			if i > 0 {
				require.Less(t, names[i-1].Name, n.Name, "sorted and unique")
			}
			require.NotEmpty(t, n.Help, n.Name)
			got, err := ParsePort(n.Name, proto)
			require.NoError(t, err)
			require.Equal(t, n.Port, got, n.Name)
			m[n.Name] = n.Port
		}
	}
	assert.Contains(t, tcp, "bgp")
	assert.Contains(t, tcp, "snmp") // EOS reads tcp ... eq snmp
	assert.NotContains(t, tcp, "syslog")
	assert.Contains(t, udp, "snmp")
	assert.NotContains(t, udp, "bgp")
	assert.Equal(t, uint16(53), tcp["domain"])
	assert.Equal(t, uint16(53), udp["domain"])
}

func TestPortMatch(t *testing.T) {
	list := func(op PortOp, ports ...uint16) PortMatch {
		p, err := PortList(op, ports...)
		require.NoError(t, err)
		return p
	}
	for _, tc := range []struct {
		p    PortMatch
		port uint16
		want bool
	}{
		{PortMatch{}, 1, true},
		{PortMatch{Op: PortEq, Lo: 22}, 22, true},
		{PortMatch{Op: PortEq, Lo: 22}, 23, false},
		{PortMatch{Op: PortNeq, Lo: 22}, 23, true},
		{PortMatch{Op: PortLt, Lo: 1024}, 1023, true},
		{PortMatch{Op: PortLt, Lo: 1024}, 1024, false},
		{PortMatch{Op: PortGt, Lo: 1023}, 1024, true},
		{PortMatch{Op: PortRange, Lo: 10, Hi: 20}, 20, true},
		{PortMatch{Op: PortRange, Lo: 10, Hi: 20}, 21, false},
		{list(PortEq, 830, 22, 443), 22, true},
		{list(PortEq, 830, 22, 443), 443, true},
		{list(PortEq, 830, 22, 443), 830, true},
		{list(PortEq, 830, 22, 443), 80, false},
		{list(PortNeq, 22, 443), 443, false},
		{list(PortNeq, 22, 443), 22, false},
		{list(PortNeq, 22, 443), 80, true},
	} {
		assert.Equal(t, tc.want, tc.p.Matches(tc.port), "%v.Matches(%d)", tc.p, tc.port)
	}
	assert.Error(t, PortMatch{Op: PortRange, Lo: 20, Hi: 10}.Validate())
	assert.Error(t, PortMatch{Op: PortLt}.Validate())
	assert.Equal(t, "eq 22 443 830", list(PortEq, 830, 22, 443).String(), "canonical: ascending")
	assert.Equal(t, []uint16{22, 443, 830}, list(PortEq, 830, 22, 443).Ports())
	assert.NoError(t, list(PortEq, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10).Validate())
	for _, tc := range []struct {
		op    PortOp
		ports []uint16
		msg   string
	}{
		{PortEq, []uint16{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, "eq lists 11 ports; at most 10"},
		{PortEq, []uint16{22, 443, 22}, "port 22 is listed twice"},
		{PortLt, []uint16{22, 443}, "lt takes one port"},
		{PortRange, []uint16{22, 443, 830}, "range takes one port"},
	} {
		_, err := PortList(tc.op, tc.ports...)
		require.Error(t, err, "PortList(%v, %v)", tc.op, tc.ports)
		assert.Equal(t, tc.msg, err.Error())
	}
	bad := list(PortEq, 22, 443)
	bad.More[0] = 21
	assert.Error(t, bad.Validate(), "not ascending")
	bad = list(PortEq, 22, 443)
	bad.Op = PortGt
	assert.Error(t, bad.Validate(), "gt with two ports")
}

// TestICMPNames: each family's names are sorted and unique, each stands for one
// type (and code) that renders back as the name, IPv4 names an echo request
// echo and IPv6 echo-request (as IOS), and types without a name render as
// numbers.
func TestICMPNames(t *testing.T) {
	for _, f := range []Family{IPv4, IPv6} {
		names := ICMPNames(f)
		seen := map[ICMPMatch]string{}
		for i, n := range names {
			if i > 0 {
				require.Less(t, names[i-1].Name, n.Name, "sorted and unique")
			}
			require.NotContains(t, seen, n.ICMPMatch, "%s and %s name the same", n.Name, seen[n.ICMPMatch])
			seen[n.ICMPMatch] = n.Name
			m, ok := ParseICMPName(f, strings.ToUpper(n.Name))
			require.True(t, ok, n.Name)
			require.Equal(t, n.ICMPMatch, m)
			require.Equal(t, n.Name, m.Format(f))
		}
	}
	for _, tc := range []struct {
		f    Family
		name string
		want ICMPMatch
		ok   bool
	}{
		{IPv4, "echo", ICMPMatch{Type: 8, Set: true}, true},
		{IPv4, "echo-reply", ICMPMatch{Type: 0, Set: true}, true},
		{IPv4, "unreachable", ICMPMatch{Type: 3, Set: true}, true},
		{IPv4, "ttl-exceeded", ICMPMatch{Type: 11, Code: 0, Set: true, CodeSet: true}, true},
		{IPv4, "time-exceeded", ICMPMatch{Type: 11, Set: true}, true},
		{IPv4, "packet-too-big", ICMPMatch{Type: 3, Code: 4, Set: true, CodeSet: true}, true},
		{IPv4, "echo-request", ICMPMatch{}, false},
		{IPv6, "echo-request", ICMPMatch{Type: 128, Set: true}, true},
		{IPv6, "echo-reply", ICMPMatch{Type: 129, Set: true}, true},
		{IPv6, "packet-too-big", ICMPMatch{Type: 2, Set: true}, true},
		{IPv6, "unreachable", ICMPMatch{Type: 1, Set: true}, true},
		{IPv6, "time-exceeded", ICMPMatch{Type: 3, Set: true}, true},
		{IPv6, "nd-ns", ICMPMatch{Type: 135, Set: true}, true},
		{IPv6, "echo", ICMPMatch{}, false},
		{IPv6, "ttl-exceeded", ICMPMatch{}, false},
	} {
		got, ok := ParseICMPName(tc.f, tc.name)
		assert.Equal(t, tc.ok, ok, "ParseICMPName(%v, %q)", tc.f, tc.name)
		assert.Equal(t, tc.want, got, "ParseICMPName(%v, %q)", tc.f, tc.name)
	}
	assert.Equal(t, "42", ICMPMatch{Type: 42, Set: true}.Format(IPv4))
	assert.Equal(t, "3 4", ICMPMatch{Type: 3, Code: 4, Set: true, CodeSet: true}.Format(IPv6))
	assert.Equal(t, "packet-too-big", ICMPMatch{Type: 3, Code: 4, Set: true, CodeSet: true}.Format(IPv4))
	assert.Equal(t, "8 1", ICMPMatch{Type: 8, Code: 1, Set: true, CodeSet: true}.Format(IPv4))
	assert.Equal(t, "", ICMPMatch{}.Format(IPv4))
}

// TestICMPValidate: ICMP types only with the icmp keyword of the family.
func TestICMPValidate(t *testing.T) {
	icmp4, _ := ProtoKeyword("icmp", IPv4)
	icmp6, _ := ProtoKeyword("icmp", IPv6)
	icmpv6, ok := ProtoKeyword("icmpv6", IPv6)
	require.True(t, ok)
	require.Equal(t, icmp6, icmpv6, "icmpv6 is icmp in IPv6 lists")
	_, ok = ProtoKeyword("icmpv6", IPv4)
	require.False(t, ok, "no icmpv6 in IPv4 lists")
	tcp, _ := ProtoKeyword("tcp", IPv4)
	echo := ICMPMatch{Type: 8, Set: true}
	assert.NoError(t, Rule{Proto: icmp4, ICMP: echo}.Validate(IPv4))
	assert.NoError(t, Rule{Proto: icmp6, ICMP: echo}.Validate(IPv6))
	assert.Error(t, Rule{Proto: icmp6, ICMP: echo}.Validate(IPv4))
	assert.Error(t, Rule{Proto: tcp, ICMP: echo}.Validate(IPv4))
	assert.Error(t, Rule{Proto: ProtoNum(1), ICMP: echo}.Validate(IPv4), "protocol 1 by number: no types, as IOS")
	assert.Error(t, Rule{ICMP: echo}.Validate(IPv4))
	assert.Error(t, Rule{Proto: icmp4, ICMP: ICMPMatch{Code: 1, CodeSet: true}}.Validate(IPv4))
	assert.Equal(t, "permit icmp any any echo log", Rule{Proto: icmp4, ICMP: echo, Log: true}.Body(IPv4))
	assert.Equal(t, "permit icmp any any 8", Rule{Proto: icmp6, ICMP: echo}.Body(IPv6))
	assert.Equal(t, "deny icmp any any echo-request", Rule{Action: Deny, Proto: icmpv6, ICMP: ICMPMatch{Type: 128, Set: true}}.Body(IPv6))
}

func TestACLSeqAndDuplicates(t *testing.T) {
	a := NewACL("x", IPv4)
	tcp, _ := ProtoKeyword("tcp", IPv4)
	r1 := Rule{Proto: tcp, Dst: AnyAddr, DstPort: PortMatch{Op: PortEq, Lo: 22}}
	s, err := a.Add(r1)
	require.NoError(t, err)
	assert.Equal(t, Seq(10), s)
	s, err = a.Add(r1)
	require.NoError(t, err, "an identical line is there already")
	assert.Equal(t, Seq(10), s)
	r1.Seq = 30
	_, err = a.Add(r1)
	require.EqualError(t, err, "the same rule exists as seq 10 in access list x")
	assert.ErrorIs(t, err, ErrDuplicate)
	r1.Seq = 0
	s, err = a.Add(Rule{Seq: 5, Action: Deny})
	require.NoError(t, err)
	assert.Equal(t, Seq(5), s)
	_, err = a.Add(Rule{Seq: 5, Remark: "hello"})
	require.EqualError(t, err, "seq 5 is already in use in access list x")
	s, _ = a.Add(Rule{Remark: "next"})
	assert.Equal(t, Seq(20), s, "next seq is last + 10")
	require.NoError(t, a.Resequence(100, 1))
	var seqs []Seq
	for _, e := range a.Entries() {
		seqs = append(seqs, e.Seq)
	}
	assert.Equal(t, []Seq{100, 101, 102}, seqs)
	got, ok := a.Find(r1)
	assert.True(t, ok)
	assert.Equal(t, Seq(101), got)
	require.NoError(t, a.DeleteSeq(101))
	_, ok = a.Find(r1)
	assert.False(t, ok)
	assert.Error(t, a.DeleteSeq(101))
	require.NoError(t, a.Resequence(MaxSeq-1000, 1000), "the last entry may take the top seq")
	err = a.Resequence(MaxSeq-999, 1000)
	require.EqualError(t, err, "resequence 2147482648 1000: the last of 2 entries would be seq 2147483648, past 2147483647; use a smaller start or step")
	assert.ErrorIs(t, err, ErrSeqRange)
}

// TestSeqRange: seqs run 1-2147483647 as on IOS; auto seq and resequence stop
// at the top with an error that says so, and change nothing.
func TestSeqRange(t *testing.T) {
	a := NewACL("x", IPv4)
	_, err := a.Add(Rule{Seq: MaxSeq + 1})
	assert.ErrorIs(t, err, ErrSeqRange)
	s, err := a.Add(Rule{Seq: MaxSeq - 10})
	require.NoError(t, err)
	assert.Equal(t, MaxSeq-10, s)
	_, err = a.Add(Rule{Action: Deny})
	require.NoError(t, err, "last + 10 = 2147483647 is allowed")
	_, err = a.Add(Rule{Remark: "one more"})
	require.EqualError(t, err, "next seq 2147483657 is past 2147483647; use resequence")
	assert.ErrorIs(t, err, ErrSeqRange)
	require.NoError(t, a.Resequence(MaxSeq-1, 1))
	assert.Equal(t, []Seq{MaxSeq - 1, MaxSeq}, seqsOf(a))
	err = a.Resequence(MaxSeq-1, 2)
	require.EqualError(t, err, "resequence 2147483646 2: the last of 2 entries would be seq 2147483648, past 2147483647; use a smaller start or step")
	assert.Equal(t, []Seq{MaxSeq - 1, MaxSeq}, seqsOf(a), "a refused resequence changes nothing")
}

// TestManyLinesAutoSeq: 100,000 lines without an explicit seq fit one list, and
// resequence renumbers them all, refusing a step that would go past the top.
func TestManyLinesAutoSeq(t *testing.T) {
	const n = 100000
	a := NewACL("big", IPv4)
	tcp, _ := ProtoKeyword("tcp", IPv4)
	for i := range n {
		s, err := a.Add(Rule{Proto: tcp, Dst: AnyAddr, DstPort: PortMatch{Op: PortEq, Lo: uint16(i % 65536)}, Src: HostAddr(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}))})
		require.NoError(t, err)
		require.Equal(t, Seq(10*(i+1)), s)
	}
	require.NoError(t, a.Resequence(1, 1))
	assert.Equal(t, Seq(n), a.Entries()[n-1].Seq)
	require.NoError(t, a.Resequence(10, 21475))
	assert.Equal(t, Seq(2147478535), a.Entries()[n-1].Seq)
	err := a.Resequence(10, 21476)
	require.EqualError(t, err, "resequence 10 21476: the last of 100000 entries would be seq 2147578534, past 2147483647; use a smaller start or step")
	assert.ErrorIs(t, err, ErrSeqRange)
}

func seqsOf(a *ACL) []Seq {
	var seqs []Seq
	for _, e := range a.Entries() {
		seqs = append(seqs, e.Seq)
	}
	return seqs
}

func TestConfigBindings(t *testing.T) {
	c := NewConfig()
	_, err := c.Ensure("v4", IPv4)
	require.NoError(t, err)
	_, err = c.Ensure("v6", IPv6)
	require.NoError(t, err)
	_, err = c.Ensure("v4", IPv6)
	assert.ErrorIs(t, err, ErrWrongFam)
	assert.ErrorIs(t, c.Bind(Inbound(IPv4), "missing"), ErrNotFound)
	assert.ErrorIs(t, c.Bind(Inbound(IPv4), "v6"), ErrWrongFam)
	require.NoError(t, c.Bind(Inbound(IPv4), "v4"))
	assert.ErrorIs(t, c.Delete("v4", IPv4), ErrBound)
	assert.ErrorIs(t, c.Unbind(Inbound(IPv4), "other"), ErrNotFound)
	require.NoError(t, c.Unbind(Inbound(IPv4), "v4"))
	require.NoError(t, c.Delete("v4", IPv4))
	_, err = c.Ensure("1bad", IPv4)
	assert.ErrorIs(t, err, ErrInvalid)
}

func TestLogInterval(t *testing.T) {
	c := NewConfig()
	assert.Equal(t, uint32(1000), c.LogInterval.Millis(), "the zero value is the default")
	assert.Equal(t, "!\n", c.Render(), "the default is not shown")
	require.NoError(t, c.SetLogInterval(250))
	assert.Equal(t, "!\nip access-list logging interval 250\n!\n", c.Render())
	assert.Equal(t, 250*time.Millisecond, c.LogInterval.Duration())
	d := c.Clone()
	assert.True(t, c.Equal(d))
	require.NoError(t, d.SetLogInterval(1000))
	assert.Equal(t, LogInterval(0), d.LogInterval, "setting the default is restoring it")
	assert.Equal(t, "!\n", d.Render())
	assert.False(t, c.Equal(d))
	require.NoError(t, d.SetLogInterval(uint32(MaxLogInterval)))
	assert.ErrorIs(t, d.SetLogInterval(uint32(MaxLogInterval)+1), ErrInvalid)
	assert.Equal(t, MaxLogInterval, d.LogInterval, "a refused value changes nothing")
	require.NoError(t, d.SetLogInterval(0))
	assert.Equal(t, LogInterval(0), d.LogInterval)
}

func TestConnMask(t *testing.T) {
	ip := netip.MustParseAddr
	for _, tc := range []struct {
		f    Family
		bits int
		addr string
		key  string
		err  string
	}{
		{IPv4, 32, "10.1.2.3", "10.1.2.3/32", ""},
		{IPv4, 24, "10.1.2.3", "10.1.2.0/24", ""},
		{IPv4, 0, "10.1.2.3", "0.0.0.0/0", ""},
		{IPv6, 128, "2001:db8:1:2::5", "2001:db8:1:2::5/128", ""},
		{IPv6, 64, "2001:db8:1:2:a:b:c:d", "2001:db8:1:2::/64", ""},
		{IPv6, 48, "2001:db8:1:2::5", "2001:db8:1::/48", ""},
		{IPv4, 33, "", "", "mask /33 is out of range for IPv4 (/0-/32)"},
		{IPv6, -1, "", "", "mask /-1 is out of range for IPv6 (/0-/128)"},
	} {
		m, err := MaskLen(tc.f, tc.bits)
		if tc.err != "" {
			require.EqualError(t, err, tc.err)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tc.bits, m.Len(tc.f), "MaskLen(%v, %d).Len", tc.f, tc.bits)
		assert.Equal(t, tc.key, m.Key(ip(tc.addr)).String(), "MaskLen(%v, %d).Key(%s)", tc.f, tc.bits, tc.addr)
	}
	full, _ := MaskLen(IPv6, 128)
	assert.Zero(t, full, "a full-length mask is the zero value (per address)")
}

// TestConnLimitOptions: mask and sources are part of the rule's canonical text
// (defaults left out) and of its identity, and belong to connlimit.
func TestConnLimitOptions(t *testing.T) {
	tcp, _ := ProtoKeyword("tcp", IPv6)
	m64, _ := MaskLen(IPv6, 64)
	r := Rule{Proto: tcp, ConnLimit: 3, ConnMask: m64, ConnSources: 1000}
	assert.Equal(t, "permit tcp any any connlimit 3 mask /64 sources 1000", r.Body(IPv6))
	assert.Equal(t, 1000, r.Sources())
	assert.Equal(t, DefaultConnSources, Rule{ConnLimit: 3}.Sources())
	a := NewACL("v6", IPv6)
	_, err := a.Add(r)
	require.NoError(t, err)
	other := r
	other.ConnMask = 0
	_, err = a.Add(other)
	require.NoError(t, err, "the same rule per address is another rule")
	_, ok := a.Find(Rule{Proto: tcp, ConnLimit: 3, ConnMask: m64})
	assert.False(t, ok, "sources is part of the rule")
	for _, bad := range []struct {
		r   Rule
		err string
	}{
		{Rule{ConnMask: m64}, "mask, sources and fail-closed belong to connlimit"},
		{Rule{ConnSources: 10}, "mask, sources and fail-closed belong to connlimit"},
		{Rule{ConnFailClosed: true}, "mask, sources and fail-closed belong to connlimit"},
		{Rule{ConnLimit: 1, ConnSources: MaxConnSources + 1}, "sources 1048577 is out of range (1-1048576)"},
		{Rule{ConnLimit: 1, ConnSources: DefaultConnSources}, "sources 65535 is the default; leave it out"},
		{Rule{ConnLimit: 1, ConnMask: 33}, "connlimit mask ignores 33 bits; IPv4 addresses have 32"},
	} {
		assert.EqualError(t, bad.r.Validate(IPv4), bad.err, "%+v", bad.r)
	}
}

// TestAppendAgreesWithString: the append forms render what String and Format do.
func TestAppendAgreesWithString(t *testing.T) {
	addrs := []Address{AnyAddr, HostAddr(netip.MustParseAddr("10.0.0.1")), HostAddr(netip.MustParseAddr("2001:db8::1"))}
	for _, s := range []string{"10.0.0.0/8", "2001:db8::/32"} {
		a, err := ParsePrefix(s)
		require.NoError(t, err)
		addrs = append(addrs, a)
	}
	w, err := ParseWildcard("10.0.0.0", "0.255.0.255")
	require.NoError(t, err)
	addrs = append(addrs, w)
	for _, a := range addrs {
		assert.Equal(t, a.String(), string(a.AppendTo([]byte{})), "Address.AppendTo(%v)", a)
	}
	multi, err := PortList(PortNeq, 443, 22, 830)
	require.NoError(t, err)
	for _, p := range []PortMatch{{}, {Op: PortEq, Lo: 22}, {Op: PortNeq}, {Op: PortLt, Lo: 1024}, {Op: PortGt, Lo: 65534}, {Op: PortRange, Lo: 1, Hi: 65535}, multi} {
		assert.Equal(t, p.String(), string(p.AppendTo([]byte("x"))[1:]), "PortMatch.AppendTo(%v)", p)
	}
	tcp, _ := ProtoKeyword("tcp", IPv4)
	for _, r := range []Rule{
		{Seq: 2147483647, Action: Deny, Proto: tcp, Src: addrs[1], SrcPort: PortMatch{Op: PortRange, Lo: 1, Hi: 2}, Dst: w, DstPort: multi, ConnLimit: 3, ConnMask: 8, ConnSources: 16, Log: true},
		{Seq: 10, Proto: ProtoNum(47), Established: true},
		{Seq: 1, Remark: "a | b"},
	} {
		want := "seq " + strconv.Itoa(int(r.Seq)) + " "
		if r.IsRemark() {
			want += "remark " + r.Remark
		} else {
			parts := []string{r.Action.String(), r.Proto.Format(IPv4), r.Src.String()}
			if r.SrcPort.Op != PortAny {
				parts = append(parts, r.SrcPort.String())
			}
			parts = append(parts, r.Dst.String())
			if r.DstPort.Op != PortAny {
				parts = append(parts, r.DstPort.String())
			}
			want += strings.Join(parts, " ")
			if r.Established {
				want += " established"
			}
			if r.ConnLimit != 0 {
				want += fmt.Sprintf(" connlimit %d mask /%d sources %d", r.ConnLimit, r.ConnMask.Len(IPv4), r.ConnSources)
			}
			if r.Log {
				want += " log"
			}
		}
		assert.Equal(t, want, r.Format(IPv4))
	}
}

// TestRuleKey: two rules pack alike exactly when they are equal but for their
// seqs, over a small domain where many pairs collide; so do their duplicate
// keys (the packing's hash).
func TestRuleKey(t *testing.T) {
	addrs := []Address{AnyAddr, HostAddr(netip.MustParseAddr("10.0.0.1")), HostAddr(netip.MustParseAddr("::ffff:10.0.0.1")),
		HostAddr(netip.MustParseAddr("10.0.0.2")), {Kind: AddrPrefix, Addr: netip.MustParseAddr("10.0.0.0"), Bits: 8},
		{Kind: AddrPrefix, Addr: netip.MustParseAddr("10.0.0.0"), Bits: 16}, {Kind: AddrWildcard, Addr: netip.MustParseAddr("10.0.0.0"), Wildcard: netip.MustParseAddr("0.255.0.255")},
		{Kind: AddrWildcard, Addr: netip.MustParseAddr("10.0.0.0"), Wildcard: netip.MustParseAddr("0.255.255.0")}}
	tcp, _ := ProtoKeyword("tcp", IPv4)
	protos := []Protocol{{}, tcp, ProtoNum(6)}
	two, _ := PortList(PortEq, 22, 23)
	other, _ := PortList(PortEq, 22, 24)
	ports := []PortMatch{{}, {Op: PortEq, Lo: 22}, {Op: PortNeq, Lo: 22}, {Op: PortRange, Lo: 22, Hi: 23}, {Op: PortRange, Lo: 22, Hi: 24}, two, other}
	icmps := []ICMPMatch{{}, {Type: 8, Set: true}, {Type: 8, Set: true, CodeSet: true}, {Type: 0, Set: true}}
	var rules []Rule
	for i := range 6000 {
		x := i
		pick := func(n int) int { v := x % n; x /= n; return v }
		rules = append(rules, Rule{Seq: Seq(i), Action: Action(pick(2)), Proto: protos[pick(3)], Src: addrs[pick(len(addrs))], Dst: addrs[pick(len(addrs))],
			SrcPort: ports[pick(len(ports))], DstPort: ports[pick(len(ports))], Established: pick(2) == 1, Log: pick(2) == 1,
			ConnLimit: ConnLimit(pick(2) * 3), ConnMask: ConnMask(pick(2) * 8), ConnSources: uint32(pick(2) * 300), ICMP: icmps[pick(len(icmps))]})
	}
	for i := 0; i < len(rules); i += 7 {
		for j := range rules {
			a, b := rules[i], rules[j]
			a.Seq, b.Seq = 0, 0
			if (a == b) != (rules[i].pack() == rules[j].pack()) {
				t.Fatalf("pack(%+v) == pack(%+v) is %v, rules equal is %v", rules[i], rules[j], rules[i].pack() == rules[j].pack(), a == b)
			}
			if (a == b) != (rules[i].key() == rules[j].key()) {
				t.Fatalf("key(%+v) == key(%+v) is %v, rules equal is %v", rules[i], rules[j], rules[i].key() == rules[j].key(), a == b)
			}
		}
	}
}

// Issue 10 defect 4: a line the list already holds is a no-op, as on IOS, so
// replaying a running-config or a script onto the same host changes nothing; a
// different entry on a used seq stays an error.
func TestAddIdenticalLineIsNoop(t *testing.T) {
	tcp, _ := ProtoKeyword("tcp", IPv4)
	ssh := Rule{Proto: tcp, Dst: AnyAddr, DstPort: PortMatch{Op: PortEq, Lo: 22}}
	web := Rule{Proto: tcp, Dst: AnyAddr, DstPort: PortMatch{Op: PortEq, Lo: 80}}
	at := func(r Rule, s Seq) Rule { r.Seq = s; return r }
	for _, tc := range []struct {
		name    string
		add     Rule
		seq     Seq    // the seq Add returns
		wantErr string // "" for success
	}{
		{"identical rule, its own seq", at(ssh, 10), 10, ""},
		{"identical rule, no seq", ssh, 10, ""},
		{"identical remark, its own seq", Rule{Seq: 20, Remark: "admins"}, 20, ""},
		{"identical remark, no seq", Rule{Remark: "admins"}, 20, ""},
		{"other rule on a used seq", at(web, 10), 0, "seq 10 is already in use in access list x"},
		{"other remark on a used seq", Rule{Seq: 20, Remark: "other"}, 0, "seq 20 is already in use in access list x"},
		{"identical rule on another seq", at(ssh, 40), 0, "the same rule exists as seq 10 in access list x"},
		{"identical remark on another seq", Rule{Seq: 40, Remark: "admins"}, 40, ""},
		{"new rule, no seq", web, 40, ""},
		{"new remark, no seq", Rule{Remark: "new"}, 40, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := NewACL("x", IPv4)
			for _, r := range []Rule{at(ssh, 10), {Seq: 20, Remark: "admins"}, {Seq: 30, Action: Deny}} {
				_, err := a.Add(r)
				require.NoError(t, err)
			}
			before := slices.Clone(a.Entries())
			s, err := a.Add(tc.add)
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				assert.ErrorIs(t, err, ErrDuplicate)
				assert.Equal(t, before, a.Entries(), "a refused line changes nothing")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.seq, s, "Add(%v) seq", tc.add)
			if _, exists := slices.BinarySearchFunc(before, tc.seq, func(e Rule, s Seq) int { return int(e.Seq) - int(s) }); exists {
				assert.Equal(t, before, a.Entries(), "an identical line changes nothing")
			} else {
				assert.Len(t, a.Entries(), len(before)+1)
			}
		})
	}
}

// The remark index follows deletes: a remark deleted can be added again without a
// seq, and one of two remarks of the same text still makes the text present.
func TestAddRemarkAfterDelete(t *testing.T) {
	a := NewACL("x", IPv4)
	for _, r := range []Rule{{Seq: 10, Remark: "r"}, {Seq: 20, Remark: "r"}} {
		_, err := a.Add(r)
		require.NoError(t, err)
	}
	require.NoError(t, a.DeleteSeq(10))
	s, err := a.Add(Rule{Remark: "r"})
	require.NoError(t, err)
	assert.Equal(t, Seq(20), s, "seq 20 still holds the remark")
	require.NoError(t, a.DeleteSeq(20))
	s, err = a.Add(Rule{Remark: "r"})
	require.NoError(t, err)
	assert.Equal(t, Seq(10), s, "a new remark at the next seq of an empty list")
	assert.Len(t, a.Entries(), 1)
}

// TestImplicitICMPv6 pins what IPv6 lists permit before the implicit deny
// (issue 10, defect 19): router advertisements and neighbor solicitations and
// advertisements, types 134-136 (the enforcer compiles them as that range).
func TestImplicitICMPv6(t *testing.T) {
	var got []string
	for i, n := range ImplicitICMPv6() {
		got = append(got, fmt.Sprintf("%s %d", n.Name, n.Type))
		require.False(t, n.CodeSet)
		require.Equal(t, uint8(134+i), n.Type, "contiguous")
	}
	require.Equal(t, []string{"router-advertisement 134", "nd-ns 135", "nd-na 136"}, got)
}

func TestIsName(t *testing.T) {
	for name, want := range map[string]bool{
		"a": true, "check": true, "A1_b.c-d": true, strings.Repeat("a", 63): true,
		"": false, "1a": false, "_a": false, "-a": false, "a b": false, "a/b": false, "é": false,
		strings.Repeat("a", 64): false, "a\x00": false,
	} {
		require.Equal(t, want, IsName(name), "%q", name)
	}
}

func TestNumbered(t *testing.T) {
	for _, c := range []struct {
		name          string
		numbered, std bool
	}{
		{"1", true, true}, {"99", true, true}, {"100", true, false}, {"199", true, false},
		{"200", false, false}, {"1300", true, true}, {"1999", true, true}, {"2000", true, false},
		{"2699", true, false}, {"2700", false, false}, {"0", false, false}, {"010", false, false}, {"MGMT", false, false},
	} {
		n, s := Numbered(c.name)
		if n != c.numbered || s != c.std {
			t.Errorf("Numbered(%q) = %v, %v, want %v, %v", c.name, n, s, c.numbered, c.std)
		}
	}
	for _, c := range []struct {
		name string
		f    Family
		std  bool
		ok   bool
	}{
		{"10", IPv4, true, true}, {"10", IPv4, false, false}, {"101", IPv4, false, true}, {"101", IPv4, true, false},
		{"300", IPv4, false, false}, {"10", IPv6, false, false}, {"MGMT", IPv6, true, false}, {"MGMT", IPv4, true, true},
	} {
		err := ValidListName(c.name, c.f, c.std)
		if (err == nil) != c.ok {
			t.Errorf("ValidListName(%q, %v, %v) = %v, want ok %v", c.name, c.f, c.std, err, c.ok)
		}
	}
}

func TestStandardRule(t *testing.T) {
	cfg := NewConfig()
	a, err := cfg.EnsureKind("10", IPv4, true)
	if err != nil {
		t.Fatal(err)
	}
	src, _ := ParseWildcard("10.0.0.0", "0.0.0.255")
	r := Rule{Src: src, Log: true, Standard: true}
	if _, err := a.Add(r); err != nil {
		t.Fatal(err)
	}
	if got, want := a.Entries()[0].Format(IPv4), "seq 10 permit 10.0.0.0/24 log"; got != want {
		t.Errorf("Format = %q, want %q", got, want)
	}
	// A standard list's line matches the source only.
	bad := r
	bad.Proto = ProtoNum(ProtoTCP)
	if _, err := a.Add(bad); err == nil {
		t.Errorf("Add(%+v) to a standard list = nil, want an error", bad)
	}
	if _, err := a.Add(Rule{Src: src}); err == nil {
		t.Error("Add(extended rule) to a standard list = nil, want an error")
	}
	if _, err := cfg.Ensure("10", IPv4); err == nil {
		t.Error("Ensure(10) as extended = nil, want an error (it is standard)")
	}
	if got := cfg.Render(); !strings.Contains(got, "ip access-list standard 10\n seq 10 permit 10.0.0.0/24 log\n") {
		t.Errorf("Render() = %q", got)
	}
}

func TestParseWildcardMasked(t *testing.T) {
	for _, c := range []struct {
		addr, wild, want string
		masked           bool
		err              string
	}{
		{"10.10.10.10", "0.0.0.255", "10.10.10.0/24", true, ""},
		{"10.10.10.0", "0.0.0.255", "10.10.10.0/24", false, ""},
		{"10.3.0.0", "0.255.0.255", "10.0.0.0 0.255.0.255", true, ""},
		{"10.0.0.0", "255.255.255.0", "", false, "255.255.255.0 is a netmask; a wildcard mask is its inverse: 10.0.0.0 0.0.0.255, or 10.0.0.0/24"},
		{"10.1.2.3", "255.255.0.0", "", false, "255.255.0.0 is a netmask; a wildcard mask is its inverse: 10.1.0.0 0.0.255.255, or 10.1.0.0/16"},
		{"0.0.0.0", "255.255.255.255", "any", false, ""},
	} {
		a, masked, err := ParseWildcardMasked(c.addr, c.wild)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("ParseWildcardMasked(%s, %s) = %v, want error %q", c.addr, c.wild, err, c.err)
			}
			continue
		}
		if err != nil || a.String() != c.want || masked != c.masked {
			t.Errorf("ParseWildcardMasked(%s, %s) = %s, %v, %v, want %s, %v", c.addr, c.wild, a, masked, err, c.want, c.masked)
		}
	}
}

func TestProtoNames(t *testing.T) {
	for _, n := range ProtoNames(IPv4) {
		p, ok := ProtoKeyword(n.Name, IPv4)
		if !ok || p.Num != n.Num || p.Format(IPv4) != n.Name {
			t.Errorf("ProtoKeyword(%q) = %+v, %v; Format %q", n.Name, p, ok, p.Format(IPv4))
		}
	}
	if _, ok := ProtoKeyword("igmp", IPv6); ok {
		t.Error("ProtoKeyword(igmp, IPv6) = ok, want refused (IGMP is IPv4)")
	}
}

// A rule is 208 bytes (its fields ordered for size, an address 56): a
// million-line list is a million of them. A field added past that is a choice
// to make, not an accident.
func TestRuleSize(t *testing.T) {
	require.Equal(t, uintptr(56), unsafe.Sizeof(Address{}))
	require.Equal(t, uintptr(208), unsafe.Sizeof(Rule{}))
}
