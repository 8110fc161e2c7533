package enforcer

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/google/nftables"

	"github.com/aclsh/aclsh/acl"
)

// Learn tells the enforcer the config the kernel enforces now, as its caller
// knows it (the running-config a one-shot process read): the first commit of a
// process then knows what the lines it removes were (their keys are hashes), so
// it need not list every live session to check that none is left without a way
// through. It compiles cfg once; nothing is sent to the kernel. An enforcer that
// applied or learnt a config already keeps what it knows.
func (e *Enforcer) Learn(cfg *acl.Config) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.comp.lines.empty() && !cfg.Bound.IsZero() {
		e.comp.SSHPorts = e.SSHPorts
		e.comp.Compile(cfg, e.IfName, nil)
	}
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
			if errors.Is(err, syscall.ERESTART) || errors.Is(err, syscall.ENOENT) {
				continue // changed while it was read (a set gone, a dump cut short): read again
			}
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
	ks, err := readState(c, g.ID, e.NetNS, e.dumpers)
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
	if cfg.Bound.IsZero() {
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
	e.comp.SSHPorts = e.SSHPorts
	p = e.comp.Compile(cfg, e.IfName, pre)
	keepRunNames(ks, p)
	// Without a permit connlimit line no session depends on a mark: nothing
	// to look at (and at a million lines, linesGone reads every element).
	if !protect && slices.ContainsFunc(limits, func(l *Limit) bool { return l.Rule.Action == acl.Permit }) &&
		mayStrand(linesGone(ks, p), prev, limits) {
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
	for _, b := range boundLists(cfg) {
		name := b.name
		var have map[string]bool
		for _, r := range b.acl.Entries() {
			if r.ConnLimit != 1 || r.Action != acl.Deny || r.Established {
				continue
			}
			if have == nil {
				have = map[string]bool{}
				if kc := ks.chains[b.chain()]; kc != nil {
					for _, kr := range kc.rules {
						have[kr.key] = true
					}
				}
			}
			if !have[name+"/"+lineID(b.fm.f, name, r)+"/m"] {
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
	for _, chain := range listChains() {
		if kc, ok := ks.chains[chain]; ok {
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
		if s := byName[name]; s != nil && (k.holds(s.Elems) || k.grownTo(s.Elems)) {
			continue
		}
		for _, e := range k.runMap() {
			if !strings.Contains(e.line, "/") {
				continue // a dispatch map's element: a shard's chain
			}
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

// send commits ops in one transaction (flush), valid only if the
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
	err = e.flush(c, ks.gen, ops, carry)
	if err == nil {
		e.sent++
		e.lastBatch = changes(ops)
	}
	if err != nil {
		if errors.Is(err, syscall.ERESTART) || errors.Is(err, errQueue) {
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
		case o.got != 0:
			handles[o.rule] = o.got
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

// flush encodes ops (txn.go; a new rule or run element whose key carry has
// starts with those counters) and commits them in one transaction, valid only
// if the ruleset generation is still gen, on the enforcer's transaction socket,
// and records the generation it made; the new rules' handles are set on their
// ops (op.got). A batch it cannot encode is a queueError. A transaction of
// many notifications (a large list's elements) pauses the enforcer's own table
// watches while the kernel takes it: with no socket listening the kernel
// builds no notifications (watch.go, pauseWatches). The caller holds e.mu and
// passes the error to e.done.
func (e *Enforcer) flush(c *nftables.Conn, gen uint32, ops []*op, carry map[string][]Counter) error {
	if e.tx == nil {
		s, err := newTxSock(e.NetNS)
		if err != nil {
			return err
		}
		e.tx = s
	}
	t := e.tx.begin(gen)
	if err := t.encode(ops, carry); err != nil {
		return &queueError{err}
	}
	b := t.finish(gen)
	resume := e.pauseWatches(notices(ops))
	start := time.Now()
	err := e.tx.commit(t, b)
	e.kernelTime += time.Since(start)
	if err == nil && e.loseAnswers {
		err = &answersLost{cause: errors.New("lost (a test)")}
	}
	if lost := (*answersLost)(nil); errors.As(err, &lost) {
		// The kernel's answers could not all be read: the socket holds what
		// was not, so it goes. With no refusal read, the kernel took the
		// transaction if the generation after it is one this process made;
		// the new rules' handles may be unknown then, and send leaves the
		// kernel state to be read again.
		e.tx.Close()
		e.tx = nil
		if g, gerr := c.GetGen(); lost.refused == nil && gerr == nil && g.ID == gen+1 && ours(g.ProcPID) {
			for _, o := range ops {
				o.got = 0
			}
			err = nil
		}
	}
	if err == nil {
		e.madeGen(gen + 1) // the kernel took it at generation gen
	}
	resume()
	return err
}

// chainsOf returns p's chains; none for a nil plan (no table).
func chainsOf(p *Plan) []*Chain {
	if p == nil {
		return nil
	}
	return p.Chains
}
