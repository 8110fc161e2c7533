package shell

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aclsh/aclsh/grammar"
	"github.com/aclsh/aclsh/internal/follower"
	"github.com/aclsh/aclsh/view"
)

// The users registry (show users): DIR/run/shell.PID, one small record per
// interactive shell, written when the shell starts and removed when it ends. A
// shell killed outright leaves its record; readers skip records whose process
// is gone (the pid no longer runs, or runs a process started at another time)
// and remove them when they may.
//
// DIR/run is created mode 2770 (0770 and the state directory's set-group-ID bit)
// whatever the creator's umask, so in the documented install (DIR owned by the
// operators' group, 2770) every operator's shell can join it and read the
// others'. Records are 0640: the group reads them. Nothing here is under the
// state lock: each shell writes only its own file, by rename.

const (
	runDir       = "run"
	shellRecPref = "shell."
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

// whoName is the user name commit timers and sessions record.
func (s *Shell) whoName() string {
	if s.opt.Who != nil {
		return s.opt.Who.User
	}
	return who()
}

func realIdentity() shellIdentity {
	id := shellIdentity{User: strconv.Itoa(os.Getuid()), PID: os.Getpid()}
	if u, err := user.Current(); err == nil {
		id.User = u.Username
	}
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
	id.Start = procStart(id.PID)
	return id
}

// ProcStart returns when process pid started (field 22 of /proc/PID/stat), ""
// if it does not exist: with the pid, it tells a process from a later one.
func ProcStart(pid int) string { return procStart(pid) }

// procStart returns field 22 of /proc/PID/stat (the start time), "" if the
// process does not exist.
func procStart(pid int) string {
	start, _ := procStat(pid)
	return start
}

// procStat returns fields 22 (the start time) and 3 (the state: R, S, ... Z
// for a zombie) of /proc/PID/stat, "" if the process does not exist.
func procStat(pid int) (start, state string) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", ""
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", ""
	}
	f := strings.Fields(s[i+1:]) // from field 3 on
	if len(f) < 20 {
		return "", ""
	}
	return f[19], f[0]
}

// alive reports whether the process of a record still runs: the pid exists,
// started when the record says, and has not ended (a zombie, whose parent has
// not collected it yet, has ended).
var alive = func(pid int, start string) bool {
	st, state := procStat(pid)
	return st != "" && state != "Z" && state != "X" && (start == "" || st == start)
}

// JoinUsers adds this shell to the registry (show users) and returns the
// function that removes it (LeaveUsers does too). Without a state directory it
// records nothing (a reader never creates it).
func (s *Shell) JoinUsers() (leave func()) {
	id := s.identity()
	if s.self == nil {
		s.self = &userRow{User: id.User, PID: id.PID, From: id.From, Since: now()}
	}
	dir, err := follower.RunDir(s.opt.Store.Dir)
	if err != nil {
		return func() {}
	}
	r := &record{}
	r.set("user", id.User)
	r.set("pid", strconv.Itoa(id.PID))
	r.set("start", id.Start)
	r.set("from", id.From)
	r.setTime("since", s.self.Since)
	name := shellRecPref + strconv.Itoa(id.PID)
	f, err := os.CreateTemp(dir, ".shell-*")
	if err != nil {
		return func() {}
	}
	_, err = f.WriteString(r.render("aclsh shell"))
	err = errors.Join(err, f.Chmod(0o640), f.Close())
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(f.Name())
		return func() {}
	}
	s.selfFile = name
	remove := sync.OnceFunc(func() { os.Remove(filepath.Join(dir, name)) })
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

// usersView is show users: the aclsh shells open on this host.
type usersView struct {
	Users []userRow `json:"users"`
}

type userRow struct {
	User    string    `json:"user"`
	PID     int       `json:"pid"`
	From    string    `json:"from"` // the SSH client address, or the terminal (pts/3, console)
	Since   time.Time `json:"since"`
	Current bool      `json:"current"` // this shell
}

func (v *usersView) WriteText(w io.Writer) {
	var b strings.Builder
	rows := [][]string{{"  User", "PID", "From", "Since"}}
	for _, u := range v.Users {
		mark := "  "
		if u.Current {
			mark = "* "
		}
		// Records are files other operators of the group can write: what they
		// hold reaches this terminal only escaped.
		rows = append(rows, []string{mark + grammar.Printable(u.User), strconv.Itoa(u.PID), grammar.Printable(u.From), showTime(u.Since)})
	}
	view.Table(&b, rows)
	io.WriteString(w, b.String())
}

func (s *Shell) usersView(grammar.Command) (view.View, error) {
	v := &usersView{Users: []userRow{}}
	dir := filepath.Join(s.opt.Store.Dir, runDir)
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("shells registry: %w", err)
	}
	for _, e := range ents {
		n := e.Name()
		pid, err := strconv.Atoi(strings.TrimPrefix(n, shellRecPref))
		if !strings.HasPrefix(n, shellRecPref) || err != nil {
			continue
		}
		if n == s.selfFile {
			continue // listed from memory, below
		}
		r, err := s.opt.Store.readRecord(filepath.Join(runDir, n))
		if err != nil || r == nil || r.get("pid") != strconv.Itoa(pid) {
			continue
		}
		if !alive(pid, r.get("start")) {
			os.Remove(filepath.Join(dir, n)) // stale: its shell was killed
			continue
		}
		v.Users = append(v.Users, userRow{User: r.get("user"), PID: pid, From: r.get("from"), Since: r.time("since")})
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
		v.Users[i].Since = v.Users[i].Since.In(displayZone)
	}
	return v, nil
}
