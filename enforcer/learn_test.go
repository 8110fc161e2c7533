package enforcer_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	. "github.com/aclsh/aclsh/enforcer"
)

// A one-shot process (a new Enforcer) that removes a plain line looks at no live
// session once it has learnt the config the kernel enforces: it knows the line
// was no permit line a session could depend on. Without Learn it must look.
func TestLearnSparesTheSessionListing(t *testing.T) {
	l := newLab(t)
	old := config(t, `
ip access-list extended check
 permit tcp any any eq 22 connlimit 3
 permit tcp host 10.9.9.9 any eq 99
 deny udp any any eq 53
interface management 0
 ip access-group check in
`)
	cfg := config(t, `
ip access-list extended check
 permit tcp any any eq 22 connlimit 3
interface management 0
 ip access-group check in
`)
	require.NoError(t, l.e.Apply(old))
	for _, learn := range []bool{false, true} {
		e := &Enforcer{IfName: l.e.IfName, NetNS: l.e.NetNS}
		if learn {
			e.Learn(old)
		}
		require.NoError(t, e.Apply(cfg))
		if learn {
			require.Zero(t, Adopts(e), "the removed lines are known: no listing")
		} else {
			require.NotZero(t, Adopts(e), "unknown removed lines: the sessions are looked at (before and after the transaction)")
		}
		require.NoError(t, e.Apply(old))
		e.Close()
	}
}
