package enforcer_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	. "github.com/aclsh/aclsh/enforcer"
	"github.com/aclsh/aclsh/internal/golden"
)

// TestCompileGolden renders the plan of each testdata/plans/NAME.conf (with the
// pre-existing sessions of NAME.pre, lines "ACL/seq ADDR COUNT") as nft-like text
// and compares it with NAME.nft.
func TestCompileGolden(t *testing.T) {
	files, err := filepath.Glob("../testdata/plans/*.conf")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		base := strings.TrimSuffix(f, ".conf")
		t.Run(filepath.Base(base), func(t *testing.T) {
			text, err := os.ReadFile(f)
			require.NoError(t, err)
			pre := Pre{}
			if data, err := os.ReadFile(base + ".pre"); err == nil {
				for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
					fs := strings.Fields(line)
					n, _ := strconv.Atoi(fs[2])
					if pre[fs[0]] == nil {
						pre[fs[0]] = map[netip.Addr]int{}
					}
					pre[fs[0]][netip.MustParseAddr(fs[1])] = n
				}
			}
			golden.Check(t, base+".nft", Compile(config(t, string(text)), "mgmt0", pre).String())
		})
	}
}

// TestCompileDeterministic: the same input gives the same plan.
func TestCompileDeterministic(t *testing.T) {
	text, err := os.ReadFile("../testdata/plans/every-match.conf")
	require.NoError(t, err)
	cfg := config(t, string(text))
	require.Equal(t, Compile(cfg, "mgmt0", nil).String(), Compile(cfg.Clone(), "mgmt0", nil).String())
}

// TestPlanTextMatchesKernel: the kernel holds the same ruleset whether the plan is
// applied through netlink or its text is loaded with `nft -f`, so the golden text
// says what the expressions do.
func TestPlanTextMatchesKernel(t *testing.T) {
	files, err := filepath.Glob("../testdata/plans/*.conf")
	require.NoError(t, err)
	for _, f := range files {
		base := strings.TrimSuffix(f, ".conf")
		if _, err := os.Stat(base + ".pre"); err == nil {
			continue // map elements carry expiry times
		}
		t.Run(filepath.Base(base), func(t *testing.T) {
			a, b := newLab(t), newLab(t)
			text, err := os.ReadFile(f)
			require.NoError(t, err)
			cfg := config(t, string(text))
			require.NoError(t, a.e.Apply(cfg))
			plan := Compile(cfg, "mgmt0", nil).String()
			if cfg.Mgmt.IPv4In == "" && cfg.Mgmt.IPv6In == "" {
				require.NotContains(t, a.nft("list", "tables"), Table)
				return
			}
			nftFile := filepath.Join(t.TempDir(), "plan.nft")
			require.NoError(t, os.WriteFile(nftFile, []byte(plan), 0o644))
			b.nft("-f", nftFile)
			require.Equal(t, b.nft("list", "table", "inet", Table), a.nft("list", "table", "inet", Table))
		})
	}
}
