package enforcer

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"github.com/mdlayher/netlink"
	"github.com/ti-mo/conntrack"

	"github.com/aclsh/aclsh/acl"
)

// Enforcer applies configs to the kernel of one network namespace, on one
// interface. Its methods are safe for concurrent use.
type Enforcer struct {
	IfName string
	// NetNS is a file descriptor of the network namespace to act in; 0 is the
	// namespace of the calling thread.
	NetNS int

	mu      sync.Mutex
	lastPre Pre         // sessions counted from conntrack at the last apply
	mutate  func(*Plan) // tests: change the plan before it is sent
}

// ErrPermission says the process may not change the kernel's ruleset.
var ErrPermission = errors.New("changing the kernel's ruleset needs root (CAP_NET_ADMIN); use --check to validate without applying")

func (e *Enforcer) nft() (*nftables.Conn, error) {
	var opts []nftables.ConnOption
	if e.NetNS != 0 {
		opts = append(opts, nftables.WithNetNSFd(e.NetNS))
	}
	return nftables.New(opts...)
}

func (e *Enforcer) conntrack() (*conntrack.Conn, error) {
	return conntrack.Dial(&netlink.Config{NetNS: e.NetNS})
}

func wrapKernel(err error) error {
	if errors.Is(err, syscall.EPERM) || errors.Is(err, os.ErrPermission) {
		return ErrPermission
	}
	return err
}

var table = &nftables.Table{Name: Table, Family: nftables.TableFamilyINet}

// Apply makes the kernel enforce cfg's bound lists: it counts the live sessions of
// connlimit rules in conntrack, marks those a permit connlimit rule will treat as
// admitted (so no session is cut), and replaces table inet aclsh with the plan in
// one transaction, keeping rule counters. On error the kernel keeps its old
// ruleset. With nothing bound the table is removed. Applying the same config twice
// leaves the same ruleset.
//
// Equivalent to: nft -f <(echo "table inet aclsh; delete table inet aclsh"; Compile(...))
func (e *Enforcer) Apply(cfg *acl.Config) error { return e.apply(cfg, nil) }

// ClearCounters zeroes the counters of the named list ("" for all) and re-applies.
func (e *Enforcer) ClearCounters(cfg *acl.Config, name string) error {
	return e.apply(cfg, func(key string) bool { return name == "" || aclOfKey(key) == name })
}

func aclOfKey(key string) string {
	for i := 0; i < len(key); i++ {
		if key[i] == '/' {
			return key[:i]
		}
	}
	return key
}

func (e *Enforcer) apply(cfg *acl.Config, zero func(key string) bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.nft()
	if err != nil {
		return wrapKernel(err)
	}
	defer c.CloseLasting()
	if cfg.Mgmt == (acl.Bindings{}) {
		c.AddTable(table)
		c.DelTable(table)
		if err := c.Flush(); err != nil && !errors.Is(err, syscall.EPERM) {
			return fmt.Errorf("removing table inet %s: %w", Table, err)
		}
		return nil
	}
	limits := LimitsOf(cfg)
	var pre Pre
	if len(limits) > 0 {
		if pre, err = e.scan(limits, true); err != nil {
			return err
		}
	}
	p := Compile(cfg, e.IfName, pre)
	if e.mutate != nil {
		e.mutate(p)
	}
	tbl, _ := readTable(c)
	old := counters(tbl)
	carry := map[string]bool{}
	for _, ch := range p.Chains {
		for _, r := range ch.Rules {
			if r.Counter == nil || carry[r.Key] || (zero != nil && zero(r.Key)) {
				continue
			}
			carry[r.Key] = true
			r.Counter.Packets, r.Counter.Bytes = old[r.Key].Packets, old[r.Key].Bytes
		}
	}
	c.AddTable(table)
	c.DelTable(table)
	c.AddTable(table)
	if err := e.batch(c, p); err != nil {
		return err
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("kernel refused the ruleset: %w", wrapKernel(err))
	}
	e.lastPre = pre
	return nil
}

// batch queues the plan's chains, sets and rules on c.
func (e *Enforcer) batch(c *nftables.Conn, p *Plan) error {
	chains := map[string]*nftables.Chain{}
	for _, ch := range p.Chains {
		nc := &nftables.Chain{Name: ch.Name, Table: table}
		if ch.Base {
			accept := nftables.ChainPolicyAccept
			nc.Type, nc.Hooknum, nc.Priority, nc.Policy = nftables.ChainTypeFilter, nftables.ChainHookInput, nftables.ChainPriorityFilter, &accept
		}
		chains[ch.Name] = c.AddChain(nc)
	}
	sets := map[string]*nftables.Set{}
	for _, s := range p.Sets {
		kt := nftables.TypeIPAddr
		if s.Family == acl.IPv6 {
			kt = nftables.TypeIP6Addr
		}
		ns := &nftables.Set{Table: table, Name: s.Name, KeyType: kt}
		var elems []nftables.SetElement
		switch s.Kind {
		case SetConnLimit:
			ns.Dynamic, ns.Size = true, SetSize
		case SetPreMap:
			ns.IsMap, ns.DataType, ns.HasTimeout, ns.Timeout = true, nftables.TypeVerdict, true, PreTimeout
			for _, el := range s.Elems {
				elems = append(elems, nftables.SetElement{Key: el.Addr.AsSlice(), Timeout: PreTimeout,
					VerdictData: &expr.Verdict{Kind: expr.VerdictGoto, Chain: el.Chain}})
			}
		}
		if err := c.AddSet(ns, elems); err != nil {
			return fmt.Errorf("set %s: %w", s.Name, err)
		}
		sets[s.Name] = ns
	}
	for _, ch := range p.Chains {
		for _, r := range ch.Rules {
			for _, x := range r.Exprs {
				switch x := x.(type) {
				case *expr.Dynset:
					x.SetID = sets[x.SetName].ID
				case *expr.Lookup:
					x.SetID = sets[x.SetName].ID
				}
			}
			nr := &nftables.Rule{Table: table, Chain: chains[ch.Name], Exprs: r.Exprs}
			if r.Key != "" {
				nr.UserData = userdata.AppendString(nil, userdata.TypeComment, r.Key)
			}
			c.AddRule(nr)
		}
	}
	return nil
}

// Counter is a rule's packet and byte count.
type Counter struct{ Packets, Bytes uint64 }

// readTable returns the rules of each chain of table inet aclsh; nil if the table
// is missing.
func readTable(c *nftables.Conn) (map[string][]*nftables.Rule, error) {
	chains, err := c.ListChainsOfTableFamily(nftables.TableFamilyINet)
	if err != nil {
		return nil, wrapKernel(err)
	}
	var out map[string][]*nftables.Rule
	for _, ch := range chains {
		if ch.Table.Name != Table {
			continue
		}
		rules, err := c.GetRules(table, ch)
		if err != nil {
			return nil, wrapKernel(err)
		}
		if out == nil {
			out = map[string][]*nftables.Rule{}
		}
		out[ch.Name] = rules
	}
	return out, nil
}

// counters sums the rules' counters by comment.
func counters(tbl map[string][]*nftables.Rule) map[string]Counter {
	out := map[string]Counter{}
	for _, rules := range tbl {
		for _, r := range rules {
			key := comment(r.UserData)
			if key == "" {
				continue
			}
			for _, x := range r.Exprs {
				if ct, ok := x.(*expr.Counter); ok {
					v := out[key]
					v.Packets += ct.Packets
					v.Bytes += ct.Bytes
					out[key] = v
				}
			}
		}
	}
	return out
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
	State    State
	Counters map[string]Counter
	// Sessions per connlimit rule key ("ACL/seq"): live connections per source.
	Sessions map[string][]SourceCount
}

// SourceCount is a source's live connections matching a connlimit rule.
type SourceCount struct {
	Addr  netip.Addr
	Count int
}

// Stats reads counters, live sessions and the table's state for cfg.
func (e *Enforcer) Stats(cfg *acl.Config) (*Stats, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := &Stats{Counters: map[string]Counter{}, Sessions: map[string][]SourceCount{}}
	c, err := e.nft()
	if err != nil {
		return nil, wrapKernel(err)
	}
	defer c.CloseLasting()
	tbl, err := readTable(c)
	if err != nil {
		if errors.Is(err, ErrPermission) {
			st.State = Unknown
			return st, nil
		}
		return nil, err
	}
	st.State = e.state(tbl, cfg)
	st.Counters = counters(tbl)
	limits := LimitsOf(cfg)
	if len(limits) == 0 {
		return st, nil
	}
	pre, err := e.scan(limits, false)
	if err != nil {
		return st, err
	}
	for key, m := range pre {
		list := make([]SourceCount, 0, len(m))
		for a, n := range m {
			list = append(list, SourceCount{a, n})
		}
		sort.Slice(list, func(i, j int) bool {
			if list[i].Count != list[j].Count {
				return list[i].Count > list[j].Count
			}
			return list[i].Addr.Less(list[j].Addr)
		})
		st.Sessions[key] = list
	}
	return st, nil
}

// state compares the kernel's table with what cfg needs: the plan fingerprint in the
// first rule and the rule counts of the input and ACL chains.
func (e *Enforcer) state(tbl map[string][]*nftables.Rule, cfg *acl.Config) State {
	if cfg.Mgmt == (acl.Bindings{}) {
		if tbl == nil {
			return InSync
		}
		return Differs
	}
	if tbl == nil {
		return Missing
	}
	want := Compile(cfg, e.IfName, nil)
	for _, ch := range want.Chains {
		if !ch.Base && !strings.HasPrefix(ch.Name, "acl") {
			continue // limit chains vary with the sessions counted at apply
		}
		rules, ok := tbl[ch.Name]
		if !ok || len(rules) != len(ch.Rules) {
			return Differs
		}
		if ch.Base && comment(rules[0].UserData) != "plan:"+want.Hash {
			return Differs
		}
	}
	return InSync
}
