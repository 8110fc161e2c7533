package enforcer_test

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mdlayher/netlink"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/aclsh/aclsh/acl"
	. "github.com/aclsh/aclsh/enforcer"
)

// TestEncodeAsLibrary: aclsh's own encoding of a transaction (txn.go) is the
// one google/nftables makes for the same ops, message by message and
// attribute by attribute: for the diff of every testdata/diffs case, each
// plan of testdata/plans applied on an empty kernel and replacing a table
// whole, a table deleted, long blocklists, and a sharded one changed in the middle, with
// carried counters on new rules and run lines. Sequence numbers and port ids
// are the sockets' and are not compared; set and rule transaction ids are,
// both counting from 1. The cases together have every op kind and set kind.
func TestEncodeAsLibrary(t *testing.T) {
	type tc struct {
		name          string
		before, after *acl.Config
		full          bool
	}
	var cases []tc
	files, err := filepath.Glob("../testdata/diffs/*.txt")
	require.NoError(t, err)
	for _, f := range files {
		_, before, after := diffCase(t, f)
		cases = append(cases, tc{"diff " + filepath.Base(f), before, after, false})
	}
	plans, err := filepath.Glob("../testdata/plans/*.conf")
	require.NoError(t, err)
	for _, f := range plans {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		cfg := config(t, string(data))
		cases = append(cases, tc{"plan " + filepath.Base(f), nil, cfg, false}, tc{"full " + filepath.Base(f), cfg, cfg, true},
			tc{"unbind " + filepath.Base(f), cfg, nil, false})
	}
	// long lists: a run map's elements in many messages (their list
	// attributes numbered past 65535)
	for _, n := range []int{3000, 70000} {
		cases = append(cases, tc{fmt.Sprintf("blocklist %d", n), nil, config(t, blockText(n, false)), false})
	}
	restore := SetShardSizes(40, 16, 32)
	defer restore()
	block := config(t, blockText(300, true))
	changed := config(t, blockText(300, true))
	a := changed.ACLs["block"]
	require.NoError(t, a.DeleteSeq(150))
	_, err = a.Add(rule(t, "seq 150 deny ip host 192.0.2.1 any"))
	require.NoError(t, err)
	cases = append(cases, tc{"blocklist", nil, block, false}, tc{"blocklist change", block, changed, false})

	covered := map[string]bool{}
	for _, c := range cases {
		ours, lib, kinds, err := Encodings(c.before, c.after, c.full)
		require.NoError(t, err, c.name)
		for _, k := range kinds {
			covered[k] = true
		}
		if len(lib) == 0 {
			// no change: the library sends nothing, aclsh does not send (send)
			require.Len(t, ours, 2, "%s: messages", c.name)
			continue
		}
		require.Equal(t, len(lib), len(ours), "%s: messages", c.name)
		for i := range lib {
			require.Equal(t, msgText(lib[i]), msgText(ours[i]), "%s: message %d", c.name, i)
			require.Equal(t, lib[i].Data, ours[i].Data, "%s: message %d, bytes", c.name, i)
		}
	}
	var want []string
	for _, op := range []string{"add table", "delete table", "add chain", "delete chain", "flush chain", "add map", "add set",
		"delete map", "delete set", "add element", "delete element", "add rule", "insert rule", "replace rule", "delete rule"} {
		want = append(want, "op "+op)
	}
	for _, k := range want {
		require.True(t, covered[k], "no case has %s", k)
	}
	var sets []string
	for k := range covered {
		if strings.HasPrefix(k, "set ") {
			sets = append(sets, k)
		}
	}
	slices.Sort(sets)
	t.Logf("set kinds covered:\n%s", strings.Join(sets, "\n"))
}

// msgText renders a netlink message as its type, flags and attributes, one
// a line, nested ones indented (a nested attribute is one flagged
// NLA_F_NESTED, or whose payload reads as attributes).
func msgText(m netlink.Message) string {
	var b strings.Builder
	fmt.Fprintf(&b, "type %#x flags %#x\n", m.Header.Type, m.Header.Flags)
	if len(m.Data) < 4 {
		return b.String()
	}
	fmt.Fprintf(&b, "nfgenmsg % x\n", m.Data[:4])
	attrText(&b, m.Data[4:], 1)
	return b.String()
}

func attrText(b *strings.Builder, data []byte, depth int) {
	for len(data) >= 4 {
		l := int(binary.NativeEndian.Uint16(data))
		typ := binary.NativeEndian.Uint16(data[2:])
		if l < 4 || l > len(data) {
			fmt.Fprintf(b, "%sbad attribute % x\n", strings.Repeat("  ", depth), data)
			return
		}
		v := data[4:l]
		if typ&unix.NLA_F_NESTED != 0 {
			fmt.Fprintf(b, "%s%d nested (%d bytes)\n", strings.Repeat("  ", depth), typ&^unix.NLA_F_NESTED, len(v))
			attrText(b, v, depth+1)
		} else {
			fmt.Fprintf(b, "%s%d % x\n", strings.Repeat("  ", depth), typ, v)
		}
		data = data[min((l+3)&^3, len(data)):]
	}
	if len(data) > 0 {
		fmt.Fprintf(b, "%strailing % x\n", strings.Repeat("  ", depth), data)
	}
}
