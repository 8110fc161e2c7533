package enforcer

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/nftables"

	"github.com/aclsh/aclsh/acl"
)

// Change is a change another program made to table inet aclsh: what the kernel
// said of the transaction that made it.
type Change struct {
	PID     uint32 // the process that sent it
	Comm    string // its name (nft, iptables-nft, ...)
	Deleted bool   // the table itself was deleted (nft flush ruleset, nft delete table)
}

func (c Change) String() string {
	what := "changed"
	if c.Deleted {
		what = "deleted"
	}
	if c.PID == 0 {
		return what + " by " + c.Comm // a change the watch did not see made
	}
	return fmt.Sprintf("%s by %s (pid %d)", what, c.Comm, c.PID)
}

// ours says whether a transaction was sent by this process, which keeps the
// table in step by itself (the daemon is the one owner). The kernel names the
// thread that sent it (its task id, NFTA_GEN_PROC_PID), so the thread's group
// is what is compared. A thread gone already is no one's by its name: the
// generations this process's transactions made (ownGen) tell its own.
func ours(pid uint32) bool {
	if int(pid) == os.Getpid() {
		return true
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "Tgid:"); ok {
			tgid, err := strconv.Atoi(strings.TrimSpace(v))
			return err == nil && tgid == os.Getpid()
		}
	}
	return false
}

// watchTable reports, on the returned channel, the transactions of other
// programs that touched table inet aclsh: nftables' own change notifications
// (NFNLGRP_NFTABLES), one per transaction, as they happen. The channel is
// closed when ctx ends or the notifications stop (the socket overflowed, say):
// the caller then looks at the table once and watches again.
//
// A large transaction of this enforcer pauses the watch (pauseWatches): its
// socket is closed while the kernel takes the transaction, and opened again
// after it. The watch then looks once: a ruleset generation this enforcer did
// not make says another program changed the ruleset meanwhile, and is
// reported as a Change of "a program unseen while the watch was paused".
func (e *Enforcer) watchTable(ctx context.Context) (<-chan Change, error) {
	var opts []nftables.ConnOption
	if e.NetNS != 0 {
		opts = append(opts, nftables.WithNetNSFd(e.NetNS))
	}
	c, err := nftables.New(opts...)
	if err != nil {
		return nil, wrapKernel(err)
	}
	w := &tableWatch{opts: opts}
	e.addWatch(w)
	events, pauses, err := w.subscribe()
	if err != nil {
		e.dropWatch(w)
		return nil, err
	}
	out := make(chan Change, 1)
	go func() {
		defer close(out)
		defer func() {
			e.dropWatch(w)
			w.stop()
			if events != nil {
				go drain(events)
			}
		}()
		for {
			if events == nil {
				// Paused (see above): watch again once the transaction is
				// over, then look once.
				if events, pauses, err = w.again(ctx); err != nil {
					return
				}
				g, err := c.GetGen()
				if err == nil && e.ownGen(g.ID) {
					continue
				}
				select {
				case out <- Change{Comm: "a program unseen while the watch was paused"}:
				case <-ctx.Done():
					return
				}
				continue
			}
			var evs *nftables.MonitorEvents
			var ok bool
			select {
			case <-ctx.Done():
				return
			case evs, ok = <-events:
			}
			if !ok || evs.GeneratedBy == nil || evs.GeneratedBy.Type == nftables.MonitorEventTypeOOB {
				if !w.pausedSince(pauses) {
					return // an error: the caller looks and watches again
				}
				go drain(events)
				events = nil
				continue
			}
			gen, _ := evs.GeneratedBy.Data.(*nftables.Gen)
			if gen == nil || ours(gen.ProcPID) {
				continue
			}
			ch := Change{PID: gen.ProcPID, Comm: gen.ProcComm}
			touched := false
			for _, ev := range evs.Changes {
				t, deleted := eventTable(ev)
				if t == nil || t.Name != Table || t.Family != nftables.TableFamilyINet {
					continue
				}
				touched = true
				ch.Deleted = ch.Deleted || deleted
			}
			if !touched || e.ownGen(gen.ID) {
				continue // (asked last: it waits for a transaction of ours under way)
			}
			select {
			case out <- ch:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// drain reads a closed monitor's events until the library closes the channel,
// so that its reader is not left blocked on a full buffer.
func drain(events chan *nftables.MonitorEvents) {
	for range events {
	}
}

// pauseWatchAt is how many change notifications a transaction of the enforcer
// makes (notices) from which it pauses its own table watches while the kernel
// takes it. The kernel builds a notification for every element, rule, set and
// chain of a transaction whenever any socket on the host listens to
// NFNLGRP_NFTABLES (nfnetlink_has_listeners; netlink's listener map is per
// protocol, not per namespace). Measured with the watch listening against
// paused (BenchmarkBlocklistWatched, kernel 6.18, the kernel's transaction):
// 2,000 elements 27 ms against 6 ms, 200,000 1.2 s against 0.8 s, 1,000,000
// 11.2 s against 2.9 s (9-27 s against 4-6 s on a busy machine). A pause costs well under a millisecond (a socket closed
// and opened again, and a look at the generation), but while it lasts another
// program's change is seen only after the transaction; from this size on it
// saves some 20 ms or more. Below it (a line changed, the follow daemon's
// offsets) the watch stays as it is and sees each change as it happens.
const pauseWatchAt = 2000

// notices returns how many change notifications the kernel makes for ops: one
// per element added or removed, and one per other object.
func notices(ops []*op) int {
	n := 0
	for _, o := range ops {
		switch o.kind {
		case opKeep, opRebuild:
		case opAddSet:
			n += 1 + len(o.set.Elems)
		case opAddElem, opDelElem:
			n += len(o.elems)
		default:
			n++
			if o.rule != nil {
				for _, a := range o.rule.Anon {
					n += 1 + len(a.Elems)
				}
			}
		}
	}
	return n
}

// tableWatch is one running watchTable: its subscription, which a large
// transaction of the enforcer closes for its duration.
//
// The subscription has a connection of its own, closed by the watch: the
// library's Monitor.Close does not close its socket once the monitor ended on
// an error (an overflow), and the socket would listen on until the garbage
// collector closed it.
type tableWatch struct {
	opts   []nftables.ConnOption
	mu     sync.Mutex
	conn   *nftables.Conn // the subscription's; nil while paused or stopped
	pauses int            // how many pauses began
	over   chan struct{}  // closed when the pause under way ends; nil: none
}

// subscribe opens a subscription and returns its events and the pauses begun
// before it. During a pause it opens none and returns nil events.
func (w *tableWatch) subscribe() (chan *nftables.MonitorEvents, int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.over != nil {
		return nil, w.pauses, nil
	}
	conn, err := nftables.New(append(w.opts, nftables.AsLasting())...)
	if err != nil {
		return nil, 0, wrapKernel(err)
	}
	events, err := conn.AddGenerationalMonitor(nftables.NewMonitor(nftables.WithMonitorEventBuffer(64)))
	if err != nil {
		conn.CloseLasting()
		return nil, 0, wrapKernel(err)
	}
	w.conn = conn
	return events, w.pauses, nil
}

// again waits for the pause under way to end and subscribes again.
func (w *tableWatch) again(ctx context.Context) (chan *nftables.MonitorEvents, int, error) {
	for {
		w.mu.Lock()
		over := w.over
		w.mu.Unlock()
		if over != nil {
			select {
			case <-over:
			case <-ctx.Done():
				return nil, 0, ctx.Err()
			}
		}
		events, pauses, err := w.subscribe()
		if events != nil || err != nil {
			return events, pauses, err
		}
	}
}

// pausedSince reports whether a pause began since the subscription that
// counted n pauses before it.
func (w *tableWatch) pausedSince(n int) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pauses != n
}

// pause closes the subscription until resume.
func (w *tableWatch) pause() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pauses++
	if w.over == nil {
		w.over = make(chan struct{})
	}
	w.closeConn()
}

// resume ends the pause: the watch subscribes again.
func (w *tableWatch) resume() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.over != nil {
		close(w.over)
		w.over = nil
	}
}

// stop closes the subscription for good.
func (w *tableWatch) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closeConn()
}

// closeConn closes the subscription's socket, which removes it from the
// kernel's listeners before it returns (the file descriptor is closed then,
// and netlink's release drops its groups); the monitor then ends and closes
// its events. The caller holds w.mu.
func (w *tableWatch) closeConn() {
	if w.conn != nil {
		w.conn.CloseLasting()
		w.conn = nil
	}
}

// addWatch records a running watch; one started while a transaction has the
// watches paused starts paused.
func (e *Enforcer) addWatch(w *tableWatch) {
	e.watchMu.Lock()
	defer e.watchMu.Unlock()
	if e.watches == nil {
		e.watches = map[*tableWatch]bool{}
	}
	e.watches[w] = true
	if e.pausing {
		w.pause()
	}
}

func (e *Enforcer) dropWatch(w *tableWatch) {
	e.watchMu.Lock()
	defer e.watchMu.Unlock()
	delete(e.watches, w)
}

// pauseWatches pauses the enforcer's table watches when a transaction of n
// notifications is about to be sent (pauseWatchAt), and returns what ends
// the pause. The caller holds e.mu.
func (e *Enforcer) pauseWatches(n int) (resume func()) {
	at := e.pauseAt
	if at == 0 {
		at = pauseWatchAt
	}
	e.watchMu.Lock()
	defer e.watchMu.Unlock()
	if n < at || len(e.watches) == 0 {
		return func() {}
	}
	e.pausing = true
	for w := range e.watches {
		w.pause()
	}
	return func() {
		if e.watchPaused != nil {
			e.watchPaused()
		}
		e.watchMu.Lock()
		defer e.watchMu.Unlock()
		e.pausing = false
		for w := range e.watches {
			w.resume()
		}
	}
}

// eventTable returns the table an nftables notification is about, and whether it
// deletes the table itself.
func eventTable(ev *nftables.MonitorEvent) (*nftables.Table, bool) {
	switch d := ev.Data.(type) {
	case *nftables.Table:
		return d, ev.Type == nftables.MonitorEventTypeDelTable
	case *nftables.Chain:
		return d.Table, false
	case *nftables.Rule:
		return d.Table, false
	case *nftables.Set:
		return d.Table, false
	}
	return nil, false
}

// mendLogEvery bounds how often the follow daemon logs that it mended the table:
// another program that deletes it in a loop gets one line per interval, with a
// count of the others.
const mendLogEvery = 10 * time.Second

// mender puts table inet aclsh back when another program removed or changed it.
type mender struct {
	e      *Enforcer
	logf   func(string, ...any)
	last   time.Time // the last line logged
	untold int       // mends since that line
}

// mend makes the kernel enforce cfg again after ch (nothing when it still does)
// and logs it, rate-limited. It reports whether it changed the kernel.
func (m *mender) mend(cfg *acl.Config, ch Change) (bool, error) {
	before := m.e.transactions()
	if err := m.e.Apply(cfg); err != nil {
		return false, err
	}
	if m.e.transactions() == before {
		return false, nil // still in step: nothing sent
	}
	now := time.Now()
	if m.e.Mended != nil {
		m.e.Mended(now, ch)
	}
	m.untold++
	if now.Sub(m.last) >= mendLogEvery {
		what := "mended"
		if ch.Deleted {
			what = "put it back (live sessions counted again)"
		}
		more := ""
		if m.untold > 1 {
			more = fmt.Sprintf(" (%d times since the last such line)", m.untold)
		}
		m.logf("follow: table inet %s was %s; %s%s", Table, ch, what, more)
		m.last, m.untold = now, 0
	}
	return true, nil
}

// transactions returns how many transactions the kernel took from e.
func (e *Enforcer) transactions() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.sent
}
