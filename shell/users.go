package shell

import (
	"net/netip"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/aclsh/aclsh/config"
	"github.com/aclsh/aclsh/internal/clock"
	"github.com/aclsh/aclsh/internal/nss"
	"github.com/aclsh/aclsh/view"
)

// Identity is who runs a shell, for show users, commit timers and sessions: this
// process's (the default), or the client's a daemon runs the shell for.
type Identity = shellIdentity

// shellIdentity is who this shell is, for the registry.
type shellIdentity struct {
	User  string
	From  string // the SSH client address, or the terminal (pts/3)
	PID   int
	Start string // the process's start time in clock ticks after boot (/proc/PID/stat field 22)
}

// identity returns this process's identity; tests fix it.
var identity = realIdentity

// identity returns who runs this shell: Options.Who, else this process.
func (s *Shell) identity() shellIdentity {
	if s.opt.Who != nil {
		return *s.opt.Who
	}
	return identity()
}

// who names the operator; tests fix it.
var who = realWho

// realWho names the operator: the user, and the SSH client if any.
func realWho() string {
	name := nss.UserName(os.Getuid())
	if c := strings.Fields(os.Getenv("SSH_CONNECTION")); len(c) > 0 {
		name += " from " + c[0]
	}
	return name
}

// whoName is the user name commit timers and sessions record.
func (s *Shell) whoName() string {
	if s.opt.Who != nil {
		return s.opt.Who.User
	}
	return who()
}

func realIdentity() shellIdentity {
	id := shellIdentity{User: nss.UserName(os.Getuid()), PID: os.Getpid()}
	if c := strings.Fields(os.Getenv("SSH_CONNECTION")); len(c) > 0 {
		// From the environment, shown to other operators: only an address.
		id.From = "ssh (address unreadable)"
		if a, err := netip.ParseAddr(c[0]); err == nil {
			id.From = a.String()
		}
	} else if tty, err := os.Readlink("/proc/self/fd/0"); err == nil && strings.HasPrefix(tty, "/dev/") {
		id.From = strings.TrimPrefix(tty, "/dev/")
	} else {
		id.From = "console"
	}
	id.Start = config.ProcStart(id.PID)
	return id
}

// JoinUsers adds this shell to the registry (show users) and returns the
// function that removes it (LeaveUsers does too). Without a state directory it
// records nothing (a reader never creates it).
func (s *Shell) JoinUsers() (leave func()) {
	id := s.identity()
	if s.self == nil {
		s.self = &view.User{User: id.User, PID: id.PID, From: id.From, Since: clock.Now()}
	}
	name, rm, err := s.opt.Store.JoinUsers(config.User{User: id.User, PID: id.PID, Start: id.Start, From: id.From, Since: s.self.Since})
	if err != nil {
		return func() {}
	}
	s.selfFile = name
	remove := sync.OnceFunc(rm)
	s.leaveMu.Lock()
	s.leave = remove
	s.leaveMu.Unlock()
	return func() {
		remove()
		s.selfFile = ""
	}
}

// LeaveUsers removes this shell's record from the registry, if it wrote one.
// It may be called from another goroutine and more than once: the signal
// handler that ends the process on SIGHUP (a dropped connection) or SIGTERM
// calls it, as deferred calls do not run then.
func (s *Shell) LeaveUsers() {
	s.leaveMu.Lock()
	leave := s.leave
	s.leaveMu.Unlock()
	if leave != nil {
		leave()
	}
}

func (s *Shell) usersView() (view.View, error) {
	v := &view.Users{Users: []view.User{}}
	others, err := s.opt.Store.Users(s.selfFile)
	if err != nil {
		return nil, err
	}
	for _, u := range others {
		v.Users = append(v.Users, view.User{User: u.User, PID: u.PID, From: u.From, Since: u.Since})
	}
	if s.self != nil {
		me := *s.self
		me.Current = true
		v.Users = append(v.Users, me)
	}
	sort.SliceStable(v.Users, func(i, j int) bool {
		if !v.Users[i].Since.Equal(v.Users[j].Since) {
			return v.Users[i].Since.Before(v.Users[j].Since)
		}
		return v.Users[i].PID < v.Users[j].PID
	})
	for i := range v.Users {
		v.Users[i].Since = v.Users[i].Since.In(clock.Zone)
	}
	return v, nil
}
