package daemon

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/aclsh/aclsh/internal/follower"
)

// ErrNoDaemon says no daemon answers in this network namespace.
var ErrNoDaemon = errors.New("no aclsh daemon runs in this network namespace")

// RefusedError is the daemon's refusal of a client.
type RefusedError struct{ Msg string }

func (e *RefusedError) Error() string { return e.Msg }

// Client is a connection to the daemon: a shell the daemon runs for this
// process. As a shell.Session it sits behind the terminal.
type Client struct {
	conn net.Conn
	w    *wire

	// Welcome's: the daemon's state directory, this client's role, the
	// daemon's management 0 and SSH ports.
	StateDir, Role string
	IfName         string
	SSHPorts       []uint16
	banner, notes  string
	broken         error

	// Redial, when set, connects again after the daemon went away (restarted
	// by systemd, or killed): an interactive shell goes on in a new session.
	Redial func(out io.Writer) (*Client, error)
	lost   bool // the connection broke (not a refusal)

	prompt     string
	quit, exec bool
	out        io.Writer
	ask        func(prompt string) (string, error)
}

// Dial connects to the network namespace's daemon and says hello. It trusts
// only a daemon of root or of this process's user (SO_PEERCRED): another user
// may have taken the name first. It returns ErrNoDaemon when none answers and a
// *RefusedError when the daemon will not serve this client.
func Dial(hello Request) (*Client, error) {
	conn, err := net.DialTimeout("unix", Name, 2*time.Second)
	if err != nil {
		return nil, ErrNoDaemon
	}
	if _, err := follower.TrustedPeer(conn); err != nil {
		conn.Close()
		return nil, fmt.Errorf("%s: %v: not talking to it", Name, err)
	}
	c := &Client{conn: conn, w: newWire(conn)}
	hello.Op, hello.Version = OpHello, Version
	if err := c.w.send(hello); err != nil {
		conn.Close()
		return nil, err
	}
	var r Reply
	if err := c.w.recv(&r); err != nil {
		conn.Close()
		return nil, fmt.Errorf("the daemon did not answer: %w", err)
	}
	if r.Op == OpRefused {
		conn.Close()
		return nil, &RefusedError{r.Msg}
	}
	if r.Op != OpWelcome {
		conn.Close()
		return nil, fmt.Errorf("the daemon answered %q to hello", r.Op)
	}
	c.StateDir, c.Role, c.banner, c.notes = r.StateDir, r.Role, r.Banner, r.Notices
	c.IfName, c.SSHPorts = r.IfName, r.SSHPorts
	c.prompt, c.exec = r.Prompt, r.Exec
	if r.Broken != "" {
		c.broken = errors.New(r.Broken)
	}
	return c, nil
}

// Status is what the namespace's daemon says of itself.
type Status struct {
	PID      int
	StateDir string // absolute
	Ready    bool   // it serves clients (its boot step is done)
}

// Probe asks the network namespace's daemon which it is; ok is false when none
// answers, or when what holds the socket runs as neither root nor this
// process's user.
func Probe() (st Status, ok bool) {
	conn, err := net.DialTimeout("unix", Name, time.Second)
	if err != nil {
		return st, false
	}
	defer conn.Close()
	if _, err := follower.TrustedPeer(conn); err != nil {
		return st, false
	}
	conn.SetDeadline(time.Now().Add(time.Second))
	w := newWire(conn)
	if w.send(Request{Op: OpStatus, Version: Version}) != nil {
		return st, false
	}
	// The pid is the daemon's word, not the socket's: under socket activation
	// the socket's peer is systemd, which listened. The peer's uid (root, or
	// this user, checked above) is what makes the word trusted.
	var r Reply
	if w.recv(&r) != nil || r.Op != OpStatus || r.PID <= 0 {
		return st, false
	}
	return Status{PID: r.PID, StateDir: r.StateDir, Ready: r.Ready}, true
}

// Close ends the connection (the daemon's shell for it ends).
func (c *Client) Close() error { return c.conn.Close() }

// do sends a request and handles the replies until done: output to out and
// errOut, questions to the client's ask.
func (c *Client) do(r Request, out, errOut io.Writer) (Reply, error) {
	if err := c.w.send(r); err != nil {
		c.quit, c.lost = true, true
		return Reply{}, notSent{fmt.Errorf("the daemon closed the connection: %w", err)}
	}
	for {
		var m Reply
		if err := c.w.recv(&m); err != nil {
			c.quit, c.lost = true, true
			return Reply{}, fmt.Errorf("the daemon closed the connection: %w", err)
		}
		switch m.Op {
		case OpOut:
			if m.Out != "" && out != nil {
				io.WriteString(out, m.Out)
			}
			if m.Err != "" && errOut != nil {
				io.WriteString(errOut, m.Err)
			}
		case OpAsk:
			answer, err := "", error(nil)
			if c.ask != nil {
				answer, err = c.ask(m.Prompt)
			} else {
				err = io.EOF
			}
			if err != nil {
				answer = "" // the default: no
			}
			if err := c.w.send(Request{Op: OpAnswer, Text: answer}); err != nil {
				return Reply{}, err
			}
		case OpRefused:
			c.quit = true
			return m, &RefusedError{m.Msg}
		case OpDone:
			c.prompt, c.quit, c.exec = m.Prompt, m.Quit, m.Exec
			return m, nil
		}
	}
}

// RunScript has the daemon run a script (the whole text, read by this process
// with its own rights) and returns its exit status; output and errors are
// written as the daemon's shell writes them.
func (c *Client) RunScript(text, name string, stdout, stderr io.Writer) int {
	m, err := c.do(Request{Op: OpScript, Name: name, Text: text}, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "%% Error: %v\n", err)
		return 1
	}
	return m.RC
}

// The shell.Session methods: the terminal runs on this side, the shell in the
// daemon.

func (c *Client) Prompt() string { return c.prompt }
func (c *Client) Banner() string { return c.banner }
func (c *Client) Done() bool     { return c.quit }
func (c *Client) InExec() bool   { return c.exec }

func (c *Client) RunLine(out io.Writer, line string) {
	wasExec := c.exec
	_, err := c.do(Request{Op: OpLine, Text: line}, out, out)
	if err == nil {
		return
	}
	var ns notSent
	if errors.As(err, &ns) && c.reconnect(out) {
		if !wasExec {
			// Typed in a configuration mode, it would mean something else at
			// exec mode (exit would end the shell): not run.
			fmt.Fprintf(out, "%% %q was not run: the new session is at exec mode\n", line)
			return
		}
		// The daemon that went away never had the line: the new one runs it.
		if _, err = c.do(Request{Op: OpLine, Text: line}, out, out); err == nil {
			return
		}
	}
	fmt.Fprintf(out, "%% Error: %v\n", err)
	c.reconnect(out)
}

// notSent is an error of a request that never reached the daemon.
type notSent struct{ error }

func (e notSent) Unwrap() error { return e.error }

// reconnect goes on with a new session of the daemon after the connection
// broke, when the client may (Redial), and says what that means: the line that
// was running may or may not have been committed, the mode is exec again.
func (c *Client) reconnect(out io.Writer) bool {
	if !c.lost || c.Redial == nil {
		return false
	}
	if out == nil {
		out = io.Discard
	}
	nc, err := c.Redial(out)
	if err != nil {
		fmt.Fprintf(out, "%% The aclsh daemon went away, and no daemon serves this shell again: %v\n", err)
		return false
	}
	if nc.StateDir != c.StateDir {
		nc.Close()
		fmt.Fprintf(out, "%% The aclsh daemon went away; the one that answers now owns state directory %s, not %s: not going on\n", nc.StateDir, c.StateDir)
		return false
	}
	c.conn.Close()
	nc.Redial, nc.out, nc.ask = c.Redial, c.out, c.ask
	*c = *nc
	fmt.Fprintf(out, "%% The aclsh daemon went away and a new one serves this shell: a new session, at exec mode "+
		"(committed changes are kept, as the running-config; check the last line with show running-config)\n")
	return true
}

func (c *Client) Help(w io.Writer, line string) {
	m, err := c.do(Request{Op: OpHelp, Text: line}, w, w)
	if err != nil {
		fmt.Fprintf(w, "%% Error: %v\n", err)
		return
	}
	io.WriteString(w, m.Out)
}

func (c *Client) Complete(line string) []string {
	m, err := c.do(Request{Op: OpComplete, Text: line}, nil, nil)
	if err != nil {
		return nil
	}
	return m.Words
}

// EndMode and ExitMode (Ctrl-Z, Ctrl-D in a configuration mode): after the
// daemon went away, the new session is at exec mode already.
func (c *Client) EndMode() {
	if _, err := c.do(Request{Op: OpEndMode}, c.out, c.out); err != nil {
		c.reconnect(c.out)
	}
}

func (c *Client) ExitMode() {
	if _, err := c.do(Request{Op: OpExitMode}, c.out, c.out); err != nil {
		c.reconnect(c.out)
	}
}

func (c *Client) Attach(out io.Writer, ask func(string) (string, error)) error {
	c.out, c.ask = out, ask
	return c.broken
}

func (c *Client) Detach() { c.ask = nil }

func (c *Client) StartNotices(w io.Writer) { io.WriteString(w, c.notes) }

// JoinUsers: the daemon lists this client in show users while it is connected.
func (c *Client) JoinUsers() func() { return func() {} }

// TTY returns the name of the terminal on standard input ("pts/3"), "" if none.
func TTY() string {
	t, err := os.Readlink("/proc/self/fd/0")
	if err != nil || !strings.HasPrefix(t, "/dev/") {
		return ""
	}
	return strings.TrimPrefix(t, "/dev/")
}
