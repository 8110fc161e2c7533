package enforcer_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"net"
	"net/netip"

	"github.com/mdlayher/netlink"
	"github.com/ti-mo/conntrack"

	"github.com/aclsh/aclsh/acl"
	. "github.com/aclsh/aclsh/enforcer"
)

// benchNS makes a throwaway lab (device namespace with mgmt0) and returns the
// device namespace's name and an enforcer acting in it.
func benchNS(b *testing.B) (string, *Enforcer) {
	l := newLab(b)
	return l.dev, l.e
}

// bigConfig is one bound list of n rules, every 1000th with a connlimit.
func bigConfig(b testing.TB, n int) *acl.Config { return config(b, bigText(n)) }

// BenchmarkApply10k is the first apply of a 10,000-rule list: compile, count live
// sessions, one transaction creating the table. Compare with BenchmarkNftF10k.
func BenchmarkApply10k(b *testing.B) {
	ns, e := benchNS(b)
	cfg := bigConfig(b, 10000)
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		exec.Command("ip", "netns", "exec", ns, "nft", "delete", "table", "inet", Table).Run()
		fresh := &Enforcer{IfName: e.IfName, NetNS: e.NetNS}
		b.StartTimer()
		if err := fresh.Apply(cfg); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		fresh.Close()
		b.StartTimer()
	}
}

// BenchmarkChangeOneLine10k changes one line in the middle of a bound 10,000-rule
// list and applies it: the diff sends one rule deletion and one insertion.
// kernel-ns/op is the time of the transaction itself.
func BenchmarkChangeOneLine10k(b *testing.B) {
	_, e := benchNS(b)
	cfgs := [2]*acl.Config{bigConfig(b, 10000), bigConfig(b, 10000)}
	a := cfgs[1].ACLs["big"]
	if err := a.DeleteSeq(5002); err != nil {
		b.Fatal(err)
	}
	if _, err := a.Add(rule(b, "seq 5002 permit tcp host 10.9.9.9 any eq 2222")); err != nil {
		b.Fatal(err)
	}
	if err := e.Apply(cfgs[0]); err != nil {
		b.Fatal(err)
	}
	i := 0
	k0 := KernelTime(e)
	b.ResetTimer()
	for b.Loop() {
		i++
		if err := e.Apply(cfgs[i%2]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(KernelTime(e)-k0)/float64(i), "kernel-ns/op")
}

// BenchmarkSessionEnd is the follow daemon's work when a session counted in
// userspace ends: the source's offset element changes (and its kernel list is
// reset) in one small transaction, with a 10,000-rule list bound.
func BenchmarkSessionEnd(b *testing.B) {
	_, e := benchNS(b)
	cfg := bigConfig(b, 10000)
	if err := e.Apply(cfg); err != nil {
		b.Fatal(err)
	}
	src := netip.MustParseAddr("10.0.0.1")
	l := LimitsOf(cfg)[0]
	if err := SetOffset(e, l, src, 3, true); err != nil {
		b.Fatal(err)
	}
	if err := SetOffset(e, l, src, 2, false); err != nil { // the state is read once
		b.Fatal(err)
	}
	i := 0
	k0, cpu0 := KernelTime(e), cpuTime()
	for b.Loop() {
		i++
		if err := SetOffset(e, l, src, 1+i%2, false); err != nil {
			b.Fatal(err)
		}
	}
	// Wall time includes the kernel's wait for an RCU grace period when an
	// element is deleted; cpu-ns/op is the CPU the process used (user and system).
	b.ReportMetric(float64(KernelTime(e)-k0)/float64(i), "kernel-ns/op")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(i), "cpu-ns/op")
}

// cpuTime is the CPU time this process used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkNftF10k loads the same ruleset with `nft -f`, replacing the table, for
// comparison.
func BenchmarkNftF10k(b *testing.B) {
	ns, _ := benchNS(b)
	cfg := bigConfig(b, 10000)
	f := filepath.Join(b.TempDir(), "plan.nft")
	text := "table inet aclsh\ndelete table inet aclsh\n" + Compile(cfg, "mgmt0", nil).String()
	if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if out, err := exec.Command("ip", "netns", "exec", ns, "nft", "-f", f).CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
	}
}

// BenchmarkStats10k100k reads counters and sessions for show access-lists with a
// 10,000-rule list and 100,000 conntrack entries (real UDP flows from the client).
func BenchmarkStats10k100k(b *testing.B) {
	l := newLab(b)
	cfg := bigConfig(b, 10000)
	a := cfg.ACLs["big"]
	if _, err := a.Add(acl.Rule{Seq: 10001, Proto: acl.ProtoNum(17)}); err != nil {
		b.Fatal(err)
	}
	if err := l.e.Apply(cfg); err != nil {
		b.Fatal(err)
	}
	inNS(b, l.cli, func() {
		dst := &net.UDPAddr{IP: net.ParseIP("10.24.12.129"), Port: 9}
		for i := range 100000 {
			src := &net.UDPAddr{IP: net.ParseIP(fmt.Sprintf("10.24.12.%d", 107+i/50000)), Port: 10000 + i%50000}
			c, err := net.ListenUDP("udp", src)
			if err != nil {
				b.Fatal(err)
			}
			c.WriteTo([]byte("x"), dst)
			c.Close()
		}
	})
	ct, err := conntrack.Dial(&netlink.Config{NetNS: l.e.NetNS})
	if err != nil {
		b.Fatal(err)
	}
	flows, err := ct.Dump(nil)
	ct.Close()
	if err != nil || len(flows) < 100000 {
		b.Fatalf("conntrack has %d flows (%v), want 100000", len(flows), err)
	}
	b.ResetTimer()
	for b.Loop() {
		st, err := l.e.Stats(cfg)
		if err != nil {
			b.Fatal(err)
		}
		if st.State != InSync {
			b.Fatalf("state %v", st.State)
		}
	}
}

// lines100k is 100,000, or the most lines a list may have while seq stops below.
var lines100k = min(100000, int(acl.MaxSeq))

// BenchmarkApply100k is BenchmarkApply10k with 100,000 rules (runs of 999 lines
// compiled into sets between the connlimit lines).
func BenchmarkApply100k(b *testing.B) {
	ns, e := benchNS(b)
	cfg := bigConfig(b, lines100k)
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		exec.Command("ip", "netns", "exec", ns, "nft", "delete", "table", "inet", Table).Run()
		fresh := &Enforcer{IfName: e.IfName, NetNS: e.NetNS}
		b.StartTimer()
		if err := fresh.Apply(cfg); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		fresh.Close()
		b.StartTimer()
	}
}

// BenchmarkChangeOneLine100k is BenchmarkChangeOneLine10k with 100,000 rules: the
// changed line is inside a run, so the diff deletes one set element and adds one.
func BenchmarkChangeOneLine100k(b *testing.B) {
	_, e := benchNS(b)
	cfgs := [2]*acl.Config{bigConfig(b, lines100k), bigConfig(b, lines100k)}
	a := cfgs[1].ACLs["big"]
	if err := a.DeleteSeq(acl.Seq(lines100k / 2)); err != nil {
		b.Fatal(err)
	}
	if _, err := a.Add(rule(b, fmt.Sprintf("seq %d permit tcp host 10.9.9.9 any eq 2222", lines100k/2))); err != nil {
		b.Fatal(err)
	}
	if err := e.Apply(cfgs[0]); err != nil {
		b.Fatal(err)
	}
	i := 0
	k0 := KernelTime(e)
	b.ResetTimer()
	for b.Loop() {
		i++
		if err := e.Apply(cfgs[i%2]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(KernelTime(e)-k0)/float64(i), "kernel-ns/op")
}

// connList is a list of n lines whose last admits the lab's client
// (10.24.12.107) to port 22; the others admit other hosts. Alternating, the
// lines before the last alternate permit and deny (one verdict map since runs
// mix actions; every line a rule before).
func connList(b *testing.B, n int, alternating bool) *acl.Config {
	var sb strings.Builder
	sb.WriteString("ip access-list extended conn\n")
	for i := range n - 1 {
		action := "permit"
		if alternating && i%2 == 1 {
			action = "deny"
		}
		fmt.Fprintf(&sb, " seq %d %s tcp host 10.%d.%d.%d any eq %d\n", i+1, action, 1+i/65536, i/256%256, i%256, 1+i%60000)
	}
	fmt.Fprintf(&sb, " seq %d permit tcp host 10.24.12.107 any eq 22\n", n)
	sb.WriteString("interface management 0\n ip access-group conn in\n")
	return config(b, sb.String())
}

// BenchmarkConnRate opens new TCP connections (handshake, then a reset) from the
// client to the device through lists of 1, 10,000 and 100,000 lines whose last
// line admits the client (compiled into sets), and of 10,000 alternating permit
// and deny lines, each in its own lab, in turns of 50
// connections. It reports connections per second through each and, as x-N, the
// rate through N lines over the rate through 1 line: the median over the turns
// of the ratio of neighbouring bursts, so that load from other processes,
// which comes and goes, weighs little.
// (While seq stops at 65535, the longest list is 65,535 lines: "65k".)
func BenchmarkConnRate(b *testing.B) {
	cases := []connCase{
		{"1", connList(b, 1, false)},
		{"10k", connList(b, 10000, false)},
		{fmt.Sprintf("%dk", lines100k/1000), connList(b, lines100k, false)},
		{"10k-alt", connList(b, 10000, true)},
	}
	connRate(b, cases)
}

// nestedList is a list of n lines: n/2 pairs of an exception and the wider line
// it is carved from (`deny tcp host H any eq P`, `permit tcp H's /24 any`),
// then the line admitting the lab's client.
func nestedList(b *testing.B, n int) *acl.Config {
	var sb strings.Builder
	sb.WriteString("ip access-list extended nest\n")
	for i := range (n - 1) / 2 {
		fmt.Fprintf(&sb, " seq %d deny tcp host 10.%d.%d.1 any eq %d\n", 2*i+1, 1+i/256, i%256, 1+i%60000)
		fmt.Fprintf(&sb, " seq %d permit tcp 10.%d.%d.0/24 any\n", 2*i+2, 1+i/256, i%256)
	}
	fmt.Fprintf(&sb, " seq %d permit tcp host 10.24.12.107 any eq 22\n", n)
	sb.WriteString("interface management 0\n ip access-group nest in\n")
	return config(b, sb.String())
}

// BenchmarkConnRateShapes is BenchmarkConnRate through lists of other shapes,
// against a 1-line list in the same run: 10,000 lines alternating permit and
// deny (disjoint hosts) and 10,000 lines of nested exceptions (5,000 pairs),
// the client's line last.
func BenchmarkConnRateShapes(b *testing.B) {
	connRate(b, []connCase{
		{"1", connList(b, 1, false)},
		{"10k-alt", connList(b, 10000, true)},
		{"10k-nested", nestedList(b, 10001)},
	})
}

// blockList is a blocklist of n lines (`deny ip host X any`, hosts outside the
// lab), then `permit tcp any any eq 22`.
func blockList(b *testing.B, n int) *acl.Config { return config(b, blockText(n, false)) }

// BenchmarkConnRateBlocklist1M is BenchmarkConnRate through a blocklist of
// 1,000,000 lines and the permit after it, against a 1-line list in the same
// run (setting up takes about a minute: the first apply).
func BenchmarkConnRateBlocklist1M(b *testing.B) {
	connRate(b, []connCase{
		{"1", connList(b, 1, false)},
		{"1M", blockList(b, 1000000)},
	})
}

type connCase struct {
	name string
	cfg  *acl.Config
}

// connRate measures new connections per second through each case's list, the
// first the reference (see BenchmarkConnRate).
func connRate(b *testing.B, cases []connCase) {
	labs := make([]*lab, len(cases))
	for i, c := range cases {
		labs[i] = newLab(b)
		labs[i].serveTCP(":22")
		if err := labs[i].e.Apply(c.cfg); err != nil {
			b.Fatal(err)
		}
		// every connection gets through
		conn, err := labs[i].dial(labs[i].cli, "10.24.12.107", dev)
		if err != nil {
			b.Fatalf("%s lines: %v", c.name, err)
		}
		conn.Close()
	}
	spent := make([]time.Duration, len(cases))
	ratios := make([][]float64, len(cases))
	n := 0
	const burst = 50
	for b.Loop() {
		for i, l := range labs {
			inNS(b, l.cli, func() {
				d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("10.24.12.107")}}
				start := time.Now()
				for range burst {
					c, err := d.Dial("tcp", dev)
					if err != nil {
						b.Error(err)
						return
					}
					c.(*net.TCPConn).SetLinger(0) // a reset: no TIME_WAIT to run out of ports
					c.Close()
				}
				spent[i] += time.Since(start)
				ratios[i] = append(ratios[i], float64(time.Since(start)))
			})
		}
		for i := len(labs) - 1; i >= 0; i-- {
			ratios[i][len(ratios[i])-1] = ratios[0][len(ratios[0])-1] / ratios[i][len(ratios[i])-1]
		}
		n += burst
	}
	rate := func(i int) float64 { return float64(n) / spent[i].Seconds() }
	for i, c := range cases {
		b.ReportMetric(rate(i), "conn/s-"+c.name)
		if i > 0 {
			sort.Float64s(ratios[i])
			b.ReportMetric(ratios[i][len(ratios[i])/2], "x-"+c.name)
		}
	}
}
