// Package daemon is the aclsh daemon's side of the client/daemon split and the
// client's: one privileged process per network namespace owns the state
// directory and the kernel table (it is `aclsh follow`, which also keeps the
// connection counts exact), and shells, scripts and automation are clients that
// send it lines over a unix socket. The daemon runs a shell (package shell) for
// each client, with the client's identity and role, on the one store and
// enforcer it keeps in memory, so a change from any client costs what an
// interactive line costs. It decides by the peer's credentials (SO_PEERCRED,
// SO_PEERGROUPS), never by what the client says.
//
// The protocol is JSON, one message a line, versioned (Version): the client
// sends a hello, the daemon answers welcome (or refused), then the client sends
// requests and the daemon answers each with out messages (output as it is
// written), ask messages (a question the client answers) and one done. A
// script's text follows its request's line raw (Request.Len): escaped as a JSON
// string, a million-line script (40 MB) took a second to send and a quarter to
// read.
package daemon

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Version is the protocol's version; a daemon refuses a client of another.
// 2: a script's text is sent raw after its request (Request.Len).
const Version = 2

// Name is the abstract unix socket of the network namespace's daemon. Abstract
// names belong to a network namespace and vanish with the process: one daemon
// per namespace, nothing left behind, labs on one machine apart.
const Name = "@aclsh/daemon"

// Request ops.
const (
	OpHello    = "hello"     // first: Hello
	OpStatus   = "status"    // first, instead of Hello: the reply says which daemon this is, then the connection ends
	OpLine     = "line"      // Text: one line, as typed
	OpHelp     = "help"      // Text: the line before ?
	OpComplete = "complete"  // Text: the line before Tab
	OpEndMode  = "end_mode"  // Ctrl-Z
	OpExitMode = "exit_mode" // Ctrl-D in a config mode
	OpAnswer   = "answer"    // Text: the answer to an ask
	OpScript   = "script"    // Name: its label (-, -c, FILE), Text: the whole script (sent raw: Len)
)

// Reply ops.
const (
	OpWelcome = "welcome" // Role, Banner, Prompt, Broken, Notices
	OpRefused = "refused" // Msg: why the daemon will not serve this client
	OpOut     = "out"     // Out, Err: output as it is written
	OpAsk     = "ask"     // Prompt: a question; the client sends OpAnswer
	OpDone    = "done"    // the request is done: Prompt, Quit, Exec, Words, RC
)

// Request is a client's message.
type Request struct {
	Op   string `json:"op"`
	Text string `json:"text,omitempty"`
	Name string `json:"name,omitempty"`
	// Len is how many bytes of text follow the request's line, raw: an
	// OpScript's Text (wire.send and recv move it).
	Len int `json:"len,omitempty"`
	// Hello's fields.
	Version     int  `json:"v,omitempty"`
	Interactive bool `json:"interactive,omitempty"`
	Force       bool `json:"force,omitempty"` // --force: a script commits though the guard warns
	// SSHConnection is the client's SSH_CONNECTION: the lockout guard protects
	// the connection it names (a client that lies only loses its own guard).
	SSHConnection string `json:"ssh_connection,omitempty"`
	Host          string `json:"host,omitempty"` // the prompt's host name
	TTY           string `json:"tty,omitempty"`  // the client's terminal, for show users
	StateDir      string `json:"state_dir,omitempty"`
}

// Reply is the daemon's message.
type Reply struct {
	Op      string   `json:"op"`
	Version int      `json:"v,omitempty"`
	Role    string   `json:"role,omitempty"`
	Msg     string   `json:"msg,omitempty"`
	Banner  string   `json:"banner,omitempty"`
	Broken  string   `json:"broken,omitempty"` // why the running-config cannot be used
	Notices string   `json:"notices,omitempty"`
	Out     string   `json:"out,omitempty"`
	Err     string   `json:"err,omitempty"`
	Prompt  string   `json:"prompt,omitempty"`
	Quit    bool     `json:"quit,omitempty"` // the shell ended
	Exec    bool     `json:"exec,omitempty"` // the shell is in exec mode
	Words   []string `json:"words,omitempty"`
	RC      int      `json:"rc,omitempty"`
	// StateDir is the state directory the daemon owns.
	StateDir string `json:"state_dir,omitempty"`
	// IfName and SSHPorts (OpWelcome) are the daemon's management 0 and the
	// ports of its login service: a client's flags do not change them.
	IfName   string   `json:"if_name,omitempty"`
	SSHPorts []uint16 `json:"ssh_ports,omitempty"`
	// PID is the daemon's process (OpStatus); Ready says it serves clients
	// (its boot step is done).
	PID   int  `json:"pid,omitempty"`
	Ready bool `json:"ready,omitempty"`
}

// maxMessage bounds one message: a script of the largest config (64 MiB) and
// its encoding.
const maxMessage = 160 << 20

// ErrTooLarge says a message is larger than maxMessage.
var ErrTooLarge = errors.New("message too large")

// wire reads and writes one side's messages.
type wire struct {
	r *bufio.Reader
	w io.Writer
}

func newWire(rw io.ReadWriter) *wire {
	return &wire{r: bufio.NewReaderSize(rw, 64<<10), w: rw}
}

// send writes one message; an OpScript request's text follows its line raw.
func (c *wire) send(v any) error {
	var raw string
	if r, ok := v.(Request); ok && r.Op == OpScript {
		raw, r.Text, r.Len = r.Text, "", len(r.Text)
		v = r
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err = c.w.Write(append(b, '\n')); err == nil && raw != "" {
		_, err = io.WriteString(c.w, raw)
	}
	return err
}

// recv reads one message into v.
func (c *wire) recv(v any) error {
	var line []byte
	for {
		part, err := c.r.ReadSlice('\n')
		line = append(line, part...)
		if len(line) > maxMessage {
			return ErrTooLarge
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF && len(line) > 0 {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		break
	}
	if err := json.Unmarshal(line, v); err != nil {
		return fmt.Errorf("a malformed message: %w", err)
	}
	if r, ok := v.(*Request); ok && r.Len != 0 {
		// The text that follows, raw (send).
		if r.Op != OpScript || r.Len < 0 {
			return fmt.Errorf("a malformed message: %d bytes of text after a request %q", r.Len, r.Op)
		}
		if r.Len > maxMessage {
			return ErrTooLarge
		}
		var text strings.Builder
		text.Grow(r.Len)
		if _, err := io.CopyN(&text, c.r, int64(r.Len)); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		r.Text, r.Len = text.String(), 0
	}
	return nil
}
