package cli

import (
	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/grammar"
)

// A command is a value that carries its behaviour, of one of four kinds:
//
//   - Change: a configuration change, Apply(*acl.Config) (acl.go, interface.go);
//   - Enter: a mode change, Next(*Txn) (mode.go, acl.go, interface.go);
//   - Show: a view of something, View(Env) (show.go, session.go, users.go);
//   - Action: what the shell carries out, Run(Shell) (exec.go, lint.go, session.go).
//
// Each file defines its commands beside their values: the syntax, a help
// string per token, and the builder of the value (grammar.Defs.Add). The
// shell has one type switch over the four kinds.
type Command interface{ command() }

// The definitions' syntax is compiled into tables (defs_gen.go, beside them)
// by the generator in grammar's tests, whose binary links these definitions; a
// test there fails when the tables are stale.
//go:generate go test -run ^TestDefsGenerated$ ../grammar -update

func init() { grammar.Define(define, defTables[:]) }

// define makes every definition, file by file, when the grammar is first used
// (a one-shot client, which sends its lines to the daemon, makes none). Where
// two definitions accept a line the first wins, and the manual lists them in
// this order.
func define(d *grammar.Defs) {
	modeDefs(d)
	showDefs(d)
	execDefs(d)
	aclDefs(d)
	interfaceDefs(d)
	lintDefs(d)
	sessionDefs(d)
	usersDefs(d)
}

// is builds c, whatever the line holds.
func is(c Command) grammar.Build {
	return func(*grammar.Match) (any, error) { return c, nil }
}

// Change is a configuration change. Applying the same change to the same config
// gives the same result, so a script can be re-applied to a config another shell
// changed meanwhile.
type Change interface {
	Command
	Apply(cfg *acl.Config) error
}

// Enter moves a Txn to another mode. A value that is also a Change (entering a
// list that does not exist creates it) returns the change to make, nil if none.
type Enter interface {
	Command
	Next(t *Txn) (Change, error)
}

// inList is a line of an access list mode: the list is the mode's, which the
// shell knows, not the line.
type inList interface {
	inList(list string) Command
}

// Of returns the value of a parsed command; list is the access list whose mode
// it was typed in ("" outside one). A blank line or a comment is None.
func Of(cmd grammar.Command, list string) Command {
	if cmd.Value == nil {
		return None{}
	}
	c, _ := cmd.Value.(Command)
	if l, ok := c.(inList); ok {
		return l.inList(list)
	}
	return c
}

// None is an empty line (or a comment): it does nothing.
type None struct{}

func (None) command() {}

// Select is the lists a show or clear command names: one by name, else those
// of a family (FamilyGiven), else all.
type Select struct {
	Name        string
	Family      acl.Family
	FamilyGiven bool
}

// selectOf reads the lists a line names: [ip|ipv6] ... [WORD$name].
func selectOf(m *grammar.Match) Select {
	f, given := m.Family()
	return Select{Name: m.Get("name"), Family: f, FamilyGiven: given}
}
