package cli

import (
	"github.com/aclsh/aclsh/grammar"
	"github.com/aclsh/aclsh/view"
)

// ShowUsers is show users: the aclsh shells open on this host.
type ShowUsers struct{}

func (ShowUsers) command() {}

func (ShowUsers) View(env Env) (view.View, error) { return env.Users() }

func usersDefs(d *grammar.Defs) {
	d.Show([]grammar.Mode{grammar.Exec}, "show users", []string{grammar.ShowStr, "The aclsh shells open on this host"}, is(ShowUsers{}))
}
