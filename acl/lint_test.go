package acl

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// The universe the brute-force tests draw from: few values per field, so that
// random lines overlap, nest and cover each other often.
var (
	uAddrs4 = []string{"10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6", "10.0.0.7", "192.0.2.1"}
	uAddrs6 = []string{"fd00::", "fd00::1", "fd00::2", "fd00::3", "fd00::4", "fd00::5", "fd00::6", "fd00::7", "2001:db8::1"}
	uPorts  = []uint16{0, 19, 20, 21, 22, 23, 24, 25, 26, 40000}
	uProtos = []uint8{1, 6, 17, 50, 58}
	// ICMP types and codes of the family's ICMP protocol: echo and its reply,
	// unreachables (v4) or neighbour discovery (v6), the codes lines name.
	uICMP4     = []uint8{0, 3, 8}
	uICMP6     = []uint8{1, 128, 134, 135, 137}
	uICMPCodes = []uint8{0, 1, 4}
)

// icmpTypes returns the universe's ICMP types of family f.
func icmpTypes(f Family) []uint8 {
	if f == IPv6 {
		return uICMP6
	}
	return uICMP4
}

func randAddr(rng *rand.Rand, f Family) Address {
	addrs := uAddrs4
	if f == IPv6 {
		addrs = uAddrs6
	}
	switch rng.IntN(6) {
	case 0, 1:
		return AnyAddr
	case 2:
		return HostAddr(netip.MustParseAddr(addrs[rng.IntN(len(addrs))]))
	case 3, 4:
		bits := f.Bits() - 1 - rng.IntN(3)
		p := netip.PrefixFrom(netip.MustParseAddr(addrs[rng.IntN(8)]), bits).Masked()
		a, err := ParsePrefix(p.String())
		if err != nil {
			panic(err)
		}
		return a
	}
	if f == IPv6 {
		return AnyAddr
	}
	// a non-contiguous wildcard over the last three bits
	w := []string{"0.0.0.5", "0.0.0.6", "0.0.0.3", "0.0.0.4", "0.0.0.1", "0.0.0.2"}[rng.IntN(6)]
	wb := netip.MustParseAddr(w).As4()
	ab := netip.MustParseAddr(addrs[rng.IntN(8)]).As4()
	ab[3] &^= wb[3]
	a, err := ParseWildcard(netip.AddrFrom4(ab).String(), w)
	if err != nil {
		panic(err)
	}
	return a
}

func randPorts(rng *rand.Rand) PortMatch {
	p := uPorts[1+rng.IntN(len(uPorts)-2)]
	list := func(op PortOp) PortMatch {
		ports := []uint16{p}
		for n := rng.IntN(3); n > 0; n-- {
			if q := uPorts[1+rng.IntN(len(uPorts)-2)]; !slices.Contains(ports, q) {
				ports = append(ports, q)
			}
		}
		m, err := PortList(op, ports...)
		if err != nil {
			panic(err)
		}
		return m
	}
	switch rng.IntN(7) {
	case 0, 1:
		return PortMatch{}
	case 2:
		return list(PortEq)
	case 3:
		return list(PortNeq)
	case 4:
		return PortMatch{Op: PortLt, Lo: p}
	case 5:
		return PortMatch{Op: PortGt, Lo: p}
	}
	q := uPorts[1+rng.IntN(len(uPorts)-2)]
	return PortMatch{Op: PortRange, Lo: min(p, q), Hi: max(p, q)}
}

func randRule(rng *rand.Rand, f Family) Rule {
	var r Rule
	if rng.IntN(3) == 0 {
		r.Action = Deny
	}
	switch rng.IntN(6) {
	case 0:
	case 1, 2:
		r.Proto, _ = ProtoKeyword("tcp", f)
	case 3:
		r.Proto, _ = ProtoKeyword("udp", f)
	case 4:
		r.Proto, _ = ProtoKeyword("icmp", f)
	case 5:
		r.Proto = ProtoNum(uProtos[rng.IntN(len(uProtos))])
	}
	r.Src, r.Dst = randAddr(rng, f), randAddr(rng, f)
	if r.Proto.HasICMP(f) && rng.IntN(3) > 0 {
		ts := icmpTypes(f)
		r.ICMP = ICMPMatch{Type: ts[rng.IntN(len(ts))], Set: true}
		if rng.IntN(2) == 0 {
			r.ICMP.Code, r.ICMP.CodeSet = uICMPCodes[rng.IntN(len(uICMPCodes))], true
		}
	}
	if r.Proto.HasPorts() {
		r.SrcPort, r.DstPort = randPorts(rng), randPorts(rng)
		if rng.IntN(2) == 0 {
			r.SrcPort = PortMatch{}
		}
	}
	switch rng.IntN(8) {
	case 0:
		r.Established = true
	case 1, 2:
		r.ConnLimit = ConnLimit(1 + rng.IntN(3))
	}
	return r
}

func randList(rng *rand.Rand, f Family, n int) *ACL {
	a := NewACL("r", f)
	for len(a.entries) < n {
		a.Add(randRule(rng, f)) // duplicates refused: fine
	}
	return a
}

// universe lists every packet built of the universe's values.
func universe(f Family) []Packet {
	addrs := uAddrs4
	if f == IPv6 {
		addrs = uAddrs6
	}
	var out []Packet
	for _, proto := range uProtos {
		ports := []uint16{0}
		if proto == ProtoTCP || proto == ProtoUDP {
			ports = []uint16{19, 22, 24, 40000} // the random lines tell these apart
		}
		// type<<8|code of an ICMP message; 0 for other protocols
		icmps := []uint16{0}
		if proto == ProtoICMP && f == IPv4 || proto == ProtoICMPv6 && f == IPv6 {
			icmps = nil
			for _, t := range append(icmpTypes(f), 13) { // 13: a type no line names
				for _, c := range append(uICMPCodes, 2) {
					icmps = append(icmps, uint16(t)<<8|uint16(c))
				}
			}
		}
		for _, s := range addrs {
			for _, d := range addrs {
				for _, sp := range ports {
					for _, dp := range ports {
						for _, ic := range icmps {
							for _, reply := range []bool{false, true} {
								out = append(out, Packet{Proto: proto, Src: netip.MustParseAddr(s), Dst: netip.MustParseAddr(d), SrcPort: sp, DstPort: dp,
									ICMPType: uint8(ic >> 8), ICMPCode: uint8(ic), Reply: reply})
							}
						}
					}
				}
			}
		}
	}
	return out
}

// inside returns a random packet of the line's cube, drawn from the whole range
// of each field.
func inside(rng *rand.Rand, c *cube, f Family) Packet {
	pickSpan := func(s spans) uint16 {
		x := s[rng.IntN(len(s))]
		return x.lo + uint16(rng.IntN(int(x.hi-x.lo)+1))
	}
	pickAddr := func(t tern) netip.Addr {
		v := u128{rng.Uint64(), rng.Uint64()}.andNot(t.care).or(t.val)
		return v.and(prefixBits(f, f.Bits())).addr(f)
	}
	ic := pickSpan(c.sp[dICMP])
	return Packet{Proto: uint8(pickSpan(c.sp[dProto])), Src: pickAddr(c.ad[dSrc]), Dst: pickAddr(c.ad[dDst]),
		SrcPort: pickSpan(c.sp[dSport]), DstPort: pickSpan(c.sp[dDport]), ICMPType: uint8(ic >> 8), ICMPCode: uint8(ic),
		Reply: pickSpan(c.sp[dState]) == 1}
}

// liveFor returns live counts under which connlimit line `takes` admits (or
// drops) and every other connlimit line in falls lets the packet through.
func liveFor(limits []Rule, takes map[Seq]bool) func(Rule) int {
	return func(r Rule) int {
		switch {
		case r.Action == Permit && takes[r.Seq]:
			return 0
		case r.Action == Permit:
			return int(r.ConnLimit) // at its limit: the new one falls through
		case takes[r.Seq]:
			return int(r.ConnLimit) - 1 // the new one is the Nth
		}
		return 0 // a deny below its limit: falls through (connlimit 1 drops anyway)
	}
}

// somehow returns, for each way the list's connlimit lines can go (each takes
// the packet or lets it through), the live counts that make them go that way.
func somehow(a *ACL) []func(Rule) int {
	var limits []Rule
	for _, r := range a.entries {
		if r.ConnLimit != 0 {
			limits = append(limits, r)
		}
	}
	var out []func(Rule) int
	for mask := 0; mask < 1<<len(limits); mask++ {
		takes := map[Seq]bool{}
		for i, r := range limits {
			takes[r.Seq] = mask&(1<<i) != 0
		}
		out = append(out, liveFor(limits, takes))
	}
	return out
}

// decidesSomehow reports whether line seq decides p under some live counts.
func decidesSomehow(a *ACL, ways []func(Rule) int, p Packet, seq Seq) bool {
	for _, live := range ways {
		if r, ok := a.Evaluate(p, live); ok && r.Seq == seq {
			return true
		}
	}
	return false
}

// TestLintReachabilityBruteForce checks lint's reachability against Evaluate on
// random small lists: a line reported unreachable decides no packet of the
// universe nor any random packet it matches, under any live counts; a line
// reported reachable has a witness that Evaluate confirms it decides.
func TestLintReachabilityBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 1))
	for _, f := range []Family{IPv4, IPv6} {
		uni := universe(f)
		unreachable, overflows := 0, 0
		for n := range 150 {
			a := randList(rng, f, 2+rng.IntN(7))
			rep := a.Lint(LintOptions{})
			require.Len(t, rep.Lines, a.Len(), "one Reach per line")
			ways := somehow(a)
			decided := map[Seq]bool{}
			for _, p := range uni {
				for _, live := range ways {
					if r, ok := a.Evaluate(p, live); ok {
						decided[r.Seq] = true
					}
				}
			}
			for i, l := range rep.Lines {
				r := a.entries[i]
				require.Equal(t, r.Seq, l.Seq)
				ctx := fmt.Sprintf("list %d (%s):\n%s", n, f.Name(), a.text())
				if !l.Reachable {
					unreachable++
					require.False(t, decided[r.Seq], "%s\nseq %d reported unreachable (covered by %v) decides a packet of the universe", ctx, r.Seq, l.CoveredBy)
					c := cubeOf(r)
					for range 200 {
						p := inside(rng, &c, f)
						require.True(t, r.Matches(p), "%s\ninside(%v) = %+v, not matched by seq %d", ctx, c, p, r.Seq)
						require.False(t, decidesSomehow(a, ways, p, r.Seq), "%s\nseq %d reported unreachable decides %+v", ctx, r.Seq, p)
					}
					require.NotEmpty(t, l.CoveredBy, ctx)
					continue
				}
				require.NotNil(t, l.Witness, ctx)
				var limits []Rule
				for _, o := range a.entries[:i] {
					if o.ConnLimit != 0 {
						limits = append(limits, o)
					}
				}
				limits = append(limits, r)
				got, ok := a.Evaluate(l.Witness.Packet, liveFor(limits, map[Seq]bool{r.Seq: true}))
				require.True(t, ok && got.Seq == r.Seq, "%s\nwitness %s of seq %d is decided by seq %d (%v)", ctx, l.Witness, r.Seq, got.Seq, ok)
			}
			// A permit connlimit line reported as limiting nothing: every packet
			// it admits below its limit is permitted by a later line at it.
			for _, fd := range rep.Findings {
				if fd.Kind != KindOverflowPermitted {
					continue
				}
				overflows++
				ctx := fmt.Sprintf("list %d (%s):\n%s", n, f.Name(), a.text())
				for _, p := range uni {
					below := func(Rule) int { return 0 }
					at := func(o Rule) int {
						if o.Seq == fd.Seq {
							return int(o.ConnLimit)
						}
						return 0
					}
					if r, ok := a.Evaluate(p, below); !ok || r.Seq != fd.Seq {
						continue
					}
					r, ok := a.Evaluate(p, at)
					require.True(t, ok && r.Action == Permit, "%s\nseq %d reported as limiting nothing, but over its limit %+v is denied (by %v, %v)", ctx, fd.Seq, p, r.Seq, ok)
				}
			}
		}
		require.Greater(t, unreachable, 30, "the random lists have unreachable lines to check")
		t.Logf("%s: %d connlimit lines reported as limiting nothing, checked", f.Name(), overflows)
	}
}

func (a *ACL) text() string {
	s := ""
	for _, r := range a.entries {
		s += " " + r.Format(a.Family) + "\n"
	}
	return s
}

// lists10k are the benchmark's lists of 10,000 lines, each ending in a
// deny of everything:
//   - hosts: the enforcer benchmarks' list, a host and a port a line, every
//     1000th with a connlimit;
//   - services: every line to the same management address, a port each (every
//     line meets every other in source and destination);
//   - mixed: hosts, prefixes (/24-/31) and wildcards to 16 management
//     addresses, ports, ranges and a few neq, permits and denies in blocks;
//   - dense: the same with prefixes down to /16 and neq on one line in four:
//     most lines are covered by the union of earlier ones;
//   - lists: hosts and prefixes with port lists (eq, a few neq) and ICMP
//     types and codes.
func lists10k(tb testing.TB) map[string]*ACL {
	tcp, _ := ProtoKeyword("tcp", IPv4)
	udp, _ := ProtoKeyword("udp", IPv4)
	add := func(a *ACL, r Rule) {
		if _, err := a.Add(r); err != nil {
			tb.Fatal(err)
		}
	}
	out := map[string]*ACL{}
	hosts := NewACL("hosts", IPv4)
	for i := range 9999 {
		r := Rule{Proto: tcp, Src: HostAddr(netip.AddrFrom4([4]byte{10, byte(1 + i/65536), byte(i / 256 % 256), byte(i % 256)})), DstPort: PortMatch{Op: PortEq, Lo: uint16(1 + i%60000)}}
		if i%1000 == 0 {
			r.ConnLimit = 5
		}
		add(hosts, r)
	}
	add(hosts, Rule{Action: Deny})
	out["hosts"] = hosts
	svc := NewACL("services", IPv4)
	mgmt := HostAddr(netip.MustParseAddr("10.24.12.129"))
	for i := range 9999 {
		add(svc, Rule{Proto: tcp, Dst: mgmt, DstPort: PortMatch{Op: PortEq, Lo: uint16(1 + i)}})
	}
	add(svc, Rule{Action: Deny})
	out["services"] = svc
	// mixed and dense: random lines of prefixes, wildcards, ranges and neq to
	// 16 management addresses, permits and denies in blocks
	gen := func(name string, short int, neq int) *ACL {
		rng := rand.New(rand.NewPCG(10, 0))
		a := NewACL(name, IPv4)
		for a.Len() < 9999 {
			var r Rule
			if a.Len()/50%3 == 2 {
				r.Action = Deny
			}
			r.Proto = tcp
			if rng.IntN(4) == 0 {
				r.Proto = udp
			}
			h := netip.AddrFrom4([4]byte{10, byte(rng.IntN(4)), byte(rng.IntN(256)), byte(rng.IntN(256))})
			switch rng.IntN(20) {
			case 0, 1, 2, 3, 4, 5, 6:
				r.Src = HostAddr(h)
			case 7, 8, 9, 10, 11, 12, 13, 14, 15:
				p, _ := h.Prefix(32 - short + rng.IntN(short))
				r.Src, _ = ParsePrefix(p.String())
			case 16:
				b := h.As4()
				r.Src, _ = ParseWildcard(fmt.Sprintf("10.%d.0.%d", b[1], b[3]), "0.0.255.0")
			}
			r.Dst = HostAddr(netip.AddrFrom4([4]byte{10, 24, 12, byte(120 + rng.IntN(16))}))
			switch p := uint16(1 + rng.IntN(2000)); rng.IntN(neq) {
			case 0:
				r.DstPort = PortMatch{Op: PortNeq, Lo: p}
			case 1, 2:
				r.DstPort = PortMatch{Op: PortRange, Lo: p, Hi: p + uint16(rng.IntN(100))}
			default:
				r.DstPort = PortMatch{Op: PortEq, Lo: p}
			}
			if rng.IntN(100) == 0 {
				r.ConnLimit = 3
			}
			a.Add(r) // a duplicate is refused: draw again
		}
		add(a, Rule{Action: Deny})
		return a
	}
	out["mixed"] = gen("mixed", 8, 40) // prefixes /24-/31, 1 in 40 lines neq
	out["dense"] = gen("dense", 16, 4) // prefixes /16-/31, 1 in 4 neq: most lines covered
	// lists: hosts and prefixes (/24-/31) with port lists (eq and neq, 2-4
	// ports) and ICMP types and codes, permits and denies in blocks
	icmp, _ := ProtoKeyword("icmp", IPv4)
	rng := rand.New(rand.NewPCG(10, 1))
	lists := NewACL("lists", IPv4)
	for lists.Len() < 9999 {
		var r Rule
		if lists.Len()/50%3 == 2 {
			r.Action = Deny
		}
		h := netip.AddrFrom4([4]byte{10, byte(rng.IntN(4)), byte(rng.IntN(256)), byte(rng.IntN(256))})
		p, _ := h.Prefix(24 + rng.IntN(9))
		r.Src, _ = ParsePrefix(p.String())
		r.Dst = HostAddr(netip.AddrFrom4([4]byte{10, 24, 12, byte(120 + rng.IntN(16))}))
		if rng.IntN(4) == 0 {
			r.Proto = icmp
			r.ICMP = ICMPMatch{Type: []uint8{0, 3, 8, 11}[rng.IntN(4)], Set: true}
			if rng.IntN(2) == 0 {
				r.ICMP.Code, r.ICMP.CodeSet = uint8(rng.IntN(16)), true
			}
		} else {
			r.Proto = tcp
			var ports []uint16
			for range 2 + rng.IntN(3) {
				if q := uint16(1 + rng.IntN(2000)); !slices.Contains(ports, q) {
					ports = append(ports, q)
				}
			}
			op := PortEq
			if rng.IntN(10) == 0 {
				op = PortNeq
			}
			r.DstPort, _ = PortList(op, ports...)
		}
		lists.Add(r) // a duplicate is refused: draw again
	}
	add(lists, Rule{Action: Deny})
	out["lists"] = lists
	return out
}

// BenchmarkLint10k lints lists of 10,000 lines (see lists10k) and reports the
// time of one lint in ms.
func BenchmarkLint10k(b *testing.B) {
	lists := lists10k(b)
	for _, name := range []string{"hosts", "services", "mixed", "dense", "lists"} {
		a := lists[name]
		b.Run(name, func(b *testing.B) {
			var rep *Report
			for b.Loop() {
				rep = a.Lint(LintOptions{})
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/lint")
			b.ReportMetric(float64(len(rep.Findings)), "findings")
		})
	}
}

// Issue 20: a fragments line matches nothing here (the kernel reassembles
// fragments first); lint says so and does not count it as deciding anything.
func TestLintFragments(t *testing.T) {
	a := NewACL("f", IPv4)
	for _, r := range []Rule{{Action: Deny, Fragments: true}, {Proto: Protocol{Num: ProtoTCP, Set: true, Keyword: true}}} {
		if _, err := a.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	rep := a.Lint(LintOptions{})
	if len(rep.Lines) != 2 || rep.Lines[0].Reachable || !rep.Lines[1].Reachable {
		t.Fatalf("Lint lines = %+v", rep.Lines)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Kind != KindFragments {
		t.Fatalf("Lint findings = %+v", rep.Findings)
	}
}
