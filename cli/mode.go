package cli

import "github.com/aclsh/aclsh/grammar"

// The modes: configure, end, exit.

// Configure is configure [terminal].
type Configure struct{}

func (Configure) command() {}

func (Configure) Next(t *Txn) (Change, error) {
	t.Mode = grammar.Config
	return nil, nil
}

// End is end: back to exec.
type End struct{}

func (End) command() {}

func (End) Next(t *Txn) (Change, error) {
	t.Mode, t.ACL = grammar.Exec, ""
	return nil, nil
}

// Exit is exit: up one mode (exit in exec mode ends the shell: the shell's).
type Exit struct{}

func (Exit) command() {}

func (Exit) Next(t *Txn) (Change, error) {
	if p, ok := t.Mode.Parent(); ok {
		t.Mode, t.ACL = p, ""
	} else if t.Mode == grammar.Config {
		t.Mode = grammar.Exec
	}
	return nil, nil
}

// modeDefs defines configure, end and exit (and exit's exec synonyms).
func modeDefs(d *grammar.Defs) {
	exec := []grammar.Mode{grammar.Exec}
	d.Add(exec, "configure [terminal]", []string{grammar.ConfigureStr, "Configure from the terminal"}, is(Configure{})).NoDo = true
	for _, w := range []string{"exit", "logout", "quit"} {
		d.Add(exec, w, []string{grammar.ExitExecStr}, is(Exit{})).NoDo = true
	}
	d.Add(grammar.ConfigModes, "end", []string{"Exit to EXEC mode"}, is(End{}))
	d.Add(grammar.ConfigModes, "exit", []string{"Exit from the current mode"}, is(Exit{}))
}
