package enforcer_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"

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
			shardSizes(t, base)
			text, err := os.ReadFile(f)
			require.NoError(t, err)
			cfg := config(t, string(text))
			ids := map[LineRef]string{}
			for _, l := range LimitsOf(cfg) {
				ids[l.Ref()] = l.ID
			}
			pre := Pre{}
			if data, err := os.ReadFile(base + ".pre"); err == nil {
				for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
					fs := strings.Fields(line)
					n, _ := strconv.Atoi(fs[2])
					ref, err := ParseLineRef(fs[0] + "/m")
					require.NoError(t, err)
					id := ids[ref]
					require.NotEmpty(t, id, "%s: no connlimit line %s", base+".pre", fs[0])
					if pre[id] == nil {
						pre[id] = map[netip.Addr]int{}
					}
					pre[id][netip.MustParseAddr(fs[1])] = n
				}
			}
			golden.Check(t, base+".nft", Compile(cfg, "mgmt0", pre).String())
		})
	}
}

// shardSizes sets the sizes of shards for the test of testdata/plans/NAME
// (base) as NAME.shard says ("over every most", see SetShardSizes), if it is
// there: a plan with sharded run maps without thousands of lines.
func shardSizes(t *testing.T, base string) {
	data, err := os.ReadFile(base + ".shard")
	if err != nil {
		return
	}
	var over, every, most int
	_, err = fmt.Sscan(string(data), &over, &every, &most)
	require.NoError(t, err, base+".shard")
	t.Cleanup(SetShardSizes(over, every, most))
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
			shardSizes(t, base)
			a, b := newLab(t), newLab(t)
			text, err := os.ReadFile(f)
			require.NoError(t, err)
			cfg := config(t, string(text))
			require.NoError(t, a.e.Apply(cfg))
			// Read back by an enforcer that did not write it, every object equals
			// the plan's (log levels, set ids and counters included).
			other := &Enforcer{IfName: "mgmt0", NetNS: a.e.NetNS}
			defer other.Close()
			st, err := other.Stats(cfg)
			require.NoError(t, err)
			drift, _ := Drift(other, cfg)
			require.Equal(t, InSync, st.State, "drift: %q", drift)
			plan := Compile(cfg, "mgmt0", nil).String()
			if cfg.Bound.IsZero() {
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

// TestDiffGolden: for each testdata/diffs/NAME.txt (sections "-- before --",
// "-- after --", "-- batch --"), the batch the diff sends to a kernel holding the
// plan of the first config (rule handles numbered from 1) to make it enforce the
// second, as nft commands.
func TestDiffGolden(t *testing.T) {
	files, err := filepath.Glob("../testdata/diffs/*.txt")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			head, before, after := diffCase(t, f)
			golden.Check(t, f, head+DiffText(before, after, "mgmt0"))
		})
	}
}

// TestDiffOnKernel: each golden diff applies on a real kernel as a diff (no
// fallback to replacing the table), and leaves the same ruleset as applying the
// second config on a fresh kernel.
func TestDiffOnKernel(t *testing.T) {
	files, err := filepath.Glob("../testdata/diffs/*.txt")
	require.NoError(t, err)
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			_, before, after := diffCase(t, f)
			a, b := newLab(t), newLab(t)
			require.NoError(t, a.e.Apply(before))
			require.NoError(t, a.e.Apply(after))
			require.Zero(t, FullReplaces(a.e), "applied as a diff")
			require.NoError(t, b.e.Apply(after))
			require.Equal(t, objects(b), objects(a))
		})
	}
}

// objects lists the lab's ruleset as its sets, maps and chains in name order (the
// kernel lists them in the order they were created), the elements of a set in
// order too (the kernel lists a run set's elements in the order they were
// added), and run sets unnamed: a run's set keeps the name the kernel has for it
// (see testdata/diffs/run-insert-first.txt), which a fresh apply does not know.
func objects(l *lab) []string {
	out, _ := exec.Command("ip", "netns", "exec", l.dev, "nft", "list", "ruleset").CombinedOutput()
	body := strings.TrimSpace(string(out))
	body = strings.TrimSuffix(strings.TrimPrefix(body, "table inet aclsh {"), "}")
	body = regexp.MustCompile(`run_[0-9a-f]+`).ReplaceAllString(body, "run_*")
	var objs []string
	for _, block := range strings.Split(body, "\n\n") {
		block = strings.TrimSpace(block)
		if i, j := strings.Index(block, "elements = { "), strings.LastIndex(block, " }"); i >= 0 && j > i {
			els := strings.Split(block[i+len("elements = { "):j], ",\n")
			for k := range els {
				els[k] = strings.TrimSpace(els[k])
			}
			sort.Strings(els)
			block = block[:i] + "elements = { " + strings.Join(els, ",\n") + block[j:]
		}
		objs = append(objs, block)
	}
	sort.Strings(objs)
	return objs
}

// diffCase reads a testdata/diffs file: the text up to and including the batch
// header, and the two configs.
func diffCase(t *testing.T, f string) (head string, before, after *acl.Config) {
	data, err := os.ReadFile(f)
	require.NoError(t, err)
	text := string(data)
	i, j, k := strings.Index(text, "-- before --\n"), strings.Index(text, "-- after --\n"), strings.Index(text, "-- batch --\n")
	require.True(t, i >= 0 && j > i && k > j, "%s: want sections before, after, batch", f)
	return text[:k+len("-- batch --\n")], config(t, text[i+len("-- before --\n"):j]), config(t, text[j+len("-- after --\n"):k])
}

// TestDiffRulesRandom: for random kernel chains (with stray and duplicate keys)
// and random plans, the rule ops leave the chain holding exactly the plan's keys
// in the plan's order.
func TestDiffRulesRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	for round := range 2000 {
		keys := func(n int, dups bool) []string {
			var out []string
			seen := map[string]bool{}
			for range n {
				k := fmt.Sprintf("k%d", r.IntN(12))
				if seen[k] && !dups {
					continue
				}
				seen[k] = true
				out = append(out, k)
			}
			return out
		}
		plan, kernel := keys(r.IntN(10), false), keys(r.IntN(10), true)
		if len(plan) == 0 {
			plan = []string{}
		}
		require.Equal(t, plan, DiffKeys(plan, kernel), "round %d: plan %v, kernel %v", round, plan, kernel)
	}
}
