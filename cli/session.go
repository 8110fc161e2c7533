package cli

import "github.com/aclsh/aclsh/view"

// Configuration sessions: their show commands. Entering, committing and
// aborting a session, commit timers and reload are the shell's (Action).

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
