package enforcer_test

import (
	"context"
	"math"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
	. "github.com/aclsh/aclsh/enforcer"
)

// With the follow daemon running, another program that deletes table inet aclsh
// (nft flush ruleset, nft delete table) or empties it (nft flush table) does not
// turn enforcement off: within a second the table is back, the sessions open
// before keep passing and still count (a source at its limit stays at it), other
// sources stay refused, and each time is logged and reported.
func TestFollowPutsTableBack(t *testing.T) {
	l := newLab(t)
	l.serveTCP(":22")
	cfg := config(t, `
ip access-list extended check
 permit tcp host 10.24.12.107 host 10.24.12.129 eq 22 connlimit 2
interface management 0
 ip access-group check in
`)
	var mu sync.Mutex
	var mended []Change
	l.e.Mended = func(_ time.Time, ch Change) { mu.Lock(); mended = append(mended, ch); mu.Unlock() }
	require.NoError(t, l.e.Apply(cfg))
	log := &syncLog{}
	l.followWith(func(f func(*acl.Config) error) error { return f(cfg) }, log)
	l.openN("10.24.12.107", 2)
	l.refused("10.24.12.107", dev)

	for i, how := range [][]string{{"flush", "ruleset"}, {"delete", "table", "inet", Table}, {"flush", "table", "inet", Table}} {
		l.nft(how...)
		start := time.Now()
		for !strings.Contains(l.nftMaybe("list", "table", "inet", Table), "ct count over") {
			require.Less(t, time.Since(start), time.Second, "nft %s: the table is back within a second; follow log:\n%s", strings.Join(how, " "), log)
			time.Sleep(5 * time.Millisecond)
		}
		t.Logf("nft %s: the table was back after %v", strings.Join(how, " "), time.Since(start).Round(time.Millisecond))
		// Wait for the mend to be reported (the count is its last step).
		deadline := time.Now().Add(time.Second)
		for {
			mu.Lock()
			n := len(mended)
			mu.Unlock()
			if n > i || time.Now().After(deadline) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		l.refused("10.24.12.107", dev) // still at its limit: the two sessions count
		l.refused("10.24.12.108", dev) // the implicit deny holds
		st, err := l.e.Stats(cfg)
		require.NoError(t, err)
		require.Equal(t, InSync, st.State, "nft %s", strings.Join(how, " "))
	}
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, mended, 3, "each mend reported; follow log:\n%s", log)
	require.True(t, mended[0].Deleted && mended[1].Deleted && !mended[2].Deleted, "%v", mended)
	require.Equal(t, "nft", mended[0].Comm)
	// Logged once: the next two came within mendLogEvery.
	require.Equal(t, 1, strings.Count(log.String(), "follow: table inet aclsh was deleted by nft (pid "), log.String())
}

// nftMaybe runs nft in the device namespace; its output, or "" when it fails.
func (l *lab) nftMaybe(args ...string) string {
	out, err := exec.Command("ip", append([]string{"netns", "exec", l.dev, "nft"}, args...)...).CombinedOutput()
	if err != nil {
		return ""
	}
	return string(out)
}

// nftListeners counts the sockets of the device namespace that listen to
// nftables' change notifications: the NETLINK_NETFILTER (12) sockets of
// /proc/net/netlink with group NFNLGRP_NFTABLES (7, bit 6 of the Groups mask).
func (l *lab) nftListeners() int {
	var data []byte
	inNS(l.t, l.dev, func() {
		var err error
		data, err = os.ReadFile("/proc/thread-self/net/netlink") // this thread's namespace
		require.NoError(l.t, err)
	})
	n := 0
	for _, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 4 || f[1] != "12" {
			continue
		}
		groups, err := strconv.ParseUint(f[3], 16, 32)
		require.NoError(l.t, err, "%q", line)
		if groups&(1<<(7-1)) != 0 {
			n++
		}
	}
	return n
}

// A transaction of many set elements pauses the enforcer's own table watch: no
// socket of the namespace listens while the kernel takes it (the kernel then
// builds no notification per element), the watch does not take the apply for
// another program's change, it is back afterwards and sees the next change
// another program makes. A small transaction leaves the watch as it is.
func TestWatchPausedForLargeApply(t *testing.T) {
	l := newLab(t)
	SetPauseWatchAt(l.e, 100)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changes, err := WatchTable(l.e, ctx)
	require.NoError(t, err)
	require.Equal(t, 1, l.nftListeners(), "the watch listens")
	var during []int
	SetWatchPaused(l.e, func() { during = append(during, l.nftListeners()) })

	cfg := config(t, blockText(1000, false))
	require.NoError(t, l.e.Apply(cfg))
	require.Equal(t, []int{0}, during, "paused once, with no socket listening")
	require.Eventually(t, func() bool { return l.nftListeners() == 1 }, time.Second, 5*time.Millisecond, "the watch listens again")
	select {
	case ch := <-changes:
		t.Fatalf("the watch reported its own enforcer's apply: %v", ch)
	case <-time.After(300 * time.Millisecond):
	}

	// One line changed: a few elements, no pause.
	a := cfg.ACLs["block"]
	require.NoError(t, a.DeleteSeq(500))
	_, err = a.Add(rule(t, "seq 500 deny ip host 192.0.2.1 any"))
	require.NoError(t, err)
	require.NoError(t, l.e.Apply(cfg))
	require.Len(t, during, 1, "a small transaction does not pause the watch")

	l.nft("add", "chain", "inet", Table, "extra")
	select {
	case ch := <-changes:
		require.Equal(t, "nft", ch.Comm)
		require.False(t, ch.Deleted)
	case <-time.After(time.Second):
		t.Fatal("another program's change after the pause was not reported")
	}
	select {
	case ch := <-changes:
		t.Fatalf("reported twice: %v", ch)
	case <-time.After(100 * time.Millisecond):
	}
}

// With the follow daemon running, a large apply pauses its table watch: an
// apply alone is not mended (nothing to mend), a change another program makes
// while the watch is paused is seen when it resumes and mended, and the watch
// then sees changes as before.
func TestFollowMendsChangeWhileWatchPaused(t *testing.T) {
	l := newLab(t)
	SetPauseWatchAt(l.e, 100)
	var mu, state sync.Mutex // state: the running-config's, as the daemon's store holds it
	cur := config(t, blockText(10, false))
	var mended []Change
	l.e.Mended = func(_ time.Time, ch Change) { mu.Lock(); mended = append(mended, ch); mu.Unlock() }
	log := &syncLog{}
	l.followWith(func(f func(*acl.Config) error) error { state.Lock(); defer state.Unlock(); return f(cur) }, log)
	require.Eventually(t, func() bool { return l.nftListeners() == 1 }, 2*time.Second, 5*time.Millisecond, "the follow daemon watches")
	mendedSoon := func(n int) []Change {
		t.Helper()
		require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(mended) >= n }, time.Second, 5*time.Millisecond,
			"mended %d times within a second; follow log:\n%s", n, log)
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(mended)
	}
	apply := func(cfg *acl.Config) {
		t.Helper()
		state.Lock()
		defer state.Unlock()
		cur = cfg
		require.NoError(t, l.e.Apply(cfg))
	}
	inSync := func(cfg *acl.Config) {
		t.Helper()
		st, err := l.e.Stats(cfg)
		require.NoError(t, err)
		require.Equal(t, InSync, st.State)
	}

	// The hook counts the pauses; the second one (the second apply) is
	// another program's moment (the mend's own apply pauses too).
	var paused atomic.Int32
	var during int
	SetWatchPaused(l.e, func() {
		if paused.Add(1) == 2 {
			during = l.nftListeners()
			l.nft("delete", "table", "inet", Table)
		}
	})
	apply(config(t, blockText(1000, false)))
	require.Equal(t, int32(1), paused.Load())
	require.Eventually(t, func() bool { return l.nftListeners() == 1 }, time.Second, 5*time.Millisecond, "the watch listens again")
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	require.Empty(t, mended, "its own apply is not mended; follow log:\n%s", log)
	mu.Unlock()

	// Another program deletes the table while the watch is paused (after the
	// kernel took the apply, before the watch resumes).
	cfg := config(t, blockText(1000, true))
	apply(cfg)
	require.Equal(t, int32(2), paused.Load())
	require.Equal(t, 0, during, "paused: no socket listens")
	got := mendedSoon(1)
	require.Equal(t, "a program unseen while the watch was paused", got[0].Comm)
	inSync(cfg)
	require.Contains(t, log.String(), "follow: table inet aclsh was changed by a program unseen while the watch was paused; mended\n")

	// Watched as before: the next change is seen as it happens, by its name.
	require.Eventually(t, func() bool { return l.nftListeners() == 1 }, time.Second, 5*time.Millisecond, "the watch listens again")
	l.nft("delete", "table", "inet", Table)
	got = mendedSoon(2)
	require.Equal(t, "nft", got[1].Comm, "%v", got)
	require.True(t, got[1].Deleted)
	inSync(cfg)
}

// A watch that ends on an error (its socket overflowed under a large
// transaction it did not pause for) leaves no socket listening: the library
// does not close a monitor's socket once the monitor ended on an error.
func TestWatchEndedListensNoMore(t *testing.T) {
	l := newLab(t)
	SetPauseWatchAt(l.e, math.MaxInt)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changes, err := WatchTable(l.e, ctx)
	require.NoError(t, err)
	require.Equal(t, 1, l.nftListeners(), "the watch listens")
	require.NoError(t, l.e.Apply(config(t, blockText(20000, false))))
	select {
	case ch, ok := <-changes:
		require.False(t, ok, "the watch reported %v", ch)
	case <-time.After(5 * time.Second):
		t.Fatal("20,000 notifications did not overflow the watch's socket")
	}
	require.Eventually(t, func() bool { return l.nftListeners() == 0 }, time.Second, 5*time.Millisecond, "the ended watch's socket is closed")
}

// With the follow daemon running, a watch that ends on an error (its socket
// overflowed under a large transaction it did not pause for) is started again
// within about a second, and a change another program made meanwhile is
// mended.
func TestFollowWatchesAgainAfterOverflow(t *testing.T) {
	l := newLab(t)
	SetPauseWatchAt(l.e, math.MaxInt)
	var mu, state sync.Mutex
	cur := config(t, blockText(10, false))
	var mended []Change
	l.e.Mended = func(_ time.Time, ch Change) { mu.Lock(); mended = append(mended, ch); mu.Unlock() }
	log := &syncLog{}
	l.followWith(func(f func(*acl.Config) error) error { state.Lock(); defer state.Unlock(); return f(cur) }, log)
	require.Eventually(t, func() bool { return l.nftListeners() == 1 }, 2*time.Second, 5*time.Millisecond, "the follow daemon watches")

	// The watch ends when the apply overflows it, and the next check (every
	// second) watches again: a check right after the overflow can make the
	// moment without a listener too short to see, so try again then.
	var cfg *acl.Config
	ended := false
	for i := 0; i < 3 && !ended; i++ {
		cfg = config(t, blockText(20000, i%2 == 1))
		state.Lock()
		cur = cfg
		require.NoError(t, l.e.Apply(cfg))
		state.Unlock()
		for start := time.Now(); time.Since(start) < time.Second && !ended; time.Sleep(2 * time.Millisecond) {
			ended = l.nftListeners() == 0
		}
	}
	require.True(t, ended, "the watch ended (overflowed)")
	l.nft("delete", "table", "inet", Table)
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(mended) == 1 }, 2*time.Second, 5*time.Millisecond,
		"mended within the next check; follow log:\n%s", log)
	mu.Lock()
	require.Equal(t, "a program unseen while not watching", mended[0].Comm)
	mu.Unlock()
	require.Eventually(t, func() bool { return l.nftListeners() == 1 }, time.Second, 5*time.Millisecond, "watched again")
	st, err := l.e.Stats(cfg)
	require.NoError(t, err)
	require.Equal(t, InSync, st.State)
}
