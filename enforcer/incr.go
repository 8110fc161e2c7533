package enforcer

import (
	"slices"
	"sort"
	"strings"

	"github.com/aclsh/aclsh/acl"
)

// Incremental compiling: what the Compiler keeps of a list between compiles.
//
// The segmentation of a list into runs and single rules is greedy from the
// first line: where a segment starts, runLen decides how far it reaches from
// that line and the lines after it up to the one that ends it, and nothing else
// (the prefix lengths it is given only index the lines it compares). So a
// segment of the last compile stands if every line it looked at is unchanged
// and at the same place from the start of the list; and from a line where the
// last compile started a segment, everything after it stands if the rest of the
// list is unchanged. Only the segments between are made again.

// listMemo is what a list compiled to.
type listMemo struct {
	f    acl.Family
	name string
	rs   []acl.Rule // its lines, remarks left out (a copy: the ACL may change)
	// lens counts the lines using each source and destination prefix length.
	lens [2][129]int32
	segs []seg
	// looked is how many lines segmenting looked at (tests).
	looked int
}

// seg is a segment of a list: a run (run set), or one line compiled into rules.
type seg struct {
	// start is the segment's first line, n how many lines it has; deciding it
	// looked at the lines before look (len(rs)+1: also at where the list ends).
	start, n, look int
	run            *runOut
	// a single line: its rule (nil for a connlimit line, made every time: it
	// depends on the offsets), the rule's key, its log rule for interval iv.
	rule *Rule
	key  string
	log  *Rule
	iv   uint32
}

func (s *seg) end() int { return s.start + s.n }

// countLens adds d to the counts of r's prefix lengths.
func countLens(fm *fam, lens *[2][129]int32, r acl.Rule, d int32) {
	for k, a := range []acl.Address{r.Src, r.Dst} {
		if a.Kind != acl.AddrWildcard {
			lens[k][prefixOf(fm, a).Bits()] += d
		}
	}
}

// lensOf returns the prefix lengths counted, per dimension, in order.
func lensOf(lens *[2][129]int32) [2][]int {
	var out [2][]int
	for d := range 2 {
		for l, n := range lens[d] {
			if n > 0 {
				out[d] = append(out[d], l)
			}
		}
	}
	return out
}

// segment segments the lines of list name (entries, an acl.ACL.Snapshot,
// remarks included) in family fm, reusing what old (nil: nothing) holds.
func segment(fm *fam, name string, entries []acl.Rule, old *listMemo) *listMemo {
	if old == nil {
		old = &listMemo{}
	}
	// A list without remarks is its own lines: the memo keeps the snapshot,
	// and the next compile of a copy of the list (the daemon's next change)
	// knows without comparing them that the lines they share are the same.
	// With remarks, the lines compiled last are kept when they are the same.
	rs := entries
	if slices.ContainsFunc(entries, acl.Rule.IsRemark) {
		if rs = sameLines(entries, old.rs); rs == nil {
			rs = make([]acl.Rule, 0, len(entries))
			for _, r := range entries {
				if !r.IsRemark() {
					rs = append(rs, r)
				}
			}
		}
	}
	m := &listMemo{f: fm.f, name: name, rs: rs}
	ors, osegs := old.rs, old.segs
	// the lines the same from the start (p) and from the end (q)
	p := acl.SamePrefix(rs, ors)
	for p < len(rs) && p < len(ors) && rs[p] == ors[p] {
		p++
	}
	q := 0
	for q < len(rs)-p && q < len(ors)-p && rs[len(rs)-1-q] == ors[len(ors)-1-q] {
		q++
	}
	m.lens = old.lens
	for _, r := range ors[p : len(ors)-q] {
		countLens(fm, &m.lens, r, -1)
	}
	for _, r := range rs[p : len(rs)-q] {
		countLens(fm, &m.lens, r, 1)
	}
	common := p // the lines looked at must lie before it
	if p == len(rs) && p == len(ors) {
		common = len(rs) + 1
	}
	delta := len(rs) - len(ors)
	// room for the old segments and a few more: a line added makes at most one
	// more, but a long run of new lines is one segment (a first compile of a
	// million-line blocklist makes two), so past that the slice grows as needed
	m.segs = make([]seg, 0, len(osegs)+min(max(delta, 0), 64))
	k := 0
	for k < len(osegs) && osegs[k].look <= common {
		k++
	}
	m.segs = append(m.segs, osegs[:k]...)
	i := 0
	if k > 0 {
		i = osegs[k-1].end()
	}
	// oldSeg returns the old segment holding old line j, nil if none.
	oldSeg := func(j int) *seg {
		if j < 0 || j >= len(ors) {
			return nil
		}
		x := sort.Search(len(osegs), func(x int) bool { return osegs[x].end() > j })
		if x < len(osegs) && osegs[x].start <= j {
			return &osegs[x]
		}
		return nil
	}
	// twins returns the old lines that line g may be: at the same place counted
	// from the start or from the end, if the same line.
	twins := func(g int) (out [2]int) {
		out = [2]int{-1, -1}
		for t, oj := range [2]int{g, g - delta} {
			if oj >= 0 && oj < len(ors) && ors[oj] == rs[g] {
				out[t] = oj
			}
		}
		return out
	}
	var lens [2][]int
	var made []*runLine // what line g compiles to, once asked for (made when first needed)
	var arena lineArena
	for i < len(rs) {
		if i >= len(rs)-q {
			// the rest is unchanged: if the last compile started a segment at
			// the same line, it and all after it stand
			io := i - delta
			x := sort.Search(len(osegs), func(x int) bool { return osegs[x].start >= io })
			if x < len(osegs) && osegs[x].start == io {
				for _, s := range osegs[x:] {
					s.start += delta
					s.look += delta
					m.segs = append(m.segs, s)
				}
				break
			}
		}
		if lens[0] == nil && lens[1] == nil {
			lens = lensOf(&m.lens)
		}
		line := func(j int) *runLine {
			g := i + j
			if made == nil {
				made = make([]*runLine, len(rs))
			}
			if rl := made[g]; rl != nil {
				return rl
			}
			var rl *runLine
			for _, oj := range twins(g) {
				if s := oldSeg(oj); s != nil && s.run != nil {
					rl = s.run.rls[oj-s.start]
					break
				}
			}
			if rl == nil {
				rl = newRunLine(fm, name, &rs[g], &arena)
			}
			made[g] = rl
			return rl
		}
		if ro := growing(old, i, p, len(rs), lens); ro != nil {
			// lines were added behind a run that reached the end of the list:
			// it goes on from where it stopped, with the lines it had
			from := len(ro.rls)
			rls, layers := grow(ro.x, rs[i:], from, line)
			n := from + len(rls)
			look := i + n + 1
			m.looked += min(look, len(rs)) - (i + from)
			run := ro
			if len(rls) > 0 {
				run = ro.grow(fm, name, rls, layers)
				run.x, ro.x = ro.x, nil
			}
			if i+n < len(rs) || n > maxGrowRun {
				run.stop() // it ends before the list does, or is too long to keep its index
			}
			m.segs = append(m.segs, seg{start: i, n: n, look: look, run: run})
			i += n
			continue
		}
		n, rls, layers, x := runLen(rs[i:], lens, line)
		look := i + n + 1
		if n == 0 {
			look = i + 1
		}
		m.looked += min(look, len(rs)) - i
		if n >= MinRun {
			m.segs = append(m.segs, seg{start: i, n: n, look: look, run: sameRun(rls, oldSeg, twins(i))})
			if run := m.segs[len(m.segs)-1].run; run == nil {
				var prev []*Set // the sets of the old run the first line was in
				for _, oj := range twins(i) {
					if s := oldSeg(oj); s != nil && s.run != nil {
						prev = s.run.sets
						break
					}
				}
				grows := i+n == len(rs) && n <= maxGrowRun
				run = newRunOut(fm, name, rls, layers, prev, grows)
				if grows {
					run.x = x // it may grow by lines added behind it
				} else {
					run.stop()
				}
				m.segs[len(m.segs)-1].run = run
			} else if i+n != len(rs) {
				run.stop() // the same run, no longer at the end: it grows no more
			}
			i += n
			continue
		}
		s := seg{start: i, n: 1, look: look}
		for _, oj := range twins(i) {
			if os := oldSeg(oj); os != nil && os.run == nil {
				s.rule, s.key, s.log, s.iv = os.rule, os.key, os.log, os.iv
				break
			}
		}
		m.segs = append(m.segs, s)
		i++
	}
	if len(rs) > 0 && len(ors) > 0 && &rs[0] != &ors[0] {
		// The lines kept from the last compile point at their rules in the
		// entries they were compiled from: point them at the same rules in
		// these, so that the old entries (a copy of the whole list) are not
		// kept for them.
		for _, s := range m.segs {
			if s.run != nil {
				for j, rl := range s.run.rls {
					rl.r = &rs[s.start+j]
				}
			}
		}
	}
	return m
}

// sameLines returns ors if entries (remarks left out) are its lines, else nil:
// the list compiled last time (show compiles the applied list again) is not
// copied again (a million-line list: 240 MB).
func sameLines(entries, ors []acl.Rule) []acl.Rule {
	j := 0
	for _, r := range entries {
		if r.IsRemark() {
			continue
		}
		if j == len(ors) || r != ors[j] {
			return nil
		}
		j++
	}
	if j != len(ors) || j == 0 {
		return nil
	}
	return ors
}

// maxGrowRun is the longest run whose index is kept so that it can grow: the
// index costs about 1.5 KB a line, and a longer run (a blocklist of a million
// lines) is made again when lines are added behind it.
const maxGrowRun = 1 << 16

// growing returns the run of the old list that starts at line i and reached
// its end, if the new list (n lines, of which the first p are the old list's
// lines) only adds lines behind it and the run can go on (its index is kept and
// made for the prefix lengths lens the list now uses); nil if not.
func growing(old *listMemo, i, p, n int, lens [2][]int) *runOut {
	if p != len(old.rs) || n <= p || len(old.segs) == 0 {
		return nil
	}
	s := old.segs[len(old.segs)-1]
	ro := s.run
	if s.start != i || s.end() != p || ro == nil || ro.x == nil || ro.grown || len(ro.rls) != s.n {
		return nil
	}
	for d := range 2 {
		if !slices.Equal(ro.x.lens[d], lens[d]) {
			return nil
		}
	}
	return ro
}

// sameRun returns the old run of exactly the lines rls, starting at one of the
// old lines at (-1: none), or nil.
func sameRun(rls []*runLine, oldSeg func(int) *seg, at [2]int) *runOut {
	for _, oj := range at {
		s := oldSeg(oj)
		if s == nil || s.run == nil || s.start != oj || len(s.run.rls) != len(rls) {
			continue
		}
		same := true
		for x, rl := range rls {
			if s.run.rls[x] != rl {
				same = false
				break
			}
		}
		if same {
			return s.run
		}
	}
	return nil
}

// lineIndex finds the line of a rule key of a plan's list chains ("ACL/ID/m"
// for a line in a run set too).
type lineIndex struct {
	lists   []*listMemo
	singles map[string]lineKey // made when first asked for
}

func (x *lineIndex) empty() bool {
	if x == nil {
		return true
	}
	for _, m := range x.lists {
		if len(m.segs) > 0 {
			return false
		}
	}
	return true
}

func (x *lineIndex) get(key string) (lineKey, bool) {
	if x == nil {
		return lineKey{}, false
	}
	if x.singles == nil {
		x.singles = map[string]lineKey{}
		for _, m := range x.lists {
			for _, s := range m.segs {
				if s.run != nil {
					continue
				}
				lk := lineKey{m.f, m.name, m.rs[s.start]}
				if s.log != nil {
					x.singles[s.log.Key] = lk
				}
				x.singles[s.key] = lk
			}
		}
	}
	if lk, ok := x.singles[key]; ok {
		return lk, true
	}
	if line, ok := strings.CutSuffix(key, "/m"); ok {
		for _, m := range x.lists {
			for _, s := range m.segs {
				if s.run != nil {
					if lk, ok := s.run.line(line); ok {
						return lk, true
					}
				}
			}
		}
	}
	return lineKey{}, false
}
