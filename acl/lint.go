package acl

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Severity says how much a lint finding matters. The zero value is SevInfo.
type Severity uint8

const (
	SevInfo    Severity = iota // worth knowing; the list works as written
	SevWarning                 // probably not what was meant
	SevError                   // the list does not do what it says, or locks the operator out
)

var severityNames = [...]string{"info", "warning", "error"}

func (s Severity) String() string { return severityNames[s] }

// MarshalText renders the severity as its name: "info", "warning" or "error".
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Finding kinds, in JSON and in tests.
const (
	KindUnreachable    = "unreachable"            // warning: earlier lines decide every packet the line matches
	KindNeverLimits    = "connlimit_never_limits" // error: a connlimit line that earlier lines, a permit among them, always pre-empt
	KindLimitBypassed  = "connlimit_bypassed"     // warning: an earlier permit without a limit decides part of a connlimit line's traffic
	KindDenyLimitAlone = "deny_connlimit_alone"   // error: a deny connlimit line whose traffic no later line permits
	KindPartialOverlap = "partial_overlap"        // warning: an earlier line of the other action decides part of the line's traffic
	KindPermitsNothing = "permits_nothing"        // error: no new connection is permitted
	KindNoSSH          = "no_ssh"                 // error: no new SSH connection to the management address is permitted
	KindNDDenied       = "nd_denied"              // warning: a deny line drops IPv6 neighbour discovery before its implicit permit
	KindNDImplicit     = "nd_implicit"            // info: neighbour discovery is permitted only implicitly
	KindTooComplex     = "too_complex"            // info: a question took more than the limit; not answered
	KindIPv4Mapped     = "ipv4_mapped"            // warning: an IPv6 line names IPv4-mapped addresses, which no packet carries
	KindFragments      = "fragments"              // info: a fragments line, which matches nothing on this host
)

// Example is a packet shown to the operator: one a line decides, or one a finding
// is about. String gives it as `test access-list` takes it.
type Example struct {
	Family Family
	Packet Packet
}

// String returns the packet as the arguments of `test access-list` after the list
// name: `tcp 10.24.12.107 40000 10.24.12.129 22`, `icmp 10.0.0.1 10.0.0.2 echo`
// (an ICMP message by its name, else `TYPE CODE`), with `established` for a
// reply.
func (e Example) String() string {
	p := e.Packet
	var b strings.Builder
	b.WriteString(protoWord(p.Proto, e.Family))
	b.WriteString(" " + p.Src.String())
	ports := p.Proto == ProtoTCP || p.Proto == ProtoUDP
	if ports {
		b.WriteString(" " + strconv.Itoa(int(p.SrcPort)))
	}
	b.WriteString(" " + p.Dst.String())
	if ports {
		b.WriteString(" " + strconv.Itoa(int(p.DstPort)))
	}
	if e.icmp() {
		if n := icmpMessageName(e.Family, p.ICMPType, p.ICMPCode); n != "" {
			b.WriteString(" " + n)
		} else {
			b.WriteString(" " + strconv.Itoa(int(p.ICMPType)) + " " + strconv.Itoa(int(p.ICMPCode)))
		}
	}
	if p.TTL != 0 && p.TTL != DefaultTTL {
		b.WriteString(" ttl " + strconv.Itoa(int(p.TTL)))
	}
	if p.Reply {
		b.WriteString(" established")
	}
	return b.String()
}

// icmp reports whether the packet is an ICMP message of the family's ICMP
// protocol (it has a type and code).
func (e Example) icmp() bool { return e.Packet.Proto == icmpProto(e.Family) }

// MarshalJSON renders the packet's fields; ports only for tcp and udp, ICMP
// type and code only for ICMP (ICMPv6 in IPv6 lists).
func (e Example) MarshalJSON() ([]byte, error) {
	p := e.Packet
	v := struct {
		Protocol    string     `json:"protocol"`
		Source      netip.Addr `json:"source"`
		SourcePort  *uint16    `json:"source_port,omitempty"`
		Destination netip.Addr `json:"destination"`
		DestPort    *uint16    `json:"destination_port,omitempty"`
		ICMPType    *uint8     `json:"icmp_type,omitempty"`
		ICMPCode    *uint8     `json:"icmp_code,omitempty"`
		TTL         *uint8     `json:"ttl,omitempty"` // when not DefaultTTL
		State       string     `json:"state"`
		Test        string     `json:"test"`
	}{Protocol: protoWord(p.Proto, e.Family), Source: p.Src, Destination: p.Dst, State: "new", Test: e.String()}
	if ttl := p.HopLimit(); ttl != DefaultTTL {
		v.TTL = &ttl
	}
	if p.Proto == ProtoTCP || p.Proto == ProtoUDP {
		v.SourcePort, v.DestPort = &p.SrcPort, &p.DstPort
	}
	if e.icmp() {
		v.ICMPType, v.ICMPCode = &p.ICMPType, &p.ICMPCode
	}
	if p.Reply {
		v.State = "established"
	}
	return json.Marshal(v)
}

// protoWord names a packet's protocol as a rule would: tcp, udp, icmp, or its number.
func protoWord(n uint8, f Family) string {
	switch {
	case n == ProtoTCP:
		return "tcp"
	case n == ProtoUDP:
		return "udp"
	case n == ProtoICMP && f == IPv4, n == ProtoICMPv6 && f == IPv6:
		return "icmp"
	}
	return strconv.Itoa(int(n))
}

// Finding is one thing lint reports about a list: a line (Seq) or the list as a
// whole (Seq 0), the lines involved and a one-line reason.
type Finding struct {
	Severity Severity `json:"severity"`
	Kind     string   `json:"kind"`
	Seq      Seq      `json:"seq,omitempty"`
	Line     string   `json:"line,omitempty"` // the line as the running-config shows it
	Related  []Seq    `json:"related,omitempty"`
	Reason   string   `json:"reason"`
	Example  *Example `json:"example,omitempty"`
}

// Reach is what lint found for one line: whether any packet gets to it and is
// decided by it, with such a packet (Witness), or the earlier lines that decide
// every packet it matches (CoveredBy).
//
// The witness is decided by the line (Evaluate returns it) when every earlier
// connlimit line that matches it falls through (a permit at its limit, a deny
// below it) and the line's own limit takes it (a permit below its limit, a deny
// at it).
type Reach struct {
	Seq       Seq      `json:"seq"`
	Reachable bool     `json:"reachable"`
	Witness   *Example `json:"witness,omitempty"`
	CoveredBy []Seq    `json:"covered_by,omitempty"`
}

// Report is the result of linting one list.
type Report struct {
	List     string    `json:"list"`
	Family   Family    `json:"-"`
	Findings []Finding `json:"findings"`
	Lines    []Reach   `json:"lines"`
}

// MarshalJSON adds the family's name to the fields.
func (r *Report) MarshalJSON() ([]byte, error) {
	type plain Report
	return json.Marshal(struct {
		Family string `json:"family"`
		*plain
	}{r.Family.Name(), (*plain)(r)})
}

// Count returns how many findings have severity s.
func (r *Report) Count(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}

// LintOptions are what lint needs to know of the host.
type LintOptions struct {
	// Mgmt are the host's addresses on the management interface; those of the
	// list's family are where SSH must stay reachable. None of the family: any
	// address.
	Mgmt []netip.Addr
	// SSHPort is sshd's port; 0 means 22.
	SSHPort uint16
	// Limit bounds the work of one question (parts of the header space looked at);
	// 0 means DefaultLintLimit. A question past it is reported (KindTooComplex)
	// instead of answered.
	Limit int
}

// DefaultLintLimit is the work one lint question may take: far more than any
// list of hand-written lines needs.
const DefaultLintLimit = 1 << 20

// ndSpans are the neighbour discovery messages an IPv6 list permits implicitly
// (ImplicitICMPv6, the enforcer's `icmpv6 type 134-136 accept` before the
// implicit deny), as ICMP type<<8|code spans; ndWhat names them for a reason.
func ndSpans() (s spans, what string) {
	var names []string
	nd := ImplicitICMPv6()
	for _, n := range nd {
		t := icmpSpans(n.ICMPMatch)
		if k := len(s); k > 0 && s[k-1].hi+1 == t[0].lo {
			s[k-1].hi = t[0].hi
		} else {
			s = append(s, t...)
		}
		names = append(names, n.Name)
	}
	return s, fmt.Sprintf("ICMPv6 types %d-%d: %s", nd[0].Type, nd[len(nd)-1].Type, strings.Join(names, ", "))
}

// linter holds one list's lines and their cubes while it is linted.
type linter struct {
	a        *ACL
	rules    []Rule // the list's rules, remarks left out
	cubes    []cube
	decisive []bool // the line decides every packet it matches (no limit that lets some through)
	idx      *lineIndex
	s        *solver
	rep      *Report
}

// decides reports whether a line decides every packet it matches: any line but
// a connlimit line, and `deny ... connlimit 1` (the new connection is the first).
func decides(r Rule) bool {
	return r.ConnLimit == 0 || r.Action == Deny && r.ConnLimit == 1
}

// Lint analyses the list over the whole header space (protocol, addresses with
// prefixes and wildcards, ports, established) and returns its findings and, for
// every line, whether it is reachable. It does no I/O; the answers are exact
// (unless a question takes more than o.Limit, which is then a finding).
func (a *ACL) Lint(o LintOptions) *Report {
	l := &linter{a: a, rep: &Report{List: a.Name, Family: a.Family, Findings: []Finding{}, Lines: []Reach{}}}
	for _, r := range a.entries {
		if r.IsRemark() {
			continue
		}
		l.rules = append(l.rules, r)
		l.cubes = append(l.cubes, cubeOf(r))
		l.decisive = append(l.decisive, decides(r))
	}
	limit := o.Limit
	if limit == 0 {
		limit = DefaultLintLimit
	}
	l.idx = newLineIndex(a.Family, l.cubes)
	l.s = &solver{f: a.Family, cubes: l.cubes, limit: limit}
	l.s.port = o.SSHPort
	if l.s.port == 0 {
		l.s.port = 22
	}
	for _, m := range o.Mgmt {
		if m.Is4() == (a.Family == IPv4) {
			l.s.prefer[dDst] = m // witnesses to the management address where they can be
			break
		}
	}
	l.lines()
	l.permits(o)
	if a.Family == IPv6 {
		l.nd()
	}
	return l.rep
}

func (l *linter) seqs(ks []int32) []Seq {
	out := make([]Seq, len(ks))
	for i, k := range ks {
		out[i] = l.rules[k].Seq
	}
	return out
}

// add adds a finding about line i (-1: the list).
func (l *linter) add(i int, f Finding) {
	if i >= 0 {
		f.Seq, f.Line = l.rules[i].Seq, l.rules[i].Format(l.a.Family)
	}
	l.rep.Findings = append(l.rep.Findings, f)
}

func (l *linter) tooComplex(i int, what string) {
	l.add(i, Finding{Severity: SevInfo, Kind: KindTooComplex,
		Reason: "not analysed: " + what + " takes more than the lint limit"})
}

// decidedBy answers whether packets of c reach line j and are decided there:
// whether the decisive lines before j, among ks (the lines meeting c, in order),
// leave some packet of c ∩ cube j. It returns such a packet.
func (l *linter) decidedBy(c *cube, j int32, ks []int32, skip int32) (e *Example, ok, gaveUp bool) {
	x, meet := c.and(&l.cubes[j])
	if !meet {
		return nil, false, false
	}
	var before []int32
	for _, k := range ks {
		if k >= j {
			break
		}
		if k != skip && l.decisive[k] && l.cubes[k].overlaps(&x) {
			before = append(before, k)
		}
	}
	res := l.s.cover(x, before)
	if res.gaveUp {
		return nil, false, true
	}
	if res.covered {
		return nil, false, false
	}
	return &res.witness, true, false
}

// lines finds, line by line, what reaches it and what pre-empts it.
func (l *linter) lines() {
	var buf, dec []int32
	for i := range l.rules {
		i32 := int32(i)
		r := l.rules[i]
		c := &l.cubes[i]
		buf = l.idx.meeting(c, func(j int32) bool { return j < i32 }, buf[:0])
		dec = dec[:0]
		for _, j := range buf {
			if l.decisive[j] {
				dec = append(dec, j)
			}
		}
		l.mapped(i)
		if r.Fragments {
			// No packet a list sees is a fragment: the line matches nothing.
			l.rep.Lines = append(l.rep.Lines, Reach{Seq: r.Seq})
			l.add(i, Finding{Severity: SevInfo, Kind: KindFragments,
				Reason: "matches nothing here: this host reassembles fragments before its lists see them (conntrack), so the lines after it decide the whole datagram"})
			continue
		}
		res := l.s.cover(*c, dec)
		if res.gaveUp {
			l.tooComplex(i, "whether it is reachable")
			l.rep.Lines = append(l.rep.Lines, Reach{Seq: r.Seq, Reachable: true})
			continue
		}
		if res.covered {
			by := l.minimal(c, res.used)
			l.rep.Lines = append(l.rep.Lines, Reach{Seq: r.Seq, CoveredBy: l.seqs(by)})
			l.unreachable(i, by)
			continue
		}
		w := res.witness
		l.rep.Lines = append(l.rep.Lines, Reach{Seq: r.Seq, Reachable: true, Witness: &w})
		if r.ConnLimit != 0 {
			l.bypassed(i, buf)
		}
		if r.ConnLimit != 0 && r.Action == Permit {
			l.overflow(i)
		}
		l.overlaps(i, buf)
		if r.ConnLimit > 1 && r.Action == Deny {
			l.denyAlone(i)
		}
	}
}

// mapped reports a line of an IPv6 list whose source or destination holds only
// IPv4-mapped addresses (::ffff:0:0/96): sshd and other programs on a dual-stack
// socket log IPv4 clients that way, but the packets are IPv4 and reach the IPv4
// list, so the line matches nothing.
func (l *linter) mapped(i int) {
	if l.a.Family != IPv6 {
		return
	}
	r := l.rules[i]
	for _, side := range []struct {
		what string
		a    Address
	}{{"source", r.Src}, {"destination", r.Dst}} {
		v4, ok := side.a.Unmapped()
		if !ok {
			continue
		}
		l.add(i, Finding{Severity: SevWarning, Kind: KindIPv4Mapped,
			Reason: fmt.Sprintf("matches nothing: %s %s is IPv4-mapped, and no packet carries such an address (programs such as sshd show IPv4 clients that way, but their packets are IPv4 and the IPv4 list decides them); write %s in the IPv4 access list instead",
				side.what, side.a, v4)})
	}
}

// minimal drops lines from a cover while the rest still covers c (for a short
// cover: the lines the operator is shown).
func (l *linter) minimal(c *cube, used []int32) []int32 {
	if len(used) <= 1 || len(used) > 32 {
		return used
	}
	keep := append([]int32(nil), used...)
	for x := len(keep) - 1; x >= 0 && len(keep) > 1; x-- {
		rest := append(append([]int32(nil), keep[:x]...), keep[x+1:]...)
		if res := l.s.cover(*c, rest); res.covered {
			keep = rest
		}
	}
	return keep
}

func (l *linter) unreachable(i int, by []int32) {
	r := l.rules[i]
	f := Finding{Severity: SevWarning, Kind: KindUnreachable, Related: l.seqs(by)}
	permit := false
	for _, k := range by {
		permit = permit || l.rules[k].Action == Permit
	}
	switch {
	case r.ConnLimit != 0 && permit:
		f.Severity, f.Kind = SevError, KindNeverLimits
		p := l.permitsOf(by)
		verb := " permit"
		if len(p) == 1 {
			verb = " permits"
		}
		f.Reason = "can never limit: earlier lines (" + seqList(f.Related) + ") decide every connection it would count, and " + seqList(p) + verb + " without a limit"
		if len(by) == 1 {
			f.Reason = "can never limit: " + seqList(f.Related) + " permits every connection it would count, without a limit"
		}
	case len(by) == 1:
		f.Reason = "unreachable: " + seqList(f.Related) + " decides every packet it matches"
	default:
		f.Reason = "unreachable: every packet it matches is decided by earlier lines (" + seqList(f.Related) + ")"
	}
	if r.Established {
		f.Reason += "; lines without established apply to replies too"
	}
	l.add(i, f)
}

func (l *linter) permitsOf(ks []int32) []Seq {
	var out []Seq
	for _, k := range ks {
		if l.rules[k].Action == Permit {
			out = append(out, l.rules[k].Seq)
		}
	}
	return out
}

// bypassed reports earlier permits without a limit that decide part of what a
// reachable connlimit line matches: those connections are never limited.
func (l *linter) bypassed(i int, earlier []int32) {
	c := &l.cubes[i]
	var by []Seq
	var ex *Example
	for _, j := range earlier {
		if l.rules[j].Action != Permit || !l.decisive[j] {
			continue
		}
		e, ok, gaveUp := l.decidedBy(c, j, earlier, -1)
		if gaveUp {
			l.tooComplex(i, "which earlier permits pre-empt its limit")
			return
		}
		if ok {
			by = append(by, l.rules[j].Seq)
			if ex == nil {
				ex = e
			}
		}
	}
	if len(by) == 0 {
		return
	}
	verb := "permit"
	if len(by) == 1 {
		verb += "s"
	}
	l.add(i, Finding{Severity: SevWarning, Kind: KindLimitBypassed, Related: by, Example: ex,
		Reason: "its limit does not apply to part of what it matches: " + seqList(by) + " " + verb + " it first, without a limit, e.g. " + ex.String()})
}

// overlaps reports earlier lines of the other action that partly take a line's
// traffic where the line reads as an exception to them: its source and
// destination lie within theirs, but they match only part of it (fewer ports or
// protocols), so part of what it says is decided the other way first. An
// exception written before a broader line (the earlier line inside the later,
// or within its addresses) is the usual idiom and is not reported.
func (l *linter) overlaps(i int, earlier []int32) {
	r, c := l.rules[i], &l.cubes[i]
	var by []Seq
	var ex *Example
	for _, j := range earlier {
		o, k := l.rules[j], &l.cubes[j]
		if o.Action == r.Action || k.covers(c) || c.covers(k) || !k.ad[dSrc].covers(c.ad[dSrc]) || !k.ad[dDst].covers(c.ad[dDst]) {
			continue
		}
		if r.ConnLimit != 0 && o.Action == Permit && l.decisive[j] {
			continue // reported as a bypassed limit
		}
		e, ok, gaveUp := l.decidedBy(c, j, earlier, -1)
		if gaveUp {
			l.tooComplex(i, "which earlier lines overlap it")
			return
		}
		if ok {
			by = append(by, o.Seq)
			if ex == nil {
				ex = e
			}
		}
	}
	if len(by) == 0 {
		return
	}
	what := "permit"
	if r.Action == Permit {
		what = "deny"
	}
	if len(by) == 1 {
		what += "s"
	}
	l.add(i, Finding{Severity: SevWarning, Kind: KindPartialOverlap, Related: by, Example: ex,
		Reason: "partly overlaps " + seqList(by) + ", which " + what + " part of what it matches first, e.g. " + ex.String()})
}

// denyAlone reports a `deny ... connlimit N` line whose connections below the
// limit no later line permits: it then denies everything it matches, limit or
// not (seed 001: SLX needs `permit ip any any` after it).
func (l *linter) denyAlone(i int) {
	c := &l.cubes[i]
	all := l.idx.meeting(c, func(int32) bool { return true }, nil)
	for _, j := range all {
		if int(j) <= i || l.rules[j].Action != Permit {
			continue
		}
		_, ok, gaveUp := l.decidedBy(c, j, all, int32(i))
		if gaveUp {
			l.tooComplex(i, "whether a later line permits its traffic")
			return
		}
		if ok {
			return
		}
	}
	l.add(i, Finding{Severity: SevError, Kind: KindDenyLimitAlone,
		Reason: fmt.Sprintf("denies every connection it matches, limit or not: no later line permits the first %d, so the implicit deny drops them; add a permit after it (e.g. permit %s any any)",
			l.rules[i].ConnLimit-1, l.a.Family)})
}

// firstPermit returns a line that permits some packet of c, a new connection
// (nil if none), and whether the question was given up.
func (l *linter) firstPermit(c *cube) (line int32, e *Example, gaveUp bool) {
	ks := l.idx.meeting(c, func(int32) bool { return true }, nil)
	for _, j := range ks {
		if l.rules[j].Action != Permit {
			continue
		}
		e, ok, gaveUp := l.decidedBy(c, j, ks, -1)
		if gaveUp {
			return -1, nil, true
		}
		if ok {
			return j, e, false
		}
	}
	return -1, nil, false
}

// permits reports a list that permits no new connection, or none to sshd on the
// management address.
func (l *linter) permits(o LintOptions) {
	all := everything()
	all.sp[dState] = one(0)
	j, _, gaveUp := l.firstPermit(&all)
	switch {
	case gaveUp:
		l.add(-1, Finding{Severity: SevInfo, Kind: KindTooComplex, Reason: "not analysed: whether the list permits anything takes more than the lint limit"})
		return
	case j < 0:
		why := "it has no permit line"
		for _, r := range l.rules {
			if r.Action == Permit {
				why = "no permit line is ever reached by a new connection"
				break
			}
		}
		l.add(-1, Finding{Severity: SevError, Kind: KindPermitsNothing,
			Reason: "permits no new connection (" + why + "): bound, it refuses every new " + l.a.Family.Name() + " connection on management 0"})
		return
	}
	port := o.SSHPort
	if port == 0 {
		port = 22
	}
	var addrs []netip.Addr
	for _, a := range o.Mgmt {
		if a.Is4() == (l.a.Family == IPv4) {
			addrs = append(addrs, a)
		}
	}
	ssh := all
	ssh.sp[dProto] = one(ProtoTCP)
	ssh.sp[dDport] = one(port)
	if len(addrs) == 0 {
		if j, _, gaveUp = l.firstPermit(&ssh); j >= 0 || gaveUp {
			return
		}
		l.add(-1, Finding{Severity: SevError, Kind: KindNoSSH,
			Reason: fmt.Sprintf("permits no new SSH connection (tcp port %d) to any address: bound, it locks out whoever manages the host over SSH", port)})
		return
	}
	for _, a := range addrs {
		ssh.ad[dDst] = tern{u128Of(a), prefixBits(l.a.Family, l.a.Family.Bits())}
		if j, _, gaveUp = l.firstPermit(&ssh); j >= 0 || gaveUp {
			return
		}
	}
	names := make([]string, len(addrs))
	for i, a := range addrs {
		names[i] = a.String()
	}
	l.add(-1, Finding{Severity: SevError, Kind: KindNoSSH,
		Reason: fmt.Sprintf("permits no new SSH connection to the management address (%s, tcp port %d): bound, it locks out whoever manages the host over SSH", strings.Join(names, ", "), port)})
}

// nd reports deny lines that drop IPv6 neighbour discovery before the enforcer's
// implicit permit of it, and a list whose lines leave it to that permit.
func (l *linter) nd() {
	c := everything()
	c.sp[dState] = one(0)
	c.sp[dProto] = one(ProtoICMPv6)
	nds, what := ndSpans()
	c.sp[dICMP] = nds
	ks := l.idx.meeting(&c, func(int32) bool { return true }, nil)
	var denied []Seq
	var ex *Example
	var first int32
	for _, j := range ks {
		if l.rules[j].Action != Deny || !l.decisive[j] {
			continue
		}
		e, ok, gaveUp := l.decidedBy(&c, j, ks, -1)
		if gaveUp {
			return
		}
		if ok {
			denied = append(denied, l.rules[j].Seq)
			if ex == nil {
				ex, first = e, j
			}
		}
	}
	if len(denied) > 0 {
		l.add(int(first), Finding{Severity: SevWarning, Kind: KindNDDenied, Related: denied, Example: ex,
			Reason: "denies IPv6 neighbour discovery (" + what + ") before the list's implicit permit of it: neighbours on the management link may become unreachable, e.g. " + ex.String()})
		return
	}
	var dec []int32
	for _, k := range ks {
		if l.decisive[k] {
			dec = append(dec, k)
		}
	}
	if res := l.s.cover(c, dec); !res.covered && !res.gaveUp {
		l.add(-1, Finding{Severity: SevInfo, Kind: KindNDImplicit,
			Reason: "no line permits IPv6 neighbour discovery (" + what + "); it is permitted implicitly before the implicit deny, or IPv6 would stop working"})
	}
}

// seqList renders seqs for a reason: "seq 10", "seq 10 and seq 20", "seq 10, seq
// 20 and 3 more".
func seqList(s []Seq) string {
	const show = 5
	var parts []string
	for i, q := range s {
		if i == show {
			break
		}
		parts = append(parts, "seq "+strconv.FormatUint(uint64(q), 10))
	}
	if len(s) > show {
		return strings.Join(parts, ", ") + fmt.Sprintf(" and %d more", len(s)-show)
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}
