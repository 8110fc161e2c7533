package enforcer

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/google/nftables"
	"github.com/ti-mo/conntrack"
	"github.com/ti-mo/netfilter"

	"github.com/aclsh/aclsh/acl"
)

// Follow keeps connection limits exact while it runs. The kernel counts the
// connections each limited line admits after it was applied; sessions counted in
// userspace (those that existed when the line was applied) are a per-source offset,
// an element of the line's map. Follow keeps an index of the live sessions each
// line counts (one conntrack dump and the host's TCP sockets at start, then
// conntrack events and TCP socket destruction), and when a session of a source
// with an offset ends, it sets that source's offset to its live sessions and
// resets the source's kernel list, in one small transaction: no re-apply, no dump.
// It checks the running-config every second and re-indexes when it changed, and
// every PreTimeout/3 re-indexes from a dump and refreshes every offset (they
// expire after PreTimeout). When events are lost (the event socket overflowed) it
// re-subscribes, re-indexes from one dump and logs that it resynchronised.
//
// At start it applies the running-config (at boot the kernel holds nothing).
// If Follow stops, the kernel keeps enforcing with its own counts, and offsets
// expire after PreTimeout, so no source stays limited by stale counts.
//
// view must call its argument with the running-config while holding the state
// lock (config.Store.View), so that an update never races a shell's commit; the
// config must stay the same pointer while the file is unchanged.
//
// Equivalent to: `aclsh follow` (the aclsh-follow systemd unit).
func (e *Enforcer) Follow(ctx context.Context, view func(func(*acl.Config) error) error, logf func(string, ...any)) error {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	f := &follower{e: e, view: view, logf: logf, full: map[string]bool{}}
	if err := f.listen(); err != nil {
		return err
	}
	defer f.close()
	defer func() {
		if f.router != nil {
			f.router.h.Close()
		}
	}()
	ends, endErrs, err := e.watchTCPEnds(ctx)
	if err != nil {
		return fmt.Errorf("watching TCP sockets: %w", wrapKernel(err))
	}
	// At boot the kernel has nothing: enforce the running-config (a no-op when the
	// table is already in step).
	if err := view(e.Apply); err != nil {
		f.saidBefore(err)
		logf("follow: applying the running-config: %v", err)
	}
	f.resync("start")
	refresh := time.NewTicker(PreTimeout / 3)
	defer refresh.Stop()
	summary := time.NewTicker(e.logSummaryEvery())
	defer summary.Stop()
	f.summarize()
	check := time.NewTicker(time.Second)
	defer check.Stop()
	// Another program that deletes or changes the table (nft flush ruleset,
	// nftables.service at start): put it back at once (watch.go).
	m := &mender{e: e, logf: logf}
	changes, err := e.watchTable(ctx)
	if err != nil {
		logf("follow: watching table inet %s: %v", Table, err)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ch, ok := <-changes:
			if !ok {
				changes = nil // watched again at the next check, and looked at then
				continue
			}
			f.mend(m, ch)
		case <-refresh.C:
			f.resync("refresh")
		case <-summary.C:
			f.summarize()
		case <-check.C:
			if f.lc == nil { // re-subscribing failed before: try again
				if err := f.listen(); err == nil {
					f.resync("re-subscribed to conntrack events")
				}
			}
			if ends == nil && endErrs == nil {
				if ends, endErrs, err = e.watchTCPEnds(ctx); err == nil {
					f.resync("re-subscribed to TCP socket events")
				} else {
					ends, endErrs = nil, nil
				}
			}
			if changes == nil && ctx.Err() == nil {
				if changes, err = e.watchTable(ctx); err == nil {
					f.mend(m, Change{Comm: "a program unseen while not watching"})
				}
			}
			if f.lostPending && time.Since(f.lostResync) >= lostResyncEvery {
				f.lostPending = false
				f.lostResync = time.Now()
				f.resync("lost events")
			}
			f.checkConfig()
			f.checkSets()
		case ev := <-f.events:
			f.event(ev)
			f.drain(ends)
		case c, ok := <-ends:
			if !ok {
				ends = nil
				continue
			}
			f.ended(c)
			f.drain(ends)
		case err, ok := <-endErrs:
			if !ok {
				endErrs = nil
				continue
			}
			f.lost("TCP socket events", err)
		case err := <-f.errs:
			f.close()
			if lerr := f.listen(); lerr != nil {
				logf("follow: re-subscribing to conntrack events: %v", lerr)
				continue
			}
			f.lost("conntrack events", err)
		}
	}
}

// mend puts the table back in step with the running-config after ch, and
// counts the live sessions again when it did.
func (f *follower) mend(m *mender, ch Change) {
	mended := false
	err := f.view(func(cfg *acl.Config) (err error) {
		mended, err = m.mend(cfg, ch)
		return err
	})
	if err != nil {
		f.logf("follow: table inet %s was %s; putting it back: %v", Table, ch, err)
		return
	}
	if mended {
		f.resync("table mended")
	}
}

// lostResyncEvery bounds how often lost events make the daemon recount from a
// dump: under a flood (a spoofed SYN storm overflows the event socket again and
// again) it recounts once per interval, not once per overflow.
const lostResyncEvery = 2 * time.Second

// lostLogEvery bounds how often it logs that events were lost.
const lostLogEvery = 30 * time.Second

// lost handles events lost from a subscription (the socket overflowed): a
// recount from a dump at once, or when the interval since the last one ends;
// one log line per lostLogEvery, with the count since the last.
func (f *follower) lost(what string, err error) {
	f.lostCount++
	if now := time.Now(); now.Sub(f.lostLogged) >= lostLogEvery {
		more := ""
		if f.lostCount > 1 {
			more = fmt.Sprintf(" (%d times since the last such line)", f.lostCount)
		}
		f.logf("follow: %s lost: %v%s; recounting from the kernel at most every %v", what, err, more, lostResyncEvery)
		f.lostLogged, f.lostCount = now, 0
	}
	if time.Since(f.lostResync) < lostResyncEvery {
		f.lostPending = true // at the next check once the interval is over
		return
	}
	f.lostResync = time.Now()
	f.resync("lost " + what)
}

// follower is the state of Follow.
type follower struct {
	// Lost events: the last recount for them, one waiting, the losses and the
	// last log lines about them (lost, resync).
	lostResync, lostLogged, resyncLogged time.Time
	lostPending                          bool
	lostCount                            int

	e    *Enforcer
	view func(func(*acl.Config) error) error
	logf func(string, ...any)

	lc     *conntrack.Conn // nil while not subscribed
	events chan conntrack.Event
	errs   chan error

	router *router // nil until needed, and after each resync

	viewErr string // the last error reading the running-config, logged once

	cfg     *acl.Config
	limits  map[string]*Limit
	w       *walker
	live    map[string]map[netip.Addr]map[tuple]bool // line ID -> source (prefix key) -> sessions
	owners  map[tuple][]string                       // session -> lines counting it
	pending map[string]map[netip.Addr]bool           // sources whose offset must change
	logs    logSummary                               // what the log lines counted at the last summary
	// full holds the lines (by ID) whose source set was last seen full.
	full map[string]bool
}

// drainMax bounds the events handled before pending offsets are applied.
const drainMax = 4096

// tuple identifies a connection whichever way conntrack holds it.
type tuple struct {
	proto uint8
	a, b  netip.AddrPort
}

func tupleOf(c Conn) tuple {
	return tuple{proto: c.Proto, a: netip.AddrPortFrom(c.Src, c.SPort), b: netip.AddrPortFrom(c.Dst, c.DPort)}
}

func (f *follower) listen() error {
	lc, err := f.e.conntrack()
	if err != nil {
		return wrapKernel(err)
	}
	if f.e.followReadBuffer > 0 {
		lc.SetReadBuffer(f.e.followReadBuffer)
	}
	events := make(chan conntrack.Event, 1024)
	errs, err := lc.Listen(events, 1, []netfilter.NetlinkGroup{netfilter.GroupCTNew, netfilter.GroupCTUpdate, netfilter.GroupCTDestroy})
	if err != nil {
		lc.Close()
		return wrapKernel(err)
	}
	f.lc, f.events, f.errs = lc, events, errs
	return nil
}

// close ends the subscription. Its worker may be blocked sending an event or an
// error (the error channel is unbuffered): drain both until Close returns.
func (f *follower) close() {
	if f.lc == nil {
		return
	}
	events, errs := f.events, f.errs
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-errs:
			case <-events:
			case <-done:
				return
			}
		}
	}()
	f.lc.Close()
	close(done)
	f.lc, f.events, f.errs = nil, nil, nil
}

// resync rebuilds the index from the host's sockets and one conntrack dump and
// sets every offset the kernel holds to its source's live sessions.
func (f *follower) resync(why string) {
	err := f.view(func(cfg *acl.Config) error {
		f.index(cfg)
		if f.w != nil {
			conns, err := f.e.liveConns()
			if err != nil {
				return err
			}
			for _, c := range conns {
				f.add(c, false)
			}
		}
		// Connections opened since the listing (their events are queued) count.
		f.pump(nil)
		offsets, err := f.e.offsets()
		if err != nil {
			return err
		}
		all := map[string]map[netip.Addr]bool{}
		for id, srcs := range offsets {
			all[id] = map[netip.Addr]bool{}
			for src := range srcs {
				all[id][src] = true
			}
		}
		return f.update(all)
	})
	if err != nil {
		if !f.saidBefore(err) {
			f.logf("follow: resynchronising (%s): %v", why, err)
		}
		return
	}
	switch {
	case why == "refresh" || why == "start":
	case strings.HasPrefix(why, "lost "):
		// Under a flood: one line per lostLogEvery.
		if time.Since(f.resyncLogged) >= lostLogEvery {
			f.resyncLogged = time.Now()
			f.logf("follow: resynchronised (%s)", why)
		}
	default:
		f.logf("follow: resynchronised (%s)", why)
	}
}

// summarize reports the matches log lines did not log since the last summary.
func (f *follower) summarize() {
	if f.cfg == nil {
		return
	}
	first := f.logs.prev == nil
	if err := f.logs.report(f.e, f.cfg, f.logf); err != nil {
		f.logf("follow: reading the log lines' counters: %v", err)
		return
	}
	if n := len(f.logs.prev); first && n > 0 {
		f.logf("follow: %d line(s) with log; the matches they do not log are reported every %v", n, f.e.logSummaryEvery())
	}
}

// index starts an empty index for cfg.
func (f *follower) index(cfg *acl.Config) {
	f.cfg = cfg
	if f.router != nil {
		f.router.h.Close() // interfaces and routes may have changed
		f.router = nil
	}
	limits := LimitsOf(cfg)
	f.w = nil
	if len(limits) > 0 {
		// Only sessions counted toward a limit are followed: without a
		// connlimit line there is nothing to walk (the walker copied every
		// line of every bound list at every change of the running-config).
		f.w = newWalker(cfg, limits)
	}
	f.limits = map[string]*Limit{}
	for _, l := range limits {
		f.limits[l.ID] = l
	}
	f.live = map[string]map[netip.Addr]map[tuple]bool{}
	f.owners = map[tuple][]string{}
	f.pending = map[string]map[netip.Addr]bool{}
}

// checkConfig re-indexes when the running-config changed.
func (f *follower) checkConfig() {
	changed := false
	if err := f.view(func(cfg *acl.Config) error { changed = cfg != f.cfg; return nil }); err != nil {
		// Once per problem, not every second.
		if !f.saidBefore(err) {
			f.logf("follow: reading the running-config: %v", err)
		}
		return
	}
	if f.viewErr != "" {
		// Restored by hand (or copied back): the kernel still enforces what it
		// had, so enforce the file, as at start.
		f.viewErr = ""
		if err := f.view(f.e.Apply); err != nil {
			f.logf("follow: the running-config can be read again; applying it: %v", err)
		} else {
			f.logf("follow: the running-config can be read again; applied it")
		}
		changed = true
	}
	if changed {
		f.resync("running-config changed")
	}
}

// checkSets logs when a line's source set fills (new sources are then not
// limited by the line) and when it has room again (below 90%, so that a set
// hovering at full does not log every second). One dump of the table's sets.
func (f *follower) checkSets() {
	if len(f.limits) == 0 {
		return
	}
	var sets map[string]SetUse
	err := f.e.locked(func(c *nftables.Conn) (err error) {
		sets, err = f.e.setUses(c)
		return err
	})
	if err != nil {
		f.logf("follow: reading the source sets: %v", err)
		return
	}
	limits := make([]*Limit, 0, len(f.limits))
	for _, l := range f.limits {
		limits = append(limits, l)
	}
	sort.Slice(limits, func(i, j int) bool { return limits[i].ID < limits[j].ID })
	uses := lineUses(limits, sets)
	for _, l := range limits {
		id := l.ID
		u, ok := uses[id]
		switch {
		case !ok:
		case u.Full() && !f.full[id]:
			f.full[id] = true
			effect := "new sources are admitted without the limit"
			switch {
			case l.Rule.ConnFailClosed:
				effect = "new sources are refused (fail-closed)"
			case l.Rule.Action == acl.Deny:
				effect = "the line no longer denies new sources"
			}
			f.logf("follow: access list %s seq %d: source set full (%d of %d): %s until entries go", l.ACL, l.Rule.Seq, u.New, u.Size, effect)
		case f.full[id] && !u.NearFull():
			delete(f.full, id)
			f.logf("follow: access list %s seq %d: source set has room again (%d of %d)", l.ACL, l.Rule.Seq, u.New, u.Size)
		}
	}
	for id := range f.full {
		if f.limits[id] == nil {
			delete(f.full, id)
		}
	}
}

// add indexes a live connection under the lines that count it; route says to
// check first that it arrived on the management interface.
func (f *follower) add(c Conn, route bool) {
	if f.w == nil {
		return
	}
	counted, _ := f.w.walk(c, nil)
	if len(counted) == 0 {
		return
	}
	t := tupleOf(c)
	if _, ok := f.owners[t]; ok || route && !f.arrivedOn(c) {
		return
	}
	for _, l := range counted {
		m := f.live[l.ID]
		if m == nil {
			m = map[netip.Addr]map[tuple]bool{}
			f.live[l.ID] = m
		}
		src := l.Source(c.Src)
		if m[src] == nil {
			m[src] = map[tuple]bool{}
		}
		m[src][t] = true
		f.owners[t] = append(f.owners[t], l.ID)
	}
}

func (f *follower) mark(id string, src netip.Addr) {
	if f.pending[id] == nil {
		f.pending[id] = map[netip.Addr]bool{}
	}
	f.pending[id][src] = true
}

// ended drops a connection from the index and marks the sources whose offsets
// must follow.
func (f *follower) ended(c Conn) {
	for _, t := range []tuple{tupleOf(c), tupleOf(Conn{Proto: c.Proto, Src: c.Dst, Dst: c.Src, SPort: c.DPort, DPort: c.SPort})} {
		ids, ok := f.owners[t]
		if !ok {
			continue
		}
		delete(f.owners, t)
		for _, id := range ids {
			src := t.a.Addr()
			if l := f.limits[id]; l != nil {
				src = l.Source(src)
			}
			delete(f.live[id][src], t)
			f.mark(id, src)
		}
	}
}

// event handles a conntrack event.
func (f *follower) event(ev conntrack.Event) {
	if ev.Flow == nil {
		return
	}
	t := ev.Flow.TupleOrig
	c := Conn{Proto: t.Proto.Protocol, Src: t.IP.SourceAddress.Unmap(), Dst: t.IP.DestinationAddress.Unmap(),
		SPort: t.Proto.SourcePort, DPort: t.Proto.DestinationPort, Mark: ev.Flow.Mark, Tracked: true}
	if c.Proto == 1 || c.Proto == 58 {
		c.SPort, c.DPort = t.Proto.ICMPID, 0
	}
	switch {
	case ev.Type == conntrack.EventNew:
		f.add(c, true)
	case ev.Type == conntrack.EventDestroy, !live(ev.Flow):
		f.ended(c)
	}
}

// drain handles what is already queued (at most drainMax), then applies the
// offsets that changed: a burst of closes is one transaction.
func (f *follower) drain(ends <-chan Conn) {
	f.pump(ends)
	if len(f.pending) == 0 {
		return
	}
	pending := f.pending
	f.pending = map[string]map[netip.Addr]bool{}
	err := f.view(func(cfg *acl.Config) error {
		if cfg != f.cfg {
			return errConfigChanged
		}
		return f.update(pending)
	})
	if errors.Is(err, errConfigChanged) {
		f.resync("running-config changed")
	} else if err != nil && !f.saidBefore(err) {
		f.logf("follow: updating offsets: %v", err)
	}
}

var errConfigChanged = errors.New("the running-config changed")

// saidBefore reports whether err says that the running-config cannot be used
// (config.StateError) with the same words as the last such error logged, and
// records it: that is logged once, not at every refresh and session end.
func (f *follower) saidBefore(err error) bool {
	var se interface{ StateError() }
	if !errors.As(err, &se) {
		return false
	}
	msg := err.Error()
	same := msg == f.viewErr
	f.viewErr = msg
	return same
}

// pump handles the events already queued, at most drainMax.
func (f *follower) pump(ends <-chan Conn) {
	for range drainMax {
		select {
		case ev := <-f.events:
			f.event(ev)
		case c, ok := <-ends:
			if !ok {
				return
			}
			f.ended(c)
		default:
			return
		}
	}
}

// update sets the offset of each source in srcs (line ID -> sources) that has one
// in the kernel to its live sessions in the index.
//
// A new connection of such a source never updates its offset: the kernel's own
// list counts it. Setting an offset resets the source's list, so an update made
// because a new connection arrived would drop from the count the connections the
// kernel admitted meanwhile whose events are not read yet, and in a burst the
// source would get a slot too many each time.
func (f *follower) update(srcs map[string]map[netip.Addr]bool) error {
	set := map[*Limit]map[netip.Addr]int{}
	for id, m := range srcs {
		l := f.limits[id]
		if l == nil {
			continue
		}
		set[l] = map[netip.Addr]int{}
		for src := range m {
			set[l][src] = len(f.live[id][src])
		}
	}
	return f.e.setOffsets(set, nil)
}

// live reports whether a flow counts as a connection: TCP flows in TIME_WAIT and
// CLOSE do not, as the kernel's connlimit does not count them.
func live(f *conntrack.Flow) bool {
	if f.ProtoInfo.TCP != nil {
		s := f.ProtoInfo.TCP.State
		return s != 7 && s != 8 // TIME_WAIT, CLOSE
	}
	return true
}

// offsets returns the offsets the kernel holds: line ID -> sources.
func (e *Enforcer) offsets() (map[string]map[netip.Addr]bool, error) {
	out := map[string]map[netip.Addr]bool{}
	err := e.locked(func(c *nftables.Conn) error {
		ks, err := e.current(c)
		if err != nil {
			return err
		}
		for name, s := range ks.sets {
			if s.kind != SetPreMap || !strings.HasPrefix(name, "pre_") {
				continue
			}
			m := map[netip.Addr]bool{}
			for a := range s.elems {
				m[a] = true
			}
			out[strings.TrimPrefix(name, "pre_")] = m
		}
		return nil
	})
	return out, err
}

// setOffsets sets, for each line and source, the source's offset: the sessions
// counted in userspace. A source with an offset in the kernel gets the new one
// (0 removes it) and its kernel list is reset, since the offset now counts all of
// its live sessions; a source without one is left to the kernel's own count. One
// transaction; chains for new offset values are added to it.
//
// Equivalent to: nft 'delete element inet aclsh cnt_ID { SRC }; delete element inet
// aclsh pre_ID { SRC }; add element inet aclsh pre_ID { SRC : goto lim_ID_K }'.
func (e *Enforcer) setOffsets(set map[*Limit]map[netip.Addr]int, force map[*Limit]map[netip.Addr]bool) error {
	return e.locked(func(c *nftables.Conn) error { return e.sendOffsets(c, set, force) })
}

func (e *Enforcer) sendOffsets(c *nftables.Conn, set map[*Limit]map[netip.Addr]int, force map[*Limit]map[netip.Addr]bool) error {
	for range 3 {
		ks, err := e.current(c)
		if err != nil {
			return err
		}
		e.ks = nil // offsetOps and a failed batch leave it changed
		ops := offsetOps(ks, set, force)
		if len(ops) == 0 {
			e.ks = ks
			return nil
		}
		err = e.flush(c, ks.gen, ops, nil)
		if errors.Is(err, syscall.ERESTART) {
			continue
		}
		if err != nil {
			return wrapKernel(err)
		}
		if g, err := c.GetGen(); err == nil && g.ID == ks.gen+1 {
			ks.applyOffsetOps(ops, g.ID)
			e.ks = ks
		}
		return nil
	}
	return errors.New("the ruleset kept changing")
}

// offsetOps builds the batch of setOffsets on the kernel state ks (whose chains and
// sets it records as created). Sources in force get an offset even if they have
// none in the kernel.
func offsetOps(ks *kstate, set map[*Limit]map[netip.Addr]int, force map[*Limit]map[netip.Addr]bool) []*op {
	var ops []*op
	limits := make([]*Limit, 0, len(set))
	for l := range set {
		limits = append(limits, l)
	}
	sort.Slice(limits, func(i, j int) bool { return limits[i].ID < limits[j].ID })
	for _, l := range limits {
		pm, ok := ks.sets[l.PreMap()]
		if !ok {
			continue // the kernel does not have this line
		}
		srcs := make([]netip.Addr, 0, len(set[l]))
		for src := range set[l] {
			if _, ok := pm.elems[src]; ok || force[l][src] {
				srcs = append(srcs, src)
			}
		}
		sort.Slice(srcs, func(i, j int) bool { return srcs[i].Less(srcs[j]) })
		var reset, add []Elem
		for _, src := range srcs {
			reset = append(reset, Elem{Addr: src})
			k := min(set[l][src], max(l.threshold(), 1))
			if k == 0 {
				continue
			}
			if _, ok := ks.chains[l.Bucket(k)]; !ok {
				p := &Plan{}
				p.limitChains(l, map[netip.Addr]int{src: k})
				for _, s := range p.Sets {
					if s.Name == l.BucketSet(k) {
						ops = append(ops, &op{kind: opAddSet, set: s})
						ks.sets[s.Name] = &kset{kind: s.Kind, elems: map[netip.Addr]string{}}
					}
				}
				for _, ch := range p.Chains {
					if ch.Name == l.Bucket(k) {
						ops = append(ops, &op{kind: opAddChain, chain: ch})
						for _, r := range ch.Rules {
							ops = append(ops, &op{kind: opAddRule, chain: ch, rule: r})
						}
						ks.chains[ch.Name] = &kchain{} // rules filled in by applyOffsetOps
					}
				}
			}
			add = append(add, Elem{Addr: src, Chain: l.Bucket(k)})
		}
		if len(reset) == 0 {
			continue
		}
		// The offset now counts every live session of these sources: empty their
		// lists in all of the line's sets.
		for _, name := range sortedKeys(ks.sets) {
			if name == l.Set() || strings.HasPrefix(name, l.Set()+"_") {
				ops = append(ops, &op{kind: opDelElem, set: &Set{Name: name, Kind: SetConnLimit, Family: l.Family}, elems: reset})
			}
		}
		ops = append(ops, &op{kind: opDelElem, set: &Set{Name: l.PreMap(), Kind: SetPreMap, Family: l.Family}, elems: reset})
		if len(add) > 0 {
			ops = append(ops, &op{kind: opAddElem, set: &Set{Name: l.PreMap(), Kind: SetPreMap, Family: l.Family}, elems: add})
		}
	}
	sort.SliceStable(ops, func(i, j int) bool { return ops[i].phase() < ops[j].phase() })
	return ops
}

// applyOffsetOps brings the cached state in line with a committed offset batch.
func (ks *kstate) applyOffsetOps(ops []*op, gen uint32) {
	ks.gen = gen
	for _, o := range ops {
		switch o.kind {
		case opAddRule:
			kc := ks.chains[o.chain.Name]
			kc.rules = append(kc.rules, krule{key: o.rule.Key, handle: o.got, text: o.rule.Text})
		case opDelElem:
			if s := ks.sets[o.set.Name]; s != nil {
				for _, el := range o.elems {
					delete(s.elems, el.Addr)
				}
			}
		case opAddElem:
			if s := ks.sets[o.set.Name]; s != nil {
				for _, el := range o.elems {
					s.elems[el.Addr] = el.Chain
				}
			}
		}
	}
}

// arrivedOn reports whether a new connection came in on the management interface.
func (f *follower) arrivedOn(c Conn) bool {
	if f.router == nil {
		h, err := f.e.netlinkHandle()
		if err != nil {
			f.logf("follow: netlink: %v", err)
			return false
		}
		link, err := h.LinkByName(f.e.IfName)
		if err != nil {
			h.Close()
			return false
		}
		f.router = &router{h: h, ifindex: link.Attrs().Index}
	}
	ok, err := f.router.arrived(c.Src, c.Dst)
	if err != nil {
		f.logf("follow: %v", err)
	}
	return ok
}
