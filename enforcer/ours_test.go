package enforcer

import (
	"os"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The kernel names the thread that sent a transaction: any thread of this
// process is this process; another process is not, whatever its name, nor a
// thread that is gone.
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
	require.True(t, ours(uint32(other)), "a thread of this process (tid %d)", other)
	require.False(t, ours(1), "another process")
	require.False(t, ours(1<<30), "a thread gone already: no one's by its name (its generation says, ownGen)")
}

// The generations an enforcer's transactions made are its own, the last 16 of
// them, whichever thread sent them (a thread locked to a namespace ends with
// its goroutine, and its /proc entry with it: the table watch then cannot ask
// whose thread it was).
func TestOwnGenerations(t *testing.T) {
	var e Enforcer
	require.False(t, e.ownGen(0), "none made yet")
	for g := uint32(100); g < 120; g++ {
		e.madeGen(g)
	}
	require.True(t, e.ownGen(119))
	require.True(t, e.ownGen(104), "the last 16")
	require.False(t, e.ownGen(103), "older ones are forgotten")
	require.False(t, e.ownGen(120), "another program's")
}
