package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/aclsh/aclsh/config"
	"github.com/aclsh/aclsh/internal/nss"
	"github.com/aclsh/aclsh/shell"
)

// Role is what a client may do.
type Role int

const (
	RoleNone  Role = iota // nothing: refused
	RoleView              // show and test
	RoleAdmin             // everything
)

func (r Role) String() string { return [...]string{"none", "view", "admin"}[r] }

// Roles maps groups to roles. Root (uid 0) is admin; a member of Admin is admin,
// of View read-only; anyone else is refused. A group id below 0 is none.
type Roles struct {
	Admin, View         int
	AdminName, ViewName string // for messages
}

// Peer is what the kernel says of a client (SO_PEERCRED, SO_PEERGROUPS).
type Peer struct {
	PID, UID, GID int
	Groups        []int
}

// roleOf decides a peer's role.
func (r Roles) roleOf(p Peer) Role {
	if p.UID == 0 {
		return RoleAdmin
	}
	in := func(g int) bool {
		if g < 0 {
			return false
		}
		if p.GID == g {
			return true
		}
		for _, x := range p.Groups {
			if x == g {
				return true
			}
		}
		return false
	}
	switch {
	case in(r.Admin):
		return RoleAdmin
	case in(r.View):
		return RoleView
	}
	return RoleNone
}

// Server serves clients: a shell for each, on the daemon's store and enforcer.
type Server struct {
	Store    *config.Store
	Enforcer shell.Enforcer
	IfName   string
	// SSHPorts are the ports of the login service (said to clients).
	SSHPorts []uint16
	// MgmtNames are more names of interface management 0 (--mgmt-names).
	MgmtNames []string
	Roles     Roles
	Logf      func(format string, args ...any)
	// Ready, if set, is closed when clients may be served (after the boot
	// step); until then a status request is answered and a hello waits.
	Ready <-chan struct{}
}

// Listen claims the namespace's daemon socket.
func Listen() (net.Listener, error) {
	ln, err := net.Listen("unix", Name)
	if err != nil && errors.Is(err, unix.EADDRINUSE) {
		return nil, fmt.Errorf("another aclsh daemon runs in this network namespace (%s is taken)", Name)
	}
	return ln, err
}

// Serve answers clients on ln until ctx ends.
func (sv *Server) Serve(ctx context.Context, ln net.Listener) error {
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	go func() {
		<-ctx.Done()
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close() // clients see the daemon go; their shells end here
		}
		mu.Unlock()
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) || errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM) {
				// Out of descriptors or memory for now (many clients at
				// once): those connected go on; retry in a moment.
				sv.logf("daemon: accepting a client: %v; retrying", err)
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(100 * time.Millisecond):
				}
				continue
			}
			return err
		}
		mu.Lock()
		conns[c] = true
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
				c.Close()
			}()
			sv.serve(ctx, c)
		}()
	}
}

// helloTimeout and maxHello bound a client's first message.
const (
	helloTimeout = 10 * time.Second
	maxHello     = 64 << 10
)

func (sv *Server) logf(format string, args ...any) {
	if sv.Logf != nil {
		sv.Logf(format, args...)
	}
}

// peerOf reads the client's credentials from the kernel.
func peerOf(c net.Conn) (Peer, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return Peer{}, errors.New("not a unix socket")
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return Peer{}, err
	}
	var p Peer
	var cerr error
	raw.Control(func(fd uintptr) {
		cred, err := unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
		if err != nil {
			cerr = err
			return
		}
		p = Peer{PID: int(cred.Pid), UID: int(cred.Uid), GID: int(cred.Gid)}
		p.Groups, cerr = peerGroups(int(fd))
	})
	return p, cerr
}

// peerGroups reads SO_PEERGROUPS: the client's supplementary groups when it
// connected.
func peerGroups(fd int) ([]int, error) {
	buf := make([]uint32, 64)
	for {
		n := uint32(len(buf) * 4)
		_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.SOL_SOCKET, unix.SO_PEERGROUPS,
			uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)), 0)
		if e == unix.ERANGE {
			buf = make([]uint32, n/4+1)
			continue
		}
		if e != 0 {
			return nil, e
		}
		out := make([]int, n/4)
		for i := range out {
			out[i] = int(buf[i])
		}
		return out, nil
	}
}

// frames is a writer that sends what is written as out messages.
type frames struct {
	w    *wire
	mu   *sync.Mutex
	errs bool // standard error rather than output
}

func (f frames) Write(b []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := Reply{Op: OpOut, Out: string(b)}
	if f.errs {
		r = Reply{Op: OpOut, Err: string(b)}
	}
	if err := f.w.send(r); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (sv *Server) serve(ctx context.Context, c net.Conn) {
	w := newWire(c)
	peer, err := peerOf(c)
	if err != nil {
		sv.logf("daemon: a client's credentials: %v", err)
		return
	}
	name := nss.UserName(peer.UID)
	// The first message comes at once and is small (a hello or a status
	// request): a client may not hold a connection, or the daemon's memory,
	// before it said who it is.
	var hello Request
	c.SetReadDeadline(time.Now().Add(helloTimeout))
	if err := newWire(struct {
		io.Reader
		io.Writer
	}{io.LimitReader(c, maxHello), c}).recv(&hello); err != nil {
		return
	}
	c.SetReadDeadline(time.Time{})
	if hello.Op == OpStatus {
		// Which daemon this is, for anyone: its pid and state directory are
		// no secret, and a client that starts one waits for this.
		dir, _ := filepath.Abs(sv.Store.Dir)
		ready := true
		if sv.Ready != nil {
			select {
			case <-sv.Ready:
			default:
				ready = false
			}
		}
		w.send(Reply{Op: OpStatus, Version: Version, PID: os.Getpid(), StateDir: dir, Ready: ready})
		return
	}
	if hello.Op != OpHello {
		return
	}
	if sv.Ready != nil {
		select {
		case <-sv.Ready:
		case <-ctx.Done():
			return
		}
	}
	refuse := func(msg string) { w.send(Reply{Op: OpRefused, Version: Version, Msg: msg}) }
	if hello.Version != Version {
		refuse(fmt.Sprintf("this aclsh speaks protocol version %d and the daemon %d: use the aclsh of the daemon's installation", hello.Version, Version))
		return
	}
	role := sv.Roles.roleOf(peer)
	if role == RoleNone {
		refuse(fmt.Sprintf("user %s (uid %d) may not use aclsh: members of group %s configure, members of group %s show and test", name, peer.UID,
			orUnset(sv.Roles.AdminName), orUnset(sv.Roles.ViewName)))
		return
	}
	dir, _ := filepath.Abs(sv.Store.Dir)
	if hello.StateDir != "" && filepath.Clean(hello.StateDir) != dir {
		refuse(fmt.Sprintf("the aclsh daemon of this network namespace owns state directory %s, not %s", dir, hello.StateDir))
		return
	}
	from := "console"
	if f := strings.Fields(hello.SSHConnection); len(f) > 0 {
		from = f[0]
	} else if hello.TTY != "" {
		from = hello.TTY
	}
	id := shell.Identity{User: name, PID: peer.PID, From: from, Start: config.ProcStart(peer.PID)}
	var mu sync.Mutex
	out, errw := frames{w: w, mu: &mu}, frames{w: w, mu: &mu, errs: true}
	opt := shell.Options{Host: hello.Host, Store: sv.Store, Enforcer: sv.Enforcer, IfName: sv.IfName, MgmtNames: sv.MgmtNames, Out: out, Err: errw,
		Interactive: hello.Interactive, SSHConnection: hello.SSHConnection, Force: hello.Force, Who: &id,
		InDaemon: true}
	if role == RoleView {
		opt.ReadOnly = fmt.Sprintf("user %s may show and test, not configure: that needs group %s", name, orUnset(sv.Roles.AdminName))
	}
	if opt.Host == "" {
		opt.Host = "aclsh"
	}
	sh, err := shell.New(opt)
	if err != nil {
		refuse(err.Error())
		return
	}
	welcome := Reply{Op: OpWelcome, Version: Version, Role: role.String(), Banner: sh.Banner(), Prompt: sh.Prompt(), Exec: sh.InExec(), StateDir: dir,
		IfName: sv.IfName, SSHPorts: sv.SSHPorts}
	var answers chan string
	stop := make(chan struct{}) // closed when this client is done
	defer close(stop)
	if hello.Interactive {
		answers = make(chan string, 1)
		ask := func(prompt string) (string, error) {
			mu.Lock()
			err := w.send(Reply{Op: OpAsk, Prompt: prompt})
			mu.Unlock()
			if err != nil {
				return "", err
			}
			select {
			case a := <-answers:
				return a, nil
			case <-stop:
				return "", io.EOF
			}
		}
		if b := sh.Attach(out, ask); b != nil {
			welcome.Broken = b.Error()
		}
		defer sh.Detach()
		var notes strings.Builder
		sh.StartNotices(&notes)
		welcome.Notices = notes.String()
		defer sh.JoinUsers()()
	}
	if err := w.send(welcome); err != nil {
		return
	}
	// Requests are read here and run one at a time on another goroutine, so
	// that an answer to a question can arrive while a line runs.
	reqs := make(chan Request)
	go func() {
		defer close(reqs)
		for {
			var r Request
			if err := w.recv(&r); err != nil {
				return
			}
			if r.Op == OpAnswer {
				if answers != nil {
					select {
					case answers <- r.Text:
					default:
					}
				}
				continue
			}
			select {
			case reqs <- r:
			case <-stop:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	for r := range reqs {
		done := Reply{Op: OpDone}
		switch r.Op {
		case OpLine:
			if !hello.Interactive {
				// A script is validated whole and committed once: it comes
				// whole (OpScript), never a line at a time.
				mu.Lock()
				w.send(Reply{Op: OpRefused, Msg: "a line is for an interactive session; a script is sent whole"})
				mu.Unlock()
				return
			}
			sh.RunLine(out, r.Text)
		case OpHelp:
			var b strings.Builder
			sh.Help(&b, r.Text)
			done.Out = b.String()
		case OpComplete:
			done.Words = sh.Complete(r.Text)
		case OpEndMode:
			sh.EndMode()
		case OpExitMode:
			sh.ExitMode()
		case OpScript:
			text := r.Text
			r.Text = "" // the shell's now, which lets go of it as it reads (a million lines are 40 MB)
			done.RC = sh.RunScriptText(text, r.Name)
		default:
			mu.Lock()
			w.send(Reply{Op: OpRefused, Msg: "unknown request " + strconv.Quote(r.Op)})
			mu.Unlock()
			return
		}
		done.Prompt, done.Quit, done.Exec = sh.Prompt(), sh.Done(), sh.InExec()
		mu.Lock()
		err := w.send(done)
		mu.Unlock()
		if err != nil || done.Quit {
			return
		}
	}
}

func orUnset(g string) string {
	if g == "" {
		return "(none set)"
	}
	return g
}
