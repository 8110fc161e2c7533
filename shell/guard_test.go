package shell

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/cli"
)

// cfgOf loads a running-config text; "" is the empty config.
func cfgOf(t *testing.T, text string) *acl.Config {
	t.Helper()
	cfg, err := cli.LoadConfig(text)
	require.NoError(t, err, "cli.LoadConfig(%q)", text)
	return cfg
}

func bind(lists string, v4 string) string {
	return lists + "interface management 0\n ip access-group " + v4 + " in\n!\n"
}

func TestLockoutWarning(t *testing.T) {
	op4, ok := ParseSSHConnection("10.24.12.107 40022 10.24.12.129 22")
	require.True(t, ok)
	op6, ok := ParseSSHConnection("fd77::107 40022 fd77::129 22")
	require.True(t, ok)
	permit22 := "ip access-list extended m\n seq 10 permit tcp any any eq 22\n!\n"
	elsewhere4 := op4
	elsewhere4.Elsewhere = true
	for _, tc := range []struct {
		name     string
		old, cfg string
		op       *Operator
		want     []string // lines the warning holds, in order; none: no warning
	}{
		{
			name: "own session refused by a deny line",
			old:  bind(permit22, "m"),
			cfg:  bind("ip access-list extended m\n seq 5 deny tcp host 10.24.12.107 any eq 22\n seq 10 permit tcp any any eq 22\n!\n", "m"),
			op:   &op4,
			want: []string{
				"% Warning: this change would lock you out (your connection: 10.24.12.107 port 40022 to 10.24.12.129 port 22, on management 0):",
				"%   your session would be dropped by access list m seq 5 deny tcp host 10.24.12.107 any eq 22",
				"%   a new connection from 10.24.12.107 to port 22 would be refused by access list m seq 5 deny tcp host 10.24.12.107 any eq 22",
			},
		},
		{
			name: "own session refused by the implicit deny (a typo in the address)",
			old:  bind("ip access-list extended m\n seq 10 permit tcp host 10.24.12.107 any eq 22\n!\n", "m"),
			cfg:  bind("ip access-list extended m\n seq 10 permit tcp host 10.24.12.170 any eq 22\n!\n", "m"),
			op:   &op4,
			want: []string{
				"% Warning: this change would lock you out",
				"%   your session would be dropped by the implicit deny at the end of access list m",
				"%   a new connection from 10.24.12.107 to port 22 would be refused by the implicit deny at the end of access list m",
			},
		},
		{
			name: "a control-plane list that refuses the session, arriving elsewhere",
			old:  "ip access-list extended cp\n seq 10 permit tcp host 10.24.12.108 any eq 22\n!\n",
			cfg:  "ip access-list extended cp\n seq 10 permit tcp host 10.24.12.108 any eq 22\n!\nsystem control-plane\n ip access-group cp in\n!\n",
			op:   &elsewhere4,
			want: []string{
				"% Warning: this change would lock you out (your connection: 10.24.12.107 port 40022 to 10.24.12.129 port 22):",
				"%   your session would be dropped by the implicit deny at the end of access list cp (bound to system control-plane)",
				"%   a new connection from 10.24.12.107 to port 22 would be refused by the implicit deny at the end of access list cp (bound to system control-plane)",
			},
		},
		{
			name: "a line vty list refuses new logins, never the open session",
			old:  bind(permit22, "m"),
			cfg:  bind(permit22+"ip access-list standard v\n seq 10 permit host 10.24.12.108\n!\nline vty\n access-class v in\n!\n", "m"),
			op:   &op4,
			want: []string{
				"% Warning: this change would lock you out",
				"%   a new connection from 10.24.12.107 to port 22 would be refused by the implicit deny at the end of access list v (bound to line vty)",
			},
		},
		{
			name: "management 0's list does not see a connection arriving elsewhere",
			old:  "ip access-list extended m\n seq 10 permit tcp host 10.24.12.108 any eq 22\n!\n",
			cfg:  bind("ip access-list extended m\n seq 10 permit tcp host 10.24.12.108 any eq 22\n!\n", "m"),
			op:   &elsewhere4,
		},
		{
			name: "binding a list with no permit line at line vty, without an operator",
			old:  "ip access-list standard v\n seq 10 deny any\n!\n",
			cfg:  "ip access-list standard v\n seq 10 deny any\n!\nline vty\n access-class v in\n!\n",
			want: []string{
				"% Warning: this change would refuse new connections:",
				"%   IPv4 access list v, bound to line vty, has no permit line: every new IPv4 SSH login would be refused",
			},
		},
		{
			name: "removing the last permit line",
			old:  bind(permit22, "m"),
			cfg:  bind("ip access-list extended m\n!\n", "m"),
			op:   &op4,
			want: []string{
				"% Warning: this change would lock you out",
				"%   your session would be dropped by the implicit deny at the end of access list m",
				"%   a new connection from 10.24.12.107 to port 22 would be refused by the implicit deny at the end of access list m",
				"%   IPv4 access list m, bound to interface management 0, has no permit line: every new IPv4 connection on management 0 would be refused",
			},
		},
		{
			name: "binding a list that does not permit the operator",
			old:  "ip access-list extended m\n seq 10 permit tcp host 10.24.12.108 any eq 22\n!\n",
			cfg:  bind("ip access-list extended m\n seq 10 permit tcp host 10.24.12.108 any eq 22\n!\n", "m"),
			op:   &op4,
			want: []string{
				"% Warning: this change would lock you out",
				"%   your session would be dropped by the implicit deny at the end of access list m",
				"%   a new connection from 10.24.12.107 to port 22 would be refused by the implicit deny at the end of access list m",
			},
		},
		{
			// The session passes (deny ... connlimit only drops new connections),
			// but every new one is refused.
			name: "deny connlimit 1 refuses new connections only",
			old:  bind(permit22, "m"),
			cfg:  bind("ip access-list extended m\n seq 5 deny tcp any any eq 22 connlimit 1\n seq 10 permit tcp any any eq 22\n!\n", "m"),
			op:   &op4,
			want: []string{
				"% Warning: this change would lock you out",
				"%   a new connection from 10.24.12.107 to port 22 would be refused by access list m seq 5 deny tcp any any eq 22 connlimit 1",
			},
		},
		{
			// A limit reached is not a lockout: the session keeps passing by its
			// mark, and a new connection is admitted again when a session ends.
			name: "permit connlimit 1, the operator's session fills it",
			old:  bind(permit22, "m"),
			cfg:  bind("ip access-list extended m\n seq 10 permit tcp host 10.24.12.107 any eq 22 connlimit 1\n!\n", "m"),
			op:   &op4,
		},
		{
			name: "deny connlimit 3 (seed 001): a limit, not a lockout",
			old:  bind(permit22, "m"),
			cfg:  bind("ip access-list extended m\n seq 5 deny tcp host 10.24.12.107 any eq 22 connlimit 3\n seq 10 permit tcp any any eq 22\n!\n", "m"),
			op:   &op4,
		},
		{
			name: "a permit connlimit line keeps its sessions past a later deny",
			old:  "",
			cfg:  bind("ip access-list extended m\n seq 10 permit tcp host 10.24.12.107 any eq 22 connlimit 2\n seq 20 deny ip any any\n!\n", "m"),
			op:   &op4,
		},
		{
			name: "no operator on management 0: a deny of any address is not the guard's",
			old:  bind(permit22, "m"),
			cfg:  bind("ip access-list extended m\n seq 5 deny tcp host 10.24.12.107 any eq 22\n seq 10 permit tcp any any eq 22\n!\n", "m"),
			op:   nil,
		},
		{
			name: "no operator: binding a list with no permit line still warns",
			old:  "ip access-list extended m\n seq 10 deny ip any any\n!\n",
			cfg:  bind("ip access-list extended m\n seq 10 deny ip any any\n!\n", "m"),
			op:   nil,
			want: []string{
				"% Warning: this change would refuse new connections on management 0:",
				"%   IPv4 access list m, bound to interface management 0, has no permit line: every new IPv4 connection on management 0 would be refused",
			},
		},
		{
			name: "a list whose only permit line is established permits no new connection",
			old:  "",
			cfg:  bind("ip access-list extended m\n seq 10 permit tcp any any established\n!\n", "m"),
			op:   nil,
			want: []string{"%   IPv4 access list m, bound to interface management 0, has no permit line"},
		},
		{
			name: "already refused before: no new warning at every line",
			old:  bind("ip access-list extended m\n seq 10 deny ip any any\n!\n", "m"),
			cfg:  bind("ip access-list extended m\n seq 10 deny ip any any\n seq 20 deny udp any any\n!\n", "m"),
			op:   &op4,
		},
		{
			name: "unbinding never warns",
			old:  bind(permit22, "m"),
			cfg:  permit22,
			op:   &op4,
		},
		{
			name: "an IPv6 operator and an IPv4 list",
			old:  "",
			cfg:  bind("ip access-list extended m\n seq 10 permit tcp host 10.24.12.108 any eq 22\n!\n", "m"),
			op:   &op6,
		},
		{
			name: "an IPv6 operator refused by an IPv6 list",
			old:  "",
			cfg:  "ipv6 access-list extended m6\n seq 10 permit tcp host fd77::108 any eq 22\n!\ninterface management 0\n ipv6 access-group m6 in\n!\n",
			op:   &op6,
			want: []string{
				"% Warning: this change would lock you out (your connection: fd77::107 port 40022 to fd77::129 port 22, on management 0):",
				"%   your session would be dropped by the implicit deny at the end of access list m6",
				"%   a new connection from fd77::107 to port 22 would be refused by the implicit deny at the end of access list m6",
			},
		},
		{
			name: "unknown running-config (damaged): judged as admitting everything",
			old:  "-",
			cfg:  bind("ip access-list extended m\n seq 10 permit tcp host 10.24.12.108 any eq 22\n!\n", "m"),
			op:   &op4,
			want: []string{
				"%   your session would be dropped by the implicit deny at the end of access list m",
				"%   a new connection from 10.24.12.107 to port 22 would be refused by the implicit deny at the end of access list m",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var old *acl.Config
			if tc.old != "-" {
				old = cfgOf(t, tc.old)
			}
			got := LockoutWarning(old, cfgOf(t, tc.cfg), tc.op)
			if len(tc.want) == 0 {
				require.Empty(t, got, "LockoutWarning = %q, want none", got)
				return
			}
			rest := got
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				require.GreaterOrEqual(t, i, 0, "LockoutWarning = \n%s\nwant (in order) %q", got, w)
				rest = rest[i+len(w):]
			}
			items := 0
			for _, w := range tc.want {
				if strings.HasPrefix(w, "%   ") {
					items++
				}
			}
			require.Equal(t, items, strings.Count(got, "\n%   "), "LockoutWarning = \n%s\nwant %d items", got, items)
		})
	}
}

func TestParseSSHConnection(t *testing.T) {
	ap := netip.MustParseAddrPort
	for _, tc := range []struct {
		in   string
		want Operator
		ok   bool
	}{
		{"10.24.12.107 40022 10.24.12.129 22", Operator{Client: ap("10.24.12.107:40022"), Server: ap("10.24.12.129:22")}, true},
		{"fd77::107 40022 fd77::129 22", Operator{Client: ap("[fd77::107]:40022"), Server: ap("[fd77::129]:22")}, true},
		{"::ffff:10.24.12.107 40022 ::ffff:10.24.12.129 22", Operator{Client: ap("10.24.12.107:40022"), Server: ap("10.24.12.129:22")}, true},
		{"fe80::1%mgmt0 40022 fe80::2%mgmt0 22", Operator{Client: ap("[fe80::1]:40022"), Server: ap("[fe80::2]:22")}, true},
		{"", Operator{}, false},
		{"10.24.12.107 40022 10.24.12.129", Operator{}, false},
		{"10.24.12.107 40022 10.24.12.129 22 x", Operator{}, false},
		{"10.24.12.107 x 10.24.12.129 22", Operator{}, false},
		{"10.24.12.107 40022 10.24.12.129 70000", Operator{}, false},
		{"10.24.12.107 40022 10.24.12.129 0", Operator{}, false},
		{"host 40022 10.24.12.129 22", Operator{}, false},
		{"10.24.12.107 40022 fd77::129 22", Operator{}, false},
	} {
		got, ok := ParseSSHConnection(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("ParseSSHConnection(%q) = %v, %v, want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// BenchmarkLockoutWarning10k: the guard's cost per commit in its worst case, a
// bound list of 10,000 lines where only the last one admits the operator (both
// configs are walked to the end for the session and for a new connection).
func BenchmarkLockoutWarning10k(b *testing.B) {
	text := strings.TrimSuffix(bigConfig(10000), "!\n") + " seq 200000 permit tcp any any eq 22\n!\ninterface management 0\n ip access-group big in\n!\n"
	old, err := cli.LoadConfig(text)
	require.NoError(b, err)
	cfg := old.Clone()
	_, err = cfg.ACLs["big"].Add(acl.Rule{Seq: 5, Action: acl.Deny, Proto: acl.ProtoNum(17)})
	require.NoError(b, err)
	op, _ := ParseSSHConnection("10.24.12.107 40022 10.24.12.129 22")
	for b.Loop() {
		if w := LockoutWarning(old, cfg, &op); w != "" {
			b.Fatal(w)
		}
	}
}
