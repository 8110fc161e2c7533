package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/grammar"
	"github.com/aclsh/aclsh/view"
)

// Configuration sessions, commit timers and reload (EOS, Junos and IOS
// habits). Entering, committing and aborting a session, commit timers and
// reload are the shell's (Action); the session's show commands are views.

// ConfigureSession is configure session [NAME].
type ConfigureSession struct{ Name string }

func (ConfigureSession) command()             {}
func (c ConfigureSession) Run(sh Shell) error { return sh.EnterSession(c.Name) }

// Commit is commit [timer HH:MM:SS] in a session.
type Commit struct{ Timer time.Duration }

func (Commit) command()             {}
func (c Commit) Run(sh Shell) error { return sh.CommitSession(c.Timer) }

// Abort is abort in a session.
type Abort struct{}

func (Abort) command()           {}
func (Abort) Run(sh Shell) error { return sh.AbortSession() }

// ReloadIn is reload in MINUTES.
type ReloadIn struct{ Minutes int }

func (ReloadIn) command()             {}
func (c ReloadIn) Run(sh Shell) error { return sh.ScheduleReload(c.Minutes) }

// ReloadCancel is reload cancel.
type ReloadCancel struct{}

func (ReloadCancel) command()           {}
func (ReloadCancel) Run(sh Shell) error { return sh.CancelReload() }

// ShowSessionConfig is show session-config [named NAME] [diffs]: a session's
// candidate config, or its differences from the running-config (Name "":
// the shell's own session).
type ShowSessionConfig struct {
	Name  string
	Diffs bool
}

func (ShowSessionConfig) command() {}

func (c ShowSessionConfig) View(env Env) (view.View, error) {
	return env.SessionConfig(c.Name, c.Diffs)
}

// ShowSessions is show configuration sessions.
type ShowSessions struct{}

func (ShowSessions) command() {}

func (ShowSessions) View(env Env) (view.View, error) { return env.Sessions() }

// RollbackClean is rollback clean-config in a configuration session: the
// session's config becomes empty, so the lines after it are the whole config
// at commit (arista.eos's eos_config with replace: config). Defined in session
// modes only; nothing reaches the running-config before the commit.
type RollbackClean struct{}

func (RollbackClean) command() {}

func (RollbackClean) Apply(cfg *acl.Config) error {
	*cfg = *acl.NewConfig()
	return nil
}

const sessionHelp = "Name of the session"

func sessionDefs(d *grammar.Defs) {
	exec := []grammar.Mode{grammar.Exec}
	d.Add(exec, "configure session [NAME$name]", []string{grammar.ConfigureStr, "Enter a configuration session (changes apply at commit)", sessionHelp},
		func(m *grammar.Match) (any, error) {
			name := m.Get("name")
			if name != "" {
				if err := grammar.ValidSessionName(name); err != nil {
					return nil, m.ErrAt("name", "%v", err)
				}
			}
			return ConfigureSession{Name: name}, nil
		}).NoDo = true // do does not open a session
	for _, modes := range [][]grammar.Mode{exec, grammar.SessionModes} {
		d.Show(modes, "show session-config [named NAME$name] [diffs$diffs]", []string{grammar.ShowStr, "Configuration of a session",
			"A session by name (default: the current one)", sessionHelp, "Differences from the running configuration"},
			func(m *grammar.Match) (any, error) {
				return ShowSessionConfig{Name: m.Get("name"), Diffs: m.Has("diffs")}, nil
			})
		d.Show(modes, "show configuration sessions", []string{grammar.ShowStr, "Configuration information", "Open configuration sessions"}, is(ShowSessions{}))
	}
	d.Add(exec, "reload (in <1-1440>$min | cancel$cancel)", []string{"Restore the startup-config later (aclsh's state only, not a host reboot)",
		"Restore it after a delay", "Minutes", "Cancel a pending reload"},
		func(m *grammar.Match) (any, error) {
			if m.Has("cancel") {
				return ReloadCancel{}, nil
			}
			return ReloadIn{Minutes: m.Num("min")}, nil
		})

	d.Add(grammar.SessionModes, "commit [timer HH:MM:SS$hms | confirmed$confirmed [<1-1440>$min]]",
		[]string{"Commit the session's changes (confirms a commit timer)", "Roll back automatically unless confirmed by commit in time",
			"Time to confirm, hours:minutes:seconds", "Roll back automatically unless confirmed by commit in time (Junos)", "Minutes to confirm (default 10)"},
		func(m *grammar.Match) (any, error) {
			var secs int
			switch {
			case m.Has("hms"):
				var err error
				if secs, err = parseTimer(m.Get("hms")); err != nil {
					return nil, m.ErrAt("hms", "%v", err)
				}
			case m.Has("confirmed"):
				secs = 10 * 60
				if m.Has("min") {
					secs = m.Num("min") * 60
				}
			}
			return Commit{Timer: time.Duration(secs) * time.Second}, nil
		})
	// EOS: the session's config becomes the clean one (nothing configured), so
	// that the lines after it replace the whole running-config at commit
	// (arista.eos's eos_config with replace: config sends it first).
	d.Add([]grammar.Mode{grammar.Config | grammar.InSession}, "rollback clean-config", []string{"Replace the session's configuration",
		"The clean configuration: nothing configured (the lines that follow build the whole config)"}, is(RollbackClean{}))
	d.Add(grammar.SessionModes, "abort", []string{"Discard the session's changes (rolls back a commit timer at once)"}, is(Abort{}))
}

// MaxSessionTimer is the longest commit timer: 24 hours, as long as a session lives.
const MaxSessionTimer = 24 * 3600

// parseTimer reads HH:MM:SS as seconds: 00:00:01 to 24:00:00.
func parseTimer(s string) (int, error) {
	parts := strings.Split(s, ":")
	bad := fmt.Errorf("timer %s: use HH:MM:SS, from 00:00:01 to 24:00:00", s)
	if len(parts) != 3 {
		return 0, bad
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || len(p) > 2 {
			return 0, bad
		}
		n[i] = v
	}
	if n[1] > 59 || n[2] > 59 {
		return 0, bad
	}
	secs := n[0]*3600 + n[1]*60 + n[2]
	if secs < 1 || secs > MaxSessionTimer {
		return 0, bad
	}
	return secs, nil
}
