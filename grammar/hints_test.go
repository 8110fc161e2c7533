package grammar

import (
	"strings"
	"testing"
)

// Issue 20, item 11: a refused line of another vendor's spelling says why and
// what to type instead.
func TestVendorHints(t *testing.T) {
	for _, c := range []struct {
		mode Mode
		line string
		want string // a part of the message; "" for a bare caret
	}{
		{Config, "line console 0", "login service"},
		{Config, " access-class 10 in", "under line vty"},
		{Config, "management telnet", "management ssh"},
		{CtrlPlane, "service-policy input COPP", ""},
		{LineVTY, "access-class V out", "filters the connections a switch's vty sessions open to other hosts"},
		{LineVTY, "ipv6 access-class V6 out vrf-also", "access-class V6 in"},
		{Config, "ssh access-group ipv6 V6", "line vty, then ipv6 access-class V6 in"},
		{Config, " transport input ssh", "sshd's configuration"},
		{Config, "ip access-group MGMT in", "under an interface"},
		{Config, "access-list 10 permit tcp any any", "standard list matches the source address only"},
		{Config, "access-list 150 permit 10.0.0.0 0.0.0.255", "access list 150 is an extended list"},
		{StdACL, "permit tcp any any", "standard list matches the source address only"},
		{StdACL, "seq 10 deny udp any any", "standard list matches the source address only"},
		{Interface, "ip access-group MGMT out", "in, ingress"},
		{Interface, "ipv4 access-group MGMT egress", "in, ingress"},
		{Config, "no access-list 10 permit host 10.0.0.1", "ip access-list standard 10, then no SEQ"},
		{Config, "out", ""},
		{Config, "x out", ""},
		{Config, "bogus words", ""},
		{IPACL, "permit tcp any any bogus", ""},
	} {
		_, err := Parse(c.mode, c.line)
		pe, ok := err.(*ParseError)
		if !ok {
			t.Errorf("Parse(%d, %q) = %v, want a ParseError", c.mode, c.line, err)
			continue
		}
		if c.want == "" && pe.Msg != "" || !strings.Contains(pe.Msg, c.want) {
			t.Errorf("Parse(%d, %q) = %q, want a message with %q", c.mode, c.line, pe.Msg, c.want)
		}
	}
}

// Issue 20: other vendors' spellings parse to the command and the canonical
// line aclsh means by them.
func TestVendorSpellings(t *testing.T) {
	for _, c := range []struct {
		mode Mode
		line string
		kind Kind
		want string // the rule as the running-config writes it, or the list's name
	}{
		{Config, "ip access-list MGMT", EnterACL, "MGMT"},
		{Config, "ipv4 access-list MGMT-IN", EnterACL, "MGMT-IN"},
		{Config, "ip access-list ext MGMT", EnterACL, "MGMT"},
		{Config, "ip access-list standard 10", EnterACL, "10"},
		{Config, "ip access-list 101", EnterACL, "101"},
		{Config, "access-list 10 permit 192.168.100.0 0.0.0.255", NumberedRule, "seq 0 permit 192.168.100.0/24"},
		{Config, "access-list 10 deny any log", NumberedRule, "seq 0 deny any log"},
		{Config, "access-list 10 permit 10.1.1.5", NumberedRule, "seq 0 permit host 10.1.1.5"},
		{Config, "access-list 101 permit tcp 10.0.0.0 0.0.0.255 any eq 22 log-input", NumberedRule, "seq 0 permit tcp 10.0.0.0/24 any eq 22 log"},
		{Config, "access-list 1300 remark NOC", NumberedRule, "seq 0 remark NOC"},
		{StdACL, "seq 20 permit 10.20.31.0 0.0.0.255 count", AddRule, "seq 20 permit 10.20.31.0/24"},
		{IPACL, "sequence 10 permit tcp any any eq ssh", AddRule, "seq 10 permit tcp any any eq 22"},
		{IPACL, "20 permit ip any any tracked", AddRule, "seq 20 permit ip any any established"},
		{IPACL, "30 permit udp any any eq bfd ttl eq 255", AddRule, "seq 30 permit udp any any eq 3784 ttl eq 255"},
		{IPACL, "permit ospf any any", AddRule, "seq 0 permit ospf any any"},
		{IPACL, "deny ipv4 any any log", AddRule, "seq 0 deny ip any any log"},
		{IPACL, "permit tcp any any eq snmp", AddRule, "seq 0 permit tcp any any eq 161"},
		{IP6ACL, "permit tcp 2001:db8::/32 any eq 22 sequence 20", AddRule, "seq 20 permit tcp 2001:db8::/32 any eq 22"},
		{IP6ACL, "permit icmpv6 any any", AddRule, "seq 0 permit icmp any any"},
		{Interface, "ipv6 traffic-filter MGMT6 in", BindACL, "MGMT6"},
		{Interface, "ipv4 access-group MGMT-IN ingress", BindACL, "MGMT-IN"},
		{Interface, "description oob", NoMeaning, ""},
		{Config, "interface Management1", EnterInterface, "Management1"},
	} {
		cmd, err := Parse(c.mode, c.line)
		if err != nil {
			t.Errorf("Parse(%d, %q) = %v", c.mode, c.line, err)
			continue
		}
		got := cmd.name()
		if cmd.kind() == AddRule || cmd.kind() == NumberedRule {
			got = cmd.rule().Format(cmd.family())
		}
		if cmd.kind() != c.kind || got != c.want {
			t.Errorf("Parse(%d, %q) = %s %q, want %s %q", c.mode, c.line, cmd.kind(), got, c.kind, c.want)
		}
	}
}
