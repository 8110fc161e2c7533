package enforcer_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
	. "github.com/aclsh/aclsh/enforcer"
)

// TestLineRefText: each LineRef reads as show's counters were once keyed, and
// ParseLineRef(String(r)) == r.
func TestLineRefText(t *testing.T) {
	for _, c := range []struct {
		r    LineRef
		text string
	}{
		{Line("web", 10), "web/10/m"},
		{Line("web", 10).As(Refused), "web/10/r"},
		{Line("a/b", acl.MaxSeq).As(LogSeen), "a/b/2147483647/log"},
		{Line("web", 20).As(Logged), "web/20/logged"},
		{DenyOf("web"), "web/deny/m"},
		{NDOf("v6"), "v6/nd/m"},
	} {
		require.Equal(t, c.text, c.r.String(), "%#v.String()", c.r)
		got, err := ParseLineRef(c.text)
		require.NoError(t, err)
		require.Equal(t, c.r, got, "ParseLineRef(%q)", c.text)
	}
	require.Empty(t, LineRef{}.String())
	require.True(t, LineRef{}.IsZero())
	require.False(t, DenyOf("x").IsZero())
	for _, bad := range []string{"", "web", "web/10", "web/0/m", "web/x/m", "web/10/q", "web/deny/r", "/10/m", "web/2147483648/m"} {
		_, err := ParseLineRef(bad)
		require.Error(t, err, "ParseLineRef(%q)", bad)
	}
}

// TestPlanLineRefs: every counting rule and run element of a plan names a line
// of its list (or the list's implicit lines), so show finds its counters.
func TestPlanLineRefs(t *testing.T) {
	cfg := config(t, `ip access-list extended web
 seq 10 permit tcp any any eq 22 connlimit 3
 seq 20 permit udp host 10.0.0.1 any eq 53 log
 seq 30 permit udp host 10.0.0.2 any eq 53
 seq 40 permit udp host 10.0.0.3 any eq 53
 seq 50 deny tcp any any eq 23 connlimit 1
ipv6 access-list extended v6
 seq 10 permit tcp any any eq 22
interface management 0
 ip access-group web in
 ipv6 access-group v6 in
`)
	seen := map[LineRef]bool{}
	p := Compile(cfg, "mgmt0", nil)
	for _, ch := range p.Chains {
		for _, r := range ch.Rules {
			if !r.Count.IsZero() {
				seen[r.Count] = true
			}
			if !r.Logged.IsZero() {
				seen[r.Logged] = true
			}
		}
	}
	for _, s := range p.Sets {
		for _, e := range s.Elems {
			if !e.Count.IsZero() {
				seen[e.Count] = true
			}
		}
	}
	want := map[LineRef]bool{DenyOf("web"): true, DenyOf("v6"): true, NDOf("v6"): true, Line("v6", 10): true,
		Line("web", 10).As(Refused): true, Line("web", 20).As(LogSeen): true, Line("web", 20).As(Logged): true}
	for seq := acl.Seq(10); seq <= 50; seq += 10 {
		want[Line("web", seq)] = true
	}
	require.Equal(t, want, seen)
}
