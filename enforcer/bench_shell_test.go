package enforcer_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aclsh/aclsh/acl"
	statedir "github.com/aclsh/aclsh/config"
	. "github.com/aclsh/aclsh/enforcer"
	"github.com/aclsh/aclsh/shell"
)

// timedEnforcer is an enforcer that adds up the time its Apply takes.
type timedEnforcer struct {
	*Enforcer
	spent time.Duration
}

func (t *timedEnforcer) Apply(cfg *acl.Config) error {
	start := time.Now()
	err := t.Enforcer.Apply(cfg)
	t.spent += time.Since(start)
	return err
}

// bigText is the running-config of bigConfig: one bound list of n lines, every
// 1000th with a connlimit (runs of 999 lines compiled into sets between).
func bigText(n int) string {
	var sb strings.Builder
	sb.WriteString("ip access-list extended big\n")
	for i := range n {
		fmt.Fprintf(&sb, " seq %d permit tcp host 10.%d.%d.%d any eq %d", i+1, 1+i/65536, i/256%256, i%256, 1+i%60000)
		if i%1000 == 0 {
			sb.WriteString(" connlimit 5")
		}
		sb.WriteString("\n")
	}
	sb.WriteString("interface management 0\n ip access-group big in\n")
	return sb.String()
}

// BenchmarkInteractiveLine10kKernel is the whole cost of an interactive line
// that changes a bound list, on a real kernel: the shell parses the line,
// commits the running-config (written and synced under the lock) and the
// enforcer applies it (compile, diff, one transaction). The lines add and remove
// a line at the end of a bound list of 10,000 lines (a set element) and, for
// comparison in the same run, of 1 line. It reports ms/line for each, the
// enforcer's share (apply-ms) and the kernel transaction's (kernel-ms) at
// 10,000 lines, and x-1: the time at 10,000 lines over the time at 1.
func BenchmarkInteractiveLine10kKernel(b *testing.B) {
	setup := func(n int) (*shell.Shell, *timedEnforcer) {
		l := newLab(b)
		dir := b.TempDir()
		// the running-config an operator's file would be
		if err := os.WriteFile(filepath.Join(dir, "running-config"), []byte(bigText(n)), 0o660); err != nil {
			b.Fatal(err)
		}
		te := &timedEnforcer{Enforcer: l.e}
		sh, err := shell.New(shell.Options{Host: "h", Store: &statedir.Store{Dir: dir}, Enforcer: te, IfName: "mgmt0",
			Out: io.Discard, Err: io.Discard, Interactive: true})
		if err != nil {
			b.Fatal(err)
		}
		for _, line := range []string{"configure terminal", "ip access-list extended big",
			// the first commit loads the table
			"permit udp any any eq 53", "no permit udp any any eq 53"} {
			if err := sh.Run(line); err != nil {
				b.Fatal(err)
			}
		}
		return sh, te
	}
	big, bigE := setup(10000)
	one, _ := setup(1)
	lines := []string{"permit udp any any eq 53", "no permit udp any any eq 53"}
	var tBig, tOne time.Duration
	n := 0
	apply0, k0 := bigE.spent, KernelTime(bigE.Enforcer)
	for b.Loop() {
		for _, line := range lines {
			t0 := time.Now()
			if err := one.Run(line); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			if err := big.Run(line); err != nil {
				b.Fatal(err)
			}
			tOne, tBig = tOne+t1.Sub(t0), tBig+time.Since(t1)
			n++
		}
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(n) / 1000 }
	b.ReportMetric(ms(tBig), "ms/line-10k")
	b.ReportMetric(ms(tOne), "ms/line-1")
	b.ReportMetric(ms(bigE.spent-apply0), "apply-ms/line-10k")
	b.ReportMetric(ms(KernelTime(bigE.Enforcer)-k0), "kernel-ms/line-10k")
	b.ReportMetric(float64(tBig)/float64(max(tOne, 1)), "x-1")
}

// BenchmarkScriptChange10kKernel is what the daemon does for a one-shot
// `aclsh -c` that adds a line to a bound 10,000-line list: a new shell on the
// daemon's Store and enforcer (as each client gets), the script run and
// committed once. ms/script is the daemon's share of a one-shot change; the
// process start and the socket are in cmd/aclsh's BenchmarkDaemonChange10k.
func BenchmarkScriptChange10kKernel(b *testing.B) {
	// runs999: every 1000th line a connlimit (runs of 999 lines); onerun: the
	// list of cmd/aclsh's BenchmarkDaemonChange10k, one run of 10,000 lines and
	// a wider line after it, that each change adds a line behind.
	for _, c := range []struct{ name, text string }{{"runs999", bigText(10000)}, {"onerun", oneRunText(10000)}} {
		b.Run(c.name, func(b *testing.B) { benchScriptChange(b, c.text) })
	}
}

// oneRunText is the running-config of cmd/aclsh's BenchmarkDaemonChange10k.
func oneRunText(n int) string {
	var sb strings.Builder
	sb.WriteString("ip access-list extended big\n")
	for i := range n {
		fmt.Fprintf(&sb, " seq %d permit tcp host 10.%d.%d.%d any eq %d\n", 10*(i+1), i>>16&255, i>>8&255, i&255, 1+i%60000)
	}
	fmt.Fprintf(&sb, " seq %d permit tcp any any eq 22\ninterface management 0\n ip access-group big in\n", 10*(n+1))
	return sb.String()
}

func benchScriptChange(b *testing.B, text string) {
	l := newLab(b)
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "running-config"), []byte(text), 0o660); err != nil {
		b.Fatal(err)
	}
	store := &statedir.Store{Dir: dir}
	te := &timedEnforcer{Enforcer: l.e}
	run := func(script string) {
		sh, err := shell.New(shell.Options{Host: "h", Store: store, Enforcer: te, IfName: "mgmt0", Out: io.Discard, Err: io.Discard})
		if err != nil {
			b.Fatal(err)
		}
		if rc := sh.RunScript(strings.NewReader(script), "-c"); rc != 0 {
			b.Fatalf("%q: exit %d", script, rc)
		}
	}
	run("conf t\nip access-list extended big\npermit udp any any eq 53\nno permit udp any any eq 53\nend\n") // the table loaded
	n := 0
	apply0 := te.spent
	t0 := time.Now()
	for b.Loop() {
		run(fmt.Sprintf("conf t\nip access-list extended big\npermit tcp host 192.0.%d.%d any eq 22\nend\n", n/250%256, n%250+1))
		n++
	}
	b.ReportMetric(float64(time.Since(t0).Microseconds())/float64(n)/1000, "ms/script")
	b.ReportMetric(float64((te.spent-apply0).Microseconds())/float64(n)/1000, "apply-ms/script")
}
