package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aclsh/aclsh/internal/follower"
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
	// RunDir is the registry's directory under the state directory.
	RunDir = "run"
	// ShellRecord prefixes a shell's record's name (shell.PID).
	ShellRecord = "shell."
)

// User is a shell in the registry.
type User struct {
	User  string
	From  string // the SSH client address, or the terminal (pts/3, console)
	PID   int
	Start string // the process's start time in clock ticks after boot (/proc/PID/stat field 22)
	Since time.Time
}

// ProcStart returns when process pid started (field 22 of /proc/PID/stat), ""
// if it does not exist: with the pid, it tells a process from a later one.
func ProcStart(pid int) string {
	start, _ := ProcStat(pid)
	return start
}

// ProcStat returns fields 22 (the start time) and 3 (the state: R, S, ... Z
// for a zombie) of /proc/PID/stat, "" if the process does not exist.
func ProcStat(pid int) (start, state string) {
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
func alive(pid int, start string) bool {
	st, state := ProcStat(pid)
	return st != "" && state != "Z" && state != "X" && (start == "" || st == start)
}

// UserRecord is the text of a shell's record in the registry.
func UserRecord(u User) string {
	r := &record{}
	r.set("user", u.User)
	r.set("pid", strconv.Itoa(u.PID))
	r.set("start", u.Start)
	r.set("from", u.From)
	if !u.Since.IsZero() {
		r.setTime("since", u.Since)
	}
	return r.render("aclsh shell")
}

// JoinUsers adds a shell to the registry and returns its record's name and the
// function that removes it. Without a state directory it records nothing (a
// reader never creates it) and says so with an error.
func (s *Store) JoinUsers(u User) (name string, remove func(), err error) {
	dir, err := follower.RunDir(s.Dir)
	if err != nil {
		return "", nil, err
	}
	name = ShellRecord + strconv.Itoa(u.PID)
	f, err := os.CreateTemp(dir, ".shell-*")
	if err != nil {
		return "", nil, err
	}
	_, err = f.WriteString(UserRecord(u))
	err = errors.Join(err, f.Chmod(0o640), f.Close())
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(f.Name())
		return "", nil, err
	}
	return name, func() { os.Remove(filepath.Join(dir, name)) }, nil
}

// Users returns the shells in the registry whose process still runs, except
// the record named skip; records of shells that are gone are removed.
func (s *Store) Users(skip string) ([]User, error) {
	var out []User
	dir := filepath.Join(s.Dir, RunDir)
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("shells registry: %w", err)
	}
	for _, e := range ents {
		n := e.Name()
		pid, err := strconv.Atoi(strings.TrimPrefix(n, ShellRecord))
		if !strings.HasPrefix(n, ShellRecord) || err != nil {
			continue
		}
		if n == skip {
			continue // listed from memory
		}
		r, err := s.readRecord(filepath.Join(RunDir, n))
		if err != nil || r == nil || r.get("pid") != strconv.Itoa(pid) {
			continue
		}
		if !alive(pid, r.get("start")) {
			os.Remove(filepath.Join(dir, n)) // stale: its shell was killed
			continue
		}
		out = append(out, User{User: r.get("user"), PID: pid, From: r.get("from"), Since: r.time("since")})
	}
	return out, nil
}
