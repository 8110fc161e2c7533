package acl_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
)

// TestMayOverlap: rules that share a packet always overlap; disjoint hosts,
// prefixes, protocols and port ranges do not.
func TestMayOverlap(t *testing.T) {
	host := func(s string) acl.Address { a, _ := acl.ParsePrefix(s + "/32"); return a }
	pfx := func(s string) acl.Address { a, err := acl.ParsePrefix(s); require.NoError(t, err); return a }
	wild, err := acl.ParseWildcard("10.0.0.0", "0.255.0.255")
	require.NoError(t, err)
	tcp, udp := acl.ProtoNum(acl.ProtoTCP), acl.ProtoNum(acl.ProtoUDP)
	tcp.Keyword, udp.Keyword = true, true
	eq := func(p uint16) acl.PortMatch { return acl.PortMatch{Op: acl.PortEq, Lo: p} }
	list := func(op acl.PortOp, ports ...uint16) acl.PortMatch {
		p, err := acl.PortList(op, ports...)
		require.NoError(t, err)
		return p
	}
	icmp, _ := acl.ProtoKeyword("icmp", acl.IPv4)
	for _, tc := range []struct {
		name string
		a, b acl.Rule
		want bool
	}{
		{"same host and port", acl.Rule{Proto: tcp, Src: host("10.0.0.1"), DstPort: eq(22)}, acl.Rule{Proto: tcp, Src: host("10.0.0.1"), DstPort: eq(22)}, true},
		{"other host", acl.Rule{Proto: tcp, Src: host("10.0.0.1")}, acl.Rule{Proto: tcp, Src: host("10.0.0.2")}, false},
		{"host in prefix", acl.Rule{Src: host("10.0.0.1")}, acl.Rule{Src: pfx("10.0.0.0/24")}, true},
		{"disjoint prefixes", acl.Rule{Dst: pfx("10.0.1.0/24")}, acl.Rule{Dst: pfx("10.0.0.0/24")}, false},
		{"any", acl.Rule{}, acl.Rule{Proto: tcp, Src: host("10.0.0.1"), DstPort: eq(22)}, true},
		{"other protocol", acl.Rule{Proto: tcp}, acl.Rule{Proto: udp}, false},
		{"other port", acl.Rule{Proto: tcp, DstPort: eq(22)}, acl.Rule{Proto: tcp, DstPort: eq(80)}, false},
		{"port in range", acl.Rule{Proto: tcp, DstPort: eq(80)}, acl.Rule{Proto: tcp, DstPort: acl.PortMatch{Op: acl.PortRange, Lo: 1, Hi: 1023}}, true},
		{"lt and gt apart", acl.Rule{Proto: tcp, DstPort: acl.PortMatch{Op: acl.PortLt, Lo: 100}}, acl.Rule{Proto: tcp, DstPort: acl.PortMatch{Op: acl.PortGt, Lo: 99}}, false},
		{"neq and eq of that port apart", acl.Rule{Proto: tcp, DstPort: acl.PortMatch{Op: acl.PortNeq, Lo: 22}}, acl.Rule{Proto: tcp, DstPort: eq(22)}, false},
		{"neq and eq of another port", acl.Rule{Proto: tcp, DstPort: acl.PortMatch{Op: acl.PortNeq, Lo: 22}}, acl.Rule{Proto: tcp, DstPort: eq(23)}, true},
		{"neq may overlap", acl.Rule{Proto: tcp, DstPort: acl.PortMatch{Op: acl.PortNeq, Lo: 22}}, acl.Rule{Proto: tcp, DstPort: acl.PortMatch{Op: acl.PortNeq, Lo: 23}}, true},
		{"port lists share a port", acl.Rule{Proto: tcp, DstPort: list(acl.PortEq, 22, 443, 830)}, acl.Rule{Proto: tcp, DstPort: list(acl.PortEq, 80, 830)}, true},
		{"port lists apart", acl.Rule{Proto: tcp, DstPort: list(acl.PortEq, 22, 443, 830)}, acl.Rule{Proto: tcp, DstPort: list(acl.PortEq, 80, 8080)}, false},
		{"port list and range apart", acl.Rule{Proto: tcp, DstPort: list(acl.PortEq, 22, 443)}, acl.Rule{Proto: tcp, DstPort: acl.PortMatch{Op: acl.PortRange, Lo: 23, Hi: 442}}, false},
		{"port list in range", acl.Rule{Proto: tcp, DstPort: list(acl.PortEq, 22, 443)}, acl.Rule{Proto: tcp, DstPort: acl.PortMatch{Op: acl.PortRange, Lo: 23, Hi: 443}}, true},
		{"port list and neq of all its ports but one", acl.Rule{Proto: tcp, DstPort: list(acl.PortEq, 22, 443)}, acl.Rule{Proto: tcp, DstPort: list(acl.PortNeq, 22)}, true},
		{"port list and neq of all its ports", acl.Rule{Proto: tcp, DstPort: list(acl.PortEq, 22, 443)}, acl.Rule{Proto: tcp, DstPort: list(acl.PortNeq, 443, 22, 80)}, false},
		{"other icmp types", acl.Rule{Proto: icmp, ICMP: acl.ICMPMatch{Type: 8, Set: true}}, acl.Rule{Proto: icmp, ICMP: acl.ICMPMatch{Type: 0, Set: true}}, false},
		{"icmp type and any type", acl.Rule{Proto: icmp, ICMP: acl.ICMPMatch{Type: 8, Set: true}}, acl.Rule{Proto: icmp}, true},
		{"icmp type and its code", acl.Rule{Proto: icmp, ICMP: acl.ICMPMatch{Type: 3, Set: true}}, acl.Rule{Proto: icmp, ICMP: acl.ICMPMatch{Type: 3, Code: 4, Set: true, CodeSet: true}}, true},
		{"other icmp codes", acl.Rule{Proto: icmp, ICMP: acl.ICMPMatch{Type: 3, Code: 3, Set: true, CodeSet: true}}, acl.Rule{Proto: icmp, ICMP: acl.ICMPMatch{Type: 3, Code: 4, Set: true, CodeSet: true}}, false},
		{"icmp type and ip", acl.Rule{Proto: icmp, ICMP: acl.ICMPMatch{Type: 8, Set: true}}, acl.Rule{}, true},
		{"wildcard may overlap", acl.Rule{Src: wild}, acl.Rule{Src: host("192.168.0.1")}, true},
		// every line applies to replies too; only a connlimit line (new
		// connections) and an established one (replies) are apart
		{"established and a plain line", acl.Rule{Established: true}, acl.Rule{}, true},
		{"established and connlimit apart", acl.Rule{Established: true}, acl.Rule{ConnLimit: 3}, false},
		{"connlimit and a plain line", acl.Rule{ConnLimit: 3}, acl.Rule{}, true},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "-"), func(t *testing.T) {
			require.Equal(t, tc.want, tc.a.MayOverlap(tc.b), "a.MayOverlap(b)")
			require.Equal(t, tc.want, tc.b.MayOverlap(tc.a), "b.MayOverlap(a)")
		})
	}
}
