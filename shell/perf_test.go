package shell

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/cli"
	"github.com/aclsh/aclsh/config"
	"github.com/aclsh/aclsh/internal/acltest"
)

// bigConfig returns a running-config with one list of n lines.
func bigConfig(n int) string {
	var b strings.Builder
	b.WriteString("!\nip access-list extended big\n")
	for i := range n {
		fmt.Fprintf(&b, " seq %d permit tcp host 10.%d.%d.%d any eq %d\n", 10*(i+1), i>>16&255, i>>8&255, i&255, 1+i%60000)
	}
	b.WriteString("!\n")
	return b.String()
}

// seeded returns a state dir whose running-config is text, written as an
// operator's file would be (not through a Store, so nothing is cached).
func seeded(t testing.TB, text string) string {
	dir := t.TempDir()
	if text != "" {
		require.NoError(t, os.WriteFile(filepath.Join(dir, config.RunningName), []byte(text), 0o660))
	}
	return dir
}

// TestScriptReadsConfigOnlyWhenNeeded: a script whose commands need no config
// (`aclsh -c exit`) never parses the running-config; one that shows it parses it
// once and copies it only to change it.
func TestScriptReadsConfigOnlyWhenNeeded(t *testing.T) {
	dir := seeded(t, bigConfig(100))
	st := &config.Store{Dir: dir}
	sh, err := New(Options{Host: "h", Store: st, Out: io.Discard, Err: io.Discard})
	require.NoError(t, err)
	require.Equal(t, 0, sh.RunScript(strings.NewReader("terminal length 0\nconfigure terminal\nend\nexit\n"), "-c"))
	require.Nil(t, st.Cached(), "the running-config was parsed")

	var out, errs strings.Builder
	sh, err = New(Options{Host: "h", Store: st, Out: &out, Err: &errs})
	require.NoError(t, err)
	require.Equal(t, 0, sh.RunScript(strings.NewReader("show running-config\n"), "-c"), errs.String())
	require.Equal(t, bigConfig(100), out.String(), "stdout is the config alone")
	require.Equal(t, "! running-config differs from startup-config, which is not present (write memory to save)\n", errs.String())
	require.NotNil(t, st.Cached())
	require.Same(t, st.Cached(), sh.t.Cfg, "a script that only shows works on the shared config")
	require.False(t, sh.owned)

	sh, err = New(Options{Host: "h", Store: st, Out: io.Discard, Err: io.Discard})
	require.NoError(t, err)
	require.Equal(t, 0, sh.RunScript(strings.NewReader("configure terminal\nip access-list extended big\npermit ip any any\n"), "-c"))
	require.Equal(t, 101, st.Cached().ACLs["big"].Len(), "committed")
	cached, err := cli.LoadConfig(bigConfig(100))
	require.NoError(t, err)
	require.NotEqual(t, cached.Render(), st.Cached().Render())
}

// TestInteractiveLineSharesConfig: while the running-config file is unchanged,
// each interactive line works on the store's shared config (no parse, no copy);
// a commit by this shell leaves its own result cached; a change made by another
// process (a new file) is read at the next line.
func TestInteractiveLineSharesConfig(t *testing.T) {
	dir := seeded(t, bigConfig(1000))
	st := &config.Store{Dir: dir}
	sh, err := New(Options{Host: "h", Store: st, Out: io.Discard, Err: io.Discard, Interactive: true})
	require.NoError(t, err)
	first := sh.t.Cfg
	require.Same(t, st.Cached(), first)
	for _, l := range []string{"configure terminal", "ip access-list extended big", "exit", "do show interface management 0", "end"} {
		require.NoError(t, sh.Run(l), l)
		require.Same(t, first, sh.t.Cfg, "after %q", l)
	}
	require.Equal(t, 1000, first.ACLs["big"].Len(), "the shared config was not changed")

	// A change: the committed config is cached for the new file.
	for _, l := range []string{"configure terminal", "ip access-list extended big", "permit ip any any"} {
		require.NoError(t, sh.Run(l), l)
	}
	committed := sh.t.Cfg
	require.NotSame(t, first, committed)
	require.Equal(t, 1000, first.ACLs["big"].Len(), "the old shared config was not changed")
	require.NoError(t, sh.Run("exit"))
	require.Same(t, committed, sh.t.Cfg, "the commit's own result is reused, not parsed again")
	onDisk, err := os.ReadFile(filepath.Join(dir, config.RunningName))
	require.NoError(t, err)
	require.Equal(t, committed.Render(), string(onDisk))

	// Another process writes the file: the next line reads it.
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".tmp-other"), []byte(bigConfig(10)), 0o660))
	require.NoError(t, os.Rename(filepath.Join(dir, ".tmp-other"), filepath.Join(dir, config.RunningName)))
	require.NoError(t, sh.Run("exit"))
	require.Equal(t, 10, sh.t.Cfg.ACLs["big"].Len())

	// Rewritten in place with the same size: the modification time tells.
	text := strings.Replace(bigConfig(10), "eq 1\n", "eq 9\n", 1)
	time.Sleep(10 * time.Millisecond)
	require.NoError(t, os.WriteFile(filepath.Join(dir, config.RunningName), []byte(text), 0o660))
	require.NoError(t, sh.Run("terminal length 0"))
	require.Equal(t, text, sh.t.Cfg.Render())
}

// oneShot runs a script as `aclsh -c` does, on a fresh Store (as a new process
// has), and fails on any error.
func oneShot(b *testing.B, dir, script string) {
	sh, err := New(Options{Host: "h", Store: &config.Store{Dir: dir}, Out: io.Discard, Err: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	if sh.RunScript(strings.NewReader(script), "-c") != 0 {
		b.Fatalf("%q failed", script)
	}
}

// BenchmarkOneShot10k: a one-shot command (a new Store, as a new process has) on a
// 10,000-line running-config, measured against the same command on an empty
// one in the same run (x-empty: the ratio). The process start itself is in
// cmd/aclsh's BenchmarkOneShotProcess.
func BenchmarkOneShot10k(b *testing.B) {
	big, empty := seeded(b, bigConfig(10000)), seeded(b, "")
	for _, script := range []string{"exit\n", "show running-config\n"} {
		b.Run(strings.Fields(script)[0], func(b *testing.B) {
			var tBig, tEmpty time.Duration
			for b.Loop() {
				t0 := time.Now()
				oneShot(b, empty, script)
				t1 := time.Now()
				oneShot(b, big, script)
				tEmpty, tBig = tEmpty+t1.Sub(t0), tBig+time.Since(t1)
			}
			n := float64(b.N)
			b.ReportMetric(float64(tBig.Microseconds())/n/1000, "ms-10k")
			b.ReportMetric(float64(tEmpty.Microseconds())/n/1000, "ms-empty")
			b.ReportMetric(float64(tBig)/float64(max(tEmpty, 1)), "x-empty")
		})
	}
}

// BenchmarkInteractiveLine10k: the time from entering a line to the next prompt in
// an interactive shell with a 10,000-line list, against the same lines with an
// empty config in the same run. nochange: lines that read the config (mode
// changes, show interface); change: a line that commits (add then remove a rule;
// the file is written and synced, no kernel); identical: a line the list holds
// (nothing is written).
func BenchmarkInteractiveLine10k(b *testing.B) {
	setup := func(b *testing.B, text string) *Shell {
		sh, err := New(Options{Host: "h", Store: &config.Store{Dir: seeded(b, text)}, Out: io.Discard, Err: io.Discard, Interactive: true})
		if err != nil {
			b.Fatal(err)
		}
		for _, l := range []string{"configure terminal", "ip access-list extended big"} {
			if err := sh.Run(l); err != nil {
				b.Fatal(err)
			}
		}
		return sh
	}
	for _, bc := range []struct {
		name  string
		lines []string
	}{
		{"nochange", []string{"exit", "ip access-list extended big", "do show interface management 0"}},
		{"change", []string{"permit udp any any eq 53", "no permit udp any any eq 53"}},
		// A line the list holds: commits nothing to the file.
		{"identical", []string{"seq 10 permit tcp host 10.0.0.0 any eq 1"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			big, empty := setup(b, bigConfig(10000)), setup(b, "")
			var tBig, tEmpty time.Duration
			lines := 0
			for b.Loop() {
				for _, l := range bc.lines {
					t0 := time.Now()
					if err := empty.Run(l); err != nil {
						b.Fatal(err)
					}
					t1 := time.Now()
					if err := big.Run(l); err != nil {
						b.Fatal(err)
					}
					tEmpty, tBig = tEmpty+t1.Sub(t0), tBig+time.Since(t1)
					lines++
				}
			}
			n := float64(lines)
			b.ReportMetric(float64(tBig.Microseconds())/n/1000, "ms/line-10k")
			b.ReportMetric(float64(tEmpty.Microseconds())/n/1000, "ms/line-empty")
			b.ReportMetric(float64(tBig)/float64(max(tEmpty, 1)), "x-empty")
		})
	}
}

// BenchmarkBlockScript: what the daemon does with `aclsh -f` of issue 21's
// blocklist, less the kernel: a script of n `seq N deny ip host X any` lines
// (ACLSH_BLOCK_LINES, else 200,000) in one list, its whole text at hand as the
// daemon has it (RunScriptText), read line by line, kept and committed (the
// running-config written and synced, no enforcer). ns/line is the whole
// script's time a line.
func BenchmarkBlockScript(b *testing.B) {
	n := acltest.BlockLines(200000)
	script := acltest.BlockScript(n, false)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		var errs strings.Builder
		sh, err := New(Options{Host: "h", Store: &config.Store{Dir: dir}, Out: io.Discard, Err: &errs})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if rc := sh.RunScriptText(script, "block"); rc != 0 {
			b.Fatalf("rc %d: %s", rc, errs.String())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/line")
}
