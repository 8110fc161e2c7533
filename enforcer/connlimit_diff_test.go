package enforcer_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/nftables"
	mnl "github.com/mdlayher/netlink"
	"github.com/stretchr/testify/require"
	"github.com/ti-mo/conntrack"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/aclsh/aclsh/acl"
	. "github.com/aclsh/aclsh/enforcer"
)

// The connlimit differential test: random lists with one connlimit line per
// family (permit or deny, a host, a prefix or any, with or without mask), sessions
// opened before the first commit from a namespace where nothing was loaded, some
// of which close, bursts from several members of the line's prefix and from a
// source outside it, unrelated commits (remarks, lines that match none of the
// test's traffic, the same config again), changes of the limit, unbinding and
// binding again, all with the follow daemon running. Every connection attempt is
// compared with the model: acl.Evaluate with the live connections the line counts
// per source (per prefix with mask), the ones the test holds open; every session
// the test holds must keep working after every commit.
//
// ACLSH_CONNLIMIT_SEED=N runs other lists than the fixed default.
func TestConnlimitDifferential(t *testing.T) {
	seed := uint64(16)
	if s := os.Getenv("ACLSH_CONNLIMIT_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err)
		seed = v
	}
	const cases, rounds = 8, 6
	start := time.Now()
	var checks, echoes, ran int
	for c := range cases {
		t.Run(fmt.Sprintf("case%d", c), func(t *testing.T) {
			d := newDiffRun(t, rand.New(rand.NewPCG(seed, uint64(c))), c)
			for r := range rounds {
				d.round = r
				d.closeSome()
				if d.rng.IntN(10) < 7 {
					d.commitSomething()
				}
				d.burst()
				d.echoAll("after the burst")
			}
			checks += d.checks
			echoes += d.echoes
			ran++
		})
	}
	if ran == cases && !t.Failed() {
		require.GreaterOrEqual(t, checks, 500, "connection attempts checked")
	}
	t.Logf("seed %d: %d connection attempts agreed with the model, %d echoes on held sessions, in %v", seed, checks, echoes, time.Since(start).Round(time.Millisecond))
}

// diffFam is one family of the differential test: the members of the prefix that
// connect, a source outside it, the device, and how lines name them.
type diffFam struct {
	f       acl.Family
	kw      string // ip, ipv6
	list    string
	members []netip.Addr
	outside netip.Addr
	dst     netip.Addr
	prefix  []string // the members' prefix as a line names it
	mask    string   // groups the members two by two
}

var diffFams = []*diffFam{
	{f: acl.IPv4, kw: "ip", list: "d4",
		members: addrsOf("10.24.12.2", "10.24.12.3", "10.24.12.4", "10.24.12.5"),
		outside: netip.MustParseAddr("10.24.12.107"), dst: netip.MustParseAddr("10.24.12.129"),
		prefix: []string{"10.24.12.0/29", "10.24.12.0 0.0.0.7"}, mask: "mask /30"},
	{f: acl.IPv6, kw: "ipv6", list: "d6",
		members: addrsOf("fd77::2", "fd77::3", "fd77::4", "fd77::5"),
		outside: netip.MustParseAddr("fd77::107"), dst: netip.MustParseAddr("fd77::129"),
		prefix: []string{"fd77::/120"}, mask: "mask /126"},
}

func addrsOf(s ...string) []netip.Addr {
	var out []netip.Addr
	for _, a := range s {
		out = append(out, netip.MustParseAddr(a))
	}
	return out
}

const diffPort = 2222

// burstTimeout is how long a connection attempt of a burst waits for its answer:
// the first SYN only (the next would be sent after a second), long enough for
// an admitted one on a loaded machine.
const burstTimeout = 800 * time.Millisecond

// limitSeq is the seq of each list's connlimit line.
const limitSeq = 50

// diffList is one family's list: lines before and after the connlimit line (at
// fixed seqs), the line itself, and lines and remarks that match none of the
// test's connections, added and removed by unrelated commits.
type diffList struct {
	*diffFam
	bound         bool
	before, after []string
	action        string
	src, dst      string // as the connlimit line names them
	proto, port   string
	n             int
	masked        bool
	noise         map[int]string // seq -> line
}

func (dl *diffList) limitLine() string {
	s := fmt.Sprintf("%s %s %s %s", dl.action, dl.proto, dl.src, dl.dst)
	if dl.port != "" {
		s += " " + dl.port
	}
	s += fmt.Sprintf(" connlimit %d", dl.n)
	if dl.masked {
		s += " " + dl.mask
	}
	return s
}

func (dl *diffList) text() string {
	lines := map[int]string{limitSeq: dl.limitLine()}
	for i, l := range dl.before {
		lines[10+10*i] = l
	}
	for i, l := range dl.after {
		lines[80+10*i] = l
	}
	for seq, l := range dl.noise {
		lines[seq] = l
	}
	seqs := make([]int, 0, len(lines))
	for s := range lines {
		seqs = append(seqs, s)
	}
	sort.Ints(seqs)
	var b strings.Builder
	fmt.Fprintf(&b, "%s access-list extended %s\n", dl.kw, dl.list)
	for _, s := range seqs {
		fmt.Fprintf(&b, " seq %d %s\n", s, lines[s])
	}
	return b.String()
}

// noiseSeqs are the seqs free for unrelated lines.
var noiseSeqs = []int{5, 15, 25, 35, 45, 55, 65, 75, 85, 95, 105}

// noiseLines match none of the test's connections (TCP to port 2222).
func (dl *diffList) noiseLines() []string {
	p := dl.prefix[0]
	return []string{
		"permit udp any any eq 53",
		"deny tcp any any eq 23",
		"permit tcp any any eq 8080 connlimit 2",
		fmt.Sprintf("deny udp %s any", p),
		fmt.Sprintf("permit tcp host %s any eq 22", dl.outside),
		fmt.Sprintf("permit tcp %s host %s range 3000 3100", p, dl.diffFam.dst),
		"remark unrelated",
		"remark another unrelated one",
	}
}

// diffConn is a session the test holds open.
type diffConn struct {
	fam  *diffFam
	src  netip.Addr
	port uint16
	c    net.Conn
}

// diffRun is one case: a lab, the follow daemon, the lists and the sessions.
type diffRun struct {
	t      *testing.T
	l      *lab
	rng    *rand.Rand
	id     int
	round  int
	mu     sync.Mutex // the state lock: commits and the daemon's updates
	cfg    *acl.Config
	lists  []*diffList
	live   []*diffConn
	log    *syncLog
	story  []string            // what happened, for a failure
	closed map[netip.Addr]bool // the sources of the sessions closed this round
	checks int
	echoes int
}

func newDiffRun(t *testing.T, rng *rand.Rand, id int) *diffRun {
	l := newLab(t)
	d := &diffRun{t: t, l: l, rng: rng, id: id, cfg: config(t, ""), log: &syncLog{}}
	for _, fm := range diffFams {
		for _, a := range fm.members {
			l.addClientAddrs(a.String() + map[acl.Family]string{acl.IPv4: "/24", acl.IPv6: "/64"}[fm.f])
		}
	}
	l.serveTCP(fmt.Sprintf(":%d", diffPort))
	// Neighbours resolved before any burst: a port nothing listens on answers
	// with a reset.
	for _, fm := range diffFams {
		for _, src := range append(append([]netip.Addr{}, fm.members...), fm.outside) {
			_, err := l.dialTimeout(l.cli, src.String(), netip.AddrPortFrom(fm.dst, 9).String(), 3*time.Second)
			require.ErrorIs(t, err, unix.ECONNREFUSED, "from %s", src)
		}
	}
	// Actions by case, so that each family is tested with permit and with deny.
	actions := [][2]string{{"permit", "deny"}, {"deny", "permit"}, {"permit", "permit"}, {"deny", "deny"}}[id%4]
	for i, fm := range diffFams {
		d.lists = append(d.lists, d.randomList(fm, actions[i]))
	}
	// The daemon starts on a host where nothing is loaded.
	l.followWith(func(f func(*acl.Config) error) error {
		d.mu.Lock()
		defer d.mu.Unlock()
		return f(d.cfg)
	}, d.log)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("what happened:\n  %s\nfollow daemon log:\n%s", strings.Join(d.story, "\n  "), d.log)
		}
	})
	// Sessions open before anything is loaded (conntrack tracks none of them),
	// from sources the first lists let through.
	for _, dl := range d.lists {
		dl.bound = true
	}
	first := config(t, d.text())
	for _, dl := range d.lists {
		m := modelOf(first, dl)
		total := 0
		for _, src := range append(append([]netip.Addr{}, dl.members...), dl.outside) {
			if !m.passes(src) || d.rng.IntN(3) == 0 || total > 14 {
				continue
			}
			for range 1 + d.rng.IntN(dl.n+3) {
				d.open(dl.diffFam, src)
				total++
			}
		}
	}
	require.Zero(t, l.conntrackCount(), "nothing loaded yet: conntrack tracks nothing")
	d.commit("the first commit")
	return d
}

// randomList makes a list whose connlimit line has the given action.
func (d *diffRun) randomList(fm *diffFam, action string) *diffList {
	r := d.rng
	dl := &diffList{diffFam: fm, action: action, proto: "tcp", noise: map[int]string{}}
	srcs := append([]string{"host " + fm.members[0].String(), "any"}, fm.prefix...)
	srcs = append(srcs, fm.prefix...) // prefixes twice as often
	dl.src = srcs[r.IntN(len(srcs))]
	dl.dst = []string{"host " + fm.dst.String(), "any"}[r.IntN(2)]
	dl.port = []string{"eq 2222", "range 2000 3000", ""}[r.IntN(3)]
	if r.IntN(4) == 0 {
		dl.proto, dl.port = "ip", ""
	}
	if action == "permit" {
		dl.n = 1 + r.IntN(4)
	} else {
		dl.n = 1 + r.IntN(5) // deny ... connlimit 1 drops every new connection
	}
	dl.masked = !strings.HasPrefix(dl.src, "host") && r.IntN(3) == 0
	// Before the line: one member whose connections an earlier line decides
	// (they never count), and the outside source sometimes.
	if r.IntN(3) == 0 {
		dl.before = append(dl.before, fmt.Sprintf("permit tcp host %s any eq %d", fm.members[3], diffPort))
	}
	if r.IntN(3) == 0 {
		dl.before = append(dl.before, fmt.Sprintf("permit tcp host %s any", fm.outside))
	}
	// After it: what decides the connections it does not.
	if action == "permit" {
		after := []string{"", "deny tcp any any", "permit tcp any any eq 2222"}
		if !dl.masked {
			after = append(after, fmt.Sprintf("permit tcp host %s any", fm.members[1]))
		}
		if a := after[r.IntN(len(after))]; a != "" {
			dl.after = append(dl.after, a)
		}
	} else {
		dl.after = append(dl.after, []string{"permit ip any any", "permit tcp any any eq 2222", "permit tcp any any"}[r.IntN(3)])
	}
	if len(dl.before) < 2 && r.IntN(2) == 0 {
		dl.after = append(dl.after, fmt.Sprintf("permit tcp host %s any eq %d", fm.outside, diffPort))
	}
	for range r.IntN(3) {
		dl.addNoise(r)
	}
	return dl
}

// addNoise adds a line or remark the list does not have at a free seq, and
// returns it.
func (dl *diffList) addNoise(r *rand.Rand) string {
	noise := dl.noiseLines()
	line := noise[r.IntN(len(noise))]
	seq := noiseSeqs[r.IntN(len(noiseSeqs))]
	for _, l := range dl.noise {
		if l == line {
			return "nothing new"
		}
	}
	dl.noise[seq] = line
	return fmt.Sprintf("seq %d %s", seq, line)
}

func (d *diffRun) text() string {
	var b strings.Builder
	for _, dl := range d.lists {
		b.WriteString(dl.text())
	}
	b.WriteString("interface management 0\n")
	for _, dl := range d.lists {
		if dl.bound {
			fmt.Fprintf(&b, " %s access-group %s in\n", dl.kw, dl.list)
		}
	}
	return b.String()
}

// commit applies the lists as they are now, as a shell commit does (under the
// state lock), and checks every session still works. Sessions the new lists do
// not let through (no line permits them: a list bound again, after sessions from
// anywhere were admitted) are closed first.
func (d *diffRun) commit(why string) {
	d.t.Helper()
	cfg := config(d.t, d.text())
	before := d.kernelView()
	var keep, closed []*diffConn
	for _, c := range d.live {
		var dl *diffList
		for _, x := range d.lists {
			if x.diffFam == c.fam {
				dl = x
			}
		}
		if modelOf(cfg, dl).passes(c.src) {
			keep = append(keep, c)
		} else {
			c.c.Close()
			closed = append(closed, c)
		}
	}
	d.live = keep
	d.settle(closed, before)
	resyncs := strings.Count(d.log.String(), "resynchronised (running-config changed)")
	d.mu.Lock()
	d.cfg = cfg
	err := d.l.e.Apply(cfg)
	d.mu.Unlock()
	d.tell("commit (%s); closed first %s; offsets %s", why, describe(closed), d.offsets())
	require.NoError(d.t, err, "%s", why)
	d.echoAll(why)
	// The daemon recounts within a second of a new running-config, emptying the
	// kernel's lists of the sources it sets: a connection the kernel counted
	// whose event it has not read by then is missed until its source's next
	// update (README, Limits of the mechanism). Bursts come after that.
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if strings.Count(d.log.String(), "resynchronised (running-config changed)") > resyncs {
			break
		}
	}
}

// commitSomething makes an unrelated commit, or changes a line's limit, or
// unbinds a list or binds it again.
func (d *diffRun) commitSomething() {
	dl := d.lists[d.rng.IntN(len(d.lists))]
	var why string
	switch k := d.rng.IntN(12); {
	case k < 4:
		why = fmt.Sprintf("unrelated: %s %s", dl.list, dl.addNoise(d.rng))
	case k < 6 && len(dl.noise) > 0:
		for seq := range dl.noise {
			why = fmt.Sprintf("unrelated: %s no seq %d", dl.list, seq)
			delete(dl.noise, seq)
			break
		}
	case k < 8:
		why = "the same config again"
	case k < 10:
		old := dl.n
		for dl.n == old {
			dl.n = 1 + d.rng.IntN(5)
		}
		why = fmt.Sprintf("%s: connlimit %d instead of %d", dl.list, dl.n, old)
	default:
		dl.bound = !dl.bound
		why = fmt.Sprintf("%s bound: %v", dl.list, dl.bound)
	}
	d.commit(fmt.Sprintf("case %d round %d: %s", d.id, d.round, why))
}

// open opens a session from src; it must be admitted.
func (d *diffRun) open(fm *diffFam, src netip.Addr) {
	d.t.Helper()
	c, err := d.l.dialTimeout(d.l.cli, src.String(), netip.AddrPortFrom(fm.dst, diffPort).String(), 3*time.Second)
	require.NoError(d.t, err, "session from %s", src)
	d.hold(fm, src, c)
}

func (d *diffRun) hold(fm *diffFam, src netip.Addr, c net.Conn) {
	d.t.Cleanup(func() { c.Close() })
	port := netip.MustParseAddrPort(c.LocalAddr().String()).Port()
	d.live = append(d.live, &diffConn{fam: fm, src: src, port: port, c: c})
}

func (d *diffRun) echoAll(why string) {
	d.t.Helper()
	for _, c := range d.live {
		if err := echoOnce(c.c); err != nil { // the state is read only then: it lists the kernel's sets
			require.NoError(d.t, err, "%s: the session from %s port %d was cut\n%s", why, c.src, c.port, d.state())
		}
		d.echoes++
	}
}

// model is a family's list as the model sees it.
type model struct {
	dl    *diffList
	a     *acl.ACL // nil: not bound
	limit acl.Rule
	l     *Limit // the kernel's accounting of the line (nil for deny ... connlimit 1)
}

func (d *diffRun) model(fm *diffFam) model {
	for _, dl := range d.lists {
		if dl.diffFam == fm {
			return modelOf(d.cfg, dl)
		}
	}
	panic("no list")
}

func modelOf(cfg *acl.Config, dl *diffList) model {
	m := model{dl: dl}
	name := cfg.Bound.Get(acl.Inbound(dl.f))
	if name == "" {
		return m
	}
	m.a = cfg.ACLs[name]
	for _, r := range m.a.Entries() {
		if r.Seq == limitSeq {
			m.limit = r
		}
	}
	for _, l := range LimitsOf(cfg) {
		if l.ACL == name && l.Rule.Seq == limitSeq {
			m.l = l
		}
	}
	return m
}

func (m model) packet(src netip.Addr, port uint16) acl.Packet {
	return acl.Packet{Proto: unix.IPPROTO_TCP, Src: src, Dst: m.dl.diffFam.dst, SrcPort: port, DstPort: diffPort}
}

// counts reports whether the connlimit line counts a connection from src: its
// first packet reaches the line.
func (m model) counts(src netip.Addr) bool {
	if m.a == nil {
		return false
	}
	p := m.packet(src, 40000)
	for _, r := range m.a.Entries() {
		if r.Seq == limitSeq {
			return r.Matches(p)
		}
		if r.Matches(p) {
			return false
		}
	}
	return false
}

// passes reports whether the list lets the packets of an existing session from
// src through: a permit connlimit line whose criteria it meets does, a deny
// connlimit line refuses only new connections.
func (m model) passes(src netip.Addr) bool {
	if m.a == nil {
		return true
	}
	p := m.packet(src, 40000)
	for _, r := range m.a.Entries() {
		if !r.Matches(p) || r.ConnLimit > 0 && r.Action == acl.Deny {
			continue
		}
		return r.Action == acl.Permit
	}
	return false
}

func (m model) key(src netip.Addr) netip.Prefix { return m.limit.ConnMask.Key(src) }

// liveCount is how many of the held sessions the line counts under key k.
func (d *diffRun) liveCount(m model, k netip.Prefix) int {
	n := 0
	for _, c := range d.live {
		if c.fam == m.dl.diffFam && m.counts(c.src) && m.key(c.src) == k {
			n++
		}
	}
	return n
}

// closeSome closes random sessions (now and then all of one source's) and waits
// until the host and the follow daemon have seen them end.
func (d *diffRun) closeSome() {
	if len(d.live) == 0 {
		return
	}
	before := d.kernelView()
	var all netip.Addr
	if d.rng.IntN(4) == 0 {
		all = d.live[d.rng.IntN(len(d.live))].src
	}
	var keep, closed []*diffConn
	d.closed = map[netip.Addr]bool{}
	for _, c := range d.live {
		if c.src == all || d.rng.IntN(3) == 0 {
			c.c.Close()
			closed = append(closed, c)
			d.closed[c.src] = true
		} else {
			keep = append(keep, c)
		}
	}
	d.live = keep
	d.tell("round %d: closed %s", d.round, describe(closed))
	d.settle(closed, before)
	d.tell("settled: offsets %s", d.offsets())
}

func (d *diffRun) tell(format string, args ...any) {
	d.story = append(d.story, fmt.Sprintf(format, args...))
}

func describe(cs []*diffConn) string {
	n := map[netip.Addr]int{}
	for _, c := range cs {
		n[c.src]++
	}
	return fmt.Sprint(n)
}

// offsets describes the kernel's offsets of both families' lines.
func (d *diffRun) offsets() string {
	kv := d.kernelView()
	var b strings.Builder
	for _, fm := range diffFams {
		m := d.model(fm)
		if m.l != nil {
			fmt.Fprintf(&b, "%s %v lists %v; ", fm.list, kv.pre[m.l.ID], kv.cnt[m.l.ID])
		}
	}
	return b.String()
}

// settle waits until the sessions closed have ended on the host (their server
// sockets gone, their conntrack entries closing or gone) and the follow daemon
// has set the offsets of their sources: a source that had one has its live
// sessions as its offset (capped at what the line can tell apart), or none when
// it has none left, and no kernel list of its own (reset). What the kernel's own
// lists count needs no wait beyond conntrack.
func (d *diffRun) settle(closed []*diffConn, before kview) {
	if len(closed) == 0 {
		return
	}
	type want struct {
		id  string
		key netip.Addr
		k   int // 0: no offset
	}
	var wants []want
	seen := map[want]bool{}
	for _, c := range closed {
		m := d.model(c.fam)
		if m.l == nil || !m.counts(c.src) {
			continue
		}
		k := m.key(c.src)
		if _, ok := before.pre[m.l.ID][k.Addr()]; !ok {
			continue
		}
		limit := int(m.limit.ConnLimit)
		if m.limit.Action == acl.Deny {
			limit--
		}
		w := want{m.l.ID, k.Addr(), min(d.liveCount(m, k), max(limit, 1))}
		if !seen[w] {
			seen[w] = true
			wants = append(wants, w)
		}
	}
	var why string
	settled := func() bool {
		if err := d.ended(closed); err != nil {
			why = err.Error()
			return false
		}
		kv := d.kernelView()
		for _, w := range wants {
			k, ok := kv.pre[w.id][w.key]
			if !ok {
				k = 0
			}
			if k != w.k || kv.cnt[w.id][w.key] {
				why = fmt.Sprintf("offset of %s on line %s: %d (kernel list %v), want %d", w.key, w.id, k, kv.cnt[w.id][w.key], w.k)
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(3 * time.Second)
	for !settled() {
		if time.Now().After(deadline) {
			// The connections decide: the next burst shows what this means.
			d.t.Logf("case %d round %d: not settled after 3s: %s", d.id, d.round, why)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ended says which closed session has not ended on the device yet: a socket of
// the server's still open for it, or a conntrack entry of it still counting.
func (d *diffRun) ended(closed []*diffConn) error {
	type peer struct {
		a    netip.Addr
		port uint16
	}
	open := map[peer]string{}
	check := func(open map[peer]string) error {
		for _, c := range closed {
			if what := open[peer{c.src, c.port}]; what != "" {
				return fmt.Errorf("the session from %s port %d has not ended: %s", c.src, c.port, what)
			}
		}
		return nil
	}
	h, err := netlink.NewHandleAt(netns.NsHandle(d.l.devNS), unix.NETLINK_INET_DIAG)
	if err != nil {
		return err
	}
	defer h.Close()
	for _, fam := range []uint8{unix.AF_INET, unix.AF_INET6} {
		socks, err := h.SocketDiagTCP(fam)
		if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
			return err
		}
		for _, s := range socks {
			if s.ID.SourcePort != diffPort || s.State == 6 || s.State == 7 || s.State == 10 { // TIME_WAIT, CLOSE, LISTEN
				continue
			}
			a, _ := netip.AddrFromSlice(s.ID.Destination)
			open[peer{a.Unmap(), s.ID.DestinationPort}] = fmt.Sprintf("socket in state %d", s.State)
		}
	}
	if d.cfg.Bound.IsZero() {
		// Nothing loaded: conntrack does not see the packets, its entries stay
		// as they were, and nothing counts.
		return check(open)
	}
	ct, err := conntrack.Dial(&mnl.Config{NetNS: int(d.l.devNS)})
	if err != nil {
		return err
	}
	defer ct.Close()
	flows, err := ct.Dump(nil)
	if err != nil {
		return err
	}
	for _, f := range flows {
		if f.TupleOrig.Proto.Protocol != unix.IPPROTO_TCP || f.ProtoInfo.TCP == nil || f.ProtoInfo.TCP.State >= 7 { // TIME_WAIT, CLOSE
			continue
		}
		o := f.TupleOrig
		what := fmt.Sprintf("conntrack entry in state %d, mark %#x", f.ProtoInfo.TCP.State, f.Mark)
		if o.Proto.DestinationPort == diffPort {
			open[peer{o.IP.SourceAddress.Unmap(), o.Proto.SourcePort}] += what
		} else if o.Proto.SourcePort == diffPort {
			open[peer{o.IP.DestinationAddress.Unmap(), o.Proto.DestinationPort}] += what + " (reversed)"
		}
	}
	return check(open)
}

// kview is what the kernel holds of the connlimit lines: offsets (line ID ->
// source key -> k) and the sources their connection sets hold.
type kview struct {
	pre map[string]map[netip.Addr]int
	cnt map[string]map[netip.Addr]bool
}

func (d *diffRun) kernelView() kview {
	d.t.Helper()
	kv := kview{pre: map[string]map[netip.Addr]int{}, cnt: map[string]map[netip.Addr]bool{}}
	c, err := nftables.New(nftables.WithNetNSFd(int(d.l.devNS)))
	require.NoError(d.t, err)
	sets, err := c.GetSets(&nftables.Table{Name: Table, Family: nftables.TableFamilyINet})
	if err != nil {
		return kv // no table
	}
	for _, s := range sets {
		pre := strings.HasPrefix(s.Name, "pre_")
		if !pre && !strings.HasPrefix(s.Name, "cnt_") {
			continue
		}
		id, _, _ := strings.Cut(s.Name[4:], "_")
		els, err := c.GetSetElements(s)
		if errors.Is(err, unix.ENOENT) || err != nil && strings.Contains(err.Error(), "no such file or directory") {
			continue // replaced since it was listed (an offset update, a commit)
		}
		require.NoError(d.t, err)
		for _, el := range els {
			a, _ := netip.AddrFromSlice(el.Key)
			a = a.Unmap()
			if pre {
				if kv.pre[id] == nil {
					kv.pre[id] = map[netip.Addr]int{}
				}
				k, _ := strconv.Atoi(el.Comment[strings.LastIndexByte(el.Comment, '_')+1:])
				kv.pre[id][a] = k
			} else {
				if kv.cnt[id] == nil {
					kv.cnt[id] = map[netip.Addr]bool{}
				}
				kv.cnt[id][a] = true
			}
		}
	}
	return kv
}

// burst connects from a few sources of each family at once, several times each
// (first and most from sources whose sessions just closed, whose offsets the
// daemon just set), and compares what was admitted with the model: per source, or
// per key of the line for the sources it counts (which of a key's sources win a
// race is not the model's to say, how many is).
func (d *diffRun) burst() {
	type attempt struct {
		fam *diffFam
		src netip.Addr
		c   net.Conn
	}
	var atts []*attempt
	for _, fm := range diffFams {
		srcs := append(append([]netip.Addr{}, fm.members...), fm.outside)
		d.rng.Shuffle(len(srcs), func(i, j int) { srcs[i], srcs[j] = srcs[j], srcs[i] })
		sort.SliceStable(srcs, func(i, j int) bool { return d.closed[srcs[i]] && !d.closed[srcs[j]] })
		for _, src := range srcs[:2+d.rng.IntN(2)] {
			n := 1 + d.rng.IntN(4)
			if d.closed[src] {
				n++
			}
			for range n {
				atts = append(atts, &attempt{fam: fm, src: src})
			}
		}
	}
	// The model, attempt by attempt, before the kernel sees any.
	type group struct {
		fam       *diffFam
		name      string
		tried     int
		want, got int
	}
	groups := map[string]*group{}
	var order []string
	extra := map[netip.Prefix]int{} // admitted in this burst, per key
	for _, a := range atts {
		m := d.model(a.fam)
		name := "source " + a.src.String()
		admit := m.a == nil
		if m.a != nil {
			p := m.packet(a.src, 40000)
			k := m.key(a.src)
			counted := m.counts(a.src)
			if counted {
				name = "key " + k.String()
			}
			r, ok := m.a.Evaluate(p, func(r acl.Rule) int {
				if r.Seq != limitSeq {
					return 0
				}
				return d.liveCount(m, k) + extra[k]
			})
			admit = ok && r.Action == acl.Permit
			if admit && counted {
				extra[k]++
			}
		}
		name = a.fam.list + " " + name
		g := groups[name]
		if g == nil {
			g = &group{fam: a.fam, name: name}
			groups[name] = g
			order = append(order, name)
		}
		g.tried++
		if admit {
			g.want++
		}
	}
	var wg sync.WaitGroup
	for _, a := range atts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := d.l.dialTimeout(d.l.cli, a.src.String(), netip.AddrPortFrom(a.fam.dst, diffPort).String(), burstTimeout)
			if err == nil {
				a.c = c
			}
		}()
	}
	wg.Wait()
	for _, a := range atts {
		m := d.model(a.fam)
		name := "source " + a.src.String()
		if m.a != nil && m.counts(a.src) {
			name = "key " + m.key(a.src).String()
		}
		if a.c != nil {
			groups[a.fam.list+" "+name].got++
		}
	}
	var bad, all []string
	for _, name := range order {
		g := groups[name]
		all = append(all, fmt.Sprintf("%s %d/%d want %d", g.name, g.got, g.tried, g.want))
		if g.got != g.want {
			bad = append(bad, fmt.Sprintf("%s: %d of %d admitted, want %d", g.name, g.got, g.tried, g.want))
		}
	}
	d.tell("burst: %s; offsets after: %s", strings.Join(all, ", "), d.offsets())
	if len(bad) > 0 {
		d.t.Fatalf("case %d round %d: the kernel disagrees with the model:\n  %s\n%s", d.id, d.round, strings.Join(bad, "\n  "), d.state())
	}
	d.checks += len(atts)
	for _, a := range atts {
		if a.c != nil {
			d.hold(a.fam, a.src, a.c)
		}
	}
}

// state describes the lists, the held sessions the lines count and the kernel's
// offsets, for a failure.
func (d *diffRun) state() string {
	var b strings.Builder
	b.WriteString(d.text())
	for _, fm := range diffFams {
		m := d.model(fm)
		if m.a == nil {
			continue
		}
		per := map[netip.Prefix]int{}
		for _, c := range d.live {
			if c.fam == fm && m.counts(c.src) {
				per[m.key(c.src)]++
			}
		}
		fmt.Fprintf(&b, "%s: sessions the line counts: %v", fm.list, per)
		if m.l != nil {
			kv := d.kernelView()
			fmt.Fprintf(&b, "; offsets %v; kernel lists %v", kv.pre[m.l.ID], kv.cnt[m.l.ID])
		}
		b.WriteString("\n")
	}
	return b.String()
}
