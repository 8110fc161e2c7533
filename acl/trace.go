package acl

import (
	"fmt"
	"net/netip"
	"strconv"
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
// next), "nd" only for neighbour discovery messages.
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
}

// TraceListed is the most lines a trace lists whatever they do; in a longer
// list the lines that do not match are counted, not listed.
const TraceListed = 20

// Trace follows p through the list as Evaluate does, saying for each line why it
// matches or not. live, if not nil, returns the live connections the packet's
// source has on a connlimit line, ok false when not known.
func (a *ACL) Trace(p Packet, live func(r Rule) (n int, ok bool)) *Trace {
	t := &Trace{List: a.Name, Packet: Example{Family: a.Family, Packet: p}, Steps: []Step{}}
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
	nd := false
	if !final {
		if a.Family == IPv6 && p.Proto == ProtoICMPv6 && !p.Reply {
			// The enforcer permits neighbour discovery before the implicit deny.
			nd = true
			t.Steps = append(t.Steps, Step{Line: "implicit permit of neighbour discovery", Matches: true,
				Reason: fmt.Sprintf("matches ICMPv6 types %d-%d (neighbour discovery) only", ndFirst, ndLast)})
			t.Result = append(t.Result, Outcome{Action: "permit", By: "implicit", When: "nd"})
		}
		t.Steps = append(t.Steps, Step{Line: "implicit deny", Matches: true, Reason: "matches"})
		t.Result = append(t.Result, Outcome{Action: "deny", By: "implicit"})
	}
	if known && len(counts) > 0 && !nd {
		r, ok := a.Evaluate(p, func(r Rule) int { return counts[r.Seq] })
		o := Outcome{Action: "deny", By: "implicit"}
		if ok {
			o = Outcome{Action: r.Action.String(), Seq: r.Seq, By: "seq " + strconv.FormatUint(uint64(r.Seq), 10)}
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
	case !r.Established && p.Reply:
		return "the packet is established (a reply to this host's own connection); the line matches new connections only"
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
	switch p.Op {
	case PortEq:
		return fmt.Sprintf("%s port %d is not %d", what, v, p.Lo)
	case PortNeq:
		return fmt.Sprintf("%s port %d is the one it excludes (neq %d)", what, v, p.Lo)
	case PortLt:
		return fmt.Sprintf("%s port %d is not below %d", what, v, p.Lo)
	case PortGt:
		return fmt.Sprintf("%s port %d is not above %d", what, v, p.Lo)
	case PortRange:
		return fmt.Sprintf("%s port %d is not in %d-%d", what, v, p.Lo, p.Hi)
	}
	return fmt.Sprintf("%s port %d does not match", what, v)
}
