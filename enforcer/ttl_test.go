package enforcer_test

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/aclsh/aclsh/acl"
	. "github.com/aclsh/aclsh/enforcer"
)

// ttlExchange sends one UDP datagram from the client namespace (src) to addr
// with the given TTL (IPv6: hop limit) and reports whether the echo came back.
func (l *lab) ttlExchange(src, addr string, ttl int) bool {
	ok := false
	inNS(l.t, l.cli, func() {
		d := net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP(src)}, Control: func(network, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				if network == "udp6" {
					serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS, ttl)
				} else {
					serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_TTL, ttl)
				}
			})
			if err != nil {
				return err
			}
			return serr
		}}
		c, err := d.Dial("udp", addr)
		require.NoError(l.t, err)
		defer c.Close()
		c.SetDeadline(time.Now().Add(400 * time.Millisecond))
		if _, err := c.Write([]byte("x")); err == nil {
			_, err = c.Read(make([]byte, 16))
			ok = err == nil
		}
	})
	return ok
}

// Issue 20: `ttl eq 255` (as EOS's control-plane list has it for BFD and
// MLAG) is matched by a real packet's TTL, in IPv4 and (hop limit) IPv6, and
// the other TTL operators as the model reads them; the table reads back in
// step. A datagram on the management LAN arrives with the TTL it was sent with.
func TestTTLOnKernel(t *testing.T) {
	l := newLab(t)
	l.serveUDP(":3784")
	l.serveUDP(":4784")
	text := `
ip access-list extended t
 permit udp any any eq bfd ttl eq 255
 permit udp any any eq multihop-bfd ttl gt 250
 permit udp any any eq multihop-bfd ttl lt 10
ipv6 access-list extended t6
 permit udp any any eq bfd ttl eq 255
 permit udp any any eq multihop-bfd ttl neq 64
interface management 0
 ip access-group t in
 ipv6 access-group t6 in
`
	cfg := config(t, text)
	require.NoError(t, l.e.Apply(cfg))
	listing := l.nft("list", "table", "inet", Table)
	require.Contains(t, listing, "udp dport 3784 ip ttl 255 counter")
	require.Contains(t, listing, "ip6 hoplimit != 64 counter")

	require.True(t, l.ttlExchange("10.24.12.107", "10.24.12.129:3784", 255), "ttl eq 255: TTL 255 passes")
	require.False(t, l.ttlExchange("10.24.12.107", "10.24.12.129:3784", 254), "ttl eq 255: TTL 254 is dropped")
	require.False(t, l.ttlExchange("10.24.12.107", "10.24.12.129:3784", 64), "ttl eq 255: TTL 64 is dropped")
	require.True(t, l.ttlExchange("10.24.12.107", "10.24.12.129:4784", 251), "ttl gt 250")
	require.True(t, l.ttlExchange("10.24.12.107", "10.24.12.129:4784", 9), "ttl lt 10")
	require.False(t, l.ttlExchange("10.24.12.107", "10.24.12.129:4784", 64), "neither gt 250 nor lt 10")
	require.True(t, l.ttlExchange("fd77::107", "[fd77::129]:3784", 255), "IPv6 hop limit 255")
	require.False(t, l.ttlExchange("fd77::107", "[fd77::129]:3784", 64), "IPv6 hop limit 64")
	require.True(t, l.ttlExchange("fd77::107", "[fd77::129]:4784", 1), "hop limit neq 64")
	require.False(t, l.ttlExchange("fd77::107", "[fd77::129]:4784", 64), "hop limit neq 64")

	st, err := l.e.Stats(cfg)
	require.NoError(t, err)
	require.Equal(t, InSync, st.State)
	require.Equal(t, uint64(1), st.Counters[Line("t", 10)].Packets, "one datagram of TTL 255")
	require.Equal(t, uint64(1), st.Counters[Line("t6", 10)].Packets)

	// The model decides the same packets the same way.
	for _, c := range []struct {
		ttl  uint8
		want bool
	}{{255, true}, {254, false}, {0, false}} {
		p := acl.Packet{Proto: acl.ProtoUDP, Src: netip.MustParseAddr("10.24.12.107"), SrcPort: 40000,
			Dst: netip.MustParseAddr("10.24.12.129"), DstPort: 3784, TTL: c.ttl}
		r, ok := cfg.ACLs["t"].Evaluate(p, nil)
		require.Equal(t, c.want, ok && r.Seq == 10, "model: TTL %d (0: the default, 64)", c.ttl)
	}

	other := &Enforcer{IfName: "mgmt0", NetNS: l.e.NetNS}
	defer other.Close()
	drift, err := Drift(other, cfg)
	require.NoError(t, err)
	require.Empty(t, drift, "read back by an enforcer that did not apply it")
}

// Issue 20: a list with `fragments` (IOS, NX-OS: drop non-initial fragments
// first) is enforced as written, and a datagram sent in fragments reaches the
// list whole: the kernel reassembles it first, so the fragments line counts
// nothing and the line after it decides the datagram.
func TestFragmentsOnKernel(t *testing.T) {
	l := newLab(t)
	l.serveUDP(":5000")
	text := `
ip access-list extended f
 deny ip any any fragments
 permit udp any any eq 5000
ipv6 access-list extended f6
 deny ipv6 any any fragments
 permit udp any any eq 5000
interface management 0
 ip access-group f in
 ipv6 access-group f6 in
`
	cfg := config(t, text)
	require.NoError(t, l.e.Apply(cfg))
	listing := l.nft("list", "table", "inet", Table)
	require.Contains(t, listing, "ip frag-off & 8191 != 0 counter") // nft lists 0x1fff so
	require.Contains(t, listing, "exthdr frag exists counter")
	for _, dst := range []string{"10.24.12.129:5000", "[fd77::129]:5000"} {
		var ok bool
		inNS(t, l.cli, func() {
			c, err := net.Dial("udp", dst)
			require.NoError(t, err)
			defer c.Close()
			c.SetDeadline(time.Now().Add(700 * time.Millisecond))
			// 4000 bytes on a 1500-byte link: sent as three fragments
			if _, err := c.Write(make([]byte, 4000)); err == nil {
				_, err = c.Read(make([]byte, 8000))
				ok = err == nil
			}
		})
		require.True(t, ok, "%s: the fragmented datagram is reassembled and permitted", dst)
	}
	st, err := l.e.Stats(cfg)
	require.NoError(t, err)
	require.Zero(t, st.Counters[Line("f", 10)].Packets, "no fragment reaches the list")
	require.Zero(t, st.Counters[Line("f6", 10)].Packets)
	require.Equal(t, uint64(1), st.Counters[Line("f", 20)].Packets, "the datagram, whole")
	require.Equal(t, uint64(1), st.Counters[Line("f6", 20)].Packets)
	other := &Enforcer{IfName: "mgmt0", NetNS: l.e.NetNS}
	defer other.Close()
	drift, err := Drift(other, cfg)
	require.NoError(t, err)
	require.Empty(t, drift)
}

// Issue 20: the differential test of standard lists and TTL matches: for random
// standard lists (sources only) and random extended lists with ttl lines, every
// probe datagram is echoed by the kernel exactly when acl.Evaluate says a
// permit line decides it.
func TestStandardAndTTLAgreeWithModel(t *testing.T) {
	l := newLab(t)
	l.serveUDP(":5000")
	srcs := []string{"10.24.12.107", "10.24.12.108", "10.24.12.109", "10.24.12.110"}
	ttls := []int{1, 64, 254, 255}
	std := []string{"any", "host 10.24.12.107", "10.24.12.110", "10.24.12.108 0.0.0.1", "10.24.12.104 0.0.0.3", "10.24.12.128/25", "10.24.12.0 0.0.0.250"}
	ttlm := []string{"", "ttl eq 255", "ttl neq 64", "ttl lt 64", "ttl gt 200"}
	r := rand.New(rand.NewPCG(20, 20))
	for round := range 4 {
		var text strings.Builder
		if round%2 == 0 {
			text.WriteString("ip access-list standard diff\n")
		} else {
			text.WriteString("ip access-list extended diff\n")
		}
		seen := map[string]bool{}
		for range 3 + r.IntN(4) {
			action, src := []string{"permit", "deny"}[r.IntN(2)], std[r.IntN(len(std))]
			line := fmt.Sprintf(" %s %s\n", action, src)
			if round%2 == 1 {
				if strings.Count(src, ".") == 3 && !strings.Contains(src, " ") && !strings.Contains(src, "/") && src != "any" {
					src = "host " + src // a standard list's bare address
				}
				line = fmt.Sprintf(" %s udp %s any %s\n", action, src, ttlm[r.IntN(len(ttlm))])
			}
			if !seen[line] {
				seen[line] = true
				text.WriteString(line)
			}
		}
		text.WriteString("interface management 0\n ip access-group diff in\n")
		cfg := config(t, text.String())
		require.NoError(t, l.e.Apply(cfg))
		for _, src := range srcs {
			for _, ttl := range ttls {
				rule, ok := cfg.ACLs["diff"].Evaluate(acl.Packet{Proto: acl.ProtoUDP, Src: netip.MustParseAddr(src),
					Dst: netip.MustParseAddr("10.24.12.129"), SrcPort: 40000, DstPort: 5000, TTL: uint8(ttl)}, nil)
				want := ok && rule.Action == acl.Permit
				require.Equal(t, want, l.ttlExchange(src, "10.24.12.129:5000", ttl), "round %d, %s TTL %d, list:\n%s", round, src, ttl, text.String())
			}
		}
	}
}
