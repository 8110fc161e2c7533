package cli

import (
	"time"

	"github.com/aclsh/aclsh/grammar"
)

// What the shell does itself: write memory, copy, clear counters, terminal
// length, enable, do (test and lint: lint.go; sessions, commit timers and
// reload: session.go).

// Action is a command the shell carries out: Run asks the shell for the
// operation, whose effect depends on where the shell commits (at once, at a
// script's end, in a session, nowhere with --check).
type Action interface {
	Command
	Run(sh Shell) error
}

// Shell is what an action asks of the shell it runs in.
type Shell interface {
	WriteMemory() error
	ClearCounters(sel Select) error
	CopyToRunning(from string) error
	RestoreKernel() error
	TestACL(c TestACL) error
	Lint(c Lint) error
	EnterSession(name string) error
	CommitSession(timer time.Duration) error
	AbortSession() error
	ScheduleReload(minutes int) error
	CancelReload() error
}

// Do is do CMD: an exec command run from a configuration mode.
type Do struct{ Sub grammar.Command }

func (Do) command() {}

// TerminalLength is terminal length N and terminal width N (what automation
// sends on connect): accepted; output is never paged, nor wrapped.
type TerminalLength struct{}

func (TerminalLength) command()        {}
func (TerminalLength) Run(Shell) error { return nil }

// WriteMemory is write [memory] and copy running-config startup-config.
type WriteMemory struct{}

func (WriteMemory) command()           {}
func (WriteMemory) Run(sh Shell) error { return sh.WriteMemory() }

// ClearCounters is clear [ip|ipv6] access-list counters [NAME].
type ClearCounters struct{ Select }

func (ClearCounters) command()             {}
func (c ClearCounters) Run(sh Shell) error { return sh.ClearCounters(c.Select) }

// CopyToRunning is copy startup-config|last-good-config running-config: the
// startup-config merges, the last good config replaces.
type CopyToRunning struct{ From string }

func (CopyToRunning) command()             {}
func (c CopyToRunning) Run(sh Shell) error { return sh.CopyToRunning(c.From) }

// RestoreKernel is copy running-config kernel: the running-config enforced
// again (after nft flush ruleset).
type RestoreKernel struct{}

func (RestoreKernel) command()           {}
func (RestoreKernel) Run(sh Shell) error { return sh.RestoreKernel() }

// Enable is enable [LEVEL]: a user the daemon lets configure is privileged
// already, so it does nothing; a read-only user's is refused, saying why (the
// shell refuses every command of a read-only user but show and test).
type Enable struct{}

func (Enable) command()        {}
func (Enable) Run(Shell) error { return nil }

// Disable is disable [LEVEL]: nothing to turn off (its note says why).
type Disable struct{}

func (Disable) command()        {}
func (Disable) Run(Shell) error { return nil }

// execDefs defines the exec commands the shell carries out itself, and do.
func execDefs(d *grammar.Defs) {
	exec := []grammar.Mode{grammar.Exec}
	d.Add(exec, "terminal length <0-512>", []string{grammar.TerminalStr, "Set number of lines on a screen", "Number of lines on screen (0 for no pausing)"}, is(TerminalLength{}))
	d.Add(exec, "terminal width <0-512>", []string{grammar.TerminalStr, "Set width of the display terminal", "Number of characters on a line (output is never wrapped)"}, is(TerminalLength{}))
	// enable and disable, as automation and habit send them: the role the
	// daemon gives decides what a user may do (a read-only user's enable is
	// refused, saying why).
	d.Add(exec, "enable [<0-15>$level]", []string{"Turn on privileged commands", "Privilege level"}, is(Enable{}))
	d.Add(exec, "disable [<0-15>$level]", []string{"Turn off privileged commands", "Privilege level"},
		func(m *grammar.Match) (any, error) {
			m.SetNote("aclsh has no unprivileged exec mode: what you may do is your role's (the daemon's groups), not a mode's")
			return Disable{}, nil
		})
	d.Add(exec, "clear [ip$fam|ipv6$fam] access-list counters [WORD$name]", []string{"Reset functions", "IPv4", "IPv6", "Access list", "Clear access list counters", grammar.ACLNameStr},
		func(m *grammar.Match) (any, error) { return ClearCounters{Select: selectOf(m)}, nil })
	d.Add(exec, "write [memory]", []string{grammar.WriteStr, "Write to startup-config"}, is(WriteMemory{}))
	d.Add(exec, "copy (running-config$from startup-config | startup-config$from running-config | last-good-config$from running-config)",
		[]string{grammar.CopyStr, grammar.CopyRunningStr, "Copy to startup configuration",
			"Copy from startup configuration", "Merge it into the running configuration",
			"Copy from the configuration aclsh last committed", "Replace the running configuration with it"},
		func(m *grammar.Match) (any, error) {
			if from := m.Get("from"); from != "running-config" {
				return CopyToRunning{From: from}, nil
			}
			return WriteMemory{}, nil
		})
	d.Add(exec, "copy running-config kernel", []string{grammar.CopyStr, grammar.CopyRunningStr,
		"Enforce it in the kernel again (restores table inet aclsh)"}, is(RestoreKernel{}))
	d.Add(grammar.ConfigModes, "do LINE$cmd", []string{"Run an exec command", "Exec command"},
		func(m *grammar.Match) (any, error) { sub, err := m.Do(); return Do{Sub: sub}, err })
}
