package shell

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/aclsh/aclsh/config"
	"github.com/aclsh/aclsh/view"
)

// Two shells on one state directory see each other in show users; a record left
// by a shell that was killed (its pid gone) is skipped and removed; the run
// directory is 2770 under the state directory's set-group-ID bit whatever the
// umask, so the other operators' shells can join it; leaving removes the record.
func TestUsersRegistry(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o770|os.ModeSetgid))
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	defer func(f func() shellIdentity) { identity = f }(identity)

	me := os.Getpid()
	start := config.ProcStart(me)
	require.NotEmpty(t, start)
	mk := func(user, from string) (*Shell, *bytes.Buffer, func()) {
		identity = func() shellIdentity { return shellIdentity{User: user, From: from, PID: me, Start: start} }
		var out bytes.Buffer
		sh, err := New(Options{Host: "device", Store: &config.Store{Dir: dir}, Out: &out, Err: &out, Interactive: true})
		require.NoError(t, err)
		return sh, &out, sh.JoinUsers()
	}
	alice, out, leaveAlice := mk("alice", "10.24.12.107")
	fi, err := os.Stat(filepath.Join(dir, config.RunDir))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o770)|os.ModeSetgid|os.ModeDir, fi.Mode(), "run directory mode under umask 077")
	rec := filepath.Join(dir, config.RunDir, config.ShellRecord+strconv.Itoa(me))
	fi, err = os.Stat(rec)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o640), fi.Mode().Perm())
	// A record of a shell that is gone: pid 1 runs, but started at another time.
	r := config.UserRecord(config.User{User: "ghost", PID: 1, Start: "999999999999", From: "pts/9"})
	require.NoError(t, os.WriteFile(filepath.Join(dir, config.RunDir, config.ShellRecord+"1"), []byte(r), 0o640))
	require.NoError(t, alice.Run("show users"))
	require.Regexp(t, `(?m)^\* alice +`+strconv.Itoa(me)+` +10\.24\.12\.107 +2026-11-21 12:00:00 UTC$`, out.String())
	require.NotContains(t, out.String(), "ghost", "the record of pid 1 started at another time is stale")
	_, err = os.Stat(filepath.Join(dir, config.RunDir, config.ShellRecord+"1"))
	require.True(t, os.IsNotExist(err), "the stale record is removed")

	bob, bout, leaveBob := mk("bob", "pts/3")
	alice.selfFile = "" // alice's own record is now read like any other shell's
	out.Reset()
	require.NoError(t, alice.Run("show users"))
	require.Regexp(t, `(?m)^  bob +`+strconv.Itoa(me)+` +pts/3 +`, out.String())
	require.NoError(t, bob.Run("show users"))
	require.Regexp(t, `(?m)^\* bob +`, bout.String())
	leaveBob()
	leaveAlice()
	ents, _ := os.ReadDir(filepath.Join(dir, config.RunDir))
	require.Empty(t, ents, "leaving removes the records")
}

// A shell that ended but was not yet collected by its parent (a zombie: its
// /proc entry and start time are still there) is not listed, and its record is
// removed.
func TestUsersZombieIsGone(t *testing.T) {
	dir := t.TempDir()
	defer func(f func() shellIdentity) { identity = f }(identity)
	identity = func() shellIdentity {
		return shellIdentity{User: "alice", From: "pts/1", PID: os.Getpid(), Start: config.ProcStart(os.Getpid())}
	}
	var out bytes.Buffer
	sh, err := New(Options{Host: "device", Store: &config.Store{Dir: dir}, Out: &out, Err: &out, Interactive: true})
	require.NoError(t, err)
	defer sh.JoinUsers()()

	child := exec.Command("true")
	require.NoError(t, child.Start())
	defer child.Wait()
	pid := child.Process.Pid
	start := config.ProcStart(pid)
	require.NotEmpty(t, start)
	var info unix.Siginfo
	require.NoError(t, unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)) // ended, not collected
	_, state := config.ProcStat(pid)
	require.Equal(t, "Z", state)
	r := config.UserRecord(config.User{User: "bob", PID: pid, Start: start, From: "pts/2"})
	rec := filepath.Join(dir, config.RunDir, config.ShellRecord+strconv.Itoa(pid))
	require.NoError(t, os.WriteFile(rec, []byte(r), 0o640))

	require.NoError(t, sh.Run("show users"))
	require.Contains(t, out.String(), "alice")
	require.NotContains(t, out.String(), "bob")
	require.NoFileExists(t, rec)
}

// Text from the environment and from records other operators can write reaches
// show users only as an address or escaped: SSH_CONNECTION with escape
// sequences, a record whose user holds them.
func TestUsersEscapes(t *testing.T) {
	t.Setenv("SSH_CONNECTION", "10.24.12.107\x1b]0;PWNED\x07 40022 10.24.12.129 22")
	require.Equal(t, "ssh (address unreadable)", realIdentity().From)
	t.Setenv("SSH_CONNECTION", "fd77::107 40022 fd77::129 22")
	require.Equal(t, "fd77::107", realIdentity().From)

	var b bytes.Buffer
	v := &view.Users{Users: []view.User{{User: "mallory\x1b[2J", PID: 7, From: "pts/1\u202e"}}}
	v.WriteText(&b)
	require.NotContains(t, b.String(), "\x1b")
	require.NotContains(t, b.String(), "\u202e")
	require.Contains(t, b.String(), `mallory\x1b[2J`)
	require.Contains(t, b.String(), `pts/1\u202e`)
}

// An operator's open shell is told, before its next command runs, that another
// operator committed since its last command (as a switch prints to every
// console); its own commits are not news, nor is a start after a change.
func TestToldOfOtherCommits(t *testing.T) {
	dir := t.TempDir()
	var aOut, bOut bytes.Buffer
	a, err := New(Options{Host: "device", Store: &config.Store{Dir: dir}, Out: &aOut, Err: &aOut, Interactive: true})
	require.NoError(t, err)
	b, err := New(Options{Host: "device", Store: &config.Store{Dir: dir}, Out: &bOut, Err: &bOut, Interactive: true})
	require.NoError(t, err)
	const note = "% The running-config changed since your last command: another session committed (show running-config)\n"
	for _, l := range []string{"conf t", "ip access-list extended a", "permit tcp any any eq 22"} {
		require.NoError(t, a.Run(l))
	}
	require.NotContains(t, aOut.String(), note, "its own commits are not news")
	require.NoError(t, b.Run("show clock"))
	require.NotContains(t, bOut.String(), note, "a first command: nothing was seen before")
	require.NoError(t, a.Run("permit tcp any any eq 443"))
	bOut.Reset()
	require.NoError(t, b.Run("show clock"))
	require.True(t, strings.HasPrefix(bOut.String(), note), "%q", bOut.String())
	bOut.Reset()
	require.NoError(t, b.Run("show clock"))
	require.NotContains(t, bOut.String(), note, "told once")
}
