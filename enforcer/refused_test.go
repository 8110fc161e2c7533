package enforcer_test

import (
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
	. "github.com/aclsh/aclsh/enforcer"
)

// Refusals are counted by the kernel per line, in one counter, whichever chain
// a source's offset put it in: a source whose sessions opened before the limit
// sits in an offset chain that comes and goes as its sessions end and commits
// happen; every connection the limit refused (a thousand at once at the end)
// is counted all the same (the counters of those chains went with them before).
func TestRefusedCountedPerLine(t *testing.T) {
	l := newLab(t)
	l.serveTCP(":22")
	held := l.openN("10.24.12.107", 2) // before the limit: an offset of 2
	text := `
ip access-list extended check
 permit tcp host 10.24.12.107 host 10.24.12.129 eq 22 connlimit 2
interface management 0
 ip access-group check in
`
	cfg := config(t, text)
	var mu sync.Mutex
	cur := cfg
	log := &syncLog{}
	l.followWith(func(f func(*acl.Config) error) error { mu.Lock(); defer mu.Unlock(); return f(cur) }, log)
	require.NoError(t, l.e.Apply(cfg))
	// Each attempt is one SYN: refused at the limit, it times out before the
	// client sends the SYN again (after a second). The wait is long enough
	// that an admitted SYN's answer arrives within it on a loaded machine (at
	// 300 ms one admitted connection was once taken for refused).
	const wait = 900 * time.Millisecond
	refused := 0
	// A SYN the client sends again (its timer ran late on a loaded machine) is
	// refused, and counted, again: the kernel counts packets.
	retrans0 := tcpRetransSegs(t, l.cli)
	storm := func(n int) {
		var wg sync.WaitGroup
		var m sync.Mutex
		for range n {
			wg.Go(func() {
				if _, err := l.dialTimeout(l.cli, "10.24.12.107", dev, wait); err != nil {
					m.Lock()
					refused++
					m.Unlock()
				}
			})
		}
		wg.Wait()
	}
	storm(30)
	require.Equal(t, 30, refused)
	// A counted session ends: the daemon moves the source to another offset
	// chain; a commit then removes the chain no source uses any more.
	held[0].Close()
	var c interface{ Close() error }
	for deadline := time.Now().Add(3 * time.Second); c == nil; {
		conn, err := l.dialTimeout(l.cli, "10.24.12.107", dev, wait)
		if err == nil {
			c = conn
			break
		}
		refused++
		require.True(t, time.Now().Before(deadline), "a slot frees after a session ends; log:\n%s", log)
	}
	defer c.Close()
	mu.Lock()
	cur = config(t, text+"ip access-list extended check\n remark unrelated\n")
	mu.Unlock()
	require.NoError(t, l.e.Apply(cur))
	storm(1000) // the storm
	st, err := l.e.Stats(cur)
	require.NoError(t, err)
	require.Equal(t, InSync, st.State)
	again := tcpRetransSegs(t, l.cli) - retrans0
	require.Equal(t, uint64(refused)+again, st.Counters[Line("check", 10).As(Refused)].Packets,
		"refused by the limit (%d connections, %d SYNs sent again), counted by the kernel; log:\n%s", refused, again, log)
	t.Logf("%d connections refused by the limit (%d SYNs sent again), %d counted", refused, again, st.Counters[Line("check", 10).As(Refused)].Packets)
}

// tcpRetransSegs is the TCP segments namespace ns sent again (/proc/net/snmp).
func tcpRetransSegs(t *testing.T, ns string) uint64 {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", ns, "cat", "/proc/net/snmp").Output()
	require.NoError(t, err)
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "Tcp:" {
			continue
		}
		if names == nil {
			names = f
			continue
		}
		for i, n := range names {
			if n == "RetransSegs" && i < len(f) {
				v, err := strconv.ParseUint(f[i], 10, 64)
				require.NoError(t, err)
				return v
			}
		}
	}
	t.Fatalf("no Tcp RetransSegs in /proc/net/snmp of %s", ns)
	return 0
}
