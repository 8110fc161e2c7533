package enforcer

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/google/nftables"
	"github.com/mdlayher/netlink"

	"github.com/aclsh/aclsh/acl"
)

// SetMutate lets tests change a plan before it is sent to the kernel.
func SetMutate(e *Enforcer, f func(*Plan)) { e.mutate = f }

// CompiledLine returns the line of a list-chain rule key ("ACL/ID/m" for a line
// in a run set too) of the plan cc compiled last.
func CompiledLine(cc *Compiler, key string) (acl.Rule, bool) {
	lk, ok := cc.lines.get(key)
	return lk.r, ok
}

// Segmented is how many lines cc segmented into runs in its last compile (the
// others it kept from the compile before).
func Segmented(cc *Compiler) int {
	n := 0
	for _, m := range cc.lists {
		n += m.looked
	}
	return n
}

// SetFollowReadBuffer shrinks the follow daemon's conntrack event buffer, so that
// a test can make it overflow.
func SetFollowReadBuffer(e *Enforcer, n int) { e.followReadBuffer = n }

// DiffText is the batch, as nft commands, that turns a kernel holding before's plan
// (handles numbered from 1) into one enforcing after.
func DiffText(before, after *acl.Config, ifname string) string {
	var old *Plan
	if !before.Bound.IsZero() {
		old = Compile(before, ifname, nil)
	}
	ks := stateOf(old, 1, nil, nil)
	var p *Plan
	if !after.Bound.IsZero() {
		p = Compile(after, ifname, ks.pre(LimitsOf(after)))
		keepRunNames(ks, p)
	}
	var b strings.Builder
	for _, o := range changes(diff(ks, p)) {
		b.WriteString(o.String() + "\n")
	}
	return b.String()
}

// SetOffset sets a source's offset for line l, as the follow daemon does when one
// of its sessions ends; add first puts the source in the line's map (as an apply
// that counted it would).
func SetOffset(e *Enforcer, l *Limit, src netip.Addr, k int, add bool) error {
	if add {
		e.mu.Lock()
		c, err := e.nft()
		if err != nil {
			e.mu.Unlock()
			return err
		}
		ks, err := e.current(c)
		e.mu.Unlock()
		if err != nil {
			return err
		}
		ks.sets[l.PreMap()].elems[src] = "placeholder"
		defer func() { e.ks = nil }()
	}
	return e.setOffsets(map[*Limit]map[netip.Addr]int{l: {src: k}}, nil)
}

// FullReplaces says how often Apply fell back to replacing the whole table.
func FullReplaces(e *Enforcer) int { return e.fullReplaces }

// KernelTime is the time the enforcer spent waiting for its transactions.
func KernelTime(e *Enforcer) time.Duration { return e.kernelTime }

// DiffKeys runs the rule diff of one chain: the plan's rule keys against a kernel
// chain holding keys (handles 1, 2, ...), and returns the keys the chain holds
// after the ops, applied as the kernel would.
func DiffKeys(plan, kernel []string) []string {
	c := &Chain{Name: "c"}
	for _, k := range plan {
		c.Rules = append(c.Rules, &Rule{Key: k, Text: k})
	}
	kc := &kchain{}
	type slot struct {
		key    string
		handle uint64
	}
	var chain []slot
	for i, k := range kernel {
		kc.rules = append(kc.rules, krule{key: k, handle: uint64(i + 1), text: k})
		chain = append(chain, slot{k, uint64(i + 1)})
	}
	next := uint64(len(kernel) + 1)
	find := func(h uint64) int {
		for i, s := range chain {
			if s.handle == h {
				return i
			}
		}
		panic("no rule with that handle")
	}
	for _, o := range diffRules(c, kc) {
		switch o.kind {
		case opDelRule:
			i := find(o.handle)
			chain = append(chain[:i], chain[i+1:]...)
		case opInsertRule:
			i := find(o.handle)
			chain = append(chain[:i], append([]slot{{o.rule.Key, next}}, chain[i:]...)...)
			next++
		case opAddRule:
			chain = append(chain, slot{o.rule.Key, next})
			next++
		case opReplaceRule, opKeep:
			find(o.handle)
		}
	}
	out := []string{}
	for _, s := range chain {
		out = append(out, s.key)
	}
	return out
}

// SetLogSummary makes the follow daemon report suppressed log lines every d.
func SetLogSummary(e *Enforcer, d time.Duration) { e.logSummary = d }

// FullCounts is what the connlimit lines of cfg count from a full listing of
// every socket and conntrack flow (what show narrows down), per line.
func FullCounts(e *Enforcer, cfg *acl.Config) (map[LineRef][]SourceCount, error) {
	conns, err := e.liveConns()
	if err != nil {
		return nil, err
	}
	limits := LimitsOf(cfg)
	a := attribute(cfg, limits, conns, nil)
	out := map[LineRef][]SourceCount{}
	for _, l := range limits {
		for src, n := range a.counts[l.ID] {
			out[l.Ref()] = append(out[l.Ref()], SourceCount{l.Prefix(src), n})
		}
	}
	return out, nil
}

// ShowDumpsAll reports whether show would dump every conntrack flow for cfg now
// (rather than only the flows with an aclsh mark).
func ShowDumpsAll(e *Enforcer, cfg *acl.Config) (bool, error) {
	limits := LimitsOf(cfg)
	_, all, err := e.countedConns(limits, reachesLimit(cfg, limits))
	return all, err
}

// Drift returns the ops, as nft commands, that would bring the kernel e acts in
// to cfg's plan (read from the kernel, not from e's cache).
func Drift(e *Enforcer, cfg *acl.Config) (out []string, err error) {
	err = e.locked(func(c *nftables.Conn) error {
		ks, err := readState(c, 0, e.NetNS, e.dumpers)
		if err != nil {
			return err
		}
		p := Compile(cfg, e.IfName, ks.pre(LimitsOf(cfg)))
		keepRunNames(ks, p)
		for _, o := range diff(ks, p) {
			if o.kind != opKeep {
				out = append(out, o.String())
			}
		}
		return nil
	})
	return out, err
}

// Adopts is how often e listed the live sessions while applying.
func Adopts(e *Enforcer) int { return e.adopts }

// ForgetHandles makes the enforcer's kept kernel state lose every rule's handle,
// as a transaction whose handles it did not learn would leave it.
func ForgetHandles(e *Enforcer) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ks == nil {
		return false
	}
	for _, kc := range e.ks.chains {
		for i := range kc.rules {
			kc.rules[i].handle = 0
		}
	}
	return true
}

// OtherDroppers is one look at the other tables, alone (Stats makes it with the
// listing it shares).
func OtherDroppers(e *Enforcer) (ds []Dropper, err error) {
	err = e.locked(func(c *nftables.Conn) error {
		chains, err := c.ListChains()
		if err != nil {
			return err
		}
		ds, err = otherDroppers(c, chains, e.IfName)
		return err
	})
	return ds, err
}

// SetShardSizes sets how long a run's verdict map grows before it is sharded,
// the mean size of its shards and their most (shard.go), for a test; the
// returned func puts the sizes back.
func SetShardSizes(over, every, most int) (restore func()) {
	o, e, m := shardOver, shardEvery, shardMax
	shardOver, shardEvery, shardMax = over, every, most
	return func() { shardOver, shardEvery, shardMax = o, e, m }
}

// ShardCopies makes every shard hold a copy of its elements, as a run that may
// grow makes them, until restore.
func ShardCopies() (restore func()) {
	shardInPlace = false
	return func() { shardInPlace = true }
}

// ShardedInPlace is how many maps were split into shards in place so far.
func ShardedInPlace() int64 { return shardedInPlace.Load() }

// LastBatch is the last transaction the kernel took from e, as nft commands; a
// command changing a run map's elements is its verb and set and how many
// elements it names.
func LastBatch(e *Enforcer) []string {
	var out []string
	for _, o := range e.lastBatch {
		if (o.kind == opAddElem || o.kind == opDelElem) && o.set.Kind == SetRun {
			verb := map[opKind]string{opAddElem: "add", opDelElem: "delete"}[o.kind]
			out = append(out, fmt.Sprintf("%s element inet %s %s: %d", verb, Table, o.set.Name, len(o.elems)))
			continue
		}
		out = append(out, o.String())
	}
	return out
}

// WatchTable starts the table watch the follow daemon runs (watchTable).
func WatchTable(e *Enforcer, ctx context.Context) (<-chan Change, error) { return e.watchTable(ctx) }

// SetPauseWatchAt sets how many notifications a transaction makes from which
// it pauses the table watches (pauseWatchAt); a huge n never pauses them.
func SetPauseWatchAt(e *Enforcer, n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pauseAt = n
}

// SetWatchPaused makes a transaction that paused the table watches call f
// when the kernel took it, before they resume.
func SetWatchPaused(e *Enforcer, f func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.watchPaused = f
}

// DropState makes e forget the kernel state and the plan it keeps, as a new
// enforcer knows nothing: a benchmark frees what a lab it is done with holds.
func DropState(e *Enforcer) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ks, e.comp, e.lastBatch = nil, Compiler{}, nil
}

// SetDumpers sets how many sockets e reads the run maps with at once (0: one a
// CPU).
func SetDumpers(e *Enforcer, n int) { e.dumpers = n }

// Encodings encodes the ops that make a kernel holding before's plan (rule
// handles numbered from 1; nil: no table) enforce after's (nil: no table);
// full, as apply's fallback: the table replaced whole. Every new rule and run
// line gets carried counters. The ops are encoded twice, each from fresh
// transaction ids: by aclsh (ours) and by google/nftables (lib, captured
// through WithTestDial), batch begin and end included. kinds names the kinds
// of op and of set the ops have.
func Encodings(before, after *acl.Config, full bool) (ours, lib []netlink.Message, kinds []string, err error) {
	plan := func(cfg *acl.Config, ks *kstate) *Plan {
		if cfg == nil || cfg.Bound.IsZero() {
			return nil
		}
		p := Compile(cfg, "mgmt0", ks.pre(LimitsOf(cfg)))
		keepRunNames(ks, p)
		return p
	}
	ks := stateOf(plan(before, emptyState(7)), 7, nil, nil)
	var ops []*op
	if full {
		empty := emptyState(ks.gen)
		ops = append([]*op{{kind: opAddTable}, {kind: opDelTable}}, changes(diff(empty, plan(after, empty)))...)
	} else {
		ops = changes(diff(ks, plan(after, ks)))
	}
	carry := map[string][]Counter{}
	seen := map[string]bool{}
	kind := func(k string) {
		if !seen[k] {
			seen[k] = true
			kinds = append(kinds, k)
		}
	}
	for i, o := range ops {
		kind("op " + strings.Join(strings.Fields(o.String())[:2], " "))
		if o.rule != nil {
			carry[o.rule.Key] = []Counter{{Packets: uint64(i + 1), Bytes: uint64(100*i + 60)}, {Packets: 7, Bytes: 700}}
			if len(o.rule.Anon) > 0 {
				kind("set anonymous")
			}
		}
		es := o.elems
		if o.kind == opAddSet {
			es = o.set.Elems
			ns := setObj(o.set)
			kind(fmt.Sprintf("set kind %d interval %v concat %v map %v counter %v timeout %v dynamic %v part %d",
				o.set.Kind, ns.Interval, ns.Concatenation, ns.IsMap, ns.Counter, ns.HasTimeout, ns.Dynamic, o.set.part))
		}
		for j, e := range es {
			if e.Line != "" && j%2 == 0 {
				carry[e.Line+"/m"] = []Counter{{Packets: uint64(j + 3), Bytes: uint64(j*1000 + 5)}}
			}
		}
	}
	var ids uint32
	t := newTxn(ks.gen, 1, &ids)
	if err := t.encode(ops, carry); err != nil {
		return nil, nil, nil, err
	}
	b := t.finish(ks.gen)
	for len(b) > 0 {
		l := int(binary.NativeEndian.Uint32(b))
		var m netlink.Message
		if err := m.UnmarshalBinary(b[:l]); err != nil {
			return nil, nil, nil, err
		}
		ours = append(ours, m)
		b = b[l:]
	}
	c, err := nftables.New(nftables.WithTestDial(func(req []netlink.Message) ([]netlink.Message, error) {
		if req == nil {
			return nil, io.EOF // no answer
		}
		lib = append(lib, req...)
		return nil, nil
	}))
	if err != nil {
		return nil, nil, nil, err
	}
	if err := libQueue(c, ops, carry); err != nil {
		return nil, nil, nil, err
	}
	if err := c.FlushWithGenID(ks.gen); err != nil {
		return nil, nil, nil, err
	}
	return ours, lib, kinds, nil
}

// FirstTxn returns a func that encodes the transaction of a first apply of
// cfg (its plan compiled once, here) and returns its bytes: with aclsh's
// encoder, or with google/nftables (lib: queued and flushed to a test dial,
// which drops the messages).
func FirstTxn(cfg *acl.Config, lib bool) func() int {
	ops := changes(diff(emptyState(1), Compile(cfg, "mgmt0", nil)))
	if lib {
		return func() int {
			n := 0
			c, err := nftables.New(nftables.WithTestDial(func(req []netlink.Message) ([]netlink.Message, error) {
				if req == nil {
					return nil, io.EOF
				}
				for _, m := range req {
					n += 16 + len(m.Data)
				}
				return nil, nil
			}))
			if err != nil {
				panic(err)
			}
			if err := libQueue(c, ops, nil); err != nil {
				panic(err)
			}
			if err := c.FlushWithGenID(1); err != nil {
				panic(err)
			}
			return n
		}
	}
	return func() int {
		var ids uint32
		t := newTxn(1, 1, &ids)
		if err := t.encode(ops, nil); err != nil {
			panic(err)
		}
		return len(t.finish(1))
	}
}

// SetLoseAnswers makes e's transactions read their answers as lost once the
// kernel took them (the socket overflowed with echoes, say).
func SetLoseAnswers(e *Enforcer, lose bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.loseAnswers = lose
}

// Transactions returns how many transactions the kernel took from e.
func Transactions(e *Enforcer) int { return e.transactions() }
