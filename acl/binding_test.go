package acl

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBindings: bindings are keyed by family and direction, render in the
// order of AllBindings, and compare as values.
func TestBindings(t *testing.T) {
	require.Equal(t, []Binding{{Mgmt, IPv4, In}, {Mgmt, IPv6, In}, {ControlPlane, IPv4, In}, {ControlPlane, IPv6, In},
		{VTY, IPv4, In}, {VTY, IPv6, In}}, AllBindings())
	require.Equal(t, "ipv6 access-group in", Inbound(IPv6).String())
	var bs Bindings
	require.True(t, bs.IsZero())
	for range bs.All() {
		t.Fatal("the zero Bindings yields a binding")
	}
	bs.set(Inbound(IPv6), "v6")
	bs.set(Inbound(IPv4), "v4")
	require.False(t, bs.IsZero())
	require.Equal(t, "v4", bs.Get(Binding{}), "the zero Binding is IPv4 in")
	var got []string
	for b, n := range bs.All() {
		got = append(got, b.String()+" "+n)
	}
	require.Equal(t, []string{"ip access-group in v4", "ipv6 access-group in v6"}, got)
	require.Equal(t, []Binding{Inbound(IPv6)}, bs.Of(IPv6, "v6"))
	require.Empty(t, bs.Of(IPv4, "v6"))
	cp := bs
	cp.set(Inbound(IPv4), "")
	require.Equal(t, "v4", bs.Get(Inbound(IPv4)), "a copy shares nothing")
	require.NotEqual(t, bs, cp)
}

// TestBindingPoints: a list is bound at one point; connlimit lines only on
// management 0; running-config has a section per point, in the order packets
// are looked at, and reads back the same.
func TestBindingPoints(t *testing.T) {
	c := NewConfig()
	for _, n := range []string{"mg", "cp", "vty"} {
		_, err := c.Ensure(n, IPv4)
		require.NoError(t, err)
	}
	_, err := c.Ensure("vty6", IPv6)
	require.NoError(t, err)
	require.NoError(t, c.Bind(At(VTY, IPv4), "vty"))
	require.NoError(t, c.Bind(At(VTY, IPv6), "vty6"))
	require.NoError(t, c.Bind(At(ControlPlane, IPv4), "cp"))
	require.NoError(t, c.Bind(Inbound(IPv4), "mg"))
	err = c.Bind(Inbound(IPv4), "vty")
	require.ErrorIs(t, err, ErrBound)
	require.EqualError(t, err, "access list vty is bound to line vty already (access-class vty in): a list is bound at one place; make a copy of it for interface management 0")
	require.Equal(t, "line vty in", c.BoundTo("vty"))
	require.Equal(t, "control-plane in", c.BoundTo("cp"))
	require.Equal(t, "management 0 in", c.BoundTo("mg"))
	require.Equal(t, "!\nip access-list extended cp\n!\nip access-list extended mg\n!\nip access-list extended vty\n!\nipv6 access-list extended vty6\n!\n"+
		"interface management 0\n ip access-group mg in\n!\nsystem control-plane\n ip access-group cp in\n!\nline vty\n access-class vty in\n ipv6 access-class vty6 in\n!\n", c.Render())
	err = c.Delete("vty6", IPv6)
	require.ErrorIs(t, err, ErrBound)
	require.EqualError(t, err, "access list vty6 is bound to line vty; remove `ipv6 access-class vty6 in` first")

	// connlimit counts on management 0 only
	lim := Rule{Action: Permit, Proto: Protocol{Num: ProtoTCP, Set: true, Keyword: true}, ConnLimit: 3}
	require.ErrorIs(t, c.CheckAdd("vty", lim), ErrBound)
	require.ErrorIs(t, c.CheckAdd("cp", lim), ErrBound)
	require.NoError(t, c.CheckAdd("mg", lim))
	require.NoError(t, c.CheckAdd("vty", Rule{Action: Permit, Proto: Protocol{Num: ProtoTCP, Set: true, Keyword: true}}))
	require.NoError(t, c.Unbind(At(ControlPlane, IPv4), ""))
	lim.Seq = 10
	_, err = c.ACLs["cp"].Add(lim)
	require.NoError(t, err)
	err = c.Bind(At(ControlPlane, IPv4), "cp")
	require.ErrorIs(t, err, ErrBound)
	require.Contains(t, err.Error(), "access list cp counts sessions (seq 10: connlimit), which aclsh does on interface management 0 only")
	require.EqualError(t, c.Unbind(At(ControlPlane, IPv4), ""), "no IPv4 list is bound to system control-plane")
}

// A merge (copy startup-config running-config) keeps the binding rules, or
// merges nothing; so does the whole-config check a commit makes.
func TestMergeKeepsBindingRules(t *testing.T) {
	mk := func(lines ...[2]string) *Config {
		c := NewConfig()
		for _, l := range lines {
			_, err := c.Ensure(l[0], IPv4)
			require.NoError(t, err)
		}
		return c
	}
	// X on management 0 here, at line vty in the config merged
	run := mk([2]string{"X"})
	require.NoError(t, run.Bind(Inbound(IPv4), "X"))
	st := mk([2]string{"X"})
	require.NoError(t, st.Bind(At(VTY, IPv4), "X"))
	before := run.Render()
	_, err := run.Merge(st)
	require.ErrorIs(t, err, ErrBound)
	require.Contains(t, err.Error(), "access list X would be bound to interface management 0 (ip access-group X in) and to line vty (access-class X in)")
	require.Equal(t, before, run.Render(), "nothing merged")

	// V at line vty here; the config merged gives V a connlimit line
	run = mk([2]string{"V"})
	require.NoError(t, run.Bind(At(VTY, IPv4), "V"))
	st = mk([2]string{"V"})
	_, err = st.ACLs["V"].Add(Rule{Seq: 10, Action: Permit, Proto: Protocol{Num: ProtoTCP, Set: true, Keyword: true}, ConnLimit: 2})
	require.NoError(t, err)
	before = run.Render()
	_, err = run.Merge(st)
	require.ErrorIs(t, err, ErrBound)
	require.Contains(t, err.Error(), "access list V counts sessions (seq 10: connlimit)")
	require.Equal(t, before, run.Render(), "nothing merged")

	// the whole-config check finds both, however the config was made
	run.Bound.set(At(VTY, IPv4), "V")
	_, err = run.ACLs["V"].Add(Rule{Seq: 10, Action: Permit, Proto: Protocol{Num: ProtoTCP, Set: true, Keyword: true}, ConnLimit: 2})
	require.NoError(t, err)
	require.ErrorIs(t, run.CheckBindings(), ErrBound)
	require.NoError(t, mk().CheckBindings())
}
