package enforcer_test

import (
	"os/exec"
	"strings"
	"sync"
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
