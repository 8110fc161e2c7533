package enforcer

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"

	"github.com/aclsh/aclsh/acl"
)

// ClearCounters zeroes the counters of the named list's rules ("" for every list)
// in the kernel, and changes nothing else: no rule, set or connection list.
//
// Equivalent to: nft reset rules inet aclsh CHAIN, for the list's chains.
func (e *Enforcer) ClearCounters(cfg *acl.Config, name string) error {
	return e.locked(func(c *nftables.Conn) error { return clearCounters(c, cfg, name) })
}

func clearCounters(c *nftables.Conn, cfg *acl.Config, name string) error {
	chains, err := c.ListChainsOfTableFamily(nftables.TableFamilyINet)
	if err != nil {
		return wrapKernel(err)
	}
	mine := map[string]bool{}
	for _, b := range boundLists(cfg) {
		if name == "" || b.name == name {
			mine[b.chain()] = true
		}
	}
	var lims []*Limit
	for _, l := range LimitsOf(cfg) {
		if name == "" || l.ACL == name {
			lims = append(lims, l)
		}
	}
	for _, ch := range chains {
		if ch.Table.Name != Table {
			continue
		}
		ok := mine[ch.Name]
		for _, l := range lims {
			ok = ok || ch.Name == l.Chain() || ch.Name == l.Refuse() || strings.HasPrefix(ch.Name, l.Chain()+"_")
		}
		if !ok {
			continue
		}
		rules, err := c.ResetRules(table, ch)
		if err != nil {
			return fmt.Errorf("clearing counters: %w", wrapKernel(err))
		}
		// and the counters of the elements of the run sets the chain looks up
		for _, r := range rules {
			for _, x := range r.Exprs {
				l, ok := x.(*expr.Lookup)
				if !ok || !strings.HasPrefix(l.SetName, "run_") {
					continue
				}
				names := []string{l.SetName}
				if d, ok := strings.CutSuffix(l.SetName, "_d"); ok {
					// a sharded map's dispatch map: its shards are the sets
					// of the chains it jumps to, named as they are
					for _, sc := range chains {
						if sc.Table.Name == Table && strings.HasPrefix(sc.Name, d+"_") {
							names = append(names, sc.Name)
						}
					}
				}
				for _, n := range names {
					if _, err := c.ResetSetElements(&nftables.Set{Table: table, Name: n}); err != nil {
						return fmt.Errorf("clearing counters: %w", wrapKernel(err))
					}
				}
			}
		}
	}
	return nil
}

// State says how the kernel's table compares with a config.
type State uint8

const (
	InSync  State = iota
	Missing       // the table is not there
	Differs       // it is there but not what the config needs
	Unknown       // it could not be read (no privilege)
)

// Stats is what show commands read back from the kernel.
type Stats struct {
	State State
	// Counters by line and role: a line's matches, the connections a limit
	// refused, the implicit deny, neighbour discovery; for a log line the packets
	// that reached it and the ones it logged (see Suppressed). A line of a run
	// map that matched nothing may be missing: it reads as zero.
	Counters map[LineRef]Counter
	// Sessions per connlimit line (Role Matched): live connections per source,
	// most first.
	Sessions map[LineRef][]SourceCount
	// Sources per connlimit line (Role Matched): the sources its kernel set
	// tracks against the set's size.
	Sources map[LineRef]SetUse
	// Others: the base chains of other nftables tables that can drop packets
	// arriving on the management interface, whatever aclsh permits (a drop in
	// any base chain is final), in the order packets meet them.
	Others []Dropper
}

// SourceCount is a source's live connections counted by a connlimit line. Src
// is the source address (full length), or its prefix for a line with a mask.
type SourceCount struct {
	Src   netip.Prefix
	Count int
}

// Stats reads counters, live sessions and the table's state for cfg. The state
// compares every rule, set and element the kernel holds with the plan.
func (e *Enforcer) Stats(cfg *acl.Config) (st *Stats, err error) {
	err = e.locked(func(c *nftables.Conn) error {
		st, err = e.stats(c, cfg)
		return err
	})
	return st, err
}

func (e *Enforcer) stats(c *nftables.Conn, cfg *acl.Config) (*Stats, error) {
	st := &Stats{Counters: map[LineRef]Counter{}, Sessions: map[LineRef][]SourceCount{}, Sources: map[LineRef]SetUse{}}
	var gen uint32
	if g, err := c.GetGen(); err == nil {
		gen = g.ID
	}
	// One listing of the chains of every family: table inet aclsh's, and the
	// base chains of other tables that can drop what it permits.
	chains, err := c.ListChains()
	var ks *kstate
	var byKey map[string][]Counter
	// While the ruleset generation is the one aclsh's own last transaction
	// left, the table is what aclsh made: the state kept from it is compared
	// with the plan, and the kernel is read for its counters only (not the
	// contents of the rules' anonymous sets, one request each; of the run
	// maps, only the elements that have counters are kept).
	mine := e.ks != nil && gen != 0 && e.ks.gen == gen
	if err == nil {
		ks, byKey, err = readTableOf(c, gen, true, chains, !mine, e.NetNS, e.dumpers)
	}
	if err == nil && mine {
		// Another program may have changed the ruleset while it was read: what
		// was read for counters only is then not what aclsh left. Read it all.
		if g, gerr := c.GetGen(); gerr != nil || g.ID != gen {
			mine = false
			if chains, err = c.ListChains(); err == nil {
				ks, byKey, err = readTableOf(c, gen, true, chains, true, e.NetNS, e.dumpers)
			}
		}
	}
	if err != nil {
		if errors.Is(wrapKernel(err), ErrPermission) {
			st.State = Unknown
			return st, nil
		}
		return nil, err
	}
	if st.Others, err = otherDroppers(c, chains, e.IfName); err != nil {
		return nil, err
	}
	limits := LimitsOf(cfg)
	var p *Plan
	view := ks // what the table holds
	if mine {
		view = e.ks
	}
	if !cfg.Bound.IsZero() {
		// The enforcer's compiler: the config applied last compiles from
		// what it kept (a million-line list: a comparison of its lines, not
		// a compile).
		e.comp.SSHPorts = e.SSHPorts
		p = e.comp.Compile(cfg, e.IfName, view.pre(limits))
		keepRunNames(view, p)
		runCounters(ks, p, st.Counters)
		changed := changedKeys(view, p)
		for _, ch := range p.Chains {
			for _, r := range ch.Rules {
				if changed[r.Key] {
					continue
				}
				v := byKey[r.Key]
				for i, k := range []LineRef{r.Count, r.Logged} {
					if !k.IsZero() && i < len(v) {
						t := st.Counters[k]
						t.Packets += v[i].Packets
						t.Bytes += v[i].Bytes
						st.Counters[k] = t
					}
				}
			}
		}
	}
	switch {
	case p != nil && !ks.exists:
		st.State = Missing
	case drifted(diff(view, p)):
		st.State = Differs
	}
	if len(limits) == 0 || !ks.exists {
		return st, nil
	}
	sets, err := e.setUses(c)
	if err != nil {
		return st, err
	}
	uses := lineUses(limits, sets)
	for _, l := range limits {
		if u, ok := uses[l.ID]; ok {
			st.Sources[l.Ref()] = u
		}
	}
	conns, _, err := e.countedConns(limits, reachesLimit(cfg, limits))
	if err != nil {
		return st, wrapKernel(err)
	}
	a := attribute(cfg, limits, conns, nil)
	for _, l := range limits {
		list := make([]SourceCount, 0, len(a.counts[l.ID]))
		for src, n := range a.counts[l.ID] {
			list = append(list, SourceCount{l.Prefix(src), n})
		}
		sort.Slice(list, func(i, j int) bool {
			if list[i].Count != list[j].Count {
				return list[i].Count > list[j].Count
			}
			return list[i].Src.Addr().Less(list[j].Src.Addr())
		})
		if len(list) > 0 {
			st.Sessions[l.Ref()] = list
		}
	}
	return st, nil
}

// reachesLimit returns whether a connection reaches a connlimit line of cfg.
func reachesLimit(cfg *acl.Config, limits []*Limit) func(Conn) bool {
	w := newWalker(cfg, limits)
	return func(c Conn) bool {
		counted, _ := w.walk(c, nil)
		return len(counted) > 0
	}
}

// runCounters adds the counters of the kernel's run set elements to their lines'
// show counters: only elements the plan has, with the same key range and line,
// and only counters that are not zero (a line missing from out has matched
// nothing).
func runCounters(ks *kstate, p *Plan, out map[LineRef]Counter) {
	for _, s := range p.Sets {
		k := ks.sets[s.Name]
		if s.Kind != SetRun || k == nil || k.kind != SetRun || len(k.runMap()) == 0 {
			continue // (read for counters, a map holds only the elements that have some)
		}
		for _, e := range s.Elems {
			if e.Count.IsZero() {
				continue // a jump: its chain's rule counts
			}
			var kr krun
			var ok bool
			if e.End == nil {
				kr, ok = k.runs[string(e.Key)] // e.id() without a copy
			} else {
				kr, ok = k.runs[e.id()]
			}
			// a line with no matches adds nothing: a missing counter reads
			// as zero, and a blocklist's million lines mostly have none
			if ok && kr.line == e.Line && kr.cnt != (Counter{}) {
				t := out[e.Count]
				t.Packets += kr.cnt.Packets
				t.Bytes += kr.cnt.Bytes
				out[e.Count] = t
			}
		}
	}
}

// changedKeys returns the keys of the kernel's rules that carry a plan rule's key
// but do something else (changed by hand): their counters are not the line's.
func changedKeys(ks *kstate, p *Plan) map[string]bool {
	changed := map[string]bool{}
	for _, ch := range p.Chains {
		kc := ks.chains[ch.Name]
		if kc == nil {
			continue
		}
		want := make(map[string]*Rule, len(ch.Rules))
		for _, r := range ch.Rules {
			want[r.Key] = r
		}
		for _, kr := range kc.rules {
			if r, ok := want[kr.key]; ok && !kr.same(r) {
				changed[kr.key] = true
			}
		}
	}
	return changed
}

// drifted reports whether a diff changes anything but the chains and sets of
// offsets no source uses any more (the follow daemon leaves those, and map
// elements expire).
func drifted(ops []*op) bool {
	for _, o := range ops {
		switch {
		case (o.kind == opDelChain || o.kind == opFlushChain) && isBucket(o.chain.Name):
		case o.kind == opDelSet && isBucket(o.set.Name):
		case o.kind == opKeep:
		default:
			return true
		}
	}
	return false
}
