package cli

import "github.com/aclsh/aclsh/grammar"

// What the shell does itself: write memory, copy, clear counters, test and
// lint, sessions, commit timers and reload, terminal length.

// Action is a command the shell carries out itself, by its kind (shell.action):
// the next step moves each into a value of its own with Run(Env).
type Action struct{ Cmd grammar.Command }

func (Action) command() {}

// Do is do CMD: an exec command run from a configuration mode.
type Do struct{ Sub grammar.Command }

func (Do) command() {}
