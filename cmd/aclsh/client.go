package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aclsh/aclsh/config"
	"github.com/aclsh/aclsh/daemon"
	"github.com/aclsh/aclsh/internal/follower"
	"github.com/aclsh/aclsh/internal/nss"
	"github.com/aclsh/aclsh/shell"
)

type clientOptions struct {
	stateDir    string
	given       bool // --state-dir was given
	host        string
	ifname      string   // management 0, for a daemon this client starts ("": not given)
	sshPorts    []uint16 // --ssh-ports, nil if not given
	startedLog  string   // the log of the daemon this client just started
	interactive bool
	force       bool
	file        string
	cmds        []string
	stdin       *os.File
	stdout      io.Writer
	stderr      io.Writer
}

// runClient runs this aclsh as a client of the network namespace's daemon, when
// one answers; ok is false when none answers. A network namespace has one
// owner: a client never chooses another state directory than its daemon's, and
// when the daemon's peer cannot be trusted nothing runs.
func runClient(o clientOptions) (rc int, ok bool) {
	hello := daemon.Request{Interactive: o.interactive, Force: o.force, SSHConnection: os.Getenv("SSH_CONNECTION"),
		Host: o.host, TTY: daemon.TTY()}
	c, err := daemon.Dial(hello)
	var refused *daemon.RefusedError
	switch {
	case errors.Is(err, daemon.ErrNoDaemon):
		return 0, false
	case errors.As(err, &refused):
		fmt.Fprintf(o.stderr, "aclsh: %v\n", err)
		if strings.Contains(refused.Msg, "protocol version") {
			// A daemon of another installation, most likely the one running
			// since before an upgrade.
			hint := "systemctl restart aclsh-follow"
			if st, ok := daemon.Probe(); ok {
				hint += fmt.Sprintf("; where no unit runs it, kill %d and run aclsh again", st.PID)
			}
			fmt.Fprintf(o.stderr, "aclsh: after an upgrade, restart the daemon (%s)\n", hint)
		}
		return 1, true
	case err != nil:
		fmt.Fprintf(o.stderr, "aclsh: %v\n", err)
		if o.startedLog != "" {
			// The daemon this process just started: what it said.
			if data, rerr := os.ReadFile(o.startedLog); rerr == nil {
				fmt.Fprintf(o.stderr, "aclsh: the end of %s:\n%s", o.startedLog, tailLines(string(data), 10))
			}
		}
		return 1, true
	}
	defer func() { c.Close() }()
	want, _ := filepath.Abs(o.stateDir)
	if want != c.StateDir && (o.given || privileged()) {
		// Never two owners of one namespace's kernel table.
		fmt.Fprintf(o.stderr, "aclsh: the aclsh daemon of this network namespace owns state directory %s; --state-dir %s is not served "+
			"(one owner per network namespace: use its state directory, or stop that daemon first%s)\n", c.StateDir, o.stateDir, daemonPID())
		return 2, true
	}
	warnSettings(o, c)
	if o.interactive {
		// As a shell of its own: Ctrl-C, Ctrl-Z and Ctrl-\ are keys, never
		// signals that end or stop it (see run).
		signal.Ignore(syscall.SIGINT, syscall.SIGTSTP, syscall.SIGQUIT)
		c.Redial = func(out io.Writer) (*daemon.Client, error) { return redial(hello, o, out) }
		hist := ""
		if home, err := os.UserHomeDir(); err == nil {
			hist = filepath.Join(home, ".aclsh_history")
		}
		return shell.RunInteractive(c, shell.TermOptions{Stdin: o.stdin, Fd: int(o.stdin.Fd()), Stdout: o.stdout, HistoryFile: hist}), true
	}
	// A script: read here, with this user's rights, and sent whole.
	var text, name string
	switch {
	case o.file != "":
		f, err := os.Open(o.file)
		if err != nil {
			fmt.Fprintf(o.stderr, "aclsh: %v\n", err)
			return 2, true
		}
		defer f.Close()
		text, err = readScript(f)
		if err != nil {
			fmt.Fprintf(o.stderr, "aclsh: %s: %v\n", o.file, err)
			return 1, true
		}
		name = o.file
	case len(o.cmds) > 0:
		text, name = strings.Join(o.cmds, "\n")+"\n", "-c"
	default:
		text, err = readScript(o.stdin)
		if err != nil {
			fmt.Fprintf(o.stderr, "aclsh: standard input: %v\n", err)
			return 1, true
		}
		name = "-"
	}
	return c.RunScript(text, name, o.stdout, o.stderr), true
}

// redial connects to the namespace's daemon again after the one that served
// this shell went away: systemd restarts it (Restart=always, or the socket
// starts it), and where none is installed root starts one as at first.
func redial(hello daemon.Request, o clientOptions, out io.Writer) (*daemon.Client, error) {
	deadline := time.Now().Add(3 * time.Second)
	started := false
	for {
		c, err := daemon.Dial(hello)
		if !errors.Is(err, daemon.ErrNoDaemon) || time.Now().After(deadline) {
			return c, err
		}
		if !started && os.Getuid() == 0 && privileged() {
			started = true
			if err := startDaemon(o.stateDir, o.ifname, out); err != nil {
				fmt.Fprintf(out, "%% %v\n", err)
			}
			continue
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// daemonPID says which process the namespace's daemon is, for a message.
func daemonPID() string {
	if st, ok := daemon.Probe(); ok {
		return fmt.Sprintf(": kill %d", st.PID)
	}
	return ""
}

// startDaemon starts the daemon of this network namespace for stateDir (the
// embedded default of a lab, CI or make demo, where no unit runs one) and says
// so on stderr. Only root starts one: a process privileged by the way it is
// installed (file capabilities, setuid) never makes itself an owner.
func startDaemon(stateDir, ifname string, stderr io.Writer) error {
	if ifname == "" {
		ifname = defaultMgmtIf()
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	pid, err := follower.Start(exe, stateDir, ifname, 5*time.Second, func(pid int) bool {
		st, ok := daemon.Probe()
		return ok && st.PID == pid
	})
	if err != nil {
		return fmt.Errorf("starting the aclsh daemon of this network namespace: %w", err)
	}
	dir, _ := filepath.Abs(stateDir)
	fmt.Fprintf(stderr, "%% No aclsh daemon ran in this network namespace: started one (pid %d) for state directory %s, management 0 = %s; "+
		"it keeps running and serves every aclsh here (log: %s; stop it with kill %d)\n",
		pid, dir, ifname, filepath.Join(dir, "run", follower.LogName), pid)
	return nil
}

// tailLines is the last n lines of s.
func tailLines(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}

// readScript reads a whole script, no more than the largest config and a line
// (past that it is refused as it is read). A file's text is read into room
// made for its size: a million-line script is 40 MB, which growing by
// doubling copied three times over.
func readScript(r io.Reader) (string, error) {
	const limit = config.MaxConfigSize + shell.MaxLine + 2
	var text strings.Builder
	if f, ok := r.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			text.Grow(int(min(fi.Size(), limit)) + 1)
		}
	}
	if _, err := io.Copy(&text, io.LimitReader(r, limit)); err != nil {
		return "", err
	}
	return text.String(), nil
}

// privileged reports whether this process may change the kernel's ruleset
// (CAP_NET_ADMIN in its effective set).
func privileged() bool {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return os.Geteuid() == 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && caps&(1<<12) != 0 // CAP_NET_ADMIN
		}
	}
	return false
}

// rolesOf resolves the daemon's groups; a group that does not exist grants
// nothing.
func rolesOf(admin, view string) daemon.Roles {
	r := daemon.Roles{Admin: -1, View: -1, AdminName: admin, ViewName: view}
	gid := func(name string) int {
		if name == "" {
			return -1
		}
		return nss.GroupID(name)
	}
	r.Admin, r.View = gid(admin), gid(view)
	return r
}

// warnSettings says when --mgmt-if or --ssh-ports (or their variables) name
// what the running daemon does not use: they are the daemon's settings, and a
// client's do not change them.
func warnSettings(o clientOptions, c *daemon.Client) {
	var diff []string
	if o.ifname != "" && c.IfName != "" && o.ifname != c.IfName {
		diff = append(diff, fmt.Sprintf("management 0 is %s, not %s", c.IfName, o.ifname))
	}
	if o.sshPorts != nil && c.SSHPorts != nil && !slices.Equal(o.sshPorts, c.SSHPorts) {
		diff = append(diff, fmt.Sprintf("the login service is on port(s) %s, not %s", portsText(c.SSHPorts), portsText(o.sshPorts)))
	}
	if len(diff) > 0 {
		pid := ""
		if st, ok := daemon.Probe(); ok {
			pid = fmt.Sprintf(" (pid %d)", st.PID)
		}
		fmt.Fprintf(o.stderr, "%% Note: the aclsh daemon of this network namespace%s runs with its own settings: %s "+
			"(they are aclsh follow's: --mgmt-if, --ssh-ports, or ACLSH_MGMT_IF, ACLSH_SSH_PORTS in /etc/default/aclsh, then restart it)\n",
			pid, strings.Join(diff, "; "))
	}
}

// portsText writes ports as --ssh-ports takes them: 22,2222.
func portsText(ports []uint16) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = strconv.Itoa(int(p))
	}
	return strings.Join(s, ",")
}
