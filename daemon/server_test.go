package daemon

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netns"

	"github.com/aclsh/aclsh/config"
	"github.com/aclsh/aclsh/internal/needs"
)

// serveOnPath runs a daemon (no groups: only root is served) on a unix socket
// in a temporary directory and returns a client's connection to it.
func serveOnPath(t *testing.T) (net.Conn, *wire) {
	dir := t.TempDir()
	ln, err := net.Listen("unix", filepath.Join(dir, "sock"))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	sv := &Server{Store: &config.Store{Dir: filepath.Join(dir, "state")}, Roles: Roles{Admin: -1, View: -1}, Logf: t.Logf}
	go func() { served <- sv.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-served })
	c, err := net.Dial("unix", filepath.Join(dir, "sock"))
	require.NoError(t, err)
	return c, newWire(c)
}

// A client that is not interactive sends its script whole: a line at a time is
// refused (it would never be committed), and the connection ends.
func TestScriptLineRefused(t *testing.T) {
	needs.Root(t) // no group is set: only root may use this daemon
	c, w := serveOnPath(t)
	defer c.Close()
	require.NoError(t, w.send(Request{Op: OpHello, Version: Version, Host: "h"}))
	var r Reply
	require.NoError(t, w.recv(&r))
	require.Equal(t, OpWelcome, r.Op, "%s", r.Msg)
	require.NoError(t, w.send(Request{Op: OpLine, Text: "conf t"}))
	require.NoError(t, w.recv(&r))
	require.Equal(t, OpRefused, r.Op)
	require.Contains(t, r.Msg, "a script is sent whole")
	require.Error(t, w.recv(&r), "the connection ends")
}

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

// One daemon per network namespace, one name: a second Listen is refused;
// Probe reads the daemon's pid and state directory (before the boot step is
// done, too, while a hello waits); after it closes, nothing answers and the
// name is free again.
func TestOnePerNamespace(t *testing.T) {
	dir := t.TempDir()
	inNewNS(t, func() {
		_, ok := Probe()
		require.False(t, ok, "nothing runs in a new namespace")
		ln, err := Listen()
		require.NoError(t, err)
		ready := make(chan struct{})
		ctx, cancel := context.WithCancel(context.Background())
		sv := &Server{Store: &config.Store{Dir: dir}, Roles: Roles{Admin: -1, View: -1}, Logf: t.Logf, Ready: ready}
		served := make(chan error, 1)
		go func() { served <- sv.Serve(ctx, ln) }()
		st, ok := Probe()
		require.True(t, ok, "it says who it is before it is ready")
		require.Equal(t, Status{PID: os.Getpid(), StateDir: dir}, st)

		_, err = Listen()
		require.ErrorContains(t, err, "another aclsh daemon runs in this network namespace")

		// A hello waits for the boot step. (Dialled from this thread: it is
		// the one in the new namespace.)
		c, err := net.Dial("unix", Name)
		require.NoError(t, err)
		w := newWire(c)
		require.NoError(t, w.send(Request{Op: OpHello, Version: Version, Host: "h"}))
		c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		var r Reply
		require.Error(t, w.recv(&r), "served before ready: %+v", r)
		close(ready)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		require.NoError(t, w.recv(&r))
		require.Equal(t, OpWelcome, r.Op)
		c.Close()
		st, ok = Probe()
		require.True(t, ok && st.Ready, "and that it is ready, once it is: %+v", st)

		cancel()
		<-served
		_, ok = Probe()
		require.False(t, ok, "a closed daemon does not answer")
		ln, err = Listen()
		require.NoError(t, err, "the name is free again")
		ln.Close()
	})
}

// A client's first message is small: a hello larger than maxHello ends the
// connection unread and unanswered, whoever sends it.
func TestHelloBounded(t *testing.T) {
	c, w := serveOnPath(t)
	defer c.Close()
	go w.send(Request{Op: OpHello, Version: Version, Host: strings.Repeat("h", 2*maxHello)})
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var r Reply
	err := w.recv(&r)
	require.Error(t, err, "no reply: %+v", r)
	require.NotErrorIs(t, err, os.ErrDeadlineExceeded, "the daemon ended the connection")
}

// A client of another protocol version is refused, saying both versions; a
// script crosses raw (protocol 2) and runs whole.
func TestVersionsAndRawScript(t *testing.T) {
	needs.Root(t) // no group is set: only root may use this daemon
	c, w := serveOnPath(t)
	require.NoError(t, w.send(Request{Op: OpHello, Version: 1, Host: "h"}))
	var r Reply
	require.NoError(t, w.recv(&r))
	require.Equal(t, OpRefused, r.Op)
	require.Contains(t, r.Msg, "protocol version 1 and the daemon 2")
	c.Close()

	c, w = serveOnPath(t)
	defer c.Close()
	require.NoError(t, w.send(Request{Op: OpHello, Version: Version, Host: "h"}))
	require.NoError(t, w.recv(&r))
	require.Equal(t, OpWelcome, r.Op, "%s", r.Msg)
	script := "conf t\r\nip access-list extended a\n seq 10 permit tcp any any eq 22\n remark \"quoted\" {\"op\":\"line\"}\nend\nshow running-config\n"
	require.NoError(t, w.send(Request{Op: OpScript, Name: "s", Text: script}))
	var out strings.Builder
	for {
		require.NoError(t, w.recv(&r))
		out.WriteString(r.Out + r.Err)
		if r.Op == OpDone {
			break
		}
	}
	require.Zero(t, r.RC, out.String())
	require.Contains(t, out.String(), " seq 10 permit tcp any any eq 22\n seq 20 remark \"quoted\" {\"op\":\"line\"}\n")
}
