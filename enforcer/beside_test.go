package enforcer_test

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/internal/demolab"
	"github.com/aclsh/aclsh/internal/labns"
)

// TestBesideDemoLab: this package's labs, made and removed beside a live `make
// demo` lab, leave it intact (namespaces, veths, echo servers, aclsh follow), and
// the sweep of leftovers removes only namespaces whose pid is dead.
func TestBesideDemoLab(t *testing.T) {
	lab := demolab.Start(t, "..")
	t.Run("labs", func(t *testing.T) {
		for range 2 {
			l := newLab(t)
			l.serveTCP(":22")
			require.NoError(t, l.e.Apply(config(t, "ip access-list extended a\n permit tcp any any eq 22\ninterface management 0\n ip access-group a in\n")))
			c, err := l.dialTimeout(l.cli, "10.24.12.107", dev, 3*time.Second) // a loaded machine: not a test of timing
			require.NoError(t, err)
			c.Close()
		}
	})
	lab.CheckIntact(t)

	cmd := exec.Command("true")
	require.NoError(t, cmd.Run())
	dead := fmt.Sprintf("acl%d-1d", cmd.Process.Pid)
	live := fmt.Sprintf("acl%d-999d", os.Getpid())
	for _, ns := range []string{dead, live} {
		run(t, "ip", "netns", "add", ns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	}
	require.Equal(t, []string{dead}, labns.Sweep("acl"))
	names, err := labns.List()
	require.NoError(t, err)
	require.True(t, slices.Contains(names, live), "a live process's namespace stays")
	lab.CheckIntact(t)
}
