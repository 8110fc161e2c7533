package cli

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/enforcer"
	"github.com/aclsh/aclsh/grammar"
	"github.com/aclsh/aclsh/internal/clock"
	"github.com/aclsh/aclsh/internal/follower"
	"github.com/aclsh/aclsh/view"
)

// Show commands compute a value once (a view.View); the value renders as text
// for people and, with `| json`, is encoded as JSON for automation (package
// view). The text is written from the value's fields, so the two cannot drift.
// JSON field names are snake_case and stable (the README lists them per
// command). A new show command is a value with a View method and its
// definition in showDefs.

// Show is a command that shows something: its value, rendered by the shell as
// text through the output modifiers or as JSON.
type Show interface {
	Command
	View(env Env) (view.View, error)
}

// Env is what a show command reads from the shell it runs in.
type Env interface {
	// Config returns the config the shell works on (the running-config, a
	// script's or a session's candidate), reading it if it was not yet; an
	// error when it cannot be used. The caller must not change it.
	Config() (*acl.Config, error)
	// Stats reads the kernel's counters and sessions for cfg; nil without a
	// kernel or when nothing is bound.
	Stats(cfg *acl.Config) *enforcer.Stats
	// StartupText is the startup-config's text (os.ErrNotExist: none); in a
	// script after write memory, what the script saves when it commits.
	StartupText() (string, error)
	Host() string
	IfName() string   // the Linux interface of management 0
	StateDir() string // the state directory
	// InDaemon: the shell runs in the namespace's daemon (counts are exact,
	// the table is put back); ForClient: for a client of it.
	InDaemon() bool
	ForClient() bool
	// History is the lines this shell ran; first is the number of the first.
	History() (lines []string, first int)
	Users() (view.View, error)
	Sessions() (view.View, error)
	SessionConfig(name string, diffs bool) (view.View, error)
}

// ErrNoStartup: there is no startup-config (nothing was saved with write memory).
var ErrNoStartup = errors.New("startup-config is not present; save it with write memory")

// ShowRunning is show running-config and write terminal.
type ShowRunning struct{}

func (ShowRunning) command() {}

// ShowRunningACL is show running-config access-list [NAME]: the access list
// sections only (and the logging interval, an access list setting, when no
// list is named).
type ShowRunningACL struct{ Name string }

func (ShowRunningACL) command() {}

// ShowStartup is show startup-config.
type ShowStartup struct{}

func (ShowStartup) command() {}

// ShowACLs is show [ip|ipv6] access-lists [NAME].
type ShowACLs struct{ Select }

func (ShowACLs) command() {}

// ShowSummary is show [ip|ipv6] access-lists summary.
type ShowSummary struct{ Select }

func (ShowSummary) command() {}

// ShowInterface is show interface management N.
type ShowInterface struct{ Num int }

func (ShowInterface) command() {}

// ShowClock is show clock.
type ShowClock struct{}

func (ShowClock) command() {}

// ShowVersion is show version.
type ShowVersion struct{}

func (ShowVersion) command() {}

// ShowHostname is show hostname: the name this shell shows in its prompt and
// its fully qualified form (the name itself when it has a dot, else with the
// kernel's domain name when one is set).
type ShowHostname struct{}

func (ShowHostname) command() {}

func (ShowHostname) View(env Env) (view.View, error) {
	v := &view.Hostname{Hostname: env.Host(), FQDN: env.Host()}
	var u unix.Utsname
	if err := unix.Uname(&u); err == nil && !strings.Contains(env.Host(), ".") {
		if d := unix.ByteSliceToString(u.Domainname[:]); d != "" && d != "(none)" {
			v.FQDN = env.Host() + "." + d
		}
	}
	return v, nil
}

// ShowHistory is show history.
type ShowHistory struct{}

func (ShowHistory) command() {}

// unsaved says when cfg (text renders it) differs from the startup-config, as a
// switch does: a config never saved differs too, unless it is empty. "" when
// they hold the same. cfg is rendered only if there is a startup-config to
// compare it with (a million-line list: some tenths of a second).
func unsaved(env Env, cfg *acl.Config, text func() string) string {
	const hint = " (write memory to save)"
	saved, err := env.StartupText()
	switch {
	case errors.Is(err, os.ErrNotExist):
		if cfg.Equal(acl.NewConfig()) {
			return ""
		}
		return "% running-config differs from startup-config, which is not present" + hint
	case err != nil:
		return "% startup-config cannot be read: " + err.Error()
	case saved == text():
		return "" // written by write memory: the canonical text
	}
	st, err := LoadConfig(saved)
	if err != nil {
		return "% running-config differs from startup-config, which does not load" + hint
	}
	if st.Equal(cfg) {
		return ""
	}
	return "% running-config differs from startup-config" + hint
}

func (ShowRunning) View(env Env) (view.View, error) {
	cfg, err := env.Config()
	if err != nil {
		return nil, err
	}
	// A comment: pasted back with the config, the line changes nothing.
	note := unsaved(env, cfg, cfg.Render)
	if note != "" {
		note = "!" + note[1:]
	}
	return &view.Config{Cfg: cfg, Text: cfg.Text(), Note: note}, nil
}

func (c ShowRunningACL) View(env Env) (view.View, error) {
	run, err := env.Config()
	if err != nil {
		return nil, err
	}
	cfg := acl.NewConfig()
	if c.Name != "" {
		a, ok := run.ACLs[c.Name]
		if !ok {
			return nil, fmt.Errorf("access list %s does not exist", c.Name)
		}
		cfg.ACLs[a.Name] = a
	} else {
		cfg.LogInterval = run.LogInterval
		for n, a := range run.ACLs {
			cfg.ACLs[n] = a
		}
	}
	return &view.Config{Cfg: cfg, Text: cfg.TextIn(run.Dialect)}, nil
}

func (ShowStartup) View(env Env) (view.View, error) {
	text, err := env.StartupText()
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, ErrNoStartup) {
		// Not an error, as on IOS: automation (save_when: modified) compares it
		// with the running-config, and fails on any `% Error`.
		return &view.Startup{Config: view.Config{Cfg: acl.NewConfig()}, Missing: true}, nil
	}
	if err != nil {
		return nil, err
	}
	cfg, err := LoadConfig(text)
	switch {
	case err != nil:
		// The text shows what is there; as data it has no meaning.
		cfg = nil
	case cfg.Dialect != acl.SLX:
		// As its dialect writes it (the file keeps the canonical form), so
		// that it reads as show running-config does when the two hold the
		// same (save_when: modified compares them).
		text = cfg.Text()
	}
	return &view.Startup{Config: view.Config{Cfg: cfg, Text: text}, Err: err}, nil
}

func (ShowClock) View(env Env) (view.View, error) {
	t := clock.Now().In(clock.Zone)
	zone, _ := t.Zone()
	return &view.Clock{
		Time: t.Format("2006-01-02T15:04:05.000Z07:00"), Zone: zone, UnixMs: t.UnixMilli(),
		// IOS: `*12:03:44.123 UTC Sat Nov 21 2026`; the `*` says the clock is not
		// known to be synchronised (aclsh does not ask the host).
		ShowText: "*" + t.Format("15:04:05.000 MST Mon Jan 2 2006"),
	}, nil
}

// processStart is about when this process started: when its packages were
// initialised.
var processStart = time.Now()

func (ShowVersion) View(env Env) (view.View, error) {
	v := &view.Version{Version: buildVersion(), ModelName: "aclsh", GoVersion: runtime.Version(), Host: env.Host(),
		Process: "shell", PID: os.Getpid(), ProcessUptime: clock.Now().Sub(processStart).Truncate(time.Second).Seconds()}
	if env.ForClient() {
		v.Process = "daemon" // a daemon runs shells for its clients
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return nil, fmt.Errorf("uname: %w", err)
	}
	v.Kernel, v.KernelRelease, v.Architecture = unix.ByteSliceToString(u.Sysname[:]), unix.ByteSliceToString(u.Release[:]), unix.ByteSliceToString(u.Machine[:])
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return nil, fmt.Errorf("sysinfo: %w", err)
	}
	v.HostUptime = float64(si.Uptime)
	dir, err := filepath.Abs(env.StateDir())
	if err != nil {
		return nil, err
	}
	v.StateDir = dir
	return v, nil
}

// buildVersion is the version aclsh --version prints: the one the build
// stamped (go build -ldflags "-X main.version=V"), else the module's, else the
// commit it was built from.
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, dirty := "", ""
	for _, st := range info.Settings {
		switch st.Key {
		case "-ldflags":
			for _, f := range strings.Fields(st.Value) {
				if v, ok := strings.CutPrefix(strings.Trim(f, `'"`), "main.version="); ok {
					return v
				}
			}
		case "vcs.revision":
			rev = st.Value
		case "vcs.modified":
			if st.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	if rev == "" {
		return "devel"
	}
	return "devel-" + rev[:min(12, len(rev))] + dirty
}

func (ShowHistory) View(env Env) (view.View, error) {
	v := &view.History{History: []view.HistoryEntry{}}
	lines, first := env.History()
	for i, l := range lines {
		v.History = append(v.History, view.HistoryEntry{Index: first + i, Command: l})
	}
	return v, nil
}

// ShowInterfaceBrief is show ip interface brief: management 0 in one line.
type ShowInterfaceBrief struct{}

func (ShowInterfaceBrief) command() {}

func (ShowInterfaceBrief) View(env Env) (view.View, error) {
	v, err := ShowInterface{}.View(env)
	if err != nil {
		return nil, err
	}
	return &view.InterfaceBrief{Interfaces: []view.Interface{*v.(*view.Interface)}}, nil
}

func (c ShowInterface) View(env Env) (view.View, error) {
	cfg, err := env.Config()
	if err != nil {
		return nil, err
	}
	if c.Num != 0 {
		return nil, fmt.Errorf("interface management %d does not exist; this host has management 0", c.Num)
	}
	v := &view.Interface{Interface: "management 0", LinuxInterface: env.IfName(), Addresses: []string{},
		IPv4AccessGroup: cfg.Bound.Get(acl.Inbound(acl.IPv4)), IPv6AccessGroup: cfg.Bound.Get(acl.Inbound(acl.IPv6))}
	if ifc, err := net.InterfaceByName(env.IfName()); err == nil {
		v.Found, v.State = true, "down"
		if ifc.Flags&net.FlagUp != 0 {
			v.State = "up"
		}
		v.HardwareAddress, v.MTU = ifc.HardwareAddr.String(), ifc.MTU
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			v.Addresses = append(v.Addresses, a.String())
		}
	}
	if st := env.Stats(cfg); st != nil {
		v.Kernel, v.KernelText = view.StateName(st.State), view.StateText(st.State)
	}
	return v, nil
}

func (c ShowACLs) View(env Env) (view.View, error) {
	cfg, err := env.Config()
	if err != nil {
		return nil, err
	}
	v, err := aclsOf(cfg, c.Select, env.Stats(cfg))
	if err != nil {
		return nil, err
	}
	v.NoteText = unsaved(env, cfg, cfg.Render)
	v.Note = strings.TrimPrefix(v.NoteText, "% ")
	if m, ok := follower.ReadMends(env.StateDir()); ok && env.InDaemon() {
		v.TableMended = &view.Mended{Count: m.Count, Last: m.Last, Cause: m.Cause, LastShown: clock.Show(m.Last)}
	}
	if env.InDaemon() {
		// The daemon keeps the counts of every bound connlimit line exact.
		for i := range v.AccessLists {
			a := &v.AccessLists[i]
			if len(a.BoundTo) > 0 && hasConnLimit(cfg.ACLs[a.Name]) {
				a.Counts = "exact"
			}
		}
	}
	return v, nil
}

func hasConnLimit(a *acl.ACL) bool {
	for _, r := range a.Entries() {
		if r.ConnLimit > 0 {
			return true
		}
	}
	return false
}

// aclsOf is the view of the lists a show command selects.
func aclsOf(cfg *acl.Config, sel Select, st *enforcer.Stats) (*view.ACLs, error) {
	lists, err := NamedLists(cfg, sel, "show %s access-lists %s")
	if err != nil {
		return nil, err
	}
	return view.ACLsOf(cfg, lists, st), nil
}

// NamedLists returns the lists a show command selects, in name order: the one it
// names, else every list of the family it gives, else all. A name that does not
// exist is an error; so is a list of the other family than the command gives,
// naming the command that works (use: the command, %s for ip or ipv6 and %s for
// the name).
func NamedLists(cfg *acl.Config, cmd Select, use string) ([]*acl.ACL, error) {
	if cmd.Name != "" {
		a, ok := cfg.ACLs[cmd.Name]
		switch {
		case !ok && cmd.FamilyGiven:
			return nil, fmt.Errorf("%s access list %s does not exist", cmd.Family.Name(), cmd.Name)
		case !ok:
			return nil, fmt.Errorf("access list %s does not exist", cmd.Name)
		case cmd.FamilyGiven && a.Family != cmd.Family:
			return nil, fmt.Errorf("%s is an %s access list, not %s; use `"+use+"`",
				cmd.Name, a.Family.Name(), cmd.Family.Name(), a.Family, cmd.Name)
		}
		return []*acl.ACL{a}, nil
	}
	var out []*acl.ACL
	for _, n := range cfg.Names() {
		if a := cfg.ACLs[n]; !cmd.FamilyGiven || a.Family == cmd.Family {
			out = append(out, a)
		}
	}
	return out, nil
}

func (c ShowSummary) View(env Env) (view.View, error) {
	cfg, err := env.Config()
	if err != nil {
		return nil, err
	}
	lists, err := NamedLists(cfg, c.Select, "show %s access-lists %s")
	if err != nil {
		return nil, err
	}
	st := env.Stats(cfg)
	v := &view.Summary{AccessLists: []view.SummaryRow{}}
	for _, a := range lists {
		v.AccessLists = append(v.AccessLists, view.SummaryRowOf(cfg, a, st))
	}
	return v, nil
}

// showDefs defines the show commands of this file. Every show command takes
// the output modifiers (grammar.ShowSyntax), `| json` included.
func showDefs(d *grammar.Defs) {
	exec := []grammar.Mode{grammar.Exec}
	d.Show(exec, "show running-config", []string{grammar.ShowStr, grammar.RunningStr}, is(ShowRunning{}))
	d.Show(exec, "show startup-config", []string{grammar.ShowStr, "Contents of startup configuration"}, is(ShowStartup{}))
	d.Show(exec, "show [ip$fam|ipv6$fam] access-lists [WORD$name]", []string{grammar.ShowStr, grammar.IPInfoStr, grammar.IPv6InfoStr, grammar.ACLsStr, grammar.ACLNameStr},
		func(m *grammar.Match) (any, error) { return ShowACLs{Select: selectOf(m)}, nil })
	d.Show(exec, "show (interface|interfaces) management <0-255>$num", []string{grammar.ShowStr, "Interface status and configuration", "Interface status and configuration",
		grammar.MgmtStr, grammar.MgmtNumStr},
		func(m *grammar.Match) (any, error) { return ShowInterface{Num: m.Num("num")}, nil })
	d.Show(exec, "show ip interface brief", []string{grammar.ShowStr, grammar.IPInfoStr, "IP interface status and configuration",
		"The management interface's addresses, state and bound lists, one line each"}, is(ShowInterfaceBrief{}))
	d.Show(exec, "write terminal", []string{grammar.WriteStr, "Write to terminal (show running-config)"}, is(ShowRunning{}))
	d.Show(exec, "show [ip$fam|ipv6$fam] access-lists summary", []string{grammar.ShowStr, grammar.IPInfoStr, grammar.IPv6InfoStr, grammar.ACLsStr,
		"One line per list: family, lines, where bound, matches"},
		func(m *grammar.Match) (any, error) { return ShowSummary{Select: selectOf(m)}, nil })
	d.Show(exec, "show running-config access-list [WORD$name]", []string{grammar.ShowStr, grammar.RunningStr, "Only the access list sections", grammar.ACLNameStr},
		func(m *grammar.Match) (any, error) { return ShowRunningACL{Name: m.Get("name")}, nil })
	d.Show(exec, "show history", []string{grammar.ShowStr, "The lines typed in this shell"}, is(ShowHistory{}))
	d.Show(exec, "show clock", []string{grammar.ShowStr, "Time of day"}, is(ShowClock{}))
	d.Show(exec, "show version", []string{grammar.ShowStr, "aclsh's version, the kernel, uptimes and the state directory"}, is(ShowVersion{}))
	d.Show(exec, "show hostname", []string{grammar.ShowStr, "The host's name and fully qualified domain name"}, is(ShowHostname{}))
}
