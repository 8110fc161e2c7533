package enforcer_test

import (
	"os"
	"strconv"
	"testing"
	"time"

	. "github.com/aclsh/aclsh/enforcer"
)

// BenchmarkBlocklistShow times what BenchmarkBlocklist1M's show steps time
// (stats-s, summary-s, show-s) over one apply of the same blocklist
// (ACLSH_BLOCK_LINES lines, 1,000,000 by default), so that a profile of it
// (-cpuprofile) holds only those steps and -benchtime Nx repeats them.
// stats-cpu-s, summary-cpu-s and show-cpu-s are the process's CPU time (user
// and system, every thread) during each step: steadier than the wall time on a
// busy machine. ACLSH_DUMPERS=n reads the run maps on n sockets at once (SetDumpers).
func BenchmarkBlocklistShow(b *testing.B) {
	n := blockLines()
	text := blockText(n, false)
	cfg := config(b, text)
	l := newLab(b)
	if n, err := strconv.Atoi(os.Getenv("ACLSH_DUMPERS")); err == nil {
		SetDumpers(l.e, n)
	}
	if err := l.e.Apply(cfg); err != nil {
		b.Fatal(err)
	}
	sh := showShell(b, l, b.TempDir(), text)
	var stats, summary, show, other, statsCPU, summaryCPU, showCPU, otherCPU time.Duration
	for b.Loop() {
		t0, c0 := time.Now(), cpuTime()
		st, err := l.e.Stats(cfg)
		if err != nil {
			b.Fatal(err)
		}
		stats += time.Since(t0)
		statsCPU += cpuTime() - c0
		if st.State != InSync {
			b.Fatalf("state %v", st.State)
		}
		t0, c0 = time.Now(), cpuTime()
		if err := sh.Run("show access-lists summary"); err != nil {
			b.Fatal(err)
		}
		summary += time.Since(t0)
		summaryCPU += cpuTime() - c0
		t0, c0 = time.Now(), cpuTime()
		if err := sh.Run("show access-lists"); err != nil {
			b.Fatal(err)
		}
		show += time.Since(t0)
		showCPU += cpuTime() - c0

		// another program changes the ruleset (a table of its own): the
		// generation is no longer aclsh's, and Stats reads every element
		// and compares the table with the plan; the apply after it (not
		// timed) makes the generation aclsh's again
		l.nft("add", "table", "inet", "bench_other")
		l.nft("delete", "table", "inet", "bench_other")
		t0, c0 = time.Now(), cpuTime()
		st, err = l.e.Stats(cfg)
		if err != nil {
			b.Fatal(err)
		}
		other += time.Since(t0)
		otherCPU += cpuTime() - c0
		if st.State != InSync {
			b.Fatalf("state %v after another program's change", st.State)
		}
		if err := l.e.Apply(cfg); err != nil {
			b.Fatal(err)
		}
	}
	s := func(d time.Duration) float64 { return d.Seconds() / float64(b.N) }
	b.ReportMetric(s(stats), "stats-s")
	b.ReportMetric(s(statsCPU), "stats-cpu-s")
	b.ReportMetric(s(summaryCPU), "summary-cpu-s")
	b.ReportMetric(s(showCPU), "show-cpu-s")
	b.ReportMetric(s(other), "stats-other-s")
	b.ReportMetric(s(otherCPU), "stats-other-cpu-s")
	b.ReportMetric(s(summary), "summary-s")
	b.ReportMetric(s(show), "show-s")
}
