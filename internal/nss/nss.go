// Package nss names users and groups. aclsh is built without cgo (a static
// binary starts in about half the time of one the dynamic loader links, and a
// one-shot `aclsh -c` is mostly its start), so os/user reads /etc/passwd and
// /etc/group only; where that does not know a name, getent(1) asks the C
// library's name service switch (LDAP, SSSD, systemd-userdb), as a cgo build of
// os/user would. Names found are cached for the life of the process; a name
// not found is asked again next time (the daemon runs for months, and a user
// or group can be added meanwhile).
package nss

import (
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"sync"
)

var (
	mu     sync.Mutex
	users  = map[int]string{}
	groups = map[string]int{}
)

// UserName returns the name of uid, or its number when no database knows it.
func UserName(uid int) string {
	mu.Lock()
	name, ok := users[uid]
	mu.Unlock()
	if ok {
		return name
	}
	id := strconv.Itoa(uid)
	if u, err := user.LookupId(id); err == nil {
		name = u.Username
	} else if f := getent("passwd", id); len(f) > 0 && f[0] != "" {
		name = f[0]
	} else {
		return id
	}
	mu.Lock()
	users[uid] = name
	mu.Unlock()
	return name
}

// GroupID returns the gid of the group named name (or given as a number), or
// -1 when no database knows it.
func GroupID(name string) int {
	if n, err := strconv.Atoi(name); err == nil {
		return n
	}
	mu.Lock()
	gid, ok := groups[name]
	mu.Unlock()
	if ok {
		return gid
	}
	gid = -1
	if g, err := user.LookupGroup(name); err == nil {
		if n, err := strconv.Atoi(g.Gid); err == nil {
			gid = n
		}
	} else if f := getent("group", name); len(f) > 2 {
		if n, err := strconv.Atoi(f[2]); err == nil {
			gid = n
		}
	}
	if gid < 0 {
		return -1
	}
	mu.Lock()
	groups[name] = gid
	mu.Unlock()
	return gid
}

// getent returns the fields of key's entry in database db, nil if none (or
// no getent).
func getent(db, key string) []string {
	out, err := exec.Command("getent", db, key).Output()
	if err != nil {
		return nil
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.Split(line, ":")
}
