// Package shell is aclsh's modal command shell: it reads lines from a terminal
// (term) or a script, parses them with grammar into command values (cli), and
// runs each by its kind in one type switch (execute): a change is applied to the
// candidate config and committed through the state directory (config) and the
// Enforcer, a show's view is rendered (view), an action asks the shell.
package shell

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"sync"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/cli"
	"github.com/aclsh/aclsh/config"
	"github.com/aclsh/aclsh/enforcer"
	"github.com/aclsh/aclsh/grammar"
	"github.com/aclsh/aclsh/internal/clock"
	"github.com/aclsh/aclsh/term"
	"github.com/aclsh/aclsh/view"
)

// Enforcer makes the kernel match a config (enforcer.Enforcer). Apply must be
// atomic: on error the kernel keeps what it had, and the running-config is not
// changed.
type Enforcer interface {
	Apply(cfg *acl.Config) error
	ClearCounters(cfg *acl.Config, name string) error
	Stats(cfg *acl.Config) (*enforcer.Stats, error)
}

// Options configure a Shell.
type Options struct {
	Host     string
	Store    *config.Store
	Enforcer Enforcer // nil: configs are saved but not enforced
	IfName   string   // the Linux interface of management 0, for show
	// MgmtNames are more names of interface management 0 (`interface
	// GigabitEthernet0/0` on a host whose management port an IOS config calls
	// so: --mgmt-names), besides IfName and the ones every vendor's management
	// port has (cli.MgmtName: mgmt0, Management1, Ma1, MgmtEth0/RP0/CPU0/0,
	// mgmt1/1/1).
	MgmtNames []string
	Out       io.Writer
	Err       io.Writer
	// Interactive: prompts, "Entering configuration mode terminal", and each change
	// committed as it is entered. Otherwise lines are a script, committed once.
	Interactive bool
	// CheckOnly validates and applies nothing (--check).
	CheckOnly bool
	// SSHConnection is sshd's SSH_CONNECTION for the operator's own connection
	// ("" when not over SSH): the lockout guard protects it (guard.go).
	SSHConnection string
	// Force commits a script's changes although the lockout guard warns (--force).
	Force bool

	// Lint: a script notes where each list and rule came from, for LintScript
	// (--check --lint).
	Lint bool

	// Who runs the shell (nil: this process's user): a daemon runs shells for
	// its clients.
	Who *Identity
	// ReadOnly, when set, says why this shell may only show and test (a
	// client of the read-only role): every other command is refused with it.
	ReadOnly string

	// InDaemon says the shell runs inside the namespace's daemon, which keeps
	// connection counts exact and puts the table back: show access-lists
	// says so (counts, table_mended). False: a shell alone (tests, --check).
	InDaemon bool
}

// Shell is one CLI session. It is not safe for concurrent use, except
// LeaveUsers.
type Shell struct {
	opt    Options
	tgt    target       // where changes go, chosen once (target.go)
	t      cli.Txn      // mode, current access list, candidate config
	ops    []cli.Change // a script's changes, committed at its end
	clears []string     // lists whose counters a script clears when it commits
	kern   bool         // a script has copy running-config kernel: done when it commits
	bind   bool         // a script binds a list: warnNoInterface when it commits
	quit   bool         // exit from exec
	// toldRollback is the last rollback notice this operator was told of;
	// seen the running-config its last command left (tellChanges).
	toldRollback string
	seen         *acl.Config
	errs         int         // lines that failed
	base         *acl.Config // the config a script started from (shared: never changed)
	owned        bool        // a script's t.cfg is its own copy, not base
	// from: a script replaces the running-config with this saved config
	// (config.FromStartup, config.FromLastGood) when it commits, its changes on top.
	from string
	// save: a script's write memory, saved when it commits (nil: none).
	save *pendingSave
	// effects: what took effect at its line in a script (a session's commit or
	// abort, a reload), which stands whatever the script's later lines do.
	effects []string
	// opened is the configuration session this shell last opened and has not
	// committed or aborted ("" none): a script says it leaves it pending.
	opened string
	// broken says why the running-config cannot be used (*config.StateError); nil when
	// it can. Only the ways back and commands that need no config work meanwhile.
	broken error
	// The lockout guard (guard.go): the operator's connection on the management
	// interface (found once), and how to ask the operator (nil: no terminal).
	op     *Operator
	opDone bool
	ask    func(prompt string) (string, error)
	// hist is the lines this shell ran, for show history (the last
	// maxShellHistory to 2*maxShellHistory, of which history gives the last
	// maxShellHistory; histBase lines before them were dropped).
	hist     []string
	histBase int
	// ahead is the text of the script after the line running, when its
	// whole text is at hand (RunScriptText).
	ahead string
	// self is this shell in the users registry (users.go), nil if it did not
	// join; selfFile its record's name there, "" if none was written.
	self     *view.User
	selfFile string

	// Lint (lint.go): the script line being run, where a script wrote each list
	// and rule (Options.Lint), and the management addresses (nil: the interface's).
	lineNo int
	// noteName and noteLine start a script's notes: `NAME:N: ` (see note);
	// noteName "": not a script.
	noteName string
	noteLine int
	// ghost is the refused block a script is in (ghost.go), nil if none.
	ghost     *ghost
	lineText  string
	lists     map[string]origin
	rules     map[ruleOrigin]origin
	mgmtAddrs func() []netip.Addr
	// leave removes the record (LeaveUsers, from a signal handler too).
	leaveMu sync.Mutex
	leave   func()
}

// New returns a shell in exec mode. An interactive shell reads the running-config
// at once (and says at the first prompt if it cannot be used); a script reads it
// when its first command needs it, so a script that needs no config (`-c exit`)
// never parses it.
func New(opt Options) (*Shell, error) {
	s := &Shell{opt: opt, t: cli.Txn{Mode: grammar.Exec, MgmtNames: opt.MgmtNames}}
	s.tgt = newTarget(s)
	if opt.IfName != "" {
		// interface eth0: management 0 as this host names it
		s.t.MgmtNames = append(slices.Clip(opt.MgmtNames), opt.IfName)
	}
	if opt.Interactive {
		// show users lists this shell (JoinUsers makes the others see it).
		id := s.identity()
		s.self = &view.User{User: id.User, PID: id.PID, From: id.From, Since: clock.Now()}
		if err := s.refresh(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// refresh makes an interactive shell's config the running-config as it is now
// (another shell may have committed since the last line). It is the store's
// shared config, not a copy, so a line costs the same at any config size while
// the file is unchanged; changes go through Store.Update, never into it.
func (s *Shell) refresh() error {
	cfg, err := s.opt.Store.Current()
	var se *config.StateError
	switch {
	case err == nil:
		// With CheckOnly, a change is applied to a copy (see own).
		s.t.Cfg, s.owned, s.broken = cfg, false, nil
	case errors.As(err, &se):
		s.broken = err
		if s.t.Cfg == nil {
			s.t.Cfg = acl.NewConfig()
		}
	default:
		return err
	}
	return nil
}

// load reads the running-config for a script the first time a command needs it:
// the config as the script starts (base), which is also the script's config until
// its first change (see own).
func (s *Shell) load() error {
	if s.t.Cfg != nil {
		return nil
	}
	cfg, err := s.opt.Store.Current()
	var se *config.StateError
	if errors.As(err, &se) {
		s.broken, cfg = err, acl.NewConfig()
	} else if err != nil {
		return err
	}
	s.base, s.t.Cfg, s.owned = cfg, cfg, false
	return nil
}

// own gives a script a copy of its config to change, the first time it changes
// it: a script that only shows never copies the config.
func (s *Shell) own() {
	if !s.owned {
		s.t.Cfg, s.owned = s.t.Cfg.Clone(), true
	}
}

// Broken returns why the running-config cannot be used, nil if it can.
func (s *Shell) Broken() error { return s.broken }

// Mode returns the current mode.
func (s *Shell) Mode() grammar.Mode { return s.t.Mode }

// Prompt returns the prompt of the current mode.
func (s *Shell) Prompt() string {
	if p := s.sessionPrompt(); p != "" {
		return p
	}
	return s.t.Mode.Prompt(s.opt.Host)
}

// Done reports whether the session ended (exit in exec mode).
func (s *Shell) Done() bool { return s.quit }

// Failed returns how many lines failed.
func (s *Shell) Failed() int { return s.errs }

// Names returns the access list names, for completion.
func (s *Shell) Names() []string {
	if s.t.Cfg == nil {
		return nil
	}
	return s.t.Cfg.Names()
}

// Run executes one line. Errors are returned for the caller to print with the line's
// position (see PrintError); output goes to Options.Out.
func (s *Shell) Run(line string) error {
	if sess := s.session(); sess != nil && s.t.Mode == grammar.Exec {
		sess.suspend() // left by Ctrl-Z or Ctrl-D: the session stays open, to be resumed
	}
	s.remember(line)
	if s.opt.Interactive {
		// Another shell may have committed since the last line: say so, as a
		// switch prints to every console when the configuration changes.
		if err := s.refresh(); err != nil {
			return err
		}
		s.tellChanges()
		defer s.sawRunning()
	}
	if s.ghost != nil {
		if done, err := s.inGhost(line); done {
			return err
		}
	}
	cmd, err := grammar.Parse(s.gmode(), line)
	if err != nil {
		s.ghost = s.ghostOf(line, err)
		return err
	}
	c := cli.Of(cmd, s.t.ACL)
	if s.opt.ReadOnly != "" && !viewOnly(c) {
		return fmt.Errorf("%s", s.opt.ReadOnly)
	}
	if err := s.execute(cmd, c); err != nil {
		if _, ok := c.(cli.Enter); ok {
			s.ghost = s.ghostOf(line, err)
		}
		return err
	}
	if cmd.Note != "" {
		s.note(cmd.Note)
	} else if d, ok := c.(cli.Do); ok && d.Sub.Note != "" {
		s.note(d.Sub.Note)
	}
	if _, ok := c.(cli.Bind); ok {
		s.tgt.bound()
	}
	return nil
}

// note says what the shell made of a line it accepted as it is not written
// (grammar.Command.Note): one line, `% Note: ...`, which the error patterns of
// automation clients (`% Error`, `% Invalid input`, `not found`, ...) do not
// match. A script's notes name the line.
func (s *Shell) note(msg string) {
	prefix := ""
	if s.noteName != "" {
		prefix = fmt.Sprintf("%s:%d: ", s.noteName, s.noteLine)
	}
	fmt.Fprintf(s.opt.Err, "%s%% Note: %s\n", prefix, msg)
}

// tellChanges tells an interactive operator, before the next command runs,
// that the running-config changed under it since its last command (another
// operator committed, a commit timer rolled back), and what a rollback did.
func (s *Shell) tellChanges() {
	if n := s.opt.Store.RollbackNotice(); n != "" && n != s.toldRollback {
		if s.seen != nil { // the first notice was among those at start
			fmt.Fprintln(s.opt.Err, n)
		}
		s.toldRollback = n
		return
	}
	if s.seen != nil && s.t.Cfg != s.seen && s.broken == nil && !s.t.Cfg.Equal(s.seen) {
		fmt.Fprintln(s.opt.Err, "% The running-config changed since your last command: another session committed (show running-config)")
	}
}

// sawRunning remembers the running-config as this operator's command left it:
// a different one at the next command was another session's.
func (s *Shell) sawRunning() {
	if cfg, err := s.opt.Store.Current(); err == nil {
		s.seen = cfg
	}
}

// viewOnly reports a command that only shows or tests: what the read-only role
// may run.
func viewOnly(c cli.Command) bool {
	switch c := c.(type) {
	case cli.Do:
		return viewOnly(cli.Of(c.Sub, ""))
	case cli.Show, cli.Exit, cli.End, cli.TerminalLength, cli.TestACL, cli.Lint, cli.Disable:
		return true
	}
	return false
}

// warnNoInterface warns when management 0's Linux interface does not exist (in
// the enforcer's namespace). It is not an error: nftables matches the interface
// by name, so the lists apply as soon as an interface of that name appears (a
// VLAN created later in the boot); until then they filter nothing, and a typo in
// --mgmt-if would go unnoticed.
func (s *Shell) warnNoInterface() {
	ic, ok := s.opt.Enforcer.(interface{ HasInterface() (bool, error) })
	if !ok {
		return
	}
	if has, err := ic.HasInterface(); err == nil && !has {
		fmt.Fprintf(s.opt.Err, "%% Warning: interface management 0 is Linux interface %s, which does not exist: "+
			"the access lists bound to it filter nothing until it appears (name it with --mgmt-if or ACLSH_MGMT_IF)\n", s.opt.IfName)
	}
}

// execute runs a parsed line, c its value: the one type switch over the kinds
// of command (cli.Command).
func (s *Shell) execute(cmd grammar.Command, c cli.Command) error {
	switch c := c.(type) {
	case nil:
		return cli.ErrNoBehaviour
	case cli.None:
		return nil
	case cli.Do:
		return s.execute(c.Sub, cli.Of(c.Sub, s.t.ACL))
	case cli.Show:
		return s.show(c, cmd.Pipe)
	case cli.Action:
		return c.Run(env{s})
	case cli.Exit:
		if s.t.Mode == grammar.Exec {
			s.quit = true
			return nil
		}
	case cli.Change:
		if err := s.needConfig(); err != nil {
			return err
		}
	case cli.Configure:
		if s.t.Mode == grammar.Exec && s.opt.Interactive {
			fmt.Fprintln(s.opt.Out, "Entering configuration mode terminal")
		}
	}
	// A change or a mode change (cli.Change, cli.Enter): the target's.
	return s.tgt.line(cmd, c)
}

// needConfig reads the running-config for a command that reads or changes it
// (a script reads it when its first such command runs), and says why it cannot
// be used, if it cannot.
func (s *Shell) needConfig() error {
	if err := s.load(); err != nil {
		return err
	}
	if s.broken != nil && s.from == "" {
		return s.broken
	}
	return nil
}

// What the shell carries out (cli.Action): those that read the running-config
// read it first.

func (e env) WriteMemory() error {
	s := e.s
	if err := s.needConfig(); err != nil {
		return err
	}
	return s.tgt.writeMemory()
}

func (e env) ClearCounters(sel cli.Select) error {
	if err := e.s.needConfig(); err != nil {
		return err
	}
	return e.s.clearCounters(sel)
}

func (e env) RestoreKernel() error {
	if err := e.s.needConfig(); err != nil {
		return err
	}
	return e.s.restoreKernel()
}

func (e env) CopyToRunning(from string) error { return e.s.copyToRunning(from) }

// enforcer returns the function that makes the kernel match a config, nil if
// configs are not enforced.
func (s *Shell) enforcer() func(*acl.Config) error {
	if s.opt.Enforcer == nil {
		return nil
	}
	return func(cfg *acl.Config) error {
		if err := s.opt.Enforcer.Apply(cfg); err != nil {
			return s.tgt.refusal(err)
		}
		return nil
	}
}

// refused is the kernel's refusal of a config; unwrapped, it is the kernel's
// reason alone. Its text is one sentence: the reason, what to do about a missing
// privilege (which depends on where it is printed) and, in a shell, that nothing
// was changed (a script says "nothing was applied" once, for the whole script).
type refused struct {
	err         error
	interactive bool
}

func (r *refused) Error() string {
	msg := r.err.Error()
	if errors.Is(r.err, enforcer.ErrPermission) {
		if r.interactive {
			msg += ": the aclsh daemon does that, and none runs here (sudo systemctl start aclsh.socket aclsh-follow)"
		} else {
			msg += ": the aclsh daemon does that, and none runs here (sudo systemctl start aclsh.socket aclsh-follow); or validate the script with --check"
		}
	}
	if r.interactive {
		msg += "; nothing was changed"
	}
	return msg
}

func (r *refused) Unwrap() error { return r.err }

// copyToRunning copies a saved config into the running-config. The startup-config
// is merged (acl.Config.Merge, as IOS does), unless the running-config cannot be
// used: there is nothing to merge into, so it is replaced. The last good config
// always replaces it. A replacement is the way back when the running-config is
// damaged; in a script it happens when the script commits, its later lines on top.
func (s *Shell) copyToRunning(from string) error {
	if from == config.FromStartup {
		// (An interactive shell has its config from the start: load reads a
		// script's the first time.)
		if err := s.load(); err != nil {
			return err
		}
		// A script that replaced the running-config merges into its replacement.
		if s.broken == nil || s.from != "" {
			return s.tgt.mergeStartup()
		}
	}
	return s.tgt.replace(from)
}

// pendingSave is a script's write memory: what the startup-config becomes when
// the script commits. A switch saves the running-config as it is at `write
// memory`, so the script's config at that line is saved, not the one at its end.
type pendingSave struct {
	cfg  *acl.Config  // the script's config at the write (not to be changed)
	from string       // Shell.from at the write
	base *acl.Config  // Shell.base at the write (from == "": the running-config it started from)
	ops  []cli.Change // the script's changes up to the write, on from's config
}

// writeLater records a script's write memory (the last one counts): `show
// startup-config` shows its config from then on, and Commit saves it.
func (s *Shell) writeLater() {
	cfg := s.t.Cfg
	if s.owned {
		cfg = cfg.Clone() // later lines change the script's own copy
	}
	ops := slices.Clone(s.ops)
	if n := len(ops); n > 0 {
		if l, ok := ops[n-1].(*cli.RuleLines); ok {
			ops[n-1] = l.Copy() // the lines up to here: later lines go to the script's run only
		}
	}
	s.save = &pendingSave{cfg: cfg, from: s.from, base: s.base, ops: ops}
}

// startupAt returns the config a script's write memory saves, called under the
// commit's lock: cfg is the config the script's changes apply to (from's config
// as it is now, before them). When another shell changed it since the script
// read it, the changes up to the write are applied again, as the commit applies
// all of them.
func (s *Shell) startupAt(from string, cfg *acl.Config) (*acl.Config, error) {
	p := s.save
	base := cfg
	if p.from != from {
		// The write came before the script replaced the running-config: it saves
		// the running-config with the changes made until then.
		var err error
		if base, err = s.opt.Store.Running(); err != nil {
			return nil, err
		}
	}
	if p.from == "" && p.base != nil && base.Equal(p.base) {
		return p.cfg, nil
	}
	st := base.Clone()
	for _, o := range p.ops {
		if err := o.Apply(st); err != nil {
			return nil, fmt.Errorf("the running-config changed while the script ran: %w", err)
		}
	}
	return st, nil
}

// notSaved: a script committed, but saving its write memory failed.
type notSaved struct{ err error }

func (e *notSaved) Error() string {
	return "the script was committed, but write memory failed: " + e.err.Error()
}

func (e *notSaved) Unwrap() error { return e.err }

// Fail records a failed line.
func (s *Shell) Fail() { s.errs++ }

// PrintError writes err for a line as IOS does (term.PrintError).
func PrintError(w io.Writer, indent int, err error) { term.PrintError(w, indent, err) }
