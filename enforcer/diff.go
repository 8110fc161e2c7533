package enforcer

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
)

// kstate is what table inet aclsh holds: read from the kernel, or kept from
// aclsh's own last transaction while the ruleset generation is unchanged.
type kstate struct {
	gen    uint32
	exists bool
	chains map[string]*kchain
	sets   map[string]*kset
}

type kchain struct {
	spec  string  // hook, priority, type and policy of a base chain
	rules []krule // in chain order
}

type krule struct {
	key    string
	handle uint64
	// text is the plan text aclsh sent for the rule (kept from its own
	// transaction); sum, for a rule read from the kernel, identifies its
	// expressions. The text of a plan rule determines its expressions.
	text, sum string
}

// same reports whether the kernel's rule is the plan's rule r.
func (kr krule) same(r *Rule) bool {
	if kr.text != "" {
		return kr.text == r.Text
	}
	return kr.sum == sum(r.Exprs, r.anonID)
}

type kset struct {
	kind  SetKind
	elems map[netip.Addr]string // SetPreMap: source -> chain
	// SetRun: elements by key range (Elem.id), and the key's signature.
	runs map[string]krun
	sig  string
	// from, for a run set of aclsh's own last transaction, is the plan's
	// elements it holds: a plan set with the very same elements (the Compiler
	// shares a run's elements between plans while its lines stay) holds the
	// same, with no need to compare them one by one.
	from []Elem
}

// ports reports whether k is a run's set of ports (crossPorts): no counters.
func (k *kset) ports() bool { return k.kind == SetRun && strings.HasSuffix(k.sig, "map=false") }

// holds reports whether k is known to hold exactly the elements es.
func (k *kset) holds(es []Elem) bool {
	return k.from != nil && len(k.from) == len(es) && len(es) > 0 && &k.from[0] == &es[0]
}

// grownTo reports whether the kernel's run set holds exactly the first elements
// of es (a run grown by lines behind it shares its elements with the run it
// grew from, which are never written again): only es[len(k.from):] are new.
func (k *kset) grownTo(es []Elem) bool {
	return k.from != nil && len(k.from) < len(es) && len(k.from) > 0 && &k.from[0] == &es[0]
}

// runMap returns the run set's elements by key range (Elem.id). For a set
// aclsh's own last transaction left, it is made from the plan's elements the
// set holds (from) when first asked for: most sets are not compared element
// by element again (a plan with the very same elements holds them), so a
// million-element table keeps no map of a million keys.
func (k *kset) runMap() map[string]krun {
	if k.runs == nil && k.from != nil {
		k.runs = make(map[string]krun, len(k.from))
		for _, e := range k.from {
			k.runs[e.id()] = krun{line: e.Line}
		}
	}
	return k.runs
}

// krun is an element of a run set: its line's key and counter.
type krun struct {
	line string
	cnt  Counter
}

func emptyState(gen uint32) *kstate {
	return &kstate{gen: gen, chains: map[string]*kchain{}, sets: map[string]*kset{}}
}

// pre returns the offsets a plan keeps for the lines whose sets the kernel holds,
// read from their maps' elements (source -> goto lim_ID_k).
func (ks *kstate) pre(limits []*Limit) Pre {
	out := Pre{}
	for _, l := range limits {
		s, ok := ks.sets[l.PreMap()]
		if !ok {
			continue
		}
		m := map[netip.Addr]int{}
		for a, ch := range s.elems {
			if k, err := strconv.Atoi(ch[strings.LastIndexByte(ch, '_')+1:]); err == nil && k > 0 {
				m[a] = k
			}
		}
		out[l.ID] = m
	}
	return out
}

// sum identifies a rule's expressions for comparison: the kernel's listing and
// aclsh's plan give the same sum for the same rule. anon (nil: none) gives the
// contents id of an anonymous set a lookup names: its name differs between the
// plan and the kernel, its contents must not.
func sum(exprs []expr.Any, anon func(name string) string) string {
	var b strings.Builder
	for _, x := range exprs {
		switch v := x.(type) {
		case *expr.Counter:
			x = &expr.Counter{}
		case *expr.Dynset:
			c := *v
			c.SetID = 0
			x = &c
		case *expr.Lookup:
			c := *v
			c.SetID = 0
			if anon != nil {
				if id := anon(c.SetName); id != "" {
					c.SetName = id
				}
			}
			x = &c
		}
		data, err := expr.Marshal(byte(nftables.TableFamilyINet), x)
		if err != nil {
			fmt.Fprintf(&b, "?%T|", x)
			continue
		}
		fmt.Fprintf(&b, "%x|", data)
	}
	return b.String()
}

// opKind orders a batch: objects are created before what refers to them and
// deleted after.
type opKind uint8

const (
	opAddTable opKind = iota
	opAddChain
	opAddSet
	opDelElem
	opAddElem
	opDelRule
	opReplaceRule
	opInsertRule // before the rule with handle
	opAddRule    // at the end of the chain
	opFlushChain // a chain being deleted: its rules first, releasing what they use
	opDelSet
	opDelChain
	opDelTable
	// opKeep records a rule the kernel already has, with its handle; nothing is
	// sent for it.
	opKeep
	// opRebuild says a chain cannot be changed in place (a base chain's hook or
	// policy, changed by hand): the table must be replaced. Nothing is sent.
	opRebuild
)

// op is one change of a batch.
type op struct {
	kind   opKind
	chain  *Chain
	set    *Set
	rule   *Rule
	handle uint64
	key    string // opDelRule: the kernel rule's key
	elems  []Elem // opAddElem; opDelElem uses only Addr
	// got is the handle the kernel gave the rule the op added (echoed).
	got uint64
}

// String renders the op as an nft command.
func (o *op) String() string {
	t := "inet " + Table
	switch o.kind {
	case opAddTable:
		return "add table " + t
	case opDelTable:
		return "delete table " + t
	case opAddChain:
		return "add " + strings.ReplaceAll(strings.Replace(o.chain.decl(), "chain ", "chain "+t+" ", 1), "\n\t\t", " ") + " }"
	case opDelChain:
		return "delete chain " + t + " " + o.chain.Name
	case opFlushChain:
		return "flush chain " + t + " " + o.chain.Name
	case opAddSet:
		d := o.set.decl()
		i := strings.IndexByte(d, ' ')
		return "add " + d[:i] + " " + t + d[i:]
	case opDelSet:
		kind := map[SetKind]string{SetConnLimit: "set", SetPreMap: "map", SetRun: "map"}[o.set.Kind]
		if o.set.portSide > 0 || o.set.Kind == SetRun && strings.HasSuffix(o.set.Name, "p") {
			kind = "set" // a run's set of ports: run_ID and sp or dp
		}
		return "delete " + kind + " " + t + " " + o.set.Name
	case opAddElem, opDelElem:
		var es []string
		for _, e := range o.elems {
			if o.set.Kind == SetRun {
				es = append(es, o.set.elemText(e, o.kind == opAddElem))
				continue
			}
			if o.kind == opAddElem {
				es = append(es, e.text())
			} else {
				es = append(es, e.Addr.String())
			}
		}
		verb := map[opKind]string{opAddElem: "add", opDelElem: "delete"}[o.kind] // sent as destroy: no error if it expired meanwhile
		return fmt.Sprintf("%s element %s %s { %s }", verb, t, o.set.Name, strings.Join(es, ", "))
	case opDelRule:
		return fmt.Sprintf("delete rule %s %s handle %d", t, o.chain.Name, o.handle)
	case opReplaceRule:
		return fmt.Sprintf("replace rule %s %s handle %d %s", t, o.chain.Name, o.handle, o.rule.Text)
	case opInsertRule:
		return fmt.Sprintf("insert rule %s %s position %d %s", t, o.chain.Name, o.handle, o.rule.Text)
	case opAddRule:
		return fmt.Sprintf("add rule %s %s %s", t, o.chain.Name, o.rule.Text)
	case opRebuild:
		return "# chain " + o.chain.Name + " differs in kind: replace the table"
	}
	return ""
}

// specOf describes what makes a chain a base chain.
func specOf(c *nftables.Chain) string {
	if c.Hooknum == nil {
		return ""
	}
	s := fmt.Sprintf("%s hook %d priority %d", c.Type, *c.Hooknum, *c.Priority)
	if c.Policy != nil {
		s += fmt.Sprintf(" policy %d", *c.Policy)
	}
	return s
}

// rebuild reports whether the batch cannot mend the table.
func rebuild(ops []*op) bool {
	for _, o := range ops {
		if o.kind == opRebuild {
			return true
		}
	}
	return false
}

// changes returns the ops that change the kernel (not opKeep).
func changes(ops []*op) []*op {
	out := ops[:0:0]
	for _, o := range ops {
		if o.kind != opKeep && o.kind != opRebuild {
			out = append(out, o)
		}
	}
	return out
}

// diff returns the batch that turns what the kernel holds (ks) into plan p: chains,
// sets and set elements added or removed by name, rules by key: unchanged rules
// are not touched (their counters and the kernel's connection lists stay), changed
// ones replaced by handle, new ones inserted where the plan has them. A nil plan
// removes the table.
func diff(ks *kstate, p *Plan) []*op {
	var ops []*op
	if p == nil {
		if ks.exists {
			ops = append(ops, &op{kind: opDelTable})
		}
		return ops
	}
	if !ks.exists {
		ops = append(ops, &op{kind: opAddTable})
	}
	want := map[string]bool{}
	for _, c := range p.Chains {
		want[c.Name] = true
		kc, ok := ks.chains[c.Name]
		switch {
		case !ok:
			ops = append(ops, &op{kind: opAddChain, chain: c})
		case kc.spec != specOf(chainObj(c)):
			ops = append(ops, &op{kind: opRebuild, chain: c})
		}
	}
	wantSet := map[string]bool{}
	for _, s := range p.Sets {
		wantSet[s.Name] = true
		old, ok := ks.sets[s.Name]
		if !ok || old.kind != s.Kind || s.Kind == SetRun && old.sig != s.sig() {
			ops = append(ops, &op{kind: opAddSet, set: s})
			continue
		}
		if s.Kind == SetRun {
			ops = append(ops, diffRun(s, old)...)
			continue
		}
		var del, add []Elem
		have := map[netip.Addr]bool{}
		for _, e := range s.Elems {
			have[e.Addr] = true
			if ch, ok := old.elems[e.Addr]; !ok || ch != e.Chain {
				if ok {
					del = append(del, Elem{Addr: e.Addr})
				}
				add = append(add, e)
			}
		}
		for a := range old.elems {
			if !have[a] {
				del = append(del, Elem{Addr: a})
			}
		}
		sort.Slice(del, func(i, j int) bool { return del[i].Addr.Less(del[j].Addr) })
		if len(del) > 0 {
			ops = append(ops, &op{kind: opDelElem, set: s, elems: del})
		}
		if len(add) > 0 {
			ops = append(ops, &op{kind: opAddElem, set: s, elems: add})
		}
	}
	for _, c := range p.Chains {
		ops = append(ops, diffRules(c, ks.chains[c.Name])...)
	}
	for _, name := range sortedKeys(ks.sets) {
		if !wantSet[name] {
			ops = append(ops, &op{kind: opDelSet, set: &Set{Name: name, Kind: ks.sets[name].kind}})
		}
	}
	for _, name := range sortedKeys(ks.chains) {
		if !want[name] {
			ops = append(ops, &op{kind: opFlushChain, chain: &Chain{Name: name}}, &op{kind: opDelChain, chain: &Chain{Name: name}})
		}
	}
	sort.SliceStable(ops, func(i, j int) bool { return ops[i].phase() < ops[j].phase() })
	return ops
}

// phase orders a batch; rule changes keep their order within a chain.
func (o *op) phase() opKind {
	if o.kind >= opDelRule && o.kind <= opAddRule || o.kind == opKeep {
		return opDelRule
	}
	return o.kind
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// diffRules returns the rule changes of one chain, in the chain's order.
func diffRules(c *Chain, old *kchain) []*op {
	var krs []krule
	if old != nil {
		krs = old.rules
	}
	// The rules both have at the start and at the end, in the same order, stay
	// where they are: only the middle needs matching by key (a commit usually
	// changes a few neighbouring lines).
	n, m := len(c.Rules), len(krs)
	p := 0
	for p < n && p < m && c.Rules[p].Key == krs[p].key {
		p++
	}
	q := 0
	for q < n-p && q < m-p && c.Rules[n-1-q].Key == krs[m-1-q].key {
		q++
	}
	ops := make([]*op, 0, n+4)
	same := func(r *Rule, kr krule) {
		kind := opKeep
		if !kr.same(r) {
			kind = opReplaceRule
		}
		ops = append(ops, &op{kind: kind, chain: c, rule: r, handle: kr.handle})
	}
	for i := range p {
		same(c.Rules[i], krs[i])
	}
	var after uint64 // the first rule kept after the middle
	if q > 0 {
		after = krs[m-q].handle
	}
	ops = append(ops, diffMiddle(c, c.Rules[p:n-q], krs[p:m-q], after)...)
	for i := range q {
		same(c.Rules[n-q+i], krs[m-q+i])
	}
	return ops
}

// diffMiddle matches plan rules and kernel rules by key: kernel rules with keys
// the plan has, once each and in plan order, stay; the others are deleted; plan
// rules without a kernel rule are inserted before the next one kept (after: the
// first kept rule past these, 0 for the end of the chain).
func diffMiddle(c *Chain, rules []*Rule, krs []krule, after uint64) []*op {
	var ops []*op
	pos := make(map[string]int, len(rules))
	for i, r := range rules {
		pos[r.Key] = i
	}
	kept := make(map[string]krule, len(krs))
	last := -1
	for _, kr := range krs {
		i, ok := pos[kr.key]
		if _, dup := kept[kr.key]; ok && !dup && i > last {
			kept[kr.key] = kr
			last = i
			continue
		}
		ops = append(ops, &op{kind: opDelRule, chain: c, handle: kr.handle, key: kr.key})
	}
	// next[i] is the handle of the first kept rule at or after position i.
	next := make([]uint64, len(rules)+1)
	next[len(rules)] = after
	for i := len(rules) - 1; i >= 0; i-- {
		next[i] = next[i+1]
		if kr, ok := kept[rules[i].Key]; ok {
			next[i] = kr.handle
		}
	}
	for i, r := range rules {
		kr, ok := kept[r.Key]
		switch {
		case ok && !kr.same(r):
			ops = append(ops, &op{kind: opReplaceRule, chain: c, rule: r, handle: kr.handle})
		case ok:
			ops = append(ops, &op{kind: opKeep, chain: c, rule: r, handle: kr.handle})
		case next[i] != 0:
			ops = append(ops, &op{kind: opInsertRule, chain: c, rule: r, handle: next[i]})
		default:
			ops = append(ops, &op{kind: opAddRule, chain: c, rule: r})
		}
	}
	return ops
}

// stateOf is the kernel state after plan p was applied, with rule handles given by
// handle (nil: numbered in order from 1, for tests). prev (or nil) is the state
// before: its run sets that held exactly the elements of p's sets of the same
// name (and were not changed) are reused.
func stateOf(p *Plan, gen uint32, handle func(*Rule) uint64, prev *kstate) *kstate {
	ks := emptyState(gen)
	if p == nil {
		return ks
	}
	ks.exists = true
	n := uint64(0)
	for _, c := range p.Chains {
		kc := &kchain{spec: specOf(chainObj(c))}
		for _, r := range c.Rules {
			n++
			h := n
			if handle != nil {
				h = handle(r)
			}
			kc.rules = append(kc.rules, krule{key: r.Key, handle: h, text: r.Text})
		}
		ks.chains[c.Name] = kc
	}
	for _, s := range p.Sets {
		if s.Kind == SetRun && prev != nil {
			if k := prev.sets[s.Name]; k != nil && k.kind == SetRun && k.holds(s.Elems) {
				ks.sets[s.Name] = k
				continue
			}
			if k := prev.sets[s.Name]; k != nil && k.kind == SetRun && k.sig == s.sig() && k.grownTo(s.Elems) {
				// prev is done with: its set takes the new elements
				if k.runs != nil {
					for _, e := range s.Elems[len(k.from):] {
						k.runs[e.id()] = krun{line: e.Line}
					}
				}
				k.from = s.Elems
				ks.sets[s.Name] = k
				continue
			}
		}
		k := &kset{kind: s.Kind, elems: map[netip.Addr]string{}}
		if s.Kind == SetRun {
			// its elements by key range are made when first asked for (runMap)
			k.sig, k.from = s.sig(), s.Elems
			ks.sets[s.Name] = k
			continue
		}
		for _, e := range s.Elems {
			k.elems[e.Addr] = e.Chain
		}
		ks.sets[s.Name] = k
	}
	return ks
}
