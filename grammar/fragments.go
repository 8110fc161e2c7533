package grammar

import (
	"fmt"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"

	"github.com/aclsh/aclsh/acl"
)

// Syntax fragments that many definitions share (the output modifiers, a rule,
// an address, a sequence number) and the readers of what they capture. The
// definitions themselves are package cli's, each beside the value it builds.

// ConfigModes are the configuration modes (outside a session).
var ConfigModes = []Mode{Config, IPACL, IP6ACL, StdACL, Interface, LineVTY, MgmtSSH, CtrlPlane}

// SessionModes are the configuration modes inside a session.
var SessionModes = []Mode{Config | InSession, IPACL | InSession, IP6ACL | InSession, StdACL | InSession, Interface | InSession}

// SeqRange is the syntax of a sequence number: 1-2147483647, as on IOS.
var SeqRange = "<1-" + strconv.Itoa(int(acl.MaxSeq)) + ">"

// pipeSyntax is the output modifiers every show command takes: any chain of
// include, exclude, begin, section and count, applied in order, or json alone.
const pipeSyntax = " [{PIPE ((include|exclude|begin|section)$pipeop REGEX$re | count$pipeop)}* | PIPE json$pipeop]"

var pipeHelp = []string{PipeStr, "Show only lines that match", "Show only lines that do not match", "Begin with the first line that matches",
	"Show the lines that match and the lines indented under them", "Regular expression (a ` |` starts the next modifier)", "Count the lines",
	PipeStr, "The same data as JSON (must be the only modifier)"}

// ShowSyntax is the syntax and help of a show command: syntax followed by the
// output modifiers (Command.Pipe).
func ShowSyntax(syntax string, help ...string) (string, []string) {
	return syntax + pipeSyntax, append(help, pipeHelp...)
}

// addrSyntax is SRC or DST for a family, captured under prefix p.
func addrSyntax(f acl.Family, p string) (string, []string) {
	a, pfx := "A.B.C.D", "A.B.C.D/LEN"
	if f == acl.IPv6 {
		a, pfx = "X:X::X:X", "X:X::X:X/LEN"
	}
	if f == acl.IPv6 {
		return "(any$" + p + "any | host " + a + "$" + p + "host | " + pfx + "$" + p + "pfx)",
			[]string{AnyAddrStr, HostStr, HostAddrStr, PrefixStr}
	}
	return "(any$" + p + "any | host " + a + "$" + p + "host | " + pfx + "$" + p + "pfx | " + a + "$" + p + "addr " + a + "$" + p + "wild)",
		[]string{AnyAddrStr, HostStr, HostAddrStr, PrefixStr, "Address", "Wildcard mask (bits set: any value)"}
}

// portSyntax is an optional port match of a tcp or udp rule (proto "tcp" or
// "udp": the names it takes), captured under prefix p: eq and neq take up to
// acl.MaxPorts ports.
func portSyntax(p, proto string) (string, []string) {
	v := strings.ToUpper(proto) + "-PORT$" + p + "lo"
	names := "Port number or name (" + map[string]string{"tcp": "ssh, www, https, bgp", "udp": "domain, ntp, snmp, syslog"}[proto] + ", ...)"
	more := "Another port (up to " + strconv.Itoa(acl.MaxPorts) + ")"
	return "[(eq|neq)$" + p + "op " + v + " {MORE-" + v + "} | (lt|gt)$" + p + "op " + v + " | range$" + p + "op " + v + " " + strings.ToUpper(proto) + "-PORT$" + p + "hi]",
		[]string{"Match only packets on these ports (up to " + strconv.Itoa(acl.MaxPorts) + ")", "Match only packets not on these ports (up to " + strconv.Itoa(acl.MaxPorts) + ")", names, more,
			"Port less than", "Port greater than", names, "Ports in a range", "First port", "Last port"}
}

// ICMPSyntax is an optional ICMP type of an icmp rule in family f: a name, or a
// type number and an optional code.
func ICMPSyntax(f acl.Family) (string, []string) {
	var words []string
	h := []string{"ICMP message type", "ICMP message code"}
	for _, n := range acl.ICMPNames(f) {
		words = append(words, n.Name)
		h = append(h, n.Help)
	}
	return "[<0-255>$itype [<0-255>$icode] | (" + strings.Join(words, "|") + ")$iname]", h
}

// fragmentsNote is what a line with fragments is told.
const fragmentsNote = "fragments matches non-initial fragments, and none reach the list on this host: the kernel reassembles fragments first (conntrack), so the line is kept and matches nothing"

// establishedHelp says what aclsh's established is, which is not IOS's.
const (
	establishedHelp = "Replies to connections this host opened (stateful; IOS matches any ACK or RST)"
	trackedHelp     = "Packets of existing connections (EOS; stored as established)"
)

// RuleSyntax is the rule body for a family: PROTO SRC [PORTS] DST [PORTS] FLAGS,
// with per-protocol port names for tcp and udp and ICMP types for icmp.
func RuleSyntax(f acl.Family) (string, []string) {
	src, srch := addrSyntax(f, "s")
	dst, dsth := addrSyntax(f, "d")
	// established and connlimit are one choice: the model refuses a line with
	// both, so `?` offers neither once the other is there.
	flags := "{((established|tracked$established) | connlimit <1-65535>$limit {mask /LEN$masklen | sources <1-" + strconv.Itoa(acl.MaxConnSources) + ">$nsources | fail-closed}) | count | (log|log-input$log)" +
		" | ttl (eq|neq|lt|gt)$ttlop <0-255>$ttlv | fragments}"
	bits := strconv.Itoa(f.Bits())
	flagh := []string{establishedHelp, trackedHelp, "Limit concurrent connections per source address", "Maximum connections per source",
		"Count connections per source prefix instead of per address", "Prefix length, /0-/" + bits + " (default /" + bits + ": per address)",
		"Most sources (prefixes) the limit tracks at once", "Number of sources (default " + strconv.Itoa(acl.DefaultConnSources) + ")",
		"When the source set is full, refuse sources not in it (default: the limit lets them past)",
		"Count matches (always on)", "Log matches", "Log matches (as log)",
		map[acl.Family]string{acl.IPv4: "Match the packet's TTL", acl.IPv6: "Match the packet's hop limit (as EOS, ttl)"}[f],
		"Equal to", "Not equal to", "Less than", "Greater than", "TTL value",
		"Non-initial fragments (this host reassembles them before its lists: matches nothing)"}
	anyProto, anyh, icmp, icmph := "ip|ipv4", []string{"Any IPv4 protocol", "Any IPv4 protocol (as ip)"}, "icmp", []string{ICMPStr}
	if f == acl.IPv6 {
		anyProto, anyh, icmp, icmph = "ipv6", []string{"Any IPv6 protocol"}, "(icmp|icmpv6)", []string{ICMP6Str, ICMP6Str}
	}
	for _, n := range acl.ProtoNames(f) {
		anyProto += "|" + n.Name
		anyh = append(anyh, n.Help+" ("+strconv.Itoa(int(n.Num))+")")
	}
	ic, ich := ICMPSyntax(f)
	syn := "(permit|deny)$action ("
	h := []string{"Specify packets to forward", "Specify packets to reject"}
	for _, proto := range []string{"tcp", "udp"} {
		sp, sph := portSyntax("sp", proto)
		dp, dph := portSyntax("dp", proto)
		syn += proto + "$proto " + src + " " + sp + " " + dst + " " + dp + " " + flags + " | "
		h = append(h, map[string]string{"tcp": TCPStr, "udp": UDPStr}[proto])
		h = append(h, srch...)
		h = append(h, sph...)
		h = append(h, dsth...)
		h = append(h, dph...)
		h = append(h, flagh...)
	}
	syn += icmp + "$proto " + src + " " + dst + " " + ic + " " + flags +
		" | (" + anyProto + "|<0-255>)$proto " + src + " " + dst + " " + flags + ")"
	h = append(h, icmph...)
	h = append(h, srch...)
	h = append(h, dsth...)
	h = append(h, ich...)
	h = append(h, flagh...)
	h = append(h, anyh...)
	h = append(h, ProtoNumStr)
	h = append(h, srch...)
	h = append(h, dsth...)
	h = append(h, flagh...)
	return syn, h
}

// Family returns the family a line names (ip, ipv4, ipv6: captured as fam)
// and whether it names one; IPv4 when it names none.
func (m *Match) Family() (acl.Family, bool) {
	switch m.Get("fam") {
	case "ip", "ipv4":
		return acl.IPv4, true
	case "ipv6":
		return acl.IPv6, true
	}
	return acl.IPv4, false
}

// readPipe reads the output modifiers into Command.Pipe; a bad regular
// expression is an error at it.
func (m *Match) readPipe() error {
	m.cmd.Pipe = nil
	for _, c := range m.caps {
		switch c.tok.name {
		case "pipeop":
			m.cmd.Pipe = append(m.cmd.Pipe, Filter{Op: c.val})
		case "re":
			t := m.toks[c.idx]
			if _, err := regexp.Compile(c.val); err != nil {
				msg := err.Error()
				if re, ok := err.(*syntax.Error); ok {
					msg = string(re.Code)
				}
				return &ParseError{Kind: Invalid, Line: m.line, Off: t.Off, End: t.Off + len(c.val), Msg: "bad regular expression: " + msg}
			}
			f := &m.cmd.Pipe[len(m.cmd.Pipe)-1]
			f.RE, f.Off = c.val, t.Off
		}
	}
	return nil
}

// Do parses the exec line of `do LINE$cmd`: what do runs; an error's
// offsets are in the whole line.
func (m *Match) Do() (Command, error) {
	c, _ := m.nth("cmd", 0)
	off := m.toks[c.idx].Off
	sub, err := parseIn(doRoot, Exec, c.val, Tokenize(c.val))
	if err != nil {
		if pe, ok := err.(*ParseError); ok {
			if _, xerr := Parse(Exec, c.val); xerr == nil {
				// An exec command do does not run (configure, exit).
				pe = &ParseError{Kind: Invalid, Line: c.val, Off: 0, End: len(c.val), Msg: "not available with do"}
				err = pe
			}
			pe.Line, pe.Off, pe.End = m.line, pe.Off+off, pe.End+off
		}
		return Command{}, err
	}
	return sub, nil
}

// StdSyntax is the body of a standard list's line: the source only.
func StdSyntax() (string, []string) {
	return "(permit|deny)$action (any$sany | host A.B.C.D$shost | A.B.C.D$saddr [A.B.C.D$swild] | A.B.C.D/LEN$spfx) {(log|log-input$log) | count}",
		[]string{"Specify packets to forward", "Specify packets to reject", AnyAddrStr, HostStr, HostAddrStr,
			"Source address (a host without a wildcard)", "Wildcard mask (bits set: any value)", PrefixStr, "Log matches", "Log matches (as log)", "Count matches (always on)"}
}

// StdRule reads a standard list's line (StdSyntax), with its seq ($seqn).
func (m *Match) StdRule() (acl.Rule, error) {
	r := acl.Rule{Seq: seqOf(m), Standard: true}
	if m.Get("action") == "deny" {
		r.Action = acl.Deny
	}
	var err error
	if r.Src, err = addrOf(m, acl.IPv4, "s"); err != nil {
		return r, err
	}
	for _, flag := range []string{"count", "log"} {
		if c, twice := m.nth(flag, 1); twice {
			return r, m.errAtIdx(c.idx, "%s given twice", flag)
		}
	}
	r.Log = m.Has("log")
	return r, nil
}

// dialectHint says why word is not a dialect, and which to type when it names
// a vendor or platform whose form aclsh writes.
func dialectHint(word string) string {
	msg := word + " is not a dialect aclsh writes (slx, ios or eos)"
	for _, v := range []struct{ names, form, d string }{
		{"cisco ios-xe iosxe nx-os nxos", "Cisco IOS", "ios"}, {"arista", "Arista EOS", "eos"}, {"brocade extreme slx-os slxos", "SLX-OS", "slx"},
	} {
		if slices.Contains(strings.Fields(v.names), strings.ToLower(word)) {
			return msg + "; for the " + v.form + " form type cli dialect " + v.d
		}
	}
	return msg
}

func seqOf(m *Match) acl.Seq {
	v := m.Get("seqn")
	if v == "" {
		return 0
	}
	n, _ := strconv.Atoi(v)
	return acl.Seq(n)
}

// Remark reads a remark line (remark LINE$text), with its seq ($seqn).
func (m *Match) Remark() (acl.Rule, error) {
	r := acl.Rule{Seq: seqOf(m), Remark: m.Get("text")}
	if len(r.Remark) > 255 {
		return r, m.ErrAt("text", "remark longer than 255 characters")
	}
	return r, nil
}

// Rule reads a rule line (RuleSyntax of the mode's family), with its seq
// ($seqn): the line as the canonical fast path read it, or from its
// captures.
func (m *Match) Rule() (acl.Rule, error) {
	if m.rule != nil {
		if m.rule.Fragments {
			m.Note(fragmentsNote)
		}
		return *m.rule, nil
	}
	f := m.mode.Family()
	r := acl.Rule{Seq: seqOf(m)}
	if m.Get("action") == "deny" {
		r.Action = acl.Deny
	}
	proto := m.Get("proto")
	if p, ok := acl.ProtoKeyword(proto, f); ok {
		r.Proto = p
	} else {
		n, _ := strconv.Atoi(proto)
		r.Proto = acl.ProtoNum(uint8(n))
	}
	var err error
	if r.Src, err = addrOf(m, f, "s"); err != nil {
		return r, err
	}
	if r.Dst, err = addrOf(m, f, "d"); err != nil {
		return r, err
	}
	if r.SrcPort, err = portsOf(m, "sp", r.Proto.Num); err != nil {
		return r, err
	}
	if r.DstPort, err = portsOf(m, "dp", r.Proto.Num); err != nil {
		return r, err
	}
	if r.ICMP, err = m.ICMP(f); err != nil {
		return r, err
	}
	for _, flag := range []string{"established", "connlimit", "mask", "sources", "fail-closed", "count", "log", "ttl", "fragments"} {
		if c, twice := m.nth(flag, 1); twice {
			return r, m.errAtIdx(c.idx, "%s given twice", flag)
		}
	}
	r.Established = m.Has("established")
	if m.Get("established") == "tracked" {
		m.Note("tracked (EOS: packets of connections already tracked) is stored as established: replies to connections this host opened; " +
			"packets of connections others opened to this host match the line that admitted them")
	}
	r.ConnFailClosed = m.Has("fail-closed")
	if m.Has("ttlop") {
		op, _ := acl.ParsePortOp(m.Get("ttlop"))
		v, _ := strconv.Atoi(m.Get("ttlv"))
		r.TTL = acl.TTLMatch{Op: op, Val: uint8(v)}
		if err := r.TTL.Validate(); err != nil {
			return r, m.ErrAt("ttlv", "%v", err)
		}
	}
	if r.Fragments = m.Has("fragments"); r.Fragments {
		m.Note(fragmentsNote)
	}
	r.Log = m.Has("log")
	if v := m.Get("limit"); v != "" {
		n, _ := strconv.Atoi(v)
		r.ConnLimit = acl.ConnLimit(n)
	}
	if m.Has("masklen") {
		v := strings.TrimPrefix(m.Get("masklen"), "/")
		n, err := strconv.Atoi(v)
		if err == nil {
			r.ConnMask, err = acl.MaskLen(f, n)
		}
		if err != nil {
			return r, m.ErrAt("masklen", "mask /%s is out of range for %s (/0-/%d)", v, f.Name(), f.Bits())
		}
	}
	if v := m.Get("nsources"); v != "" {
		n, _ := strconv.Atoi(v)
		if n != acl.DefaultConnSources {
			r.ConnSources = uint32(n)
		}
	}
	return r, nil
}

func (m *Match) errAtIdx(idx int, format string, args ...any) error {
	t := m.toks[idx]
	pe := m.ErrAt("", format, args...).(*ParseError)
	pe.Off, pe.End = t.Off, t.Off+len(t.Text)
	return pe
}

func addrOf(m *Match, f acl.Family, p string) (acl.Address, error) {
	parseAddr := func(name string) (netip.Addr, error) {
		s := m.Get(name)
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return a, m.ErrAt(name, "%s is not a valid %s address", s, f.Name())
		}
		if (f == acl.IPv4) != a.Is4() {
			return a, m.ErrAt(name, "%s is not an %s address; this is an %s access list", s, f.Name(), f.Name())
		}
		return a, nil
	}
	switch {
	case m.Has(p + "host"):
		a, err := parseAddr(p + "host")
		return acl.HostAddr(a), err
	case m.Has(p + "pfx"):
		s := m.Get(p + "pfx")
		as, _, _ := strings.Cut(s, "/")
		if as != "" {
			if _, e2 := netip.ParseAddr(as); e2 != nil || (f == acl.IPv4) != strings.Contains(as, ".") {
				return acl.Address{}, m.ErrAt(p+"pfx", "%s is not a valid %s prefix", s, f.Name())
			}
		}
		a, err := acl.ParsePrefix(s)
		if err != nil {
			return a, m.ErrAt(p+"pfx", "%v", err)
		}
		if af, ok := a.Family(); ok && af != f {
			return a, m.ErrAt(p+"pfx", "%s is not an %s prefix; this is an %s access list", s, f.Name(), f.Name())
		}
		return a, nil
	case m.Has(p + "addr"):
		host, err := parseAddr(p + "addr")
		if err != nil {
			return acl.Address{}, err
		}
		if !m.Has(p + "wild") {
			return acl.HostAddr(host), nil // a standard list's bare address
		}
		a, masked, err := acl.ParseWildcardMasked(m.Get(p+"addr"), m.Get(p+"wild"))
		if err != nil {
			return a, m.ErrAt(p+"wild", "%v", err)
		}
		if masked {
			m.Note("%s %s has bits set under the wildcard; they match any value, so it is stored as %s (as IOS does)", m.Get(p+"addr"), m.Get(p+"wild"), a)
		}
		return a, nil
	}
	return acl.AnyAddr, nil
}

// portsOf reads the port match captured under prefix p of a rule of protocol
// proto: names are that protocol's; eq and neq take up to acl.MaxPorts ports,
// each different (the match is canonical: ascending).
func portsOf(m *Match, p string, proto uint8) (acl.PortMatch, error) {
	if !m.Has(p + "op") {
		return acl.PortMatch{}, nil
	}
	op, _ := acl.ParsePortOp(m.Get(p + "op"))
	var ports []uint16
	for i := 0; ; i++ {
		c, ok := m.nth(p+"lo", i)
		if !ok {
			break
		}
		if i == acl.MaxPorts {
			return acl.PortMatch{}, m.errAtIdx(c.idx, "%s takes at most %d ports", op, acl.MaxPorts)
		}
		n, err := acl.ParsePort(c.val, proto)
		if err != nil {
			return acl.PortMatch{}, m.errAtIdx(c.idx, "%v", err)
		}
		if slices.Contains(ports, n) {
			return acl.PortMatch{}, m.errAtIdx(c.idx, "port %d is listed twice", n)
		}
		ports = append(ports, n)
	}
	pm, err := acl.PortList(op, ports...)
	if err != nil {
		return pm, m.ErrAt(p+"lo", "%v", err)
	}
	if op == acl.PortRange {
		if pm.Hi, err = acl.ParsePort(m.Get(p+"hi"), proto); err != nil {
			return pm, m.ErrAt(p+"hi", "%v", err)
		}
	}
	if err := pm.Validate(); err != nil {
		return pm, m.ErrAt(p+"lo", "%v", err)
	}
	return pm, nil
}

// ICMP reads the ICMP type of an icmp line of family f (ICMPSyntax): a name
// or numbers.
func (m *Match) ICMP(f acl.Family) (acl.ICMPMatch, error) {
	if m.Has("iname") {
		im, _ := acl.ParseICMPName(f, m.Get("iname"))
		return im, nil
	}
	if !m.Has("itype") {
		return acl.ICMPMatch{}, nil
	}
	t, _ := strconv.Atoi(m.Get("itype"))
	im := acl.ICMPMatch{Type: uint8(t), Set: true}
	if m.Has("icode") {
		c, _ := strconv.Atoi(m.Get("icode"))
		im.Code, im.CodeSet = uint8(c), true
	}
	return im, nil
}

// ValidSessionName checks a configuration session name.
func ValidSessionName(name string) error {
	if !acl.IsName(name) { // it names a file in the state directory
		return fmt.Errorf("session name %q: use 1-63 letters, digits, '_', '.' or '-', starting with a letter", name)
	}
	return nil
}
