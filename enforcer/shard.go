package enforcer

import (
	"bytes"
	"encoding/hex"
	"hash/fnv"
	"slices"
	"sync/atomic"
)

// Sharding a long run's verdict map.
//
// The kernel dumps a set's elements (show, the read-back of a diff) a netlink
// message at a time, and resumes each message by walking the set from its
// first element, skipping those already sent: a dump costs about n^2 / (the
// elements a message holds), so a map of a million lines cannot be read back
// (measured: 25,000 elements 0.58 s, 100,000 9.55 s). A verdict map of more
// than shardOver elements is therefore split into shards by one of its key's
// address fields (the source, or the destination if that spreads its elements
// better), each shard a map of its own with the same key, looked up by a rule
// of its own chain; a small dispatch map sends a packet to the chain of the
// shard whose range holds its address:
//
//	ip saddr . ip daddr vmap @run_ID_d            (in the list's chain)
//	    11.0.0.0-11.0.39.254 . 0.0.0.0/0 : jump run_ID_0b000000, ...
//	chain run_ID_0b000000 {
//	    ip saddr vmap @run_ID_0b000000            (the shard's elements)
//	}
//
// A packet costs two lookups, as through the map unsharded, and returns from
// the shard's chain to the list's next rule when no element holds it. The
// shards' ranges tile the field's values, so no element of the map is outside
// its shard's range, and the shard's elements are exactly the map's elements in
// it: the packet meets the same element, with its counter, comment and verdict.
//
// Where shards start depends on the elements near it only: a value of the field
// starts a shard when its hash is 0 modulo shardEvery (and no element of a lower
// value reaches it), or when the shard so far holds shardMax elements. So a
// line added, changed or removed changes its own shard (rarely it splits one,
// or joins two), not the others: the diff stays an element change of one or two
// shards. A shard is named after the map and its range's first value.

var (
	// shardOver is the most elements a run's verdict map holds unsharded.
	shardOver = 8192
	// shardEvery is the mean size of a shard: a value starts one when its
	// hash is 0 modulo shardEvery.
	shardEvery = 1024
	// shardMax is the most elements a shard holds but where one value's
	// elements (or elements spanning each other's values) are more.
	shardMax = 4096
)

// dispatchShape is the key of a dispatch map: source and destination ranges.
var dispatchShape = shapes[32|1<<fSrc|1<<fDst]

// shardPart says what part of a sharded verdict map a set is.
type shardPart uint8

const (
	notSharded shardPart = iota
	shardDispatch
	shardPiece
)

// shards returns the sets and chains verdict map s (not a set of ports) is
// split into: the dispatch map, the shards, the shards' chains; nil if s is
// not split (few elements, a line with port lists on both sides in it, or no
// address field that spreads its elements). A shard of old (by name) with the
// same elements gives the new one its elements: a plan that shares them with
// the kernel's state is known to hold them (kset.holds), so a change of one
// line compares and sends one shard, not all. inPlace (and no old shards):
// s's elements are reordered shard by shard and each shard holds its part of
// them (s is not to be used after); otherwise the shards hold copies and s is
// unchanged.
func (s *Set) shards(old map[string]*Set, inPlace bool) (out []*Set, chains []*Chain) {
	if len(s.Elems) <= shardOver || s.ports != [2]*Set{} || s.portSide > 0 {
		return nil, nil
	}
	fm := famOf(s.Family)
	n := int(fm.alen)
	var best, order []int
	bestF, bestOff, bestMax := -1, 0, 0
	off := 0
	for f := fSrc; f <= fDst; f++ {
		if !s.shape.has[f] {
			continue
		}
		if cuts, o, most := s.cuts(off, n); len(cuts) > 0 && (bestF < 0 || most < bestMax) {
			best, order, bestF, bestOff, bestMax = cuts, o, f, off, most
		}
		off += n
	}
	if bestF < 0 {
		return nil, nil
	}
	// shard j holds the elements order[best[j-1]:best[j]] (best[-1] = 0)
	starts := append([]int{0}, best...)
	ends := append(best[:len(best):len(best)], len(order))
	d := &Set{Name: s.Name + "_d", Kind: SetRun, Family: s.Family, shape: dispatchShape, list: s.list, run: s.run,
		part: shardDispatch, Elems: make([]Elem, 0, len(starts))}
	out = append(out, d)
	zero, ones := make([]byte, n), bytes.Repeat([]byte{0xff}, n)
	firsts := make([][]byte, len(starts)) // each shard's first value (its keys' bytes, which stay where they are)
	for j := range starts {
		firsts[j] = s.fieldLo(order[starts[j]], bestOff, n)
	}
	// Not in place when shards of the run it was made again from may keep
	// their elements: one new shard would then keep the whole new array, and
	// each later change another.
	inPlace = inPlace && old == nil
	var parts [][]Elem
	if inPlace {
		parts = s.permute(order, starts, ends)
		shardedInPlace.Add(1)
	}
	for j := range starts {
		lo := zero
		if j > 0 {
			lo = firsts[j]
		}
		hi := ones
		if j+1 < len(starts) {
			hi = prevAddr(firsts[j+1])
		}
		sh := &Set{Name: s.Name + "_" + hex.EncodeToString(lo), Kind: SetRun, Family: s.Family, shape: s.shape,
			list: s.list, run: s.run, part: shardPiece}
		if inPlace {
			sh.Elems = parts[j]
		} else {
			idx := slices.Clone(order[starts[j]:ends[j]])
			slices.Sort(idx)
			sh.Elems = make([]Elem, len(idx))
			for k, i := range idx {
				sh.Elems[k] = s.Elems[i]
			}
		}
		if o := old[sh.Name]; o != nil && sameElems(o.Elems, sh.Elems) {
			sh.Elems = o.Elems
		}
		out = append(out, sh)
		chains = append(chains, &Chain{Name: sh.Name, Rules: []*Rule{sh.rule()}})
		e := Elem{Line: sh.Name, Chain: sh.Name}
		if bestF == fSrc {
			e.Key, e.End = append(slices.Clone(lo), zero...), append(slices.Clone(hi), ones...)
		} else {
			e.Key, e.End = append(slices.Clone(zero), lo...), append(slices.Clone(ones), hi...)
		}
		d.Elems = append(d.Elems, e)
	}
	return out, chains
}

// shardedInPlace counts the maps split into shards in place, for tests.
var shardedInPlace atomic.Int64

// permute reorders s's elements so that shard j's (order[starts[j]:ends[j]],
// in their order in s) come together, shard after shard, and returns each
// shard's part: a slice of s's array, capped at its end.
func (s *Set) permute(order, starts, ends []int) [][]Elem {
	to := make([]int32, len(s.Elems)) // where each element goes
	parts := make([][]Elem, len(starts))
	at := 0
	for j := range starts {
		idx := slices.Clone(order[starts[j]:ends[j]])
		slices.Sort(idx)
		for _, i := range idx {
			to[i] = int32(at)
			at++
		}
	}
	// Cycle by cycle: the element at i goes to to[i]; an element put in place
	// is marked by to[i] = i.
	for i := range to {
		for int(to[i]) != i {
			k := to[i]
			s.Elems[i], s.Elems[k] = s.Elems[k], s.Elems[i]
			to[i], to[k] = to[k], k
		}
	}
	at = 0
	for j := range starts {
		n := ends[j] - starts[j]
		parts[j] = s.Elems[at : at+n : at+n]
		at += n
	}
	return parts
}

// sameElems reports whether a and b are the same elements, in order.
func sameElems(a, b []Elem) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := &a[i], &b[i]
		if x.Line != y.Line || x.Act != y.Act || x.Count != y.Count || x.Chain != y.Chain || x.Addr != y.Addr ||
			!bytes.Equal(x.Key, y.Key) || !bytes.Equal(x.End, y.End) {
			return false
		}
	}
	return true
}

// fieldLo is the first value of the address field at off (n bytes) of element i.
func (s *Set) fieldLo(i, off, n int) []byte { return s.Elems[i].Key[off : off+n] }

// fieldHi is its last value.
func (s *Set) fieldHi(i, off, n int) []byte {
	if e := s.Elems[i]; e.End != nil {
		return e.End[off : off+n]
	}
	return s.Elems[i].Key[off : off+n]
}

// cuts returns where the shards of s by the address field at off (n bytes)
// start, as positions in order (the elements' indexes by the field's first
// value, then index), none if s stays whole, and the most elements a shard
// holds.
func (s *Set) cuts(off, n int) (cuts, order []int, most int) {
	order = make([]int, len(s.Elems))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return bytes.Compare(s.fieldLo(a, off, n), s.fieldLo(b, off, n)) })
	var reach []byte // the highest value an element so far reaches
	start := 0
	h := fnv.New32a()
	for k, i := range order {
		lo := s.fieldLo(i, off, n)
		if k > 0 && bytes.Compare(reach, lo) < 0 {
			// lo is a new value no element before reaches: a shard may start
			h.Reset()
			h.Write(lo)
			if h.Sum32()%uint32(shardEvery) == 0 || k-start >= shardMax {
				cuts = append(cuts, k)
				most = max(most, k-start)
				start = k
			}
		}
		if hi := s.fieldHi(i, off, n); reach == nil || bytes.Compare(hi, reach) > 0 {
			reach = hi
		}
	}
	most = max(most, len(order)-start)
	return cuts, order, most
}

// prevAddr returns the address before a (a is not all zeros).
func prevAddr(a []byte) []byte {
	b := slices.Clone(a)
	for i := len(b) - 1; i >= 0; i-- {
		b[i]--
		if b[i] != 0xff {
			break
		}
	}
	return b
}
