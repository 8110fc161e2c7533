package enforcer_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
	. "github.com/aclsh/aclsh/enforcer"
)

// counterLab is a lab whose list a has three permit lines for UDP ports 5301-5303
// (three rules: too few for a run), a deny log line for port 53 and a permit
// for the echo port 7, with real datagrams counted by each.
func counterLab(t *testing.T) *lab {
	l := newLab(t)
	for _, p := range []string{":53", ":5301", ":5302", ":5303", ":5304"} {
		l.countUDP(p)
	}
	l.serveUDP(":7")
	return l
}

// traffic sends n datagrams to each port, from 10.24.12.107, after one echo
// that resolves the device's address (packets queued for ARP can be lost).
func (l *lab) traffic(n map[int]int) {
	l.t.Helper()
	// Again when it is lost (the first, queued for ARP, or late on a loaded
	// machine): the echo line's counter is not checked.
	var err error
	for deadline := time.Now().Add(5 * time.Second); ; {
		var c interface{ Close() error }
		if c, err = l.udpExchange(l.cli, "10.24.12.107", "10.24.12.129:7"); err == nil {
			c.Close()
			break
		}
		require.True(l.t, time.Now().Before(deadline), "the device's echo does not answer: %v", err)
	}
	for port, k := range n {
		l.flood(fmt.Sprintf("10.24.12.129:%d", port), k, 0)
	}
}

// lineCounts returns show access-lists' lines for list a's entries (without
// the header, implicit lines and the note), after checking the kernel is in step.
func lineCounts(t *testing.T, show string) []string {
	t.Helper()
	require.NotContains(t, show, "% kernel")
	var out []string
	in := false
	for _, ln := range strings.Split(show, "\n") {
		switch {
		case strings.HasPrefix(ln, "IPv4 access list a,"):
			in = true
		case !strings.HasPrefix(ln, " "):
			in = false
		case in && strings.HasPrefix(ln, " seq "):
			out = append(out, ln)
		}
	}
	return out
}

// Issue 16, item 6: a line's counters (its matches; for a log line also what its
// log rule saw and logged, so the log lines suppressed) survive every change
// that keeps the line: lines added or removed around it (which moves lines into
// a run set and back out), resequence (which renames a log line's log prefix),
// a new logging interval (a new log rate), another family's list bound, the same
// binding again. Real datagrams, typed interactively.
func TestCountersSurviveOnKernel(t *testing.T) {
	l := counterLab(t)
	k := newKernelShell(t, l)
	k.run("conf t", "ip access-list extended a",
		"10 permit udp any any eq 5301", "20 permit udp any any eq 5302", "30 permit udp any any eq 5303",
		"45 deny udp any any eq 53 log", "60 permit udp any any eq 7",
		"interface management 0", "ip access-group a in", "end")
	l.traffic(map[int]int{5301: 2, 5302: 3, 5303: 4, 53: 3})
	counts := func(seqs [4]int) []string {
		return []string{
			fmt.Sprintf(" seq %d permit udp any any eq 5301 (2 matches)", seqs[0]),
			fmt.Sprintf(" seq %d permit udp any any eq 5302 (3 matches)", seqs[1]),
			fmt.Sprintf(" seq %d permit udp any any eq 5303 (4 matches)", seqs[2]),
			fmt.Sprintf(" seq %d deny udp any any eq 53 log (3 matches, 2 log lines suppressed)", seqs[3]),
		}
	}
	show := func() []string {
		t.Helper()
		got := lineCounts(t, k.run("show access-lists"))
		require.NotEmpty(t, got)
		return got[:len(got)-1] // the echo line's count is not exact (ARP, retries)
	}
	require.Equal(t, counts([4]int{10, 20, 30, 45}), show())

	// A fourth permit line joins the three into a run set: their counters move
	// into its elements.
	k.run("conf t", "ip access-list extended a", "35 permit udp any any eq 5304", "end")
	require.Contains(t, l.nft("list", "chain", "inet", Table, "acl4"), "@run_", "the four lines are a run")
	want := counts([4]int{10, 20, 30, 45})
	want = append(want[:3:3], " seq 35 permit udp any any eq 5304", want[3])
	require.Equal(t, want, show())

	// Without it the run is rules again: the counters move back.
	k.run("conf t", "ip access-list extended a", "no 35", "end")
	require.NotContains(t, l.nft("list", "chain", "inet", Table, "acl4"), "@run_")
	require.Equal(t, counts([4]int{10, 20, 30, 45}), show())

	// resequence: every seq changes, the log line's log prefix too.
	k.run("conf t", "ip access-list extended a", "resequence 100 10", "end")
	require.Contains(t, l.nft("list", "chain", "inet", Table, "acl4"), `"aclsh a seq 130: "`)
	require.Equal(t, counts([4]int{100, 110, 120, 130}), show())

	// Another logging interval: a new rate in the log rule.
	k.run("conf t", "ip access-list logging interval 500", "end")
	require.Contains(t, l.nft("list", "chain", "inet", Table, "acl4"), "limit rate 2/second")
	require.Equal(t, counts([4]int{100, 110, 120, 130}), show())

	// An IPv6 list bound beside it, and the same binding again.
	k.run("conf t", "ipv6 access-list extended six", "permit ipv6 any any",
		"interface management 0", "ipv6 access-group six in", "ip access-group a in", "end")
	require.Equal(t, counts([4]int{100, 110, 120, 130}), show())

	// The carried counters go on counting: the new log rule logs the first
	// datagram at once.
	l.traffic(map[int]int{5301: 1, 53: 3})
	got := show()
	require.Equal(t, " seq 100 permit udp any any eq 5301 (3 matches)", got[0])
	require.Equal(t, " seq 130 deny udp any any eq 53 log (6 matches, 4 log lines suppressed)", got[3])
	require.Zero(t, FullReplaces(l.e))

	// Clearing still zeroes them.
	k.run("clear access-list counters a")
	for _, ln := range show() {
		require.NotContains(t, ln, "match", "after clear")
	}
}

// The same with one process per commit (aclsh -c): each enforcer reads the
// table from the kernel, knowing nothing of the last commit.
func TestCountersSurviveFreshEnforcerOnKernel(t *testing.T) {
	l := counterLab(t)
	text := func(seq0, step int, iv string, extra string) *acl.Config {
		var b strings.Builder
		b.WriteString("ip access-list extended a\n")
		for i, body := range []string{"permit udp any any eq 5301", "permit udp any any eq 5302", "permit udp any any eq 5303", "deny udp any any eq 53 log", "permit udp any any eq 7"} {
			fmt.Fprintf(&b, " %d %s\n", seq0+i*step, body)
			if i == 2 && extra != "" {
				fmt.Fprintf(&b, " %d %s\n", seq0+i*step+1, extra)
			}
		}
		if iv != "" {
			b.WriteString("ip access-list logging interval " + iv + "\n")
		}
		b.WriteString("interface management 0\n ip access-group a in\n")
		return config(t, b.String())
	}
	fresh := func(cfg *acl.Config) {
		t.Helper()
		e := &Enforcer{IfName: "mgmt0", NetNS: int(l.devNS)}
		defer e.Close()
		require.NoError(t, e.Apply(cfg))
		require.Zero(t, FullReplaces(e))
	}
	fresh(text(10, 10, "", ""))
	l.traffic(map[int]int{5301: 2, 5302: 3, 5303: 4, 53: 3})
	check := func(cfg *acl.Config, seq0, step int) {
		t.Helper()
		st, err := l.e.Stats(cfg)
		require.NoError(t, err)
		require.Equal(t, InSync, st.State)
		for i, n := range []uint64{2, 3, 4, 3} {
			line := Line("a", acl.Seq(seq0+i*step))
			require.Equal(t, n, st.Counters[line].Packets, line)
		}
		line := Line("a", acl.Seq(seq0+3*step))
		require.Equal(t, uint64(3), st.Counters[line.As(LogSeen)].Packets, "%s: seen by the log rule", line)
		require.Equal(t, uint64(2), st.Suppressed(line), line)
	}
	for _, step := range []struct {
		cfg         *acl.Config
		seq0, delta int
	}{
		{text(10, 10, "", "permit udp any any eq 5304"), 10, 10}, // a run forms
		{text(10, 10, "", ""), 10, 10},                           // and goes
		{text(100, 5, "", ""), 100, 5},                           // resequence
		{text(100, 5, "250", ""), 100, 5},                        // logging interval
	} {
		fresh(step.cfg)
		check(step.cfg, step.seq0, step.delta)
	}
}

// Many lines moving at once (a commit that deletes the deny lines between
// twenty permit lines, which then form a run) keep their counters too.
func TestCountersSurviveManyOnKernel(t *testing.T) {
	l := newLab(t)
	l.countUDP(":6001")
	l.countUDP(":6020")
	l.serveUDP(":7")
	list := func(denies bool) *acl.Config {
		var b strings.Builder
		b.WriteString("ip access-list extended a\n permit udp any any eq 7\n")
		for i := 1; i <= 20; i++ {
			fmt.Fprintf(&b, " permit udp any any eq %d\n", 6000+i)
			if denies {
				// lines that stay rules (a deny of another action would not
				// end a run: runs mix actions)
				fmt.Fprintf(&b, " deny tcp any any eq %d established\n", 7000+i)
			}
		}
		b.WriteString("interface management 0\n ip access-group a in\n")
		return config(t, b.String())
	}
	require.NoError(t, l.e.Apply(list(true)))
	require.NotContains(t, l.nft("list", "chain", "inet", Table, "acl4"), "@run_")
	l.traffic(map[int]int{6001: 2, 6020: 3})
	cfg := list(false)
	require.NoError(t, l.e.Apply(cfg))
	require.Contains(t, l.nft("list", "chain", "inet", Table, "acl4"), "@run_")
	st, err := l.e.Stats(cfg)
	require.NoError(t, err)
	require.Equal(t, uint64(2), st.Counters[Line("a", 20)].Packets, "seq 20: port 6001")
	require.Equal(t, uint64(3), st.Counters[Line("a", 210)].Packets, "seq 210: port 6020")
	require.Zero(t, FullReplaces(l.e))
}
