package enforcer_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	. "github.com/aclsh/aclsh/enforcer"
)

// nftFile loads an nft script in the device namespace (nft -f).
func (l *lab) nftFile(script string) {
	l.t.Helper()
	f := filepath.Join(l.t.TempDir(), "rules.nft")
	require.NoError(l.t, os.WriteFile(f, []byte(script+"\n"), 0o600))
	l.nft("-f", f)
}

// TestOtherTablesCanDrop is testdata/kernel-scripts/other-tables-can-drop.txtar now (TestKernelScripts).

// TestOtherTablesLook is testdata/kernel-scripts/other-tables-look.txtar now
// (TestKernelScripts): which other chains count, and that looking changes
// nothing.

// BenchmarkOtherTablesLook is the cost of one look at the other tables (one
// listing of chains and the rules of the candidates), with a few tables as
// firewalld and docker leave them. (It was a t.Logf of TestOtherTablesLook:
// timing is a benchmark's, not a transcript's.)
func BenchmarkOtherTablesLook(b *testing.B) {
	l := newLab(b)
	cfg := config(b, "ip access-list extended mgmt\n permit tcp any any eq 22\ninterface management 0\n ip access-group mgmt in\n")
	require.NoError(b, l.e.Apply(cfg))
	l.nftFile(`table inet firewalld {
	chain filter_INPUT { type filter hook input priority 10; policy accept;
		ct state established,related accept; iifname "lo" accept; jump filter_INPUT_ZONES; ct state invalid drop; reject with icmpx admin-prohibited; }
	chain filter_INPUT_ZONES { iifname "mgmt0" goto filter_IN_public; goto filter_IN_public; }
	chain filter_IN_public { tcp dport 22 accept; }
	chain filter_FORWARD { type filter hook forward priority 10; policy accept; reject; }
}
table ip filter {
	chain INPUT { type filter hook input priority 0; policy accept; }
	chain FORWARD { type filter hook forward priority 0; policy drop; }
	chain DOCKER { }
}`)
	for b.Loop() {
		d, err := OtherDroppers(l.e)
		require.NoError(b, err)
		require.Len(b, d, 1)
	}
}
