package enforcer

import (
	"fmt"
	"net/netip"

	"github.com/ti-mo/conntrack"

	"github.com/aclsh/aclsh/acl"
)

// TCP conntrack states that no longer count as connections, as the kernel's
// connlimit does not count them.
const (
	tcpTimeWait = 7
	tcpClose    = 8
)

// live reports whether a flow counts as a connection.
func live(f *conntrack.Flow) bool {
	if f.ProtoInfo.TCP != nil {
		s := f.ProtoInfo.TCP.State
		return s != tcpTimeWait && s != tcpClose
	}
	return true
}

// Matches reports whether a connection (its original direction) of family f
// matches a rule's criteria (acl.Rule.Matches); `established` rules match replies to
// connections this host initiated, never a connection from a source.
func Matches(f acl.Family, r acl.Rule, proto uint8, src, dst netip.Addr, sport, dport uint16) bool {
	return (f == acl.IPv4) == src.Is4() &&
		r.Matches(acl.Packet{Proto: proto, Src: src, Dst: dst, SrcPort: sport, DstPort: dport})
}

// scan counts, per connlimit rule and source, the live conntrack flows matching the
// rule. With mark it also marks live flows matching a permit connlimit rule with its
// mark, so their packets keep passing whatever the count; flows with a stale aclsh
// mark get a mark no rule uses.
func (e *Enforcer) scan(limits []*Limit, mark bool) (Pre, error) {
	ct, err := e.conntrack()
	if err != nil {
		return nil, wrapKernel(err)
	}
	defer ct.Close()
	flows, err := ct.Dump(nil)
	if err != nil {
		return nil, fmt.Errorf("reading conntrack: %w", wrapKernel(err))
	}
	pre := Pre{}
	for i := range flows {
		f := &flows[i]
		if !live(f) {
			continue
		}
		t := f.TupleOrig
		src, dst := t.IP.SourceAddress.Unmap(), t.IP.DestinationAddress.Unmap()
		want := uint32(0)
		for _, l := range limits {
			if !Matches(l.Family, l.Rule, t.Proto.Protocol, src, dst, t.Proto.SourcePort, t.Proto.DestinationPort) {
				continue
			}
			m := pre[l.Key()]
			if m == nil {
				m = map[netip.Addr]int{}
				pre[l.Key()] = m
			}
			m[src]++
			if want == 0 && l.Rule.Action == acl.Permit {
				want = l.Mark
			}
		}
		if !mark {
			continue
		}
		if want == 0 && f.Mark&markMask == markBase {
			want = markBase | 0xffff
		}
		if want != 0 && f.Mark != want {
			// A flow that ended meanwhile cannot be updated; nothing to do for it.
			_ = ct.Update(conntrack.Flow{TupleOrig: f.TupleOrig, TupleReply: f.TupleReply, Mark: want})
		}
	}
	return pre, nil
}
