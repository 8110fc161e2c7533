package acl

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Step is one line of a trace: a line of the list (Seq), the implicit end of the
// list (Seq 0), or a run of Skipped lines that do not match.
type Step struct {
	Seq     Seq    `json:"seq,omitempty"`
	Line    string `json:"line,omitempty"` // as the running-config shows it, or "implicit deny"
	Matches bool   `json:"matches"`
	Reason  string `json:"reason,omitempty"`
	// Sessions is, for a connlimit line, the live connections its source (or
	// source prefix) has on it, when the enforcer told.
	Sessions *int `json:"sessions,omitempty"`
	// Skipped, for a step that stands for lines that do not match, is how many.
	Skipped int `json:"skipped,omitempty"`
}

// Outcome is what a line does with the packet. When says when it applies:
// "" always, "under_limit" while the source is under a permit's limit (else
// the next outcome applies), "at_limit" from a deny's limit on (before it, the
// next). By "implicit" with action permit is the implicit permit of neighbour
// discovery in IPv6 lists (ImplicitPermits).
type Outcome struct {
	Action string    `json:"action"` // permit or deny
	Seq    Seq       `json:"seq,omitempty"`
	By     string    `json:"by"` // "seq 10", "implicit"
	When   string    `json:"when,omitempty"`
	Limit  ConnLimit `json:"limit,omitempty"`
}

// Trace is how a list decides one packet, line by line, as an operator reads it.
type Trace struct {
	List   string  `json:"list"`
	Packet Example `json:"packet"`
	Steps  []Step  `json:"steps"`
	// Result lists the outcomes in order: each conditional one (a connlimit
	// line) applies when its condition holds, else the next.
	Result []Outcome `json:"result"`
	// Now is what decides the packet at present, when it reaches connlimit lines
	// and the live session count of every one is known.
	Now *Outcome `json:"now,omitempty"`
	// Notes say what the operator should know about the packet itself (an
	// IPv4-mapped address no packet carries).
	Notes []string `json:"notes,omitempty"`
}

// TraceListed is the most lines a trace lists whatever they do; in a longer
// list the lines that do not match are counted, not listed.
const TraceListed = 20

// Trace follows p through the list as Evaluate does, saying for each line why it
// matches or not. live, if not nil, returns the live connections the packet's
// source has on a connlimit line, ok false when not known.
func (a *ACL) Trace(p Packet, live func(r Rule) (n int, ok bool)) *Trace {
	t := &Trace{List: a.Name, Packet: Example{Family: a.Family, Packet: p}, Steps: []Step{}, Notes: MappedNotes(p)}
	rules := 0
	for _, r := range a.entries {
		if !r.IsRemark() {
			rules++
		}
	}
	listAll := rules <= TraceListed
	skipped := 0
	flush := func() {
		if skipped > 0 {
			t.Steps = append(t.Steps, Step{Skipped: skipped, Reason: fmt.Sprintf("%d lines do not match", skipped)})
			skipped = 0
		}
	}
	counts := map[Seq]int{}
	known := true
	final := false
	for _, r := range a.entries {
		if r.IsRemark() {
			continue
		}
		if !r.Matches(p) {
			if listAll {
				t.Steps = append(t.Steps, Step{Seq: r.Seq, Line: r.Format(a.Family), Reason: "does not match: " + mismatch(r, p, a.Family)})
			} else {
				skipped++
			}
			continue
		}
		flush()
		st := Step{Seq: r.Seq, Line: r.Format(a.Family), Matches: true, Reason: "matches"}
		o := Outcome{Action: r.Action.String(), Seq: r.Seq, By: "seq " + strconv.FormatUint(uint64(r.Seq), 10)}
		if r.ConnLimit != 0 && !(r.Action == Deny && r.ConnLimit == 1) {
			now := ""
			if live != nil {
				if n, ok := live(r); ok {
					st.Sessions, counts[r.Seq] = &n, n
					now = fmt.Sprintf(" (now %d)", n)
				} else {
					known = false
				}
			} else {
				known = false
			}
			src := sourceKey(r, p.Src, a.Family)
			o.Limit = r.ConnLimit
			if r.Action == Permit {
				o.When = "under_limit"
				st.Reason = fmt.Sprintf("matches; admitted while %s has at most %s%s, else continues", src, plural(int(r.ConnLimit), "such connection"), now)
			} else {
				o.When = "at_limit"
				st.Reason = fmt.Sprintf("matches; dropped once %s has %s, the new one included%s, else continues", src, plural(int(r.ConnLimit), "such connection"), now)
			}
			t.Steps = append(t.Steps, st)
			t.Result = append(t.Result, o)
			continue
		}
		if r.ConnLimit == 1 {
			st.Reason = "matches; connlimit 1 drops every new connection (the new one is the first)"
		}
		t.Steps = append(t.Steps, st)
		t.Result = append(t.Result, o)
		final = true
		break
	}
	flush()
	if !final {
		if a.Family == IPv6 && p.Proto == ProtoICMPv6 {
			// The enforcer permits neighbour discovery before the implicit deny.
			st := Step{Line: ImplicitICMPv6Line(), Matches: ImplicitPermits(a.Family, p), Reason: "matches"}
			if !st.Matches {
				st.Reason = "does not match: " + icmpMismatch(ImplicitICMPv6(), p, a.Family)
			}
			t.Steps = append(t.Steps, st)
			if st.Matches {
				t.Result = append(t.Result, Outcome{Action: "permit", By: "implicit"})
				final = true
			}
		}
		if !final {
			t.Steps = append(t.Steps, Step{Line: "implicit deny", Matches: true, Reason: "matches"})
			t.Result = append(t.Result, Outcome{Action: "deny", By: "implicit"})
		}
	}
	if known && len(counts) > 0 {
		r, ok := a.Evaluate(p, func(r Rule) int { return counts[r.Seq] })
		o := Outcome{Action: "deny", By: "implicit"}
		switch {
		case ok:
			o = Outcome{Action: r.Action.String(), Seq: r.Seq, By: "seq " + strconv.FormatUint(uint64(r.Seq), 10)}
		case ImplicitPermits(a.Family, p):
			o.Action = "permit"
		}
		t.Now = &o
	}
	return t
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// MappedNotes says which of the packet's addresses are IPv4-mapped
// (::ffff:10.24.12.107): no packet carries one, since an IPv4 client sends IPv4
// packets, which the IPv4 list decides; programs on dual-stack sockets (sshd)
// show IPv4 clients that way, which is why operators copy them.
func MappedNotes(p Packet) []string {
	var notes []string
	for _, side := range []struct {
		what string
		a    netip.Addr
	}{{"source", p.Src}, {"destination", p.Dst}} {
		if side.a.Is4In6() {
			notes = append(notes, fmt.Sprintf("%s %s is an IPv4-mapped address, which no packet carries: the client's packets are IPv4, from %s, and the IPv4 list decides them",
				side.what, side.a, side.a.Unmap()))
		}
	}
	return notes
}

// sourceKey is what a connlimit line counts the packet's connections under: its
// source address, or with a mask the source's prefix.
func sourceKey(r Rule, src netip.Addr, f Family) string {
	if r.ConnMask == 0 || !src.IsValid() {
		return src.String()
	}
	return r.ConnMask.Key(src).String()
}

// mismatch says why r does not match p: the first of its criteria that p fails.
func mismatch(r Rule, p Packet, f Family) string {
	switch {
	case r.Established && !p.Reply:
		return "it matches established packets only (replies to this host's own connections); this is a new connection"
	case r.ConnLimit != 0 && p.Reply:
		return "the packet is established (a reply to this host's own connection); a connlimit line counts new connections only"
	case r.Proto.Set && r.Proto.Num != p.Proto:
		return fmt.Sprintf("protocol %s is not %s", protoWord(p.Proto, f), r.Proto.Format(f))
	case !r.Src.Contains(p.Src):
		return addrMismatch("source", r.Src, p.Src)
	case !r.Dst.Contains(p.Dst):
		return addrMismatch("destination", r.Dst, p.Dst)
	case r.Proto.HasPorts() && !r.SrcPort.Matches(p.SrcPort):
		return portMismatch("source", r.SrcPort, p.SrcPort)
	case r.Proto.HasPorts() && !r.DstPort.Matches(p.DstPort):
		return portMismatch("destination", r.DstPort, p.DstPort)
	case !r.ICMP.Matches(p.ICMPType, p.ICMPCode):
		return icmpMismatch([]ICMPName{{ICMPMatch: r.ICMP, Name: r.ICMP.Format(f)}}, p, f)
	case !r.TTL.Matches(p.HopLimit()):
		return fmt.Sprintf("TTL %d does not match %s", p.HopLimit(), r.TTL)
	case r.Fragments:
		return "it matches non-initial fragments only, and this host reassembles fragments before its lists see them"
	}
	return "its criteria do not hold"
}

func addrMismatch(what string, a Address, x netip.Addr) string {
	switch a.Kind {
	case AddrHost:
		return fmt.Sprintf("%s %s is not %s", what, x, a.Addr)
	case AddrPrefix:
		return fmt.Sprintf("%s %s is not in %s", what, x, a)
	}
	return fmt.Sprintf("%s %s does not match %s", what, x, a)
}

// portMismatch says why port v fails p; one case per kind of port match.
func portMismatch(what string, p PortMatch, v uint16) string {
	switch {
	case p.Op == PortEq:
		return fmt.Sprintf("%s port %d is not %s", what, v, orList(p.Ports()))
	case p.Op == PortNeq && p.NMore == 0:
		return fmt.Sprintf("%s port %d is the one it excludes (neq %d)", what, v, p.Lo)
	case p.Op == PortNeq:
		return fmt.Sprintf("%s port %d is one of those it excludes (%s)", what, v, p)
	}
	switch p.Op {
	case PortLt:
		return fmt.Sprintf("%s port %d is not below %d", what, v, p.Lo)
	case PortGt:
		return fmt.Sprintf("%s port %d is not above %d", what, v, p.Lo)
	case PortRange:
		return fmt.Sprintf("%s port %d is not in %d-%d", what, v, p.Lo, p.Hi)
	}
	return fmt.Sprintf("%s port %d does not match", what, v)
}

// orList renders ports as "22", "22 or 443", "22, 443 or 830".
func orList(ports []uint16) string {
	var b strings.Builder
	for i, x := range ports {
		switch {
		case i == 0:
		case i == len(ports)-1:
			b.WriteString(" or ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(int(x)))
	}
	return b.String()
}

// icmpMismatch says why an ICMP message fails the ICMP matches ms (those of a
// line, or the types the implicit permit lets through): "ICMP type 0 code 0
// (echo-reply) is not type 8 (echo)".
func icmpMismatch(ms []ICMPName, p Packet, f Family) string {
	want := make([]string, len(ms))
	for i, m := range ms {
		want[i] = "type " + strconv.Itoa(int(m.Type))
		if m.CodeSet {
			want[i] += " code " + strconv.Itoa(int(m.Code))
		}
		if m.Name != "" && (m.Name[0] < '0' || m.Name[0] > '9') {
			want[i] += " (" + m.Name + ")"
		}
	}
	s := fmt.Sprintf("ICMP type %d code %d", p.ICMPType, p.ICMPCode)
	if n := icmpMessageName(f, p.ICMPType, p.ICMPCode); n != "" {
		s += " (" + n + ")"
	}
	if len(want) == 1 {
		return s + " is not " + want[0]
	}
	return s + " is not " + strings.Join(want[:len(want)-1], ", ") + " or " + want[len(want)-1]
}
