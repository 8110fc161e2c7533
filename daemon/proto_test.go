package daemon

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// What crosses the socket: each message round-trips, one a line, a script's
// text raw after its line (any bytes, as read from its file); a truncated or
// malformed one is an error, not a partial message.
func TestWire(t *testing.T) {
	var buf bytes.Buffer
	w := newWire(&buf)
	script := "conf t\r\nip access-list extended a\n remark \xff\x00\"}\n{\"op\":\"line\"}\n"
	in := []any{
		Request{Op: OpHello, Version: Version, Interactive: true, SSHConnection: "10.24.12.107 40022 10.24.12.129 22", Host: "device"},
		Request{Op: OpScript, Name: "-c", Text: script},
		Request{Op: OpScript, Name: "-"}, // an empty script
		Reply{Op: OpOut, Out: "line 1\n", Err: "% Error\n"},
		Reply{Op: OpDone, Prompt: "device(config)# ", Words: []string{"access-list"}, RC: 1},
	}
	for _, m := range in {
		require.NoError(t, w.send(m))
	}
	require.Equal(t, len(in), strings.Count(buf.String(), "\n")-strings.Count(script, "\n"), "one message a line, and the script")
	require.Contains(t, buf.String(), `"len":`+strconv.Itoa(len(script))+`}`+"\n"+script, "the script raw after its line")
	r := newWire(&buf)
	for _, want := range in {
		switch want.(type) {
		case Request:
			var got Request
			require.NoError(t, r.recv(&got))
			require.Equal(t, want, got)
		case Reply:
			var got Reply
			require.NoError(t, r.recv(&got))
			require.Equal(t, want, got)
		}
	}
	var m Reply
	require.ErrorIs(t, r.recv(&m), io.EOF)
	require.ErrorIs(t, newWire(bytes.NewBufferString(`{"op":"done"`)).recv(&m), io.ErrUnexpectedEOF)
	require.ErrorContains(t, newWire(bytes.NewBufferString("{op}\n")).recv(&m), "malformed")
	var q Request
	require.ErrorIs(t, newWire(bytes.NewBufferString(`{"op":"script","len":10}`+"\nconf t\n")).recv(&q), io.ErrUnexpectedEOF, "a script cut short")
	require.ErrorContains(t, newWire(bytes.NewBufferString(`{"op":"line","len":3}`+"\nabc")).recv(&q), "malformed", "raw text after another request")
	require.ErrorContains(t, newWire(bytes.NewBufferString(`{"op":"script","len":-3}`+"\n")).recv(&q), "malformed")
	require.ErrorIs(t, newWire(bytes.NewBufferString(`{"op":"script","len":999999999}`+"\n")).recv(&q), ErrTooLarge)
}

// Roles by credentials: root configures; the admin group (primary or
// supplementary) configures; the view group shows; anyone else nothing; an
// unset group grants nothing.
func TestRoleOf(t *testing.T) {
	r := Roles{Admin: 4343, View: 4444}
	for _, tc := range []struct {
		p    Peer
		want Role
	}{
		{Peer{UID: 0, GID: 0}, RoleAdmin},
		{Peer{UID: 4301, GID: 4301, Groups: []int{4343}}, RoleAdmin},
		{Peer{UID: 4301, GID: 4343}, RoleAdmin},
		{Peer{UID: 4310, GID: 4310, Groups: []int{100, 4444}}, RoleView},
		{Peer{UID: 4311, GID: 4311, Groups: []int{4444, 4343}}, RoleAdmin},
		{Peer{UID: 4399, GID: 4399, Groups: []int{100}}, RoleNone},
	} {
		require.Equal(t, tc.want, r.roleOf(tc.p), "%+v", tc.p)
	}
	require.Equal(t, RoleNone, Roles{Admin: -1, View: -1}.roleOf(Peer{UID: 1000, GID: 1000, Groups: []int{-1}}))
}
