package enforcer

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"syscall"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
)

// errQueue says a batch could not even be built (nothing was sent): a defect of
// aclsh, not of the config or the kernel. A queueError is one.
var errQueue = errors.New("aclsh could not build the transaction for the kernel (an internal error; please report it)")

// queueError is errQueue with its cause, which the library worded: it is kept
// for errors.Is and As, not shown to the operator.
type queueError struct{ cause error }

func (e *queueError) Error() string        { return errQueue.Error() }
func (e *queueError) Unwrap() error        { return e.cause }
func (e *queueError) Is(target error) bool { return target == errQueue }

// errNoHandle says the state aclsh kept has a rule whose kernel handle it does
// not know: the table is read again, as when a handle is gone (ENOENT).
var errNoHandle = fmt.Errorf("a rule's kernel handle is unknown: %w", syscall.ENOENT)

func chainObj(ch *Chain) *nftables.Chain {
	nc := &nftables.Chain{Name: ch.Name, Table: table}
	if ch.Base {
		accept := nftables.ChainPolicyAccept
		nc.Type, nc.Hooknum, nc.Priority, nc.Policy = nftables.ChainTypeFilter, baseDir(ch.Name).hook, basePrio(ch.Name), &accept
	}
	return nc
}

func setObj(s *Set) *nftables.Set {
	ns := &nftables.Set{Table: table, Name: s.Name, KeyType: famOf(s.Family).key}
	switch s.Kind {
	case SetConnLimit:
		ns.Dynamic, ns.Size = true, uint32(s.Size)
	case SetPreMap:
		ns.IsMap, ns.DataType, ns.HasTimeout, ns.Timeout = true, nftables.TypeVerdict, true, PreTimeout
	case SetRun:
		ns.KeyType = s.shape.keyType(famOf(s.Family))
		ns.Interval, ns.KeyByteOrder = s.shape.interval, binaryutil.BigEndian
		if s.portSide == 0 {
			ns.Counter, ns.IsMap, ns.DataType = true, true, nftables.TypeVerdict
		}
		ns.Concatenation = strings.Contains(ns.KeyType.Name, " . ")
	}
	return ns
}

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

// queue puts ops on c, in order. A new rule or run element whose key carry has
// starts with those counters (carried).
func queue(c *nftables.Conn, ops []*op, carry map[string][]Counter) error {
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
				o.nr = c.InsertRule(nr)
			default:
				o.nr = c.AddRule(nr)
			}
		}
	}
	return nil
}
