package enforcer_test

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
	. "github.com/aclsh/aclsh/enforcer"
)

// udpN sends n datagrams from src:sport to dst (an echo server), each answered:
// exactly n packets reach the ACL. It fails the test if one is not answered.
func (l *lab) udpN(src string, sport int, dst string, n int) {
	l.t.Helper()
	inNS(l.t, l.cli, func() {
		d := net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP(src), Port: sport}}
		c, err := d.Dial("udp", dst)
		require.NoError(l.t, err)
		defer c.Close()
		b := make([]byte, 16)
		for i := range n {
			c.SetDeadline(time.Now().Add(time.Second))
			_, err := c.Write([]byte("x"))
			require.NoError(l.t, err)
			_, err = c.Read(b)
			require.NoError(l.t, err, "datagram %d from %s to %s", i+1, src, dst)
		}
	})
}

// TestRunCounters: the lines of a run compiled into a set report exact matches
// (their elements' counters, a neq line's two elements added up); clearing the
// counters zeroes them; changing one line of the run is an element change that
// keeps the other lines' counters; an element deleted by hand is drift, and the
// next apply puts it back as a diff.
func TestRunCounters(t *testing.T) {
	l := newLab(t)
	for _, p := range []int{53, 54, 55} {
		l.serveUDP(fmt.Sprintf(":%d", p))
	}
	text := `
ip access-list extended run
 seq 10 permit udp host 10.24.12.107 any eq 53
 seq 20 permit udp host 10.24.12.108 any eq 53
 seq 30 permit udp 10.24.12.108/31 any eq 54
 seq 40 permit udp host 10.24.12.110 any neq 53
 seq 50 permit udp host 10.24.12.109 any eq 53
interface management 0
 ip access-group run in
`
	cfg := config(t, text)
	require.NoError(t, l.e.Apply(cfg))
	listing := l.nft("list", "table", "inet", Table)
	require.Regexp(t, `ip saddr . meta l4proto . th dport vmap @run_[0-9a-f]+`, listing, "hosts and eq ports: a hash set")
	require.Regexp(t, `ip saddr . ip daddr . meta l4proto . th sport . th dport vmap @run_[0-9a-f]+`, listing, "prefixes and neq: an interval set")
	require.Equal(t, 0, strings.Count(listing, "ip saddr 10.24.12."), "no line stays a rule")

	send := func() {
		l.udpN("10.24.12.107", 30001, "10.24.12.129:53", 3)
		l.udpN("10.24.12.108", 30002, "10.24.12.129:53", 2)
		l.udpN("10.24.12.109", 30003, "10.24.12.129:54", 4)
		l.udpN("10.24.12.110", 30004, "10.24.12.129:55", 1) // below 53
		l.udpN("10.24.12.110", 30004, "10.24.12.129:54", 2) // the other element: 30 does not match .110
	}
	send()
	matches := func() map[string]uint64 {
		st, err := l.e.Stats(cfg)
		require.NoError(t, err)
		require.Equal(t, InSync, st.State)
		out := map[string]uint64{}
		for seq := acl.Seq(10); seq <= 50; seq += 10 {
			out[Line("run", seq).String()] = st.Counters[Line("run", seq)].Packets
		}
		return out
	}
	require.Equal(t, map[string]uint64{"run/10/m": 3, "run/20/m": 2, "run/30/m": 4, "run/40/m": 3, "run/50/m": 0}, matches())
	// Read by an enforcer that did not apply it: the same.
	other := &Enforcer{IfName: "mgmt0", NetNS: l.e.NetNS}
	defer other.Close()
	st, err := other.Stats(cfg)
	require.NoError(t, err)
	require.Equal(t, uint64(4), st.Counters[Line("run", 30)].Packets)

	require.NoError(t, l.e.ClearCounters(cfg, "run"))
	require.Equal(t, map[string]uint64{"run/10/m": 0, "run/20/m": 0, "run/30/m": 0, "run/40/m": 0, "run/50/m": 0}, matches())
	send()

	// One line changed: its element changes, the others keep their counts.
	cfg2 := config(t, strings.Replace(text, "seq 50 permit udp host 10.24.12.109 any eq 53", "seq 50 permit udp host 10.24.12.109 any eq 55", 1))
	require.NoError(t, l.e.Apply(cfg2))
	require.Zero(t, FullReplaces(l.e))
	require.Contains(t, l.nft("list", "table", "inet", Table), "10.24.12.109 . udp . 55 counter packets 0")
	cfg = cfg2
	l.udpN("10.24.12.109", 30005, "10.24.12.129:55", 1)
	require.Equal(t, map[string]uint64{"run/10/m": 3, "run/20/m": 2, "run/30/m": 4, "run/40/m": 3, "run/50/m": 1}, matches())

	// An element deleted by hand: the table differs, and applying mends it as a diff.
	set := regexp.MustCompile(`map (run_[0-9a-f]+) \{\s+type ipv4_addr . inet_proto . inet_service : verdict\s`).FindStringSubmatch(l.nft("list", "table", "inet", Table))[1]
	l.nft("delete", "element", "inet", Table, set, "{ 10.24.12.107 . 17 . 53 }")
	st, err = l.e.Stats(cfg)
	require.NoError(t, err)
	require.Equal(t, Differs, st.State)
	require.Zero(t, st.Counters[Line("run", 10)].Packets, "the line is not in the kernel")
	_, err = l.udpDrop("10.24.12.107", "10.24.12.129:53")
	require.Error(t, err, "the line no longer admits")
	require.NoError(t, l.e.Apply(cfg))
	require.Zero(t, FullReplaces(l.e))
	st, err = l.e.Stats(cfg)
	require.NoError(t, err)
	require.Equal(t, InSync, st.State)
	l.udpN("10.24.12.107", 30006, "10.24.12.129:53", 1)
}

// udpDrop tries one exchange from src; an error says it was dropped.
func (l *lab) udpDrop(src, dst string) (net.Conn, error) {
	c, err := l.udpExchange(l.cli, src, dst)
	if c != nil {
		c.Close()
	}
	return c, err
}

// probe opens one TCP connection or UDP exchange from src:sport to dst:dport;
// it reports whether it got through.
func (l *lab) probe(proto uint8, src string, sport int, dst string, dport uint16) bool {
	return l.exchange(l.cli, proto, src, sport, dst, dport)
}

// exchange opens, from namespace ns, one TCP connection (and an echo) or one UDP
// exchange from src:sport to dst:dport; it reports whether it got through.
func (l *lab) exchange(ns string, proto uint8, src string, sport int, dst string, dport uint16) bool {
	ok := false
	inNS(l.t, ns, func() {
		addr := net.JoinHostPort(dst, fmt.Sprint(dport))
		if proto == 6 {
			d := net.Dialer{Timeout: 400 * time.Millisecond, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src), Port: sport}}
			c, err := d.Dial("tcp", addr)
			if err == nil {
				ok = echoOnce(c) == nil
				c.Close()
			}
			return
		}
		d := net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP(src), Port: sport}}
		c, err := d.Dial("udp", addr)
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(400 * time.Millisecond))
		b := make([]byte, 16)
		if _, err := c.Write([]byte("x")); err == nil {
			_, err = c.Read(b)
			ok = err == nil
		}
	})
	return ok
}

// TestKernelAgreesWithModelRuns: for random IPv4 and IPv6 lists long enough to be
// compiled into sets (runs of one action, breaks between actions, hosts,
// prefixes, any, non-contiguous wildcards, tcp and udp with every kind of port
// match on either side, several ports in one line, ICMP types, protocol-only
// and address-only lines), every probe (TCP connections and UDP exchanges from
// several sources, source and destination ports) gets through the kernel exactly
// when acl.Evaluate says a permit line decides it.
func TestKernelAgreesWithModelRuns(t *testing.T) { kernelAgreesWithModelRuns(t, false) }

// TestKernelAgreesWithModelRunsSharded is TestKernelAgreesWithModelRuns with
// every verdict map of more than 4 elements sharded, in shards of 2 on average:
// a probe the dispatch map sends to the wrong shard, or to none, misses the
// line that decides it.
func TestKernelAgreesWithModelRunsSharded(t *testing.T) {
	defer SetShardSizes(4, 2, 4)()
	kernelAgreesWithModelRuns(t, true)
}

func kernelAgreesWithModelRuns(t *testing.T, sharded bool) {
	l := newLab(t)
	run(t, "ip", "-n", l.cli, "addr", "add", "fd77::108/64", "dev", "eth0", "nodad")
	// Neighbours known for good: the lists may drop neighbour discovery (the
	// model does not know it), which would stop IPv6 replies.
	l.pinNeighbours("fd77::107", "fd77::108")
	dports := []uint16{22, 80, 443, 8080}
	for _, p := range dports {
		l.serveTCP(fmt.Sprintf(":%d", p))
		l.serveUDP(fmt.Sprintf(":%d", p))
	}
	type famCase struct {
		list, group, dst string
		srcs, addrs      []string
		filler           string
	}
	fams := []famCase{
		{"ip access-list extended d4", "ip access-group d4 in", "10.24.12.129",
			[]string{"10.24.12.107", "10.24.12.108", "10.24.12.109", "10.24.12.110"},
			[]string{"any", "host 10.24.12.107", "host 10.24.12.108", "host 10.24.12.109", "host 10.24.12.110",
				"10.24.12.108/31", "10.24.12.104/30", "10.24.12.96/27", "10.24.12.128/25", "10.0.0.0/8", "192.0.2.0/24",
				"host 10.24.12.129", "10.24.12.100 0.0.0.10"}, "host 192.0.2.%d"},
		{"ipv6 access-list extended d6", "ipv6 access-group d6 in", "fd77::129",
			[]string{"fd77::107", "fd77::108"},
			[]string{"any", "host fd77::107", "host fd77::108", "fd77::108/127", "fd77::/64", "fd77::100/120",
				"2001:db8::/32", "host fd77::129"}, "2001:db8:%x::/48"},
	}
	ports := []string{"", "", "", "eq 22", "eq 80", "neq 80", "lt 443", "gt 80", "range 80 443", "range 8000 9000", "eq 8080",
		"eq 22 443", "eq 80 8080 9000", "neq 22 443 8080"}
	sports := []string{"", "", "", "", "", "range 20000 20999", "lt 20500", "gt 21000", "neq 20001", "eq 179", "eq 179 20001 21010", "neq 20000 20500 21000"}
	protos := []string{"tcp", "tcp", "udp", "udp", "ip", "icmp", "47"}
	r := rand.New(rand.NewPCG(8, 8))
	sets, elems, lines, drops, portLookups, layered, shards := 0, 0, 0, 0, 0, 0, 0
	for round := range 8 {
		var text strings.Builder
		cfgLines := map[string][]string{}
		for _, fc := range fams {
			seen := map[string]bool{}
			action := "permit"
			text.WriteString(fc.list + "\n")
			for len(seen) < 40+r.IntN(30) {
				// rounds of mostly one action, of actions at random (verdict
				// maps), and of nested exceptions (layers)
				if r.IntN(12) == 0 || round%3 > 0 && r.IntN(2) == 0 {
					action = map[string]string{"permit": "deny", "deny": "permit"}[action]
				}
				if round%3 == 2 && r.IntN(3) == 0 {
					// an exception, then the wider line it is carved from
					h := fc.srcs[r.IntN(len(fc.srcs))]
					wide := map[bool]string{false: "10.24.12.96/27", true: "fd77::/64"}[strings.Contains(h, ":")]
					if r.IntN(2) == 0 {
						wide = fc.addrs[r.IntN(len(fc.addrs))]
					}
					proto := []string{"tcp", "udp"}[r.IntN(2)]
					for _, line := range []string{
						fmt.Sprintf(" deny %s host %s any %s", proto, h, ports[r.IntN(len(ports))]),
						fmt.Sprintf(" permit %s %s %s any", proto, wide, sports[r.IntN(len(sports))]),
					} {
						line = strings.Join(strings.Fields(line), " ")
						if !seen[line] {
							seen[line] = true
							text.WriteString(" " + line + "\n")
							cfgLines[fc.list] = append(cfgLines[fc.list], line)
						}
					}
					continue
				}
				proto := protos[r.IntN(len(protos))]
				if proto == "ip" && strings.HasPrefix(fc.list, "ipv6") {
					proto = "ipv6"
				}
				src, dst := fc.addrs[r.IntN(len(fc.addrs))], fc.addrs[r.IntN(len(fc.addrs))]
				if r.IntN(5) < 3 {
					// elsewhere: lines no probe matches, so that runs grow long
					src = fmt.Sprintf(fc.filler, r.IntN(200))
				}
				if strings.Count(src, " ") == 1 && !strings.HasPrefix(src, "host") && strings.Count(dst, " ") == 1 && !strings.HasPrefix(dst, "host") {
					dst = "any"
				}
				line := fmt.Sprintf(" %s %s %s", action, proto, src)
				if proto == "tcp" || proto == "udp" {
					line += " " + sports[r.IntN(len(sports))]
					line = strings.TrimRight(line, " ") + " " + dst + " " + ports[r.IntN(len(ports))]
				} else {
					line += " " + dst
					if proto == "icmp" && r.IntN(3) == 0 { // a type: the line stays a rule
						line += map[bool]string{false: " echo", true: " echo-request"}[strings.HasPrefix(fc.list, "ipv6")]
					}
				}
				line = strings.TrimRight(line, " ")
				if !seen[line] {
					seen[line] = true
					text.WriteString(line + "\n")
					cfgLines[fc.list] = append(cfgLines[fc.list], line)
				}
			}
		}
		text.WriteString("interface management 0\n ip access-group d4 in\n ipv6 access-group d6 in\n")
		cfg := config(t, text.String())
		require.NoError(t, l.e.Apply(cfg))
		st0, err := l.e.Stats(cfg)
		require.NoError(t, err)
		before := map[LineRef]uint64{}
		for k, c := range st0.Counters {
			before[k] = c.Packets
		}
		listing := l.nft("list", "table", "inet", Table)
		sets += strings.Count(listing, "flags interval")
		elems += strings.Count(listing, "counter packets 0 bytes 0 comment")
		drops += strings.Count(listing, `" : drop`)
		portLookups += strings.Count(listing, "sport @run_")
		shards += strings.Count(listing, ": jump run_")
		// a map of a layer past the first: two lookups of one key shape in a row
		var prev string
		for _, ln := range strings.Split(listing, "\n") {
			key, _, ok := strings.Cut(strings.TrimSpace(ln), " vmap @run_")
			if ok && key == prev {
				layered++
			}
			prev = key
		}
		lines += len(cfg.ACLs["d4"].Entries()) + len(cfg.ACLs["d6"].Entries())
		type pr struct {
			proto        uint8
			src, dst     string
			sport, dport uint16
			want         bool
			line         LineRef // the show counter of the line that decides it
		}
		var prs []pr
		n := 0
		for _, fc := range fams {
			name := strings.Fields(fc.list)[3]
			for _, src := range fc.srcs {
				for _, dp := range dports {
					for _, proto := range []uint8{6, 17} {
						n++
						sp := uint16(20000 + round*150 + n)
						if n%7 == 0 {
							sp = 21001 + uint16(round*150+n)
						}
						rule, ok := cfg.ACLs[name].Evaluate(acl.Packet{Proto: proto, Src: netip.MustParseAddr(src),
							Dst: netip.MustParseAddr(fc.dst), SrcPort: sp, DstPort: dp}, nil)
						line := DenyOf(name)
						if ok {
							line = Line(name, rule.Seq)
						}
						prs = append(prs, pr{proto, src, fc.dst, sp, dp, ok && rule.Action == acl.Permit, line})
					}
				}
			}
		}
		got := make([]bool, len(prs))
		var wg sync.WaitGroup
		for i, p := range prs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i] = l.probe(p.proto, p.src, int(p.sport), p.dst, p.dport)
			}()
		}
		wg.Wait()
		for i, p := range prs {
			require.Equal(t, p.want, got[i], "round %d: proto %d %s:%d -> %s:%d, lists:\n%s\nkernel:\n%s", round, p.proto, p.src, p.sport, p.dst, p.dport,
				text.String(), l.nft("list", "table", "inet", Table))
		}
		// Each probe's packets count on the line that decides it, and only there:
		// a UDP probe is one packet, a TCP probe one (a SYN dropped; the next
		// try would be after 1 s) or more.
		st, err := l.e.Stats(cfg)
		require.NoError(t, err)
		require.Equal(t, InSync, st.State)
		want := map[LineRef]uint64{}
		for _, p := range prs {
			want[p.line]++
		}
		for _, fc := range fams {
			name := strings.Fields(fc.list)[3]
			for _, rule := range cfg.ACLs[name].Entries() {
				k := Line(name, rule.Seq)
				got := st.Counters[k].Packets - before[k]
				// IPv6 neighbour discovery (ICMPv6) reaches the list too
				nd := name == "d6" && (!rule.Proto.Set || rule.Proto.Num == acl.ProtoICMPv6)
				if want[k] == 0 && !nd {
					require.Zero(t, got, "round %d: %s %s matched no probe", round, k, rule.Body(0))
				} else {
					require.GreaterOrEqual(t, got, want[k], "round %d: %s %s", round, k, rule.Body(0))
				}
			}
		}
	}
	t.Logf("%d lines, %d run sets, %d elements (%d drop), %d lookups of sets of ports, %d layered lookups, %d shards", lines, sets, elems, drops, portLookups, layered, shards)
	if sharded {
		require.Greater(t, shards, 100, "maps were sharded")
	}
	require.Greater(t, sets, 6, "the lists were compiled into sets")
	require.Greater(t, drops, 10, "runs mix actions")
	require.Greater(t, portLookups, 3, "lines with port lists on both sides were in runs")
	require.Greater(t, layered, 3, "runs had layers")
}

// TestRunPortLists: a line with port lists on both sides in a run is one map
// element and two sets of ports. Its matches are exact, a packet with another
// port falls through to the next lines, clearing zeroes it, its counters carry
// when it moves into the run and out of it, and a port deleted by hand from its
// set is drift that the next apply mends as a diff.
func TestRunPortLists(t *testing.T) {
	l := newLab(t)
	for _, p := range []int{53, 54, 55} {
		l.serveUDP(fmt.Sprintf(":%d", p))
	}
	list := func(run bool) *acl.Config {
		text := "ip access-list extended pl\n" +
			" seq 10 permit udp host 10.24.12.107 eq 30001 30002 any eq 53 54\n" +
			" seq 20 deny udp host 10.24.12.107 any eq 55\n"
		if run {
			text += " seq 30 permit udp host 10.24.12.108 any eq 53\n" +
				" seq 40 permit udp host 10.24.12.109 any eq 53\n"
		}
		text += " seq 50 permit udp host 10.24.12.107 any eq 54\n" +
			"interface management 0\n ip access-group pl in\n"
		return config(t, text)
	}
	matches := func(cfg *acl.Config) (uint64, uint64) {
		st, err := l.e.Stats(cfg)
		require.NoError(t, err)
		require.Equal(t, InSync, st.State)
		return st.Counters[Line("pl", 10)].Packets, st.Counters[Line("pl", 50)].Packets
	}
	// a rule first (no run: three lines)
	require.NoError(t, l.e.Apply(list(false)))
	require.NotContains(t, l.nft("list", "table", "inet", Table), "sport @run_")
	l.udpN("10.24.12.107", 30001, "10.24.12.129:53", 2)
	// then in a run: its counters carry to its element
	cfg := list(true)
	require.NoError(t, l.e.Apply(cfg))
	listing := l.nft("list", "table", "inet", Table)
	require.Contains(t, listing, "sport @run_")
	require.NotContains(t, listing, "{ 53, 54 }", "no anonymous set: sets of ports")
	m10, m50 := matches(cfg)
	require.Equal(t, [2]uint64{2, 0}, [2]uint64{m10, m50})
	l.udpN("10.24.12.107", 30002, "10.24.12.129:54", 3)
	l.udpN("10.24.12.107", 30003, "10.24.12.129:54", 1) // not its source port: seq 50
	m10, m50 = matches(cfg)
	require.Equal(t, [2]uint64{5, 1}, [2]uint64{m10, m50})
	_, err := l.udpDrop("10.24.12.107", "10.24.12.129:55")
	require.Error(t, err, "seq 20 drops")
	// read by an enforcer that did not apply it: the same, in sync
	other := &Enforcer{IfName: "mgmt0", NetNS: l.e.NetNS}
	defer other.Close()
	st, err := other.Stats(cfg)
	require.NoError(t, err)
	require.Equal(t, InSync, st.State)
	require.Equal(t, uint64(5), st.Counters[Line("pl", 10)].Packets)

	require.NoError(t, l.e.ClearCounters(cfg, "pl"))
	m10, m50 = matches(cfg)
	require.Equal(t, [2]uint64{0, 0}, [2]uint64{m10, m50})
	l.udpN("10.24.12.107", 30001, "10.24.12.129:54", 1)

	// a port deleted by hand: drift, mended as a diff
	set := regexp.MustCompile(`set (run_[0-9a-f]+sp) \{`).FindStringSubmatch(listing)[1]
	l.nft("delete", "element", "inet", Table, set, "{ 10.24.12.107 . 17 . 30001 }")
	st, err = l.e.Stats(cfg)
	require.NoError(t, err)
	require.Equal(t, Differs, st.State)
	require.NoError(t, l.e.Apply(cfg))
	require.Zero(t, FullReplaces(l.e))
	l.udpN("10.24.12.107", 30001, "10.24.12.129:54", 1)
	m10, _ = matches(cfg)
	require.Equal(t, uint64(2), m10)

	// out of the run again: the rule starts with the element's counters
	cfg = list(false)
	require.NoError(t, l.e.Apply(cfg))
	require.NotContains(t, l.nft("list", "table", "inet", Table), "sport @run_")
	m10, _ = matches(cfg)
	require.Equal(t, uint64(2), m10)
	require.Zero(t, FullReplaces(l.e))
}
