package enforcer

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
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
func (e *Enforcer) watchTable(ctx context.Context) (<-chan Change, error) {
	var opts []nftables.ConnOption
	if e.NetNS != 0 {
		opts = append(opts, nftables.WithNetNSFd(e.NetNS))
	}
	c, err := nftables.New(opts...)
	if err != nil {
		return nil, wrapKernel(err)
	}
	mon := nftables.NewMonitor(nftables.WithMonitorEventBuffer(64))
	events, err := c.AddGenerationalMonitor(mon)
	if err != nil {
		return nil, wrapKernel(err)
	}
	out := make(chan Change, 1)
	go func() {
		defer close(out)
		defer mon.Close()
		for {
			var evs *nftables.MonitorEvents
			var ok bool
			select {
			case <-ctx.Done():
				return
			case evs, ok = <-events:
				if !ok {
					return
				}
			}
			if evs.GeneratedBy == nil || evs.GeneratedBy.Type == nftables.MonitorEventTypeOOB {
				return // an error: the caller looks and watches again
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
