package cli

import (
	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/view"
)

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
