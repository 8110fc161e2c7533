// Package shell is aclsh's modal command shell: it reads lines from a terminal
// (readline) or a script, parses them with grammar, applies them to the candidate
// config, commits through the Store and the Enforcer, and prints show output.
package shell

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/enforcer"
	"github.com/aclsh/aclsh/grammar"
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
	Store    *Store
	Enforcer Enforcer // nil: configs are saved but not enforced
	IfName   string   // the Linux interface of management 0, for show
	Out      io.Writer
	Err      io.Writer
	// Interactive: prompts, "Entering configuration mode terminal", and each change
	// committed as it is entered. Otherwise lines are a script, committed once.
	Interactive bool
	// CheckOnly validates and applies nothing (--check).
	CheckOnly bool
}

// Shell is one CLI session. It is not safe for concurrent use.
type Shell struct {
	opt    Options
	t      txn         // mode, current access list, candidate config
	ops    []op        // a script's changes, committed at its end
	save   bool        // a script asked for write memory
	clears []string    // lists whose counters a script clears when it commits
	quit   bool        // exit from exec
	errs   int         // lines that failed
	base   *acl.Config // the config a script started from
}

// New returns a shell in exec mode.
func New(opt Options) (*Shell, error) {
	s := &Shell{opt: opt}
	cfg, err := opt.Store.Load()
	if err != nil {
		return nil, err
	}
	s.t = txn{cfg: cfg, mode: grammar.Exec}
	s.base = cfg.Clone()
	return s, nil
}

// Mode returns the current mode.
func (s *Shell) Mode() grammar.Mode { return s.t.mode }

// Prompt returns the prompt of the current mode.
func (s *Shell) Prompt() string { return s.t.mode.Prompt(s.opt.Host) }

// Done reports whether the session ended (exit in exec mode).
func (s *Shell) Done() bool { return s.quit }

// Failed returns how many lines failed.
func (s *Shell) Failed() int { return s.errs }

// Names returns the access list names, for completion.
func (s *Shell) Names() []string { return s.t.cfg.Names() }

// Run executes one line. Errors are returned for the caller to print with the line's
// position (see PrintError); output goes to Options.Out.
func (s *Shell) Run(line string) error {
	if s.opt.Interactive {
		// Another shell may have committed since the last line.
		if cfg, err := s.opt.Store.Load(); err == nil {
			s.t.cfg = cfg
		} else {
			return err
		}
	}
	cmd, err := grammar.Parse(s.t.mode, line)
	if err != nil {
		return err
	}
	return s.execute(cmd)
}

func (s *Shell) execute(cmd grammar.Command) error {
	switch cmd.Kind {
	case grammar.KindNone:
		return nil
	case grammar.Do:
		return s.execute(*cmd.Sub)
	case grammar.TerminalLength:
		return nil // output is never paged
	case grammar.ShowRunning, grammar.ShowStartup, grammar.ShowACLs, grammar.ShowInterface:
		return s.show(cmd)
	case grammar.WriteMemory:
		if !s.opt.Interactive {
			s.save = true
			return nil
		}
		if err := s.opt.Store.SaveStartup(); err != nil {
			return err
		}
		fmt.Fprintln(s.opt.Out, "[OK]")
		return nil
	case grammar.ClearCounters:
		return s.clearCounters(cmd)
	case grammar.Exit:
		if s.t.mode == grammar.Exec {
			s.quit = true
			return nil
		}
	}
	prev := s.t.mode
	o, err := s.t.follow(cmd)
	if err != nil {
		return err
	}
	if cmd.Kind == grammar.Configure && prev == grammar.Exec && s.opt.Interactive {
		fmt.Fprintln(s.opt.Out, "Entering configuration mode terminal")
	}
	if o == nil {
		return nil
	}
	if s.opt.Interactive && !s.opt.CheckOnly {
		cfg, err := s.opt.Store.Update(func(cfg *acl.Config) error {
			if err := applyOp(cfg, *o); err != nil {
				return err
			}
			return s.enforce(cfg)
		})
		if err != nil {
			return err
		}
		s.t.cfg = cfg
		return nil
	}
	if err := applyOp(s.t.cfg, *o); err != nil {
		return err
	}
	s.ops = append(s.ops, *o)
	return nil
}

func (s *Shell) enforce(cfg *acl.Config) error {
	if s.opt.Enforcer == nil {
		return nil
	}
	if err := s.opt.Enforcer.Apply(cfg); err != nil {
		return fmt.Errorf("the kernel refused the new config; nothing was changed: %w", err)
	}
	return nil
}

// Commit applies a script's changes in one transaction: onto the running-config as
// it is now (another shell may have changed it since the script started), enforced
// and saved together. With errors in the script, or in check mode, nothing is
// applied.
func (s *Shell) Commit() error {
	if s.errs > 0 || s.opt.CheckOnly {
		return nil
	}
	if len(s.ops) > 0 {
		cfg, err := s.opt.Store.Update(func(cfg *acl.Config) error {
			if !cfg.Equal(s.base) {
				for _, o := range s.ops {
					if err := applyOp(cfg, o); err != nil {
						return fmt.Errorf("the running-config changed while the script ran: %w", err)
					}
				}
			} else {
				*cfg = *s.t.cfg
			}
			return s.enforce(cfg)
		})
		if err != nil {
			return err
		}
		s.t.cfg, s.ops = cfg, nil
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
	if s.save {
		return s.opt.Store.SaveStartup()
	}
	return nil
}

// Fail records a failed line.
func (s *Shell) Fail() { s.errs++ }

// PrintError writes err for a line as IOS does: for invalid input a caret under the
// offending token (indent is the width of what precedes the line on screen), then
// the message.
func PrintError(w io.Writer, indent int, err error) {
	var pe *grammar.ParseError
	if errors.As(err, &pe) {
		if pe.HasCaret() {
			fmt.Fprintf(w, "%s^\n", strings.Repeat(" ", indent+displayWidth(pe.Line[:pe.Off])))
		}
		fmt.Fprintln(w, pe.Error())
		return
	}
	fmt.Fprintf(w, "%% Error: %v\n", err)
}

// displayWidth counts runes, with tabs as one column (the terminal shows the line as
// typed, so the caret lines up for ASCII input).
func displayWidth(s string) int { return len([]rune(s)) }

// filter applies a show pipe to output lines.
func filter(p grammar.Pipe, text string) (string, error) {
	if p.Op == "" {
		return text, nil
	}
	re, err := regexp.Compile(p.RE)
	if err != nil {
		return "", fmt.Errorf("bad regular expression %q: %v", p.RE, err)
	}
	var b strings.Builder
	begun := false
	for _, l := range strings.SplitAfter(text, "\n") {
		if l == "" {
			continue
		}
		m := re.MatchString(strings.TrimSuffix(l, "\n"))
		switch p.Op {
		case "include":
			if !m {
				continue
			}
		case "exclude":
			if m {
				continue
			}
		case "begin":
			if !begun && !m {
				continue
			}
			begun = true
		}
		b.WriteString(l)
	}
	return b.String(), nil
}
