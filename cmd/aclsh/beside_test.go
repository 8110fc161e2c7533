package main

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/internal/demolab"
	"github.com/aclsh/aclsh/internal/labns"
)

// deadPid returns the pid of a process that has ended.
func deadPid(t *testing.T) int {
	cmd := exec.Command("true")
	require.NoError(t, cmd.Run())
	require.False(t, labns.Alive(cmd.Process.Pid))
	return cmd.Process.Pid
}

func nsExists(t *testing.T, ns string) bool {
	names, err := labns.List()
	require.NoError(t, err)
	for _, n := range names {
		if n == ns {
			return true
		}
	}
	return false
}

// TestBesideDemoLab: `make test` as root beside a live `make demo` lab leaves the
// lab intact (its namespaces, veths, echo servers and aclsh follow): every
// namespace-creating helper of this package makes and removes only its own
// namespaces, a second `make demo` (which rebuilds bin/) runs beside it and
// removes only its lab, and leftovers are removed only when the pid in their
// name is dead.
func TestBesideDemoLab(t *testing.T) {
	lab := demolab.Start(t, "../..")

	t.Run("helpers", func(t *testing.T) {
		freshNS(t)
		guardNS(t)
		guardNS(t)
		l := newSessLab(t)
		require.True(t, l.admitted())
		newSSHLab(t)
	})
	lab.CheckIntact(t)

	// Leftovers of killed runs (a dead pid in the name) and a namespace of this
	// live process.
	dead := deadPid(t)
	leftovers := []string{fmt.Sprintf("acls%d-1d", dead), fmt.Sprintf("aclsh-cmd-%d", dead),
		fmt.Sprintf("aclsh-grd-%d-1", dead), fmt.Sprintf("aclsh-demo-%d-dev", dead)}
	live := fmt.Sprintf("acls%d-999d", os.Getpid())
	for _, ns := range append(leftovers, live) {
		sshRun(t, "ip", "netns", "add", ns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	}

	t.Run("demo", TestDemo)
	lab.CheckIntact(t)
	require.False(t, nsExists(t, leftovers[3]), "make demo removes a dead demo's namespace")

	require.ElementsMatch(t, leftovers[:3], labns.Sweep("aclsh-cmd-", "aclsh-grd-", "acls"))
	require.True(t, nsExists(t, live), "a live process's namespace stays")
	lab.CheckIntact(t)
}
