package cli

import (
	"time"

	"github.com/aclsh/aclsh/grammar"
)

// What the shell does itself: write memory, copy, clear counters, test and
// lint, configuration sessions, commit timers and reload, terminal length.

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
	TestACL(cmd grammar.Command) error
	Lint(cmd grammar.Command) error
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

// TestACL is test access-list [NAME] PROTO SRC [PORT] DST [PORT] [new|established].
type TestACL struct{ Cmd grammar.Command }

func (TestACL) command()             {}
func (c TestACL) Run(sh Shell) error { return sh.TestACL(c.Cmd) }

// Lint is show [ip|ipv6] access-lists [NAME] lint [detail].
type Lint struct{ Cmd grammar.Command }

func (Lint) command()             {}
func (c Lint) Run(sh Shell) error { return sh.Lint(c.Cmd) }

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
