package acl

import (
	"errors"
	"fmt"
	"hash/maphash"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"sync/atomic"
)

// Errors returned by the model; wrapped with %w and detail.
var (
	ErrInvalid   = errors.New("invalid")
	ErrNotFound  = errors.New("not found")
	ErrBound     = errors.New("in use")
	ErrWrongFam  = errors.New("wrong address family")
	ErrSeqRange  = errors.New("sequence number out of range")
	ErrDuplicate = errors.New("duplicate")
)

// Error is a model error: a lower-case phrase for the operator, classified by Kind
// (one of the Err variables, matched with errors.Is).
type Error struct {
	Kind error
	Msg  string
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Kind }

func errf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Seq is a rule's sequence number, 1-MaxSeq (2147483647, as on IOS). The zero
// value means "not given".
type Seq uint32

const (
	MaxSeq  Seq = 1<<31 - 1
	SeqStep Seq = 10
)

// ConnLimit is a per-source connection limit, 1-65535. The zero value is no limit.
type ConnLimit uint16

// ConnMask is how a connlimit line groups sources: connections from addresses in
// the same prefix of length Len(f) count together (`connlimit N mask /LEN`, as
// iptables' --connlimit-mask). It holds the number of low-order address bits the
// line ignores, so the zero value counts each address on its own (/32 in IPv4,
// /128 in IPv6: the iptables default) and a full-length mask is the zero value.
type ConnMask uint8

// MaskLen returns the ConnMask that groups sources of family f by prefixes of
// length bits (0 up to the address length).
func MaskLen(f Family, bits int) (ConnMask, error) {
	if bits < 0 || bits > f.Bits() {
		return 0, errf(ErrInvalid, "mask /%d is out of range for %s (/0-/%d)", bits, f.Name(), f.Bits())
	}
	return ConnMask(f.Bits() - bits), nil
}

// Len returns the prefix length the mask groups sources of family f by.
func (m ConnMask) Len(f Family) int { return f.Bits() - int(m) }

// Key returns the prefix that a's connections count under: a with the ignored
// bits cleared, as a prefix of length Len (full length for the zero value).
func (m ConnMask) Key(a netip.Addr) netip.Prefix {
	p, _ := a.Prefix(a.BitLen() - int(m))
	return p
}

// DefaultConnSources is the number of sources (or prefixes) a connlimit line
// tracks when `sources` is not given; MaxConnSources the most it may be given.
const (
	DefaultConnSources = 65535
	MaxConnSources     = 1 << 20
)

// Rule is one line of an access list: either a permit/deny rule or, when Remark is
// not empty, a remark that matches nothing. The zero value is `permit ip any any`
// with no seq. Rule is comparable; two rules with equal fields except Seq are the
// same rule.
type Rule struct {
	// The fields are ordered for size (208 bytes, not 240): a million-line
	// list is a million of them, copied as the list grows.
	Remark  string
	Src     Address
	Dst     Address
	Seq     Seq
	SrcPort PortMatch
	DstPort PortMatch
	// ConnSources is how many sources (prefixes, with ConnMask) the line tracks at
	// once, 1-MaxConnSources; zero means DefaultConnSources.
	ConnSources uint32
	// ICMP is the ICMP type (and code) of an icmp rule; zero: every type.
	ICMP ICMPMatch
	// TTL is a condition on the packet's TTL (IPv6: hop limit); zero: none.
	TTL       TTLMatch
	ConnLimit ConnLimit
	Proto     Protocol
	Action    Action
	// ConnMask groups the sources ConnLimit counts (zero: per address).
	ConnMask ConnMask
	// Fragments: the line matches non-initial fragments only (IOS). This host
	// reassembles fragments before its lists see them (conntrack's
	// defragmentation), so such a line matches nothing here.
	Fragments   bool
	Established bool
	// ConnFailClosed: when the line's source set is full, a source not in it is
	// refused (permit: the line does not admit it; deny: it is dropped) rather
	// than let past the limit.
	ConnFailClosed bool
	Log            bool
	// Standard marks an entry of a standard list (IOS `ip access-list
	// standard`, `access-list 1-99`): it matches the source only (protocol and
	// destination any) and renders as `permit SRC [log]`.
	Standard bool
}

// Sources returns how many sources the line's connection limit tracks at once.
func (r Rule) Sources() int {
	if r.ConnSources == 0 {
		return DefaultConnSources
	}
	return int(r.ConnSources)
}

// IsRemark reports whether r is a remark line.
func (r Rule) IsRemark() bool { return r.Remark != "" }

// Body renders the rule without its seq, in family f:
// `permit tcp host 10.0.0.1 any eq 22 connlimit 3`.
func (r Rule) Body(f Family) string {
	return string(r.AppendBody(make([]byte, 0, 64), f))
}

// AppendBody appends Body(f) to b.
func (r Rule) AppendBody(b []byte, f Family) []byte { return r.appendBody(b, f, SLX) }

// appendBody appends BodyIn(f, d) to b.
func (r Rule) appendBody(b []byte, f Family, d Dialect) []byte {
	if r.IsRemark() {
		return append(append(b, "remark "...), r.Remark...)
	}
	b = append(b, r.Action.String()...)
	b = append(b, ' ')
	if r.Standard {
		if d == IOS && r.Src.Kind == AddrHost {
			b = r.Src.Addr.AppendTo(b) // IOS writes a standard entry's host bare
		} else {
			b = appendAddr(b, r.Src, d)
		}
		if r.Log {
			b = append(b, " log"...)
		}
		return b
	}
	b = r.Proto.appendTo(b, f)
	b = append(b, ' ')
	b = appendAddr(b, r.Src, d)
	if r.SrcPort.Op != PortAny {
		b = append(b, ' ')
		b = appendPorts(b, r.SrcPort, r.Proto.Num, d)
	}
	b = append(b, ' ')
	b = appendAddr(b, r.Dst, d)
	if r.DstPort.Op != PortAny {
		b = append(b, ' ')
		b = appendPorts(b, r.DstPort, r.Proto.Num, d)
	}
	if r.ICMP.Set {
		b = append(b, ' ')
		b = r.ICMP.AppendTo(b, f)
	}
	if r.TTL.Op != PortAny {
		b = append(b, ' ')
		b = append(b, r.TTL.String()...)
	}
	if r.Fragments {
		b = append(b, " fragments"...)
	}
	if r.Established {
		b = append(b, " established"...)
	}
	if r.ConnLimit != 0 {
		b = append(b, " connlimit "...)
		b = strconv.AppendUint(b, uint64(r.ConnLimit), 10)
		if r.ConnMask != 0 {
			b = append(b, " mask /"...)
			b = strconv.AppendInt(b, int64(r.ConnMask.Len(f)), 10)
		}
		if r.ConnSources != 0 {
			b = append(b, " sources "...)
			b = strconv.AppendUint(b, uint64(r.ConnSources), 10)
		}
		if r.ConnFailClosed {
			b = append(b, " fail-closed"...)
		}
	}
	if r.Log {
		b = append(b, " log"...)
	}
	return b
}

// Format renders the rule with its seq: `seq 10 permit ip any any`.
func (r Rule) Format(f Family) string {
	return string(r.AppendFormat(make([]byte, 0, 80), f))
}

// AppendFormat appends Format(f) to b.
func (r Rule) AppendFormat(b []byte, f Family) []byte {
	b = append(b, "seq "...)
	b = strconv.AppendUint(b, uint64(r.Seq), 10)
	b = append(b, ' ')
	return r.AppendBody(b, f)
}

// ruleKey identifies a rule without its seq (and remark): a 128-bit hash of
// the rule packed into bytes (rulePack). A list's duplicate index holds one
// per rule, so a million-line list's index is 16 bytes a rule rather than the
// 110 of the packed rule (about 240 MB with the map's own room). Two
// different rules share a key with a chance of about n^2/2^129 for n rules
// (2^-89 for a million). If two did, the second would be taken for a
// duplicate of the first (Add would return the first's seq). The seeds are
// chosen at each start, so rules written to share a key would have to be
// written without knowing them (maphash is not a cryptographic hash: it
// does not promise that they could not be found with the seeds known).
type ruleKey [2]uint64

var keySeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

// key is the rule without its seq, for duplicate detection. Two rules of one list
// have equal keys when they are equal but for their seqs (remarks are not
// indexed), and otherwise only by a chance of 2^-128.
func (r Rule) key() ruleKey {
	p := r.pack()
	return ruleKey{maphash.Bytes(keySeeds[0], p[:]), maphash.Bytes(keySeeds[1], p[:])}
}

// rulePack is a rule without its seq (and remark) packed into bytes: hashed
// as one block of memory, several times faster than hashing the Rule struct
// field by field, which matters when a config of many lines is loaded.
type rulePack [110]byte

// pack is the rule without its seq: two rules pack alike exactly when they
// are equal but for their seqs (remarks are not packed).
func (r Rule) pack() rulePack {
	var k rulePack
	k[0] = byte(r.Action)
	k[1] = r.Proto.Num
	k[2] = b2i(r.Proto.Set) | b2i(r.Proto.Keyword)<<1 | b2i(r.Established)<<2 | b2i(r.Log)<<3 | b2i(r.ConnFailClosed)<<4 | b2i(r.Standard)<<5 | b2i(r.Fragments)<<6
	putAddr(k[3:26], r.Src)
	putAddr(k[26:49], r.Dst)
	k[49], k[50] = byte(r.ConnLimit>>8), byte(r.ConnLimit)
	k[51] = byte(r.ConnMask)
	k[52], k[53], k[54], k[55] = byte(r.ConnSources>>24), byte(r.ConnSources>>16), byte(r.ConnSources>>8), byte(r.ConnSources)
	k[56] = b2i(r.ICMP.Set) | b2i(r.ICMP.CodeSet)<<1 | byte(r.TTL.Op)<<2
	k[57], k[58], k[59] = r.ICMP.Type, r.ICMP.Code, r.TTL.Val
	putPorts(k[60:85], r.SrcPort)
	putPorts(k[85:110], r.DstPort)
	return k
}

func b2i(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// putAddr packs an address into 23 bytes: kind, length of the address in bytes
// (0, 4 or 16, so an IPv4 address differs from its IPv4-mapped IPv6 form), prefix
// length, the address and the IPv4 wildcard.
func putAddr(b []byte, a Address) {
	b[0], b[1], b[2] = byte(a.Kind), byte(a.Addr.BitLen()/8), byte(a.Bits)
	a16 := a.Addr.As16()
	copy(b[3:19], a16[:])
	if a.Wildcard.Is4() {
		w := a.Wildcard.As4()
		copy(b[19:23], w[:])
	}
}

// putPorts packs a port match into 25 bytes: op, count of further ports, Lo,
// Hi and the further ports.
func putPorts(b []byte, p PortMatch) {
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(p.Op), p.NMore, byte(p.Lo>>8), byte(p.Lo), byte(p.Hi>>8), byte(p.Hi)
	for i, x := range p.More {
		b[6+2*i], b[7+2*i] = byte(x>>8), byte(x)
	}
}

// Validate checks the rule on its own against the list family f.
func (r Rule) Validate(f Family) error {
	if r.Seq > MaxSeq {
		return errf(ErrSeqRange, "seq %d (1-%d)", r.Seq, MaxSeq)
	}
	if r.IsRemark() {
		if len(r.Remark) > 255 {
			return errf(ErrInvalid, "remark longer than 255 characters")
		}
		return nil
	}
	if r.Standard {
		std := Rule{Seq: r.Seq, Action: r.Action, Src: r.Src, Log: r.Log, Standard: true}
		switch {
		case f != IPv4:
			return errf(ErrInvalid, "standard access lists are IPv4 only")
		case r != std:
			return errf(ErrInvalid, "a standard access list matches the source address only; use an extended list for protocols, destinations and ports")
		}
	}
	for _, a := range []Address{r.Src, r.Dst} {
		if af, ok := a.Family(); ok && af != f {
			return errf(ErrWrongFam, "%s is not an %s address", a.Addr, f.Name())
		}
		if a.Kind == AddrWildcard && f == IPv6 {
			return errf(ErrInvalid, "wildcard masks are IPv4 only; use a prefix")
		}
	}
	if !r.Proto.HasPorts() && (r.SrcPort.Op != PortAny || r.DstPort.Op != PortAny) {
		return errf(ErrInvalid, "ports need protocol tcp or udp")
	}
	if err := r.ICMP.validate(r.Proto, f); err != nil {
		return err
	}
	if r.Established && r.ConnLimit != 0 {
		return errf(ErrInvalid, "connlimit counts connections from a source; it cannot be combined with established (replies to this host's own connections)")
	}
	if r.ConnLimit == 0 && (r.ConnMask != 0 || r.ConnSources != 0 || r.ConnFailClosed) {
		return errf(ErrInvalid, "mask, sources and fail-closed belong to connlimit")
	}
	if int(r.ConnMask) > f.Bits() {
		return errf(ErrInvalid, "connlimit mask ignores %d bits; %s addresses have %d", r.ConnMask, f.Name(), f.Bits())
	}
	if r.ConnSources > MaxConnSources {
		return errf(ErrInvalid, "sources %d is out of range (1-%d)", r.ConnSources, MaxConnSources)
	}
	if r.ConnSources == DefaultConnSources {
		return errf(ErrInvalid, "sources %d is the default; leave it out", r.ConnSources)
	}
	if err := r.SrcPort.Validate(); err != nil {
		return err
	}
	if err := r.DstPort.Validate(); err != nil {
		return err
	}
	if err := r.TTL.Validate(); err != nil {
		return err
	}
	if r.Fragments && (r.SrcPort.Op != PortAny || r.DstPort.Op != PortAny || r.ICMP.Set || r.Established || r.ConnLimit != 0) {
		return errf(ErrInvalid, "fragments matches non-initial fragments, which carry no ports, ICMP type or connection: it takes addresses and ttl only")
	}
	return nil
}

// ACL is a named access list of one family, extended (the zero value) or
// standard. Entries are kept sorted by seq. Use the methods to change it: they
// keep the duplicate index in step. Adding a line at the end (no seq, or the
// highest) costs the same at any length.
type ACL struct {
	Name   string
	Family Family
	// Standard: a standard list (IPv4 only), whose entries match the source
	// address only (Rule.Standard).
	Standard bool
	entries  []Rule
	// arr is the state of the array entries lives in (nil while entries is
	// nil); see array.
	arr *array
	// idx is the duplicate index: nil until a method needs it. Copies of the
	// list share it (Clone); once shared it is read only, and each list keeps
	// its own changes to it in over.
	idx  *index
	over *overlay
}

// A list's entries and duplicate index are shared by its copies and copied
// only when one of them changes what another may still read: Clone costs a
// few words whatever the list's length, and so does the change a script or a
// one-shot `aclsh -c` makes most, a line added at the end of a long list
// (the entries are appended in place, past the end of every other copy, and
// the index change is kept in a small overlay). The daemon keeps the
// running-config and clones it for every change; a 10,000-line list cost
// 4.3 MB and a millisecond to copy each time.

// array is the state of an entries array, shared by the lists whose entries
// live in it.
type array struct {
	// used is the longest entries any list has had in the array: a list may
	// append in place only when its entries end there (it takes the slot
	// with a compare-and-swap), so no two lists write the same element.
	used atomic.Int64
	// shared: another list (a clone, or a Snapshot's holder) may read the
	// array; no element below used changes any more, and a list that would
	// change one (insert, delete, renumber) copies the array first.
	shared atomic.Bool
	// lines is the running-config text of the array's first entries, kept by
	// render (see linesCache); nil until rendered.
	lines atomic.Pointer[linesCache]
}

// newArray makes entries the list's own array.
func (a *ACL) newArray(entries []Rule) {
	a.entries, a.arr = entries, &array{}
	a.arr.used.Store(int64(len(entries)))
}

// own makes the list the only one that reads its entries' array (copying it
// when shared), so that it may change them in place; room is the number of
// entries it is about to add.
func (a *ACL) own(room int) {
	if a.arr != nil && !a.arr.shared.Load() && len(a.entries)+room <= cap(a.entries) {
		return
	}
	n := len(a.entries)
	grown := make([]Rule, n, max(2*n, n+room, 8))
	copy(grown, a.entries)
	a.newArray(grown)
}

// index is a duplicate index: each rule without its seq to its seq, and the
// number of remarks of each text.
type index struct {
	byRule  map[ruleKey]Seq
	remarks map[string]int
	// shared: another list reads it; changes go to overlays.
	shared atomic.Bool
}

// overlay is a list's changes to a shared index.
type overlay struct {
	set     map[ruleKey]Seq      // added or renumbered
	gone    map[ruleKey]struct{} // removed
	remarks map[string]int       // added (or, negative, removed) remarks per text
}

func (o *overlay) clone() *overlay {
	if o == nil {
		return nil
	}
	return &overlay{set: maps.Clone(o.set), gone: maps.Clone(o.gone), remarks: maps.Clone(o.remarks)}
}

// IsName reports whether s is 1-63 of A-Za-z0-9_.- starting with a letter:
// an access list's name, and a configuration session's (they name files).
// A loop, not a regexp: compiling one at every start of aclsh costs more
// than all the names it ever checks.
func IsName(s string) bool {
	if len(s) == 0 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case i > 0 && (c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// Numbered reports whether name is an IOS access list number, and which kind
// of list the number is for: 1-99 and 1300-1999 standard, 100-199 and
// 2000-2699 extended.
func Numbered(name string) (numbered, standard bool) {
	if !isDigitString(name) || len(name) > 4 || name[0] == '0' {
		return false, false
	}
	n, _ := strconv.Atoi(name)
	switch {
	case n >= 1 && n <= 99, n >= 1300 && n <= 1999:
		return true, true
	case n >= 100 && n <= 199, n >= 2000 && n <= 2699:
		return true, false
	}
	return false, false
}

// KindName is "standard" or "extended".
func KindName(standard bool) string {
	if standard {
		return "standard"
	}
	return "extended"
}

// ValidListName checks the name of an access list of family f, standard or
// not: a name (ValidName), or an IOS number of that kind (Numbered) for IPv4.
func ValidListName(name string, f Family, standard bool) error {
	if standard && f != IPv4 {
		return errf(ErrInvalid, "standard access lists are IPv4 only")
	}
	if isDigitString(name) {
		num, std := Numbered(name)
		switch {
		case f != IPv4:
			return errf(ErrInvalid, "access list name %q: IPv6 access lists are named, not numbered; start the name with a letter", name)
		case !num:
			return errf(ErrInvalid, "access list number %s: standard lists are numbered 1-99 and 1300-1999, extended lists 100-199 and 2000-2699", name)
		case std != standard:
			return errf(ErrInvalid, "access list %s: %s is %s list number (standard: 1-99, 1300-1999; extended: 100-199, 2000-2699); say `ip access-list %s %s`",
				name, name, aKind(std), KindName(std), name)
		}
		return nil
	}
	return ValidName(name)
}

// ValidName checks an access list name: 1-63 of A-Za-z0-9_.- starting with a
// letter, or an IOS access list number (Numbered).
func ValidName(name string) error {
	if num, _ := Numbered(name); num {
		return nil
	}
	if !IsName(name) {
		return errf(ErrInvalid, "access list name %q: use 1-63 letters, digits, '_', '.' or '-', starting with a letter", name)
	}
	return nil
}

// NewACL returns an empty access list.
func NewACL(name string, f Family) *ACL {
	return &ACL{Name: name, Family: f}
}

// Entries returns the rules and remarks in seq order. The slice must not be modified.
func (a *ACL) Entries() []Rule { return a.entries }

// Len returns the number of entries.
func (a *ACL) Len() int { return len(a.entries) }

// NextSeq returns the seq a rule added without one gets: the last seq + 10, or 10.
func (a *ACL) NextSeq() Seq {
	if len(a.entries) == 0 {
		return SeqStep
	}
	return a.entries[len(a.entries)-1].Seq + SeqStep
}

// Reserve makes room for n more entries as Grow does, but when it must copy
// the entries it makes room for at least as many again as the list holds (as
// adding does): a caller that reserves again and again, as a script entering
// a list for each of its lines, copies the list a logarithmic number of times.
func (a *ACL) Reserve(n int) {
	if n <= 0 {
		return
	}
	if l := len(a.entries); a.arr == nil || a.arr.shared.Load() || l+n > cap(a.entries) {
		a.Grow(max(n, l))
	}
}

// Grow makes room for n more entries, so that adding them copies nothing: a hint
// for loading a list whose length is known.
func (a *ACL) Grow(n int) {
	if n <= 0 {
		return
	}
	if l := len(a.entries); a.arr == nil || a.arr.shared.Load() || l+n > cap(a.entries) {
		grown := make([]Rule, l, l+n) // the length given, not doubled as own does
		copy(grown, a.entries)
		a.newArray(grown)
	}
	if a.idx == nil {
		a.build(len(a.entries) + n)
	}
}

// build makes the duplicate index, with room for n rules.
func (a *ACL) build(n int) {
	x := &index{byRule: make(map[ruleKey]Seq, n), remarks: map[string]int{}}
	for _, e := range a.entries {
		if e.IsRemark() {
			x.remarks[e.Remark]++
		} else {
			x.byRule[e.key()] = e.Seq
		}
	}
	a.idx, a.over = x, nil
}

// lookup returns the seq of the rule with key k.
func (a *ACL) lookup(k ruleKey) (Seq, bool) {
	if a.idx == nil {
		a.build(len(a.entries))
	}
	if o := a.over; o != nil {
		if s, ok := o.set[k]; ok {
			return s, true
		}
		if _, ok := o.gone[k]; ok {
			return 0, false
		}
	}
	s, ok := a.idx.byRule[k]
	return s, ok
}

// remarkCount returns the number of remarks of text t.
func (a *ACL) remarkCount(t string) int {
	if a.idx == nil {
		a.build(len(a.entries))
	}
	n := a.idx.remarks[t]
	if a.over != nil {
		n += a.over.remarks[t]
	}
	return n
}

// writable returns the overlay changes to the index go to, nil when the list
// may change its index in place. An overlay as large as a quarter of the
// index is folded into an index of the list's own.
func (a *ACL) writable() *overlay {
	if a.idx == nil {
		a.build(len(a.entries))
	}
	if !a.idx.shared.Load() {
		return nil
	}
	if a.over == nil {
		a.over = &overlay{set: map[ruleKey]Seq{}, gone: map[ruleKey]struct{}{}, remarks: map[string]int{}}
	}
	if len(a.over.set)+len(a.over.gone)+len(a.over.remarks) > 64+len(a.idx.byRule)/4 {
		a.build(len(a.entries))
		return nil
	}
	return a.over
}

// setKey records that the rule with key k is at seq s.
func (a *ACL) setKey(k ruleKey, s Seq) {
	if o := a.writable(); o != nil {
		delete(o.gone, k)
		o.set[k] = s
		return
	}
	a.idx.byRule[k] = s
}

// dropKey records that the rule with key k is gone.
func (a *ACL) dropKey(k ruleKey) {
	if o := a.writable(); o != nil {
		delete(o.set, k)
		if _, ok := a.idx.byRule[k]; ok {
			o.gone[k] = struct{}{}
		}
		return
	}
	delete(a.idx.byRule, k)
}

// addRemark counts d more remarks of text t.
func (a *ACL) addRemark(t string, d int) {
	if o := a.writable(); o != nil {
		if o.remarks[t] += d; o.remarks[t] == 0 {
			delete(o.remarks, t)
		}
		return
	}
	if a.idx.remarks[t] += d; a.idx.remarks[t] <= 0 {
		delete(a.idx.remarks, t)
	}
}

// search returns the index of the first entry with a seq of at least s.
func (a *ACL) search(s Seq) int {
	return sort.Search(len(a.entries), func(i int) bool { return a.entries[i].Seq >= s })
}

// Add validates r and inserts it, numbering it if r.Seq is zero. It returns the seq
// used.
//
// A line the list already holds is there already, as on IOS: Add changes nothing
// and returns its seq when r is identical to the entry at r.Seq, or when r has no
// seq and the list holds the same rule (a remark: a remark of the same text) at
// any seq. So replaying a running-config, or a script, onto the config it made
// changes nothing. A different entry at r.Seq, or the same rule as another seq's
// (r.Seq given), is refused naming that seq (ErrDuplicate).
func (a *ACL) Add(r Rule) (Seq, error) {
	if r.Seq == 0 {
		if s, ok := a.Find(r); ok {
			return s, nil
		}
		// MaxSeq+SeqStep fits a Seq: no wrap-around.
		r.Seq = a.NextSeq()
		if r.Seq > MaxSeq {
			return 0, errf(ErrSeqRange, "next seq %d is past %d; use resequence", r.Seq, MaxSeq)
		}
	}
	if !r.IsRemark() && r.Standard != a.Standard {
		return 0, errf(ErrInvalid, "%s is %s access list; this line is for %s list", a.Name, aKind(a.Standard), aKind(r.Standard))
	}
	if err := r.Validate(a.Family); err != nil {
		return 0, err
	}
	n := len(a.entries)
	i := n
	if n > 0 && a.entries[n-1].Seq >= r.Seq {
		i = a.search(r.Seq)
		if a.entries[i].Seq == r.Seq {
			if a.entries[i] == r {
				return r.Seq, nil
			}
			return 0, errf(ErrDuplicate, "seq %d is already in use in access list %s", r.Seq, a.Name)
		}
	}
	if r.IsRemark() {
		a.addRemark(r.Remark, 1)
	} else {
		k := r.key()
		if s, ok := a.lookup(k); ok {
			return 0, errf(ErrDuplicate, "the same rule exists as seq %d in access list %s", s, a.Name)
		}
		a.setKey(k, r.Seq)
	}
	if i == n && n < cap(a.entries) && a.arr.used.CompareAndSwap(int64(n), int64(n+1)) {
		// At the end, past every other list's entries: in place, shared or not.
		a.entries = a.entries[:n+1]
		a.entries[n] = r
		return r.Seq, nil
	}
	// Doubling (in own): append's growth (1.25x for large slices) would copy
	// a long list about five times its size while it is loaded line by line.
	a.own(1)
	a.entries = slices.Insert(a.entries, i, r)
	a.arr.used.Store(int64(len(a.entries)))
	return r.Seq, nil
}

// DeleteSeq removes the entry with seq s.
func (a *ACL) DeleteSeq(s Seq) error {
	i := a.search(s)
	if i == len(a.entries) || a.entries[i].Seq != s {
		return errf(ErrNotFound, "no seq %d in access list %s", s, a.Name)
	}
	r := a.entries[i]
	if n := len(a.entries); i == n-1 && a.arr.shared.Load() {
		a.entries = a.entries[:i] // the last: no copy, nothing written
	} else {
		a.own(0)
		a.entries = slices.Delete(a.entries, i, i+1)
		a.arr.used.Store(int64(len(a.entries)))
	}
	switch {
	case a.idx == nil:
	case r.IsRemark():
		a.addRemark(r.Remark, -1)
	default:
		a.dropKey(r.key())
	}
	return nil
}

// Find returns the seq of the entry equal to r, ignoring r.Seq unless it is set.
// It may build the duplicate index, so like the methods that change the list it
// must not run concurrently with other calls on a.
func (a *ACL) Find(r Rule) (Seq, bool) {
	if r.IsRemark() {
		if r.Seq == 0 && a.remarkCount(r.Remark) == 0 {
			return 0, false // the common case, without a scan
		}
		for _, e := range a.entries {
			if e.Remark == r.Remark && (r.Seq == 0 || r.Seq == e.Seq) {
				return e.Seq, true
			}
		}
		return 0, false
	}
	s, ok := a.lookup(r.key())
	if !ok || (r.Seq != 0 && r.Seq != s) {
		return 0, false
	}
	return s, true
}

// Resequence renumbers the entries start, start+step, ... keeping their order.
func (a *ACL) Resequence(start, step Seq) error {
	if start == 0 || step == 0 {
		return errf(ErrSeqRange, "resequence start and step must be 1-%d", MaxSeq)
	}
	if n := len(a.entries); n > 0 && uint64(start)+uint64(step)*uint64(n-1) > uint64(MaxSeq) {
		return errf(ErrSeqRange, "resequence %d %d: the last of %d entries would be seq %d, past %d; use a smaller start or step",
			start, step, n, uint64(start)+uint64(step)*uint64(n-1), MaxSeq)
	}
	a.own(0)
	for i := range a.entries {
		a.entries[i].Seq = start + Seq(i)*step
	}
	if a.idx != nil {
		a.build(len(a.entries)) // every seq changed
	}
	return nil
}

// Clone returns a copy, which changes independently of a. The copy shares a's
// entries and duplicate index until one of the two changes them (see array).
// Like Entries, it may run concurrently with other reads of a, not with changes.
func (a *ACL) Clone() *ACL {
	b := &ACL{Name: a.Name, Family: a.Family, Standard: a.Standard, entries: a.entries, arr: a.arr}
	if a.arr != nil {
		a.arr.shared.Store(true)
	}
	if a.idx != nil {
		a.idx.shared.Store(true)
		b.idx, b.over = a.idx, a.over.clone()
	}
	return b
}

// Snapshot returns the entries, which stay as they are whatever is later done
// to the list (a change that would alter them copies them first): a reader
// may keep them, and compare them with a later Snapshot's by where they live
// (SameEntries).
func (a *ACL) Snapshot() []Rule {
	if a.arr != nil {
		a.arr.shared.Store(true)
	}
	return a.entries
}

// SamePrefix returns the length of the longest common prefix of two
// Snapshots known without comparing entries: the shorter one's length when
// both start at the same place (a list's entries array is never changed below
// what a Snapshot holds), else 0.
func SamePrefix(x, y []Rule) int {
	if len(x) == 0 || len(y) == 0 || &x[0] != &y[0] {
		return 0
	}
	return min(len(x), len(y))
}

// Config is the whole running-config: the access lists and the management interface
// bindings. The zero value is not usable; use NewConfig.
type Config struct {
	ACLs  map[string]*ACL
	Bound Bindings
	// LogInterval paces the log lines of every `log` line (zero: the default).
	// Set it with SetLogInterval, which keeps the default as zero.
	LogInterval LogInterval
	// Dialect is how show running-config and show access-lists write the
	// lists (`cli dialect`; zero: SLX).
	Dialect Dialect
}

// NewConfig returns an empty config.
func NewConfig() *Config { return &Config{ACLs: map[string]*ACL{}} }

// Clone returns a deep copy.
func (c *Config) Clone() *Config {
	d := &Config{ACLs: make(map[string]*ACL, len(c.ACLs)), Bound: c.Bound, LogInterval: c.LogInterval, Dialect: c.Dialect}
	for k, v := range c.ACLs {
		d.ACLs[k] = v.Clone()
	}
	return d
}

// Names returns the access list names sorted, IPv4 lists first.
func (c *Config) Names() []string {
	names := make([]string, 0, len(c.ACLs))
	for n := range c.ACLs {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := c.ACLs[names[i]], c.ACLs[names[j]]
		if a.Family != b.Family {
			return a.Family < b.Family
		}
		return a.Name < b.Name
	})
	return names
}

// Ensure returns the list named name of family f, creating it if needed. A list of
// that name in the other family is an error.
func (c *Config) Ensure(name string, f Family) (*ACL, error) { return c.EnsureKind(name, f, false) }

// EnsureKind returns the list named name of family f, standard or extended,
// creating it if needed. A list of that name in the other family, or of the
// other kind, is an error.
func (c *Config) EnsureKind(name string, f Family, standard bool) (*ACL, error) {
	if err := ValidListName(name, f, standard); err != nil {
		return nil, err
	}
	if a, ok := c.ACLs[name]; ok {
		if a.Family != f {
			return nil, errf(ErrWrongFam, "%s is an %s access list", name, a.Family.Name())
		}
		if a.Standard != standard {
			return nil, errf(ErrInvalid, "%s is %s access list; enter it with `%s`", name, aKind(a.Standard), a.Header())
		}
		return a, nil
	}
	a := NewACL(name, f)
	a.Standard = standard
	c.ACLs[name] = a
	return a, nil
}

// aKind is "a standard" or "an extended".
func aKind(standard bool) string {
	if standard {
		return "a standard"
	}
	return "an extended"
}

// Header is the line that enters the list: `ip access-list extended NAME`,
// `ip access-list standard NAME`, `ipv6 access-list extended NAME`.
func (a *ACL) Header() string {
	return a.Family.String() + " access-list " + KindName(a.Standard) + " " + a.Name
}

// Delete removes an access list. A bound list cannot be deleted.
func (c *Config) Delete(name string, f Family) error {
	a, ok := c.ACLs[name]
	if !ok {
		return errf(ErrNotFound, "%s access list %s does not exist", f.Name(), name)
	}
	if a.Family != f {
		return errf(ErrWrongFam, "%s is an %s access list, not %s; delete it with `no %s`", name, a.Family.Name(), f.Name(), a.Header())
	}
	if bs := c.Bound.Of(f, name); len(bs) > 0 {
		return errf(ErrBound, "access list %s is bound to %s; remove `%s` first", name, bs[0].Point, bs[0].Line(name))
	}
	delete(c.ACLs, name)
	return nil
}

// Bind binds list name at b (`ip access-group NAME in` under interface
// management 0 binds Inbound(IPv4)), replacing the list bound there. A list is
// bound at one point only, and a list with connlimit lines only on management
// 0: sessions are counted there.
func (c *Config) Bind(b Binding, name string) error {
	f := b.Family
	a, ok := c.ACLs[name]
	if !ok {
		return errf(ErrNotFound, "access list %s does not exist; create it with `%s access-list extended %s`", name, f, name)
	}
	if a.Family != f {
		b.Family = a.Family
		return errf(ErrWrongFam, "%s is an %s access list; bind it with `%s`", name, a.Family.Name(), b.Line(name))
	}
	for _, o := range c.Bound.Of(f, name) {
		if o.Point != b.Point {
			return errf(ErrBound, "access list %s is bound to %s already (%s): a list is bound at one place; make a copy of it for %s", name, o.Point, o.Line(name), b.Point)
		}
	}
	if b.Point != Mgmt {
		if r, ok := a.connLimited(); ok {
			return errf(ErrBound, "access list %s counts sessions (seq %d: connlimit), which aclsh does on interface management 0 only; bind it there, or make a list without connlimit for %s", name, r.Seq, b.Point)
		}
	}
	c.Bound.set(b, name)
	return nil
}

// CheckBindings checks the rules of where lists are bound over the whole
// config (Bind and CheckAdd check them line by line): a list is bound at one
// point, and a list with connlimit lines only on management 0. A config that
// broke them would be enforced and then refused when read back.
func (c *Config) CheckBindings() error {
	return checkBindings(c.Bound, func(name string) (Rule, bool) {
		if a, ok := c.ACLs[name]; ok {
			return a.connLimited()
		}
		return Rule{}, false
	})
}

// checkBindings checks bindings bs, with limited telling the first connlimit
// line of a list.
func checkBindings(bs Bindings, limited func(name string) (Rule, bool)) error {
	at := map[string]Binding{}
	for b, name := range bs.All() {
		if o, ok := at[name]; ok && o.Point != b.Point {
			return errf(ErrBound, "access list %s would be bound to %s (%s) and to %s (%s): a list is bound at one place", name, o.Point, o.Line(name), b.Point, b.Line(name))
		}
		at[name] = b
		if b.Point == Mgmt {
			continue
		}
		if r, ok := limited(name); ok {
			return errf(ErrBound, "access list %s counts sessions (seq %d: connlimit), which aclsh does on interface management 0 only, and would be bound to %s (%s)", name, r.Seq, b.Point, b.Line(name))
		}
	}
	return nil
}

// connLimited returns the first line of a that has a connlimit.
func (a *ACL) connLimited() (Rule, bool) {
	for _, r := range a.entries {
		if r.ConnLimit > 0 {
			return r, true
		}
	}
	return Rule{}, false
}

// CheckAdd says why rule r may not be added to list name where it is bound: a
// connlimit line counts sessions on interface management 0 only.
func (c *Config) CheckAdd(name string, r Rule) error {
	a, ok := c.ACLs[name]
	if !ok || r.ConnLimit == 0 {
		return nil
	}
	for _, b := range c.Bound.Of(a.Family, name) {
		if b.Point != Mgmt {
			return errf(ErrBound, "connlimit counts sessions on interface management 0 only, and access list %s is bound to %s (%s); make a list of its own for management 0", name, b.Point, b.Line(name))
		}
	}
	return nil
}

// Unbind removes the list bound at b. If name is not empty it must be the
// bound list.
func (c *Config) Unbind(b Binding, name string) error {
	cur := c.Bound.Get(b)
	if cur == "" || (name != "" && name != cur) {
		if name == "" {
			return errf(ErrNotFound, "no %s list is bound to %s", b.Family.Name(), b.Point)
		}
		return errf(ErrNotFound, "%s %s is not bound to %s", b.word(), name, b.Point)
	}
	c.Bound.set(b, "")
	return nil
}

// BoundTo returns where the list is bound, for show output: "management 0
// in", "control-plane in", "line vty in", or "".
func (c *Config) BoundTo(name string) string {
	a, ok := c.ACLs[name]
	if !ok {
		return ""
	}
	if bs := c.Bound.Of(a.Family, name); len(bs) > 0 {
		return bs[0].Where()
	}
	return ""
}

// Render returns the canonical running-config text (SLX form, whatever the
// dialect; the dialect's own line included). Replaying it after `configure
// terminal` on an empty config reproduces it byte for byte.
func (c *Config) Render() string { return c.render(SLX) }

// Equal reports whether two configs hold the same lists, entries, bindings and
// log interval.
func (c *Config) Equal(d *Config) bool {
	if c.Bound != d.Bound || c.LogInterval.Millis() != d.LogInterval.Millis() || c.Dialect != d.Dialect || len(c.ACLs) != len(d.ACLs) {
		return false
	}
	for n, a := range c.ACLs {
		b, ok := d.ACLs[n]
		if !ok || a.Family != b.Family || a.Standard != b.Standard || len(a.entries) != len(b.entries) {
			return false
		}
		if len(a.entries) > 0 && &a.entries[0] == &b.entries[0] {
			continue // the same array: a clone not changed below its end
		}
		for i := range a.entries {
			if a.entries[i] != b.entries[i] {
				return false
			}
		}
	}
	return true
}
