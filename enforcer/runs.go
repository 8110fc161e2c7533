package enforcer

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"

	"github.com/aclsh/aclsh/acl"
)

// Runs of lines compiled into sets.
//
// A run is a maximal sequence of consecutive lines of a list (remarks skipped),
// each of which a set element can express, whatever their actions. Its lines
// are put in layers: a line goes one layer past the highest layer of the
// earlier lines of the run it overlaps (layer 0 if none), so no two lines of a
// layer overlap, and of two lines that do, the earlier is in a lower layer. A
// line that would need more than MaxLayers layers starts the next run. A run of
// at least MinRun lines compiles to one rule per layer and key shape its lines
// have (addresses; addresses and protocol; addresses, protocol and ports for tcp
// and udp lines), layer by layer, each looking the packet up in a verdict map
// holding one element per line (a few for a line with a port list or neq
// ports), instead of one rule per line; each element carries its line's
// verdict:
//
//	ip saddr . ip daddr . meta l4proto . th sport . th dport vmap @run_ID
//	ip saddr . ip daddr vmap @run_ID2
//
// Because no two elements of a layer overlap, a packet matches at most one line
// of each layer. The first line L that matches a packet is in a lower layer than
// every later line that matches it (they overlap L), and no earlier line matches
// it: so the first layer where the packet finds an element is L's, and the
// element is L's, whatever the order the maps of a layer are searched in. The
// packet gets L's verdict. An exception carved out of a later, wider line (`deny
// tcp host H any eq 22` before `permit tcp H's /24 any`) is one more layer, not
// the end of the run: lists of exceptions cost a packet a few lookups whatever
// their length. The kernel never holds overlapping elements in one map (it does
// not refuse all of them). Each element carries its own counter and its line's
// key as comment: the line's matches are its elements' counters. The verdict of
// an element is not read back (the library does not decode it): the line's key,
// a hash of its body, action included, says it.
//
// Lines that stay rules (and end a run): connlimit, log, established,
// non-contiguous wildcard lines, lines naming an ICMP type, a TTL or fragments.
//
// A line with several ports (`eq 22 443 830`) is one element per port (per
// pair of ports with lists on both sides), all carrying the line's key and
// counter; `neq` with several ports is the ranges between them.

// MinRun is the fewest lines a run compiles into a set; shorter runs stay one
// rule per line.
const MinRun = 4

// MaxLayers is the most layers a run has: the lookups a packet that no line of
// the run matches makes, per key shape. A line that would need one more starts
// the next run.
const MaxLayers = 4

// maxProbe bounds the earlier elements of a run the overlap check compares a
// line's element with (those sharing its source or destination prefix, or
// containing or contained in it); past it the line is taken to overlap them all
// (it goes one layer past the highest), so compiling stays linear.
const maxProbe = 256

// shape is the key of a run's set: which of the fields (source, destination,
// protocol, source port, destination port) it holds, and whether its elements
// are ranges (an interval set: a prefix, a port range; looked up in time growing
// with the set's size) or values (a hash set, for lines that match each field
// exactly or not at all; looked up in constant time).
type shape struct {
	interval bool
	has      [nField]bool
}

const (
	fSrc = iota
	fDst
	fProto
	fSport
	fDport
	nField
)

// shapes are the shapes, made once: index interval<<5 | field bits.
var shapes = func() (out [64]*shape) {
	for i := range out {
		sh := &shape{interval: i&32 != 0}
		for f := range nField {
			sh.has[f] = i&(1<<f) != 0
		}
		out[i] = sh
	}
	return out
}()

// shapeOf returns the shape of line r (setable): a hash set keyed by the fields
// it matches when it matches each exactly (a host, a protocol, eq ports) or not
// at all, else an interval set of addresses, then the protocol for lines naming
// one, then the ports for tcp and udp lines.
func shapeOf(r acl.Rule) *shape {
	ports := r.Proto.HasPorts() && !crossPorts(r)
	exact := r.Src.Kind != acl.AddrPrefix && r.Dst.Kind != acl.AddrPrefix &&
		(!ports || (r.SrcPort.Op == acl.PortAny || r.SrcPort.Op == acl.PortEq) && (r.DstPort.Op == acl.PortAny || r.DstPort.Op == acl.PortEq))
	i := 0
	if exact {
		for f, on := range []bool{r.Src.Kind == acl.AddrHost, r.Dst.Kind == acl.AddrHost, r.Proto.Set,
			ports && r.SrcPort.Op == acl.PortEq, ports && r.DstPort.Op == acl.PortEq} {
			if on {
				i |= 1 << f
			}
		}
	}
	if i == 0 { // ranges, or a line matching every packet
		i = 32 | 1<<fSrc | 1<<fDst
		if r.Proto.Set {
			i |= 1 << fProto
		}
		if ports {
			i |= 1<<fSport | 1<<fDport
		}
	}
	return shapes[i]
}

// crossPorts reports whether line r has several port ranges on both sides (`eq
// 22 443` and `neq 80`, ...): their cross product would be elements enough to
// grow with the square of what was typed (10 x 10 ports: 100). Such a line's
// element in the run's verdict map has no ports in its key (addresses and
// protocol); its source ports and its destination ports are elements of two
// sets of ports of their own (that key and a port), looked up first by the same
// rule:
//
//	ip saddr . meta l4proto . th sport @run_IDsp ip saddr . meta l4proto . th dport @run_IDdp ip saddr . meta l4proto vmap @run_ID
//
// so it is as many elements as ports were typed, plus one. Since the element
// covers every port of its addresses, no other line of its layer overlaps it
// there: the addresses say which line's ports the packet's must be. A packet
// whose ports are not the line's finds no element and goes on to the next
// lookups, as from a rule that did not match; the verdict map's element counts
// the packets the line matched.
func crossPorts(r acl.Rule) bool {
	return r.Proto.HasPorts() && len(portRanges(r.SrcPort)) > 1 && len(portRanges(r.DstPort)) > 1
}

// portShape is the shape of the set of ports on side f (fSport, fDport) of a
// line r (crossPorts) whose element has shape sh: sh's fields and the port; an
// interval set if sh is or the ports are ranges.
func portShape(sh *shape, r acl.Rule, f int) *shape {
	i := 1 << f
	for g := range nField {
		if sh.has[g] {
			i |= 1 << g
		}
	}
	p := r.SrcPort
	if f == fDport {
		p = r.DstPort
	}
	interval := sh.interval
	for _, pr := range portRanges(p) {
		interval = interval || pr[0] != pr[1]
	}
	if interval {
		i |= 32
	}
	return shapes[i]
}

// portSuffix names the sets of ports of a run's verdict map: its name and this.
var portSuffix = [2]string{"sp", "dp"}

// setable reports whether line r can be an element of a run's set.
func setable(r acl.Rule) bool {
	return !r.IsRemark() && r.ConnLimit == 0 && !r.Log && !r.Established && !r.ICMP.Set && r.TTL.Op == acl.PortAny && !r.Fragments &&
		r.Src.Kind != acl.AddrWildcard && r.Dst.Kind != acl.AddrWildcard
}

// fields returns the key's field types.
func (sh *shape) fields(fm *fam) []nftables.SetDatatype {
	all := [nField]nftables.SetDatatype{fm.key, fm.key, nftables.TypeInetProto, nftables.TypeInetService, nftables.TypeInetService}
	var ts []nftables.SetDatatype
	for f := range nField {
		if sh.has[f] {
			ts = append(ts, all[f])
		}
	}
	return ts
}

// concat reports whether the key has more than one field.
func (sh *shape) concat() bool {
	n := 0
	for _, on := range sh.has {
		if on {
			n++
		}
	}
	return n > 1
}

// keyType is the set's key type (fields padded to 4 bytes).
func (sh *shape) keyType(fm *fam) nftables.SetDatatype {
	ts := sh.fields(fm)
	if len(ts) == 1 {
		return ts[0]
	}
	return nftables.MustConcatSetType(ts...)
}

// sig tells the sets of a shape from others: their key type and kind.
func (sh *shape) sig(fm *fam) string {
	return runSig(sh.typeText(fm), sh.interval, true)
}

// runSig is the signature of a run set's key: its type, whether it is an
// interval set, whether a verdict map (aclsh before verdict maps made sets).
func runSig(typ string, interval, vmap bool) string {
	return fmt.Sprintf("%s interval=%v map=%v", typ, interval, vmap)
}

func (sh *shape) typeText(fm *fam) string {
	var names []string
	for _, t := range sh.fields(fm) {
		names = append(names, t.Name)
	}
	return strings.Join(names, " . ")
}

// reg32 is the register nft names for the 32-bit word k of the registers: a
// 16-byte register where one starts (NFT_REG_1...), else NFT_REG32_00 + k. The
// kernel lists registers the same way, so the rule reads back as sent.
func reg32(k uint32) uint32 {
	if k%4 == 0 {
		return 1 + k/4
	}
	return 8 + k
}

// lookup returns the expressions and text loading the key of a packet and looking
// it up in set name, as nft compiles `ip saddr . ip daddr . meta l4proto . th
// sport . th dport @name` (with vmap, `... vmap @name`). dep says to check the
// family first (nft's dependency of an ip or ip6 payload, once in a rule).
func (sh *shape) lookup(fm *fam, name string, vmap, dep bool) ([]expr.Any, string) {
	var ex []expr.Any
	if dep && (sh.has[fSrc] || sh.has[fDst]) {
		ex = append(ex, metaLoad(expr.MetaKeyNFPROTO), cmp(expr.CmpOpEq, []byte{fm.nfproto}))
	}
	var words []string
	k := uint32(0)
	for f := range nField {
		if !sh.has[f] {
			continue
		}
		switch f {
		case fSrc, fDst:
			off, w := fm.src, "saddr"
			if f == fDst {
				off, w = fm.dst, "daddr"
			}
			ex = append(ex, &expr.Payload{DestRegister: reg32(k), Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: fm.alen})
			words = append(words, fm.name+" "+w)
			k += fm.alen / 4
		case fProto:
			// nft follows this with a byteorder of no effect (hton of one byte
			// in units of two), which the library cannot read back: left out.
			ex = append(ex, &expr.Meta{Key: expr.MetaKeyL4PROTO, Register: reg32(k)})
			words = append(words, "meta l4proto")
			k++
		case fSport, fDport:
			off, w := uint32(0), "th sport"
			if f == fDport {
				off, w = 2, "th dport"
			}
			ex = append(ex, &expr.Payload{DestRegister: reg32(k), Base: expr.PayloadBaseTransportHeader, Offset: off, Len: 2})
			words = append(words, w)
			k++
		}
	}
	if !vmap {
		ex = append(ex, &expr.Lookup{SourceRegister: 1, SetName: name})
		return ex, strings.Join(words, " . ") + " @" + name
	}
	ex = append(ex, &expr.Lookup{SourceRegister: 1, SetName: name, IsDestRegSet: true})
	return ex, strings.Join(words, " . ") + " vmap @" + name
}

// box is what one element of a run's set matches: two prefixes, a protocol
// range, two port ranges. It holds no pointer (pkey), so that a run index's
// million boxes are not the collector's to scan.
type box struct {
	src, dst pkey
	p0, p1   uint8
	sp, dp   [2]uint16
}

func (a *box) overlaps(b *box) bool {
	return a.src.overlaps(b.src) && a.dst.overlaps(b.dst) && a.p0 <= b.p1 && b.p0 <= a.p1 &&
		a.sp[0] <= b.sp[1] && b.sp[0] <= a.sp[1] && a.dp[0] <= b.dp[1] && b.dp[0] <= a.dp[1]
}

// boxesTo appends to out the elements line r (setable) compiles to in family
// fm: one, or with neq ports one per interval on either side of the port.
func boxesTo(out []box, fm *fam, r acl.Rule) []box {
	b := box{src: pkeyOf(prefixOf(fm, r.Src)), dst: pkeyOf(prefixOf(fm, r.Dst)), p0: 0, p1: 255, sp: [2]uint16{0, 65535}, dp: [2]uint16{0, 65535}}
	if r.Proto.Set {
		b.p0, b.p1 = r.Proto.Num, r.Proto.Num
	}
	if !r.Proto.HasPorts() || crossPorts(r) {
		return append(out, b)
	}
	for _, sp := range portRanges(r.SrcPort) {
		for _, dp := range portRanges(r.DstPort) {
			c := b
			c.sp, c.dp = sp, dp
			out = append(out, c)
		}
	}
	return out
}

func prefixOf(fm *fam, a acl.Address) netip.Prefix {
	switch a.Kind {
	case acl.AddrHost:
		return netip.PrefixFrom(a.Addr, a.Addr.BitLen())
	case acl.AddrPrefix:
		return netip.PrefixFrom(a.Addr, int(a.Bits))
	}
	if fm.f == acl.IPv6 {
		return netip.PrefixFrom(netip.IPv6Unspecified(), 0)
	}
	return netip.PrefixFrom(netip.IPv4Unspecified(), 0)
}

// portRanges returns the intervals a port match allows, disjoint.
func portRanges(p acl.PortMatch) [][2]uint16 {
	switch {
	case p.Op == acl.PortEq:
		var out [][2]uint16
		for _, x := range p.Ports() {
			out = append(out, [2]uint16{x, x})
		}
		return out
	case p.Op == acl.PortNeq && p.NMore > 0:
		// the ranges around the ports (ascending)
		var out [][2]uint16
		next := 0 // the lowest port not yet covered
		for _, x := range p.Ports() {
			if int(x) > next {
				out = append(out, [2]uint16{uint16(next), x - 1})
			}
			next = int(x) + 1
		}
		if next <= 65535 {
			out = append(out, [2]uint16{uint16(next), 65535})
		}
		return out
	}
	switch p.Op {
	case acl.PortLt:
		return [][2]uint16{{0, p.Lo - 1}}
	case acl.PortGt:
		return [][2]uint16{{p.Lo + 1, 65535}}
	case acl.PortRange:
		return [][2]uint16{{p.Lo, p.Hi}}
	case acl.PortNeq:
		var out [][2]uint16
		if p.Lo > 0 {
			out = append(out, [2]uint16{0, p.Lo - 1})
		}
		if p.Lo < 65535 {
			out = append(out, [2]uint16{p.Lo + 1, 65535})
		}
		return out
	}
	return [][2]uint16{{0, 65535}}
}

// key returns the element's key and, for an interval set, its key end, as the
// set stores them.
func (b *box) key(sh *shape) (key, end []byte) { return b.keyTo(nil, sh) }

// maxKey is the longest key of a run's set: two addresses, a protocol and two
// ports, each padded to 4 bytes.
const maxKey = 16 + 16 + 4 + 4 + 4

// keyTo is key, made in arena a (nil: allocated).
func (b *box) keyTo(a *lineArena, sh *shape) (key, end []byte) {
	if a == nil {
		return b.keyIn(nil, nil, sh)
	}
	a.sk, a.se = b.keyIn(a.sk[:0], a.se[:0], sh)
	k := append(a.key(len(a.sk)), a.sk...)
	if a.se == nil {
		return k, nil
	}
	return k, append(a.key(len(a.se)), a.se...)
}

// keyIn appends key and end (see key) to key and end.
func (b *box) keyIn(key, end []byte, sh *shape) ([]byte, []byte) {
	// a concatenation pads its fields to 4 bytes; a single field is as long as
	// its type
	pad := []byte{0, 0, 0}
	if !sh.concat() {
		pad = nil
	}
	for f := range nField {
		if !sh.has[f] {
			continue
		}
		switch f {
		case fSrc, fDst:
			p := b.dim(f).prefix()
			key = appendAddr(key, p.Addr())
			if sh.interval {
				end = appendAddr(end, lastOf(p))
			}
		case fProto:
			key = append(append(key, b.p0), pad...)
			if sh.interval {
				end = append(append(end, b.p1), pad...)
			}
		case fSport, fDport:
			r := b.sp
			if f == fDport {
				r = b.dp
			}
			key = append(binary.BigEndian.AppendUint16(key, r[0]), pad[:len(pad)/3*2]...)
			if sh.interval {
				end = append(binary.BigEndian.AppendUint16(end, r[1]), pad[:len(pad)/3*2]...)
			}
		}
	}
	if !sh.interval {
		end = nil
	}
	return key[:len(key):len(key)], end[:len(end):len(end)]
}

// appendAddr appends a's 4 or 16 bytes.
func appendAddr(b []byte, a netip.Addr) []byte {
	if a.Is4() {
		v := a.As4()
		return append(b, v[:]...)
	}
	v := a.As16()
	return append(b, v[:]...)
}

// lastOf returns the last address of prefix p.
func lastOf(p netip.Prefix) netip.Addr {
	v := p.Addr().As16()
	from := p.Bits()
	if p.Addr().Is4() {
		from += 96
	}
	for i := from; i < 128; i++ {
		v[i/8] |= 0x80 >> (i % 8)
	}
	if p.Addr().Is4() {
		return netip.AddrFrom16(v).Unmap()
	}
	return netip.AddrFrom16(v)
}

// sig is the signature of a run set's key (see runSig).
func (s *Set) sig() string {
	return runSig(s.shape.typeText(famOf(s.Family)), s.shape.interval, s.portSide == 0)
}

// keyText renders an element's key (to end, for an interval set) in nft syntax:
// each field a value, a prefix or a range.
func keyText(fm *fam, sh *shape, key, end []byte) string {
	if end == nil {
		end = key
	}
	var fs []string
	num := func(lo, hi int) string {
		if lo == hi {
			return fmt.Sprint(lo)
		}
		return fmt.Sprintf("%d-%d", lo, hi)
	}
	o := 0
	for f := range nField {
		if !sh.has[f] {
			continue
		}
		switch f {
		case fSrc, fDst:
			n := int(fm.alen)
			a, _ := netip.AddrFromSlice(key[o : o+n])
			z, _ := netip.AddrFromSlice(end[o : o+n])
			fs = append(fs, addrRange(a, z))
			o += n
		case fProto:
			fs = append(fs, num(int(key[o]), int(end[o])))
			o += 4
		case fSport, fDport:
			fs = append(fs, num(int(binary.BigEndian.Uint16(key[o:])), int(binary.BigEndian.Uint16(end[o:]))))
			o += 4
		}
		if !sh.concat() {
			break
		}
	}
	return strings.Join(fs, " . ")
}

// addrRange renders the addresses from a to z: an address, a prefix or a range.
func addrRange(a, z netip.Addr) string {
	if a == z {
		return a.String()
	}
	for bits := a.BitLen() - 1; bits >= 0; bits-- {
		p := netip.PrefixFrom(a, bits)
		if p.Masked().Addr() != a {
			break
		}
		if lastOf(p) == z {
			return p.String()
		}
	}
	return a.String() + "-" + z.String()
}

// runIndex finds, among the elements of a run so far, those a new element
// overlaps, through its source and destination prefixes. Each prefix heads a
// chain of the elements filed under it (nodes): a million-line blocklist makes
// a million one-element lists, which as slices cost an allocation each and
// as map values a pointer each for the collector to follow.
type runIndex struct {
	lens  [2][]int // the prefix lengths the list uses, per dimension
	exact [2]map[pkey]chain
	desc  [2]map[pkey]chain // by each shorter prefix (of lens) containing it
	nodes []node
	boxes []box
	layer []int32 // of each box
	top   int     // the highest layer (-1: none)
	cand  [2][]chain
	// What sizing it ahead goes by (expect): the lines that may join the run
	// (nil: no more sizing), how many elements it held then, how many of
	// those lines could join (-1: not counted yet), the size that is sized
	// again at, and whether a dimension's prefixes are all different.
	next   []acl.Rule
	base   int
	bound  int
	sizeAt int
	spread [2]bool
}

// pkey is a prefix as a box and a map key hold it: netip.Prefix holds a
// pointer (its zone), which the collector would follow in every key and box.
// It is the address's 16 bytes (an IPv4 address mapped), the prefix length in
// its family's bits, and whether it is IPv4.
type pkey struct {
	a    [16]byte
	bits int16
	v4   bool
}

func pkeyOf(p netip.Prefix) pkey { return pkey{p.Addr().As16(), int16(p.Bits()), p.Addr().Is4()} }

// prefix returns k as a netip.Prefix.
func (k pkey) prefix() netip.Prefix {
	a := netip.AddrFrom16(k.a)
	if k.v4 {
		a = a.Unmap()
	}
	return netip.PrefixFrom(a, int(k.bits))
}

// masked returns k's first l bits (l <= k.bits) as a prefix of length l, as
// netip.Addr.Prefix does.
func (k pkey) masked(l int) pkey {
	n := l // bits of k.a kept
	if k.v4 {
		n += 96
	}
	out := k
	out.bits = int16(l)
	for i := n / 8; i < 16; i++ {
		if r := n - 8*i; r > 0 {
			out.a[i] &= ^byte(0xff >> r)
		} else {
			out.a[i] = 0
		}
	}
	return out
}

// overlaps reports whether k and o hold an address in common, as
// netip.Prefix.Overlaps does.
func (k pkey) overlaps(o pkey) bool {
	if k.v4 != o.v4 {
		return false
	}
	l := int(min(k.bits, o.bits))
	return k.masked(l).a == o.masked(l).a
}

// chain is the elements filed under a prefix: the last node added (its index
// plus one; 0: none), and how many.
type chain struct{ head, n int32 }

// node is an element in a chain, and the node before it in the chain (its
// index plus one; 0: none).
type node struct{ elem, next int32 }

func newRunIndex(lens [2][]int) *runIndex {
	x := &runIndex{lens: lens, top: -1}
	for d := range 2 {
		x.exact[d] = map[pkey]chain{}
		x.desc[d] = map[pkey]chain{}
	}
	return x
}

// sizeAfter is how many elements a run's index holds before it is sized
// ahead: most runs are short, and sizing each for every line that could follow
// would cost a list of short runs quadratic time.
const sizeAfter = 4096

// expect tells x that the lines from rs[0] on may join the run (see
// runBound). Once it holds sizeAfter elements, and again each time it fills
// what it was sized for, its arrays and maps are made four times that size
// (at most what those lines need) at once, rather than grown step by step: a
// million-entry map is rehashed about ten times as it grows by itself, and
// each append past a large slice's capacity copies it. A run that ends early
// (MaxLayers) has reserved at most four times what it held.
func (x *runIndex) expect(rs []acl.Rule) {
	x.next, x.base, x.bound, x.sizeAt = rs, len(x.boxes), -1, max(sizeAfter, len(x.boxes)+1)
}

// size makes x's arrays and maps room for up to three times the elements it
// holds more, as far as the lines expected go.
func (x *runIndex) size() {
	if x.bound < 0 {
		x.bound = runBound(x.next)
		for d := range 2 {
			x.spread[d] = spread(x.next[:x.bound], d)
		}
	}
	held := len(x.boxes)
	more := min(x.bound-(held-x.base), 3*held) // lines, about an element each
	if more <= 0 {
		x.next = nil
		return
	}
	x.sizeAt = held + more
	x.boxes = slices.Grow(x.boxes, more)
	x.layer = slices.Grow(x.layer, more)
	per := (len(x.nodes) + held - 1) / held // nodes per element so far
	x.nodes = slices.Grow(x.nodes, per*more)
	for d := range 2 {
		if x.spread[d] {
			m := make(map[pkey]chain, len(x.exact[d])+more)
			maps.Copy(m, x.exact[d])
			x.exact[d] = m
		}
	}
}

// spread guesses whether the lines rs (those that may join a run) have a
// different prefix each in dimension d, from the first of them: a blocklist's
// sources do, its destination does not.
func spread(rs []acl.Rule, d int) bool {
	const sample = 64
	if len(rs) < sample {
		return false
	}
	seen := make(map[acl.Address]bool, sample)
	for _, r := range rs[:sample] {
		if d == 0 {
			seen[r.Src] = true
		} else {
			seen[r.Dst] = true
		}
	}
	return len(seen) == sample
}

// dim returns the source (0) or destination (1) prefix.
func (b *box) dim(d int) pkey {
	if d == 0 {
		return b.src
	}
	return b.dst
}

// candidates returns the chains of elements whose prefix in dimension d
// overlaps b's, and how many they hold together. The slice is reused by the
// next call for d.
func (x *runIndex) candidates(b *box, d int) (lists []chain, n int) {
	p := b.dim(d)
	lists = x.cand[d][:0]
	for _, l := range x.lens[d] {
		if l > int(p.bits) {
			break
		}
		if v := x.exact[d][p.masked(l)]; v.n > 0 {
			lists = append(lists, v)
			n += int(v.n)
		}
	}
	if v := x.desc[d][p]; v.n > 0 {
		lists = append(lists, v)
		n += int(v.n)
	}
	x.cand[d] = lists
	return lists, n
}

// layerOf returns the layer a line compiling to elements bs goes to: one past
// the highest layer of the run's elements it overlaps, 0 if none; past maxProbe
// comparisons, one past the highest layer so far.
func (x *runIndex) layerOf(bs []box) int {
	l := 0
	for i := range bs {
		b := &bs[i]
		l0, n0 := x.candidates(b, 0)
		l1, n1 := x.candidates(b, 1)
		lists, n := l0, n0
		if n1 < n0 {
			lists, n = l1, n1
		}
		if n > maxProbe {
			return x.top + 1
		}
		for _, v := range lists {
			for k := v.head; k != 0; k = x.nodes[k-1].next {
				j := x.nodes[k-1].elem
				if int(x.layer[j]) >= l && x.boxes[j].overlaps(b) {
					l = int(x.layer[j]) + 1
				}
			}
		}
	}
	return l
}

// file adds element j to the chain of prefix k in m.
func (x *runIndex) file(m map[pkey]chain, k pkey, j int32) {
	c := m[k]
	x.nodes = append(x.nodes, node{elem: j, next: c.head})
	m[k] = chain{head: int32(len(x.nodes)), n: c.n + 1}
}

// add adds a line's elements bs in layer l.
func (x *runIndex) add(bs []box, l int) {
	x.top = max(x.top, l)
	if x.next != nil && len(x.boxes) >= x.sizeAt {
		x.size()
	}
	for i := range bs {
		j := int32(len(x.boxes))
		x.boxes = append(x.boxes, bs[i])
		x.layer = append(x.layer, int32(l))
		for d := range 2 {
			p := bs[i].dim(d)
			x.file(x.exact[d], p, j)
			for _, l := range x.lens[d] {
				if l >= int(p.bits) {
					break
				}
				x.file(x.desc[d], p.masked(l), j)
			}
		}
	}
}

// runLine is what a line of a run compiles to; the Compiler keeps it for the
// next compile (it depends only on the line). Its elements are made again
// where a map is made (appendElems): kept here too, a million-line blocklist's
// would be a third copy of them.
type runLine struct {
	// r is the line, in the entries it was compiled from: a Snapshot of the
	// list, which never changes (or the copy of it without remarks).
	r    *acl.Rule
	fm   *fam
	line string // the key its elements carry: "list/ID"
	id   string // lineID, line's end
	sh   *shape
	n    int // how many elements it compiles to
	// for a line with port lists on both sides (crossPorts): the shapes and
	// elements of its source and destination ports
	ports *runPorts
}

type runPorts struct {
	sh    [2]*shape
	elems [2][]Elem
}

// portSh returns the shapes of rl's sets of ports (none: nil).
func (rl *runLine) portSh() [2]*shape {
	if rl.ports == nil {
		return [2]*shape{}
	}
	return rl.ports.sh
}

// boxes returns the elements rl compiles to, in buf.
func (rl *runLine) boxes(buf []box) []box { return boxesTo(buf[:0], rl.fm, *rl.r) }

// appendElems appends rl's elements to out, their keys made in a.
func (rl *runLine) appendElems(out []Elem, a *lineArena) []Elem {
	a.sbox = rl.boxes(a.sbox)
	count := Line(rl.line[:len(rl.line)-len(rl.id)-1], rl.r.Seq)
	for _, b := range a.sbox {
		k, e := b.keyTo(a, rl.sh)
		out = append(out, Elem{Key: k, End: e, Line: rl.line, Count: count, Act: rl.r.Action})
	}
	return out
}

// lineArena hands out what a compile's new run lines are made of, a block at a
// time: a million-line list otherwise makes about ten small objects a line.
// Each piece is cut to its length, so an append to it never reaches the next.
type lineArena struct {
	rls   []runLine
	bytes []byte
	buf   []byte // what a line's ID is hashed from
	sbox  []box  // a line's boxes, while its elements are made
	sk    []byte // an element's key and end, while they are made
	se    []byte
}

// lineName returns "list/ID", the key of line r of list (lineID), in one
// allocation.
func (a *lineArena) lineName(f acl.Family, list string, r *acl.Rule) string {
	a.buf = append(append(append(append(a.buf[:0], f.Name()...), 0), list...), 0)
	a.buf = r.AppendBody(a.buf, f)
	h := sha256.Sum256(a.buf)
	var id [10]byte
	hex.Encode(id[:], h[:5])
	var sb strings.Builder
	sb.Grow(len(list) + 1 + len(id))
	sb.WriteString(list)
	sb.WriteByte('/')
	sb.Write(id[:])
	return sb.String()
}

// arenaBlock is the most run lines a block holds; the first block holds 16
// and each next one twice the last, so a compile that makes a few lines
// keeps a few lines' memory (a block lives while any line of it does).
const arenaBlock = 1024

func (a *lineArena) line() *runLine {
	if len(a.rls) == cap(a.rls) {
		a.rls = make([]runLine, 0, min(max(2*cap(a.rls), 16), arenaBlock))
	}
	a.rls = a.rls[:len(a.rls)+1]
	return &a.rls[len(a.rls)-1]
}

// key returns room for a key of up to n bytes, from blocks that grow as the
// lines' blocks do (256 bytes, twice the last, at most 16 KB).
func (a *lineArena) key(n int) []byte {
	if cap(a.bytes)-len(a.bytes) < n {
		a.bytes = make([]byte, 0, max(n, min(max(2*cap(a.bytes), 256), 16*arenaBlock)))
	}
	i := len(a.bytes)
	a.bytes = a.bytes[:i+n]
	return a.bytes[i : i : i+n]
}

// newRunLine compiles line r (in the entries compiled: see runLine.r) of list
// name in family fm, from arena a.
func newRunLine(fm *fam, name string, r *acl.Rule, a *lineArena) *runLine {
	rl := a.line()
	line := a.lineName(fm.f, name, r)
	*rl = runLine{r: r, fm: fm, line: line, id: line[len(name)+1:], sh: shapeOf(*r)}
	a.sbox = rl.boxes(a.sbox)
	rl.n = len(a.sbox)
	if crossPorts(*r) {
		b0 := a.sbox[0]
		rl.ports = &runPorts{}
		for i, f := range [2]int{fSport, fDport} {
			sh := portShape(rl.sh, *r, f)
			rl.ports.sh[i] = sh
			p := r.SrcPort
			if f == fDport {
				p = r.DstPort
			}
			for _, pr := range portRanges(p) {
				b := b0
				if f == fSport {
					b.sp = pr
				} else {
					b.dp = pr
				}
				k, e := b.key(sh)
				rl.ports.elems[i] = append(rl.ports.elems[i], Elem{Key: k, End: e, Line: line})
			}
		}
	}
	return rl
}

// runLen returns how many lines from rs[0] on form a run (0 if rs[0] cannot be
// in one), what they compile to, the layer of each and the index of the run's
// lines; line(j) gives what rs[j] compiles to.
func runLen(rs []acl.Rule, lens [2][]int, line func(int) *runLine) (int, []*runLine, []int, *runIndex) {
	if !setable(rs[0]) {
		return 0, nil, nil, nil
	}
	x := newRunIndex(lens)
	out, layers := grow(x, rs, 0, line)
	return len(out), out, layers, x
}

// grow adds to the run whose index is x the lines from rs[from] on that belong
// to it, and returns what they compile to and their layers; line(j) gives what
// rs[j] compiles to. The run's first from lines are in x already.
func grow(x *runIndex, rs []acl.Rule, from int, line func(int) *runLine) ([]*runLine, []int) {
	var out []*runLine
	var layers []int
	var bs []box
	x.expect(rs[from:])
	for j := from; j < len(rs); j++ {
		if !setable(rs[j]) {
			break
		}
		rl := line(j)
		bs = rl.boxes(bs)
		l := x.layerOf(bs)
		if l >= MaxLayers {
			break
		}
		x.add(bs, l)
		out = append(out, rl)
		layers = append(layers, l)
	}
	x.next = nil
	return out, layers
}

// runBound returns how many lines from rs[0] on could be in a run: those
// before the first that cannot. A long run's index is sized from it (a run can
// end sooner: MaxLayers).
func runBound(rs []acl.Rule) int {
	n := 0
	for _, r := range rs {
		if !setable(r) {
			break
		}
		n++
	}
	return n
}

// runOut is what a run of lines of list name compiles to: its sets, one per key
// shape its lines have, and the rules that look packets up in them (in any
// order: no packet matches two lines of a run). Each set is named after its
// first line (see keepRunNames for what keeps the name when that line changes).
// The Compiler keeps it while the run's lines stay; a plan holds copies of its
// sets (keepRunNames renames them), sharing their elements.
type runOut struct {
	rls []*runLine
	// maps are its verdict maps, in order; sets, rules and chains what they
	// compile to: the maps and their sets of ports, or for a long map its
	// dispatch map and shards (shard.go); a rule per map (rules[i] looks up
	// maps[i] or its dispatch map); the shards' chains.
	maps   []*Set
	sets   []*Set
	rules  []*Rule
	chains []*Chain
	// byLine maps the key of each line (its elements' Line) to the line, made
	// when first asked for.
	byLine map[string]*runLine
	f      acl.Family
	list   string

	// What lets the run grow by lines added behind it (see segment): the
	// layer of each line, its verdict maps by where they are, and, while the
	// run reaches the end of its list, its index (nil otherwise). grown says a
	// longer run took them over: the index then holds that run's lines, and
	// the maps' elements are shared with it (a run grows once).
	layers  []int
	byShape map[where]*Set
	x       *runIndex
	grown   bool
}

// stop says run ro grows no more: it drops its index, and the elements of its
// maps that were split into shards, which were kept only to grow by (the
// shards hold their own; a million-line blocklist's are 136 MB).
func (ro *runOut) stop() {
	ro.x = nil
	in := make(map[*Set]bool, len(ro.sets))
	for _, s := range ro.sets {
		in[s] = true
	}
	for _, s := range ro.maps {
		if !in[s] {
			s.Elems = nil
		}
	}
}

// where is where a line's elements go: the verdict map of its layer and shapes.
type where struct {
	l      int
	sh     *shape
	portSh [2]*shape
}

// shardInPlace is false in tests that compare shards made in place with
// copies (ShardCopies).
var shardInPlace = true

// newRunOut makes the run of lines rls (in layers). grows: it may grow by lines
// added behind it (it keeps its maps' elements in line order to grow by);
// otherwise a map split into shards gives them its own elements, reordered
// (a million-line blocklist's are 136 MB, and were held twice).
func newRunOut(fm *fam, name string, rls []*runLine, layers []int, prev []*Set, grows bool) *runOut {
	ro := &runOut{rls: rls, layers: layers, byShape: map[where]*Set{}, f: fm.f, list: name}
	n := map[where]int{}
	for i, rl := range rls {
		n[where{layers[i], rl.sh, rl.portSh()}] += rl.n
	}
	var sets []*Set // the verdict maps
	var a lineArena
	for i, rl := range rls {
		w := where{layers[i], rl.sh, rl.portSh()}
		s := ro.byShape[w]
		if s == nil {
			s = newRunSet(fm, name, ro, rl, n[w])
			ro.byShape[w] = s
			sets = append(sets, s)
		}
		s.addLine(rl, &a)
	}
	ro.order(sets, nil, prev, !grows && shardInPlace)
	return ro
}

// newRunSet is a verdict map of run ro for lines like rl (with its sets of
// ports), with room for n elements.
func newRunSet(fm *fam, name string, ro *runOut, rl *runLine, n int) *Set {
	// Room for a few more: a run that reaches the end of its list grows by
	// appending to these elements, and only while they stay in place does the
	// kernel's set still hold the first of them (kset.grownTo).
	s := &Set{Name: "run_" + rl.id, Kind: SetRun, Family: fm.f, shape: rl.sh, list: name,
		Elems: make([]Elem, 0, n+n/8+4), run: ro}
	for k, sh := range rl.portSh() {
		if sh != nil {
			s.ports[k] = &Set{Name: s.Name + portSuffix[k], Kind: SetRun, Family: fm.f, shape: sh, list: name,
				run: ro, portSide: k + 1}
		}
	}
	return s
}

// addLine adds line rl's elements to verdict map s and its sets of ports,
// their keys made in a.
func (s *Set) addLine(rl *runLine, a *lineArena) {
	s.Elems = rl.appendElems(s.Elems, a)
	if rl.ports == nil {
		return
	}
	for k := range rl.ports.elems {
		if s.ports[k] != nil {
			s.ports[k].Elems = append(s.ports[k].Elems, rl.ports.elems[k]...)
		}
	}
}

// order sets ro's sets and rules from its verdict maps sets (in the order of
// their first lines): layer by layer, each map after its sets of ports. rules
// holds the rule of a map already made (by the map), nil if none; prev are the
// sets of the run ro was made again from (nil: none): a shard with the same
// name and elements keeps its elements (shard.go). inPlace: the run grows no
// more, and its maps' shards take their elements from the maps (Set.shards).
func (ro *runOut) order(sets []*Set, rules map[*Set]*Rule, prev []*Set, inPlace bool) {
	layer := make(map[*Set]int, len(ro.byShape))
	for w, s := range ro.byShape {
		layer[s] = w.l
	}
	sort.SliceStable(sets, func(i, j int) bool { return layer[sets[i]] < layer[sets[j]] })
	ro.maps, ro.sets, ro.rules, ro.chains = sets, nil, nil, nil
	var old map[string]*Set
	for _, s := range prev {
		if s.part == shardPiece {
			if old == nil {
				old = map[string]*Set{}
			}
			old[s.Name] = s
		}
	}
	for _, s := range sets {
		if parts, chains := s.shards(old, inPlace); parts != nil {
			ro.sets = append(ro.sets, parts...)
			ro.chains = append(ro.chains, chains...)
			ro.rules = append(ro.rules, parts[0].rule())
			continue
		}
		ro.sets = append(ro.sets, s)
		for _, ps := range s.ports {
			if ps != nil {
				ro.sets = append(ro.sets, ps)
			}
		}
		r := rules[s]
		if r == nil {
			r = s.rule()
		}
		ro.rules = append(ro.rules, r)
	}
}

// grow returns run ro with lines rls (in layers) added at its end. The new run
// shares ro's lines and its maps' elements (appended to), so ro is grown only
// once: the caller checks grown.
func (ro *runOut) grow(fm *fam, name string, rls []*runLine, layers []int) *runOut {
	ro.grown = true
	nro := &runOut{rls: append(ro.rls, rls...), layers: append(ro.layers, layers...),
		byShape: make(map[where]*Set, len(ro.byShape)), f: fm.f, list: name}
	var sets []*Set // the verdict maps, in the order of their first lines
	rules := map[*Set]*Rule{}
	copyOf := map[*Set]*Set{}
	for r, s := range ro.maps {
		c := *s
		c.run = nro
		for k, ps := range s.ports {
			if ps != nil {
				cp := *ps
				cp.run = nro
				c.ports[k] = &cp
			}
		}
		copyOf[s] = &c
		rules[&c] = ro.rules[r]
		sets = append(sets, &c)
	}
	for w, s := range ro.byShape {
		nro.byShape[w] = copyOf[s]
	}
	var a lineArena
	for i, rl := range rls {
		w := where{layers[i], rl.sh, rl.portSh()}
		s := nro.byShape[w]
		if s == nil {
			s = newRunSet(fm, name, nro, rl, rl.n)
			nro.byShape[w] = s
			sets = append(sets, s)
		}
		s.addLine(rl, &a)
	}
	nro.order(sets, rules, ro.sets, false)
	return nro
}

// line returns the line whose elements carry key (an element's Line).
func (ro *runOut) line(key string) (lineKey, bool) {
	if ro.byLine == nil {
		ro.byLine = make(map[string]*runLine, len(ro.rls))
		for _, rl := range ro.rls {
			ro.byLine[rl.line] = rl
		}
	}
	rl, ok := ro.byLine[key]
	if !ok {
		return lineKey{}, false
	}
	return lineKey{ro.f, ro.list, *rl.r}, true
}

// rule is the rule that looks packets up in run map s (after its sets of ports,
// if it has them): the verdict is the element's.
func (s *Set) rule() *Rule {
	fm := famOf(s.Family)
	var ex []expr.Any
	var words []string
	for k, ps := range s.ports {
		if ps != nil {
			e, w := ps.shape.lookup(fm, s.Name+portSuffix[k], false, len(ex) == 0)
			ex, words = append(ex, e...), append(words, w)
		}
	}
	e, w := s.shape.lookup(fm, s.Name, true, len(ex) == 0)
	return newRule(s.list+"/"+s.Name, LineRef{}, strings.Join(append(words, w), " "), append(ex, e...)...)
}

// runDecl is the nft declaration of a run set, one element a line.
func (s *Set) runDecl() string {
	fm := famOf(s.Family)
	var b strings.Builder
	if s.portSide > 0 {
		fmt.Fprintf(&b, "set %s {\n\t\ttype %s", s.Name, s.shape.typeText(fm))
	} else {
		fmt.Fprintf(&b, "map %s {\n\t\ttype %s : verdict", s.Name, s.shape.typeText(fm))
	}
	if s.shape.interval {
		b.WriteString("\n\t\tflags interval")
	}
	if s.portSide == 0 {
		b.WriteString("\n\t\tcounter")
	}
	for i, e := range s.Elems {
		if i == 0 {
			b.WriteString("\n\t\telements = {")
		} else {
			b.WriteString(",")
		}
		b.WriteString("\n\t\t\t" + s.elemText(e, true))
	}
	if len(s.Elems) > 0 {
		b.WriteString(" }")
	}
	b.WriteString("\n\t}")
	return b.String()
}

// elemText renders an element of a run map, with its comment and verdict if
// asked.
func (s *Set) elemText(e Elem, full bool) string {
	t := keyText(famOf(s.Family), s.shape, e.Key, e.End)
	if full {
		t += fmt.Sprintf(" comment %q", e.Line)
		if s.portSide == 0 {
			t += " : " + e.verdictText()
		}
	}
	return t
}

// verdict is a run element's verdict.
func (e Elem) verdict() *expr.Verdict {
	if e.Chain != "" { // a dispatch map's: to a shard's chain
		return &expr.Verdict{Kind: expr.VerdictJump, Chain: e.Chain}
	}
	if e.Act == acl.Deny {
		return &expr.Verdict{Kind: expr.VerdictDrop}
	}
	return &expr.Verdict{Kind: expr.VerdictAccept}
}

func (e Elem) verdictText() string {
	if e.Chain != "" {
		return "jump " + e.Chain
	}
	if e.Act == acl.Deny {
		return "drop"
	}
	return "accept"
}

// id identifies a run set's element: its key range.
func (e Elem) id() string { return string(e.Key) + string(e.End) }

// keepRunNames renames the plan's run sets the kernel does not hold to the name
// of the kernel's run set (not in the plan) holding most of the same lines, with
// the same key. A run's set is named after its first line: a line inserted before
// it, or the first line deleted or changed, would otherwise replace the set (its
// elements and their counters) rather than change an element.
func keepRunNames(ks *kstate, p *Plan) {
	if p == nil {
		return
	}
	mine := map[string]bool{}
	for _, s := range p.Sets {
		mine[s.Name] = true
	}
	byLine := map[string]string{}
	for name, s := range ks.sets {
		// not a sharded map's part (run_ID_d, run_ID_VALUE): a map takes
		// its lines from shards under a name of its own
		if s.kind == SetRun && !mine[name] && strings.Count(name, "_") == 1 {
			for _, e := range s.runMap() {
				byLine[e.line] = name
			}
		}
	}
	if len(byLine) == 0 {
		return
	}
	used := map[string]bool{}
	byName := map[string]*Set{}
	for _, s := range p.Sets {
		byName[s.Name] = s
	}
	for _, s := range p.Sets {
		// a set of ports goes with its verdict map; a sharded map's parts
		// name each other, and keep their names
		if s.Kind != SetRun || s.portSide > 0 || s.part != notSharded || ks.sets[s.Name] != nil {
			continue
		}
		votes := map[string]int{}
		for _, e := range s.Elems {
			if n, ok := byLine[e.Line]; ok && !used[n] && ks.sets[n].sig == s.sig() {
				votes[n]++
			}
		}
		best := ""
		for n, v := range votes {
			if best == "" || v > votes[best] || v == votes[best] && n < best {
				best = n
			}
		}
		if best == "" {
			continue
		}
		used[best] = true
		old := s.rule().Key
		for k, suffix := range portSuffix {
			if s.ports[k] != nil {
				if ps := byName[s.Name+suffix]; ps != nil {
					ps.Name = best + suffix
				}
			}
		}
		s.Name = best
		for _, c := range p.Chains {
			for i, r := range c.Rules {
				if r.Key == old {
					c.Rules[i] = s.rule()
				}
			}
		}
	}
}

// diffRun returns the element changes that turn the kernel's run set old into s:
// elements are added and deleted by key; an element whose line changed (its
// comment) is deleted and added again, so its counter starts from zero.
func diffRun(s *Set, old *kset) []*op {
	if old.holds(s.Elems) {
		return nil
	}
	if old.grownTo(s.Elems) {
		return []*op{{kind: opAddElem, set: s, elems: s.Elems[len(old.from):]}}
	}
	var del, add []Elem
	want := make(map[string]bool, len(s.Elems))
	for _, e := range s.Elems {
		id := e.id()
		want[id] = true
		if ke, ok := old.runMap()[id]; !ok || ke.line != e.Line {
			if ok {
				del = append(del, Elem{Key: e.Key, End: e.End})
			}
			add = append(add, e)
		}
	}
	for id := range old.runMap() {
		if !want[id] {
			e := Elem{Key: []byte(id)}
			if s.shape.interval {
				n := len(id) / 2
				e = Elem{Key: []byte(id[:n]), End: []byte(id[n:])}
			}
			del = append(del, e)
		}
	}
	sort.Slice(del, func(i, j int) bool { return del[i].id() < del[j].id() })
	var ops []*op
	if len(del) > 0 {
		ops = append(ops, &op{kind: opDelElem, set: s, elems: del})
	}
	if len(add) > 0 {
		ops = append(ops, &op{kind: opAddElem, set: s, elems: add})
	}
	return ops
}
