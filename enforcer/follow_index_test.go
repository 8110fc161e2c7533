package enforcer

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
)

// The follower walks sessions only toward a limit: a running-config without a
// connlimit line makes no walker (it copied every line of every bound list at
// each change, under the state lock), one with a connlimit line does.
func TestFollowerIndexesOnlyLimits(t *testing.T) {
	cfg := acl.NewConfig()
	a, err := cfg.Ensure("big", acl.IPv4)
	require.NoError(t, err)
	tcp := acl.Protocol{Num: acl.ProtoTCP, Set: true, Keyword: true}
	for i := range 100 {
		_, err := a.Add(acl.Rule{Action: acl.Permit, Proto: tcp, DstPort: acl.PortMatch{Op: acl.PortEq, Lo: uint16(1000 + i)}})
		require.NoError(t, err)
	}
	require.NoError(t, cfg.Bind(acl.At(acl.Mgmt, acl.IPv4), "big"))
	f := &follower{}
	f.index(cfg)
	require.Nil(t, f.w, "no connlimit line: nothing to walk")
	require.Empty(t, f.limits)

	limited := cfg.Clone()
	_, err = limited.ACLs["big"].Add(acl.Rule{Action: acl.Permit, Proto: tcp, DstPort: acl.PortMatch{Op: acl.PortEq, Lo: 22}, ConnLimit: 3})
	require.NoError(t, err)
	f.index(limited)
	require.NotNil(t, f.w, "a connlimit line: its sessions are walked")
	require.Len(t, f.limits, 1)
	f.index(cfg)
	require.Nil(t, f.w, "the connlimit line gone again")
}
