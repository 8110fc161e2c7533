// Package cli holds what aclsh's commands do. For now: the configuration
// changes and the replay of configuration lines onto a config (a Txn), which is
// how running-config text is loaded.
package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/grammar"
)

// Op is one configuration change: a parsed command and the access list whose mode
// it was typed in. Applying the same ops to the same config gives the same result,
// so a script can be re-applied to a config another shell changed meanwhile.
type Op struct {
	ACL string
	Cmd grammar.Command
	// merge, if not nil, is a config merged in (copy startup-config
	// running-config); Cmd is then unused.
	Merge *acl.Config
}

// Changes reports whether a command kind modifies the config.
func Changes(k grammar.Kind) bool {
	switch k {
	case grammar.EnterACL, grammar.DeleteACL, grammar.AddRule, grammar.DeleteRule,
		grammar.DeleteSeq, grammar.Resequence, grammar.BindACL, grammar.UnbindACL, grammar.LogInterval:
		return true
	}
	return false
}

// Apply makes the change on cfg.
func (o Op) Apply(cfg *acl.Config) error {
	if o.Merge != nil {
		_, err := cfg.Merge(o.Merge)
		return err
	}
	c := o.Cmd
	switch c.Kind {
	case grammar.EnterACL:
		_, err := cfg.Ensure(c.Name, c.Family)
		return err
	case grammar.DeleteACL:
		return cfg.Delete(c.Name, c.Family)
	case grammar.BindACL:
		return cfg.Bind(c.Family, c.Name)
	case grammar.UnbindACL:
		return cfg.Unbind(c.Family, c.Name)
	case grammar.LogInterval:
		return cfg.SetLogInterval(uint32(c.Num))
	}
	a, ok := cfg.ACLs[o.ACL]
	if !ok {
		return fmt.Errorf("access list %s no longer exists (deleted by another session?)", o.ACL)
	}
	switch c.Kind {
	case grammar.AddRule:
		_, err := a.Add(c.Rule)
		return err
	case grammar.DeleteRule:
		s, ok := a.Find(c.Rule)
		if !ok {
			what := "rule"
			if c.Rule.IsRemark() {
				what = "remark"
			}
			return fmt.Errorf("no such %s in access list %s: %s", what, a.Name, c.Rule.Body(a.Family))
		}
		return a.DeleteSeq(s)
	case grammar.DeleteSeq:
		return a.DeleteSeq(c.Seq)
	case grammar.Resequence:
		return a.Resequence(c.Start, c.Step)
	}
	return fmt.Errorf("internal error: command kind %d changes nothing", c.Kind)
}

// Txn replays configuration lines onto a config, tracking the mode; it is how
// running-config text is loaded.
type Txn struct {
	Cfg  *acl.Config
	Mode grammar.Mode
	ACL  string
}

// NewTxn returns a Txn in configuration mode on cfg.
func NewTxn(cfg *acl.Config) *Txn { return &Txn{Cfg: cfg, Mode: grammar.Config} }

// Exec parses line in the current mode, follows the mode change and applies a
// configuration change. Exec-only commands are refused.
func (t *Txn) Exec(line string) (grammar.Command, error) {
	cmd, err := grammar.Parse(t.Mode, line)
	if err != nil {
		return cmd, err
	}
	if cmd.Kind == grammar.KindNone {
		return cmd, nil
	}
	err = t.Do(cmd, func(o Op) error { return o.Apply(t.Cfg) })
	if errors.Is(err, ErrNoBehaviour) {
		return cmd, nil // a line that changes no configuration (do ...): skipped, as ever
	}
	return cmd, err
}

// Do runs cmd: it follows the mode change (follow) and passes the change the
// command makes, if any, to apply. A command that fails changes nothing, the
// mode included: after an error (a refused name, a list that is bound, a state
// directory that cannot be written) the Txn is in the mode and list it was in.
func (t *Txn) Do(cmd grammar.Command, apply func(Op) error) error {
	mode, name := t.Mode, t.ACL
	o, ok, err := t.Follow(cmd)
	if err == nil && ok {
		err = apply(o)
	}
	if err != nil {
		t.Mode, t.ACL = mode, name
	}
	return err
}

// ErrNoBehaviour is the error of a command that parses in a mode where nothing
// gives it a behaviour (a definition without its entry in the shell).
var ErrNoBehaviour = errors.New("internal error: the command parses but does nothing here")

// Follow moves the Txn to the mode the command runs in and to the mode it leads to,
// and returns the change it makes, if any (ok false: none).
func (t *Txn) Follow(cmd grammar.Command) (o Op, ok bool, err error) {
	if cmd.Mode != t.Mode {
		t.Mode = cmd.Mode
		t.ACL = ""
	}
	o = Op{ACL: t.ACL, Cmd: cmd}
	switch cmd.Kind {
	case grammar.Configure:
		t.Mode = grammar.Config
	case grammar.End:
		t.Mode, t.ACL = grammar.Exec, ""
	case grammar.Exit:
		if p, ok := t.Mode.Parent(); ok {
			t.Mode, t.ACL = p, ""
		} else if t.Mode == grammar.Config {
			t.Mode = grammar.Exec
		}
	case grammar.EnterInterface:
		if cmd.Num != 0 {
			return Op{}, false, fmt.Errorf("interface management %d does not exist; this host has management 0", cmd.Num)
		}
		t.Mode, t.ACL = grammar.Interface, ""
	case grammar.EnterACL:
		// Validate before entering, so that a refused name leaves the mode as it was.
		a, exists := t.Cfg.ACLs[cmd.Name]
		if exists && a.Family != cmd.Family {
			return Op{}, false, fmt.Errorf("%s is an %s access list", cmd.Name, a.Family.Name())
		}
		t.Mode, t.ACL = grammar.IPACL, cmd.Name
		if cmd.Family == acl.IPv6 {
			t.Mode = grammar.IP6ACL
		}
		if exists {
			return Op{}, false, nil // entering an existing list changes nothing
		}
	default:
		if !Changes(cmd.Kind) {
			// Parsed, and handled by nothing before: it must not succeed doing
			// nothing, nor move the mode (`do` of it would drop to exec).
			return Op{}, false, ErrNoBehaviour
		}
	}
	if !Changes(cmd.Kind) {
		return Op{}, false, nil
	}
	return o, true, nil
}

// LoadConfig parses running-config text by replaying it in configuration mode, as
// `configure terminal` would. Errors name the line.
func LoadConfig(text string) (*acl.Config, error) {
	cfg := acl.NewConfig()
	t := NewTxn(cfg)
	for i := 0; text != ""; i++ {
		line, rest, _ := strings.Cut(text, "\n")
		text = rest
		cmd, err := t.Exec(line)
		if err != nil {
			// Quoted and cut short: the file may hold anything, and errors are logged.
			where := fmt.Sprintf("line %d", i+1)
			var pe *grammar.ParseError
			if errors.As(err, &pe) && pe.HasCaret() {
				where += fmt.Sprintf(" column %d", len([]rune(line[:pe.Off]))+1)
			}
			return nil, fmt.Errorf("%s (%.60q): %w", where, strings.TrimSpace(line), err)
		}
		if cmd.Kind == grammar.EnterACL {
			// Room for the list's lines (the indented ones that follow): a long
			// list is then loaded without copying it as it grows.
			if a := cfg.ACLs[cmd.Name]; a != nil {
				a.Grow(indented(text))
			}
		}
	}
	return cfg, nil
}

// indented counts the lines at the start of text that begin with a space.
func indented(text string) int {
	n := 0
	for strings.HasPrefix(text, " ") {
		n++
		i := strings.IndexByte(text, '\n')
		if i < 0 {
			break
		}
		text = text[i+1:]
	}
	return n
}
