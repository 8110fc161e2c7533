// Package follower holds what the daemon (`aclsh follow`) and the processes
// around it share besides the socket protocol: starting it (Start), its run/
// directory and records (the log, the times it put the table back), and the
// check that a unix socket's peer is root or this user (TrustedPeer): an
// abstract name can be taken first by any local user.
package follower

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"

	"golang.org/x/sys/unix"
)

// TrustedPeer returns the credentials of the process at the other end of a unix
// socket (SO_PEERCRED), and an error unless it runs as root or as this
// process's user: an abstract name can be taken first by any local user, so a
// client believes only such a peer.
func TrustedPeer(c net.Conn) (*unix.Ucred, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return nil, errors.New("not a unix socket")
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return nil, err
	}
	var cred *unix.Ucred
	if cerr := raw.Control(func(fd uintptr) { cred, err = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED) }); cerr != nil {
		return nil, cerr
	}
	if err != nil {
		return nil, fmt.Errorf("the peer's credentials: %w", err)
	}
	if cred.Uid != 0 && int(cred.Uid) != os.Geteuid() {
		return cred, fmt.Errorf("the socket is held by a process of uid %d, neither root nor this user", cred.Uid)
	}
	return cred, nil
}

// RunDir returns the state directory's run/ (the daemon's records, the
// shells' records, the log of a daemon Start started), made if it is missing:
// mode 0770 whatever the umask, and set-group-ID when the state directory is,
// so the operators' group reads what is in it. It never makes the state
// directory itself.
func RunDir(stateDir string) (string, error) {
	dir := filepath.Join(stateDir, "run")
	di, err := os.Stat(stateDir)
	if err != nil {
		return dir, err
	}
	if err := os.Mkdir(dir, 0o770); err == nil {
		mode := os.FileMode(0o770)
		if di.Mode()&os.ModeSetgid != 0 {
			mode |= os.ModeSetgid
		}
		os.Chmod(dir, mode)
	} else if !errors.Is(err, os.ErrExist) {
		return dir, err
	}
	return dir, nil
}

// LogName is the file in the state directory's run/ where a follow daemon
// started by Start writes its log.
const LogName = "follow.log"

// logCap is the size from which Start begins a new log (the old one is kept
// as follow.log.1).
const logCap = 1 << 20

// Start starts `exe follow --state-dir DIR --mgmt-if IF` in a session of its own
// (it outlives the shell that started it, and a hangup of that shell's terminal
// does not reach it), logging to DIR/run/follow.log, and waits until ready says
// the process of that pid answers (at most wait). It returns the daemon's pid.
func Start(exe, stateDir, ifname string, wait time.Duration, ready func(pid int) bool) (int, error) {
	dir, err := filepath.Abs(stateDir)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return 0, err
	}
	run, err := RunDir(dir)
	if err != nil {
		return 0, err
	}
	logPath := filepath.Join(run, LogName)
	if fi, err := os.Lstat(logPath); err == nil && fi.Mode().IsRegular() && fi.Size() > logCap {
		os.Rename(logPath, logPath+".1")
	}
	lf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND|unix.O_NOFOLLOW, 0o640)
	if err != nil {
		return 0, err
	}
	defer lf.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		return 0, err
	}
	defer null.Close()
	cmd := exec.Command(exe, "follow", "--state-dir", dir, "--mgmt-if", ifname)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, lf, lf
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	pid := cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(wait)
	for {
		if ready(pid) {
			return pid, nil
		}
		select {
		case err := <-exited:
			return 0, fmt.Errorf("aclsh follow ended at once (%v); see %s", err, logPath)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return pid, fmt.Errorf("aclsh follow (pid %d) does not answer yet; see %s", pid, logPath)
		}
	}
}

// MendsName is the file in the state directory's run/ where the follow daemon
// records how often it put table inet aclsh back, for show access-lists.
const MendsName = "mends"

// Mends is what the follow daemon recorded of the times it put the table back.
type Mends struct {
	Count int
	Last  time.Time
	Cause string // "deleted by nft (pid 1234)"
}

// RecordMend counts one more mend in stateDir's record (written whole, then
// renamed into place).
func RecordMend(stateDir string, at time.Time, cause string) error {
	m, _ := ReadMends(stateDir)
	m.Count++
	m.Last, m.Cause = at, cause
	return WriteRunFile(stateDir, MendsName, fmt.Sprintf("%d %s %s\n", m.Count, m.Last.UTC().Format(time.RFC3339), strings.Map(printable, m.Cause)))
}

// WriteRunFile writes a record in stateDir's run/ whole: a temp file (mode
// 0640) renamed into place, so a reader sees the old text or the new.
func WriteRunFile(stateDir, name, text string) error {
	run, err := RunDir(stateDir)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(run, "."+name+"-*")
	if err != nil {
		return err
	}
	_, err = f.WriteString(text)
	err = errors.Join(err, f.Chmod(0o640), f.Close())
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(run, name))
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// ReadMends reads stateDir's record; ok is false when there is none.
func ReadMends(stateDir string) (m Mends, ok bool) {
	data, err := os.ReadFile(filepath.Join(stateDir, "run", MendsName))
	if err != nil || len(data) > 4096 {
		return Mends{}, false
	}
	f := strings.SplitN(strings.TrimSuffix(string(data), "\n"), " ", 3)
	if len(f) != 3 {
		return Mends{}, false
	}
	n, err1 := strconv.Atoi(f[0])
	t, err2 := time.Parse(time.RFC3339, f[1])
	if err1 != nil || err2 != nil || n < 1 {
		return Mends{}, false
	}
	return Mends{Count: n, Last: t, Cause: strings.Map(printable, f[2])}, true
}

// printable drops what must not reach a terminal from a cause (a process name
// is the program's to choose).
func printable(r rune) rune {
	if r < ' ' || r == 0x7f || r >= 0x80 && r < 0xa0 || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r) {
		return -1
	}
	return r
}
