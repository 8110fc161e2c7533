package enforcer_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aclsh/aclsh/acl"
	. "github.com/aclsh/aclsh/enforcer"
)

// portListText is one bound list of n lines, each from its own host with 10
// source ports and 10 destination ports (a cross product of 100 pairs).
func portListText(n int, changed int) string {
	var sb strings.Builder
	sb.WriteString("ip access-list extended pl\n")
	ports := func(base int) string {
		var ps []string
		for k := range 10 {
			ps = append(ps, fmt.Sprint(base+k*7))
		}
		return strings.Join(ps, " ")
	}
	for i := range n {
		sp, dp := 20000+i%1000, 100+i%50
		if i == changed {
			dp += 3
		}
		fmt.Fprintf(&sb, " seq %d permit tcp host 10.%d.%d.%d eq %s any eq %s\n", i+1, 1+i/65536, i/256%256, i%256, ports(sp), ports(dp))
	}
	sb.WriteString("interface management 0\n ip access-group pl in\n")
	return sb.String()
}

// BenchmarkPortLists1k is a list of 1,000 lines with 10 source ports x 10
// destination ports each: a one-line commit (the line in the middle changes its
// destination ports and back) and show access-lists (Stats), in ms.
func BenchmarkPortLists1k(b *testing.B) {
	_, e := benchNS(b)
	cfgs := [2]*acl.Config{config(b, portListText(1000, -1)), config(b, portListText(1000, 500))}
	if err := e.Apply(cfgs[0]); err != nil {
		b.Fatal(err)
	}
	var commit, show time.Duration
	i := 0
	for b.Loop() {
		i++
		t0 := time.Now()
		if err := e.Apply(cfgs[i%2]); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		st, err := e.Stats(cfgs[i%2])
		if err != nil {
			b.Fatal(err)
		}
		if st.State != InSync {
			b.Fatalf("state %v", st.State)
		}
		commit, show = commit+t1.Sub(t0), show+time.Since(t1)
	}
	b.ReportMetric(float64(commit.Microseconds())/float64(i)/1000, "commit-ms")
	b.ReportMetric(float64(show.Microseconds())/float64(i)/1000, "show-ms")
}

// BenchmarkPortLists10k is the first apply of 10,000 such lines by aclsh and,
// in the same run, `nft -f` of the ruleset aclsh made (replacing the table),
// then show access-lists (Stats) against `nft list ruleset`, in ms.
func BenchmarkPortLists10k(b *testing.B) {
	ns, e := benchNS(b)
	cfg := config(b, portListText(10000, -1))
	f := filepath.Join(b.TempDir(), "plan.nft")
	text := "table inet aclsh\ndelete table inet aclsh\n" + Compile(cfg, "mgmt0", nil).String()
	if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
		b.Fatal(err)
	}
	var apply, nftF, show, list time.Duration
	i := 0
	for b.Loop() {
		i++
		exec.Command("ip", "netns", "exec", ns, "nft", "delete", "table", "inet", Table).Run()
		fresh := &Enforcer{IfName: e.IfName, NetNS: e.NetNS}
		t0 := time.Now()
		if err := fresh.Apply(cfg); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := fresh.Stats(cfg); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		fresh.Close()
		if out, err := exec.Command("ip", "netns", "exec", ns, "nft", "-f", f).CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
		t3 := time.Now()
		if out, err := exec.Command("ip", "netns", "exec", ns, "nft", "list", "ruleset").CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
		t4 := time.Now()
		apply, show, nftF, list = apply+t1.Sub(t0), show+t2.Sub(t1), nftF+t3.Sub(t2), list+t4.Sub(t3)
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(i) / 1000 }
	b.ReportMetric(ms(apply), "apply-ms")
	b.ReportMetric(ms(nftF), "nft-f-ms")
	b.ReportMetric(ms(show), "show-ms")
	b.ReportMetric(ms(list), "nft-list-ms")
	b.ReportMetric(float64(apply)/float64(nftF), "x-nft-f")
}
