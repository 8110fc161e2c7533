package enforcer

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
)

// The transaction as aclsh built it with google/nftables before it encoded
// transactions itself (txn.go): the reference its encoding is compared with
// (TestEncodeAsLibrary).

// elements returns the elements es of set s; a run map's line whose key ("/m"
// added) carry has gets those counters in its first element.
func elements(s *Set, es []Elem, carry map[string][]Counter) []nftables.SetElement {
	out := make([]nftables.SetElement, 0, len(es))
	var given map[string]bool
	for _, el := range es {
		if el.Key != nil {
			// A run map's element; the map gives it its counter.
			se := nftables.SetElement{Key: el.Key, KeyEnd: el.End, Comment: el.Line}
			if s.portSide == 0 {
				se.VerdictData = el.verdict()
			}
			if cs := carry[el.Line+"/m"]; len(cs) > 0 && !given[el.Line] && !el.Count.IsZero() {
				if given == nil {
					given = map[string]bool{}
				}
				given[el.Line] = true
				se.Counter = &expr.Counter{Packets: cs[0].Packets, Bytes: cs[0].Bytes}
			}
			out = append(out, se)
			continue
		}
		e := nftables.SetElement{Key: el.Addr.AsSlice()}
		if el.Chain != "" {
			// The comment names the chain too: the library does not decode a
			// verdict element it reads back.
			e.Timeout, e.Comment = PreTimeout, el.Chain
			e.VerdictData = &expr.Verdict{Kind: expr.VerdictGoto, Chain: el.Chain}
		}
		out = append(out, e)
	}
	return out
}

// libQueue puts ops on c, in order. A new rule or run element whose key carry has
// starts with those counters (carried).
func libQueue(c *nftables.Conn, ops []*op, carry map[string][]Counter) error {
	added := map[string]*nftables.Set{}
	for _, o := range ops {
		switch o.kind {
		case opAddTable:
			c.AddTable(table)
		case opDelTable:
			c.DelTable(table)
		case opAddChain:
			c.AddChain(chainObj(o.chain))
		case opDelChain:
			c.DelChain(&nftables.Chain{Name: o.chain.Name, Table: table})
		case opFlushChain:
			c.FlushChain(&nftables.Chain{Name: o.chain.Name, Table: table})
		case opAddSet:
			ns := setObj(o.set)
			if err := c.AddSet(ns, elements(o.set, o.set.Elems, carry)); err != nil {
				return fmt.Errorf("set %s: %w", o.set.Name, err)
			}
			added[o.set.Name] = ns
		case opDelSet:
			c.DelSet(&nftables.Set{Table: table, Name: o.set.Name})
		case opAddElem:
			if err := c.SetAddElements(setObj(o.set), elements(o.set, o.elems, carry)); err != nil {
				return err
			}
		case opDelElem:
			els := elements(o.set, o.elems, nil)
			for i := range els {
				els[i].VerdictData = nil // by key alone
			}
			if err := c.SetDestroyElements(setObj(o.set), els); err != nil {
				return err
			}
		case opDelRule:
			if err := c.DelRule(&nftables.Rule{Table: table, Chain: &nftables.Chain{Name: o.chain.Name, Table: table}, Handle: o.handle}); err != nil {
				return err
			}
		case opReplaceRule, opInsertRule, opAddRule:
			exprs := o.rule.Exprs
			if len(o.rule.Anon) > 0 {
				// the rule's anonymous sets, created in the same batch: its
				// lookups name them by their transaction ids
				exprs = slices.Clone(exprs)
				for i, x := range exprs {
					lk, ok := x.(*expr.Lookup)
					if !ok {
						continue
					}
					for j, a := range o.rule.Anon {
						if lk.SetName != anonName(j) {
							continue
						}
						ns := &nftables.Set{Table: table, Anonymous: true, Constant: true, KeyType: a.Key, KeyByteOrder: binaryutil.BigEndian}
						els := make([]nftables.SetElement, len(a.Elems))
						for k, e := range a.Elems {
							els[k] = nftables.SetElement{Key: e}
						}
						if err := c.AddSet(ns, els); err != nil {
							return fmt.Errorf("anonymous set of %s: %w", o.rule.Key, err)
						}
						cp := *lk
						cp.SetName, cp.SetID = ns.Name, ns.ID
						exprs[i] = &cp
					}
				}
			}
			for _, x := range exprs {
				switch x := x.(type) {
				case *expr.Dynset:
					x.SetID = 0
					if s := added[x.SetName]; s != nil {
						x.SetID = s.ID
					}
				case *expr.Lookup:
					if strings.HasPrefix(x.SetName, "__set") {
						continue // an anonymous set of this batch
					}
					x.SetID = 0
					if s := added[x.SetName]; s != nil {
						x.SetID = s.ID
					}
				}
			}
			exprs = withCounters(exprs, carry[o.rule.Key])
			nr := &nftables.Rule{Table: table, Chain: &nftables.Chain{Name: o.chain.Name, Table: table}, Exprs: exprs,
				UserData: userdata.AppendString(nil, userdata.TypeComment, o.rule.Key)}
			switch o.kind {
			case opReplaceRule:
				nr.Handle = o.handle
				c.ReplaceRule(nr)
			case opInsertRule:
				nr.Position = o.handle
				c.InsertRule(nr)
			default:
				c.AddRule(nr)
			}
		}
	}
	return nil
}
