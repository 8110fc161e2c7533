package enforcer

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
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
	// Mended, if set, is called by Follow each time it put table inet aclsh
	// back after another program deleted or changed it.
	Mended func(at time.Time, ch Change)

	mu           sync.Mutex
	conn         *nftables.Conn // see nft
	io           sessIO         // sockets that list and mark sessions
	ks           *kstate        // the table after this enforcer's last transaction; nil: read it
	comp         Compiler
	mutate       func(*Plan)   // tests: change the plan before it is sent
	fullReplaces int           // how often Apply fell back to replacing the table (tests)
	sent         int           // transactions the kernel took
	adopts       int           // how often Apply listed the live sessions (tests)
	kernelTime   time.Duration // time spent in transactions (benchmarks)
	// followReadBuffer, if set, is the conntrack event socket's buffer (tests).
	followReadBuffer int
	// logSummary, if set, replaces LogSummaryInterval (tests).
	logSummary time.Duration
}

// ErrPermission says the process may not change the kernel's ruleset. It says
// only that: the caller adds what to do about it, which depends on where it is
// printed (a shell, a script, the follow daemon).
var ErrPermission = errors.New("changing the kernel's ruleset needs root (CAP_NET_ADMIN)")

// nft returns the enforcer's netlink connection to nftables, opened once (one
// socket in the namespace, not one per message). Callers hold e.mu and call
// e.done with their error, which drops the connection after a failure.
func (e *Enforcer) nft() (*nftables.Conn, error) {
	if e.conn != nil {
		return e.conn, nil
	}
	opts := []nftables.ConnOption{nftables.AsLasting()}
	if e.NetNS != 0 {
		opts = append(opts, nftables.WithNetNSFd(e.NetNS))
	}
	c, err := nftables.New(opts...)
	if err != nil {
		return nil, err
	}
	e.conn = c
	return c, nil
}

// Close closes the enforcer's netlink sockets. The enforcer may be used again
// (they are opened again when needed).
func (e *Enforcer) Close() {
	e.mu.Lock()
	e.done(errors.New("closed"))
	e.mu.Unlock()
	e.io.mu.Lock()
	defer e.io.mu.Unlock()
	if e.io.h != nil {
		e.io.h.Close()
		e.io.ct.Close()
		e.io.h, e.io.ct = nil, nil
	}
}

// locked runs f with the nftables connection, holding e.mu; an error from f drops
// the connection.
func (e *Enforcer) locked(f func(c *nftables.Conn) error) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.nft()
	if err != nil {
		return wrapKernel(err)
	}
	err = f(c)
	e.done(err)
	return err
}

// done drops the netlink connection if err says something went wrong with it.
func (e *Enforcer) done(err error) {
	if err != nil && e.conn != nil {
		e.conn.CloseLasting()
		e.conn = nil
	}
}

func (e *Enforcer) conntrack() (*conntrack.Conn, error) {
	return conntrack.Dial(&netlink.Config{NetNS: e.NetNS})
}

func wrapKernel(err error) error {
	if errors.Is(err, syscall.EPERM) || errors.Is(err, os.ErrPermission) ||
		// some of the library's errors keep only the text of the cause
		err != nil && strings.HasSuffix(err.Error(), syscall.EPERM.Error()) {
		return ErrPermission
	}
	return err
}

var table = &nftables.Table{Name: Table, Family: nftables.TableFamilyINet}

// Learn tells the enforcer the config the kernel enforces now, as its caller
// knows it (the running-config a one-shot process read): the first commit of a
// process then knows what the lines it removes were (their keys are hashes), so
// it need not list every live session to check that none is left without a way
// through. It compiles cfg once; nothing is sent to the kernel. An enforcer that
// applied or learnt a config already keeps what it knows.
func (e *Enforcer) Learn(cfg *acl.Config) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.comp.lines.empty() && cfg.Mgmt != (acl.Bindings{}) {
		e.comp.Compile(cfg, e.IfName, nil)
	}
}

// HoldsTable reports whether the kernel has table inet aclsh. Without the
// privilege to ask it is false: such a process cannot change the kernel either.
// Any other failure to ask is an error.
func (e *Enforcer) HoldsTable() (holds bool, err error) {
	err = e.locked(func(c *nftables.Conn) error {
		_, lerr := c.ListTableOfFamily(Table, nftables.TableFamilyINet)
		switch {
		case lerr == nil:
			holds = true
		case errors.Is(lerr, syscall.ENOENT) || errors.Is(wrapKernel(lerr), ErrPermission):
		default:
			return lerr
		}
		return nil
	})
	if errors.Is(err, ErrPermission) {
		return false, nil
	}
	return holds, err
}

// Apply makes the kernel enforce cfg's bound lists. It compiles the plan, compares
// it with what table inet aclsh holds and sends only the difference, in one
// transaction that fails as a whole if the ruleset changed meanwhile: unchanged
// lines keep their counters and the kernel's per-source connection lists. For a
// connlimit line new to the kernel it first counts the live sessions that line
// would have counted (the host's TCP sockets, conntrack for other flows) and gives
// the ones it admits a conntrack entry with its mark, so that no session is cut and
// every one counts. A table the diff cannot mend is replaced whole, atomically. On
// error the kernel keeps what it had. With nothing bound the table is removed.
// Applying the same config twice sends nothing.
//
// Equivalent to: nft -f <(the batch diff returns), see testdata/diffs.
func (e *Enforcer) Apply(cfg *acl.Config) error {
	return e.locked(func(c *nftables.Conn) error { return refusal(c, e.apply(c, cfg)) })
}

// ErrOwned says table inet aclsh belongs to another program (nftables' owner
// flag): only the netlink socket that created it may change it.
var ErrOwned = errors.New("table inet " + Table + " is owned by another program (nftables owner flag): only that program may change it, until it exits")

// ErrChanging says the ruleset kept changing while aclsh applied.
var ErrChanging = errors.New("the nftables ruleset kept changing while aclsh applied (another program is changing it); try again")

// refusal says why the kernel refused, when it was not for want of privilege: a
// root process is refused too when another program owns the table.
func refusal(c *nftables.Conn, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.ERESTART):
		return ErrChanging
	case errors.Is(err, ErrPermission):
		if t, lerr := c.ListTableOfFamily(Table, nftables.TableFamilyINet); lerr == nil && t.Flags&nftables.TableFlagOwner != 0 {
			return fmt.Errorf("%w (netlink port %d)", ErrOwned, t.Owner)
		}
	}
	return err
}

func (e *Enforcer) apply(c *nftables.Conn, cfg *acl.Config) (err error) {
	var ks *kstate
	var p *Plan
	for range 3 {
		if ks, err = e.current(c); err != nil {
			return err
		}
		var protect bool
		if p, protect, err = e.plan(cfg, ks); err != nil {
			return err
		}
		ops := diff(ks, p)
		if rebuild(ops) {
			break
		}
		err = e.send(c, ks, ops, p)
		if err == nil && protect {
			// Sessions opened while the transaction was being built. The commit
			// stands whatever this finds: an error here changes nothing that was
			// applied, so it is not the commit's error.
			_, _ = e.adopt(cfg, p.Limits, nil)
		}
		switch {
		case err == nil || errors.Is(err, ErrPermission) || errors.Is(err, errQueue):
			return err
		case p == nil:
			return fmt.Errorf("removing table inet %s: %w", Table, err)
		}
		// The ruleset changed under us (ERESTART), or the cached or read state was
		// stale (a handle gone, a chain still in use): read it again. Refused for
		// another reason: only a whole replacement may do.
		e.ks = nil
		if !errors.Is(err, syscall.ERESTART) && !errors.Is(err, syscall.ENOENT) && !errors.Is(err, syscall.EBUSY) {
			break
		}
	}
	// A table the diff cannot mend (changed by hand): replace it whole, every
	// line adopting the live sessions it counts, as on a first apply.
	e.fullReplaces++
	if ks, err = e.current(c); err != nil {
		return err
	}
	empty := emptyState(ks.gen)
	if p, _, err = e.plan(cfg, empty); err != nil {
		return err
	}
	full := append([]*op{{kind: opAddTable}, {kind: opDelTable}}, diff(empty, p)...)
	// send says "kernel refused the ruleset" itself.
	return e.send(c, ks, full, p)
}

// current returns the kernel state: the cached one while the ruleset generation is
// the one aclsh's own last transaction left, else read from the kernel.
func (e *Enforcer) current(c *nftables.Conn) (*kstate, error) {
	g, err := c.GetGen()
	if err != nil {
		return nil, wrapKernel(err)
	}
	if e.ks != nil && e.ks.gen == g.ID {
		return e.ks, nil
	}
	e.ks = nil
	ks, err := readState(c, g.ID)
	if err != nil {
		return nil, err
	}
	e.ks = ks
	return ks, nil
}

// plan compiles cfg for the kernel state ks: lines the kernel already has keep
// their offsets; lines new to it adopt the live sessions they would have counted.
// When lines are new or gone, live sessions are looked at before the transaction:
// the ones a new line admits, and the ones the new ruleset would drop although a
// permit connlimit line permits them, get that line's mark (protect says to look
// again after the transaction, for sessions opened meanwhile).
func (e *Enforcer) plan(cfg *acl.Config, ks *kstate) (p *Plan, protect bool, err error) {
	if cfg.Mgmt == (acl.Bindings{}) {
		return nil, false, nil
	}
	limits := LimitsOf(cfg)
	pre := ks.pre(limits)
	fresh := map[string]bool{}
	for _, l := range limits {
		if _, ok := ks.sets[l.Set()]; !ok {
			fresh[l.ID] = true
		}
	}
	if len(fresh) > 0 || newDenyAll(cfg, ks) {
		a, err := e.adopt(cfg, limits, fresh)
		if err != nil {
			return nil, false, err
		}
		for id := range fresh {
			pre[id] = a.counts[id]
		}
		protect = true
	}
	prev := e.comp.lines
	p = e.comp.Compile(cfg, e.IfName, pre)
	keepRunNames(ks, p)
	if !protect && mayStrand(linesGone(ks, p), prev, limits) {
		if _, err := e.adopt(cfg, limits, nil); err != nil {
			return nil, false, err
		}
		protect = true
	}
	if e.mutate != nil {
		e.mutate(p)
	}
	return p, protect, nil
}

// newDenyAll reports whether cfg has a deny ... connlimit 1 line the kernel does
// not have yet. It counts nothing (it drops every new connection), but the live
// sessions it meets that conntrack does not track yet need an entry of their own
// before it is applied: conntrack calls the packet it picks a session up with new.
func newDenyAll(cfg *acl.Config, ks *kstate) bool {
	for _, fm := range fams {
		name := cfg.Mgmt.Get(fm.f)
		a, ok := cfg.ACLs[name]
		if name == "" || !ok {
			continue
		}
		var have map[string]bool
		for _, r := range a.Entries() {
			if r.ConnLimit != 1 || r.Action != acl.Deny || r.Established {
				continue
			}
			if have == nil {
				have = map[string]bool{}
				if kc := ks.chains[fm.chain]; kc != nil {
					for _, kr := range kc.rules {
						have[kr.key] = true
					}
				}
			}
			if !have[name+"/"+lineID(fm.f, name, r)+"/m"] {
				return true
			}
		}
	}
	return false
}

// adopt lists the live sessions and marks those attribute says to.
func (e *Enforcer) adopt(cfg *acl.Config, limits []*Limit, fresh map[string]bool) (*attribution, error) {
	e.adopts++
	conns, err := e.liveConns()
	if err != nil {
		return nil, fmt.Errorf("counting live sessions: %w", wrapKernel(err))
	}
	a := attribute(cfg, limits, conns, fresh)
	if err := e.setMarks(a.mark, func(c Conn) uint32 { return a.marks[c] }); err != nil {
		return nil, fmt.Errorf("marking live sessions: %w", wrapKernel(err))
	}
	return a, nil
}

// linesGone returns the keys of the lines the kernel's list chains and run sets
// have and the plan does not; a line in a run set has the key it would have as
// a rule ("ACL/ID/m"). A run set the kernel holds as the plan has it (the same
// elements, or the first of them) has no line gone and needs no look.
func linesGone(ks *kstate, p *Plan) []string {
	rules := map[string]bool{}
	for _, c := range p.Chains {
		for _, r := range c.Rules {
			rules[r.Key] = true
		}
	}
	// the lines of the plan's run sets; those of sets the kernel holds
	// unchanged are looked up in their runs, when needed
	lines := map[string]bool{}
	var same []*Set
	byName := make(map[string]*Set, len(p.Sets))
	for _, s := range p.Sets {
		byName[s.Name] = s
		if k := ks.sets[s.Name]; k != nil && (k.holds(s.Elems) || k.grownTo(s.Elems)) && s.run != nil {
			same = append(same, s)
			continue
		}
		for _, e := range s.Elems {
			if e.Line != "" {
				lines[e.Line] = true
			}
		}
	}
	inSets := func(line string) bool {
		if lines[line] {
			return true
		}
		for _, s := range same {
			if _, ok := s.run.line(line); ok {
				return true
			}
		}
		return false
	}
	var gone []string
	for _, fm := range fams {
		if kc, ok := ks.chains[fm.chain]; ok {
			for _, r := range kc.rules {
				// a run's rule: its lines are its set's elements, below
				if rules[r.key] || strings.Contains(r.key, "/run_") {
					continue
				}
				if line, ok := strings.CutSuffix(r.key, "/m"); ok && inSets(line) {
					continue
				}
				gone = append(gone, r.key)
			}
		}
	}
	seen := map[string]bool{}
	for _, name := range sortedKeys(ks.sets) {
		k := ks.sets[name]
		if len(k.runs) == 0 {
			continue
		}
		if s := byName[name]; s != nil && (k.holds(s.Elems) || k.grownTo(s.Elems)) {
			continue
		}
		for _, e := range k.runs {
			if key := e.line + "/m"; !seen[key] && !rules[key] && !inSets(e.line) {
				seen[key] = true
				gone = append(gone, key)
			}
		}
	}
	return gone
}

// mayStrand reports whether removing the gone rules could leave sessions that a
// permit connlimit line permits without a way through: a removed permit line
// (known from the last plan; unknown ones count) overlaps such a line.
func mayStrand(gone []string, prev *lineIndex, limits []*Limit) bool {
	for _, key := range gone {
		lk, ok := prev.get(key)
		if !ok {
			return true
		}
		if lk.r.Action != acl.Permit {
			continue
		}
		// An established line passes reply-direction packets, which a session
		// conntrack picked up the wrong way round sends too: compare criteria only.
		r := lk.r
		r.Established = false
		for _, l := range limits {
			if l.Family == lk.f && l.Rule.Action == acl.Permit && r.MayOverlap(l.Rule) {
				return true
			}
		}
	}
	return false
}

// send queues ops on c and commits them in one transaction, valid only if the
// ruleset generation is still ks.gen; the cache then describes plan p.
func (e *Enforcer) send(c *nftables.Conn, ks *kstate, ops []*op, p *Plan) error {
	if len(changes(ops)) == 0 {
		return nil
	}
	e.ks = nil
	for _, o := range ops {
		if (o.kind == opDelRule || o.kind == opReplaceRule || o.kind == opInsertRule) && o.handle == 0 {
			return errNoHandle // nothing queued yet: the caller reads the table again
		}
	}
	carry, err := carried(c, ks, ops)
	if err != nil {
		return err
	}
	if err := queue(c, ops, carry); err != nil {
		return &queueError{err}
	}
	start := time.Now()
	err = c.FlushWithGenID(ks.gen)
	e.kernelTime += time.Since(start)
	if err == nil {
		e.sent++
	}
	if err != nil {
		if errors.Is(err, syscall.ERESTART) {
			return err
		}
		if err = wrapKernel(err); errors.Is(err, ErrPermission) {
			return err // not about the ruleset: the caller says what to do
		}
		return fmt.Errorf("kernel refused the ruleset: %w", err)
	}
	handles := map[*Rule]uint64{}
	for _, o := range ops {
		switch {
		case o.kind == opKeep || o.kind == opReplaceRule:
			// the kernel replaces a rule in place: it keeps its handle
			handles[o.rule] = o.handle
		case o.nr != nil:
			handles[o.rule] = o.nr.Handle
		}
	}
	g, err := c.GetGen()
	if err != nil || g.ID != ks.gen+1 {
		return nil // someone else changed the ruleset too: read it next time
	}
	for _, ch := range chainsOf(p) {
		for _, r := range ch.Rules {
			if handles[r] == 0 {
				return nil // a handle the kernel did not say: read them next time
			}
		}
	}
	e.ks = stateOf(p, g.ID, func(r *Rule) uint64 { return handles[r] }, ks)
	return nil
}

// chainsOf returns p's chains; none for a nil plan (no table).
func chainsOf(p *Plan) []*Chain {
	if p == nil {
		return nil
	}
	return p.Chains
}

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
		nc.Type, nc.Hooknum, nc.Priority, nc.Policy = nftables.ChainTypeFilter, nftables.ChainHookInput, nftables.ChainPriorityFilter, &accept
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
			if cs := carry[el.Line+"/m"]; len(cs) > 0 && !given[el.Line] && el.Count != "" {
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

// Counter is a rule's packet and byte count.
type Counter struct{ Packets, Bytes uint64 }

// readState reads table inet aclsh: chains with their rules (keys, handles,
// expressions, counters) and sets with their elements. counters, if not nil,
// receives the counters by rule key.
func readState(c *nftables.Conn, gen uint32) (*kstate, error) {
	ks, _, err := readTable(c, gen, false)
	return ks, err
}

// readTable is readState; withCounters, it also returns each rule's counters by
// rule key, in the order of the rule's expressions.
func readTable(c *nftables.Conn, gen uint32, withCounters bool) (*kstate, map[string][]Counter, error) {
	chains, err := c.ListChainsOfTableFamily(nftables.TableFamilyINet)
	if err != nil {
		return nil, nil, wrapKernel(err)
	}
	return readTableOf(c, gen, withCounters, chains, true)
}

// readTableOf is readTable with the chains already listed (of the inet family or
// of every family; the ones of table inet aclsh are read). Without verify, the
// rules' expressions are not summed nor the anonymous sets' elements read (one
// request a set: a port list's): the state is for its counters, not to be
// compared with a plan.
func readTableOf(c *nftables.Conn, gen uint32, withCounters bool, chains []*nftables.Chain, verify bool) (*kstate, map[string][]Counter, error) {
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
			els, err := c.GetSetElements(s)
			if err != nil {
				return nil, nil, wrapKernel(err)
			}
			k.kind, k.runs = SetRun, make(map[string]krun, len(els))
			k.sig = runSig(s.KeyType.Name, s.Interval, s.IsMap)
			for _, el := range els {
				kr := krun{line: el.Comment}
				if el.Counter != nil {
					kr.cnt = Counter{el.Counter.Packets, el.Counter.Bytes}
				}
				k.runs[string(el.Key)+string(el.KeyEnd)] = kr
			}
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
	for _, fm := range fams {
		if n := cfg.Mgmt.Get(fm.f); n != "" && (name == "" || n == name) {
			mine[fm.chain] = true
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
				if l, ok := x.(*expr.Lookup); ok && strings.HasPrefix(l.SetName, "run_") {
					if _, err := c.ResetSetElements(&nftables.Set{Table: table, Name: l.SetName}); err != nil {
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
	// Counters by show key: "ACL/seq/m" matches, "ACL/seq/r" refused by a limit,
	// "ACL/deny/m" the implicit deny, "ACL/nd/m" neighbour discovery; for a log
	// line "ACL/seq/log" the packets that reached it and "ACL/seq/logged" the ones
	// it logged (see Suppressed).
	Counters map[string]Counter
	// Sessions per connlimit line key ("ACL/seq"): live connections per source,
	// most first.
	Sessions map[string][]SourceCount
	// Sources per connlimit line key: the sources its kernel set tracks against
	// the set's size.
	Sources map[string]SetUse
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
	st := &Stats{Counters: map[string]Counter{}, Sessions: map[string][]SourceCount{}, Sources: map[string]SetUse{}}
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
	// contents of the rules' anonymous sets, one request each).
	mine := e.ks != nil && gen != 0 && e.ks.gen == gen
	if err == nil {
		ks, byKey, err = readTableOf(c, gen, true, chains, !mine)
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
	if cfg.Mgmt != (acl.Bindings{}) {
		p = Compile(cfg, e.IfName, view.pre(limits))
		keepRunNames(view, p)
		runCounters(ks, p, st.Counters)
		changed := changedKeys(view, p)
		for _, ch := range p.Chains {
			for _, r := range ch.Rules {
				if changed[r.Key] {
					continue
				}
				v := byKey[r.Key]
				for i, k := range []string{r.Count, r.Logged} {
					if k != "" && i < len(v) {
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
			st.Sources[l.Key()] = u
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
			st.Sessions[l.Key()] = list
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
// show counters: only elements the plan has, with the same key range and line.
func runCounters(ks *kstate, p *Plan, out map[string]Counter) {
	for _, s := range p.Sets {
		k := ks.sets[s.Name]
		if s.Kind != SetRun || k == nil || k.kind != SetRun {
			continue
		}
		for _, e := range s.Elems {
			if e.Count == "" {
				continue // a jump: its chain's rule counts
			}
			if kr, ok := k.runs[e.id()]; ok && kr.line == e.Line {
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
