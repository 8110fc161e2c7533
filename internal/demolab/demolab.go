// Package demolab starts the demo lab (scripts/demo.sh, as `make demo` runs it)
// non-interactively for tests that check that they leave a live lab alone: its
// namespaces, veths, echo servers and aclsh follow must survive whatever the
// tests create and remove beside it. Only tests import it; it needs root.
package demolab

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aclsh/aclsh/internal/labns"
	"github.com/aclsh/aclsh/internal/needs"
	"github.com/aclsh/aclsh/internal/syncbuf"
)

// Lab is a running demo lab.
type Lab struct {
	Dev, Cli string // its namespaces: aclsh-demo-PID-dev, aclsh-demo-PID-cli
	root     string
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	out      *syncbuf.Buffer
	done     chan struct{}
	daemons  map[string]int // "follow", "serve": pids in the device namespace
	links    map[string]string
}

// Start builds bin/ and runs root/scripts/demo.sh with its shell reading a pipe
// that stays open, so the lab runs until the test ends (then the pipe closes, the
// shell exits and the script removes its lab, which Start's cleanup checks). It
// returns once the echo servers answer from the client and aclsh follow runs.
func Start(t testing.TB, root string) *Lab {
	t.Helper()
	needs.Root(t)
	needs.Program(t, "nft", "nftables")
	needs.Program(t, "make", "make")
	out, err := exec.Command("make", "-C", root, "build").CombinedOutput()
	if err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	l := &Lab{root: root, out: &syncbuf.Buffer{}, done: make(chan struct{}), daemons: map[string]int{}, links: map[string]string{}}
	l.cmd = exec.Command("bash", filepath.Join(root, "scripts", "demo.sh"))
	l.cmd.Stdout, l.cmd.Stderr = l.out, l.out
	if l.stdin, err = l.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := l.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { l.cmd.Wait(); close(l.done) }()
	pid := l.cmd.Process.Pid
	l.Dev, l.Cli = fmt.Sprintf("aclsh-demo-%d-dev", pid), fmt.Sprintf("aclsh-demo-%d-cli", pid)
	t.Cleanup(func() {
		l.stdin.Close()
		select {
		case <-l.done:
		case <-time.After(10 * time.Second):
			t.Errorf("the demo did not end when its input did; its output:\n%s", l.out)
			l.cmd.Process.Kill()
			<-l.done
		}
		names, _ := labns.List()
		if slices.Contains(names, l.Dev) || slices.Contains(names, l.Cli) {
			t.Errorf("the demo left its namespaces behind: %v", names)
		}
	})

	deadline := time.Now().Add(20 * time.Second)
	for {
		err := l.check()
		if err == nil {
			break
		}
		select {
		case <-l.done:
			t.Fatalf("the demo ended before its lab was up: %v\n%s", err, l.out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo lab did not come up: %v\nits output:\n%s", err, l.out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, ns := range []string{l.Dev, l.Cli} {
		l.links[ns] = l.ipLinks(ns)
	}
	return l
}

// check finds the lab's daemons (the first time) and checks that they are the
// same processes, in the device namespace, and that the echo servers answer the
// client on tcp 22, tcp 80 and udp 53.
func (l *Lab) check() error {
	out, err := exec.Command("ip", "netns", "pids", l.Dev).Output()
	if err != nil {
		return fmt.Errorf("ip netns pids %s: %v", l.Dev, err)
	}
	found := map[string]int{}
	for _, f := range strings.Fields(string(out)) {
		pid, _ := strconv.Atoi(f)
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		args := strings.Split(string(cmdline), "\x00")
		switch {
		case len(args) > 1 && filepath.Base(args[0]) == "aclsh" && args[1] == "follow":
			found["follow"] = pid
		case len(args) > 1 && filepath.Base(args[0]) == "aclsh-labd" && args[1] == "serve":
			found["serve"] = pid
		}
	}
	for _, d := range []string{"follow", "serve"} {
		switch {
		case found[d] == 0:
			return fmt.Errorf("no aclsh %s in %s (pids %s)", d, l.Dev, strings.TrimSpace(string(out)))
		case l.daemons[d] == 0:
			l.daemons[d] = found[d]
		case l.daemons[d] != found[d]:
			return fmt.Errorf("aclsh %s was pid %d, now %d", d, l.daemons[d], found[d])
		}
	}
	for ns, link := range map[string]string{l.Dev: "mgmt0@", l.Cli: "eth0@"} {
		if links := l.ipLinks(ns); !strings.Contains(links, link) || !strings.Contains(links, " UP ") {
			return fmt.Errorf("%s in %s is not up: %s", strings.TrimSuffix(link, "@"), ns, links)
		}
	}
	labd := filepath.Join(l.root, "bin", "aclsh-labd")
	for _, c := range [][]string{
		{"connect", "-n", "1", "-src", "10.24.12.107", "-hold", "0s", "10.24.12.129:22"},
		{"connect", "-n", "1", "-src", "10.24.12.108", "-hold", "0s", "10.24.12.129:80"},
		{"connect", "-n", "1", "-src", "fd77::107", "-hold", "0s", "[fd77::129]:22"},
		{"udp", "-n", "1", "-src", "10.24.12.107", "-hold", "0s", "10.24.12.129:53"},
	} {
		out, err := exec.Command("ip", append([]string{"netns", "exec", l.Cli, labd}, c...)...).CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "1 of 1 ") {
			return fmt.Errorf("aclsh-labd %s: %v: %s", strings.Join(c, " "), err, out)
		}
	}
	return nil
}

// ipLinks lists a namespace's interfaces with their state and addresses (not
// the link-local ones, which the kernel adds a moment after a link comes up).
func (l *Lab) ipLinks(ns string) string {
	out, err := exec.Command("ip", "-n", ns, "-br", "addr", "show").CombinedOutput()
	if err != nil {
		return fmt.Sprintf("ip -n %s addr: %v: %s", ns, err, out)
	}
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := slices.DeleteFunc(strings.Fields(line), func(s string) bool { return strings.HasPrefix(s, "fe80:") })
		b.WriteString(strings.Join(f, " ") + "\n")
	}
	return b.String()
}

// CheckIntact fails the test unless the lab is as Start found it: both
// namespaces, their veths (mgmt0 and eth0, up, with their addresses), the echo
// servers answering the client and the same aclsh follow process running.
func (l *Lab) CheckIntact(t testing.TB) {
	t.Helper()
	select {
	case <-l.done:
		t.Fatalf("the demo ended; its output:\n%s", l.out)
	default:
	}
	names, err := labns.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{l.Dev, l.Cli} {
		if !slices.Contains(names, ns) {
			t.Fatalf("the demo lab's namespace %s is gone (namespaces: %v)", ns, names)
		}
		if now := l.ipLinks(ns); now != l.links[ns] {
			t.Fatalf("the demo lab's interfaces in %s changed:\nbefore:\n%s\nnow:\n%s", ns, l.links[ns], now)
		}
	}
	if !strings.Contains(l.links[l.Dev], "mgmt0@") || !strings.Contains(l.links[l.Dev], "10.24.12.129/24") ||
		!strings.Contains(l.links[l.Cli], "eth0@") || !strings.Contains(l.links[l.Cli], "10.24.12.107/24") {
		t.Fatalf("the demo lab's veths are not as scripts/demo.sh makes them:\n%s\n%s", l.links[l.Dev], l.links[l.Cli])
	}
	// The daemons must be the same processes at once; the echo servers get a few
	// tries (a 1 s connect can time out on a loaded machine).
	var err2 error
	for range 5 {
		if err2 = l.check(); err2 == nil {
			return
		}
	}
	t.Fatalf("the demo lab is not intact: %v", err2)
}
