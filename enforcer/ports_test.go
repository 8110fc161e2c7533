package enforcer_test

import (
	"bytes"
	"fmt"
	"net"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	statedir "github.com/aclsh/aclsh/config"
	. "github.com/aclsh/aclsh/enforcer"
	"github.com/aclsh/aclsh/shell"
)

// TestPortListOnKernel: a line with several ports is one rule matching each of
// them (one lookup in an anonymous set), on either side: connections to each
// listed port are admitted, to another port not; its counter counts exactly the
// packets it admitted; applying again sends nothing and an enforcer that did not
// apply it reads the table as in step; changing the list changes that rule only;
// a rule whose set was changed by hand (comment kept) is drift, mended by the
// next apply.
func TestPortListOnKernel(t *testing.T) {
	l := newLab(t)
	for _, p := range []int{22, 80, 443, 830} {
		l.serveTCP(fmt.Sprintf(":%d", p))
	}
	for _, p := range []int{53, 123, 161} {
		l.serveUDP(fmt.Sprintf(":%d", p))
	}
	text := `
ip access-list extended m
 permit tcp host 10.24.12.107 any eq 22 443 830
 permit udp any eq 40001 40002 any eq domain ntp
 deny udp any any neq 53 123 log
 permit udp host 10.24.12.108 any
interface management 0
 ip access-group m in
`
	cfg := config(t, text)
	require.NoError(t, l.e.Apply(cfg))
	listing := l.nft("list", "table", "inet", Table)
	require.Contains(t, listing, "ip saddr 10.24.12.107 tcp dport { 22, 443, 830 } counter packets 0 bytes 0 accept")
	require.Contains(t, listing, "udp sport { 40001, 40002 } udp dport { 53, 123 } counter packets 0 bytes 0 accept")
	require.Contains(t, listing, "udp dport != { 53, 123 } counter packets 0 bytes 0 drop")

	for _, p := range []int{22, 443, 830} {
		c, err := l.dial(l.cli, "10.24.12.107", fmt.Sprintf("10.24.12.129:%d", p))
		require.NoError(t, err, "port %d is listed", p)
		c.Close()
	}
	l.refused("10.24.12.107", "10.24.12.129:80")
	l.refused("10.24.12.108", "10.24.12.129:22")
	require.True(t, l.probe(17, "10.24.12.107", 40001, "10.24.12.129", 53))
	require.True(t, l.probe(17, "10.24.12.107", 40002, "10.24.12.129", 123))
	require.False(t, l.probe(17, "10.24.12.107", 40003, "10.24.12.129", 53), "source port not listed")
	require.False(t, l.probe(17, "10.24.12.107", 40001, "10.24.12.129", 161), "destination port not listed")
	require.False(t, l.probe(17, "10.24.12.108", 40004, "10.24.12.129", 161), "neq 53 123: denied before seq 40")
	require.True(t, l.probe(17, "10.24.12.108", 40005, "10.24.12.129", 53), "neq 53 123 does not match 53")

	st, err := l.e.Stats(cfg)
	require.NoError(t, err)
	require.Equal(t, InSync, st.State)
	require.Equal(t, uint64(2), st.Counters[Line("m", 20)].Packets, "one datagram per admitted exchange")
	require.Equal(t, uint64(2), st.Counters[Line("m", 30)].Packets, "40001 -> 161 and .108 -> 161")
	require.Equal(t, uint64(1), st.Counters[Line("m", 40)].Packets)
	require.NotZero(t, st.Counters[Line("m", 10)].Packets)

	other := &Enforcer{IfName: "mgmt0", NetNS: l.e.NetNS}
	defer other.Close()
	drift, err := Drift(other, cfg)
	require.NoError(t, err)
	require.Empty(t, drift, "read back by an enforcer that did not apply it")
	require.NoError(t, other.Apply(cfg))
	require.NoError(t, l.e.Apply(cfg))
	require.Equal(t, listingNoCounters(listing), listingNoCounters(l.nft("list", "table", "inet", Table)), "applying again changes nothing")

	// One port more: a line of its own (its key), in that rule's place; nothing else changes.
	cfg2 := config(t, strings.Replace(text, "eq 22 443 830", "eq 22 80 443 830", 1))
	require.Equal(t, []string{"delete rule", "insert rule"}, verbs(DiffText(cfg, cfg2, "mgmt0")))
	require.NoError(t, l.e.Apply(cfg2))
	require.Zero(t, FullReplaces(l.e))
	c, err := l.dial(l.cli, "10.24.12.107", "10.24.12.129:80")
	require.NoError(t, err, "port 80 is listed now")
	c.Close()
	st, err = other.Stats(cfg2)
	require.NoError(t, err)
	require.Equal(t, InSync, st.State)
	require.Equal(t, uint64(2), st.Counters[Line("m", 20)].Packets, "the other lines keep their counters")

	// The set changed by hand, comment kept: drift, mended.
	listing = l.nft("-a", "list", "chain", "inet", Table, "acl4")
	key := regexp.MustCompile(`tcp dport \{ 22, 80, 443, 830 \} counter packets \d+ bytes \d+ accept comment "([^"]+)"`).FindStringSubmatch(listing)
	require.NotNil(t, key, listing)
	l.nft("replace", "rule", "inet", Table, "acl4", "handle", handleOf(t, listing, key[1]),
		"meta", "l4proto", "6", "ip", "saddr", "10.24.12.107", "th", "dport", "{", "22,", "23,", "443,", "830", "}", "counter", "accept", "comment", `"`+key[1]+`"`)
	st, err = other.Stats(cfg2)
	require.NoError(t, err)
	require.Equal(t, Differs, st.State, "another set behind the same comment")
	require.NoError(t, l.e.Apply(cfg2))
	st, err = other.Stats(cfg2)
	require.NoError(t, err)
	require.Equal(t, InSync, st.State)
	require.NotContains(t, l.nft("list", "table", "inet", Table), "23, 443")
}

// listingNoCounters drops the counters of an nft listing.
func listingNoCounters(s string) string {
	return regexp.MustCompile(`counter packets \d+ bytes \d+`).ReplaceAllString(s, "counter")
}

// verbs returns the first two words of each line of a batch's text.
func verbs(batch string) []string {
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(batch), "\n") {
		if f := strings.Fields(line); len(f) >= 2 {
			out = append(out, f[0]+" "+f[1])
		}
	}
	return out
}

var icmpToken atomic.Uint32

// icmpPasses sends one ICMP (v6: ICMPv6) message of type typ and code code from
// the client namespace (source src) to dst, and reports whether it reached the
// device's own stack: a raw socket in the device namespace sees only what the
// input hook let through. Each message carries a token of its own.
func (l *lab) icmpPasses(src, dst string, v6 bool, typ, code uint8) bool {
	l.t.Helper()
	network, any := "ip4:icmp", "0.0.0.0"
	if v6 {
		network, any = "ip6:ipv6-icmp", "::"
	}
	var rc, sc net.PacketConn
	var err error
	inNS(l.t, l.dev, func() { rc, err = net.ListenPacket(network, any) })
	require.NoError(l.t, err)
	defer rc.Close()
	inNS(l.t, l.cli, func() { sc, err = net.ListenPacket(network, src) })
	require.NoError(l.t, err)
	defer sc.Close()
	token := fmt.Appendf(nil, "acl%08x", icmpToken.Add(1))
	msg := append([]byte{typ, code, 0, 0, 0x12, 0x34, 0, 1}, token...)
	if !v6 { // the kernel sums ICMPv6 itself
		icmpSum(msg)
	}
	_, err = sc.WriteTo(msg, &net.IPAddr{IP: net.ParseIP(dst)})
	require.NoError(l.t, err)
	rc.SetReadDeadline(time.Now().Add(400 * time.Millisecond))
	b := make([]byte, 1500)
	for {
		n, _, err := rc.ReadFrom(b)
		if err != nil {
			return false
		}
		if n >= 2 && b[0] == typ && b[1] == code && bytes.Contains(b[:n], token) {
			return true
		}
	}
}

// TestICMPTypesOnKernel: ICMP type and code lines admit the messages they name
// and no others, in IPv4 (names as IOS: echo) and IPv6 lists (echo-request);
// a real echo gets its reply; each line counts what it matched.
func TestICMPTypesOnKernel(t *testing.T) {
	l := newLab(t)
	cfg := config(t, `
ip access-list extended i4
 deny icmp any any 13 1
 permit icmp any any echo
 permit icmp any any timestamp-request
 permit icmp any any unreachable log
ipv6 access-list extended i6
 permit icmpv6 any any echo-request
 permit icmp any any 1 4
interface management 0
 ip access-group i4 in
 ipv6 access-group i6 in
`)
	require.NoError(t, l.e.Apply(cfg))
	listing := l.nft("list", "table", "inet", Table)
	require.Contains(t, listing, "icmp type echo-request")
	require.Contains(t, listing, "icmpv6 type echo-request")

	require.NoError(t, l.ping(l.cli, "10.24.12.107", "10.24.12.129", 7), "an echo is admitted and answered")
	for _, tc := range []struct {
		typ, code uint8
		want      bool
	}{
		{8, 0, true},   // echo
		{13, 0, true},  // timestamp-request
		{13, 1, false}, // 13 1: the deny before
		{3, 3, true},   // unreachable, any code
		{3, 13, true},
		{0, 0, false},  // echo-reply: not permitted
		{17, 0, false}, // mask-request
		{42, 0, false},
	} {
		require.Equal(t, tc.want, l.icmpPasses("10.24.12.107", "10.24.12.129", false, tc.typ, tc.code), "IPv4 ICMP type %d code %d", tc.typ, tc.code)
	}
	for _, tc := range []struct {
		typ, code uint8
		want      bool
	}{
		{128, 0, true}, // echo-request
		{129, 0, false},
		{1, 4, true}, // port-unreachable
		{1, 3, false},
		{200, 0, false},
	} {
		require.Equal(t, tc.want, l.icmpPasses("fd77::107", "fd77::129", true, tc.typ, tc.code), "ICMPv6 type %d code %d", tc.typ, tc.code)
	}
	st, err := l.e.Stats(cfg)
	require.NoError(t, err)
	require.Equal(t, InSync, st.State)
	require.Equal(t, uint64(1), st.Counters[Line("i4", 10)].Packets, "13 1")
	require.Equal(t, uint64(2), st.Counters[Line("i4", 20)].Packets, "the ping and one echo")
	require.Equal(t, uint64(1), st.Counters[Line("i4", 30)].Packets)
	require.Equal(t, uint64(2), st.Counters[Line("i4", 40)].Packets)
	require.Equal(t, uint64(3), st.Counters[DenyOf("i4")].Packets)
	require.Equal(t, uint64(1), st.Counters[Line("i6", 10)].Packets)
	require.Equal(t, uint64(1), st.Counters[Line("i6", 20)].Packets)
}

// TestIPv6NeighborDiscoveryImplicit pins what IPv6 lists permit implicitly
// before the implicit deny (issue 10, defect 19), and that show access-lists
// says the same: neighbor solicitations and advertisements (135, 136) as IOS,
// and router advertisements (134), which IOS does not (a host learns its
// default route from them). Router solicitations (133) and redirects (137) are
// not permitted. A line of the list decides first: `deny icmp any any
// router-advertisement` drops them.
func TestIPv6NeighborDiscoveryImplicit(t *testing.T) {
	l := newLab(t)
	l.serveTCP("[fd77::129]:22")
	var out strings.Builder
	sh, err := shell.New(shell.Options{Host: "device", Store: &statedir.Store{Dir: t.TempDir()}, Out: &out, Err: &out,
		Enforcer: l.e, IfName: "mgmt0", Interactive: true})
	require.NoError(t, err)
	typed := func(lines ...string) string {
		t.Helper()
		out.Reset()
		for _, line := range lines {
			require.NoError(t, sh.Run(line), line)
		}
		return out.String()
	}
	typed("conf t", "ipv6 access-list extended nd", "permit tcp any any eq 22", "end",
		"conf t", "interface management 0", "ipv6 access-group nd in", "end")
	// No static neighbours: TCP over IPv6 works only if NS and NA pass.
	run(t, "ip", "-n", l.dev, "neigh", "flush", "dev", "mgmt0")
	run(t, "ip", "-n", l.cli, "neigh", "flush", "dev", "eth0")
	c, err := l.dial(l.cli, "", "[fd77::129]:22")
	require.NoError(t, err, "neighbour discovery passes")
	c.Close()
	for _, tc := range []struct {
		typ  uint8
		want bool
	}{{133, false}, {134, true}, {135, true}, {136, true}, {137, false}} {
		require.Equal(t, tc.want, l.icmpPasses("fd77::107", "fd77::129", true, tc.typ, 0), "ICMPv6 type %d", tc.typ)
	}
	show := typed("show access-lists")
	require.Regexp(t, `(?m)^ implicit permit icmp any any router-advertisement, nd-ns, nd-na \([3-9]\d* matches\)
 implicit deny \(\d+ match(?:es)?\)$`, show)

	typed("conf t", "ipv6 access-list extended nd", "deny icmp any any router-advertisement", "end")
	require.False(t, l.icmpPasses("fd77::107", "fd77::129", true, 134, 0), "a line of the list decides before the implicit permit")
	require.True(t, l.icmpPasses("fd77::107", "fd77::129", true, 135, 0))
	require.Regexp(t, `(?m)^ seq 20 deny icmp any any router-advertisement \(1 match\)$`, typed("show access-lists"))
}

// TestICMPTypeConnlimitCountsExisting: a connlimit line naming an ICMP type
// counts the echo flows that exist when it is applied (conntrack's ICMP
// connections are echoes, their first packet an echo request) and keeps them
// passing, as for any other protocol.
func TestICMPTypeConnlimitCountsExisting(t *testing.T) {
	l := newLab(t)
	require.NoError(t, l.e.Apply(config(t, `
ip access-list extended check
 permit ip any any
interface management 0
 ip access-group check in
`)))
	require.NoError(t, l.ping(l.cli, "10.24.12.107", "10.24.12.129", 101))
	require.NoError(t, l.ping(l.cli, "10.24.12.107", "10.24.12.129", 102))
	require.NoError(t, l.e.Apply(config(t, `
ip access-list extended check
 permit icmp any any echo connlimit 2
interface management 0
 ip access-group check in
`)))
	require.Error(t, l.ping(l.cli, "10.24.12.107", "10.24.12.129", 103), "the two flows from before count")
	require.NoError(t, l.ping(l.cli, "10.24.12.107", "10.24.12.129", 101), "and keep passing")
	require.NoError(t, l.ping(l.cli, "10.24.12.108", "10.24.12.129", 103), "another source has its own count")
}
