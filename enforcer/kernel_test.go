package enforcer_test

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/nftables/expr"
	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/cli"
	. "github.com/aclsh/aclsh/enforcer"
)

// config loads running-config text (as the shell would) for tests.
func config(t testing.TB, text string) *acl.Config {
	t.Helper()
	cfg, err := cli.LoadConfig(text)
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

// admittedWithin polls (short connection attempts) until a connection from src to
// dev is admitted, failing the test after d; it returns the connection.
func (l *lab) admittedWithin(src string, d time.Duration, msgAndArgs ...any) net.Conn {
	l.t.Helper()
	var c net.Conn
	require.Eventually(l.t, func() bool {
		var err error
		c, err = l.dialTimeout(l.cli, src, dev, 150*time.Millisecond)
		return err == nil
	}, d, 20*time.Millisecond, msgAndArgs...)
	l.t.Cleanup(func() { c.Close() })
	return c
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
		require.NoError(t, echoOnce(c), "admitted sessions keep working")
	}
	// When one closes, the next is admitted (the kernel's own count).
	cs[0].Close()
	l.admittedWithin("10.24.12.107", time.Second).Close()
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
		require.NoError(t, echoOnce(c))
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

// Idle sessions that an open list admitted (so conntrack tracks them, unmarked)
// count at once when a limit replaces it: the 4th is refused, the 3 keep working,
// and when one closes (follow daemon) the next is admitted. The fresh-host case,
// where nothing tracked the sessions, is TestFreshHostSessionsCountAndKeepWorking.
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
		require.NoError(t, echoOnce(c), "pre-existing sessions keep working")
	}
	l.openN("10.24.12.108", 3) // another source has its own count
	l.follow(cur)
	cs[0].Close()
	l.admittedWithin("10.24.12.107", time.Second, "the next connection is admitted after one closes")
	l.refused("10.24.12.107", dev) // three live again: two old, one new
}

func TestUDPConnlimit(t *testing.T) {
	l := newLab(t)
	l.serveUDP(":53")
	cfg := config(t, `
ip access-list extended check
 permit udp any host 10.24.12.129 eq domain connlimit 2
interface management 0
 ip access-group check in
`)
	require.NoError(t, l.e.Apply(cfg))
	for i := range 2 {
		c, err := l.udpExchange(l.cli, "10.24.12.107", "10.24.12.129:53")
		require.NoError(t, err, "flow %d", i+1)
		defer c.Close()
	}
	_, err := l.udpExchange(l.cli, "10.24.12.107", "10.24.12.129:53")
	require.Error(t, err, "the 3rd UDP flow from one source is refused")
	c, err := l.udpExchange(l.cli, "10.24.12.108", "10.24.12.129:53")
	require.NoError(t, err, "another source has its own count")
	c.Close()
}

func TestIPv6Connlimit(t *testing.T) {
	l := newLab(t)
	l.serveTCP("[::]:22")
	cfg := config(t, `
ipv6 access-list extended v6
 permit tcp fd77::/64 any eq 22 connlimit 2
interface management 0
 ipv6 access-group v6 in
`)
	require.NoError(t, l.e.Apply(cfg))
	for i := range 2 {
		c, err := l.dial(l.cli, "fd77::107", "[fd77::129]:22")
		require.NoError(t, err, "connection %d", i+1)
		defer c.Close()
	}
	l.refused("fd77::107", "[fd77::129]:22")
	// IPv4 is not filtered: no IPv4 list is bound.
	l.openN("10.24.12.107", 3)
}

// established lets replies to connections the device opened back in, and nothing
// new; other interfaces and loopback are never filtered.
func TestEstablishedAndOtherInterfaces(t *testing.T) {
	l := newLab(t)
	l.serveTCP(":22")
	cfg := config(t, `
ip access-list extended only-replies
 permit tcp any any established
interface management 0
 ip access-group only-replies in
`)
	require.NoError(t, l.e.Apply(cfg))
	l.refused("10.24.12.107", dev)

	// A server on the client's side: the device connects out, replies come back in.
	var ln net.Listener
	inNS(t, l.cli, func() {
		var err error
		ln, err = net.Listen("tcp", "10.24.12.107:8080")
		require.NoError(t, err)
	})
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Write([]byte("ping\n"))
			c.Close()
		}
	}()
	var got string
	inNS(t, l.dev, func() {
		c, err := net.DialTimeout("tcp", "10.24.12.107:8080", time.Second)
		require.NoError(t, err, "the device's own connection out")
		defer c.Close()
		c.SetDeadline(time.Now().Add(time.Second))
		b := make([]byte, 5)
		n, _ := c.Read(b)
		got = string(b[:n])
	})
	require.Equal(t, "ping\n", got, "the reply came back in")

	// other0 and loopback are untouched.
	c, err := l.dial(l.cli2, "", "10.78.0.1:22")
	require.NoError(t, err, "other interface")
	c.Close()
	c, err = l.dial(l.dev, "", "127.0.0.1:22")
	require.NoError(t, err, "loopback")
	c.Close()
}

// A ruleset the kernel refuses changes nothing: the old one stays, counters too.
func TestAtomicFailure(t *testing.T) {
	l := newLab(t)
	l.serveTCP(":22")
	good := config(t, `
ip access-list extended check
 permit tcp host 10.24.12.107 any eq 22
interface management 0
 ip access-group check in
`)
	require.NoError(t, l.e.Apply(good))
	c, err := l.dial(l.cli, "10.24.12.107", dev)
	require.NoError(t, err)
	c.Close()
	before := l.nft("list", "table", "inet", Table)

	worse := config(t, `
ip access-list extended check
 permit tcp any any eq 22
interface management 0
 ip access-group check in
`)
	SetMutate(l.e, func(p *Plan) {
		// A jump to a chain that does not exist: the kernel refuses the batch.
		p.Chains[1].Rules = append(p.Chains[1].Rules, &Rule{Text: "jump nowhere",
			Exprs: []expr.Any{&expr.Verdict{Kind: expr.VerdictJump, Chain: "nowhere"}}})
	})
	err = l.e.Apply(worse)
	require.Error(t, err)
	require.Contains(t, err.Error(), "kernel refused the ruleset")
	SetMutate(l.e, nil)
	require.Equal(t, before, l.nft("list", "table", "inet", Table), "the old ruleset stays")
	l.refused("10.24.12.108", dev)
}

// Someone flushes the ruleset: show says so, the next apply restores it. Applying
// the same config twice changes nothing.
func TestDriftRestoreAndIdempotence(t *testing.T) {
	l := newLab(t)
	cfg := config(t, `
ip access-list extended check
 permit tcp any any eq 22 connlimit 3
 deny ip any any
interface management 0
 ip access-group check in
`)
	require.NoError(t, l.e.Apply(cfg))
	st, err := l.e.Stats(cfg)
	require.NoError(t, err)
	require.Equal(t, InSync, st.State)
	first := l.nft("list", "table", "inet", Table)
	require.NoError(t, l.e.Apply(cfg))
	require.Equal(t, first, l.nft("list", "table", "inet", Table), "a second apply changes nothing")

	l.nft("flush", "ruleset")
	st, err = l.e.Stats(cfg)
	require.NoError(t, err)
	require.Equal(t, Missing, st.State)
	require.NoError(t, l.e.Apply(cfg))
	st, _ = l.e.Stats(cfg)
	require.Equal(t, InSync, st.State)

	l.nft("delete", "rule", "inet", Table, "acl4", "handle", handleOf(t, l.nft("-a", "list", "chain", "inet", Table, "acl4"), "drop"))
	st, _ = l.e.Stats(cfg)
	require.Equal(t, Differs, st.State)

	other := config(t, `
ip access-list extended check
 permit tcp any any eq 22 connlimit 4
 deny ip any any
interface management 0
 ip access-group check in
`)
	st, _ = l.e.Stats(other)
	require.Equal(t, Differs, st.State, "the kernel has another config")

	// A rule changed by hand is drift too, and the next apply mends it.
	require.NoError(t, l.e.Apply(cfg))
	l.nft("replace", "rule", "inet", Table, "acl4", "handle", handleOf(t, l.nft("-a", "list", "chain", "inet", Table, "acl4"), "drop"), "accept")
	st, _ = l.e.Stats(cfg)
	require.Equal(t, Differs, st.State, "a deny turned into an accept")
	require.NoError(t, l.e.Apply(cfg))
	st, _ = l.e.Stats(cfg)
	require.Equal(t, InSync, st.State)

	// The same with the rule's comment kept: still drift, and what the changed
	// rule matched is not shown as the deny line's matches.
	listing := l.nft("-a", "list", "chain", "inet", Table, "acl4")
	key := regexp.MustCompile(`drop comment "([^"]+)"`).FindStringSubmatch(listing)
	require.NotNil(t, key, listing)
	l.nft("replace", "rule", "inet", Table, "acl4", "handle", handleOf(t, listing, "drop"), "counter", "accept", "comment", key[1])
	l.serveTCP("10.24.12.129:80")
	c, err := l.dial(l.cli, "10.24.12.107", "10.24.12.129:80")
	require.NoError(t, err, "the hand-made accept lets it in")
	c.Close()
	st, _ = l.e.Stats(cfg)
	require.Equal(t, Differs, st.State, "a deny turned into an accept, comment kept")
	require.Zero(t, st.Counters[Line("check", 20)].Packets, "the accept's matches are not the deny line's")
	require.NoError(t, l.e.Apply(cfg))
	st, _ = l.e.Stats(cfg)
	require.Equal(t, InSync, st.State)

	// A base chain changed in kind cannot be mended rule by rule: replaced whole.
	l.nft("add", "chain", "inet", Table, "input", "{ type filter hook input priority filter; policy drop; }")
	st, _ = l.e.Stats(cfg)
	require.Equal(t, Differs, st.State, "policy drop")
	require.NoError(t, l.e.Apply(cfg))
	require.Contains(t, l.nft("list", "chain", "inet", Table, "input"), "policy accept")
	st, _ = l.e.Stats(cfg)
	require.Equal(t, InSync, st.State)
	require.NoError(t, l.e.Apply(&acl.Config{ACLs: cfg.ACLs}))
	require.NotContains(t, l.nft("list", "tables"), Table, "unbinding removes the table")
}

func handleOf(t *testing.T, listing, contains string) string {
	for _, line := range strings.Split(listing, "\n") {
		if strings.Contains(line, contains) && strings.Contains(line, "# handle ") {
			return strings.TrimSpace(line[strings.LastIndex(line, "# handle ")+len("# handle "):])
		}
	}
	t.Fatalf("no rule with %q in:\n%s", contains, listing)
	return ""
}

// ping sends one ICMP echo request with identifier id from ns (source src) to dst and
// waits for the reply. Each identifier is a conntrack flow of its own.
func (l *lab) ping(ns, src, dst string, id uint16) error {
	var c net.PacketConn
	var err error
	inNS(l.t, ns, func() { c, err = net.ListenPacket("ip4:icmp", src) })
	if err != nil {
		return err
	}
	defer c.Close()
	msg := []byte{8, 0, 0, 0, byte(id >> 8), byte(id), 0, 1, 'a', 'c', 'l'}
	icmpSum(msg)
	if _, err := c.WriteTo(msg, &net.IPAddr{IP: net.ParseIP(dst)}); err != nil {
		return err
	}
	c.SetReadDeadline(time.Now().Add(700 * time.Millisecond))
	b := make([]byte, 1500)
	for {
		n, _, err := c.ReadFrom(b)
		if err != nil {
			return err
		}
		if n >= 8 && b[0] == 0 && uint16(b[4])<<8|uint16(b[5]) == id {
			return nil
		}
	}
}

// ICMP flows count too: with connlimit 2, a third echo identifier is refused while
// the first two flows live.
func TestICMPConnlimit(t *testing.T) {
	l := newLab(t)
	cfg := config(t, `
ip access-list extended check
 permit icmp any host 10.24.12.129 connlimit 2
interface management 0
 ip access-group check in
`)
	require.NoError(t, l.e.Apply(cfg))
	require.NoError(t, l.ping(l.cli, "10.24.12.107", "10.24.12.129", 101))
	require.NoError(t, l.ping(l.cli, "10.24.12.107", "10.24.12.129", 102))
	require.NoError(t, l.ping(l.cli, "10.24.12.107", "10.24.12.129", 101), "an admitted flow keeps passing")
	require.Error(t, l.ping(l.cli, "10.24.12.107", "10.24.12.129", 103), "a third flow is refused")
	require.NoError(t, l.ping(l.cli, "10.24.12.108", "10.24.12.129", 103), "another source has its own count")
}

// TestKernelAgreesWithModel: for random lists of tcp rules, every probe connection
// is admitted by the kernel exactly when acl.Evaluate says a permit rule decides it.
func TestKernelAgreesWithModel(t *testing.T) {
	l := newLab(t)
	ports := []uint16{22, 80, 443, 8080}
	for _, p := range ports {
		l.serveTCP(fmt.Sprintf(":%d", p))
	}
	srcs := []string{"10.24.12.107", "10.24.12.108", "10.24.12.109", "10.24.12.110"}
	addrs := []string{"any", "host 10.24.12.107", "host 10.24.12.110", "10.24.12.108/31", "10.24.12.104 0.0.0.3", "10.24.12.128/25"}
	portm := []string{"", "eq 22", "neq 80", "lt 443", "gt 80", "range 80 443"}
	r := rand.New(rand.NewPCG(11, 12))
	for round := range 4 {
		var text strings.Builder
		text.WriteString("ip access-list extended diff\n")
		seen := map[string]bool{}
		for range 3 + r.IntN(4) {
			line := fmt.Sprintf(" %s tcp %s any %s\n", []string{"permit", "deny"}[r.IntN(2)], addrs[r.IntN(len(addrs))], portm[r.IntN(len(portm))])
			if !seen[line] {
				seen[line] = true
				text.WriteString(line)
			}
		}
		text.WriteString("interface management 0\n ip access-group diff in\n")
		cfg := config(t, text.String())
		require.NoError(t, l.e.Apply(cfg))
		for _, src := range srcs {
			for _, p := range ports {
				rule, ok := cfg.ACLs["diff"].Evaluate(acl.Packet{Proto: 6, Src: netip.MustParseAddr(src),
					Dst: netip.MustParseAddr("10.24.12.129"), SrcPort: 40000, DstPort: p}, nil)
				want := ok && rule.Action == acl.Permit
				c, err := l.dialTimeout(l.cli, src, fmt.Sprintf("10.24.12.129:%d", p), 200*time.Millisecond)
				if err == nil {
					c.Close()
				}
				require.Equal(t, want, err == nil, "round %d, %s -> port %d, list:\n%s", round, src, p, text.String())
			}
		}
	}
}

// `ip` rules count every protocol together: one TCP and one UDP flow fill
// connlimit 2.
func TestIPConnlimitAllProtocols(t *testing.T) {
	l := newLab(t)
	l.serveTCP(":22")
	l.serveUDP(":53")
	cfg := config(t, `
ip access-list extended check
 permit ip any any connlimit 2
interface management 0
 ip access-group check in
`)
	require.NoError(t, l.e.Apply(cfg))
	l.openN("10.24.12.107", 1)
	c, err := l.udpExchange(l.cli, "10.24.12.107", "10.24.12.129:53")
	require.NoError(t, err)
	defer c.Close()
	l.refused("10.24.12.107", dev)
	_, err = l.udpExchange(l.cli, "10.24.12.107", "10.24.12.129:53")
	require.Error(t, err)
}
