package enforcer_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aclsh/aclsh/acl"
	statedir "github.com/aclsh/aclsh/config"
	. "github.com/aclsh/aclsh/enforcer"
	"github.com/aclsh/aclsh/internal/acltest"
	"github.com/aclsh/aclsh/shell"
)

// blockLines is how many lines BenchmarkBlocklist1M's list has: 1,000,000, or
// ACLSH_BLOCK_LINES.
func blockLines() int { return acltest.BlockLines(1000000) }

// peakRSS is the most memory this process has held resident, in MB.
func peakRSS() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Maxrss) / 1024
}

// BenchmarkBlocklist1M is the blocklist row of issue 21: 1,000,000 lines `deny
// ip host X any` and `permit tcp any any eq 22` (blockText), each step timed once
// per iteration: parse (the running-config's text to a config), the first
// apply in a fresh lab (kernel-s: the transaction itself), Stats (what show
// reads), `show access-lists summary` and `show access-lists` through a shell
// on the same enforcer (output discarded; the shell has read the
// running-config already, as the daemon has), a change of the line in the
// middle (change-ops: the commands of its transaction), and for comparison `nft -f` of the
// same plan's text into another lab and `nft list table` of it. rss-apply-MB
// is the process's peak RSS after parse and apply, rss-MB at the end (run it
// alone: the peak is the process's). ACLSH_BLOCK_LINES sets another length;
// ACLSH_BLOCK_HEAP=file writes a heap profile of what is live after the apply.
func BenchmarkBlocklist1M(b *testing.B) {
	n := blockLines()
	text := blockText(n, false)
	var parse, apply, kernel, stats, summary, show, change, nftF, nftList time.Duration
	var batch int
	var rssApply float64
	for b.Loop() {
		runtime.GC()
		t0 := time.Now()
		cfg := config(b, text)
		parse += time.Since(t0)
		l := newLab(b)
		t0 = time.Now()
		if err := l.e.Apply(cfg); err != nil {
			b.Fatal(err)
		}
		apply += time.Since(t0)
		kernel += KernelTime(l.e)
		rssApply = max(rssApply, peakRSS())
		if f := os.Getenv("ACLSH_BLOCK_HEAP"); f != "" {
			writeHeap(b, f) // what the apply left live, beside cfg
		}
		t0 = time.Now()
		st, err := l.e.Stats(cfg)
		if err != nil {
			b.Fatal(err)
		}
		stats += time.Since(t0)
		if st.State != InSync {
			b.Fatalf("state %v", st.State)
		}

		dir := b.TempDir()
		sh := showShell(b, l, dir, text)
		t0 = time.Now()
		if err := sh.Run("show access-lists summary"); err != nil {
			b.Fatal(err)
		}
		summary += time.Since(t0)
		t0 = time.Now()
		if err := sh.Run("show access-lists"); err != nil {
			b.Fatal(err)
		}
		show += time.Since(t0)
		sh = nil
		debug.FreeOSMemory()

		// one line in the middle changed: an element change of one shard
		a := cfg.ACLs["block"]
		if err := a.DeleteSeq(acl.Seq(n / 2)); err != nil {
			b.Fatal(err)
		}
		if _, err := a.Add(rule(b, fmt.Sprintf("seq %d deny ip host 192.0.2.1 any", n/2))); err != nil {
			b.Fatal(err)
		}
		t0 = time.Now()
		if err := l.e.Apply(cfg); err != nil {
			b.Fatal(err)
		}
		change += time.Since(t0)
		batch = max(batch, len(LastBatch(l.e)))
		if FullReplaces(l.e) != 0 {
			b.Fatal("the change replaced the table")
		}

		f := filepath.Join(dir, "plan.nft")
		if err := os.WriteFile(f, []byte(Compile(cfg, "mgmt0", nil).String()), 0o644); err != nil {
			b.Fatal(err)
		}
		other := newLab(b)
		t0 = time.Now()
		if out, err := exec.Command("ip", "netns", "exec", other.dev, "nft", "-f", f).CombinedOutput(); err != nil {
			b.Fatalf("nft -f: %v: %s", err, out)
		}
		nftF += time.Since(t0)
		t0 = time.Now()
		if out, err := exec.Command("ip", "netns", "exec", other.dev, "nft", "list", "table", "inet", Table).CombinedOutput(); err != nil {
			b.Fatalf("nft list: %v: %s", err, out)
		}
		nftList += time.Since(t0)
	}
	s := func(d time.Duration) float64 { return d.Seconds() / float64(b.N) }
	b.ReportMetric(s(parse), "parse-s")
	b.ReportMetric(s(apply), "apply-s")
	b.ReportMetric(s(kernel), "kernel-s")
	b.ReportMetric(s(nftF), "nft-f-s")
	b.ReportMetric(s(stats), "stats-s")
	b.ReportMetric(s(summary), "summary-s")
	b.ReportMetric(s(show), "show-s")
	b.ReportMetric(s(change), "change-s")
	b.ReportMetric(float64(batch), "change-ops")
	b.ReportMetric(s(nftList), "nft-list-s")
	b.ReportMetric(rssApply, "rss-apply-MB")
	b.ReportMetric(peakRSS(), "rss-MB")
}

// writeHeap writes a heap profile of what is live now to f.
func writeHeap(b *testing.B, f string) {
	runtime.GC()
	w, err := os.Create(f)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	if err := pprof.Lookup("heap").WriteTo(w, 0); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCompileBlocklist1M is the compiler's share of BenchmarkBlocklist1M's
// apply, without a kernel: a first compile of the blocklist (ACLSH_BLOCK_LINES
// lines), with the bytes it allocates, and live-MB: what the plan and the
// compiler's memo hold after it (ACLSH_BLOCK_HEAP=file: a heap profile of it).
func BenchmarkCompileBlocklist1M(b *testing.B) {
	cfg := config(b, blockText(blockLines(), false))
	var live float64
	b.ReportAllocs()
	for b.Loop() {
		c := &Compiler{}
		p := c.Compile(cfg, "mgmt0", nil)
		b.StopTimer()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		live = float64(ms.HeapAlloc) / (1 << 20)
		if f := os.Getenv("ACLSH_BLOCK_HEAP"); f != "" {
			writeHeap(b, f)
		}
		runtime.KeepAlive(p)
		runtime.KeepAlive(c)
		b.StartTimer()
	}
	b.ReportMetric(live, "live-MB")
}

var watchedRuns atomic.Int32

// BenchmarkBlocklistWatched is the first apply of BenchmarkBlocklist1M's list
// (ACLSH_BLOCK_LINES lines) into a fresh lab, three ways in each iteration:
// with no table watch (nowatch), with the enforcer's own table watch running
// as the follow daemon runs it and paused for the transaction (paused, at any
// size), and listening through it (listening: the pause threshold above the
// transaction). kernel-s is the transaction alone, apply-s the whole
// Apply, apply-MB and apply-allocs what the process allocated meanwhile (the
// watch's reading included). A socket elsewhere on the host that listens to nftables' notifications
// (nft monitor, another test's watch) slows every side: nowatch shows it.
func BenchmarkBlocklistWatched(b *testing.B) {
	cfg := config(b, blockText(blockLines(), false))
	sides := []struct {
		name    string
		watch   bool
		pauseAt int
	}{{"nowatch", false, 0}, {"paused", true, 1}, {"listening", true, math.MaxInt}}
	apply := make([]time.Duration, len(sides))
	kernel := make([]time.Duration, len(sides))
	allocMB := make([]float64, len(sides))
	allocs := make([]float64, len(sides))
	// One apply not measured: the process's heap grows to its size at the
	// first, which would make the first side measured slower.
	warm := newLab(b)
	if err := warm.e.Apply(cfg); err != nil {
		b.Fatal(err)
	}
	DropState(warm.e)
	for b.Loop() {
		// Each iteration (and run: -count) starts with the next side, so that
		// none is always first.
		first := int(watchedRuns.Add(1))
		for j := range sides {
			i := (first + j) % len(sides)
			s := sides[i]
			runtime.GC()
			l := newLab(b)
			paused := 0
			ctx, cancel := context.WithCancel(context.Background())
			if s.watch {
				if _, err := WatchTable(l.e, ctx); err != nil {
					b.Fatal(err)
				}
				SetPauseWatchAt(l.e, s.pauseAt)
				SetWatchPaused(l.e, func() { paused++ })
			}
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			t0 := time.Now()
			if err := l.e.Apply(cfg); err != nil {
				b.Fatal(err)
			}
			took := time.Since(t0)
			runtime.ReadMemStats(&m1)
			allocMB[i] += float64(m1.TotalAlloc-m0.TotalAlloc) / (1 << 20)
			allocs[i] += float64(m1.Mallocs - m0.Mallocs)
			apply[i] += took
			kernel[i] += KernelTime(l.e)
			b.Logf("%s: apply %.2f s, kernel %.2f s", s.name, took.Seconds(), KernelTime(l.e).Seconds())
			cancel()
			DropState(l.e) // the lab stays until the end: only one side's state in memory at a time
			if want := s.name == "paused"; (paused > 0) != want {
				b.Fatalf("%s: paused %d times", s.name, paused)
			}
		}
	}
	for i, s := range sides {
		b.ReportMetric(apply[i].Seconds()/float64(b.N), s.name+"-apply-s")
		b.ReportMetric(kernel[i].Seconds()/float64(b.N), s.name+"-kernel-s")
		b.ReportMetric(allocMB[i]/float64(b.N), s.name+"-apply-MB")
		b.ReportMetric(allocs[i]/float64(b.N), s.name+"-apply-allocs")
	}
}

// BenchmarkEncodeBlocklist is the encoding of the first apply's transaction of
// BenchmarkBlocklist1M's list (ACLSH_BLOCK_LINES lines), without a kernel: by
// aclsh (aclsh) and, for comparison, by google/nftables as aclsh used it
// before (library: its messages handed to a test dial, which concatenates
// nothing; the real socket's SendMessages copied them all once more). MB is
// the transaction's size.
func BenchmarkEncodeBlocklist(b *testing.B) {
	cfg := config(b, blockText(blockLines(), false))
	for _, side := range []struct {
		name string
		lib  bool
	}{{"aclsh", false}, {"library", true}} {
		b.Run(side.name, func(b *testing.B) {
			enc := FirstTxn(cfg, side.lib)
			runtime.GC()
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				n = enc()
			}
			b.ReportMetric(float64(n)/(1<<20), "MB")
		})
	}
}

// showShell is a shell on l's enforcer whose running-config (in dir) is
// text, output discarded, as the daemon runs one for a client: it has read
// the running-config already (its first command, not timed by the callers).
func showShell(b *testing.B, l *lab, dir, text string) *shell.Shell {
	if err := os.WriteFile(filepath.Join(dir, "running-config"), []byte(text), 0o660); err != nil {
		b.Fatal(err)
	}
	sh, err := shell.New(shell.Options{Host: "h", Store: &statedir.Store{Dir: dir}, Enforcer: l.e, IfName: "mgmt0",
		Out: io.Discard, Err: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	if err := sh.Run("show access-lists summary"); err != nil {
		b.Fatal(err)
	}
	return sh
}
