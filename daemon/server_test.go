package daemon

import (
	"context"
	"net"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/internal/needs"
	"github.com/aclsh/aclsh/shell"
)

// A client that is not interactive sends its script whole: a line at a time is
// refused (it would never be committed), and the connection ends.
func TestScriptLineRefused(t *testing.T) {
	needs.Root(t) // no group is set: only root may use this daemon
	dir := t.TempDir()
	ln, err := net.Listen("unix", filepath.Join(dir, "sock"))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	sv := &Server{Store: &shell.Store{Dir: filepath.Join(dir, "state")}, Roles: Roles{Admin: -1, View: -1}, Logf: t.Logf}
	go func() { served <- sv.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-served })

	c, err := net.Dial("unix", filepath.Join(dir, "sock"))
	require.NoError(t, err)
	defer c.Close()
	w := newWire(c)
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
