package follower

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netns"

	"github.com/aclsh/aclsh/internal/needs"
)

// inNewNS runs f on a thread in a new, unnamed network namespace (abstract
// socket names belong to one): nothing is bound in this machine's own.
func inNewNS(t *testing.T, f func()) {
	needs.Root(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		ns, err := netns.New()
		if err != nil {
			t.Error(err)
			return
		}
		defer ns.Close()
		f()
	}()
	<-done
}

// One follow daemon per network namespace: a second one is refused and names
// the first; Probe reads its pid and state directory; after it closes, nothing
// answers and the name is free again.
func TestOnePerNamespace(t *testing.T) {
	dir := t.TempDir()
	inNewNS(t, func() {
		_, ok := Probe()
		require.False(t, ok, "nothing runs in a new namespace")
		ln, err := Listen(dir)
		require.NoError(t, err)
		st, ok := Probe()
		require.True(t, ok)
		require.Equal(t, Status{PID: os.Getpid(), StateDir: dir}, st)
		_, err = Listen(filepath.Join(dir, "other"))
		require.True(t, errors.Is(err, ErrRunning), "%v", err)
		require.ErrorContains(t, err, dir)
		ln.Close()
		_, ok = Probe()
		require.False(t, ok, "a closed daemon does not answer")
		ln, err = Listen(dir)
		require.NoError(t, err, "the name is free again")
		ln.Close()
	})
}
