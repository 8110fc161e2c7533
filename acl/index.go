package acl

import (
	"slices"
	"sort"
)

// lineIndex finds the lines whose cubes meet a cube without looking at every
// line: one interval tree per selective dimension (source, destination,
// destination port) over each line's bounds in it. A query asks every tree,
// each stopping once it has more lines than the best so far, and checks the
// lines of the smallest answer exactly.
type lineIndex struct {
	f     Family
	cubes []cube
	trees [3]ivTree
	bufs  [3][]int32 // scratch, one per tree
}

func newLineIndex(f Family, cubes []cube) *lineIndex {
	x := &lineIndex{f: f, cubes: cubes}
	for t := range x.trees {
		ivs := make([]iv, len(cubes))
		for i := range cubes {
			lo, hi := x.bounds(t, &cubes[i])
			ivs[i] = iv{lo, hi, int32(i)}
		}
		x.trees[t].build(ivs)
	}
	return x
}

// bounds returns the smallest interval holding what c allows in tree t's
// dimension.
func (x *lineIndex) bounds(t int, c *cube) (lo, hi u128) {
	switch t {
	case 0, 1:
		a := c.ad[t] // dSrc, dDst
		return a.val, a.val.or(prefixBits(x.f, x.f.Bits()).andNot(a.care))
	}
	s := c.sp[dDport]
	return u128{0, uint64(s[0].lo)}, u128{0, uint64(s[len(s)-1].hi)}
}

// meeting appends to out the lines that keep says to keep and whose cubes meet
// c, in line order.
func (x *lineIndex) meeting(c *cube, keep func(int32) bool, out []int32) []int32 {
	// Ask the trees in the order of how many lines they may return at most.
	var order [len(x.trees)]struct {
		t, most int
		lo, hi  u128
	}
	for t := range x.trees {
		o := &order[t]
		o.t = t
		o.lo, o.hi = x.bounds(t, c)
		o.most = x.trees[t].most(o.lo, o.hi)
	}
	slices.SortFunc(order[:], func(a, b struct {
		t, most int
		lo, hi  u128
	}) int {
		return a.most - b.most
	})
	var best []int32
	found := false
	for _, o := range order {
		t, lo, hi := o.t, o.lo, o.hi
		limit := -1
		if found {
			if o.most >= len(best) {
				continue // cannot return fewer than the best
			}
			limit = len(best)
		}
		buf := x.bufs[t][:0]
		got, ok := x.trees[t].query(lo, hi, limit, buf)
		x.bufs[t] = got[:0]
		if ok {
			best, found = got, true
		}
	}
	n := len(out)
	for _, j := range best {
		if keep(j) && x.cubes[j].overlaps(c) {
			out = append(out, j)
		}
	}
	slices.Sort(out[n:])
	return out
}

func (a u128) less(b u128) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }

type iv struct {
	lo, hi u128
	line   int32
}

// ivTree is a static interval tree: intervals sorted by their start, and over
// them a segment tree of the greatest end.
type ivTree struct {
	ivs  []iv
	maxH []u128 // node n covers a range of ivs; 1 is the root
	size int
	his  []u128 // the ends, sorted
	// scratch for query
	stack []struct{ n, lo, hi int }
}

// most returns at most how many intervals meet lo-hi: those that start at or
// before hi and end at or after lo, each counted on its own.
func (t *ivTree) most(lo, hi u128) int {
	start := sort.Search(len(t.ivs), func(i int) bool { return hi.less(t.ivs[i].lo) })
	end := len(t.his) - sort.Search(len(t.his), func(i int) bool { return !t.his[i].less(lo) })
	return min(start, end)
}

func (t *ivTree) build(ivs []iv) {
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].lo.less(ivs[j].lo) })
	t.ivs = ivs
	t.his = make([]u128, len(ivs))
	for i, v := range ivs {
		t.his[i] = v.hi
	}
	slices.SortFunc(t.his, func(a, b u128) int {
		switch {
		case a.less(b):
			return -1
		case b.less(a):
			return 1
		}
		return 0
	})
	t.size = 1
	for t.size < len(ivs) {
		t.size *= 2
	}
	t.maxH = make([]u128, 2*t.size)
	for i, v := range ivs {
		t.maxH[t.size+i] = v.hi
	}
	for n := t.size - 1; n >= 1; n-- {
		l, r := t.maxH[2*n], t.maxH[2*n+1]
		if l.less(r) {
			l = r
		}
		t.maxH[n] = l
	}
}

// query appends to out the lines whose intervals meet lo-hi. With limit >= 0 it
// stops and returns ok false once it has more than limit.
func (t *ivTree) query(lo, hi u128, limit int, out []int32) (res []int32, ok bool) {
	if len(t.ivs) == 0 {
		return out, true
	}
	// Only intervals starting at or before hi can meet it.
	end := sort.Search(len(t.ivs), func(i int) bool { return hi.less(t.ivs[i].lo) })
	n0 := len(out)
	type node struct{ n, lo, hi int }
	stack := t.stack[:0]
	stack = append(stack, node{1, 0, t.size})
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if x.lo >= end || t.maxH[x.n].less(lo) {
			continue
		}
		if x.n >= t.size {
			out = append(out, t.ivs[x.lo].line)
			if limit >= 0 && len(out)-n0 > limit {
				t.stack = stack
				return out[:n0], false
			}
			continue
		}
		mid := (x.lo + x.hi) / 2
		stack = append(stack, node{2*x.n + 1, mid, x.hi}, node{2 * x.n, x.lo, mid})
	}
	t.stack = stack
	return out, true
}
