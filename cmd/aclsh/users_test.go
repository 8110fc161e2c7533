package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Issue 10 follow-up: show users in the documented install. The state directory
// is 2770 root:netops; two operators (uids without a passwd entry, netops a
// supplementary group, umasks 077 and 022) run interactive shells on ptys at once.
// Each one's show users lists both (user, pid, terminal), marks itself, and the
// JSON says the same; after one exits the other no longer lists it and its record
// is gone.
func TestShowUsersTwoOperators(t *testing.T) {
	kernelNS(t)
	const netops = 4343
	state := groupDir(t, netops)
	type op struct {
		uid   int
		umask string
		tm    *ptyTerm
		tty   string // pts/N
	}
	ops := []*op{{uid: 4301, umask: "077"}, {uid: 4302, umask: "022"}}
	// The documented install: the daemon owns the state, operators of netops
	// configure through it, with no capability of their own.
	startFollow(t, state)
	for _, o := range ops {
		home := t.TempDir()
		require.NoError(t, os.Chown(home, o.uid, o.uid))
		o.tm = startPTY(t, operator(o.uid, netops, o.umask, false, "--state-dir", state, "--hostname", "device"), home, 160)
		o.tm.expect("device# ")
		tty, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/0", o.tm.cmd.Process.Pid))
		require.NoError(t, err)
		o.tty = strings.TrimPrefix(tty, "/dev/")
		require.True(t, strings.HasPrefix(o.tty, "pts/"), "the shell's terminal: %s", tty)
	}

	// The run directory and the records, as the other operator's shell finds them.
	fi, err := os.Stat(filepath.Join(state, "run"))
	require.NoError(t, err)
	require.Equal(t, os.ModeDir|os.ModeSetgid|0o770, fi.Mode(), "run directory")
	require.Equal(t, uint32(netops), fi.Sys().(*syscall.Stat_t).Gid, "run directory group")
	for _, o := range ops {
		fi, err := os.Stat(filepath.Join(state, "run", "shell."+strconv.Itoa(o.tm.cmd.Process.Pid)))
		require.NoError(t, err, "operator %d's record", o.uid)
		st := fi.Sys().(*syscall.Stat_t)
		// The daemon writes each client's record: root's, the directory's group.
		require.Equal(t, [2]uint32{0, netops}, [2]uint32{st.Uid, st.Gid}, "record owner and group")
		require.Equal(t, os.FileMode(0o640), fi.Mode().Perm())
	}

	row := func(o *op, current bool) *regexp.Regexp {
		mark := "  "
		if current {
			mark = `\* `
		}
		return regexp.MustCompile(fmt.Sprintf(`(?m)^%s%d +%d +%s +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+\r?$`,
			mark, o.uid, o.tm.cmd.Process.Pid, regexp.QuoteMeta(o.tty)))
	}
	type user struct {
		User    string `json:"user"`
		PID     int    `json:"pid"`
		From    string `json:"from"`
		Since   string `json:"since"`
		Current bool   `json:"current"`
	}
	users := func(o *op) []user {
		t.Helper()
		o.tm.send("show users | json\r")
		o.tm.expect("| json\r\n") // the line echoed
		out := o.tm.expect("device# ")
		i, j := strings.Index(out, "{"), strings.LastIndex(out, "}")
		require.True(t, i >= 0 && j > i, "JSON on the terminal: %q", out)
		var v struct {
			Users []user `json:"users"`
		}
		require.NoError(t, json.Unmarshal([]byte(strings.ReplaceAll(out[i:j+1], "\r\n", "\n")), &v), "%s", out)
		return v.Users
	}
	want := func(self *op, others ...*op) []user {
		var us []user
		for _, o := range append([]*op{self}, others...) {
			us = append(us, user{User: strconv.Itoa(o.uid), PID: o.tm.cmd.Process.Pid, From: o.tty, Current: o == self})
		}
		return us
	}
	strip := func(us []user) []user {
		for i := range us {
			_, err := time.Parse(time.RFC3339, us[i].Since)
			require.NoError(t, err, "since")
			us[i].Since = ""
		}
		return us
	}

	for i, o := range ops {
		other := ops[1-i]
		o.tm.send("show users\r")
		screen := o.tm.expect("Since") + o.tm.expect("device# ")
		require.Regexp(t, row(o, true), screen, "operator %d sees itself", o.uid)
		require.Regexp(t, row(other, false), screen, "operator %d sees operator %d", o.uid, other.uid)
		require.ElementsMatch(t, want(o, other), strip(users(o)))
	}

	// The first operator's connection drops: SIGHUP, as sshd's hang-up of the
	// terminal sends. The second no longer lists it, even before the first's
	// parent has reaped it.
	first, second := ops[0], ops[1]
	require.NoError(t, first.tm.cmd.Process.Signal(syscall.SIGHUP))
	var info unix.Siginfo
	require.NoError(t, unix.Waitid(unix.P_PID, first.tm.cmd.Process.Pid, &info, unix.WEXITED|unix.WNOWAIT, nil))
	// The daemon removes the record when the client's connection ends, a moment
	// after the process (show users skips a dead process's record meanwhile).
	rec := filepath.Join(state, "run", "shell."+strconv.Itoa(first.tm.cmd.Process.Pid))
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err = os.Stat(rec); os.IsNotExist(err) || time.Now().After(deadline) {
			break
		}
	}
	require.True(t, os.IsNotExist(err), "the record of the shell that hung up: %v", err)
	second.tm.send("show users\r")
	screen := second.tm.expect("Since") + second.tm.expect("device# ")
	require.Regexp(t, row(second, true), screen)
	require.NotContains(t, screen, strconv.Itoa(first.uid))
	require.Equal(t, want(second), strip(users(second)))
	first.tm.cmd.Wait()

	// The second leaves with exit: no record is left.
	second.tm.send("exit\r")
	select {
	case <-second.tm.done:
	case <-time.After(5 * time.Second):
		t.Fatal("exit did not end the shell")
	}
	second.tm.cmd.Wait()
	ents, err := os.ReadDir(filepath.Join(state, "run"))
	require.NoError(t, err)
	var left []string
	for _, e := range ents {
		if e.Name() != "boot-id" && e.Name() != "follow.log" { // the daemon's
			left = append(left, e.Name())
		}
	}
	require.Empty(t, left, "records left")
}
