package enforcer

import (
	"net/netip"

	"golang.org/x/sys/unix"

	"github.com/aclsh/aclsh/acl"
)

// walker decides, for a live connection, which connlimit lines count it: the
// lines its first packet reaches, in order, as the kernel counts (a line counts a
// connection when its packet reaches the line's dynset, whether the line then
// admits it or it falls through).
type walker struct {
	steps   map[acl.Family][]step
	limited map[acl.Family][]step // the steps of connlimit lines, to rule flows out fast
	markPos map[uint32]int        // position of the permit line that owns a mark
}

// reaches reports whether a connection matches any connlimit line's criteria:
// if not, no line counts it and no limit line can keep it passing.
func (w *walker) reaches(f acl.Family, p acl.Packet) bool {
	for _, s := range w.limited[f] {
		if s.r.Matches(p) {
			return true
		}
	}
	return false
}

type step struct {
	r acl.Rule
	l *Limit // the line's accounting, nil for lines that count nothing
}

func newWalker(cfg *acl.Config, limits []*Limit) *walker {
	w := &walker{steps: map[acl.Family][]step{}, limited: map[acl.Family][]step{}, markPos: map[uint32]int{}}
	byRef := map[LineRef]*Limit{}
	for _, l := range limits {
		byRef[l.Ref()] = l
	}
	for _, b := range boundLists(cfg) {
		if b.dir.d != acl.In {
			continue // the sessions walked are the host's: they arrive
		}
		fm, name := b.fm, b.name
		for _, r := range b.acl.Entries() {
			if r.IsRemark() {
				continue
			}
			s := step{r: r}
			if r.ConnLimit > 0 {
				s.l = byRef[Line(name, r.Seq)]
				// deny ... connlimit 1 counts nothing, but it drops what
				// conntrack calls new: meetsLimit must see it
				w.limited[fm.f] = append(w.limited[fm.f], s)
			}
			if s.l != nil {
				if s.l.Mark != 0 {
					w.markPos[s.l.Mark] = len(w.steps[fm.f])
				}
			}
			w.steps[fm.f] = append(w.steps[fm.f], s)
		}
	}
	return w
}

// walk returns the lines that count c and the permit line that admitted it (nil
// if none). An existing session reaching a permit connlimit line is admitted by it
// when the line is fresh (new to the kernel: it adopts every session it would have
// counted), when conntrack does not track the session, or when its mark says so
// (the line's own mark, or an aclsh mark no later line owns: every permit
// connlimit line passes sessions with an aclsh mark). A tracked session without
// such a mark fell through the line when it was new.
func (w *walker) walk(c Conn, fresh map[string]bool) (counted []*Limit, admit *Limit) {
	f := acl.IPv4
	if c.Src.Is6() {
		f = acl.IPv6
	}
	p := packetOf(c)
	if !w.reaches(f, p) {
		return nil, nil
	}
	for i, s := range w.steps[f] {
		if !s.r.Matches(p) {
			continue
		}
		if s.l == nil {
			if s.r.ConnLimit > 0 && s.r.Action == acl.Deny {
				continue // deny ... connlimit 1 drops only new connections
			}
			return counted, nil // a plain line decides
		}
		counted = append(counted, s.l)
		if s.r.Action == acl.Deny {
			continue
		}
		aclshMark := c.Mark&markTag != 0
		if pos, ok := w.markPos[c.Mark&markOwned]; fresh[s.l.ID] || !c.Tracked || c.Mark&markOwned == s.l.Mark || aclshMark && (!ok || pos < i) {
			return counted, s.l
		}
	}
	return counted, nil
}

// meetsLimit reports whether the first packet of c reaches a connlimit line (one
// that counts, or a deny ... connlimit 1) before a line without a limit decides
// it. Such lines act on packets conntrack calls new: the packets of a session
// conntrack does not track yet are new to it when it picks the session up.
func (w *walker) meetsLimit(c Conn) bool {
	f := acl.IPv4
	if c.Src.Is6() {
		f = acl.IPv6
	}
	p := packetOf(c)
	if !w.reaches(f, p) {
		return false
	}
	for _, s := range w.steps[f] {
		if s.r.Matches(p) {
			return s.r.ConnLimit > 0
		}
	}
	return false
}

// passes reports whether the ruleset lets the packets of an existing session
// through (they are never new), and the first permit connlimit line that permits
// it by its criteria, if any. A session that would be dropped although such a
// line permits it must be given that line's mark: only removing every line that
// permits a session (or a deny) stops it.
func (w *walker) passes(c Conn) (bool, *Limit) {
	f := acl.IPv4
	if c.Src.Is6() {
		f = acl.IPv6
	}
	p := packetOf(c)
	var first *Limit
	if !w.reaches(f, p) {
		return true, nil // no limit line can keep it passing: not aclsh's to protect
	}
	for _, s := range w.steps[f] {
		if !s.r.Matches(p) {
			continue
		}
		switch {
		case s.l == nil && s.r.ConnLimit > 0 && s.r.Action == acl.Deny:
			// deny ... connlimit 1 drops only new connections
		case s.l == nil:
			return s.r.Action == acl.Permit, first
		case s.r.Action == acl.Permit:
			if first == nil {
				first = s.l
			}
			if c.Mark&markTag != 0 {
				return true, first
			}
		}
	}
	return false, first
}

// attribution is what a set of live connections means for the connlimit lines.
type attribution struct {
	counts Pre             // per line ID, live connections per source (prefix key, with a mask)
	mark   []Conn          // connections that need a conntrack entry or mark
	marks  map[Conn]uint32 // the mark each of those gets
}

// attribute counts conns for limits and finds the sessions to mark: those admitted
// by a fresh line; untracked ones that a connlimit line admits or meets (they get
// a conntrack entry in the direction they were opened, so whichever side sends
// next, their packets pass, and are never new: conntrack would call the packet it
// picks a session up with new, a connlimit line's list would count the session
// again on top of its offset, and a deny connlimit line at its limit would drop
// it); and those the ruleset would drop although a permit connlimit line permits
// them.
func attribute(cfg *acl.Config, limits []*Limit, conns []Conn, fresh map[string]bool) *attribution {
	w := newWalker(cfg, limits)
	a := &attribution{counts: Pre{}, marks: map[Conn]uint32{}}
	for _, c := range conns {
		counted, admit := w.walk(c, fresh)
		for _, l := range counted {
			m := a.counts[l.ID]
			if m == nil {
				m = map[netip.Addr]int{}
				a.counts[l.ID] = m
			}
			m[l.Source(c.Src)]++
		}
		switch {
		case admit != nil && c.Mark != admit.Mark && (fresh[admit.ID] || !c.Tracked):
			a.marks[c] = admit.Mark
		case admit == nil:
			if ok, first := w.passes(c); !ok && first != nil {
				a.marks[c] = first.Mark
			}
		}
		if a.marks[c] != 0 || !c.Tracked && c.Proto == unix.IPPROTO_TCP && (len(counted) > 0 || w.meetsLimit(c)) {
			a.mark = append(a.mark, c) // an untracked one keeps mark 0
		}
	}
	return a
}

// packetOf is the packet that opened connection c, for the model. An ICMP
// connection is an echo (what conntrack tracks as one, and what aclsh creates
// entries for): its first packet an echo request.
func packetOf(c Conn) acl.Packet {
	p := acl.Packet{Proto: c.Proto, Src: c.Src, Dst: c.Dst, SrcPort: c.SPort, DstPort: c.DPort}
	switch c.Proto {
	case acl.ProtoICMP:
		p.ICMPType = 8
	case acl.ProtoICMPv6:
		p.ICMPType = 128
	}
	return p
}
