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
