package grammar

import (
	"net/netip"
	"strconv"

	"github.com/aclsh/aclsh/acl"
)

// Packet trace and lint (issue 11): `test access-list` and `show access-lists
// lint`, in exec mode (and with do from every config mode).

func init() { lazy = append(lazy, initLintdefs) }

// initLintdefs makes this file's definitions, when they are first needed (ready).
func initLintdefs() {
	var defs []*Def
	add := func(modes []Mode, syntax string, help []string, build func(*match) error) {
		defs = append(defs, newDef(1, modes, syntax, help, build))
	}
	exec := []Mode{Exec}

	addr := func(p string) string { return "(A.B.C.D | X:X::X:X)$" + p }
	src, dst := []string{"Source address (IPv4)", "Source address (IPv6)"}, []string{"Destination address (IPv4)", "Destination address (IPv6)"}
	h := []string{"Test what an access list does", "Trace a packet through an access list",
		"Access list name (default: the list bound for the packet's family)", TCPStr, UDPStr}
	h = append(h, src...)
	h = append(h, "Source port: number or name")
	h = append(h, dst...)
	h = append(h, "Destination port: number or name", ICMPStr)
	// icmp: the message's type (and code) by the names of the source's family
	ic4, ich4 := icmpSyntax(acl.IPv4)
	ic6, ich6 := icmpSyntax(acl.IPv6)
	h = append(h, src[0])
	h = append(h, dst...)
	h = append(h, ich4...)
	h = append(h, src[1])
	h = append(h, dst...)
	h = append(h, ich6...)
	h = append(h, ProtoNumStr)
	h = append(h, src...)
	h = append(h, dst...)
	h = append(h, "The packet's TTL (IPv6: hop limit)", "TTL (default "+strconv.Itoa(acl.DefaultTTL)+")")
	h = append(h, "The first packet of a new connection (default)", "A packet of a connection this host initiated (a reply)")
	s, h := show("test access-list [WORD$name] ((tcp|udp)$proto "+addr("src")+" [PORT$sport] "+addr("dst")+" [PORT$dport]"+
		" | icmp$proto (A.B.C.D$src "+addr("dst")+" "+ic4+" | X:X::X:X$src "+addr("dst")+" "+ic6+")"+
		" | <0-255>$proto "+addr("src")+" "+addr("dst")+") [ttl <0-255>$ttlval] [new$state|established$state]", h...)
	add(exec, s, h, buildTest)

	s, h = show("show [ip$fam|ipv6$fam] access-lists [WORD$name] lint [detail$detail]", ShowStr, IPInfoStr, IPv6InfoStr,
		ACLsStr, ACLNameStr, "Check the lists for mistakes: unreachable lines, limits that never apply, lockout",
		"Also every line: a packet it decides, or the lines that decide all it matches")
	add(exec, s, h, func(m *match) error {
		if err := buildShow(LintACLs)(m); err != nil {
			return err
		}
		if m.has("detail") {
			m.cmd.Num = 1
		}
		return nil
	})

	register(defs)
}

// buildTest builds the packet of `test access-list`: both addresses of one
// family, ports for tcp and udp, the type and code of an ICMP message.
func buildTest(m *match) error {
	if err := buildShow(TestACL)(m); err != nil {
		return err
	}
	parse := func(name string) (netip.Addr, error) {
		a, err := netip.ParseAddr(m.get(name))
		if err != nil || a.Zone() != "" {
			return a, m.errAt(name, "%s is not a valid address", m.get(name))
		}
		return a, nil
	}
	src, err := parse("src")
	if err != nil {
		return err
	}
	dst, err := parse("dst")
	if err != nil {
		return err
	}
	f := acl.IPv4
	if src.Is6() {
		f = acl.IPv6
	}
	if dst.Is4() != src.Is4() {
		return m.errAt("dst", "%s is not an %s address like the source %s", dst, f.Name(), src)
	}
	p := acl.Packet{Src: src, Dst: dst, Reply: m.get("state") == "established"}
	if v := m.get("ttlval"); v != "" {
		n, _ := strconv.Atoi(v)
		p.TTL = uint8(n)
		if n == 0 {
			return m.errAt("ttlval", "ttl 0: a packet with TTL 0 never reaches this host; give 1-255")
		}
	}
	switch proto := m.get("proto"); proto {
	case "tcp", "udp":
		pr, _ := acl.ProtoKeyword(proto, f)
		p.Proto = pr.Num
	case "icmp":
		pr, _ := acl.ProtoKeyword(proto, f)
		p.Proto = pr.Num
	default:
		n, _ := strconv.Atoi(proto)
		p.Proto = uint8(n)
	}
	if icmp, _ := acl.ProtoKeyword("icmp", f); p.Proto == icmp.Num {
		// the message: as a rule names it (a type alone is code 0), an echo
		// request (ping) when not given (or the protocol given by number)
		im, _ := icmpOf(m, f)
		if !im.Set {
			im, _ = acl.ParseICMPName(f, map[acl.Family]string{acl.IPv4: "echo", acl.IPv6: "echo-request"}[f])
		}
		p.ICMPType, p.ICMPCode = im.Type, im.Code
	}
	for _, x := range []struct {
		name string
		to   *uint16
	}{{"sport", &p.SrcPort}, {"dport", &p.DstPort}} {
		if !m.has(x.name) {
			continue
		}
		v, err := acl.ParsePort(m.get(x.name), p.Proto)
		if err != nil {
			return m.errAt(x.name, "%v", err)
		}
		*x.to = v
	}
	m.cmd.Family, m.cmd.Packet = f, p
	return nil
}
