package cli

import (
	"net/netip"
	"strconv"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/grammar"
)

// Packet trace and lint (issue 11): `test access-list` and `show access-lists
// lint`, in exec mode (and with do from every config mode).

// TestACL is test access-list [NAME] PROTO SRC [PORT] DST [PORT] [new|established]:
// Packet traced through list Name ("": the one bound for its Family).
type TestACL struct {
	Name   string
	Family acl.Family
	Packet acl.Packet
	Pipe   grammar.Pipe
}

func (TestACL) command()             {}
func (c TestACL) Run(sh Shell) error { return sh.TestACL(c) }

// Lint is show [ip|ipv6] access-lists [NAME] lint [detail].
type Lint struct {
	Select
	Detail bool
	Pipe   grammar.Pipe
}

func (Lint) command()             {}
func (c Lint) Run(sh Shell) error { return sh.Lint(c) }

func lintDefs(d *grammar.Defs) {
	exec := []grammar.Mode{grammar.Exec}

	addr := func(p string) string { return "(A.B.C.D | X:X::X:X)$" + p }
	src, dst := []string{"Source address (IPv4)", "Source address (IPv6)"}, []string{"Destination address (IPv4)", "Destination address (IPv6)"}
	h := []string{"Test what an access list does", "Trace a packet through an access list",
		"Access list name (default: the list bound for the packet's family)", grammar.TCPStr, grammar.UDPStr}
	h = append(h, src...)
	h = append(h, "Source port: number or name")
	h = append(h, dst...)
	h = append(h, "Destination port: number or name", grammar.ICMPStr)
	// icmp: the message's type (and code) by the names of the source's family
	ic4, ich4 := grammar.ICMPSyntax(acl.IPv4)
	ic6, ich6 := grammar.ICMPSyntax(acl.IPv6)
	h = append(h, src[0])
	h = append(h, dst...)
	h = append(h, ich4...)
	h = append(h, src[1])
	h = append(h, dst...)
	h = append(h, ich6...)
	h = append(h, grammar.ProtoNumStr)
	h = append(h, src...)
	h = append(h, dst...)
	h = append(h, "The packet's TTL (IPv6: hop limit)", "TTL (default "+strconv.Itoa(acl.DefaultTTL)+")")
	h = append(h, "The first packet of a new connection (default)", "A packet of a connection this host initiated (a reply)")
	d.Show(exec, "test access-list [WORD$name] ((tcp|udp)$proto "+addr("src")+" [PORT$sport] "+addr("dst")+" [PORT$dport]"+
		" | icmp$proto (A.B.C.D$src "+addr("dst")+" "+ic4+" | X:X::X:X$src "+addr("dst")+" "+ic6+")"+
		" | <0-255>$proto "+addr("src")+" "+addr("dst")+") [ttl <0-255>$ttlval] [new$state|established$state]", h, buildTest)

	d.Show(exec, "show [ip$fam|ipv6$fam] access-lists [WORD$name] lint [detail$detail]", []string{grammar.ShowStr, grammar.IPInfoStr, grammar.IPv6InfoStr,
		grammar.ACLsStr, grammar.ACLNameStr, "Check the lists for mistakes: unreachable lines, limits that never apply, lockout",
		"Also every line: a packet it decides, or the lines that decide all it matches"},
		func(m *grammar.Match) (any, error) {
			return Lint{Select: selectOf(m), Detail: m.Has("detail"), Pipe: m.Pipe()}, nil
		})
}

// buildTest builds the packet of `test access-list`: both addresses of one
// family, ports for tcp and udp, the type and code of an ICMP message.
func buildTest(m *grammar.Match) (any, error) {
	parse := func(name string) (netip.Addr, error) {
		a, err := netip.ParseAddr(m.Get(name))
		if err != nil || a.Zone() != "" {
			return a, m.ErrAt(name, "%s is not a valid address", m.Get(name))
		}
		return a, nil
	}
	src, err := parse("src")
	if err != nil {
		return nil, err
	}
	dst, err := parse("dst")
	if err != nil {
		return nil, err
	}
	f := acl.IPv4
	if src.Is6() {
		f = acl.IPv6
	}
	if dst.Is4() != src.Is4() {
		return nil, m.ErrAt("dst", "%s is not an %s address like the source %s", dst, f.Name(), src)
	}
	p := acl.Packet{Src: src, Dst: dst, Reply: m.Get("state") == "established"}
	if v := m.Get("ttlval"); v != "" {
		n, _ := strconv.Atoi(v)
		p.TTL = uint8(n)
		if n == 0 {
			return nil, m.ErrAt("ttlval", "ttl 0: a packet with TTL 0 never reaches this host; give 1-255")
		}
	}
	switch proto := m.Get("proto"); proto {
	case "tcp", "udp", "icmp":
		pr, _ := acl.ProtoKeyword(proto, f)
		p.Proto = pr.Num
	default:
		n, _ := strconv.Atoi(proto)
		p.Proto = uint8(n)
	}
	if icmp, _ := acl.ProtoKeyword("icmp", f); p.Proto == icmp.Num {
		// the message: as a rule names it (a type alone is code 0), an echo
		// request (ping) when not given (or the protocol given by number)
		im, _ := m.ICMP(f)
		if !im.Set {
			im, _ = acl.ParseICMPName(f, map[acl.Family]string{acl.IPv4: "echo", acl.IPv6: "echo-request"}[f])
		}
		p.ICMPType, p.ICMPCode = im.Type, im.Code
	}
	for _, x := range []struct {
		name string
		to   *uint16
	}{{"sport", &p.SrcPort}, {"dport", &p.DstPort}} {
		if !m.Has(x.name) {
			continue
		}
		v, err := acl.ParsePort(m.Get(x.name), p.Proto)
		if err != nil {
			return nil, m.ErrAt(x.name, "%v", err)
		}
		*x.to = v
	}
	return TestACL{Name: m.Get("name"), Family: f, Packet: p, Pipe: m.Pipe()}, nil
}
