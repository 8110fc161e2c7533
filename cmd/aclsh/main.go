// Command aclsh is a switch-style shell for management-plane access lists on Linux.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/syslog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/coreos/go-systemd/v22/activation"
	sd "github.com/coreos/go-systemd/v22/daemon"
	"golang.org/x/term"

	"github.com/aclsh/aclsh/config"
	"github.com/aclsh/aclsh/daemon"
	"github.com/aclsh/aclsh/enforcer"
	"github.com/aclsh/aclsh/internal/follower"
	"github.com/aclsh/aclsh/shell"
)

// defaultMgmtIf returns the interface of the IPv4 default route, else eth0.
func defaultMgmtIf() string {
	data, err := os.ReadFile("/proc/net/route")
	if err != nil {
		return "eth0"
	}
	for _, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 2 && f[1] == "00000000" && f[7] == "00000000" {
			return f[0]
		}
	}
	return "eth0"
}

// portsOf reads --ssh-ports: port numbers separated by commas or spaces.
func portsOf(s string) ([]uint16, error) {
	var out []uint16
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%q is not a port: give sshd's ports (1-65535), as 22,2222", f)
		}
		out = append(out, uint16(n))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no port: give sshd's ports, as 22,2222")
	}
	return out, nil
}

// namesOf splits --mgmt-names: names separated by commas or spaces.
func namesOf(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

// runFollow runs the daemon until SIGTERM or SIGINT: it keeps connection counts
// exact, puts the table back, carries out commit timers, and serves the shells
// of this network namespace (package daemon).
func runFollow(store *config.Store, kernel *enforcer.Enforcer, roles daemon.Roles, mgmtNames []string, guessed bool, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer stop()
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	// The shells' socket, the namespace's one name: systemd's (aclsh.socket,
	// socket activation), else its own (a second daemon is refused here).
	var dln net.Listener
	var err error
	if ls, aerr := activation.Listeners(); aerr == nil && len(ls) > 0 && ls[0] != nil {
		dln = ls[0]
	} else if dln, err = daemon.Listen(); err != nil {
		fmt.Fprintf(stderr, "aclsh follow: %v\n", err)
		return 1
	}
	// show access-lists tells how often the table was put back, and when last.
	kernel.Mended = func(at time.Time, ch enforcer.Change) {
		if err := follower.RecordMend(store.Dir, at, ch.String()); err != nil {
			logf("follow: recording that the table was put back: %v", err)
		}
	}
	// Commit timers and reloads that run out are carried out here (every
	// second, when the daemon looks at the running-config) and logged.
	store.Logf = func(format string, args ...any) { logf("follow: "+format, args...) }
	ready := make(chan struct{})
	sv := &daemon.Server{Store: store, Enforcer: kernel, IfName: kernel.IfName, SSHPorts: kernel.LoginPorts(), MgmtNames: mgmtNames, Roles: roles, Logf: logf, Ready: ready}
	served := make(chan error, 1)
	var serveErr error
	go func() {
		err := sv.Serve(ctx, dln)
		if err != nil {
			// A daemon that serves no client any more is no daemon: end,
			// and let systemd (Restart=always) start a new one.
			serveErr = err
			stop()
		}
		served <- err
	}()
	defer func() { stop(); <-served }()
	// The boot step, at the daemon's first start after the host booted (a
	// restart leaves the running-config alone): the startup-config becomes
	// the running-config, and a pending rollback is dropped. Meanwhile the
	// daemon says who it is, and clients wait to be served.
	if !config.BootDone(store.Dir) {
		config.Boot{Store: store, Kernel: kernel, Guessed: guessed, Log: stderr}.Step()
	}
	close(ready)
	if roles.Admin < 0 {
		logf("follow: group %s does not exist: only root may configure (--admin-group)", roles.AdminName)
	}
	// Ready: systemd (Type=notify) starts what is ordered after it now.
	sd.SdNotify(false, sd.SdNotifyReady)
	if has, err := kernel.HasInterface(); err == nil && !has {
		logf("follow: management 0 is Linux interface %s, which does not exist (yet): the access lists bound to it filter nothing until it appears (--mgmt-if, ACLSH_MGMT_IF)", kernel.IfName)
	}
	err = kernel.Follow(ctx, store.View, logf)
	if serveErr != nil {
		fmt.Fprintf(stderr, "aclsh follow: serving the shells: %v\n", serveErr)
		return 1
	}
	if err != nil {
		if errors.Is(err, enforcer.ErrPermission) {
			fmt.Fprintf(stderr, "aclsh follow: %v: it runs as root, from its unit (systemctl start aclsh-follow)\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "aclsh follow: %v\n", err)
		return 1
	}
	return 0
}

// usage is the help text; its flag list comes from flagDefs (flags.go), as do
// the manual page and the completion script.
func usage() string {
	return usageSynopsis + "\n" + usageAbout + "\nFlags:\n" + flagUsage() + "\n" + usageMore + "\n" + usageExit
}

const usageSynopsis = `Usage: aclsh [flags]
       aclsh follow [--state-dir DIR] [--mgmt-if IFNAME] [--admin-group GROUP] [--view-group GROUP]
       aclsh boot [--state-dir DIR] [--mgmt-if IFNAME]
`

const usageAbout = `A switch-style CLI (conf t, ip access-list extended NAME, permit/deny ... connlimit N,
interface management 0, ip access-group NAME in, show access-lists) for the host's
management-plane access lists.

On a terminal aclsh is an interactive shell. When standard input is not a terminal,
or with -f or -c, lines are read as a script starting in exec mode: validated whole
and committed once at the end; if any line fails nothing is applied.
`

const usageMore = `A bound access list is enforced in the kernel (nftables table inet aclsh) when a
change is committed. "aclsh follow" is the daemon of the network namespace (systemd
units aclsh.socket and aclsh-follow.service): it owns the state directory and the
kernel table, and every aclsh in the namespace is its client over the socket
@aclsh/daemon; it decides by the client's credentials: root and --admin-group
configure, --view-group shows and tests, others are refused. Where none runs
(a lab, no unit), the first aclsh run by root starts one for its state
directory and says so; another state directory is refused (one owner per
namespace). It also keeps connection limits exact: at start it applies the
running-config, when a counted session ends it updates that source's count, it
refreshes pre-existing session counts, and every 5 minutes it logs how many log
lines each "log" line did not write (ip access-list logging interval). It also
rolls back a "commit timer" that was not confirmed in time and carries out
"reload in MINUTES", within a second of the deadline, and logs it.
At its first start after the host booted the daemon makes the startup-config
the running-config and enforces it, as a switch does when it starts (without a
startup-config it enforces the last running-config); a restart does not.
"aclsh boot" does that step where no daemon runs.

If the running-config is missing or does not load, nothing is changed and the
kernel keeps enforcing; the shell says why and offers the way back:
copy last-good-config running-config, or copy startup-config running-config.
`

const usageExit = `Exit status: 0 success, 1 a command failed, 2 bad usage.
`

// args0 names the subcommand.
func args0(follow bool) string {
	if follow {
		return "follow"
	}
	return "boot"
}

// syslogf logs a line to syslog (daemon facility, warning), if there is one.
func syslogf(format string, args ...any) {
	w, err := syslog.New(syslog.LOG_WARNING|syslog.LOG_DAEMON, "aclsh")
	if err != nil {
		return
	}
	defer w.Close()
	w.Warning(fmt.Sprintf(format, args...))
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, "; ") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

func run(args []string, stdin *os.File, stdout, stderr io.Writer) int {
	follow := len(args) > 0 && args[0] == "follow"
	boot := len(args) > 0 && args[0] == "boot"
	if follow || boot {
		args = args[1:]
	}
	fs := flag.NewFlagSet("aclsh", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		file, stateDir, host, mgmtIf string
		mgmtNames, sshPorts          string
		check, force, lint           bool
		cmds                         multi
		version, man, bashCompletion bool
		adminGroup, viewGroup        string
	)
	defineFlags(fs, map[string]any{"f": &file, "c": &cmds, "check": &check, "force": &force, "lint": &lint,
		"state-dir": &stateDir, "hostname": &host, "mgmt-if": &mgmtIf, "mgmt-names": &mgmtNames, "ssh-ports": &sshPorts,
		"version": &version, "man": &man, "bash-completion": &bashCompletion,
		"admin-group": &adminGroup, "view-group": &viewGroup})
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fmt.Fprint(stdout, usage())
			return 0
		}
		fmt.Fprintf(stderr, "aclsh: %v\n%s", err, usage())
		return 2
	}
	switch {
	case version:
		fmt.Fprintf(stdout, "aclsh %s\n", versionString())
		return 0
	case man:
		fmt.Fprint(stdout, manPage())
		return 0
	case bashCompletion:
		fmt.Fprint(stdout, bashCompletionScript())
		return 0
	}
	guessed := mgmtIf == ""
	kernel := &enforcer.Enforcer{IfName: mgmtIf}
	// resolveIf takes management 0 from the default route when it was not
	// named: a client of a running daemon never needs it (it is the daemon's),
	// so a one-shot does not ask the kernel for routes.
	resolveIf := func() {
		if mgmtIf == "" {
			mgmtIf = defaultMgmtIf()
			kernel.IfName = mgmtIf
		}
	}
	if check || follow || boot {
		resolveIf()
	}
	if sshPorts != "" {
		ports, err := portsOf(sshPorts)
		if err != nil {
			fmt.Fprintf(stderr, "aclsh: --ssh-ports %q: %v\n", sshPorts, err)
			return 2
		}
		kernel.SSHPorts = ports
		// A daemon this process starts (the embedded default, or again after
		// the one it talked to went away) inherits the environment: it
		// guards the same ports.
		os.Setenv("ACLSH_SSH_PORTS", sshPorts)
	}
	store := &config.Store{Dir: stateDir, Kernel: kernel}
	if !check {
		// A shell or script that takes the lock after a commit timer or reload
		// ran out carries it out when the daemon did not: logged to syslog.
		store.Logf = syslogf
	} else {
		store.Passive = true
	}
	if (follow || boot) && os.Getuid() != 0 && privileged() {
		// The owner is root, started by its unit (or by root's first aclsh):
		// never a user's process made privileged by how it is installed.
		fmt.Fprintf(stderr, "aclsh %s: this aclsh may change the kernel though uid %d is not root (file capabilities or setuid): "+
			"remove that (setcap -r %s); the daemon runs as root from its unit: systemctl enable --now aclsh.socket aclsh-follow\n", args0(follow), os.Getuid(), os.Args[0])
		return 2
	}
	if follow {
		if fs.NArg() > 0 || file != "" || len(cmds) > 0 || check || force {
			fmt.Fprintln(stderr, "aclsh follow: takes only --state-dir and --mgmt-if")
			return 2
		}
		return runFollow(store, kernel, rolesOf(adminGroup, viewGroup), namesOf(mgmtNames), guessed, stderr)
	}
	if boot {
		if fs.NArg() > 0 || file != "" || len(cmds) > 0 || check {
			fmt.Fprintln(stderr, "aclsh boot: takes only --state-dir and --mgmt-if")
			return 2
		}
		if st, ok := daemon.Probe(); ok {
			fmt.Fprintf(stderr, "aclsh boot: the aclsh daemon runs in this network namespace (pid %d, state directory %s): it did the boot step when it started; nothing done\n", st.PID, st.StateDir)
			return 0
		}
		return config.Boot{Store: store, Kernel: kernel, Guessed: guessed, Log: stderr}.Run()
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "aclsh: unexpected argument %q (use -c CMD or -f FILE)\n", fs.Arg(0))
		return 2
	}
	if file != "" && len(cmds) > 0 {
		fmt.Fprintln(stderr, "aclsh: -f and -c cannot be used together")
		return 2
	}
	if host == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "aclsh"
		}
		host, _, _ = strings.Cut(h, ".")
	}
	tty := term.IsTerminal(int(stdin.Fd()))
	interactive := tty && file == "" && len(cmds) == 0
	if check && interactive {
		fmt.Fprintln(stderr, "aclsh: --check needs a script: -f FILE, -c CMD or standard input")
		return 2
	}
	if lint && !check {
		fmt.Fprintln(stderr, "aclsh: --lint goes with --check (aclsh --check --lint -f FILE)")
		return 2
	}
	if force && interactive {
		fmt.Fprintln(stderr, "aclsh: --force is for scripts (-f FILE, -c CMD or standard input); on a terminal the shell asks")
		return 2
	}

	// A daemon runs in this network namespace: it owns the state directory and
	// the kernel, and this process is its client (package daemon).
	if !check {
		given := false
		fs.Visit(func(f *flag.Flag) { given = given || f.Name == "state-dir" })
		o := clientOptions{stateDir: stateDir, given: given, host: host, ifname: mgmtIf, sshPorts: kernel.SSHPorts, interactive: interactive, force: force,
			file: file, cmds: cmds, stdin: stdin, stdout: stdout, stderr: stderr}
		if rc, ok := runClient(o); ok {
			return rc
		}
		switch {
		case os.Getuid() != 0 && privileged():
			// Privileged by the way it is installed or run (file capabilities, an
			// ambient capability, setuid), not by being root: it never makes
			// itself the owner, nor writes where its user says.
			fmt.Fprintf(stderr, "aclsh: this aclsh may change the kernel though uid %d is not root (file capabilities or setuid), and no aclsh daemon runs: "+
				"remove that (setcap -r %s) and let the daemon own the state: systemctl enable --now aclsh.socket aclsh-follow\n", os.Getuid(), os.Args[0])
			return 2
		case privileged():
			// The embedded default: the first aclsh of a namespace with no
			// daemon starts one, and is its client like every other (with
			// this process's --ssh-ports: see above).
			resolveIf()
			err := startDaemon(stateDir, mgmtIf, stderr)
			if err == nil {
				dir, _ := filepath.Abs(stateDir)
				o.startedLog = filepath.Join(dir, "run", follower.LogName)
			}
			// Another aclsh may have started one at the same moment: that
			// one serves this client too.
			if rc, ok := runClient(o); ok {
				return rc
			}
			if err == nil {
				err = errors.New("the aclsh daemon started but does not answer on " + daemon.Name)
			}
			fmt.Fprintf(stderr, "aclsh: %v\n", err)
			return 1
		}
	}

	resolveIf()
	var enf shell.Enforcer = kernel
	if check {
		enf = nil
	}
	sh, err := shell.New(shell.Options{
		Host: host, Store: store, Out: stdout, Err: stderr, Enforcer: enf, IfName: mgmtIf, MgmtNames: namesOf(mgmtNames),
		Interactive: interactive, CheckOnly: check, Lint: lint,
		SSHConnection: os.Getenv("SSH_CONNECTION"), Force: force,
	})
	if err != nil {
		fmt.Fprintf(stderr, "aclsh: %v\n", err)
		return 1
	}

	// A dropped connection (SIGHUP) or a kill ends the process between commits, never
	// inside one: the running-config file and the kernel stay in step.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM)
	if interactive {
		// Ctrl-C, Ctrl-Z and Ctrl-\ are keys to the shell, never signals that end or
		// stop it (between lines the terminal may briefly be out of raw mode).
		signal.Ignore(syscall.SIGINT, syscall.SIGTSTP, syscall.SIGQUIT)
	} else {
		signal.Notify(sigs, syscall.SIGINT)
	}
	go func() {
		sig := <-sigs
		store.Wait()
		sh.LeaveUsers() // show users: an interactive shell's record goes with it
		os.Exit(128 + int(sig.(syscall.Signal)))
	}()

	// linted is a script's exit status, after --lint when the script passed.
	linted := func(rc int, name string) int {
		if rc == 0 && lint {
			if n := sh.LintScript(name); n > 0 {
				fmt.Fprintf(stderr, "%% %d lint error(s)\n", n)
				return 1
			}
		}
		return rc
	}
	script := func(r io.Reader, name string) int { return linted(sh.RunScript(r, name), name) }
	switch {
	case interactive:
		hist := ""
		if home, err := os.UserHomeDir(); err == nil {
			hist = filepath.Join(home, ".aclsh_history")
		}
		return sh.RunInteractive(shell.TermOptions{Stdin: stdin, Fd: int(stdin.Fd()), Stdout: stdout, HistoryFile: hist})
	case file != "":
		f, err := os.Open(file)
		if err != nil {
			fmt.Fprintf(stderr, "aclsh: %v\n", err)
			return 2
		}
		defer f.Close()
		// Read whole, as a client sends it to the daemon: a list the script
		// enters makes room at once for the lines that follow it.
		text, err := readScript(f)
		if err != nil {
			fmt.Fprintf(stderr, "aclsh: %s: %v\n", file, err)
			return 1
		}
		return linted(sh.RunScriptText(text, file), file)
	case len(cmds) > 0:
		return script(strings.NewReader(strings.Join(cmds, "\n")+"\n"), "-c")
	default:
		// Errors read -:N: (standard input, as GNU tools name it), FILE:N: for -f
		// and -c:N: for the Nth -c.
		return script(stdin, "-")
	}
}
