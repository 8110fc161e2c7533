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
