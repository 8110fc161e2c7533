package enforcer

import (
	"testing"

	"github.com/aclsh/aclsh/acl"
)

// TestArenaLineName: the key a run line's elements carry, made in one
// allocation, is lineID's.
func TestArenaLineName(t *testing.T) {
	var a lineArena
	for _, r := range []acl.Rule{{Seq: 10, Action: acl.Deny}, {Seq: 20, Action: acl.Permit, Log: true}} {
		for _, f := range []acl.Family{acl.IPv4, acl.IPv6} {
			if got, want := a.lineName(f, "l", &r), "l/"+lineID(f, "l", r); got != want {
				t.Fatalf("%q != %q", got, want)
			}
		}
	}
}
