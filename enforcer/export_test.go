package enforcer

import (
	"net/netip"
	"strings"
	"time"

	"github.com/aclsh/aclsh/acl"
)

// SetMutate lets tests change a plan before it is sent to the kernel.
func SetMutate(e *Enforcer, f func(*Plan)) { e.mutate = f }

// SetFollowReadBuffer shrinks the follow daemon's conntrack event buffer, so that
// a test can make it overflow.
func SetFollowReadBuffer(e *Enforcer, n int) { e.followReadBuffer = n }

// DiffText is the batch, as nft commands, that turns a kernel holding before's plan
// (handles numbered from 1) into one enforcing after.
func DiffText(before, after *acl.Config, ifname string) string {
	var old *Plan
	if before.Mgmt != (acl.Bindings{}) {
		old = Compile(before, ifname, nil)
	}
	ks := stateOf(old, 1, nil)
	var p *Plan
	if after.Mgmt != (acl.Bindings{}) {
		p = Compile(after, ifname, ks.pre(LimitsOf(after)))
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
