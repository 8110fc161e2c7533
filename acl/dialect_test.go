package acl

import (
	"net/netip"
	"testing"
)

func TestParseDialect(t *testing.T) {
	for _, d := range []Dialect{SLX, IOS, EOS} {
		if got, ok := ParseDialect(d.String()); !ok || got != d {
			t.Errorf("ParseDialect(%q) = %v, %v, want %v", d.String(), got, ok, d)
		}
	}
	if _, ok := ParseDialect("junos"); ok {
		t.Errorf("ParseDialect(junos) ok, want not")
	}
	if SLX.Line() != "" || EOS.Line() != "cli dialect eos" {
		t.Errorf("Line() = %q, %q, want \"\", \"cli dialect eos\"", SLX.Line(), EOS.Line())
	}
}

// TestFormatIn: one rule in each dialect, as that platform's running-config
// shows it (IOS: wildcard masks and its port names; EOS: the seq bare).
func TestFormatIn(t *testing.T) {
	pfx, _ := ParsePrefix("10.64.0.0/10")
	tcp := Protocol{Num: ProtoTCP, Set: true, Keyword: true}
	udp := Protocol{Num: ProtoUDP, Set: true, Keyword: true}
	eq := func(ports ...uint16) PortMatch { p, _ := PortList(PortEq, ports...); return p }
	r := Rule{Seq: 10, Proto: tcp, Src: pfx, Dst: HostAddr(netip.MustParseAddr("10.24.12.129")), DstPort: eq(22, 80), ConnLimit: 3}
	u := Rule{Seq: 20, Action: Deny, Proto: udp, SrcPort: PortMatch{Op: PortRange, Lo: 123, Hi: 161}, DstPort: eq(514), Log: true}
	v6, _ := ParsePrefix("2001:db8::/32")
	r6 := Rule{Seq: 30, Proto: tcp, Src: v6, DstPort: eq(22)}
	rem := Rule{Seq: 5, Remark: "ops"}
	for _, tc := range []struct {
		r    Rule
		f    Family
		d    Dialect
		want string
	}{
		{r, IPv4, SLX, " seq 10 permit tcp 10.64.0.0/10 host 10.24.12.129 eq 22 80 connlimit 3"},
		{r, IPv4, IOS, " permit tcp 10.64.0.0 0.63.255.255 host 10.24.12.129 eq 22 www connlimit 3"},
		{r, IPv4, EOS, "   10 permit tcp 10.64.0.0/10 host 10.24.12.129 eq 22 80 connlimit 3"},
		{u, IPv4, IOS, " deny udp any range ntp snmp any eq syslog log"},
		{u, IPv4, EOS, "   20 deny udp any range 123 161 any eq 514 log"},
		{r6, IPv6, IOS, " permit tcp 2001:db8::/32 any eq 22 sequence 30"},
		{r6, IPv6, EOS, "   30 permit tcp 2001:db8::/32 any eq 22"},
		{rem, IPv4, IOS, " remark ops"},
		{rem, IPv6, IOS, " sequence 5 remark ops"},
		{rem, IPv4, EOS, "   5 remark ops"},
		{Rule{Standard: true, Src: HostAddr(netip.MustParseAddr("10.1.1.1"))}, IPv4, IOS, " permit 10.1.1.1"},
		{Rule{Standard: true, Src: pfx}, IPv4, IOS, " permit 10.64.0.0 0.63.255.255"},
		{Rule{Seq: 10, Standard: true, Src: HostAddr(netip.MustParseAddr("10.1.1.1"))}, IPv4, EOS, "   10 permit host 10.1.1.1"},
	} {
		if got := tc.r.FormatIn(tc.f, tc.d); got != tc.want {
			t.Errorf("%v.FormatIn(%v, %v) = %q, want %q", tc.r.Body(tc.f), tc.f.Name(), tc.d, got, tc.want)
		}
	}
}

// TestHeader: the line that enters a list, per dialect, family and kind.
func TestHeader(t *testing.T) {
	for _, tc := range []struct {
		d    Dialect
		a    *ACL
		want string
	}{
		{SLX, NewACL("a", IPv4), "ip access-list extended a"}, {SLX, NewACL("a", IPv6), "ipv6 access-list extended a"},
		{IOS, NewACL("a", IPv4), "ip access-list extended a"}, {IOS, NewACL("a", IPv6), "ipv6 access-list a"},
		{EOS, NewACL("a", IPv4), "ip access-list a"}, {EOS, NewACL("a", IPv6), "ipv6 access-list a"},
		{IOS, &ACL{Name: "s", Standard: true}, "ip access-list standard s"}, {EOS, &ACL{Name: "s", Standard: true}, "ip access-list standard s"},
	} {
		if got := tc.d.Header(tc.a); got != tc.want {
			t.Errorf("%v.Header(%s) = %q, want %q", tc.d, tc.a.Header(), got, tc.want)
		}
	}
}

// TestTextKeepsRender: the dialect changes what show running-config writes,
// never the canonical text saved (which has the dialect's line).
func TestTextKeepsRender(t *testing.T) {
	c := NewConfig()
	a, _ := c.Ensure("m", IPv4)
	a.Add(Rule{Seq: 7})
	slx := c.Render()
	if c.Text() != slx {
		t.Fatalf("Text() = %q, want Render() %q", c.Text(), slx)
	}
	c.SetDialect(IOS)
	if got, want := c.Render(), "!\ncli dialect ios\n!\nip access-list extended m\n seq 7 permit ip any any\n!\n"; got != want {
		t.Errorf("Render() = %q, want %q", got, want)
	}
	if got, want := c.Text(), "!\ncli dialect ios\n!\nip access-list extended m\n permit ip any any\n!\n"; got != want {
		t.Errorf("Text() = %q, want %q", got, want)
	}
	d := c.Clone()
	if !d.Equal(c) || d.Dialect != IOS {
		t.Errorf("Clone() = dialect %v, want ios and Equal", d.Dialect)
	}
	d.SetDialect(EOS)
	if d.Equal(c) {
		t.Errorf("Equal() = true for configs of two dialects")
	}
}

// TestShowIOS: a standard list's entries as IOS's show access-lists writes
// them; an extended entry as its running-config does.
func TestShowIOS(t *testing.T) {
	pfx, _ := ParsePrefix("10.0.0.0/8")
	wild, _ := ParseWildcard("10.0.0.1", "0.255.0.254")
	for _, tc := range []struct {
		r    Rule
		want string
	}{
		{Rule{Standard: true, Src: pfx}, "permit 10.0.0.0, wildcard bits 0.255.255.255"},
		{Rule{Standard: true, Src: wild}, "permit 10.0.0.1, wildcard bits 0.255.0.254"},
		{Rule{Standard: true, Action: Deny, Src: HostAddr(netip.MustParseAddr("10.1.1.1")), Log: true}, "deny 10.1.1.1 log"},
		{Rule{Standard: true}, "permit any"},
		{Rule{Src: pfx}, "permit ip 10.0.0.0 0.255.255.255 any"},
	} {
		if got := tc.r.ShowIOS(IPv4); got != tc.want {
			t.Errorf("%s.ShowIOS() = %q, want %q", tc.r.Body(IPv4), got, tc.want)
		}
	}
}
