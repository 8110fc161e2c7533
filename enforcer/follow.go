package enforcer

import (
	"context"
	"net/netip"
	"time"

	"github.com/ti-mo/conntrack"
	"github.com/ti-mo/netfilter"

	"github.com/aclsh/aclsh/acl"
)

// Follow keeps connection limits exact while it runs: it follows conntrack events
// and re-applies the running-config when a connection that counted toward a
// limit ends (TIME_WAIT, CLOSE or destroyed), and every PreTimeout/3 to refresh the
// per-source counts of pre-existing sessions. A re-apply recounts every live session
// from conntrack, so the kernel's counts start exact again.
//
// If Follow stops, the kernel keeps enforcing: new connections are still limited by
// the kernel's own counters, and the per-source counts of sessions that existed at
// the last apply expire after PreTimeout, so no source stays limited by stale
// counts. Sessions that existed at apply then count only once they send a packet.
//
// locked must call its argument with the running-config while holding the state
// lock, so that a re-apply never races a shell's commit (shell.Store.View).
//
// Equivalent to: `aclsh follow` (the aclsh-follow systemd unit).
func (e *Enforcer) Follow(ctx context.Context, locked func(func(*acl.Config) error) error, logf func(string, ...any)) error {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	lc, err := e.conntrack()
	if err != nil {
		return wrapKernel(err)
	}
	events := make(chan conntrack.Event, 4096)
	errs, err := lc.Listen(events, 1, []netfilter.NetlinkGroup{netfilter.GroupCTUpdate, netfilter.GroupCTDestroy})
	if err != nil {
		lc.Close()
		return wrapKernel(err)
	}
	go func() {
		for range errs { // drain, or Close hangs
		}
	}()
	defer lc.Close()

	var limits []*Limit // of the config applied last
	reapply := func(why string) {
		err := locked(func(c *acl.Config) error {
			limits = LimitsOf(c)
			return e.Apply(c)
		})
		if err != nil {
			logf("follow: re-apply (%s): %v", why, err)
		}
	}
	reapply("start")
	tick := time.NewTicker(PreTimeout / 3)
	defer tick.Stop()
	var due <-chan time.Time // debounce: one re-apply for a burst of closes
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			reapply("refresh")
		case <-due:
			due = nil
			reapply("a counted session ended")
		case ev := <-events:
			if due != nil || ev.Flow == nil || len(limits) == 0 {
				continue
			}
			if ev.Type == conntrack.EventUpdate && live(ev.Flow) {
				continue
			}
			t := ev.Flow.TupleOrig
			src, dst := t.IP.SourceAddress.Unmap(), t.IP.DestinationAddress.Unmap()
			if e.counted(limits, t.Proto.Protocol, src, dst, t.Proto.SourcePort, t.Proto.DestinationPort) {
				due = time.After(50 * time.Millisecond)
			}
		}
	}
}

// counted reports whether a connection matches a limit whose source had sessions
// counted from conntrack at the last apply: only those are invisible to the kernel's
// own counters.
func (e *Enforcer) counted(limits []*Limit, proto uint8, src, dst netip.Addr, sport, dport uint16) bool {
	e.mu.Lock()
	pre := e.lastPre
	e.mu.Unlock()
	for _, l := range limits {
		if pre[l.Key()][src] > 0 && Matches(l.Family, l.Rule, proto, src, dst, sport, dport) {
			return true
		}
	}
	return false
}
