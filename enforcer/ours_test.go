package enforcer

import (
	"os"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The kernel names the thread that sent a transaction: any thread of this
// process is this process; another process is not, whatever its name, unless
// it is gone and was named aclsh.
func TestOursByThreadGroup(t *testing.T) {
	// Threads locked until the end, until one is not the main thread.
	release := make(chan struct{})
	defer close(release)
	other := os.Getpid()
	for i := 0; i < 20 && other == os.Getpid(); i++ {
		tid := make(chan int)
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			tid <- unix.Gettid()
			<-release
		}()
		other = <-tid
	}
	require.NotEqual(t, os.Getpid(), other, "a thread other than the main one")
	require.True(t, ours(uint32(other), "enforcer.test"), "a thread of this process (tid %d)", other)
	require.False(t, ours(1, "aclsh"), "another process, even one named aclsh")
	require.True(t, ours(1<<30, "aclsh"), "a thread gone already, named aclsh")
	require.False(t, ours(1<<30, "nft"), "a thread gone already, named otherwise")
}
