package acl_test

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/cli"
	"github.com/aclsh/aclsh/grammar"
)

// list builds a list from rule lines as typed in an access list mode.
func list(t *testing.T, f acl.Family, lines ...string) *acl.ACL {
	t.Helper()
	mode := grammar.IPACL
	if f == acl.IPv6 {
		mode = grammar.IP6ACL
	}
	a := acl.NewACL("t", f)
	for _, l := range lines {
		cmd, err := grammar.Parse(mode, l)
		require.NoError(t, err, l)
		_, err = a.Add(cmd.Value.(cli.AddRule).Rule)
		require.NoError(t, err, l)
	}
	return a
}

// brief renders findings as "severity kind seq related", one a line.
func brief(r *acl.Report) string {
	var b strings.Builder
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "%s %s %d %v\n", f.Severity, f.Kind, f.Seq, f.Related)
	}
	return b.String()
}

// TestLintFindings: what lint reports, and with which severity, on lists that
// show each finding, the seed 001 lists among them.
func TestLintFindings(t *testing.T) {
	mgmt := []netip.Addr{netip.MustParseAddr("10.24.12.129"), netip.MustParseAddr("fd77::129")}
	for _, tc := range []struct {
		name  string
		f     acl.Family
		mgmt  []netip.Addr
		lines []string
		want  string
	}{
		{"seed 001 permit connlimit", acl.IPv4, mgmt, []string{"permit tcp host 10.24.12.107 host 10.24.12.129 eq 22 connlimit 3"}, ""},
		{"seed 001 deny connlimit alone", acl.IPv4, mgmt, []string{"deny tcp host 10.24.12.107 host 10.24.12.129 eq 22 connlimit 3"},
			"error deny_connlimit_alone 10 []\nerror permits_nothing 0 []\n"},
		{"seed 001 deny connlimit then permit ip any any", acl.IPv4, mgmt,
			[]string{"seq 10 deny tcp host 10.24.12.107 host 10.24.12.129 eq 22 connlimit 3", "seq 20 permit ip any any"}, ""},
		{"seed 001 deny connlimit, later permit elsewhere", acl.IPv4, mgmt,
			[]string{"deny tcp host 10.24.12.107 host 10.24.12.129 eq 22 connlimit 3", "permit tcp any host 10.24.12.129 eq 80", "permit tcp host 10.24.12.108 any eq 22"},
			"error deny_connlimit_alone 10 []\n"},
		{"seed 001 scenario 1: another address", acl.IPv4, mgmt,
			[]string{"seq 10 permit ip host 1.1.1.2 host 2.2.2.1 connlimit 2", "seq 20 permit tcp host 1.1.1.2 host 2.2.2.1 connlimit 1"},
			"error no_ssh 0 []\n"},
		{"seed 001 scenario 1: management address unknown", acl.IPv4, nil,
			[]string{"seq 10 permit ip host 1.1.1.2 host 2.2.2.1 connlimit 2", "seq 20 permit tcp host 1.1.1.2 host 2.2.2.1 connlimit 1"}, ""},
		{"connlimit after a broader permit", acl.IPv4, mgmt,
			[]string{"permit tcp any any eq 22", "permit tcp host 10.24.12.107 any eq 22 connlimit 3"},
			"error connlimit_never_limits 20 [10]\n"},
		{"connlimit after a permit and a deny that cover it together", acl.IPv4, mgmt,
			[]string{"permit tcp 10.0.0.0/25 any eq 22", "deny tcp 10.0.0.128/25 any", "permit tcp 10.0.0.0/24 any eq 22 connlimit 3", "permit tcp any any eq 22"},
			"error connlimit_never_limits 30 [10 20]\n"},
		{"connlimit after a deny only", acl.IPv4, mgmt,
			[]string{"deny tcp 10.0.0.0/24 any", "permit tcp 10.0.0.0/25 any eq 22 connlimit 3", "permit tcp any any eq 22"},
			"warning unreachable 20 [10]\n"},
		{"connlimit whose overflow a later permit takes", acl.IPv4, mgmt,
			[]string{"permit tcp host 10.24.12.107 host 10.24.12.129 eq 22 connlimit 3", "permit tcp any any eq 22"},
			"error connlimit_overflow_permitted 10 [20]\n"},
		{"connlimit whose overflow two later permits take", acl.IPv4, mgmt,
			[]string{"permit tcp 10.0.0.0/24 any eq 22 connlimit 3", "permit tcp 10.0.0.0/25 any", "permit tcp 10.0.0.128/25 any eq 22", "deny ip any any"},
			"error connlimit_overflow_permitted 10 [20 30]\n"},
		{"connlimit then a deny for its traffic", acl.IPv4, mgmt,
			[]string{"permit tcp host 10.24.12.107 any eq 22 connlimit 3", "deny tcp host 10.24.12.107 any eq 22", "permit tcp any any eq 22"}, ""},
		{"connlimit whose overflow is permitted only in part", acl.IPv4, mgmt,
			[]string{"permit tcp 10.0.0.0/24 any eq 22 connlimit 3", "permit tcp 10.0.0.0/25 any eq 22"}, ""},
		{"connlimit partly after a permit", acl.IPv4, mgmt,
			[]string{"permit tcp 10.0.0.0/8 any eq 22", "permit tcp any any eq 22 connlimit 3"},
			"warning connlimit_bypassed 20 [10]\n"},
		{"covered by the union of two prefixes", acl.IPv4, mgmt,
			[]string{"permit tcp 10.0.0.0/25 any", "permit tcp 10.0.0.128/25 any", "deny tcp 10.0.0.0/24 any eq 22", "permit tcp any any eq 22"},
			"warning unreachable 30 [10 20]\n"},
		{"covered by the union of two wildcards", acl.IPv4, mgmt,
			[]string{"deny ip 10.0.0.0 0.0.255.254 any", "deny ip 10.0.0.1 0.0.255.254 any", "permit tcp 10.0.0.0/16 any eq 22", "permit ip any any"},
			"warning unreachable 30 [10 20]\n"},
		{"a wildcard does not cover the prefix around it", acl.IPv4, mgmt,
			[]string{"deny ip 10.0.0.0 0.0.255.254 any", "permit tcp 10.0.0.0/16 any eq 22"}, ""},
		{"neq and eq cover every port", acl.IPv4, mgmt,
			[]string{"permit tcp any any neq 22", "permit tcp any any eq 22", "deny tcp any any"},
			"warning unreachable 30 [10 20]\n"},
		{"established lines never cover new connections", acl.IPv4, mgmt,
			[]string{"permit tcp any any established", "permit tcp any any eq 22"}, ""},
		{"an exception after the line it excepts from", acl.IPv4, mgmt,
			[]string{"permit tcp 10.0.0.0/8 any eq 22", "deny tcp host 10.1.1.1 any", "permit tcp any any eq 443"},
			"warning partial_overlap 20 [10]\n"},
		{"a broader line of the other action is no partial overlap", acl.IPv4, mgmt,
			[]string{"permit tcp 10.0.0.0/8 any", "deny tcp any any eq 22", "permit tcp any any eq 22"},
			"warning unreachable 30 [20]\n"},
		{"an exception before a broader line is no overlap", acl.IPv4, mgmt,
			[]string{"deny tcp host 10.0.0.66 any eq 22", "permit tcp 10.0.0.0/8 any eq 22"}, ""},
		{"permits nothing", acl.IPv4, mgmt, []string{"deny ip any any", "permit tcp any any eq 22"},
			"warning unreachable 20 [10]\nerror permits_nothing 0 []\n"},
		{"permits only replies", acl.IPv4, mgmt, []string{"permit tcp any any established"}, "error permits_nothing 0 []\n"},
		{"a line without established decides replies too", acl.IPv4, mgmt,
			[]string{"permit tcp any any eq 22", "deny udp any any", "permit udp any any established"},
			"warning unreachable 30 [20]\n"},
		{"an established line after a connlimit line is reached", acl.IPv4, mgmt,
			[]string{"permit tcp any any eq 22", "deny tcp 10.0.0.0/8 any eq 443 connlimit 1", "permit tcp any any established"}, ""},
		{"IPv6: an IPv4-mapped source", acl.IPv6, mgmt,
			[]string{"permit tcp host ::ffff:10.24.12.107 any eq 22", "permit tcp any any eq 22", "permit icmp any any"},
			"warning ipv4_mapped 10 []\n"},
		{"IPv6: an IPv4-mapped destination prefix", acl.IPv6, mgmt,
			[]string{"permit tcp any any eq 22", "deny ipv6 any ::ffff:10.0.0.0/104", "permit icmp any any"},
			"warning ipv4_mapped 20 []\nwarning partial_overlap 20 [10]\nwarning nd_denied 20 [20]\n"},
		{"no SSH to the management address", acl.IPv4, mgmt, []string{"permit tcp any host 10.24.12.130 eq 22", "permit tcp any host 10.24.12.129 eq 443"},
			"error no_ssh 0 []\n"},
		{"IPv6: neighbour discovery left to the implicit permit", acl.IPv6, mgmt, []string{"permit tcp any any eq 22"}, "info nd_implicit 0 []\n"},
		{"IPv6: neighbour discovery permitted", acl.IPv6, mgmt, []string{"permit icmp any any", "permit tcp any any eq 22"}, ""},
		{"IPv6: neighbour discovery denied", acl.IPv6, mgmt, []string{"permit tcp any any eq 22", "deny ipv6 any any"},
			"warning nd_denied 20 [20]\n"},
		{"IPv6: denying pings does not deny neighbour discovery", acl.IPv6, mgmt, []string{"permit tcp any any eq 22", "deny icmp any any echo-request"},
			"info nd_implicit 0 []\n"},
		{"IPv6: denying router solicitations (133) does not deny neighbour discovery", acl.IPv6, mgmt, []string{"deny icmp any any router-solicitation", "permit ipv6 any any"}, ""},
		{"IPv6: denying router advertisements does", acl.IPv6, mgmt, []string{"deny icmp any any router-advertisement", "permit ipv6 any any"},
			"warning nd_denied 10 [10]\n"},
		{"IPv6: permitting nd-ns and nd-na leaves router advertisements to the implicit permit", acl.IPv6, mgmt,
			[]string{"permit icmp any any nd-ns", "permit icmp any any nd-na", "permit tcp any any eq 22"}, "info nd_implicit 0 []\n"},
		{"an ICMP type does not cover another", acl.IPv4, mgmt, []string{"permit icmp any any echo", "permit icmp any any echo-reply", "permit tcp any any eq 22"}, ""},
		{"an ICMP type covers its codes", acl.IPv4, mgmt, []string{"permit icmp any any unreachable", "deny icmp any any packet-too-big", "permit tcp any any eq 22"},
			"warning unreachable 20 [10]\n"},
		{"ICMP codes do not cover their type", acl.IPv4, mgmt, []string{"permit icmp any any 3 4", "permit icmp any any 3 3", "deny icmp any any unreachable", "permit tcp any any eq 22"}, ""},
		{"a line without a type covers every type", acl.IPv4, mgmt, []string{"deny icmp any any", "permit icmp any any echo", "permit tcp any any eq 22"},
			"warning unreachable 20 [10]\n"},
		{"a port list covers each of its ports", acl.IPv4, mgmt, []string{"permit tcp any any eq 22 443 830", "deny tcp any any eq 443"},
			"warning unreachable 20 [10]\n"},
		{"a port list covers no other port", acl.IPv4, mgmt, []string{"permit tcp any any eq 22 443 830", "deny tcp any any eq 80"}, ""},
		{"two port lists cover a range", acl.IPv4, mgmt, []string{"permit tcp any any eq 20 22", "deny tcp any any eq 21 23", "permit tcp any any range 20 23"},
			"warning unreachable 30 [10 20]\n"},
		{"neq with a list leaves its ports", acl.IPv4, mgmt, []string{"permit tcp any any neq 80 443", "deny tcp any any eq 80", "deny tcp any any eq 443 22"},
			"warning partial_overlap 30 [10]\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := list(t, tc.f, tc.lines...)
			rep := a.Lint(acl.LintOptions{Mgmt: tc.mgmt})
			require.Equal(t, tc.want, brief(rep), "Lint(%q)", tc.lines)
			for _, f := range rep.Findings {
				require.NotEmpty(t, f.Reason)
				if f.Seq != 0 {
					require.Contains(t, f.Line, fmt.Sprintf("seq %d ", f.Seq))
				}
			}
		})
	}
}

// TestLintJSON: reports, findings, witnesses and traces render as JSON with
// snake_case keys, for `| json`.
func TestLintJSON(t *testing.T) {
	a := list(t, acl.IPv4, "permit tcp any any eq 22", "permit tcp host 10.24.12.107 any eq 22 connlimit 3")
	b, err := json.Marshal(a.Lint(acl.LintOptions{}))
	require.NoError(t, err)
	s := string(b)
	for _, want := range []string{`"family":"IPv4"`, `"list":"t"`, `"severity":"error"`, `"kind":"connlimit_never_limits"`, `"covered_by":[10]`,
		`"witness":{"protocol":"tcp","source":"192.0.2.1","source_port":40000,"destination":"192.0.2.1","destination_port":22,"state":"new","test":"tcp 192.0.2.1 40000 192.0.2.1 22"}`} {
		require.Contains(t, s, want)
	}
	tr := a.Trace(acl.Packet{Proto: 6, Src: netip.MustParseAddr("10.24.12.107"), Dst: netip.MustParseAddr("10.24.12.129"), SrcPort: 40000, DstPort: 22}, nil)
	b, err = json.Marshal(tr)
	require.NoError(t, err)
	require.Contains(t, string(b), `"result":[{"action":"permit","seq":10,"by":"seq 10"}]`)
}
