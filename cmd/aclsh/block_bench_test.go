package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aclsh/aclsh/internal/acltest"
	"github.com/aclsh/aclsh/internal/labns"
	"github.com/aclsh/aclsh/internal/needs"
)

// BenchmarkDaemonBlocklist1M is issue 21's blocklist the way an operator loads
// it: a daemon already runs in the namespace (started by a first one-shot, so
// its table watch listens, as on a host where aclsh runs), and `aclsh -f` of a
// file of 1,000,000 `deny ip host X any` lines, `permit tcp any any eq 22` and
// the binding goes through it (apply-s: the whole client process: its parse,
// the daemon's parse, compile, kernel transaction and running-config write).
// Then `show access-lists summary` and `show access-lists` as one-shots
// (output read and discarded), and the daemon's peak RSS (VmHWM) and RSS at
// the end. ACLSH_BLOCK_LINES sets another length. One iteration is one
// namespace and one daemon.
func BenchmarkDaemonBlocklist1M(b *testing.B) {
	needs.Root(b)
	needs.Program(b, "nft", "nftables")
	file := filepath.Join(b.TempDir(), "block.conf")
	if err := os.WriteFile(file, []byte(acltest.BlockScript(acltest.BlockLines(1000000), true)), 0o644); err != nil {
		b.Fatal(err)
	}
	var apply, summary, show time.Duration
	var hwm, rss float64
	for b.Loop() {
		b.StopTimer()
		ns := benchNS(b)
		state := b.TempDir()
		in := func(args ...string) time.Duration {
			return timedIn(b, ns, append([]string{"--state-dir", state}, args...)...)
		}
		in("-c", "show clock") // starts the namespace's daemon, with nothing bound
		pid := followPID(b, ns)
		b.StartTimer()
		apply += in("-f", file)
		summary += in("-c", "show access-lists summary")
		show += in("-c", "show access-lists")
		b.StopTimer()
		hwm = max(hwm, vmKB(b, pid, "VmHWM")/1024)
		rss = max(rss, vmKB(b, pid, "VmRSS")/1024)
		labns.StopDaemons(ns) // its namespace goes when b ends (benchNS)
		b.StartTimer()
	}
	s := func(d time.Duration) float64 { return d.Seconds() / float64(b.N) }
	b.ReportMetric(s(apply), "apply-s")
	b.ReportMetric(s(summary), "summary-s")
	b.ReportMetric(s(show), "show-s")
	b.ReportMetric(hwm, "daemon-peak-rss-MB")
	b.ReportMetric(rss, "daemon-rss-MB")
}

// followPID returns the pid of the aclsh daemon (aclsh follow) in namespace ns.
func followPID(tb testing.TB, ns string) int {
	out, err := exec.Command("ip", "netns", "pids", ns).Output()
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range strings.Fields(string(out)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			continue
		}
		argv, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if a := strings.Split(string(argv), "\x00"); err == nil && len(a) > 1 && filepath.Base(a[0]) == "aclsh" && a[1] == "follow" {
			return pid
		}
	}
	tb.Fatalf("no aclsh daemon in %s (pids: %s)", ns, out)
	return 0
}

// vmKB returns a field of /proc/pid/status in kB (VmHWM: the peak RSS).
func vmKB(tb testing.TB, pid int, field string) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				tb.Fatal(err)
			}
			return kb
		}
	}
	tb.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// BenchmarkFirstApply10kVsNft is issue 21's row "first apply of a 10,000-line
// list against `nft -f` of the ruleset aclsh produced, whole processes", in
// one run. aclsh: `aclsh -f` of the list (BenchmarkDaemonChange10k's) in a
// namespace whose daemon runs with nothing applied (as on a host where the
// daemon is a service), the client process timed. nft: `nft -f` of what
// aclsh applied (`nft list table` of it, the table deleted first) in a fresh
// namespace, the nft process timed. x-nft is aclsh / nft. ms-daemon-start is
// the same `aclsh -f` where no daemon runs yet (it starts the daemon, which
// applies), for reference.
func BenchmarkFirstApply10kVsNft(b *testing.B) {
	needs.Root(b)
	needs.Program(b, "nft", "nftables")
	file := list10kFile(b)
	ruleset := filepath.Join(b.TempDir(), "big.nft")
	var tAclsh, tNft, tStart time.Duration
	for b.Loop() {
		b.StopTimer()
		ns, other := benchNS(b), benchNS(b)
		state := b.TempDir()
		timedIn(b, ns, "--state-dir", state, "-c", "show clock") // the daemon, nothing applied
		b.StartTimer()
		tAclsh += timedIn(b, ns, "--state-dir", state, "-f", file)
		b.StopTimer()
		out, err := exec.Command("ip", "netns", "exec", ns, "nft", "list", "table", "inet", "aclsh").Output()
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(ruleset, out, 0o644); err != nil {
			b.Fatal(err)
		}
		tStart += timedIn(b, other, "--state-dir", b.TempDir(), "-f", file)
		labns.StopDaemons(other)
		exec.Command("ip", "netns", "exec", other, "nft", "delete", "table", "inet", "aclsh").Run()
		b.StartTimer()
		var nftErr error
		var nftOut []byte
		inThreadNS(b, other, func() {
			cmd := exec.Command("nft", "-f", ruleset)
			t0 := time.Now()
			nftOut, nftErr = cmd.CombinedOutput()
			tNft += time.Since(t0)
		})
		if nftErr != nil {
			b.Fatalf("nft -f: %v: %s", nftErr, nftOut)
		}
		b.StopTimer()
		labns.StopDaemons(ns)
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(float64(tAclsh.Microseconds())/n/1000, "ms-aclsh")
	b.ReportMetric(float64(tNft.Microseconds())/n/1000, "ms-nft")
	b.ReportMetric(float64(tAclsh)/float64(max(tNft, 1)), "x-nft")
	b.ReportMetric(float64(tStart.Microseconds())/n/1000, "ms-daemon-start")
}
