// Package enforcer turns an acl.Config into kernel state: Compile builds a Plan of
// nftables chains, sets and rules (pure, golden-tested as nft-like text); Apply
// replaces aclsh's own table with the plan in one nftables transaction; Stats reads
// counters and live sessions (conntrack) back for show commands.
package enforcer

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/aclsh/aclsh/acl"
)

// Table is the name of the nftables table aclsh owns (family inet). No other table
// is ever touched.
const Table = "aclsh"

const (
	// SetSize caps each per-source connection-limit set. When a set is full, sources
	// not yet in it are not limited by that rule (the kernel's dynset stops matching).
	SetSize = 65535
	// markBase tags conntrack entries admitted by a permit connlimit rule: the
	// mark is markBase | rule index.
	markBase = 0x41430000
	markMask = 0xffff0000
	// PreTimeout is how long a source stays in a rule's pre-existing-sessions map
	// without a refresh (by the next apply or the follow daemon). If the daemon stops,
	// no source stays limited by stale counts for longer than this.
	PreTimeout = 5 * time.Minute
)

// Plan is the kernel state for a config: chains, sets and rules of table inet aclsh.
type Plan struct {
	IfName string
	Hash   string // fingerprint of the config and interface, kept in the first rule's comment
	Chains []*Chain
	Sets   []*Set
	// Limits lists the connlimit rules, for session accounting.
	Limits []*Limit
}

// Chain is a chain of the plan; the first is the base chain on the input hook.
type Chain struct {
	Name  string
	Base  bool
	Rules []*Rule
}

// Rule is one kernel rule. Key ("ACL/seq/m" for matches, "ACL/seq/r" for refused
// connections, "ACL/deny/m" for the implicit deny) is its comment; rules with the
// same key add their counters up.
type Rule struct {
	Key     string
	Text    string
	Exprs   []expr.Any
	Counter *expr.Counter // nil if the rule counts nothing
}

// SetKind says what a set holds.
type SetKind uint8

const (
	SetConnLimit SetKind = iota // dynamic: per-source connection counts
	SetPreMap                   // source -> goto bucket chain, with timeouts
)

// Set is a named set of the plan.
type Set struct {
	Name   string
	Kind   SetKind
	Family acl.Family
	Elems  []Elem
}

// Elem is an element of a SetPreMap: a source and the chain it goes to.
type Elem struct {
	Addr  netip.Addr
	Chain string
}

// Limit is a connlimit rule of a bound list, with what session accounting needs.
type Limit struct {
	Index  int
	ACL    string
	Family acl.Family
	Rule   acl.Rule
	Mark   uint32
}

// Key returns "ACL/seq".
func (l *Limit) Key() string { return fmt.Sprintf("%s/%d", l.ACL, l.Rule.Seq) }

// Pre holds, per connlimit rule key ("ACL/seq"), the live connections each source
// had when the plan was made: they count toward the limit although the kernel's
// counters start empty.
type Pre map[string]map[netip.Addr]int

// LimitsOf lists the connlimit rules of the bound lists of cfg in plan order.
func LimitsOf(cfg *acl.Config) []*Limit {
	var out []*Limit
	for _, f := range []acl.Family{acl.IPv4, acl.IPv6} {
		name := cfg.Mgmt.Get(f)
		a, ok := cfg.ACLs[name]
		if name == "" || !ok {
			continue
		}
		for _, r := range a.Entries() {
			if !r.IsRemark() && r.ConnLimit > 0 {
				i := len(out)
				out = append(out, &Limit{Index: i, ACL: name, Family: f, Rule: r, Mark: markBase | uint32(i)})
			}
		}
	}
	return out
}

// Fingerprint identifies the kernel state a config needs on an interface.
func Fingerprint(cfg *acl.Config, ifname string) string {
	h := sha256.Sum256([]byte(ifname + "\n" + cfg.Render()))
	return fmt.Sprintf("%x", h[:6])
}

// Compile builds the plan for the bound lists of cfg on interface ifname. pre gives
// the live connections per source for connlimit rules (nil: none). It is pure and
// deterministic.
func Compile(cfg *acl.Config, ifname string, pre Pre) *Plan {
	p := &Plan{IfName: ifname, Hash: Fingerprint(cfg, ifname), Limits: LimitsOf(cfg)}
	in := &Chain{Name: "input", Base: true}
	p.Chains = append(p.Chains, in)
	in.Rules = append(in.Rules, newRule("plan:"+p.Hash, false,
		fmt.Sprintf("iifname != %q return", ifname),
		metaLoad(expr.MetaKeyIIFNAME), cmp(expr.CmpOpNeq, ifnameBytes(ifname)), verdict(expr.VerdictReturn)))
	// A ct expression makes the kernel track connections in this namespace from now
	// on, so that sessions opened while no limit is bound can count when one is.
	in.Rules = append(in.Rules, newRule("", false, "ct state invalid counter",
		ctLoad(expr.CtKeySTATE),
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: binary.NativeEndian.AppendUint32(nil, expr.CtStateBitINVALID), Xor: make([]byte, 4)},
		cmp(expr.CmpOpNeq, make([]byte, 4)), &expr.Counter{}))
	limits := map[string]*Limit{}
	for _, l := range p.Limits {
		limits[l.Key()] = l
	}
	for _, f := range []acl.Family{acl.IPv4, acl.IPv6} {
		name := cfg.Mgmt.Get(f)
		a, ok := cfg.ACLs[name]
		if name == "" || !ok {
			continue
		}
		ch := &Chain{Name: "acl" + map[acl.Family]string{acl.IPv4: "4", acl.IPv6: "6"}[f]}
		p.Chains = append(p.Chains, ch)
		nfp := byte(unix.NFPROTO_IPV4)
		if f == acl.IPv6 {
			nfp = unix.NFPROTO_IPV6
		}
		in.Rules = append(in.Rules, newRule("", false, fmt.Sprintf("meta nfproto %s jump %s", map[acl.Family]string{acl.IPv4: "ipv4", acl.IPv6: "ipv6"}[f], ch.Name),
			metaLoad(expr.MetaKeyNFPROTO), cmp(expr.CmpOpEq, []byte{nfp}), &expr.Verdict{Kind: expr.VerdictJump, Chain: ch.Name}))
		for _, r := range a.Entries() {
			if r.IsRemark() {
				continue
			}
			key := fmt.Sprintf("%s/%d", name, r.Seq)
			m := match(f, r)
			if r.Log {
				prefix := fmt.Sprintf("aclsh %s seq %d: ", name, r.Seq)
				m.add(fmt.Sprintf("log prefix %q", prefix), &expr.Log{Key: 1 << unix.NFTA_LOG_PREFIX, Data: []byte(prefix)})
			}
			if r.ConnLimit == 0 {
				v, vt := expr.VerdictAccept, "accept"
				if r.Action == acl.Deny {
					v, vt = expr.VerdictDrop, "drop"
				}
				ch.Rules = append(ch.Rules, newRule(key+"/m", true, m.text(vt), append(m.exprs, verdict(v))...))
				continue
			}
			l := limits[key]
			sub := p.limitChains(l, pre[key])
			ch.Rules = append(ch.Rules, newRule("", false, m.text("jump "+sub), append(m.exprs, &expr.Verdict{Kind: expr.VerdictJump, Chain: sub})...))
		}
		if f == acl.IPv6 {
			// Neighbor discovery, as IOS permits implicitly: without it IPv6 stops working.
			ch.Rules = append(ch.Rules, newRule(name+"/nd/m", true, "icmpv6 type 134-136 accept",
				metaLoad(expr.MetaKeyL4PROTO), cmp(expr.CmpOpEq, []byte{unix.IPPROTO_ICMPV6}),
				&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: 1},
				&expr.Range{Op: expr.CmpOpEq, Register: 1, FromData: []byte{134}, ToData: []byte{136}},
				verdict(expr.VerdictAccept)))
		}
		ch.Rules = append(ch.Rules, newRule(name+"/deny/m", true, "drop", verdict(expr.VerdictDrop)))
	}
	return p
}

// limitChains adds the chains and sets of a connlimit rule and returns the chain the
// ACL chain jumps to for packets matching the rule.
//
// permit ... connlimit N (mark M):
//
//	ct mark M accept                                  sessions it admitted pass
//	ct state != new return                            other packets fall through
//	ip saddr vmap @pN                                 sources with live sessions at apply
//	add @cN { ip saddr ct count over N } return       the (N+1)th falls through
//	ct mark set M accept
//
// deny ... connlimit N: the same without marks, dropping from the Nth connection on.
func (p *Plan) limitChains(l *Limit, pre map[netip.Addr]int) string {
	i, n := l.Index, int(l.Rule.ConnLimit)
	key := l.Key()
	name := fmt.Sprintf("limit%d", i)
	ch := &Chain{Name: name}
	p.Chains = append(p.Chains, ch)
	permit := l.Rule.Action == acl.Permit
	markB := binary.NativeEndian.AppendUint32(nil, l.Mark)
	if permit {
		ch.Rules = append(ch.Rules, newRule(key+"/m", true, fmt.Sprintf("ct mark 0x%08x accept", l.Mark),
			ctLoad(expr.CtKeyMARK), cmp(expr.CmpOpEq, markB), verdict(expr.VerdictAccept)))
	}
	ch.Rules = append(ch.Rules, newRule("", false, "ct state ! new return",
		ctLoad(expr.CtKeySTATE),
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: binary.NativeEndian.AppendUint32(nil, expr.CtStateBitNEW), Xor: make([]byte, 4)},
		cmp(expr.CmpOpEq, make([]byte, 4)), verdict(expr.VerdictReturn)))

	// threshold: the rule matches (permit: refuses; deny: drops) when the count,
	// the new connection included, is over this.
	threshold := n
	if !permit {
		threshold = n - 1
	}
	saddrOff, alen := uint32(12), uint32(4)
	if l.Family == acl.IPv6 {
		saddrOff, alen = 8, 16
	}
	loadSrc := &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: saddrOff, Len: alen}
	tail := func(c *Chain, set string, over int) {
		txt := fmt.Sprintf("add @%s { %s saddr ct count over %d }", set, fam(l.Family), over)
		dyn := &expr.Dynset{SrcRegKey: 1, SetName: set, Operation: uint32(unix.NFT_DYNSET_OP_ADD),
			Exprs: []expr.Any{&expr.Connlimit{Count: uint32(over), Flags: expr.NFT_CONNLIMIT_F_INV}}}
		if permit {
			c.Rules = append(c.Rules, newRule(key+"/r", true, txt+" return", append(nfproto(l.Family), loadSrc, dyn, verdict(expr.VerdictReturn))...))
			c.Rules = append(c.Rules, newRule(key+"/m", true, fmt.Sprintf("ct mark set 0x%08x accept", l.Mark),
				&expr.Immediate{Register: 1, Data: markB}, &expr.Ct{Key: expr.CtKeyMARK, Register: 1, SourceRegister: true}, verdict(expr.VerdictAccept)))
		} else {
			c.Rules = append(c.Rules, newRule(key+"/m", true, txt+" drop", append(nfproto(l.Family), loadSrc, dyn, verdict(expr.VerdictDrop))...))
		}
		p.Sets = append(p.Sets, &Set{Name: set, Kind: SetConnLimit, Family: l.Family})
	}

	if len(pre) > 0 {
		vm := &Set{Name: fmt.Sprintf("pre%d", i), Kind: SetPreMap, Family: l.Family}
		addrs := make([]netip.Addr, 0, len(pre))
		for a := range pre {
			addrs = append(addrs, a)
		}
		sort.Slice(addrs, func(x, y int) bool { return addrs[x].Less(addrs[y]) })
		buckets := map[int]string{}
		for _, a := range addrs {
			k := pre[a]
			if k <= 0 {
				continue
			}
			if k > threshold {
				k = threshold // all the same: every new connection is over the limit
			}
			cn, ok := buckets[k]
			if !ok {
				cn = fmt.Sprintf("%s_%d", name, k)
				buckets[k] = cn
				bc := &Chain{Name: cn}
				p.Chains = append(p.Chains, bc)
				if over := threshold - k; over > 0 {
					tail(bc, fmt.Sprintf("c%d_%d", i, k), over)
				} else if permit {
					bc.Rules = append(bc.Rules, newRule(key+"/r", true, "return", verdict(expr.VerdictReturn)))
				} else {
					bc.Rules = append(bc.Rules, newRule(key+"/m", true, "drop", verdict(expr.VerdictDrop)))
				}
			}
			vm.Elems = append(vm.Elems, Elem{Addr: a, Chain: cn})
		}
		if len(vm.Elems) > 0 {
			p.Sets = append(p.Sets, vm)
			ch.Rules = append(ch.Rules, newRule("", false, fmt.Sprintf("%s saddr vmap @%s", fam(l.Family), vm.Name),
				append(nfproto(l.Family), loadSrc, &expr.Lookup{SourceRegister: 1, SetName: vm.Name, DestRegister: 0, IsDestRegSet: true})...))
		}
	}
	if threshold > 0 {
		tail(ch, fmt.Sprintf("c%d", i), threshold)
	} else {
		// deny ... connlimit 1: every new connection is the first or later.
		ch.Rules = append(ch.Rules, newRule(key+"/m", true, "drop", verdict(expr.VerdictDrop)))
	}
	return name
}

func newRule(key string, count bool, text string, exprs ...expr.Any) *Rule {
	r := &Rule{Key: key}
	if count {
		r.Counter = &expr.Counter{}
		last := len(exprs) - 1
		exprs = append(exprs[:last:last], r.Counter, exprs[last])
		if i := strings.LastIndex(text, " "); i >= 0 && isVerdictWord(text[i+1:]) {
			text = text[:i] + " counter" + text[i:]
		} else {
			text = "counter " + text
		}
	}
	if key != "" {
		text += fmt.Sprintf(" comment %q", key)
	}
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

func fam(f acl.Family) string {
	if f == acl.IPv6 {
		return "ip6"
	}
	return "ip"
}

// nfproto is the dependency nft adds before an ip or ip6 payload in an inet table;
// it has no text of its own.
func nfproto(f acl.Family) []expr.Any {
	p := byte(unix.NFPROTO_IPV4)
	if f == acl.IPv6 {
		p = unix.NFPROTO_IPV6
	}
	return []expr.Any{metaLoad(expr.MetaKeyNFPROTO), cmp(expr.CmpOpEq, []byte{p})}
}

func metaLoad(k expr.MetaKey) expr.Any { return &expr.Meta{Key: k, Register: 1} }
func ctLoad(k expr.CtKey) expr.Any     { return &expr.Ct{Key: k, Register: 1} }
func cmp(op expr.CmpOp, data []byte) expr.Any {
	return &expr.Cmp{Op: op, Register: 1, Data: data}
}
func verdict(k expr.VerdictKind) expr.Any { return &expr.Verdict{Kind: k} }

func ifnameBytes(s string) []byte {
	b := make([]byte, 16)
	copy(b, s)
	return b
}

// matcher accumulates the expressions and nft text of a rule's match.
type matcher struct {
	exprs []expr.Any
	words []string
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
func match(f acl.Family, r acl.Rule) *matcher {
	m := &matcher{}
	if r.Proto.Set {
		m.add(fmt.Sprintf("meta l4proto %d", r.Proto.Num), metaLoad(expr.MetaKeyL4PROTO), cmp(expr.CmpOpEq, []byte{r.Proto.Num}))
	}
	srcOff, dstOff, alen := uint32(12), uint32(16), uint32(4)
	if f == acl.IPv6 {
		srcOff, dstOff, alen = 8, 24, 16
	}
	if r.Src.Kind != acl.AddrAny || r.Dst.Kind != acl.AddrAny {
		m.exprs = append(m.exprs, nfproto(f)...)
	}
	addr(m, f, "saddr", srcOff, alen, r.Src)
	addr(m, f, "daddr", dstOff, alen, r.Dst)
	ports(m, "sport", 0, r.SrcPort)
	ports(m, "dport", 2, r.DstPort)
	if r.Established {
		m.add("ct direction reply", &expr.Ct{Key: expr.CtKeyDIRECTION, Register: 1}, cmp(expr.CmpOpEq, []byte{1}))
	}
	return m
}

func addr(m *matcher, f acl.Family, field string, off, alen uint32, a acl.Address) {
	load := &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: alen}
	name := fam(f) + " " + field
	switch a.Kind {
	case acl.AddrHost:
		m.add(name+" "+a.Addr.String(), load, cmp(expr.CmpOpEq, a.Addr.AsSlice()))
	case acl.AddrPrefix:
		mask := netip.PrefixFrom(a.Addr, a.Bits)
		mb := prefixMask(a.Bits, int(alen))
		m.add(name+" "+mask.String(), load,
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: alen, Mask: mb, Xor: make([]byte, alen)},
			cmp(expr.CmpOpEq, a.Addr.AsSlice()))
	case acl.AddrWildcard:
		w := a.Wildcard.As4()
		mb := []byte{^w[0], ^w[1], ^w[2], ^w[3]}
		m.add(fmt.Sprintf("%s & %s == %s", name, netip.AddrFrom4([4]byte(mb)), a.Addr), load,
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: alen, Mask: mb, Xor: make([]byte, alen)},
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

// String renders the plan as nft-like text, for golden tests and debugging.
func (p *Plan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "table inet %s {\n", Table)
	for _, s := range p.Sets {
		t := "ipv4_addr"
		if s.Family == acl.IPv6 {
			t = "ipv6_addr"
		}
		switch s.Kind {
		case SetConnLimit:
			fmt.Fprintf(&b, "\tset %s { type %s; size %d; flags dynamic; }\n", s.Name, t, SetSize)
		case SetPreMap:
			fmt.Fprintf(&b, "\tmap %s { type %s : verdict; flags timeout; timeout %s;", s.Name, t, PreTimeout)
			var el []string
			for _, e := range s.Elems {
				el = append(el, fmt.Sprintf("%s : goto %s", e.Addr, e.Chain))
			}
			fmt.Fprintf(&b, " elements = { %s }; }\n", strings.Join(el, ", "))
		}
	}
	for _, c := range p.Chains {
		fmt.Fprintf(&b, "\tchain %s {\n", c.Name)
		if c.Base {
			b.WriteString("\t\ttype filter hook input priority filter; policy accept;\n")
		}
		for _, r := range c.Rules {
			fmt.Fprintf(&b, "\t\t%s\n", r.Text)
		}
		b.WriteString("\t}\n")
	}
	b.WriteString("}\n")
	return b.String()
}
