package enforcer

import (
	"math/rand/v2"
	"net/netip"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
)

// pkey masks and overlaps as netip does (Addr.Prefix, Prefix.Overlaps), for
// random prefixes of both families and of each other; a box holds no pointer.
func TestPkeyAsNetip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	addr := func(v4 bool) netip.Addr {
		var b [16]byte
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		if r.IntN(4) == 0 {
			b[0], b[1] = 0, 0 // near another
		}
		if v4 {
			return netip.AddrFrom4([4]byte(b[:4]))
		}
		return netip.AddrFrom16(b)
	}
	pfx := func(v4 bool) netip.Prefix {
		a := addr(v4)
		p, err := a.Prefix(r.IntN(a.BitLen() + 1))
		require.NoError(t, err)
		return p
	}
	for range 20000 {
		v4 := r.IntN(2) == 0
		p, q := pfx(v4), pfx(r.IntN(8) != 0 == v4)
		if r.IntN(3) == 0 && p.Addr().Is4() == q.Addr().Is4() {
			// q inside p, or p inside q
			if b, err := p.Addr().Prefix(min(p.Bits(), q.Bits()/2)); err == nil {
				q = b
			}
		}
		require.Equal(t, p, pkeyOf(p).prefix())
		require.Equal(t, p.Overlaps(q), pkeyOf(p).overlaps(pkeyOf(q)), "%s %s", p, q)
		l := r.IntN(p.Bits() + 1)
		m, err := p.Addr().Prefix(l)
		require.NoError(t, err)
		require.Equal(t, pkeyOf(m), pkeyOf(p).masked(l), "%s /%d", p, l)
	}
	require.False(t, hasPointers(reflect.TypeFor[box]()), "a box holds a pointer: the collector scans a run index's boxes")
	require.False(t, hasPointers(reflect.TypeFor[pkey]()))
}

// hasPointers reports whether a value of type t holds a pointer.
func hasPointers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Array:
		return t.Len() > 0 && hasPointers(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if hasPointers(t.Field(i).Type) {
				return true
			}
		}
		return false
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return false
	}
	return true
}
