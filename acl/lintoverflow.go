package acl

import "fmt"

// KindOverflowPermitted is an error: a `permit ... connlimit N` line whose
// connections over the limit later lines permit, every one of them, so the limit
// limits nothing. A permit connlimit line that does not match falls through to
// the lines after it (seed 001, and DESIGN's semantics), so `permit tcp host A any
// eq 22 connlimit 3` followed by `permit tcp any any eq 22` admits a fourth
// connection from A at the second line.
const KindOverflowPermitted = "connlimit_overflow_permitted"

// overflow reports a permit connlimit line (i) whose traffic the later permit
// lines cover before any later deny line that meets it. It is sound, not
// complete: a later deny that would take none of the traffic still stops the
// search, so a finding is always true.
func (l *linter) overflow(i int) {
	c := &l.cubes[i]
	later := l.idx.meeting(c, func(j int32) bool { return j > int32(i) }, nil)
	var permits []int32
	for _, j := range later {
		if l.rules[j].Action == Deny {
			break // it may deny part of the traffic: stop here
		}
		if l.decisive[j] {
			permits = append(permits, j)
		}
	}
	if len(permits) == 0 {
		return
	}
	res := l.s.cover(*c, permits)
	if res.gaveUp {
		l.tooComplex(i, "whether later lines permit what it limits")
		return
	}
	if !res.covered {
		return
	}
	by := l.seqs(l.minimal(c, res.used))
	deny := l.rules[i]
	deny.Seq, deny.Action, deny.ConnLimit, deny.ConnMask, deny.ConnSources, deny.Log = 0, Deny, 0, 0, 0, false
	verb := "permit"
	if len(by) == 1 {
		verb = "permits"
	}
	l.add(i, Finding{Severity: SevError, Kind: KindOverflowPermitted, Related: by,
		Reason: fmt.Sprintf("limits nothing: a connection over the limit does not match this line and falls through to %s, which %s it; put %s after it, or narrow the later line",
			seqList(by), verb, deny.Body(l.a.Family))})
}
