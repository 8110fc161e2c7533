package enforcer

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"

	mnl "github.com/mdlayher/netlink"
	"github.com/ti-mo/conntrack"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/aclsh/aclsh/acl"
)

// Conn is a live connection into this host, in the direction it was opened: Src is the
// peer that opened it, Dst is this host. Addresses are unmapped (netip.Addr.Unmap).
// For ICMP, SPort holds the echo identifier and DPort is 0 (as conntrack's tuple).
type Conn struct {
	Proto        uint8
	Src, Dst     netip.Addr
	SPort, DPort uint16
	Mark         uint32 // its conntrack mark; 0 when untracked
	Tracked      bool   // conntrack has an entry for it (either orientation)
	Reversed     bool   // that entry's original direction is host -> peer
}

// Linux TCP socket states (include/net/tcp_states.h).
const (
	tcpSynSent  = 2
	tcpTimeWait = 6
	tcpClose    = 7
	tcpListen   = 10
)

// Conntrack TCP states (enum tcp_conntrack) and per-direction flags.
const (
	ctTCPEstablished = 3

	ctTCPFlagSACKPerm  = 0x02 // IP_CT_TCP_FLAG_SACK_PERM
	ctTCPFlagBeLiberal = 0x08 // IP_CT_TCP_FLAG_BE_LIBERAL

	// ctTCPTimeout is the kernel's default nf_conntrack_tcp_timeout_established.
	ctTCPTimeout = 432000
)

// netlinkHandle returns a vishvananda/netlink handle in e's namespace with the
// route and inet_diag families. Both must be named: a handle without a socket for a
// family silently opens one in the calling thread's namespace.
func (e *Enforcer) netlinkHandle() (*netlink.Handle, error) {
	fams := []int{unix.NETLINK_ROUTE, unix.NETLINK_INET_DIAG}
	if e.NetNS == 0 {
		return netlink.NewHandle(fams...)
	}
	return netlink.NewHandleAt(netns.NsHandle(e.NetNS), fams...)
}

// sessIO holds the netlink sockets that list and mark sessions, opened once in
// the namespace (opening one switches a thread into it).
type sessIO struct {
	mu sync.Mutex
	h  *netlink.Handle
	ct *conntrack.Conn
}

// withIO calls f with the session sockets, opening them if needed and closing
// them after an error.
func (e *Enforcer) withIO(f func(*netlink.Handle, *conntrack.Conn) error) error {
	io := &e.io
	io.mu.Lock()
	defer io.mu.Unlock()
	var err error
	if io.h == nil {
		if io.h, err = e.netlinkHandle(); err != nil {
			return fmt.Errorf("netlink: %w", err)
		}
	}
	if io.ct == nil {
		if io.ct, err = e.conntrack(); err != nil {
			return fmt.Errorf("conntrack: %w", err)
		}
	}
	if err = f(io.h, io.ct); err != nil {
		io.h.Close()
		io.ct.Close()
		io.h, io.ct = nil, nil
	}
	return err
}

// ctKey is a flow's original tuple.
type ctKey struct {
	proto        uint8
	src, dst     netip.Addr
	sport, dport uint16
}

func flowKey(f *conntrack.Flow) ctKey {
	t := f.TupleOrig
	k := ctKey{proto: t.Proto.Protocol, src: t.IP.SourceAddress.Unmap(), dst: t.IP.DestinationAddress.Unmap(),
		sport: t.Proto.SourcePort, dport: t.Proto.DestinationPort}
	if t.Proto.Protocol == unix.IPPROTO_ICMP || t.Proto.Protocol == unix.IPPROTO_ICMPV6 {
		k.sport, k.dport = t.Proto.ICMPID, 0
	}
	return k
}

// liveConns lists the live connections this host accepted on interface e.IfName.
//   - TCP: from the namespace's sockets (NETLINK_SOCK_DIAG), every state but LISTEN,
//     SYN_SENT, TIME_WAIT and CLOSE. A socket is inbound when a LISTEN socket of the
//     same family has its local port and its local address or a wildcard.
//   - Other protocols: live conntrack flows, original direction, whose original
//     destination is an address of this host.
//   - Tracked/Mark/Reversed of TCP conns come from the same conntrack dump, matched
//     by 4-tuple in either orientation.
//   - A conn is kept only if the route from this host back to its Src (from Dst)
//     leaves through e.IfName, as rp_filter judges it.
func (e *Enforcer) liveConns() (out []Conn, err error) {
	err = e.withIO(func(h *netlink.Handle, ct *conntrack.Conn) error {
		out, err = e.listConns(h, ct, nil)
		return err
	})
	return out, err
}

// countedConns lists the live connections that limits may count, for show: what
// liveConns lists of them, without dumping every flow conntrack holds when it
// need not. TCP sessions come from the host's sockets as always, their marks from
// one dump of the flows with an aclsh mark, filtered in the kernel. Every flow is
// dumped only when that cannot tell: a socket reaching a connlimit line has no
// aclsh mark (it fell through a permit line, or a deny connlimit line counts it),
// or a connlimit line can count a protocol other than TCP.
func (e *Enforcer) countedConns(limits []*Limit, reaches func(Conn) bool) (out []Conn, dumpedAll bool, err error) {
	opt := &listOpt{reaches: reaches}
	for _, l := range limits {
		if p := l.Rule.Proto; !p.Set || p.Num != unix.IPPROTO_TCP {
			opt.allFlows = true
		}
	}
	err = e.withIO(func(h *netlink.Handle, ct *conntrack.Conn) error {
		out, err = e.listConns(h, ct, opt)
		return err
	})
	return out, opt.dumped, err
}

// listOpt narrows listConns to what show needs; nil lists everything.
type listOpt struct {
	allFlows bool            // dump every flow
	reaches  func(Conn) bool // whether a connection reaches a connlimit line
	dumped   bool            // a test reads whether every flow was dumped
}

func (e *Enforcer) listConns(h *netlink.Handle, ct *conntrack.Conn, opt *listOpt) ([]Conn, error) {
	link, err := h.LinkByName(e.IfName)
	var notFound netlink.LinkNotFoundError
	if errors.As(err, &notFound) {
		return nil, nil // nothing arrives on an interface that is not there
	}
	if err != nil {
		return nil, fmt.Errorf("interface %s: %w", e.IfName, err)
	}
	ifindex := link.Attrs().Index

	// Sockets first, then conntrack: a listed socket's entry, if it has one, is in
	// the dump.
	var socks []*netlink.Socket
	for _, fam := range []uint8{unix.AF_INET, unix.AF_INET6} {
		s, err := sockDiagTCP(h, fam)
		if err != nil {
			return nil, fmt.Errorf("listing TCP sockets: %w", err)
		}
		socks = append(socks, s...)
	}
	all := opt == nil || opt.allFlows
	var flows []conntrack.Flow
	if all {
		flows, err = ct.Dump(nil)
	} else {
		flows, err = ct.DumpFilter(conntrack.Filter{Mark: markTag, Mask: markTag}, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("conntrack dump: %w", err)
	}

	// Listening sockets by family and port: local addresses.
	type lkey struct {
		fam  uint8
		port uint16
	}
	listen := map[lkey][]net.IP{}
	for _, s := range socks {
		if s.State == tcpListen {
			k := lkey{s.Family, s.ID.SourcePort}
			listen[k] = append(listen[k], s.ID.Source)
		}
	}
	inbound := func(s *netlink.Socket) bool {
		for _, a := range listen[lkey{s.Family, s.ID.SourcePort}] {
			if a.IsUnspecified() || a.Equal(s.ID.Source) {
				return true
			}
		}
		return false
	}

	tracked := make(map[ctKey]*conntrack.Flow, len(flows))
	index := func() {
		clear(tracked)
		for i := range flows {
			tracked[flowKey(&flows[i])] = &flows[i]
		}
	}
	index()
	if !all {
		// A socket that reaches a connlimit line without an aclsh mark: only the
		// whole table says whether conntrack tracks it.
		for _, s := range socks {
			c, ok := inboundConn(s)
			if !ok || !inbound(s) {
				continue
			}
			marked := tracked[ctKey{c.Proto, c.Src, c.Dst, c.SPort, c.DPort}] != nil ||
				tracked[ctKey{c.Proto, c.Dst, c.Src, c.DPort, c.SPort}] != nil
			if !marked && (opt.reaches == nil || opt.reaches(c)) {
				all = true
				break
			}
		}
		if all {
			if flows, err = ct.Dump(nil); err != nil {
				return nil, fmt.Errorf("conntrack dump: %w", err)
			}
			index()
		}
	}
	if opt != nil {
		opt.dumped = all
	}

	arrived := (&router{h: h, ifindex: ifindex}).arrived

	var out []Conn
	for _, s := range socks {
		switch s.State {
		case tcpListen, tcpSynSent, tcpTimeWait, tcpClose:
			continue
		}
		c, ok := inboundConn(s)
		if !ok || !inbound(s) || opt != nil && opt.reaches != nil && !opt.reaches(c) {
			continue
		}
		if f := tracked[ctKey{c.Proto, c.Src, c.Dst, c.SPort, c.DPort}]; f != nil {
			c.Tracked, c.Mark = true, f.Mark
		} else if f := tracked[ctKey{c.Proto, c.Dst, c.Src, c.DPort, c.SPort}]; f != nil {
			c.Tracked, c.Mark, c.Reversed = true, f.Mark, true
		}
		ok = s.ID.Interface == uint32(ifindex)
		if s.ID.Interface == 0 || !c.Src.IsLinkLocalUnicast() {
			// The interface a socket reports is that of a link-local peer; for
			// others, ask the route back.
			if ok, err = arrived(c.Src, c.Dst); err != nil {
				return nil, err
			}
		}
		if ok {
			out = append(out, c)
		}
	}

	if opt != nil && !opt.allFlows {
		return out, nil // no connlimit line counts other protocols
	}
	var local map[netip.Addr]bool
	for i := range flows {
		f := &flows[i]
		k := flowKey(f)
		if k.proto == unix.IPPROTO_TCP || !k.src.IsValid() || k.src.Is4() != k.dst.Is4() {
			continue
		}
		if local == nil {
			if local, err = localAddrs(h); err != nil {
				return nil, err
			}
		}
		if !local[k.dst] {
			continue
		}
		ok, err := arrived(k.src, k.dst)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, Conn{Proto: k.proto, Src: k.src, Dst: k.dst, SPort: k.sport, DPort: k.dport,
				Mark: f.Mark, Tracked: true})
		}
	}
	return out, nil
}

// inboundConn is the connection of an established TCP socket, peer first.
func inboundConn(s *netlink.Socket) (Conn, bool) {
	switch s.State {
	case tcpListen, tcpSynSent, tcpTimeWait, tcpClose:
		return Conn{}, false
	}
	if s.ID.DestinationPort == 0 {
		return Conn{}, false
	}
	src, ok1 := netip.AddrFromSlice(s.ID.Destination)
	dst, ok2 := netip.AddrFromSlice(s.ID.Source)
	if !ok1 || !ok2 {
		return Conn{}, false
	}
	c := Conn{Proto: unix.IPPROTO_TCP, Src: src.Unmap(), Dst: dst.Unmap(), SPort: s.ID.DestinationPort, DPort: s.ID.SourcePort}
	return c, c.Src.Is4() == c.Dst.Is4()
}

// sockDiagTCP lists the TCP sockets of one family, retrying a dump the kernel
// interrupted (a partial last attempt is used as it is).
func sockDiagTCP(h *netlink.Handle, fam uint8) ([]*netlink.Socket, error) {
	for i := 0; ; i++ {
		s, err := h.SocketDiagTCP(fam)
		if errors.Is(err, netlink.ErrDumpInterrupted) && i < 3 {
			continue
		}
		if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
			return nil, err
		}
		return s, nil
	}
}

// localAddrs returns the addresses of every interface of the namespace.
func localAddrs(h *netlink.Handle) (map[netip.Addr]bool, error) {
	as, err := h.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return nil, fmt.Errorf("listing addresses: %w", err)
	}
	m := map[netip.Addr]bool{}
	for _, a := range as {
		if ip, ok := netip.AddrFromSlice(a.IP); ok {
			m[ip.Unmap()] = true
		}
	}
	return m, nil
}

// ctFlow returns the flow for c in the orientation given (reversed: host -> peer),
// with mark, for a conntrack Update.
func ctFlow(c Conn, reversed bool, mark uint32) conntrack.Flow {
	src, dst, sport, dport := c.Src, c.Dst, c.SPort, c.DPort
	if reversed {
		src, dst, sport, dport = dst, src, dport, sport
	}
	f := conntrack.NewFlow(c.Proto, 0, src, dst, sport, dport, 0, mark)
	switch c.Proto {
	case unix.IPPROTO_ICMP, unix.IPPROTO_ICMPV6:
		// An echo: the request goes in the original direction.
		req, rep := uint8(8), uint8(0)
		if c.Proto == unix.IPPROTO_ICMPV6 {
			req, rep = 128, 129
		}
		for _, t := range []*conntrack.Tuple{&f.TupleOrig, &f.TupleReply} {
			t.Proto.SourcePort, t.Proto.DestinationPort, t.Proto.ICMPID = 0, 0, c.SPort
		}
		f.TupleOrig.Proto.ICMPType, f.TupleReply.Proto.ICMPType = req, rep
	}
	return f
}

// setMarks makes conntrack hold each of conns with mark(c): a tracked conn has its
// mark updated; an untracked TCP conn gets a new ESTABLISHED entry in its opening
// direction (orig = Src -> Dst), seen-reply and assured, with the flags the kernel
// gives connections it picks up mid-stream (liberal window tracking, SACK
// permitted), the kernel's default established timeout and the mark. An entry a
// packet created meanwhile has its mark updated instead; a conn that ended
// meanwhile is skipped. Untracked conns of other protocols are left alone.
func (e *Enforcer) setMarks(conns []Conn, mark func(Conn) uint32) error {
	if len(conns) == 0 {
		return nil
	}
	return e.withIO(func(_ *netlink.Handle, ct *conntrack.Conn) error { return markConns(ct, conns, mark) })
}

func markConns(ct *conntrack.Conn, conns []Conn, mark func(Conn) uint32) error {
	update := func(c Conn, m uint32, orients ...bool) error {
		var err error
		for _, rev := range orients {
			if err = ct.Update(ctFlow(c, rev, m)); !errors.Is(err, unix.ENOENT) {
				break
			}
		}
		if errors.Is(err, unix.ENOENT) {
			return nil // ended meanwhile
		}
		return err
	}
	for _, c := range conns {
		// aclsh's bits only: the others (policy routing's) stay as they are.
		m := c.Mark&^markOwned | mark(c)&markOwned
		var err error
		switch {
		case c.Tracked:
			err = update(c, m, c.Reversed)
		case c.Proto == unix.IPPROTO_TCP:
			f := conntrack.NewFlow(c.Proto, conntrack.StatusSeenReply|conntrack.StatusAssured|conntrack.StatusConfirmed,
				c.Src, c.Dst, c.SPort, c.DPort, ctTCPTimeout, m)
			const fl = ctTCPFlagBeLiberal | ctTCPFlagSACKPerm
			// Each direction's flags attribute is struct nf_ct_tcp_flags {flags, mask}.
			f.ProtoInfo.TCP = &conntrack.ProtoInfoTCP{State: ctTCPEstablished,
				OriginalFlags: fl<<8 | fl, ReplyFlags: fl<<8 | fl}
			err = ct.Create(f)
			if errors.Is(err, unix.EBUSY) {
				// The status must agree with IPS_CONFIRMED as the kernel has it when
				// it applies CTA_STATUS: set (6.18 applies it to the inserted entry),
				// or clear (kernels that apply it before the insertion).
				f.Status.Value &^= conntrack.StatusConfirmed
				err = ct.Create(f)
			}
			if errors.Is(err, unix.EEXIST) {
				err = update(c, m, false, true)
			}
		default:
			continue // untracked and not TCP: nothing to hold it by
		}
		if err != nil {
			return fmt.Errorf("conntrack entry for %s %s:%d -> %s:%d: %w", acl.Protocol{Num: c.Proto, Set: true, Keyword: true}.Format(acl.IPv4), c.Src, c.SPort, c.Dst, c.DPort, err)
		}
	}
	return nil
}

// sock_diag multicast groups (enum sknetlink_groups).
const (
	sknlgrpInetTCPDestroy  = 1
	sknlgrpInet6TCPDestroy = 3
)

// watchTCPEnds reports every TCP socket of the namespace as it is destroyed, as a
// Conn in the peer->host orientation (Src = remote), skipping sockets with no
// remote port (listeners). It runs until ctx is done; errors (ENOBUFS: the kernel
// dropped events, resync) go to the error channel. Both channels are closed when it
// stops.
func (e *Enforcer) watchTCPEnds(ctx context.Context) (<-chan Conn, <-chan error, error) {
	nc, err := mnl.Dial(unix.NETLINK_SOCK_DIAG, &mnl.Config{NetNS: e.NetNS})
	if err != nil {
		return nil, nil, fmt.Errorf("sock_diag: %w", err)
	}
	for _, g := range []uint32{sknlgrpInetTCPDestroy, sknlgrpInet6TCPDestroy} {
		if err := nc.JoinGroup(g); err != nil {
			nc.Close()
			return nil, nil, fmt.Errorf("sock_diag: joining group %d: %w", g, err)
		}
	}
	_ = nc.SetReadBuffer(1 << 20)
	conns := make(chan Conn, 256)
	errs := make(chan error, 1)
	stop := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-stop:
		}
		nc.Close() // interrupts Receive
	}()
	go func() {
		defer close(errs)
		defer close(conns)
		defer close(stop)
		for {
			msgs, err := nc.Receive()
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				if errors.Is(err, syscall.ENOBUFS) {
					// Events were lost. One pending overflow says it all: the
					// caller resyncs once.
					select {
					case errs <- err:
					default:
					}
					continue
				}
				select {
				case errs <- err:
				case <-ctx.Done():
				}
				return
			}
			for _, m := range msgs {
				c, ok := parseInetDiagMsg(m.Data)
				if !ok {
					continue
				}
				select {
				case conns <- c:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return conns, errs, nil
}

// parseInetDiagMsg reads a struct inet_diag_msg as a Conn from its remote end.
func parseInetDiagMsg(b []byte) (Conn, bool) {
	const size = 72 // sizeof(struct inet_diag_msg)
	if len(b) < size {
		return Conn{}, false
	}
	fam := b[0]
	lport, rport := binary.BigEndian.Uint16(b[4:6]), binary.BigEndian.Uint16(b[6:8])
	var src, dst netip.Addr // src: remote (idiag_dst), dst: local (idiag_src)
	switch fam {
	case unix.AF_INET:
		dst = netip.AddrFrom4([4]byte(b[8:12]))
		src = netip.AddrFrom4([4]byte(b[24:28]))
	case unix.AF_INET6:
		dst = netip.AddrFrom16([16]byte(b[8:24])).Unmap()
		src = netip.AddrFrom16([16]byte(b[24:40])).Unmap()
	default:
		return Conn{}, false
	}
	if rport == 0 {
		return Conn{}, false
	}
	return Conn{Proto: unix.IPPROTO_TCP, Src: src, Dst: dst, SPort: rport, DPort: lport}, true
}

// router answers whether a connection arrived on interface ifindex: whether the
// route from this host (local address dst) back to src leaves through it, as
// rp_filter judges. No route back is false. Answers are kept.
type router struct {
	h       *netlink.Handle
	ifindex int
	seen    map[[2]netip.Addr]bool
}

func (r *router) arrived(src, dst netip.Addr) (bool, error) {
	k := [2]netip.Addr{src, dst}
	if ok, seen := r.seen[k]; seen {
		return ok, nil
	}
	rs, err := r.h.RouteGetWithOptions(net.IP(src.AsSlice()), &netlink.RouteGetOptions{SrcAddr: net.IP(dst.AsSlice())})
	ok := false
	switch {
	case err == nil:
		ok = len(rs) > 0 && rs[0].LinkIndex == r.ifindex
	case errors.Is(err, unix.ENETUNREACH), errors.Is(err, unix.EHOSTUNREACH),
		errors.Is(err, unix.EACCES), errors.Is(err, unix.EINVAL):
		// no route back (unreachable, prohibit, blackhole), or dst is no longer ours
	default:
		return false, fmt.Errorf("route get %s from %s: %w", src, dst, err)
	}
	if r.seen == nil {
		r.seen = map[[2]netip.Addr]bool{}
	}
	r.seen[k] = ok
	return ok, nil
}

// HasInterface reports whether interface e.IfName exists in e's namespace. A
// name that does not exist is not an error for the ruleset (nftables matches
// iifname by name, so the lists apply once an interface of that name appears),
// but it is worth a warning: until then they filter nothing.
func (e *Enforcer) HasInterface() (bool, error) {
	var h *netlink.Handle
	var err error
	if e.NetNS == 0 {
		h, err = netlink.NewHandle(unix.NETLINK_ROUTE)
	} else {
		h, err = netlink.NewHandleAt(netns.NsHandle(e.NetNS), unix.NETLINK_ROUTE)
	}
	if err != nil {
		return false, err
	}
	defer h.Close()
	_, err = h.LinkByName(e.IfName)
	var notFound netlink.LinkNotFoundError
	if errors.As(err, &notFound) {
		return false, nil
	}
	return err == nil, err
}
