package grammar

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/aclsh/aclsh/acl"
)

// Configuration sessions, commit timers and reload (EOS, Junos and IOS habits).

// sessionModes are the configuration modes inside a session.
var sessionModes = []Mode{Config | InSession, IPACL | InSession, IP6ACL | InSession, StdACL | InSession, Interface | InSession}

// MaxSessionTimer is the longest commit timer: 24 hours, as long as a session lives.
const MaxSessionTimer = 24 * 3600

// ValidSessionName checks a configuration session name.
func ValidSessionName(name string) error {
	if !acl.IsName(name) { // it names a file in the state directory
		return fmt.Errorf("session name %q: use 1-63 letters, digits, '_', '.' or '-', starting with a letter", name)
	}
	return nil
}

const (
	sessionHelp = "Name of the session"
)

func init() { lazy = append(lazy, initSessiondefs) }

// initSessiondefs makes this file's definitions, when they are first needed (ready).
func initSessiondefs() {
	var defs []*Def
	add := func(modes []Mode, syntax string, help []string, build func(*match) error) {
		defs = append(defs, newDef(1, modes, syntax, help, build))
	}
	exec := []Mode{Exec}

	add(exec, "configure session [NAME$name]", []string{ConfigureStr, "Enter a configuration session (changes apply at commit)", sessionHelp},
		func(m *match) error {
			m.cmd.Kind, m.cmd.Name = ConfigureSession, m.get("name")
			if m.cmd.Name != "" {
				if err := ValidSessionName(m.cmd.Name); err != nil {
					return m.errAt("name", "%v", err)
				}
			}
			return nil
		})
	defs[len(defs)-1].NoDo = true // do does not open a session
	showSess := func(modes []Mode) {
		s, h := show("show session-config [named NAME$name] [diffs$diffs]", ShowStr, "Configuration of a session",
			"A session by name (default: the current one)", sessionHelp, "Differences from the running configuration")
		add(modes, s, h, func(m *match) error {
			if err := buildShow(ShowSession)(m); err != nil {
				return err
			}
			if m.has("diffs") {
				m.cmd.Num = 1
			}
			return nil
		})
		s, h = show("show configuration sessions", ShowStr, "Configuration information", "Open configuration sessions")
		add(modes, s, h, buildShow(ShowSessions))
	}
	showSess(exec)
	showSess(sessionModes)
	add(exec, "reload (in <1-1440>$min | cancel$cancel)", []string{"Restore the startup-config later (aclsh's state only, not a host reboot)",
		"Restore it after a delay", "Minutes", "Cancel a pending reload"},
		func(m *match) error {
			if m.has("cancel") {
				m.cmd.Kind = ReloadCancel
				return nil
			}
			m.cmd.Kind = ReloadIn
			m.cmd.Num, _ = strconv.Atoi(m.get("min"))
			return nil
		})

	add(sessionModes, "commit [timer HH:MM:SS$hms | confirmed$confirmed [<1-1440>$min]]",
		[]string{"Commit the session's changes (confirms a commit timer)", "Roll back automatically unless confirmed by commit in time",
			"Time to confirm, hours:minutes:seconds", "Roll back automatically unless confirmed by commit in time (Junos)", "Minutes to confirm (default 10)"},
		func(m *match) error {
			m.cmd.Kind = SessionCommit
			switch {
			case m.has("hms"):
				secs, err := parseTimer(m.get("hms"))
				if err != nil {
					return m.errAt("hms", "%v", err)
				}
				m.cmd.Num = secs
			case m.has("confirmed"):
				m.cmd.Num = 10 * 60
				if v := m.get("min"); v != "" {
					n, _ := strconv.Atoi(v)
					m.cmd.Num = n * 60
				}
			}
			return nil
		})
	// EOS: the session's config becomes the clean one (nothing configured), so
	// that the lines after it replace the whole running-config at commit
	// (arista.eos's eos_config with replace: config sends it first).
	add([]Mode{Config | InSession}, "rollback clean-config", []string{"Replace the session's configuration",
		"The clean configuration: nothing configured (the lines that follow build the whole config)"},
		func(m *match) error { m.cmd.Kind = RollbackClean; return nil })
	add(sessionModes, "abort", []string{"Discard the session's changes (rolls back a commit timer at once)"},
		func(m *match) error { m.cmd.Kind = SessionAbort; return nil })

	register(defs)
}

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
