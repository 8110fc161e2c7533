package shell

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/cli"
	"github.com/aclsh/aclsh/config"
	"github.com/aclsh/aclsh/enforcer"
	"github.com/aclsh/aclsh/grammar"
	"github.com/aclsh/aclsh/internal/clock"
)

// testClock is the clock of sessions and timers in this package's tests, so that
// transcripts show the same times everywhere; tests that let a timer run out move
// it.
var testClock = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func init() {
	clock.Now = func() time.Time { return testClock }
	clock.Zone = time.UTC
	who = func() string { return "operator" }
}

// recorder is an Enforcer that remembers the last config it was asked to enforce.
type recorder struct{ last string }

func (r *recorder) Apply(cfg *acl.Config) error             { r.last = cfg.Render(); return nil }
func (r *recorder) ClearCounters(*acl.Config, string) error { return nil }
func (r *recorder) Stats(*acl.Config) (*enforcer.Stats, error) {
	return nil, errors.New("no kernel")
}

// A recorder is the store's Kernel too (config.Kernel), as the enforcer is.
func (r *recorder) Learn(*acl.Config)         {}
func (r *recorder) HoldsTable() (bool, error) { return false, nil }

// sessShell returns an interactive shell on dir whose store carries out timers
// with rec, as aclsh does (the store's Kernel is the enforcer).
func sessShell(t *testing.T, dir string, rec *recorder) (*Shell, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	st := &config.Store{Dir: dir, Kernel: rec}
	sh, err := New(Options{Host: "device", Store: st, Out: &out, Err: &out, Interactive: true, Enforcer: rec})
	require.NoError(t, err)
	return sh, &out
}

func runLines(t *testing.T, sh *Shell, lines string) {
	t.Helper()
	for _, l := range strings.Split(strings.TrimSuffix(lines, "\n"), "\n") {
		require.NoError(t, sh.Run(l), "%s", l)
	}
}

func advance(t *testing.T, d time.Duration) {
	old := testClock
	testClock = testClock.Add(d)
	t.Cleanup(func() { testClock = old })
}

const sessBase = "conf t\nip access-list extended mgmt\npermit tcp any any eq 22\ninterface management 0\nip access-group mgmt in\nend\n"

// A commit timer runs out: the next process to take the lock (the daemon's
// View, every second) restores the running-config from before, in the kernel
// too, and every shell started afterwards says so. Not a moment before.
func TestCommitTimerRollback(t *testing.T) {
	dir, rec := t.TempDir(), &recorder{}
	sh, out := sessShell(t, dir, rec)
	runLines(t, sh, sessBase)
	before := rec.last
	runLines(t, sh, "configure session risky\nip access-list extended mgmt\nno seq 10\n")
	require.Equal(t, before, rec.last, "nothing is enforced before commit")
	risky := sh.session().file
	require.NoError(t, sh.Run("commit timer 00:00:10"))
	require.NotEqual(t, before, rec.last)
	committed := rec.last
	require.Contains(t, out.String(), "rolled back at 2026-11-21 12:00:10 UTC")

	var logged []string
	daemon := &config.Store{Dir: dir, Kernel: rec, Logf: func(f string, a ...any) { logged = append(logged, fmt.Sprintf(f, a...)) }}
	view := func() string {
		var text string
		require.NoError(t, daemon.View(func(cfg *acl.Config) error { text = cfg.Render(); return nil }))
		return text
	}
	advance(t, 9999*time.Millisecond)
	require.Equal(t, committed, view(), "not rolled back before the timer runs out")
	require.Equal(t, committed, rec.last)
	advance(t, time.Millisecond)
	require.Equal(t, before, view())
	require.Equal(t, before, rec.last)
	require.Equal(t, []string{"Configuration session risky was rolled back at 2026-11-21 12:00:10 UTC: commit timer expired (committed by operator)"}, logged)

	var notice bytes.Buffer
	sh2, _ := sessShell(t, dir, rec)
	sh2.StartNotices(&notice)
	require.Equal(t, "% Configuration session risky was rolled back at 2026-11-21 12:00:10 UTC: commit timer expired (committed by operator)\n", notice.String())
	// The session is gone; confirming it now says why.
	runLines(t, sh2, "configure session other\n")
	require.NoError(t, sh2.Run("end"))
	gone := &Shell{opt: sh.opt, t: cli.Txn{Mode: grammar.Config}}
	gone.tgt = &session{target: newTarget(gone), s: gone, file: risky}
	err := gone.Run("commit")
	require.ErrorContains(t, err, "session risky no longer exists (Configuration session risky was rolled back at 2026-11-21 12:00:10 UTC")
}

// A session refuses to commit over a running-config another shell changed since
// it started; nothing is applied.
func TestSessionRunningChanged(t *testing.T) {
	dir, rec := t.TempDir(), &recorder{}
	sh, _ := sessShell(t, dir, rec)
	runLines(t, sh, sessBase)
	runLines(t, sh, "configure session a\nip access-list extended mgmt\npermit tcp any any eq 80\n")
	other, _ := sessShell(t, dir, rec)
	runLines(t, other, "conf t\nip access-list extended mgmt\npermit tcp any any eq 443\nend\n")
	applied := rec.last
	err := sh.Run("commit")
	require.ErrorContains(t, err, "the running-config changed since session a started")
	require.Equal(t, applied, rec.last)
	require.NotContains(t, applied, "eq 80")
}

// reload in MINUTES restores the startup-config when the time comes; without a
// startup-config it is refused.
func TestReloadRestoresStartup(t *testing.T) {
	dir, rec := t.TempDir(), &recorder{}
	sh, _ := sessShell(t, dir, rec)
	runLines(t, sh, sessBase)
	require.ErrorContains(t, sh.Run("reload in 1"), "startup-config is not present")
	runLines(t, sh, "write memory\n")
	saved := rec.last
	sh.opt.Force = true // removing the last permit line: the lockout guard would ask
	runLines(t, sh, "conf t\nip access-list extended mgmt\nno seq 10\nend\nreload in 1\n")
	require.NotEqual(t, saved, rec.last)
	daemon := &config.Store{Dir: dir, Kernel: rec}
	advance(t, time.Minute)
	require.NoError(t, daemon.View(func(*acl.Config) error { return nil }))
	require.Equal(t, saved, rec.last)
	var notice bytes.Buffer
	sh.StartNotices(&notice)
	require.Equal(t, "% The startup-config was restored at 2026-11-21 12:01:00 UTC: reload in 1 by operator\n", notice.String())
}

// lineDiff is a shortest edit script: it turns a into b, and it removes and adds
// exactly the lines outside a longest common subsequence.
func TestLineDiff(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		gen := func() []string {
			l := make([]string, rng.IntN(12))
			for i := range l {
				l[i] = string(rune('a' + rng.IntN(4)))
			}
			return l
		}
		a, b := gen(), gen()
		d := lineDiff(a, b)
		var ra, rb []string
		edits := 0
		for _, x := range d {
			if x.op != '+' {
				ra = append(ra, x.text)
			}
			if x.op != '-' {
				rb = append(rb, x.text)
			}
			if x.op != ' ' {
				edits++
			}
		}
		require.Equal(t, fmt.Sprint(a), fmt.Sprint(ra))
		require.Equal(t, fmt.Sprint(b), fmt.Sprint(rb))
		require.Equal(t, len(a)+len(b)-2*lcsLen(a, b), edits, "lineDiff(%q, %q) = %v", a, b, d)
	}
	got := unifiedDiff("a", "b", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "1\n2\nX\n3\n4\n5\n6\n7\n8\n9\n10\n12\n")
	require.Equal(t, "--- a\n+++ b\n@@ -1,5 +1,6 @@\n 1\n 2\n+X\n 3\n 4\n 5\n@@ -8,5 +9,4 @@\n 8\n 9\n 10\n-11\n 12\n", got)
	require.Equal(t, "", unifiedDiff("a", "b", "x\n", "x\n"))
	require.Equal(t, "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n", unifiedDiff("a", "b", "", "x\n"))
}

// lcsLen is the length of a longest common subsequence, by the textbook recursion.
func lcsLen(a, b []string) int {
	memo := map[[2]int]int{}
	var f func(i, j int) int
	f = func(i, j int) int {
		if i == len(a) || j == len(b) {
			return 0
		}
		k := [2]int{i, j}
		if v, ok := memo[k]; ok {
			return v
		}
		v := max(f(i+1, j), f(i, j+1))
		if a[i] == b[j] {
			v = max(v, 1+f(i+1, j+1))
		}
		memo[k] = v
		return v
	}
	return f(0, 0)
}

// Ctrl-Z (end) in a session leaves it open; configure terminal afterwards is the
// plain configuration mode, committing line by line.
func TestCtrlZLeavesSession(t *testing.T) {
	dir, rec := t.TempDir(), &recorder{}
	sh, _ := sessShell(t, dir, rec)
	runLines(t, sh, sessBase+"configure session a\nip access-list extended mgmt\n")
	require.Equal(t, "device(config-s-a-ipacl-ext)# ", sh.Prompt())
	sh.EndMode() // what Ctrl-Z does
	require.Equal(t, "device# ", sh.Prompt())
	runLines(t, sh, "conf t\n")
	require.Equal(t, "device(config)# ", sh.Prompt())
	runLines(t, sh, "ip access-list extended mgmt\npermit tcp any any eq 80\n")
	require.Contains(t, rec.last, "eq 80", "outside the session, lines are committed")
}

// Confirming a commit timer after another shell committed keeps both: the timer
// stops and nothing is rolled back or re-applied.
func TestConfirmAfterOtherCommit(t *testing.T) {
	dir, rec := t.TempDir(), &recorder{}
	sh, _ := sessShell(t, dir, rec)
	runLines(t, sh, sessBase+"configure session a\nip access-list extended mgmt\npermit tcp any any eq 80\ncommit timer 00:01:00\n")
	other, _ := sessShell(t, dir, rec)
	runLines(t, other, "conf t\nip access-list extended mgmt\npermit tcp any any eq 443\nend\n")
	runLines(t, sh, "configure session a\ncommit\n")
	advance(t, 2*time.Minute)
	require.NoError(t, sh.opt.Store.View(func(*acl.Config) error { return nil }))
	require.Contains(t, rec.last, "eq 80")
	require.Contains(t, rec.last, "eq 443")
}

// The lockout guard on session commits: a plain commit that would cut the
// operator off is refused and points to the commit timer; a timed one warns and
// applies (the timer is the safety net).
func TestSessionCommitGuarded(t *testing.T) {
	dir, rec := t.TempDir(), &recorder{}
	sh, out := sessShell(t, dir, rec)
	runLines(t, sh, sessBase)
	before := rec.last
	runLines(t, sh, "configure session risky\nip access-list extended mgmt\nno seq 10\n")
	require.ErrorContains(t, sh.Run("commit"), "it would cut you off (above); try it with a rollback: commit timer HH:MM:SS")
	require.Contains(t, out.String(), "has no permit line")
	require.Equal(t, before, rec.last, "nothing applied")
	out.Reset()
	require.NoError(t, sh.Run("commit timer 00:01:00"))
	require.Contains(t, out.String(), "has no permit line")
	require.Contains(t, out.String(), "Session risky committed")
	require.NotEqual(t, before, rec.last)
}

// TestRollbackCleanConfig: in a session, rollback clean-config empties the
// session's config, so that the lines after it are the whole config at commit
// (arista.eos's eos_config with replace: config); before the commit nothing
// changes, and abort keeps the running-config.
func TestRollbackCleanConfig(t *testing.T) {
	rec := &recorder{}
	sh, out := sessShell(t, t.TempDir(), rec)
	runLines(t, sh, "conf t\nip access-list extended old\npermit tcp any any eq 80\ninterface management 0\nip access-group old in\nend")
	before := sh.t.Cfg.Render()
	runLines(t, sh, "configure session r1\nrollback clean-config\nip access-list extended new\npermit tcp any any eq 22")
	require.Equal(t, before, rec.last, "nothing applied before the commit")
	out.Reset()
	runLines(t, sh, "show session-config diffs")
	require.Contains(t, out.String(), "-ip access-list extended old")
	require.Contains(t, out.String(), "+ip access-list extended new")
	runLines(t, sh, "commit")
	require.Equal(t, "!\nip access-list extended new\n seq 10 permit tcp any any eq 22\n!\n", rec.last)

	runLines(t, sh, "configure session r2\nrollback clean-config\nabort")
	require.Equal(t, "!\nip access-list extended new\n seq 10 permit tcp any any eq 22\n!\n", rec.last)
	require.Error(t, sh.Run("rollback clean-config"), "only in a session")
}
