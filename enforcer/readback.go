package enforcer

import (
	"bytes"
	"net/netip"
	"slices"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
)

// Counter is a rule's packet and byte count.
type Counter struct{ Packets, Bytes uint64 }

// readState reads table inet aclsh: chains with their rules (keys, handles,
// expressions, counters) and sets with their elements; ns is the namespace c
// acts in (the run maps' elements are read with sockets of aclsh's own, see
// elemDumper), dumpers how many at once (0: readRuns chooses).
func readState(c *nftables.Conn, gen uint32, ns, dumpers int) (*kstate, error) {
	ks, _, err := readTable(c, gen, false, ns, dumpers)
	return ks, err
}

// readTable is readState; withCounters, it also returns each rule's counters by
// rule key, in the order of the rule's expressions.
func readTable(c *nftables.Conn, gen uint32, withCounters bool, ns, dumpers int) (*kstate, map[string][]Counter, error) {
	chains, err := c.ListChainsOfTableFamily(nftables.TableFamilyINet)
	if err != nil {
		return nil, nil, wrapKernel(err)
	}
	return readTableOf(c, gen, withCounters, chains, true, ns, dumpers)
}

// readTableOf is readTable with the chains already listed (of the inet family or
// of every family; the ones of table inet aclsh are read). Without verify, the
// rules' expressions are not summed nor the anonymous sets' elements read (one
// request a set: a port list's): the state is for its counters, not to be
// compared with a plan, and a run map holds only the elements whose counters are
// not zero. dumpers is how many sockets read the run maps at once (see
// readRuns).
func readTableOf(c *nftables.Conn, gen uint32, withCounters bool, chains []*nftables.Chain, verify bool, ns, dumpers int) (*kstate, map[string][]Counter, error) {
	ks := emptyState(gen)
	var cnt map[string][]Counter
	if withCounters {
		cnt = map[string][]Counter{}
	}
	// Rules that look up anonymous sets are summed once the sets are read.
	type pending struct {
		kc    *kchain
		i     int
		exprs []expr.Any
	}
	var anonRules []pending
	for _, ch := range chains {
		if ch.Table.Name != Table || ch.Table.Family != nftables.TableFamilyINet {
			continue
		}
		ks.exists = true
		rules, err := c.GetRules(table, ch)
		if err != nil {
			return nil, nil, wrapKernel(err)
		}
		kc := &kchain{spec: specOf(ch)}
		for _, r := range rules {
			key := comment(r.UserData)
			kr := krule{key: key, handle: r.Handle}
			if verify {
				kr.sum = sum(r.Exprs, nil)
			}
			kc.rules = append(kc.rules, kr)
			if verify && hasAnonLookup(r.Exprs) {
				anonRules = append(anonRules, pending{kc, len(kc.rules) - 1, r.Exprs})
			}
			if cnt == nil || key == "" {
				continue
			}
			i := 0
			for _, x := range r.Exprs {
				if ct, ok := x.(*expr.Counter); ok {
					v := cnt[key]
					if i == len(v) {
						v = append(v, Counter{})
					}
					v[i].Packets += ct.Packets
					v[i].Bytes += ct.Bytes
					cnt[key] = v
					i++
				}
			}
		}
		ks.chains[ch.Name] = kc
	}
	if !ks.exists {
		return ks, cnt, nil
	}
	sets, err := c.GetSets(table)
	if err != nil {
		return nil, nil, wrapKernel(err)
	}
	anonIDs := map[string]string{} // anonymous set name -> contents id
	var runs []runRead
	for _, s := range sets {
		if s.Anonymous {
			// a rule's own (a port list): part of the rule, not of the table
			if len(anonRules) == 0 || !verify {
				continue
			}
			els, err := c.GetSetElements(s)
			if err != nil {
				return nil, nil, wrapKernel(err)
			}
			a := &AnonSet{Key: s.KeyType}
			for _, el := range els {
				a.Elems = append(a.Elems, el.Key)
			}
			slices.SortFunc(a.Elems, bytes.Compare)
			anonIDs[s.Name] = a.id()
			continue
		}
		k := &kset{kind: SetConnLimit, elems: map[netip.Addr]string{}}
		if strings.HasPrefix(s.Name, "run_") && !verify && !s.IsMap {
			// a set of ports: no counters to read
			k.kind, k.sig = SetRun, runSig(s.KeyType.Name, s.Interval, s.IsMap)
		} else if strings.HasPrefix(s.Name, "run_") {
			// its elements are read below, with the other run maps'
			k.kind, k.sig = SetRun, runSig(s.KeyType.Name, s.Interval, s.IsMap)
			runs = append(runs, runRead{s.Name, k})
		} else if s.IsMap {
			k.kind = SetPreMap
			els, err := c.GetSetElements(s)
			if err != nil {
				return nil, nil, wrapKernel(err)
			}
			for _, el := range els {
				if a, ok := netip.AddrFromSlice(el.Key); ok {
					k.elems[a.Unmap()] = el.Comment
				}
			}
		}
		ks.sets[s.Name] = k
	}
	if err := readRuns(ns, dumpers, runs, !verify); err != nil {
		return nil, nil, wrapKernel(err)
	}
	for _, p := range anonRules {
		p.kc.rules[p.i].sum = sum(p.exprs, func(name string) string { return anonIDs[name] })
	}
	return ks, cnt, nil
}

// hasAnonLookup reports whether a kernel rule looks up an anonymous set.
func hasAnonLookup(exprs []expr.Any) bool {
	for _, x := range exprs {
		if lk, ok := x.(*expr.Lookup); ok && strings.HasPrefix(lk.SetName, "__set") {
			return true
		}
	}
	return false
}

// comment reads a rule's comment; foreign or truncated userdata gives "".
func comment(ud []byte) (s string) {
	defer func() {
		if recover() != nil {
			s = ""
		}
	}()
	s, _ = userdata.GetString(ud, userdata.TypeComment)
	return s
}
