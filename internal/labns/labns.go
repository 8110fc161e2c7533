// Package labns keeps test labs apart: the network namespaces that tests (and
// the demo lab, scripts/demo.sh, by the same rule) create are named with the pid
// of the process that creates them, so a process removes only the namespaces it
// made, and leftovers of a run that was killed are removed only once the pid in
// their name is dead. Nothing is ever removed by a pattern alone: a live `make
// demo` lab or another package's tests running at the same time stay intact.
package labns

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

var seq atomic.Int32

// Name returns a namespace name for this process: prefix, the pid, "-" and a
// number counting up from 1 in this process.
func Name(prefix string) string {
	return fmt.Sprintf("%s%d-%d", prefix, os.Getpid(), seq.Add(1))
}

// Alive reports whether process pid exists.
func Alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Owner returns the pid in a namespace name made with prefix (prefix, digits,
// then "-" or the end), and false if name is not such a name.
func Owner(name, prefix string) (int, bool) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return 0, false
	}
	digits, _, _ := strings.Cut(rest, "-")
	pid, err := strconv.Atoi(digits)
	if err != nil || pid <= 0 || strconv.Itoa(pid) != digits {
		return 0, false
	}
	return pid, true
}

// List returns the names of the network namespaces `ip netns` knows.
func List() ([]string, error) {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return nil, fmt.Errorf("ip netns list: %w", err)
	}
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			names = append(names, f[0])
		}
	}
	return names, nil
}

// Sweep removes the leftovers of dead processes: the namespaces named with one
// of prefixes whose pid is not alive, after killing the processes still in them
// (a killed test's sshd or aclsh follow). It returns the names it removed. The
// namespaces of live processes, this one's included, are never touched.
func Sweep(prefixes ...string) []string {
	names, err := List()
	if err != nil {
		return nil
	}
	var removed []string
	for _, n := range names {
		for _, p := range prefixes {
			pid, ok := Owner(n, p)
			if !ok || Alive(pid) {
				continue
			}
			Kill(n)
			if exec.Command("ip", "netns", "del", n).Run() == nil {
				removed = append(removed, n)
			}
			break
		}
	}
	return removed
}

// StopDaemons kills the aclsh daemons (aclsh follow) running in namespace
// ns, and no other process, and waits (at most 3 s) until they are gone: what
// they held (an abstract socket's name) is free.
func StopDaemons(ns string) {
	out, _ := exec.Command("ip", "netns", "pids", ns).Output()
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		pid, err := strconv.Atoi(f)
		if err != nil || pid <= 1 || pid == os.Getpid() {
			continue
		}
		argv, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			continue
		}
		a := strings.Split(string(argv), "\x00")
		if len(a) > 1 && filepath.Base(a[0]) == "aclsh" && a[1] == "follow" {
			syscall.Kill(pid, syscall.SIGKILL)
			pids = append(pids, pid)
		}
	}
	if len(pids) == 0 {
		return
	}
	// Gone means the sockets are closed: a killed thread group's leader is a
	// zombie before its other threads have let go of the files, so wait for
	// the namespace's names themselves.
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		out, err := exec.Command("ip", "netns", "exec", ns, "cat", "/proc/net/unix").Output()
		if err != nil || !strings.Contains(string(out), "@aclsh/") {
			return
		}
	}
}

// Kill kills the processes in namespace ns (by pid, as `ip netns pids` lists
// them; SIGKILL, without waiting). Call it only for a namespace the caller
// made, or a dead process's.
func Kill(ns string) {
	out, _ := exec.Command("ip", "netns", "pids", ns).Output()
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 1 && pid != os.Getpid() {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}
