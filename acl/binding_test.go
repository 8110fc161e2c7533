package acl

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBindings: bindings are keyed by family and direction, render in the
// order of AllBindings, and compare as values.
func TestBindings(t *testing.T) {
	require.Equal(t, []Binding{{IPv4, In}, {IPv6, In}}, AllBindings())
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
