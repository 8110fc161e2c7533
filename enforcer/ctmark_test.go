package enforcer_test

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// aclsh sets and reads only its own bits of the conntrack mark (the high 16):
// a policy-routing rule beside it that keeps the low 16 bits for itself
// (CONNMARK with a mask) keeps working, and the sessions a connlimit line
// admitted keep passing with both marks on their entries.
func TestCtMarkBesidePolicyRouting(t *testing.T) {
	l := newLab(t)
	l.serveTCP(":22")
	cfg := config(t, `
ip access-list extended check
 permit tcp host 10.24.12.107 host 10.24.12.129 eq 22 connlimit 2
interface management 0
 ip access-group check in
`)
	require.NoError(t, l.e.Apply(cfg))
	// Policy routing's marks, in the low 16 bits: set on a connection's first
	// packet, before aclsh's chain sees it (which then sets its own bits), and
	// restored to the packet mark on every packet.
	cmd := exec.Command("ip", "netns", "exec", l.dev, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(`table inet pr {
	chain pre {
		type filter hook prerouting priority mangle;
		iifname "mgmt0" ct state new ct mark set ct mark & 0xffff0000 | 0x00000001
		meta mark set ct mark & 0x0000ffff
	}
}`)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	cs := l.openN("10.24.12.107", 2)
	l.refused("10.24.12.107", dev)
	for _, c := range cs {
		require.NoError(t, echoOnce(c), "an admitted session keeps passing")
	}
	// Both marks on the sessions' entries: aclsh's tag bit and policy routing's 1.
	ct, err := exec.Command("ip", "netns", "exec", l.dev, "conntrack", "-L", "-p", "tcp", "--dport", "22").CombinedOutput()
	require.NoError(t, err, "%s", ct)
	marks := regexp.MustCompile(`ESTABLISHED .* mark=(\d+)`).FindAllStringSubmatch(string(ct), -1)
	require.Len(t, marks, 2, "%s", ct)
	for _, m := range marks {
		v, err := strconv.ParseUint(m[1], 10, 32)
		require.NoError(t, err)
		require.Equal(t, uint64(1), v&0xffff, "policy routing's bits kept: %#x", v)
		require.NotZero(t, v&0x80000000, "aclsh's tag set: %#x", v)
	}
	// A commit that changes the limit keeps both, and the sessions.
	cfg = config(t, `
ip access-list extended check
 permit tcp host 10.24.12.107 host 10.24.12.129 eq 22 connlimit 3
interface management 0
 ip access-group check in
`)
	require.NoError(t, l.e.Apply(cfg))
	for _, c := range cs {
		require.NoError(t, echoOnce(c))
	}
	c, err := l.dial(l.cli, "10.24.12.107", dev)
	require.NoError(t, err, "the third of three")
	c.Close()
}
