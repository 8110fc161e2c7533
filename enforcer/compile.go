// Package enforcer turns an acl.Config into kernel state: Compile builds a Plan of
// nftables chains, sets and rules (pure, golden-tested as nft text), each object
// with a stable identity; Apply diffs the plan against what table inet aclsh holds
// and sends only the difference in one transaction; Stats reads counters and live
// sessions back for show commands; Follow keeps per-source session counts exact.
package enforcer

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/aclsh/aclsh/acl"
)

// Table is the name of the nftables table aclsh owns (family inet). No other table
// is ever touched.
const Table = "aclsh"

const (
	// markOwned are the bits of the conntrack mark aclsh owns: the high 16. The
	// low 16 are left as they are (policy routing's CONNMARK, other tools):
	// aclsh reads and sets its bits only (ct mark set ct mark & 0x0000ffff | M).
	// A session a permit connlimit line admitted carries markTag and 15 bits
	// derived from the line; any mark with markTag passes every permit connlimit
	// line the session reaches, so a session admitted once is never cut by a
	// limit.
	markOwned = 0xffff0000
	markTag   = 0x80000000
	// PreTimeout is how long a source's offset (sessions counted in userspace) stays
	// in a line's map without a refresh by the follow daemon. If the daemon stops, no
	// source stays limited by stale counts for longer than this.
	PreTimeout = 5 * time.Minute
)

// fam is what differs between IPv4 and IPv6 in the plan.
type fam struct {
	f        acl.Family
	name     string // nft payload prefix: ip, ip6
	nfproto  byte
	chain    string // the chain of the list bound for the family
	src, dst uint32 // address offsets in the network header
	alen     uint32
	key      nftables.SetDatatype
	keyName  string
	icmp     string // nft name of the family's ICMP header: icmp, icmpv6
	ttl      uint32 // offset of the TTL (hop limit) in the network header
	ttlName  string // its nft name: ip ttl, ip6 hoplimit
	// frag is the match of a non-initial fragment (Rule.Fragments) and its
	// nft text: IPv4's fragment offset, IPv6's fragment header.
	frag     func() []expr.Any
	fragText string
}

var fams = []*fam{
	{acl.IPv4, "ip", unix.NFPROTO_IPV4, "acl4", 12, 16, 4, nftables.TypeIPAddr, "ipv4_addr", "icmp", 8, "ip ttl",
		func() []expr.Any {
			return []expr.Any{&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 6, Len: 2},
				&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 2, Mask: []byte{0x1f, 0xff}, Xor: []byte{0, 0}},
				cmp(expr.CmpOpNeq, []byte{0, 0})}
		}, "ip frag-off & 0x1fff != 0"},
	{acl.IPv6, "ip6", unix.NFPROTO_IPV6, "acl6", 8, 24, 16, nftables.TypeIP6Addr, "ipv6_addr", "icmpv6", 7, "ip6 hoplimit",
		func() []expr.Any {
			return []expr.Any{&expr.Exthdr{DestRegister: 1, Type: unix.IPPROTO_FRAGMENT, Offset: 0, Len: 1, Flags: unix.NFT_EXTHDR_F_PRESENT, Op: expr.ExthdrOpIpv6},
				cmp(expr.CmpOpEq, []byte{1})}
		}, "exthdr frag exists"},
}

func famOf(f acl.Family) *fam {
	if f == acl.IPv6 {
		return fams[1]
	}
	return fams[0]
}

// dir is what differs between the places a list is bound at (a point and a
// direction) in the plan: the base chain its packets pass, at which priority,
// and which of them go to the list. As with fams, a new direction or point is
// a row here, not a switch in the code that uses it.
//
// The base chains share the input hook at increasing priorities, in the order
// of acl's points: a packet goes through every one (an accept ends only the
// chain it is in), and a drop in any is final, so it must be permitted by the
// list of every point that looks at it.
type dir struct {
	p      acl.Point
	d      acl.Dir
	base   string // the base chain
	key    string // the prefix of its rules' keys
	hook   *nftables.ChainHook
	hookNm string // the hook's nft name
	prio   int32  // its priority, after filter
	kind   string // which packets go to the lists: "if" (management 0), "host", "ssh"
	// suffix of the chains of the lists bound here (after fam.chain)
	suffix string
	// track: the base chain has the ct expression that makes the kernel track
	// connections in the namespace (one in the table is enough); the table
	// always has this base chain.
	track bool
}

var dirs = []*dir{
	// management 0: the packets arriving on its Linux interface
	{acl.Mgmt, acl.In, "input", "in", nftables.ChainHookInput, "input", 0, "if", "", true},
	// the control-plane: packets arriving for the host on any interface but lo
	{acl.ControlPlane, acl.In, "cp", "cp", nftables.ChainHookInput, "input", 1, "host", "_cp", false},
	// the login service: new connections to the SSH port(s), on any interface
	{acl.VTY, acl.In, "vty", "vty", nftables.ChainHookInput, "input", 2, "ssh", "_vty", false},
}

func dirOf(b acl.Binding) *dir {
	for _, x := range dirs {
		if x.p == b.Point && x.d == b.Dir {
			return x
		}
	}
	panic(fmt.Sprintf("enforcer: no row for %s (%s) in dirs", b.Point, b.Dir))
}

// baseDir returns the row of the base chain named name.
func baseDir(name string) *dir {
	for _, x := range dirs {
		if x.base == name {
			return x
		}
	}
	panic(fmt.Sprintf("enforcer: %s is not a base chain of dirs", name))
}

// baseHook returns the hook of the base chain named name.
func baseHook(name string) *nftables.ChainHook { return baseDir(name).hook }

// basePrio returns the priority of the base chain named name.
func basePrio(name string) *nftables.ChainPriority {
	return nftables.ChainPriorityRef(*nftables.ChainPriorityFilter + nftables.ChainPriority(baseDir(name).prio))
}

// prioText is the priority of the base chain named name as nft writes it.
func prioText(name string) string {
	if p := baseDir(name).prio; p != 0 {
		return fmt.Sprintf("filter + %d", p)
	}
	return "filter"
}

// DefaultSSHPorts are the ports of the login service when none are given: the
// ports sshd listens on (its Port lines) are told to the daemon with
// --ssh-ports.
var DefaultSSHPorts = []uint16{22}

// bound is a list bound at a binding point, with the rows of its family and
// direction.
type bound struct {
	fm   *fam
	dir  *dir
	name string
	acl  *acl.ACL
}

// chain is the chain of the list's lines.
func (b bound) chain() string { return b.fm.chain + b.dir.suffix }

// boundLists returns the lists bound in cfg (that exist), in the order of
// acl.AllBindings: IPv4 in, IPv6 in.
func boundLists(cfg *acl.Config) []bound {
	var out []bound
	for at, name := range cfg.Bound.All() {
		if a, ok := cfg.ACLs[name]; ok {
			out = append(out, bound{famOf(at.Family), dirOf(at), name, a})
		}
	}
	return out
}

// listChains returns the names of every chain a bound list can have, bound or
// not: what the kernel may hold from an earlier config.
func listChains() []string {
	var out []string
	for _, fm := range fams {
		for _, d := range dirs {
			out = append(out, fm.chain+d.suffix)
		}
	}
	return out
}

// Plan is the kernel state for a config: chains, sets and rules of table inet aclsh.
// Every object has a stable identity: chains and sets by name, rules by their key
// (their comment, unique in the chain). Names and keys derive from what a line
// enforces (family, list, rule body), never from its position, so inserting a line
// renames nothing.
type Plan struct {
	IfName string
	Chains []*Chain
	Sets   []*Set
	// Limits lists the connlimit lines that count sessions, in evaluation order.
	Limits []*Limit
}

// Chain is a chain of the plan; the first is the base chain on the input hook.
type Chain struct {
	Name  string
	Base  bool
	Rules []*Rule
}

// Rule is one kernel rule. Key is its identity and comment; Count, when not zero,
// is the show counter (a line's matches, the connections a limit refused, the
// implicit deny) that its counter adds to.
type Rule struct {
	Key   string
	Count LineRef
	Text  string
	Exprs []expr.Any
	// Anon holds the constant anonymous sets the rule looks up (a port list:
	// `th dport { 22, 443 }`); a Lookup in Exprs names Anon[i] anonName(i). The
	// kernel creates them with the rule and deletes them with it.
	Anon    []*AnonSet
	Counter *expr.Counter // nil if the rule counts nothing
	// Logged, for a log rule, is the show counter of its second counter: the
	// packets it logged (Role Logged; Count, Role LogSeen, counts the ones it saw).
	Logged LineRef
}

// SetKind says what a set holds.
type SetKind uint8

const (
	SetConnLimit SetKind = iota // dynamic: per-source connection lists
	SetPreMap                   // source -> goto the chain of its offset, with timeouts
	SetRun                      // the lines of a run, one element (or a few) a line (runs.go)
)

// Set is a named set of the plan.
type Set struct {
	Name   string
	Kind   SetKind
	Family acl.Family
	// Size caps a SetConnLimit: the most sources (prefixes) it tracks at once.
	// When it is full, the kernel adds no source to it: the line's dynset does
	// not match for sources not in it (a permit admits them, a deny lets them
	// fall through), while sources in it stay limited.
	Size  int
	Elems []Elem

	// SetRun: the key, and the list of the rule that looks it up; the run it
	// was compiled from.
	shape *shape
	list  string
	run   *runOut
	// ports are a verdict map's sets of ports (see crossPorts), nil if none;
	// portSide is 1 or 2 for such a set of source or destination ports (a
	// set, not a map: no verdicts, no counters).
	ports    [2]*Set
	portSide int
	// part says whether the set is a sharded verdict map's dispatch map or
	// one of its shards (shard.go).
	part shardPart
}

// Elem is an element of a set. Of a SetPreMap: a source (its prefix's first
// address, for a line with a mask) and the chain it goes to. Of a SetRun (a
// verdict map): the ranges a line matches (Key to End), the line's key
// "ACL/ID" (its comment), its show counter (the line's matches) and its verdict, the
// line's action. Of a run's port set (Set.ports): the line's key, no counter.
type Elem struct {
	Addr  netip.Addr
	Chain string

	Key, End []byte
	Line     string
	Count    LineRef
	Act      acl.Action
}

// Limit is a connlimit line of a bound list that counts sessions per source.
type Limit struct {
	ID     string // stable identity: hash of family, list and rule body
	ACL    string
	Family acl.Family
	Rule   acl.Rule
	Mark   uint32 // ct mark of sessions it admits (permit lines)
}

// Ref returns the line's LineRef (its matches): the key of its sessions and
// sources in Stats.
func (l *Limit) Ref() LineRef { return Line(l.ACL, l.Rule.Seq) }

// Source returns what the line counts a connection from a under: a itself, or for
// a line with a mask the first address of a's prefix (the key of the line's sets).
func (l *Limit) Source(a netip.Addr) netip.Addr { return l.Rule.ConnMask.Key(a).Addr() }

// Prefix returns the prefix of a source key: what show prints.
func (l *Limit) Prefix(src netip.Addr) netip.Prefix { return l.Rule.ConnMask.Key(src) }

// Chain is the name of the line's chain; Set, PreMap of its sets.
func (l *Limit) Chain() string { return "lim_" + l.ID }

// Refuse is the chain every refusal of a permit connlimit line goes to: its one
// counter counts them all, whichever bucket chain a source was in (those come
// and go with the offsets; their own counters went with them).
func (l *Limit) Refuse() string { return "rej_" + l.ID }
func (l *Limit) Set() string    { return "cnt_" + l.ID }
func (l *Limit) PreMap() string { return "pre_" + l.ID }

// Bucket is the chain for sources with k sessions counted in userspace;
// BucketSet its per-source connection lists. Each threshold has its own set: the
// kernel keeps the limit an element was created with, so a source must never meet
// an element made for another threshold.
func (l *Limit) Bucket(k int) string    { return fmt.Sprintf("lim_%s_%d", l.ID, k) }
func (l *Limit) BucketSet(k int) string { return fmt.Sprintf("cnt_%s_%d", l.ID, k) }

// isBucket reports whether a chain or set name is a bucket's (name_ID_k).
func isBucket(name string) bool { return strings.Count(name, "_") == 2 }

// threshold is the count over which the line acts (the new connection included):
// a permit refuses over N, a deny drops over N-1.
func (l *Limit) threshold() int {
	if l.Rule.Action == acl.Deny {
		return int(l.Rule.ConnLimit) - 1
	}
	return int(l.Rule.ConnLimit)
}

// lineID is the identity of a rule in a list: it changes when what the line
// enforces changes, not when its seq does.
func lineID(f acl.Family, list string, r acl.Rule) string {
	h := sha256.Sum256([]byte(f.Name() + "\x00" + list + "\x00" + r.Body(f)))
	return hex.EncodeToString(h[:5])
}

// Pre gives, per connlimit line ID, the sessions per source counted in userspace:
// they count toward the limit although the kernel's own lists do not hold them.
type Pre map[string]map[netip.Addr]int

// LimitsOf lists the connlimit lines of the bound lists of cfg, in evaluation order,
// with their marks. A deny connlimit 1 line drops every new connection and counts
// nothing, so it is not listed.
func LimitsOf(cfg *acl.Config) []*Limit {
	var out []*Limit
	used := map[uint32]bool{}
	for _, b := range boundLists(cfg) {
		fm, name := b.fm, b.name
		for _, r := range b.acl.Entries() {
			if r.IsRemark() || r.ConnLimit == 0 || r.Established {
				continue
			}
			l := &Limit{ID: lineID(fm.f, name, r), ACL: name, Family: fm.f, Rule: r}
			if l.threshold() == 0 {
				continue
			}
			if r.Action == acl.Permit {
				// The mark ignores the limit, so changing N keeps the sessions a
				// line admitted; a collision takes the next free number.
				nl := r
				nl.ConnLimit = 0
				h := sha256.Sum256([]byte(fm.f.Name() + "\x00" + name + "\x00" + nl.Body(fm.f)))
				m := binary.BigEndian.Uint16(h[:2]) & 0x7fff
				for m == 0 || used[uint32(m)] {
					m = (m + 1) & 0x7fff
				}
				used[uint32(m)] = true
				l.Mark = markTag | uint32(m)<<16
			}
			out = append(out, l)
		}
	}
	return out
}

// Compile builds the plan for the bound lists of cfg on interface ifname. pre gives
// the offsets per connlimit line (nil: none). It is pure and deterministic.
func Compile(cfg *acl.Config, ifname string, pre Pre) *Plan {
	return new(Compiler).Compile(cfg, ifname, pre)
}

// Compiler compiles plans, reusing what it compiled last time: the lines of each
// list and how they were segmented into runs and single rules, with the sets and
// rules each segment compiled to. A new config is compared with the last one
// list by list: segments decided by the unchanged lines at the start and at the
// end of a list are kept as they are, only the lines around a change are
// segmented and compiled again, so a one-line change costs little at any
// length. A plan's rules and run sets' elements are never changed once made; a
// line's rules depend only on the line. The plans are those Compile makes. The
// zero value is ready to use; it is not safe for concurrent use.
type Compiler struct {
	// SSHPorts are the ports of the login service (line vty); nil:
	// DefaultSSHPorts.
	SSHPorts []uint16

	lists map[listKey]*listMemo
	// lines finds the line of each list-chain rule key of the last plan.
	lines *lineIndex
}

type lineKey struct {
	f    acl.Family
	list string
	r    acl.Rule
}

type listKey struct {
	f    acl.Family
	d    acl.Dir
	name string
}

// sshPorts returns the ports of the login service.
func (cc *Compiler) sshPorts() []uint16 { return orDefaultPorts(cc.SSHPorts) }

// LoginPorts returns the ports of the login service this enforcer guards.
func (e *Enforcer) LoginPorts() []uint16 { return orDefaultPorts(e.SSHPorts) }

func orDefaultPorts(ports []uint16) []uint16 {
	if len(ports) > 0 {
		return ports
	}
	return DefaultSSHPorts
}

// Compile is the package's Compile, reusing unchanged lines' rules and runs.
func (cc *Compiler) Compile(cfg *acl.Config, ifname string, pre Pre) *Plan {
	lists := map[listKey]*listMemo{}
	idx := &lineIndex{}
	defer func() { cc.lists, cc.lines = lists, idx }()
	p := &Plan{IfName: ifname, Limits: LimitsOf(cfg)}
	limits := map[string]*Limit{}
	for _, l := range p.Limits {
		limits[l.ID] = l
	}
	bl := boundLists(cfg)
	for _, d := range dirs {
		base := &Chain{Name: d.base, Base: true}
		if !d.track && !slices.ContainsFunc(bl, func(b bound) bool { return b.dir == d }) {
			continue // the table has this direction's base chain only while a list is bound in it
		}
		p.Chains = append(p.Chains, base)
		switch d.kind {
		case "if":
			base.add(newRule(d.key+"/if", LineRef{}, fmt.Sprintf("iifname != %q return", ifname),
				metaLoad(expr.MetaKeyIIFNAME), cmp(expr.CmpOpNeq, ifnameBytes(ifname)), verdict(expr.VerdictReturn)))
		case "host":
			base.add(newRule(d.key+"/lo", LineRef{}, `iifname "lo" return`,
				metaLoad(expr.MetaKeyIIFNAME), cmp(expr.CmpOpEq, ifnameBytes("lo")), verdict(expr.VerdictReturn)))
		case "ssh":
			base.add(newRule(d.key+"/new", LineRef{}, "ct state ! new return",
				ctLoad(expr.CtKeySTATE), ctStateBits(expr.CtStateBitNEW), cmp(expr.CmpOpEq, make([]byte, 4)), verdict(expr.VerdictReturn)))
			base.add(newRule(d.key+"/tcp", LineRef{}, "meta l4proto != 6 return",
				metaLoad(expr.MetaKeyL4PROTO), cmp(expr.CmpOpNeq, []byte{unix.IPPROTO_TCP}), verdict(expr.VerdictReturn)))
		}
		if d.track {
			// A ct expression makes the kernel track connections in this namespace from now
			// on, so that sessions opened while no limit is bound can count when one is.
			base.add(newRule(d.key+"/ct", LineRef{}, "ct state invalid",
				ctLoad(expr.CtKeySTATE), ctStateBits(expr.CtStateBitINVALID), cmp(expr.CmpOpNeq, make([]byte, 4))))
		}
		for _, b := range bl {
			if b.dir == d {
				cc.list(p, base, b, cfg, pre, limits, lists, idx)
			}
		}
	}
	return p
}

// list compiles bound list b into its chain, jumped to from base.
func (cc *Compiler) list(p *Plan, base *Chain, b bound, cfg *acl.Config, pre Pre, limits map[string]*Limit, lists map[listKey]*listMemo, idx *lineIndex) {
	fm, name := b.fm, b.name
	ch := &Chain{Name: b.chain()}
	p.Chains = append(p.Chains, ch)
	nfproto := map[byte]string{unix.NFPROTO_IPV4: "ipv4", unix.NFPROTO_IPV6: "ipv6"}[fm.nfproto]
	if b.dir.kind == "ssh" {
		// a jump per port of the login service (tcp: the chain returned the rest)
		for _, port := range cc.sshPorts() {
			base.add(newRule(fmt.Sprintf("%s/%s/%d", b.dir.key, ch.Name, port), LineRef{}, fmt.Sprintf("meta nfproto %s th dport %d jump %s", nfproto, port, ch.Name),
				metaLoad(expr.MetaKeyNFPROTO), cmp(expr.CmpOpEq, []byte{fm.nfproto}),
				&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
				cmp(expr.CmpOpEq, binary.BigEndian.AppendUint16(nil, port)), &expr.Verdict{Kind: expr.VerdictJump, Chain: ch.Name}))
		}
	} else {
		base.add(newRule(b.dir.key+"/"+ch.Name, LineRef{}, fmt.Sprintf("meta nfproto %s jump %s", nfproto, ch.Name),
			metaLoad(expr.MetaKeyNFPROTO), cmp(expr.CmpOpEq, []byte{fm.nfproto}), &expr.Verdict{Kind: expr.VerdictJump, Chain: ch.Name}))
	}
	lk := listKey{fm.f, b.dir.d, name}
	m := segment(fm, name, b.acl.Snapshot(), cc.lists[lk])
	lists[lk] = m
	idx.lists = append(idx.lists, m)
	iv := cfg.LogInterval.Millis()
	for x := range m.segs {
		s := &m.segs[x]
		if s.run != nil {
			for _, st := range s.run.sets {
				c := *st
				p.Sets = append(p.Sets, &c)
			}
			for _, rr := range s.run.rules {
				ch.add(rr)
			}
			for _, sc := range s.run.chains {
				c := *sc
				c.Rules = slices.Clone(sc.Rules)
				p.Chains = append(p.Chains, &c)
			}
			continue
		}
		r := m.rs[s.start]
		me := s.rule
		if r.ConnLimit > 0 {
			// its chains and sets depend on the offsets: made every time
			me = cc.line(p, fm, name, r, limits, pre)
			s.key = me.Key
		} else if me == nil {
			me = cc.line(p, fm, name, r, limits, pre)
			s.rule, s.key = me, me.Key
		}
		if r.Log {
			if s.log == nil || s.iv != iv {
				s.log, s.iv = logRule(fm, name, r, cfg.LogInterval), iv
			}
			ch.add(s.log)
		}
		ch.add(me)
	}
	if fm.f == acl.IPv6 {
		// Neighbor discovery (acl.ImplicitICMPv6: types 134-136, router
		// advertisements and neighbor solicitations and advertisements):
		// without it IPv6 stops working.
		nd := acl.ImplicitICMPv6()
		lo, hi := nd[0].Type, nd[len(nd)-1].Type
		ch.add(newRule(name+"/nd", NDOf(name), fmt.Sprintf("icmpv6 type %d-%d accept", lo, hi),
			metaLoad(expr.MetaKeyL4PROTO), cmp(expr.CmpOpEq, []byte{unix.IPPROTO_ICMPV6}),
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: 1},
			&expr.Range{Op: expr.CmpOpEq, Register: 1, FromData: []byte{lo}, ToData: []byte{hi}},
			verdict(expr.VerdictAccept)))
	}
	ch.add(newRule(name+"/deny", DenyOf(name), "drop", verdict(expr.VerdictDrop)))
}

// line compiles one line of list name: the rule in the list's chain, and for a
// connlimit line its chains and sets.
func (cc *Compiler) line(p *Plan, fm *fam, name string, r acl.Rule, limits map[string]*Limit, pre Pre) *Rule {
	id := lineID(fm.f, name, r)
	key := name + "/" + id
	count := Line(name, r.Seq)
	m := match(fm, r) // a log line's logging is its own rule, before this one (log.go)
	l := limits[id]
	switch {
	case l != nil:
		p.limitChains(l, pre[id])
		return m.rule(key+"/j", LineRef{}, "jump "+l.Chain(), &expr.Verdict{Kind: expr.VerdictJump, Chain: l.Chain()})
	case r.ConnLimit > 0 && r.Action == acl.Deny:
		// deny ... connlimit 1: every new connection is the first or later.
		return m.rule(key+"/m", count, "ct state new drop",
			ctLoad(expr.CtKeySTATE), ctStateBits(expr.CtStateBitNEW), cmp(expr.CmpOpNeq, make([]byte, 4)), verdict(expr.VerdictDrop))
	}
	v, vt := expr.VerdictAccept, "accept"
	if r.Action == acl.Deny {
		v, vt = expr.VerdictDrop, "drop"
	}
	return m.rule(key+"/m", count, vt, verdict(v))
}

func (c *Chain) add(r *Rule) { c.Rules = append(c.Rules, r) }

// AnonSet is a constant anonymous set of a rule: its key type and elements, in
// the order nft lists them (ascending).
type AnonSet struct {
	Key   nftables.SetDatatype
	Elems [][]byte
}

// anonName is the name a plan rule's Lookup gives its i-th anonymous set; the
// batch replaces it with the set the kernel creates (named __set%d).
func anonName(i int) string { return fmt.Sprintf("__anon%d", i) }

// id identifies the set's contents, for comparing a plan rule with a kernel rule.
func (a *AnonSet) id() string {
	var b strings.Builder
	fmt.Fprintf(&b, "{%d:", a.Key.GetNFTMagic())
	for _, e := range a.Elems {
		fmt.Fprintf(&b, "%x,", e)
	}
	b.WriteString("}")
	return b.String()
}

// anonID returns the contents id of the anonymous set a plan rule's Lookup
// names, or "" for a named set.
func (r *Rule) anonID(name string) string {
	for i, a := range r.Anon {
		if name == anonName(i) {
			return a.id()
		}
	}
	return ""
}

// limitChains adds the chains and sets of a connlimit line.
//
// permit ... connlimit N (mark M):
//
//	ct mark & 0x80000000 == 0x80000000 accept   sessions admitted by any limit pass
//	ct state ! new return                      other packets fall through
//	ip saddr vmap @pre_ID                       sources with sessions counted in userspace
//	add @cnt_ID { ip saddr ct count over N } return    the (N+1)th falls through
//	ct mark set ct mark & 0x0000ffff | M accept
//
// A source with k sessions counted in userspace goes to chain lim_ID_k, the same
// with N-k (or a plain return when k >= N). deny ... connlimit N: the same without
// marks, dropping from the Nth connection on.
func (p *Plan) limitChains(l *Limit, pre map[netip.Addr]int) {
	fm := famOf(l.Family)
	ch := &Chain{Name: l.Chain()}
	p.Chains = append(p.Chains, ch)
	if permit := l.Rule.Action == acl.Permit; permit {
		// Refused: counted once for the line, then on to the list's next lines
		// (a goto from the line's chains returns to the list's chain).
		rc := &Chain{Name: l.Refuse()}
		rc.add(newRule(l.ACL+"/"+l.ID+"/rej", l.Ref().As(Refused), "return", verdict(expr.VerdictReturn)))
		p.Chains = append(p.Chains, rc)
	}
	key := l.ACL + "/" + l.ID
	count := l.Ref()
	permit := l.Rule.Action == acl.Permit
	if permit {
		ch.add(newRule(key+"/pass", count, fmt.Sprintf("ct mark & 0x%08x == 0x%08x accept", uint32(markTag), uint32(markTag)),
			ctLoad(expr.CtKeyMARK), &expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: ne32(markTag), Xor: make([]byte, 4)},
			cmp(expr.CmpOpEq, ne32(markTag)), verdict(expr.VerdictAccept)))
	}
	ch.add(newRule(key+"/est", LineRef{}, "ct state ! new return",
		ctLoad(expr.CtKeySTATE), ctStateBits(expr.CtStateBitNEW), cmp(expr.CmpOpEq, make([]byte, 4)), verdict(expr.VerdictReturn)))
	// The source, or with a mask its prefix: the key of the line's sets.
	loadSrc := []expr.Any{metaLoad(expr.MetaKeyNFPROTO), cmp(expr.CmpOpEq, []byte{fm.nfproto}),
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: fm.src, Len: fm.alen}}
	src := fm.name + " saddr"
	if m := l.Rule.ConnMask; m != 0 {
		mb := prefixMask(m.Len(l.Family), int(fm.alen))
		loadSrc = append(loadSrc, &expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: fm.alen, Mask: mb, Xor: make([]byte, fm.alen)})
		a, _ := netip.AddrFromSlice(mb)
		src += " & " + a.String()
	}
	ch.add(newRule(key+"/pre", LineRef{}, fmt.Sprintf("%s vmap @%s", src, l.PreMap()),
		append(loadSrc, &expr.Lookup{SourceRegister: 1, SetName: l.PreMap(), IsDestRegSet: true})...))

	// tail ends a chain for sources with k sessions counted in userspace.
	tail := func(c *Chain, k int) {
		over := l.threshold() - k
		sfx, set := "", l.Set()
		if k > 0 {
			sfx, set = fmt.Sprint(k), l.BucketSet(k)
		}
		refuse := &expr.Verdict{Kind: expr.VerdictGoto, Chain: l.Refuse()}
		if over <= 0 {
			if permit {
				c.add(newRule(key+"/r"+sfx, LineRef{}, "goto "+l.Refuse(), refuse))
			} else {
				c.add(newRule(key+"/m"+sfx, count, "drop", verdict(expr.VerdictDrop)))
			}
			return
		}
		p.Sets = append(p.Sets, &Set{Name: set, Kind: SetConnLimit, Family: l.Family, Size: l.Rule.Sources()})
		txt := fmt.Sprintf("add @%s { %s ct count over %d }", set, src, over)
		dyn := &expr.Dynset{SrcRegKey: 1, SetName: set, Operation: uint32(unix.NFT_DYNSET_OP_ADD),
			Exprs: []expr.Any{&expr.Connlimit{Count: uint32(over), Flags: expr.NFT_CONNLIMIT_F_INV}}}
		// fail-closed: a source the full set could not take is refused too (the
		// add above fails for it, so the line would let it past).
		notIn := func() []expr.Any {
			return append(append([]expr.Any{}, loadSrc...), &expr.Lookup{SourceRegister: 1, SetName: set, Invert: true})
		}
		if !permit {
			c.add(newRule(key+"/m"+sfx, count, txt+" drop", append(append([]expr.Any{}, loadSrc...), dyn, verdict(expr.VerdictDrop))...))
			if l.Rule.ConnFailClosed {
				c.add(newRule(key+"/f"+sfx, count, fmt.Sprintf("%s != @%s drop", src, set), append(notIn(), verdict(expr.VerdictDrop))...))
			}
			return
		}
		c.add(newRule(key+"/r"+sfx, LineRef{}, txt+" goto "+l.Refuse(), append(append([]expr.Any{}, loadSrc...), dyn, refuse)...))
		if l.Rule.ConnFailClosed {
			c.add(newRule(key+"/f"+sfx, LineRef{}, fmt.Sprintf("%s != @%s goto %s", src, set, l.Refuse()), append(notIn(), refuse)...))
		}
		// Only aclsh's bits of the mark: the others stay as they were.
		c.add(newRule(key+"/ok"+sfx, count, fmt.Sprintf("ct mark set ct mark & 0x%08x | 0x%08x accept", uint32(^uint32(markOwned)), l.Mark),
			ctLoad(expr.CtKeyMARK), &expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: ne32(^uint32(markOwned)), Xor: ne32(l.Mark)},
			&expr.Ct{Key: expr.CtKeyMARK, Register: 1, SourceRegister: true}, verdict(expr.VerdictAccept)))
	}
	tail(ch, 0)

	vm := &Set{Name: l.PreMap(), Kind: SetPreMap, Family: l.Family}
	p.Sets = append(p.Sets, vm)
	addrs := make([]netip.Addr, 0, len(pre))
	for a, k := range pre {
		if k > 0 {
			addrs = append(addrs, a)
		}
	}
	sort.Slice(addrs, func(x, y int) bool { return addrs[x].Less(addrs[y]) })
	var ks []int
	for _, a := range addrs {
		k := min(pre[a], max(l.threshold(), 1)) // beyond the threshold all the same
		vm.Elems = append(vm.Elems, Elem{Addr: a, Chain: l.Bucket(k)})
		ks = append(ks, k)
	}
	sort.Ints(ks)
	for i, k := range ks {
		if i > 0 && ks[i-1] == k {
			continue
		}
		bc := &Chain{Name: l.Bucket(k)}
		p.Chains = append(p.Chains, bc)
		tail(bc, k)
	}
}

func newRule(key string, count LineRef, text string, exprs ...expr.Any) *Rule {
	r := &Rule{Key: key, Count: count}
	if !count.IsZero() {
		r.Counter = &expr.Counter{}
		last := len(exprs) - 1
		if _, ok := exprs[last].(*expr.Verdict); ok {
			exprs = append(exprs[:last:last], r.Counter, exprs[last])
			if i := strings.LastIndex(text, " "); i >= 0 && isVerdictWord(text[i+1:]) {
				text = text[:i] + " counter" + text[i:]
			} else {
				text = "counter " + text
			}
		} else {
			exprs = append(exprs, r.Counter)
			text += " counter"
		}
	}
	text += fmt.Sprintf(" comment %q", key)
	r.Text, r.Exprs = text, exprs
	return r
}

func isVerdictWord(w string) bool {
	switch w {
	case "accept", "drop", "return":
		return true
	}
	return false
}

func metaLoad(k expr.MetaKey) expr.Any { return &expr.Meta{Key: k, Register: 1} }
func ctLoad(k expr.CtKey) expr.Any     { return &expr.Ct{Key: k, Register: 1} }
func cmp(op expr.CmpOp, data []byte) expr.Any {
	return &expr.Cmp{Op: op, Register: 1, Data: data}
}
func verdict(k expr.VerdictKind) expr.Any { return &expr.Verdict{Kind: k} }
func ne32(v uint32) []byte                { return binary.NativeEndian.AppendUint32(nil, v) }
func ctStateBits(bits uint32) expr.Any {
	return &expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: ne32(bits), Xor: make([]byte, 4)}
}

func ifnameBytes(s string) []byte {
	b := make([]byte, 16)
	copy(b, s)
	return b
}

// matcher accumulates the expressions, anonymous sets and nft text of a rule's
// match.
type matcher struct {
	exprs []expr.Any
	anon  []*AnonSet
	words []string
}

// rule is newRule with the match's anonymous sets.
func (m *matcher) rule(key string, count LineRef, verdictText string, exprs ...expr.Any) *Rule {
	r := newRule(key, count, m.text(verdictText), append(m.exprs, exprs...)...)
	r.Anon = m.anon
	return r
}

func (m *matcher) add(text string, e ...expr.Any) {
	m.exprs = append(m.exprs, e...)
	m.words = append(m.words, text)
}

func (m *matcher) text(v string) string {
	return strings.TrimSpace(strings.Join(append(m.words, v), " "))
}

// match builds the expressions matching a rule's protocol, addresses, ports and
// established flag.
func match(fm *fam, r acl.Rule) *matcher {
	m := &matcher{}
	if r.Proto.Set {
		m.add(fmt.Sprintf("meta l4proto %d", r.Proto.Num), metaLoad(expr.MetaKeyL4PROTO), cmp(expr.CmpOpEq, []byte{r.Proto.Num}))
	}
	if r.Src.Kind != acl.AddrAny || r.Dst.Kind != acl.AddrAny || r.TTL.Op != acl.PortAny || r.Fragments {
		// the dependency nft adds before an ip or ip6 payload in an inet table
		m.exprs = append(m.exprs, metaLoad(expr.MetaKeyNFPROTO), cmp(expr.CmpOpEq, []byte{fm.nfproto}))
	}
	addr(m, fm, "saddr", fm.src, r.Src)
	addr(m, fm, "daddr", fm.dst, r.Dst)
	ports(m, "sport", 0, r.SrcPort)
	ports(m, "dport", 2, r.DstPort)
	if r.ICMP.Set {
		icmpType(m, fm, r.ICMP)
	}
	if r.TTL.Op != acl.PortAny {
		op, word := map[acl.PortOp]expr.CmpOp{acl.PortEq: expr.CmpOpEq, acl.PortNeq: expr.CmpOpNeq, acl.PortLt: expr.CmpOpLt, acl.PortGt: expr.CmpOpGt}[r.TTL.Op],
			map[acl.PortOp]string{acl.PortEq: "", acl.PortNeq: "!= ", acl.PortLt: "< ", acl.PortGt: "> "}[r.TTL.Op]
		m.add(fmt.Sprintf("%s %s%d", fm.ttlName, word, r.TTL.Val),
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: fm.ttl, Len: 1}, cmp(op, []byte{r.TTL.Val}))
	}
	if r.Fragments {
		m.add(fm.fragText, fm.frag()...)
	}
	if r.Established {
		m.add("ct direction reply", &expr.Ct{Key: expr.CtKeyDIRECTION, Register: 1}, cmp(expr.CmpOpEq, []byte{1}))
	}
	return m
}

func addr(m *matcher, fm *fam, field string, off uint32, a acl.Address) {
	load := &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: fm.alen}
	name := fm.name + " " + field
	switch a.Kind {
	case acl.AddrHost:
		m.add(name+" "+a.Addr.String(), load, cmp(expr.CmpOpEq, a.Addr.AsSlice()))
	case acl.AddrPrefix:
		mask := netip.PrefixFrom(a.Addr, int(a.Bits))
		mb := prefixMask(int(a.Bits), int(fm.alen))
		m.add(name+" "+mask.String(), load,
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: fm.alen, Mask: mb, Xor: make([]byte, fm.alen)},
			cmp(expr.CmpOpEq, a.Addr.AsSlice()))
	case acl.AddrWildcard:
		w := a.Wildcard.As4()
		mb := []byte{^w[0], ^w[1], ^w[2], ^w[3]}
		m.add(fmt.Sprintf("%s & %s == %s", name, netip.AddrFrom4([4]byte(mb)), a.Addr), load,
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: fm.alen, Mask: mb, Xor: make([]byte, fm.alen)},
			cmp(expr.CmpOpEq, a.Addr.AsSlice()))
	}
}

func prefixMask(bits, n int) []byte {
	b := make([]byte, n)
	for i := 0; i < bits; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	return b
}

func ports(m *matcher, field string, off uint32, p acl.PortMatch) {
	if p.Op == acl.PortAny {
		return
	}
	load := &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: off, Len: 2}
	be := func(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
	name := "th " + field
	if p.NMore > 0 {
		// several ports: one lookup in an anonymous set, as nft compiles
		// `th dport { 22, 443, 830 }` (`!= { ... }` for neq)
		set := &AnonSet{Key: nftables.TypeInetService}
		var words []string
		for _, x := range p.Ports() {
			set.Elems = append(set.Elems, be(x))
			words = append(words, fmt.Sprint(x))
		}
		op := ""
		if p.Op == acl.PortNeq {
			op = "!= "
		}
		lk := &expr.Lookup{SourceRegister: 1, SetName: anonName(len(m.anon)), Invert: p.Op == acl.PortNeq}
		m.anon = append(m.anon, set)
		m.add(fmt.Sprintf("%s %s{ %s }", name, op, strings.Join(words, ", ")), load, lk)
		return
	}
	switch p.Op {
	case acl.PortEq:
		m.add(fmt.Sprintf("%s %d", name, p.Lo), load, cmp(expr.CmpOpEq, be(p.Lo)))
	case acl.PortNeq:
		m.add(fmt.Sprintf("%s != %d", name, p.Lo), load, cmp(expr.CmpOpNeq, be(p.Lo)))
	case acl.PortLt:
		m.add(fmt.Sprintf("%s < %d", name, p.Lo), load, cmp(expr.CmpOpLt, be(p.Lo)))
	case acl.PortGt:
		m.add(fmt.Sprintf("%s > %d", name, p.Lo), load, cmp(expr.CmpOpGt, be(p.Lo)))
	case acl.PortRange:
		m.add(fmt.Sprintf("%s %d-%d", name, p.Lo, p.Hi), load, &expr.Range{Op: expr.CmpOpEq, Register: 1, FromData: be(p.Lo), ToData: be(p.Hi)})
	}
}

// icmpType adds the match of an ICMP (ICMPv6) type and code: `icmp type 8`,
// `icmpv6 type 1 icmpv6 code 4`. The rule matches the protocol before.
func icmpType(m *matcher, fm *fam, im acl.ICMPMatch) {
	m.add(fmt.Sprintf("%s type %d", fm.icmp, im.Type),
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: 1}, cmp(expr.CmpOpEq, []byte{im.Type}))
	if im.CodeSet {
		m.add(fmt.Sprintf("%s code %d", fm.icmp, im.Code),
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 1, Len: 1}, cmp(expr.CmpOpEq, []byte{im.Code}))
	}
}

// String renders the plan as nft text, valid `nft -f` input.
func (p *Plan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "table inet %s {\n", Table)
	for _, s := range p.Sets {
		b.WriteString("\t" + s.decl() + "\n")
	}
	for _, c := range p.Chains {
		b.WriteString("\t" + c.decl() + "\n")
		for _, r := range c.Rules {
			fmt.Fprintf(&b, "\t\t%s\n", r.Text)
		}
		b.WriteString("\t}\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// decl is the set's nft declaration, with its elements.
func (s *Set) decl() string {
	t := famOf(s.Family).keyName
	switch s.Kind {
	case SetRun:
		return s.runDecl()
	case SetConnLimit:
		return fmt.Sprintf("set %s { type %s; size %d; flags dynamic; }", s.Name, t, s.Size)
	}
	el := ""
	if len(s.Elems) > 0 {
		var es []string
		for _, e := range s.Elems {
			es = append(es, e.text())
		}
		el = " elements = { " + strings.Join(es, ", ") + " };"
	}
	return fmt.Sprintf("map %s { type %s : verdict; flags timeout; timeout %s;%s }", s.Name, t, nftDuration(PreTimeout), el)
}

func (e Elem) text() string { return fmt.Sprintf("%s : goto %s", e.Addr, e.Chain) }

func (c *Chain) decl() string {
	if c.Base {
		return fmt.Sprintf("chain %s {\n\t\ttype filter hook %s priority %s; policy accept;", c.Name, baseDir(c.Name).hookNm, prioText(c.Name))
	}
	return fmt.Sprintf("chain %s {", c.Name)
}

func nftDuration(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}
