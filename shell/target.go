package shell

import (
	"errors"
	"fmt"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/cli"
	"github.com/aclsh/aclsh/config"
	"github.com/aclsh/aclsh/grammar"
)

// target is where a shell sends what changes the configuration or the kernel.
// The shell chooses it once, when it starts (New), from its options:
//
//   - immediate (an interactive shell): each change is committed as it is
//     entered, each action done at once;
//   - batch (a script: -f, -c, standard input): changes go to the script's own
//     copy of the config and are committed once, all or nothing, by Commit at
//     the script's end; write memory, clear counters and copy running-config
//     kernel happen then too;
//   - check (--check): as batch, but nothing is committed, saved or sent to the
//     kernel;
//   - session (session.go): in a configuration session, whatever the shell's
//     own target, the lines typed go to its candidate until it is committed;
//     the rest is the shell's own target's, which it wraps.
type target interface {
	// line runs a change or a mode change (c, a cli.Change or cli.Enter, is
	// cmd's value): the mode follows it and the change goes where the target
	// takes it.
	line(cmd grammar.Command, c cli.Command) error
	// change applies a configuration change (cli.Change); s.t.Cfg is the
	// config with it.
	change(c cli.Change) error
	// replace makes the running-config the saved config from.
	replace(from string) error
	// mergeStartup merges the startup-config into the running-config: all of
	// it or, on a conflict, nothing.
	mergeStartup() error
	// writeMemory saves the running-config as the startup-config.
	writeMemory() error
	// clearCounters zeroes the kernel counters of list name ("" every list).
	clearCounters(name string) error
	// restoreKernel makes the kernel enforce the running-config again.
	restoreKernel() error
	// bound says a list was bound: the shell warns if the management
	// interface does not exist, now or when the changes are committed.
	bound()
	// commit commits what the target kept: a script's changes at its end.
	commit() error
	// openSession says why a configuration session cannot be opened now; nil
	// if it can.
	openSession() error
	// effect says why a session's commit or abort, or a reload, cannot take
	// effect now (they do at their line, whatever the target); nil if it can.
	effect() error
	// tookEffect records that one did (what: "the commit of session NAME").
	tookEffect(what string)
	// leftSession: the shell left a configuration session for exec mode.
	leftSession()
	// refusal words the kernel's refusal of a config for where it is printed.
	refusal(err error) error
	// reserve makes room in list name for n rules about to be added (a hint:
	// only a script's own config takes it).
	reserve(name string, n int)
}

// newTarget returns the target the options choose.
func newTarget(s *Shell) target {
	switch {
	case s.opt.CheckOnly:
		return check{batch{direct{s}}}
	case s.opt.Interactive:
		return immediate{direct{s}}
	}
	return batch{direct{s}}
}

// direct is what immediate and batch share: a configuration line's change
// goes to the target's change.
type direct struct{ s *Shell }

func (t direct) line(cmd grammar.Command, c cli.Command) error {
	s := t.s
	// After an error the mode and the current list are as they were (Txn.Do).
	err := s.t.DoOf(cmd, c, func(c cli.Change) error {
		if err := s.tgt.change(c); err != nil {
			return err
		}
		s.noteOrigin(cmd, s.t.ACL, true)
		return nil
	})
	if e, ok := c.(cli.EnterACL); ok && err == nil {
		s.noteOrigin(cmd, e.Name, false) // an existing list entered
	}
	return err
}

func (direct) reserve(string, int) {}

// immediate commits each change as it is entered (an interactive shell).
type immediate struct{ direct }

func (t immediate) change(o cli.Change) error {
	s := t.s
	cfg, err := s.commitGuarded(func(guard guardFunc) (*acl.Config, error) {
		return s.opt.Store.Update(guard(func(cfg *acl.Config) error { return o.Apply(cfg) }), s.enforcer())
	})
	if err != nil {
		return err
	}
	s.t.Cfg = cfg
	return nil
}

func (t immediate) replace(from string) error {
	s := t.s
	cfg, err := s.commitGuarded(func(guard guardFunc) (*acl.Config, error) {
		return s.opt.Store.Replace(from, guard(nil), s.enforcer())
	})
	if err != nil {
		return err
	}
	why := ""
	if from == config.FromStartup {
		why = " (the running-config could not be used: nothing to merge into)"
	}
	s.t.Cfg, s.broken = cfg, nil
	fmt.Fprintf(s.opt.Out, "[OK] running-config replaced by %s%s\n", from, why)
	return nil
}

func (t immediate) mergeStartup() error {
	s := t.s
	n := 0
	cfg, err := s.opt.Store.Update(func(cfg *acl.Config) error {
		st, err := s.opt.Store.Saved(config.FromStartup)
		if err != nil {
			return err
		}
		n, err = cfg.Merge(st)
		return mergeErr(err)
	}, s.enforcer())
	var se *config.StateError
	if errors.As(err, &se) {
		// It became unusable since this line started: nothing to merge into.
		return t.replace(config.FromStartup)
	}
	if err != nil {
		return err
	}
	s.t.Cfg = cfg
	if n == 0 {
		fmt.Fprintln(s.opt.Out, "[OK] startup-config merged into running-config: it had every line already")
	} else {
		fmt.Fprintf(s.opt.Out, "[OK] startup-config merged into running-config: %d line(s) added or changed\n", n)
	}
	return nil
}

func (t immediate) writeMemory() error {
	if err := t.s.opt.Store.SaveStartup(); err != nil {
		return err
	}
	fmt.Fprintln(t.s.opt.Out, "[OK]")
	return nil
}

func (t immediate) clearCounters(name string) error {
	s := t.s
	if s.opt.Enforcer == nil {
		return nil
	}
	if err := s.opt.Enforcer.ClearCounters(s.t.Cfg, name); err != nil {
		return fmt.Errorf("clearing counters: %w", err)
	}
	return nil
}

func (t immediate) restoreKernel() error {
	s := t.s
	if s.opt.Enforcer == nil {
		return nil
	}
	if err := s.opt.Store.View(s.enforcer()); err != nil {
		return err
	}
	fmt.Fprintln(s.opt.Out, "[OK] the kernel enforces the running-config")
	return nil
}

func (t immediate) bound()             { t.s.warnNoInterface() }
func (t immediate) commit() error      { return nil } // each change was committed as it came
func (t immediate) openSession() error { return nil }
func (t immediate) effect() error      { return nil }
func (t immediate) tookEffect(string)  {}
func (t immediate) leftSession()       {} // the next line reads the running-config (refresh)

func (t immediate) refusal(err error) error { return &refused{err, true} }

// batch keeps a script's changes and commits them once, at its end (Commit).
type batch struct{ direct }

func (t batch) change(o cli.Change) error {
	s := t.s
	s.own()
	if err := o.Apply(s.t.Cfg); err != nil {
		return err
	}
	s.keep(o)
	return nil
}

// keep adds o to the script's changes. Rules added to a list one after
// another are kept as their lines (cli.RuleLines), a run to each list.
func (s *Shell) keep(o cli.Change) {
	c, ok := o.(cli.AddRule)
	if !ok || c.Family != s.t.Mode.Family() {
		s.ops = append(s.ops, o)
		return
	}
	if n := len(s.ops); n > 0 {
		if l, ok := s.ops[n-1].(*cli.RuleLines); ok && l.List == c.List && l.Mode == s.t.Mode {
			l.Add(c)
			return
		}
	}
	l := &cli.RuleLines{List: c.List, Mode: s.t.Mode}
	l.Add(c)
	s.ops = append(s.ops, l)
}

func (t batch) replace(from string) error {
	s := t.s
	cfg, err := s.opt.Store.Saved(from)
	if err != nil {
		return err
	}
	s.t.Cfg, s.owned, s.from, s.ops = cfg, true, from, nil // --check validates what follows on it too
	return nil
}

func (t batch) mergeStartup() error {
	st, err := t.merge()
	if err != nil {
		return err
	}
	t.s.ops = append(t.s.ops, cli.Merge{Cfg: st})
	return nil
}

// merge merges the startup-config into the script's config and returns it.
func (t batch) merge() (*acl.Config, error) {
	s := t.s
	st, err := s.opt.Store.Saved(config.FromStartup)
	if err != nil {
		return nil, err
	}
	s.own()
	if _, err := s.t.Cfg.Merge(st); err != nil { // all or nothing: s.t.Cfg is unchanged
		return nil, mergeErr(err)
	}
	return st, nil
}

func (t batch) writeMemory() error { t.s.writeLater(); return nil }

func (t batch) reserve(name string, n int) {
	s := t.s
	if n == 0 || s.t.Cfg == nil || s.t.Cfg.ACLs[name] == nil {
		return
	}
	s.own()
	s.t.Cfg.ACLs[name].Reserve(n)
}

func (t batch) clearCounters(name string) error {
	// A script changes the kernel only when it commits, all or nothing.
	if t.s.opt.Enforcer != nil {
		t.s.clears = append(t.s.clears, name)
	}
	return nil
}

func (t batch) restoreKernel() error {
	if t.s.opt.Enforcer != nil {
		t.s.kern = true
	}
	return nil
}

func (t batch) bound() { t.s.bind = true } // warned when the script commits

// A script's own changes are committed at its end; a session it opens
// takes its changes into the session's candidate, and its commit (or abort, or
// a reload) takes effect at its line, as typed. The two do not mix: a session
// is not opened while the script has changes of its own to commit, so that
// what each commits is what it says.
func (t batch) openSession() error {
	if s := t.s; len(s.ops) > 0 || s.from != "" {
		return errors.New("this script changed the configuration outside a session (committed at its end, all or nothing): " +
			"open the session before those changes, or in a script of its own")
	}
	return nil
}

func (t batch) effect() error {
	if t.s.errs > 0 {
		return errors.New("an earlier line of the script failed: nothing takes effect after a failed line")
	}
	return nil
}

func (t batch) tookEffect(what string) {
	t.s.effects = append(t.s.effects, fmt.Sprintf("%s at line %d", what, t.s.lineNo))
}

// leftSession: the script's config is the running-config again, read when a
// line needs it (the session's candidate is not the script's to change).
func (t batch) leftSession() {
	s := t.s
	s.t.Cfg, s.base, s.owned = nil, nil, false
}

func (t batch) refusal(err error) error { return &refused{err, false} }

// check validates a script and commits nothing (--check).
type check struct{ batch }

func (t check) change(o cli.Change) error {
	t.s.own()
	return o.Apply(t.s.t.Cfg) // a check commits nothing: no need to keep the changes
}

func (t check) mergeStartup() error {
	_, err := t.merge()
	return err
}

func (t check) bound() {} // nothing is applied: no interface to warn about

func (t check) openSession() error {
	return errors.New("--check changes nothing: it opens no configuration session (and commits none, starts no commit timer, schedules no reload)")
}

func (t check) effect() error { return t.openSession() }

func (t check) clearCounters(string) error { return nil }
func (t check) restoreKernel() error       { return nil }
func (t check) commit() error              { return nil }

// mergeErr words a merge's conflict.
func mergeErr(err error) error {
	if errors.Is(err, acl.ErrConflict) {
		return fmt.Errorf("cannot merge the startup-config: %w; nothing was changed (delete or renumber those lines, then copy again)", err)
	}
	return err
}

// Commit applies a script's changes in one transaction: onto the running-config as
// it is now (another shell may have changed it since the script started), enforced
// and saved together; then its write memory, if any, saves the startup-config. With
// errors in the script, or in check mode, nothing is applied.
func (s *Shell) Commit() error {
	if s.errs > 0 {
		return nil
	}
	return s.tgt.commit()
}

func (t batch) commit() error {
	s := t.s
	var startup *acl.Config // what write memory saves
	committed := s.from != "" || len(s.ops) > 0
	switch {
	case s.from != "":
		// The saved config as it is now, the script's changes on top.
		_, err := s.commitGuarded(func(guard guardFunc) (*acl.Config, error) {
			return s.opt.Store.Replace(s.from, guard(func(cfg *acl.Config) error {
				if s.save != nil {
					var err error
					if startup, err = s.startupAt(s.from, cfg); err != nil {
						return err
					}
				}
				for _, o := range s.ops {
					if err := o.Apply(cfg); err != nil {
						return fmt.Errorf("the %s changed while the script ran: %w", s.from, err)
					}
				}
				return nil
			}), s.enforcer())
		})
		if err != nil {
			return err
		}
		// The committed config is the store's shared one now: a later line loads
		// a copy of its own.
		s.t.Cfg, s.base, s.ops, s.from, s.broken = nil, nil, nil, "", nil
	case len(s.ops) > 0:
		// The script's own config is committed as it is when nothing was
		// committed since the script read the running-config (and no write
		// memory needs the config before the changes): no copy, no replay.
		var next *acl.Config
		if s.owned && s.save == nil {
			next = s.t.Cfg
		}
		_, err := s.commitGuarded(func(guard guardFunc) (*acl.Config, error) {
			return s.opt.Store.UpdateFrom(s.base, next, guard(func(cfg *acl.Config) error {
				if cfg == next {
					if !s.opt.Interactive {
						// Committed as it is, and only once (commitGuarded asks
						// again only in an interactive session): the record of
						// the changes is not needed again. A million added
						// lines' is 40 MB, held through compile and apply.
						s.ops = nil
					}
					return nil
				}
				if s.save != nil {
					var err error
					if startup, err = s.startupAt("", cfg); err != nil {
						return err
					}
				}
				if !cfg.Equal(s.base) {
					for _, o := range s.ops {
						if err := o.Apply(cfg); err != nil {
							return fmt.Errorf("the running-config changed while the script ran: %w", err)
						}
					}
				} else {
					*cfg = *s.t.Cfg
				}
				return nil
			}), s.enforcer())
		})
		if err != nil {
			return err
		}
		s.t.Cfg, s.base, s.ops = nil, nil, nil
	}
	if s.kern {
		// After a commit above this sends nothing: the kernel is in step.
		s.kern = false
		if err := s.opt.Store.View(s.enforcer()); err != nil {
			return err
		}
	}
	if len(s.clears) > 0 {
		// Against the running-config as it is now, under the lock: another shell
		// may have changed the bindings since the script started.
		err := s.opt.Store.View(func(cfg *acl.Config) error {
			for _, name := range s.clears {
				if err := s.opt.Enforcer.ClearCounters(cfg, name); err != nil {
					return fmt.Errorf("clearing counters: %w", err)
				}
			}
			return nil
		})
		s.clears = nil
		if err != nil {
			return err
		}
	}
	if s.save != nil {
		var err error
		if startup == nil {
			// No changes to commit: the running-config as it is now.
			err = s.opt.Store.SaveStartup()
		} else {
			err = s.opt.Store.SaveStartupConfig(startup)
		}
		s.save = nil
		if err != nil && committed {
			return &notSaved{err}
		}
		return err
	}
	return nil
}
