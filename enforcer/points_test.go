package enforcer_test

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	. "github.com/aclsh/aclsh/enforcer"
)

// reach says whether a TCP connection from src in ns to addr is admitted (and
// echoes), closing it.
func (l *lab) reach(ns, src, addr string) bool {
	c, err := l.dial(ns, src, addr)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// expectReach checks that a connection from src in ns to addr is admitted
// (want) or not. A dropped connection is never admitted, but under load an
// admitted one can take longer than a dial's timeout: an admitted one is
// tried again with a longer timeout before the test fails.
func (l *lab) expectReach(ns, src, addr string, want bool) {
	l.t.Helper()
	got := l.reach(ns, src, addr)
	if want && !got {
		if c, err := l.dialTimeout(ns, src, addr, 3*time.Second); err == nil {
			c.Close()
			got = true
		}
	}
	require.Equal(l.t, want, got, "%s to %s", src, addr)
}

// pointsLab is a lab serving TCP on 22 and 80 on every address of the device,
// with a second client address on other0's LAN (10.78.0.3).
func pointsLab(t *testing.T) *lab {
	l := newLab(t)
	run(t, "ip", "-n", l.cli2, "addr", "add", "10.78.0.3/24", "dev", "eth0")
	l.serveTCP(":22")
	l.serveTCP(":80")
	return l
}

// TestVTYBinding: a list bound at line vty decides new connections to the SSH
// port on every interface (management 0 and another), and leaves other ports
// alone; an SSH session opened before the bind is not cut.
func TestVTYBinding(t *testing.T) {
	l := pointsLab(t)
	before, err := l.dial(l.cli, "10.24.12.108", dev)
	require.NoError(t, err)
	defer before.Close()
	require.NoError(t, l.e.Apply(config(t, `
ip access-list standard VTY
 permit host 10.24.12.107
 permit host 10.78.0.2
line vty
 access-class VTY in
`)))
	for _, c := range []struct {
		ns, src, addr string
		want          bool
	}{
		{l.cli, "10.24.12.107", dev, true},
		{l.cli, "10.24.12.108", dev, false},
		{l.cli, "10.24.12.108", "10.24.12.129:80", true},
		{l.cli2, "10.78.0.2", "10.78.0.1:22", true},
		{l.cli2, "10.78.0.3", "10.78.0.1:22", false},
		{l.cli2, "10.78.0.3", "10.78.0.1:80", true},
	} {
		l.expectReach(c.ns, c.src, c.addr, c.want)
	}
	echoes(t, before)
}

// TestControlPlaneBinding: a list bound at the control-plane decides every
// packet arriving for the host on every interface but lo; management 0's own
// list is looked at first, and a packet must be permitted by both.
func TestControlPlaneBinding(t *testing.T) {
	l := pointsLab(t)
	require.NoError(t, l.e.Apply(config(t, `
ip access-list extended CP
 permit tcp host 10.78.0.2 any eq 80
 permit tcp host 10.24.12.107 any
 permit tcp host 10.24.12.108 any eq 80
ip access-list extended MGMT
 permit tcp host 10.24.12.107 any
 permit tcp host 10.24.12.108 any eq 22
system control-plane
 ip access-group CP in
interface management 0
 ip access-group MGMT in
`)))
	for _, c := range []struct {
		ns, src, addr string
		want          bool
	}{
		{l.cli2, "10.78.0.2", "10.78.0.1:80", true},
		{l.cli2, "10.78.0.2", "10.78.0.1:22", false},
		{l.cli2, "10.78.0.3", "10.78.0.1:80", false},
		{l.cli, "10.24.12.107", dev, true},                // both permit
		{l.cli, "10.24.12.108", dev, false},               // management 0 permits, the control-plane does not
		{l.cli, "10.24.12.108", "10.24.12.129:80", false}, // the control-plane permits, management 0 does not
		{l.dev, "127.0.0.1", "127.0.0.1:80", true},        // lo is not the control-plane's
		{l.cli, "10.24.12.107", "10.24.12.129:80", true},
	} {
		l.expectReach(c.ns, c.src, c.addr, c.want)
	}
	// unbound: everything passes again
	require.NoError(t, l.e.Apply(config(t, "ip access-list extended CP\n permit tcp host 10.78.0.2 any eq 80\n")))
	require.True(t, l.reach(l.cli2, "10.78.0.3", "10.78.0.1:22"))
	require.NotContains(t, l.nftMaybe("list", "ruleset"), "chain cp", "nothing bound: no chain of the control-plane")
}

// TestAllPointsAtOnce: management 0, the control-plane and line vty bound at
// once: a new SSH connection must be permitted by all three, in that order.
func TestAllPointsAtOnce(t *testing.T) {
	l := pointsLab(t)
	cfg := config(t, `
ip access-list extended MGMT
 permit tcp 10.24.12.0/24 any
ip access-list extended CP
 permit tcp 10.24.12.0/24 any
 permit tcp host 10.78.0.2 any
ip access-list standard VTY
 permit host 10.24.12.107
 permit host 10.24.12.109
 deny 10.24.12.0 0.0.0.255
 permit any
interface management 0
 ip access-group MGMT in
system control-plane
 ip access-group CP in
line vty
 access-class VTY in
`)
	require.NoError(t, l.e.Apply(cfg))
	for _, c := range []struct {
		ns, src, addr string
		want          bool
	}{
		{l.cli, "10.24.12.107", dev, true},
		{l.cli, "10.24.12.109", dev, true},
		{l.cli, "10.24.12.108", dev, false},              // line vty denies
		{l.cli, "10.24.12.108", "10.24.12.129:80", true}, // not SSH: line vty does not look
		{l.cli2, "10.78.0.2", "10.78.0.1:22", true},      // the control-plane and line vty permit
		{l.cli2, "10.78.0.3", "10.78.0.1:22", false},     // the control-plane denies
	} {
		l.expectReach(c.ns, c.src, c.addr, c.want)
	}
	// show reads every point's chains back as the plan has them, with the
	// matches of the lines that decided
	st, err := l.e.Stats(cfg)
	require.NoError(t, err)
	require.Equal(t, InSync, st.State, "kernel:\n%s", l.nft("list", "table", "inet", Table))
	require.NoError(t, l.e.Apply(cfg), "applying it again changes nothing")
	require.Zero(t, FullReplaces(l.e))
}

// echoes proves an open connection still carries data.
func echoes(t *testing.T, c net.Conn) {
	t.Helper()
	_, err := c.Write([]byte("ping\n"))
	require.NoError(t, err)
	buf := make([]byte, 5)
	_, err = c.Read(buf)
	require.NoError(t, err, "the session opened before the bind was cut")
}
