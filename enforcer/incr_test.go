package enforcer_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
	. "github.com/aclsh/aclsh/enforcer"
)

// planDump renders everything a plan holds: its nft text, and what the text
// leaves out (each rule's and each run element's show counter, the limits).
func planDump(p *Plan) string {
	var b strings.Builder
	b.WriteString(p.String())
	for _, c := range p.Chains {
		for _, r := range c.Rules {
			fmt.Fprintf(&b, "rule %s %s count=%q logged=%q\n", c.Name, r.Key, r.Count, r.Logged)
		}
	}
	for _, s := range p.Sets {
		for _, e := range s.Elems {
			fmt.Fprintf(&b, "elem %s %x-%x %s %s\n", s.Name, e.Key, e.End, e.Line, e.Count)
		}
	}
	for _, l := range p.Limits {
		fmt.Fprintf(&b, "limit %s %s %d %x\n", l.ID, l.ACL, l.Rule.Seq, l.Mark)
	}
	return b.String()
}

// randomLine is a random line of a list in family v6: mostly lines that form
// runs (hosts, prefixes, ports of every kind), some that break them (the other
// action, overlaps, wildcards, connlimit, log, established).
func randomLine(r *rand.Rand, v6 bool, action string) string {
	addr := func() string {
		if v6 {
			switch r.IntN(6) {
			case 0:
				return "any"
			case 1:
				return fmt.Sprintf("2001:db8:%x::/48", r.IntN(64))
			case 2:
				return fmt.Sprintf("fd77::%x/124", r.IntN(64)*16)
			}
			return fmt.Sprintf("host fd77::%x", r.IntN(400))
		}
		switch r.IntN(8) {
		case 0:
			return "any"
		case 1:
			return fmt.Sprintf("10.%d.0.0/16", r.IntN(40))
		case 2:
			return fmt.Sprintf("192.0.2.%d/30", r.IntN(64)*4)
		case 3:
			return fmt.Sprintf("10.1.%d.0 0.0.0.%d", r.IntN(200), []int{5, 255}[r.IntN(2)])
		}
		return fmt.Sprintf("host 10.%d.%d.%d", r.IntN(3), r.IntN(20), r.IntN(250))
	}
	ports := []string{"", "", "eq 22", "eq 80", "neq 80", "lt 443", "gt 1023", "range 80 443", "range 8000 9000"}
	protos := []string{"tcp", "tcp", "tcp", "udp", "udp", "ip", "icmp", "47"}
	proto := protos[r.IntN(len(protos))]
	if proto == "ip" && v6 {
		proto = "ipv6"
	}
	line := fmt.Sprintf("%s %s %s", action, proto, addr())
	dst := addr()
	if proto == "tcp" || proto == "udp" {
		if r.IntN(4) == 0 {
			line += " " + ports[r.IntN(len(ports))]
		}
		line = strings.TrimRight(line, " ") + " " + dst + " " + ports[r.IntN(len(ports))]
	} else {
		line += " " + dst
	}
	line = strings.TrimRight(line, " ")
	switch r.IntN(40) {
	case 0:
		if proto == "tcp" && action == "permit" {
			line += " established"
		}
	case 1:
		line += " log"
	case 2:
		if strings.Contains(line, "host ") && !strings.Contains(line, " 0.0.0.") {
			line += fmt.Sprintf(" connlimit %d", 1+r.IntN(4))
		}
	}
	return line
}

// randomLists is a config binding an IPv4 and an IPv6 list of n random lines
// each (see randomLine), the action changing now and then.
func randomLists(t *testing.T, r *rand.Rand, n int) *acl.Config {
	var text strings.Builder
	for _, name := range []string{"v4", "v6"} {
		v6 := name == "v6"
		if v6 {
			text.WriteString("ipv6 access-list extended v6\n")
		} else {
			text.WriteString("ip access-list extended v4\n")
		}
		action := "permit"
		seen := map[string]bool{}
		for len(seen) < n {
			if r.IntN(25) == 0 {
				action = map[string]string{"permit": "deny", "deny": "permit"}[action]
			}
			if line := randomLine(r, v6, action); !seen[line] {
				seen[line] = true
				fmt.Fprintf(&text, " seq %d %s\n", 10*len(seen), line)
			}
		}
	}
	text.WriteString("interface management 0\n ip access-group v4 in\n ipv6 access-group v6 in\n")
	return config(t, text.String())
}

// randomEdit makes a random edit of cfg (a line added, deleted or changed
// anywhere, a remark added, the log interval changed, a list resequenced, or
// nothing) and returns what kind it was.
func randomEdit(t *testing.T, r *rand.Rand, cfg *acl.Config, step int) string {
	parse := func(v6 bool, line string) acl.Rule {
		head := "ip access-list extended x\n "
		if v6 {
			head = "ipv6 access-list extended x\n "
		}
		return config(t, head+line+"\n").ACLs["x"].Entries()[0]
	}
	name := []string{"v4", "v6"}[r.IntN(2)]
	a := cfg.ACLs[name]
	es := a.Entries()
	switch kind := r.IntN(20); {
	case kind < 6:
		require.NoError(t, a.DeleteSeq(es[r.IntN(len(es))].Seq))
		return "delete"
	case kind < 12: // where there is room
		i := r.IntN(len(es) - 1)
		if es[i+1].Seq-es[i].Seq < 2 {
			return "none"
		}
		line := fmt.Sprintf("seq %d %s", es[i].Seq+1, randomLine(r, name == "v6", es[i].Action.String()))
		if r.IntN(5) == 0 {
			line = fmt.Sprintf("seq %d remark step %d", es[i].Seq+1, step)
		}
		if _, err := a.Add(parse(name == "v6", line)); err != nil {
			return "none" // the same line exists
		}
		return "add"
	case kind < 17:
		e := es[r.IntN(len(es))]
		action := e.Action.String()
		if r.IntN(4) == 0 {
			action = map[string]string{"permit": "deny", "deny": "permit"}[action]
		}
		nr := parse(name == "v6", fmt.Sprintf("seq %d %s", e.Seq, randomLine(r, name == "v6", action)))
		require.NoError(t, a.DeleteSeq(e.Seq))
		if _, err := a.Add(nr); err != nil {
			_, err = a.Add(e)
			require.NoError(t, err)
			return "none"
		}
		return "change"
	case kind == 17:
		require.NoError(t, cfg.SetLogInterval(uint32(1000*(1+r.IntN(3)))))
		return "log interval"
	case kind == 18 && r.IntN(4) == 0:
		require.NoError(t, a.Resequence(10, 10))
		return "resequence"
	}
	return "none"
}

// TestCompilerReusedAgreesWithCompile: a Compiler reused across a random
// sequence of edits of long IPv4 and IPv6 lists (a line added, deleted or
// changed anywhere, remarks, the log interval, resequencing, nothing; offsets)
// makes exactly the plan a fresh Compile makes after each edit, and knows the
// line of every key of that plan.
func TestCompilerReusedAgreesWithCompile(t *testing.T) {
	r := rand.New(rand.NewPCG(88, 1))
	cfg := randomLists(t, r, 400)
	var cc Compiler
	edits := map[string]int{}
	sets := 0
	for step := range 300 {
		kind := randomEdit(t, r, cfg, step)
		edits[kind]++
		var pre Pre
		if ls := LimitsOf(cfg); kind == "none" && len(ls) > 0 {
			// offsets: a connlimit line's chains and sets change
			pre = Pre{ls[0].ID: {ls[0].Rule.Src.Addr: 1 + r.IntN(3)}}
		}
		got := cc.Compile(cfg, "mgmt0", pre)
		want := Compile(cfg.Clone(), "mgmt0", pre)
		require.Equal(t, planDump(want), planDump(got), "step %d", step)
		sets += len(got.Sets)
		for _, c := range got.Chains[1:] {
			if c.Name != "acl4" && c.Name != "acl6" {
				continue
			}
			for _, rr := range c.Rules {
				if ro := rr.Count.Role; !rr.Count.IsZero() && (ro == Matched || ro == LogSeen) {
					lr, ok := CompiledLine(&cc, rr.Key)
					require.True(t, ok, "step %d: the line of %s", step, rr.Key)
					require.Equal(t, rr.Count.Seq, lr.Seq, "step %d: the line of %s", step, rr.Key)
				}
			}
		}
		for _, s := range got.Sets {
			for _, e := range s.Elems {
				if e.Line != "" {
					lr, ok := CompiledLine(&cc, e.Line+"/m")
					require.True(t, ok, "step %d: the line of %s", step, e.Line)
					require.Equal(t, e.Count.Seq, lr.Seq, "step %d: the line of %s", step, e.Line)
				}
			}
		}
	}
	t.Logf("edits: %v; %d sets", edits, sets)
	require.Greater(t, sets, 300*4, "the lists have runs")
}

// TestApplyEditsOnKernel: one enforcer applies a random sequence of edits of
// IPv4 and IPv6 lists compiled into run sets; after each the kernel's table is
// what the config needs (Stats compares every rule, set and element), without
// replacing the table; at the end it holds what a fresh apply makes.
func TestApplyEditsOnKernel(t *testing.T) { applyEditsOnKernel(t) }

// TestApplyEditsOnKernelSharded is TestApplyEditsOnKernel with every verdict
// map of more than 8 elements sharded: edits move lines in and out of shards,
// split and join them.
func TestApplyEditsOnKernelSharded(t *testing.T) {
	defer SetShardSizes(8, 4, 8)()
	applyEditsOnKernel(t)
}

func applyEditsOnKernel(t *testing.T) {
	r := rand.New(rand.NewPCG(88, 2))
	cfg := randomLists(t, r, 120)
	l := newLab(t)
	require.NoError(t, l.e.Apply(cfg))
	edits := map[string]int{}
	for step := range 40 {
		edits[randomEdit(t, r, cfg, step)]++
		l.applyInSync(cfg, fmt.Sprintf("step %d", step))
	}
	l.sameAsFresh(cfg)
	t.Logf("edits: %v", edits)
}

// applyInSync applies cfg and checks that the kernel's table is what cfg needs
// (Stats compares every rule, set and element).
func (l *lab) applyInSync(cfg *acl.Config, what string) {
	l.t.Helper()
	require.NoError(l.t, l.e.Apply(cfg), what)
	st, err := l.e.Stats(cfg)
	require.NoError(l.t, err)
	require.Equal(l.t, InSync, st.State, "%s: kernel:\n%s", what, l.nft("list", "table", "inet", Table))
}

// sameAsFresh checks that every change was applied as a diff and that the
// kernel holds what a fresh apply of cfg makes.
func (l *lab) sameAsFresh(cfg *acl.Config) {
	l.t.Helper()
	require.Zero(l.t, FullReplaces(l.e), "applied as diffs")
	b := newLab(l.t)
	require.NoError(l.t, b.e.Apply(cfg))
	require.Equal(l.t, objects(b), objects(l))
}

// TestCompilerChangeOneLine: changing one line of a bound 10,000-line list makes
// the Compiler segment again only the lines of the run around it, not the list;
// the plan is the one Compile makes.
func TestCompilerChangeOneLine(t *testing.T) {
	cfg := bigConfig(t, 10000)
	var cc Compiler
	cc.Compile(cfg, "mgmt0", nil)
	require.GreaterOrEqual(t, Segmented(&cc), 10000)
	cc.Compile(cfg, "mgmt0", nil)
	require.Zero(t, Segmented(&cc), "nothing changed")
	a := cfg.ACLs["big"]
	for _, seq := range []acl.Seq{5002, 5500, 5999, 6001, 1, 10000} {
		old := a.Entries()[seq-1]
		require.Equal(t, seq, old.Seq)
		require.NoError(t, a.DeleteSeq(seq))
		_, err := a.Add(rule(t, fmt.Sprintf("seq %d permit tcp host 10.9.9.9 any eq 2222", seq)))
		require.NoError(t, err)
		p := cc.Compile(cfg, "mgmt0", nil)
		require.LessOrEqual(t, Segmented(&cc), 2002, "seq %d changed", seq)
		require.Equal(t, planDump(Compile(cfg.Clone(), "mgmt0", nil)), planDump(p))
		require.NoError(t, a.DeleteSeq(seq))
		_, err = a.Add(old)
		require.NoError(t, err)
		cc.Compile(cfg, "mgmt0", nil)
		require.LessOrEqual(t, Segmented(&cc), 2002, "seq %d restored", seq)
	}
	// one line added
	_, err := a.Add(rule(t, "seq 10001 permit tcp host 10.9.9.9 any eq 2222"))
	require.NoError(t, err)
	p := cc.Compile(cfg, "mgmt0", nil)
	require.LessOrEqual(t, Segmented(&cc), 1001)
	require.Equal(t, planDump(Compile(cfg.Clone(), "mgmt0", nil)), planDump(p))
}

// growLines are lines added one by one behind a bound list whose last run
// reaches its end: lines the run takes (some overlapping earlier ones: another
// layer), lines with a prefix length the list had not used (the run is made
// again: the ones with /32 or /16 to 10.1.1.1 or from 10.201.0.0), a line that
// ends the run (log), and lines after it (a new run).
var growLines = []string{
	"permit tcp host 10.200.0.1 any eq 22",
	"deny tcp host 10.200.0.2 any eq 23",
	"permit tcp host 10.200.0.1 any",
	"permit udp host 10.200.0.3 host 10.1.1.1 eq 53",
	"permit udp host 10.200.0.3 host 10.1.1.2 eq 53",
	"deny ip host 10.200.0.4 any",
	"permit tcp 10.201.0.0 0.0.255.255 any eq 443",
	"permit tcp host 10.200.0.5 any eq 22",
	"permit tcp host 10.200.0.6 any eq 22 log",
	"permit tcp host 10.200.0.7 any eq 22",
	"permit tcp host 10.200.0.8 any eq 22",
	"permit tcp host 10.200.0.9 any eq 22",
	"permit tcp host 10.200.0.10 any eq 22",
	"permit tcp host 10.200.0.11 any eq 22",
}

// TestCompilerGrowsRunAtEnd: a line added behind a bound 10,000-line list whose
// last run reaches its end makes the Compiler look at the new line only (the run
// goes on from where it stopped), not at the run's 999 lines (nor at the
// list's lines for a line that makes a short tail longer); the plan is the
// one Compile makes, after each line added and after they are taken away again.
func TestCompilerGrowsRunAtEnd(t *testing.T) {
	cfg := bigConfig(t, 10000)
	var cc Compiler
	cc.Compile(cfg, "mgmt0", nil)
	a := cfg.ACLs["big"]
	var added []acl.Seq
	for i, line := range growLines {
		seq := acl.Seq(20000 + i)
		_, err := a.Add(rule(t, fmt.Sprintf("seq %d %s", seq, line)))
		require.NoError(t, err)
		added = append(added, seq)
		p := cc.Compile(cfg, "mgmt0", nil)
		require.Equal(t, planDump(Compile(cfg.Clone(), "mgmt0", nil)), planDump(p), "after %q", line)
		if !strings.Contains(line, "10.201.") && !strings.Contains(line, "10.1.1.1") {
			// the new line (and a tail too short to be a run yet)
			require.LessOrEqual(t, Segmented(&cc), 2*MinRun, "after %q", line)
		}
	}
	for _, seq := range slices.Backward(added) {
		require.NoError(t, a.DeleteSeq(seq))
		p := cc.Compile(cfg, "mgmt0", nil)
		require.Equal(t, planDump(Compile(cfg.Clone(), "mgmt0", nil)), planDump(p), "seq %d taken away", seq)
	}
}

// TestApplyGrowsRunOnKernel: lines added one by one behind a bound list whose
// last run reaches its end, each applied: the kernel's table is what the config
// needs after each (Stats compares every rule, set and element), and at the end
// what a fresh apply makes.
func TestApplyGrowsRunOnKernel(t *testing.T) { applyGrowsRunOnKernel(t) }

// TestApplyGrowsRunOnKernelSharded is TestApplyGrowsRunOnKernel with verdict
// maps of more than 64 elements sharded.
func TestApplyGrowsRunOnKernelSharded(t *testing.T) {
	defer SetShardSizes(64, 16, 64)()
	applyGrowsRunOnKernel(t)
}

func applyGrowsRunOnKernel(t *testing.T) {
	cfg := bigConfig(t, 2000)
	l := newLab(t)
	require.NoError(t, l.e.Apply(cfg))
	a := cfg.ACLs["big"]
	for i, line := range growLines {
		_, err := a.Add(rule(t, fmt.Sprintf("seq %d %s", 20000+i, line)))
		require.NoError(t, err)
		l.applyInSync(cfg, fmt.Sprintf("after %q", line))
	}
	l.sameAsFresh(cfg)
}
