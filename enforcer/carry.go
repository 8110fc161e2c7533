package enforcer

import (
	"fmt"
	"strings"
	"syscall"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
)

// Counters carried across a transaction.
//
// A line's counters live in its kernel objects: its rule (a log line's log rule
// has two: the packets it saw and the ones it logged), or its elements in a run
// set. A change that keeps the line may still give it new objects: resequence
// or a new logging interval replaces a log rule (its log prefix names the seq,
// its limit the rate); lines added or removed around a line move it into a run
// set or out of one, or into another run's set. The kernel starts a new object's
// counters at zero, so the batch creates it with the counters of the object it
// takes over from, read just before the batch is sent. Only packets that reach
// the old object in the moment between that read and the commit (about a
// millisecond) are not carried.

// carried returns the counters the batch ops gives its new counting objects:
// those of the kernel objects (in ks) the batch removes or replaces whose line it
// gives a new object, read from the kernel. They are keyed by the new object's
// key: a rule's key, or a run element's line key with "/m" (the key its rule has
// when the line is a rule), and in the order of the rule's counters.
func carried(c *nftables.Conn, ks *kstate, ops []*op) (map[string][]Counter, error) {
	if !ks.exists {
		return nil, nil // no table: no object to take counters from
	}
	// the keys of the counting objects the batch creates
	made := map[string]bool{}
	for _, o := range ops {
		switch o.kind {
		case opAddRule, opInsertRule, opReplaceRule:
			if o.rule.Counter != nil {
				made[o.rule.Key] = true
			}
		case opAddSet:
			if o.set.Kind == SetRun {
				for _, e := range o.set.Elems {
					if !e.Count.IsZero() {
						made[e.Line+"/m"] = true
					}
				}
			}
		case opAddElem:
			if o.set.Kind == SetRun {
				for _, e := range o.elems {
					if !e.Count.IsZero() {
						made[e.Line+"/m"] = true
					}
				}
			}
		}
	}
	if len(made) == 0 {
		return nil, nil
	}
	out := map[string][]Counter{}
	add := func(key string, cs []Counter) {
		v := out[key]
		for i, x := range cs {
			if i == len(v) {
				v = append(v, Counter{})
			}
			v[i].Packets += x.Packets
			v[i].Bytes += x.Bytes
		}
		out[key] = v
	}
	// the rules to read, by chain: one by one, or the whole chain for many
	reads := map[string]int{}
	for _, o := range ops {
		if o.kind == opReplaceRule && made[o.rule.Key] || o.kind == opDelRule && made[o.key] {
			reads[o.chain.Name]++
		}
	}
	listed := map[string]map[uint64]*nftables.Rule{}
	rule := func(o *op) (*nftables.Rule, error) {
		ch := &nftables.Chain{Name: o.chain.Name, Table: table}
		if reads[o.chain.Name] > manyReads {
			if listed[ch.Name] == nil {
				rs, err := c.GetRules(table, ch)
				if err != nil {
					return nil, fmt.Errorf("reading the counters of chain %s: %w", ch.Name, wrapKernel(err))
				}
				listed[ch.Name] = make(map[uint64]*nftables.Rule, len(rs))
				for _, r := range rs {
					listed[ch.Name][r.Handle] = r
				}
			}
			if r := listed[ch.Name][o.handle]; r != nil {
				return r, nil
			}
			return nil, fmt.Errorf("rule %d of chain %s: %w", o.handle, ch.Name, syscall.ENOENT)
		}
		r, err := c.GetRuleByHandle(table, ch, o.handle)
		if err != nil {
			return nil, fmt.Errorf("reading the counters of rule %d of chain %s: %w", o.handle, ch.Name, wrapKernel(err))
		}
		return r, nil
	}
	// the run sets to read: the elements (by Elem.id) whose line moves, all for nil
	sets := map[string]map[string]bool{}
	for _, o := range ops {
		switch {
		case o.kind == opReplaceRule && made[o.rule.Key]:
			r, err := rule(o)
			if err != nil {
				return nil, err
			}
			// the same rule but for its log prefix or rate; not one changed by hand
			if loose(r.Exprs) == loose(o.rule.Exprs) {
				add(o.rule.Key, countersIn(r.Exprs))
			}
		case o.kind == opDelRule && made[o.key]:
			r, err := rule(o)
			if err != nil {
				return nil, err
			}
			add(o.key, countersIn(r.Exprs))
		case o.kind == opDelElem && o.set.Kind == SetRun:
			k := ks.sets[o.set.Name]
			if k == nil || k.ports() {
				continue
			}
			for _, e := range o.elems {
				if kr, ok := k.runMap()[e.id()]; ok && made[kr.line+"/m"] {
					if sets[o.set.Name] == nil {
						sets[o.set.Name] = map[string]bool{}
					}
					sets[o.set.Name][e.id()] = true
				}
			}
		case o.kind == opDelSet:
			k := ks.sets[o.set.Name]
			if k == nil || k.kind != SetRun || k.ports() {
				continue
			}
			for _, kr := range k.runMap() {
				if made[kr.line+"/m"] {
					sets[o.set.Name] = nil
					break
				}
			}
		}
	}
	for _, name := range sortedKeys(sets) {
		ids := sets[name]
		s, err := c.GetSetByName(table, name)
		if err == nil {
			var els []nftables.SetElement
			if els, err = c.GetSetElements(s); err == nil {
				for _, el := range els {
					key := el.Comment + "/m"
					if el.Counter == nil || !made[key] || ids != nil && !ids[string(el.Key)+string(el.KeyEnd)] {
						continue
					}
					add(key, []Counter{{el.Counter.Packets, el.Counter.Bytes}})
				}
				continue
			}
		}
		return nil, fmt.Errorf("reading the counters of set %s: %w", name, wrapKernel(err))
	}
	return out, nil
}

// manyReads is how many rules of a chain carried reads one by one; for more it
// lists the chain once.
const manyReads = 16

// countersIn returns the values of a kernel rule's counters, in order.
func countersIn(exprs []expr.Any) []Counter {
	var out []Counter
	for _, x := range exprs {
		if ct, ok := x.(*expr.Counter); ok {
			out = append(out, Counter{ct.Packets, ct.Bytes})
		}
	}
	return out
}

// withCounters returns exprs with its counters starting at cs (in order), or
// exprs itself when cs is empty. exprs is not changed: a plan's expressions are
// shared between plans.
func withCounters(exprs []expr.Any, cs []Counter) []expr.Any {
	if len(cs) == 0 {
		return exprs
	}
	out := make([]expr.Any, len(exprs))
	i := 0
	for j, x := range exprs {
		out[j] = x
		if _, ok := x.(*expr.Counter); ok && i < len(cs) {
			out[j] = &expr.Counter{Packets: cs[i].Packets, Bytes: cs[i].Bytes}
			i++
		}
	}
	return out
}

// loose is sum leaving out what a line's log rule changes while the line stays:
// the log prefix (it names the seq) and the limit's rate (the logging interval);
// anonymous sets count by place only.
func loose(exprs []expr.Any) string {
	cp := make([]expr.Any, len(exprs))
	for i, x := range exprs {
		switch v := x.(type) {
		case *expr.Log:
			l := *v
			l.Data = nil
			x = &l
		case *expr.Limit:
			l := *v
			l.Rate, l.Unit = 0, 0
			x = &l
		}
		cp[i] = x
	}
	return sum(cp, func(name string) string {
		if strings.HasPrefix(name, "__set") || strings.HasPrefix(name, "__anon") {
			return "anonymous"
		}
		return ""
	})
}
