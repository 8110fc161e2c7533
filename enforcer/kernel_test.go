package enforcer_test

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/shell"
)

// config loads running-config text (as the shell would) for tests.
func config(t testing.TB, text string) *acl.Config {
	t.Helper()
	cfg, err := shell.LoadConfig(text)
	require.NoError(t, err)
	return cfg
}

const dev = "10.24.12.129:22"

// openN opens n connections from src and returns them (failing the test if any is
// refused).
func (l *lab) openN(src string, n int) []net.Conn {
	l.t.Helper()
	var cs []net.Conn
	for i := range n {
		c, err := l.dial(l.cli, src, dev)
		require.NoError(l.t, err, "connection %d from %s", i+1, src)
		l.t.Cleanup(func() { c.Close() })
		cs = append(cs, c)
	}
	return cs
}

func (l *lab) refused(src, addr string) {
	l.t.Helper()
	c, err := l.dial(l.cli, src, addr)
	if err == nil {
		c.Close()
		l.t.Fatalf("connection from %s to %s was admitted, want refused", src, addr)
	}
}

// Seed 001, second example as written: only 3 concurrent SSH sessions from
// 10.24.12.107; everything else is dropped by the implicit deny.
func TestSeed001PermitConnlimit(t *testing.T) {
	l := newLab(t)
	l.serveTCP(":22")
	l.serveTCP(":23")
	cfg := config(t, `
ip access-list extended check
 permit tcp host 10.24.12.107 host 10.24.12.129 eq 22 connlimit 3
interface management 0
 ip access-group check in
`)
	require.NoError(t, l.e.Apply(cfg))
	cs := l.openN("10.24.12.107", 3)
	l.refused("10.24.12.107", dev)
	l.refused("10.24.12.108", dev)               // no rule permits another host
	l.refused("10.24.12.107", "10.24.12.129:23") // nor another port
	for _, c := range cs {
		require.NoError(t, echo(c), "admitted sessions keep working")
	}
	// When one closes, the next is admitted (the kernel's own count).
	cs[0].Close()
	require.Eventually(t, func() bool {
		c, err := l.dial(l.cli, "10.24.12.107", dev)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, 5*time.Second, 100*time.Millisecond)
}

// Seed 001, deny connlimit: "the 3rd connection will be denied"; the legacy deny
// needs `permit ip any any` after it.
func TestSeed001DenyConnlimit(t *testing.T) {
	l := newLab(t)
	l.serveTCP(":22")
	cfg := config(t, `
ip access-list extended check
 seq 10 deny tcp host 10.24.12.107 host 10.24.12.129 eq 22 connlimit 3
 seq 20 permit ip any any
interface management 0
 ip access-group check in
`)
	require.NoError(t, l.e.Apply(cfg))
	cs := l.openN("10.24.12.107", 2)
	l.refused("10.24.12.107", dev)
	l.openN("10.24.12.108", 4) // other sources are not limited
	for _, c := range cs {
		require.NoError(t, echo(c))
	}
}

// 60 parallel connects from one host against connlimit 3 admit exactly 3.
func TestBurst(t *testing.T) {
	l := newLab(t)
	l.serveTCP(":22")
	cfg := config(t, `
ip access-list extended check
 permit tcp any host 10.24.12.129 eq 22 connlimit 3
interface management 0
 ip access-group check in
`)
	require.NoError(t, l.e.Apply(cfg))
	var (
		wg sync.WaitGroup
		mu sync.Mutex
		ok []net.Conn
	)
	for range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := l.dial(l.cli, "10.24.12.109", dev)
			if err == nil {
				mu.Lock()
				ok = append(ok, c)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, c := range ok {
		defer c.Close()
	}
	require.Len(t, ok, 3, "admitted connections")
}

// Idle sessions open before the limit was bound count at once: the 4th is refused,
// the 3 keep working, and when one closes (follow daemon) the next is admitted.
func TestIdlePreexistingSessions(t *testing.T) {
	l := newLab(t)
	l.serveTCP(":22")
	open := `
ip access-list extended check
 permit tcp any any eq 22
interface management 0
 ip access-group check in
`
	limited := strings.Replace(open, "eq 22\n", "eq 22 connlimit 3\n", 1)
	require.NoError(t, l.e.Apply(config(t, open)))
	cs := l.openN("10.24.12.107", 3)
	cur := config(t, limited)
	require.NoError(t, l.e.Apply(cur))
	l.refused("10.24.12.107", dev)
	for _, c := range cs {
		require.NoError(t, echo(c), "pre-existing sessions keep working")
	}
	l.openN("10.24.12.108", 3) // another source has its own count
	l.follow(func() (*acl.Config, error) { return cur, nil })
	cs[0].Close()
	require.Eventually(t, func() bool {
		c, err := l.dial(l.cli, "10.24.12.107", dev)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, 5*time.Second, 100*time.Millisecond, "the next connection is admitted after one closes")
	l.refused("10.24.12.107", dev)
}
