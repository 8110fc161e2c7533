package grammar

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/internal/acltest"
)

// canonicalLine renders a rule as the running-config does, with or without its seq.
func canonicalLine(r acl.Rule, f acl.Family) string {
	if r.Seq == 0 {
		return r.Body(f)
	}
	return r.Format(f)
}

// TestCanonicalFastPath: every canonical rule line takes the fast path, and it
// reads the line exactly as the full parser does.
func TestCanonicalFastPath(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 20000 {
		f := acl.Family(i % 2)
		mode := IPACL
		if f == acl.IPv6 {
			mode = IP6ACL
		}
		rule := acltest.Rule(r, f)
		line := canonicalLine(rule, f)
		if i%3 == 0 {
			line = " " + line // as indented in the running-config
		}
		_, ok := parseCanonical(mode, line)
		require.True(t, ok, "parseCanonical(%d, %q) not taken", mode, line)
		got, err := Parse(mode, line) // the fast path
		require.NoError(t, err, "Parse(%d, %q)", mode, line)
		want, err := parseFull(mode, line)
		require.NoError(t, err, "parseFull(%d, %q)", mode, line)
		require.Equal(t, want, got, "parseCanonical(%d, %q)", mode, line)
		require.Equal(t, rule, got.rule(), "parseCanonical(%d, %q)", mode, line)
	}
}

// TestCanonicalFallsBack: other spellings, remarks and bad values are left to the
// full parser, which gives the same result (or error) as before.
func TestCanonicalFallsBack(t *testing.T) {
	for _, tc := range []struct {
		mode Mode
		line string
	}{
		{IPACL, "permit tcp any any eq ssh"},
		{IPACL, "PERMIT tcp any any"},
		{IPACL, "per tcp any any"},
		{IPACL, "permit tcp any  any"},
		{IPACL, "permit tcp 10.0.0.0 0.0.0.255 any"},
		{IPACL, "permit tcp 10.0.0.1/8 any"},
		{IPACL, "permit tcp 10.0.0.0/32 any"},
		{IPACL, "permit tcp any any range 20 10"},
		{IPACL, "permit tcp any any eq 022"},
		{IPACL, "permit tcp any any connlimit 3 count"},
		{IPACL, "permit tcp any any connlimit 3 sources 65535"},
		{IPACL, "permit tcp any any connlimit 3 mask 24"},
		{IPACL, "permit tcp any any connlimit 3 mask /32"},
		{IPACL, "permit tcp any any connlimit 0"},
		{IPACL, "permit tcp any any established connlimit 3"},
		{IPACL, "permit ip any any eq 22"},
		{IPACL, "permit ipv6 any any"},
		{IPACL, "seq 0 permit ip any any"},
		{IPACL, "seq 2147483648 permit ip any any"},
		{IPACL, "seq 10 remark hello"},
		{IPACL, "permit ip host 2001:db8::1 any"},
		{IP6ACL, "permit ipv6 host 10.0.0.1 any"},
		{IP6ACL, "permit ipv6 host fe80::1%eth0 any"},
		{IP6ACL, "permit ip any any"},
		{IP6ACL, "permit ipv6 10.0.0.0 0.0.0.255 any"},
		{Config, "permit ip any any"},
		{IPACL, "permit ip any any log log"},
		{IPACL, "permit ip any any | include x"},
		{IPACL, "permit tcp any any eq 443 22"},
		{IPACL, "permit tcp any any eq 22 22"},
		{IPACL, "permit tcp any any eq 1 2 3 4 5 6 7 8 9 10 11"},
		{IPACL, "permit tcp any any lt 22 443"},
		{IPACL, "permit udp any any eq 53 bgp"},
		{IPACL, "permit icmp any any 8"},
		{IPACL, "permit icmp any any 3 4"},
		{IPACL, "permit icmp any any echo-request"},
		{IPACL, "permit icmp any any 256"},
		{IPACL, "permit 1 any any 8"},
		{IP6ACL, "permit icmpv6 any any echo-request"},
		{IP6ACL, "permit icmp any any echo"},
	} {
		_, ok := parseCanonical(tc.mode, tc.line)
		require.False(t, ok, "parseCanonical(%d, %q) taken", tc.mode, tc.line)
	}
}

// FuzzCanonicalAgrees: whatever line the fast path accepts, the full parser reads
// the same way.
func FuzzCanonicalAgrees(f *testing.F) {
	r := rand.New(rand.NewPCG(9, 10))
	for i := range 200 {
		fam := acl.Family(i % 2)
		f.Add(uint8(IPACL)+uint8(fam), canonicalLine(acltest.Rule(r, fam), fam))
	}
	f.Add(uint8(IPACL), "permit tcp any any eq 22 connlimit 3 mask /24 sources 16 log")
	f.Fuzz(func(t *testing.T, m uint8, line string) {
		mode := Mode(m % uint8(numModes))
		if _, ok := parseCanonical(mode, line); !ok {
			return
		}
		got, _ := Parse(mode, line) // the fast path
		want, err := parseFull(mode, line)
		if err != nil || !reflect.DeepEqual(want, got) {
			t.Fatalf("parseCanonical(%d, %q) = %+v, but the full parser gives %+v, %v", mode, line, got, want, err)
		}
	})
}

// TestCanonicalAgreesOnMutations runs the fuzz property on variants of canonical
// lines (a word dropped, changed or repeated), deterministically.
func TestCanonicalAgreesOnMutations(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	vocab := []string{"permit", "deny", "tcp", "udp", "icmp", "ip", "ipv6", "6", "any", "host", "10.0.0.1", "10.0.0.0/8", "2001:db8::/32",
		"2001:db8::1", "::ffff:10.0.0.1", "0.0.0.255", "0.255.0.255", "eq", "neq", "lt", "gt", "range", "0", "22", "65535", "65536",
		"established", "connlimit", "3", "mask", "/0", "/24", "/64", "/128", "sources", "16", "65535", "1048576", "1048577", "log", "seq", "10", "",
		"icmpv6", "echo", "echo-reply", "echo-request", "unreachable", "packet-too-big", "8", "128", "255", "256", "443", "830", "21", "23"}
	taken := 0
	for i := range 100000 {
		fam := acl.Family(i % 2)
		mode := IPACL + Mode(fam)
		w := strings.Split(canonicalLine(acltest.Rule(r, fam), fam), " ")
		k := r.IntN(len(w))
		switch r.IntN(3) {
		case 0:
			w = append(w[:k], w[k+1:]...)
		case 1:
			w[k] = vocab[r.IntN(len(vocab))]
		case 2:
			w = append(w[:k], append([]string{vocab[r.IntN(len(vocab))]}, w[k:]...)...)
		}
		line := strings.Join(w, " ")
		if _, ok := parseCanonical(mode, line); !ok {
			continue
		}
		taken++
		got, _ := Parse(mode, line) // the fast path
		want, err := parseFull(mode, line)
		require.NoError(t, err, "parseCanonical(%d, %q) taken, parseFull refuses", mode, line)
		require.Equal(t, want, got, fmt.Sprintf("parseCanonical(%d, %q)", mode, line))
	}
	require.Greater(t, taken, 1000, "mutations that stay canonical")
}
