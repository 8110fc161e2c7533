package shell

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/cli"
	"github.com/aclsh/aclsh/config"
	"github.com/aclsh/aclsh/internal/acltest"
)

// randomConfig builds a config through the model's API, with every rule form.
func randomConfig(r *rand.Rand) *acl.Config {
	cfg := acl.NewConfig()
	for i := range r.IntN(5) + 1 {
		f := acl.Family(r.IntN(2))
		a, err := cfg.Ensure(fmt.Sprintf("acl%d.%c", i, 'a'+r.IntN(26)), f)
		if err != nil {
			panic(err)
		}
		for range r.IntN(30) {
			a.Add(randomRule(r, f))
		}
		if r.IntN(2) == 0 {
			cfg.Bind(acl.Inbound(f), a.Name)
		}
	}
	if r.IntN(4) == 0 {
		// A standard list (issue 20), numbered or named: its lines are the
		// sources of random rules.
		name := []string{"std", strconv.Itoa(1 + r.IntN(99)), strconv.Itoa(1300 + r.IntN(700))}[r.IntN(3)]
		a, err := cfg.EnsureKind(name, acl.IPv4, true)
		if err != nil {
			panic(err)
		}
		for range r.IntN(10) {
			x := randomRule(r, acl.IPv4)
			if !x.IsRemark() {
				x = acl.Rule{Seq: x.Seq, Action: x.Action, Src: x.Src, Log: x.Log, Standard: true}
			}
			a.Add(x)
		}
	}
	if r.IntN(3) == 0 {
		if err := cfg.SetLogInterval(uint32(1 + r.IntN(int(acl.MaxLogInterval)))); err != nil {
			panic(err)
		}
	}
	cfg.SetDialect(acl.Dialect(r.IntN(3))) // the cli dialect line (the saved form is SLX's)
	return cfg
}

// randomRule is a remark one time in eight, else a random rule (acltest.Rule).
func randomRule(r *rand.Rand, f acl.Family) acl.Rule {
	if r.IntN(8) == 0 {
		return acl.Rule{Seq: acl.Seq(r.IntN(3000) + 1), Remark: fmt.Sprintf("note %d: see ticket #%d", r.IntN(100), r.IntN(1000))}
	}
	return acltest.Rule(r, f)
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		cfg := randomConfig(r)
		text := cfg.Render()
		got, err := cli.LoadConfig(text)
		require.NoError(t, err, "config %d:\n%s", i, text)
		require.True(t, cfg.Equal(got), "cli.LoadConfig(Render(cfg)) != cfg for:\n%s\ngot:\n%s", text, got.Render())
		require.Equal(t, text, got.Render())
	}
}

// TestReplayRunningConfig: `configure terminal` then show running-config, replayed
// as a script into an empty state dir, reproduces the running-config byte for byte.
func TestReplayRunningConfig(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 20 {
		text := randomConfig(r).Render()
		dir := t.TempDir()
		var out strings.Builder
		// Force: random configs bind lists with no permit line, which the lockout
		// guard stops without --force (TestScriptGuard); replay is the point here.
		sh, err := New(Options{Host: "h", Store: &config.Store{Dir: dir}, Out: &out, Err: &out, Force: true})
		require.NoError(t, err)
		require.Equal(t, 0, sh.RunScript(strings.NewReader("configure terminal\n"+text), "replay"), out.String())
		got, err := os.ReadFile(filepath.Join(dir, config.RunningName))
		require.NoError(t, err)
		require.Equal(t, text, string(got))
	}
}

// TestConcurrentShells: shells committing at once never lose each other's changes.
func TestConcurrentShells(t *testing.T) {
	dir := t.TempDir()
	const shells, rules = 4, 15
	var wg sync.WaitGroup
	for i := range shells {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out strings.Builder
			sh, err := New(Options{Host: "h", Store: &config.Store{Dir: dir}, Out: &out, Err: &out, Interactive: true})
			if err != nil {
				t.Error(err)
				return
			}
			for _, l := range []string{"conf t", "ip access-list extended shared"} {
				if err := sh.Run(l); err != nil {
					t.Error(err)
				}
			}
			for j := range rules {
				if err := sh.Run(fmt.Sprintf("permit tcp host 10.0.%d.%d any", i, j)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	cfg, err := (&config.Store{Dir: dir}).Load()
	require.NoError(t, err)
	require.Equal(t, shells*rules, cfg.ACLs["shared"].Len())
	left, _ := filepath.Glob(filepath.Join(dir, config.TmpPrefix+"*"))
	require.Empty(t, left, "temp files left behind")
}

func FuzzLoadConfig(f *testing.F) {
	// Small seeds (a few hundred bytes): the fuzzer minimises every seed before it
	// starts mutating, and with 2-5 KB seeds that took minutes.
	r := rand.New(rand.NewPCG(5, 6))
	for range 5 {
		cfg := acl.NewConfig()
		f6 := acl.Family(r.IntN(2))
		a, _ := cfg.Ensure("a", f6)
		for range r.IntN(3) + 1 {
			a.Add(randomRule(r, f6))
		}
		if r.IntN(2) == 0 {
			cfg.Bind(acl.Inbound(f6), a.Name)
		}
		f.Add(cfg.Render())
	}
	f.Add("!\nip access-list extended a\n seq 10 permit ip any any\n!\ninterface management 0\n ip access-group a in\n")
	f.Add("ip access-list extended a\n permit tcp any any eq 22\n no permit tcp any any eq 22\n")
	f.Fuzz(func(t *testing.T, text string) {
		cfg, err := cli.LoadConfig(text)
		if err != nil {
			return
		}
		again, err := cli.LoadConfig(cfg.Render())
		if err != nil {
			t.Fatalf("cli.LoadConfig(Render(cfg)) failed: %v\n%s", err, cfg.Render())
		}
		if !cfg.Equal(again) {
			t.Fatalf("round trip differs:\n%s\n%s", cfg.Render(), again.Render())
		}
	})
}

// ruleLines returns n distinct rule lines without seq, of every form, as a script
// would type them.
func ruleLines(n int, f acl.Family) []string {
	r := rand.New(rand.NewPCG(7, 8))
	lines := make([]string, 0, n)
	seen := map[string]bool{}
	for len(lines) < n {
		rule := randomRule(r, f)
		rule.Seq = 0
		if rule.IsRemark() {
			rule.Remark = fmt.Sprintf("remark %d", len(lines))
		}
		l := rule.Body(f)
		if !seen[l] {
			seen[l] = true
			lines = append(lines, l)
		}
	}
	return lines
}

// BenchmarkParseValidate100k parses and validates 100,000 distinct rule lines
// without seq into one list (the work of `aclsh --check -f` on such a script);
// every line must be accepted.
func BenchmarkParseValidate100k(b *testing.B) {
	const n = 100000
	lines := ruleLines(n, acl.IPv4)
	b.ReportAllocs()
	for b.Loop() {
		cfg := acl.NewConfig()
		tx := cli.NewTxn(cfg)
		if _, err := tx.Exec("ip access-list extended big"); err != nil {
			b.Fatal(err)
		}
		for _, l := range lines {
			if _, err := tx.Exec(l); err != nil {
				b.Fatalf("%s: %v", l, err)
			}
		}
		if got := cfg.ACLs["big"].Len(); got != n {
			b.Fatalf("list has %d entries, want %d", got, n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/line")
}

// TestDialectRoundTrip: show running-config in each dialect, pasted back,
// shows the same again; in the EOS form the config is the same (every seq is
// shown), in the IOS form it may differ in what that form does not show: the
// seqs of IPv4 entries and their remarks, numbered 10, 20, ... when pasted.
func TestDialectRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := range 300 {
		cfg := randomConfig(r)
		d := acl.Dialect(1 + i%2)
		cfg.SetDialect(d)
		text := cfg.Text()
		got, err := cli.LoadConfig(text)
		require.NoError(t, err, "config %d (%v):\n%s", i, d, text)
		require.Equal(t, text, got.Text(), "config %d (%v) pasted back", i, d)
		if d == acl.EOS {
			require.True(t, cfg.Equal(got), "config %d (eos): cli.LoadConfig(Text()) != cfg", i)
		}
	}
}
