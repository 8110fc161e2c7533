// Package cli holds every command as a value that carries its behaviour (see
// Command), and the replay of configuration lines onto a config (a Txn), which
// is how running-config text is loaded.
package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/grammar"
)

// Txn replays configuration lines onto a config, tracking the mode; it is how
// running-config text is loaded.
type Txn struct {
	Cfg  *acl.Config
	Mode grammar.Mode
	ACL  string
	// MgmtNames are more names of interface management 0 (besides MgmtName's).
	MgmtNames []string
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
	err = t.Do(cmd, func(c Change) error { return c.Apply(t.Cfg) })
	if errors.Is(err, ErrNoBehaviour) {
		return cmd, nil // a line that changes no configuration (do ..., an empty line): skipped, as ever
	}
	return cmd, err
}

// Do runs cmd: it follows the mode change (Follow) and passes the change the
// command makes, if any, to apply. A command that fails changes nothing, the
// mode included: after an error (a refused name, a list that is bound, a state
// directory that cannot be written) the Txn is in the mode and list it was in.
func (t *Txn) Do(cmd grammar.Command, apply func(Change) error) error {
	return t.DoOf(cmd, nil, apply)
}

// DoOf is Do with the command's value the caller made: c is Of(cmd, t.ACL)
// as t is now (nil: Do makes it). A million-line script made each line's
// value twice, a 256-byte AddRule each time.
func (t *Txn) DoOf(cmd grammar.Command, c Command, apply func(Change) error) error {
	mode, name := t.Mode, t.ACL
	ch, err := t.follow(cmd, c)
	if err == nil && ch != nil {
		err = apply(ch)
	}
	if err != nil {
		t.Mode, t.ACL = mode, name
	}
	return err
}

// ErrNoBehaviour is the error of a command that parses in a mode where nothing
// gives it a behaviour (a definition without its entry in the shell).
var ErrNoBehaviour = errors.New("internal error: the command parses but does nothing here")

// Follow moves the Txn to the mode the command runs in and to the mode it leads
// to, and returns the change it makes, if any (nil: none). A command that is
// neither a mode change nor a change is ErrNoBehaviour here: it must not succeed
// doing nothing, nor move the mode (`do` of it would drop to exec).
func (t *Txn) Follow(cmd grammar.Command) (Change, error) { return t.follow(cmd, nil) }

// follow is Follow with cmd's value c, Of(cmd, t.ACL) before the move (nil:
// made here).
func (t *Txn) follow(cmd grammar.Command, c Command) (Change, error) {
	if cmd.Mode != t.Mode {
		t.Mode = cmd.Mode
		t.ACL = ""
		c = nil // its list is another now
	}
	if c == nil {
		c = Of(cmd, t.ACL)
	}
	switch c := c.(type) {
	case Enter:
		return c.Next(t)
	case Change:
		return c, nil
	}
	return nil, ErrNoBehaviour
}

// LoadConfig parses running-config text by replaying it in configuration mode, as
// `configure terminal` would. Errors name the line.
func LoadConfig(text string) (*acl.Config, error) {
	cfg := acl.NewConfig()
	t := NewTxn(cfg)
	for i := 0; text != ""; i++ {
		line, rest, _ := strings.Cut(text, "\n")
		text = rest
		list := t.ACL
		err := t.load(line)
		if err != nil {
			// Quoted and cut short: the file may hold anything, and errors are logged.
			where := fmt.Sprintf("line %d", i+1)
			var pe *grammar.ParseError
			if errors.As(err, &pe) && pe.HasCaret() {
				where += fmt.Sprintf(" column %d", len([]rune(line[:pe.Off]))+1)
			}
			return nil, fmt.Errorf("%s (%.60q): %w", where, strings.TrimSpace(line), err)
		}
		if t.ACL != "" && t.ACL != list {
			// A list entered. Room for its lines (the indented ones that
			// follow): a long list is then loaded without copying it as it grows.
			if a := cfg.ACLs[t.ACL]; a != nil {
				a.Grow(indented(text))
			}
		}
	}
	return cfg, nil
}

// load is Exec for LoadConfig: a rule line of the current list written as
// the running-config writes it is added without building its value
// (grammar.CanonicalRule): a long list's lines cost that much less. The value
// it would build is the AddRule added here (TestLoadTakesCanonicalLines).
func (t *Txn) load(line string) error {
	if t.ACL != "" {
		if r, ok := grammar.CanonicalRule(t.Mode, line); ok {
			return AddRule{List: t.ACL, Family: t.Mode.Family(), Rule: r}.Apply(t.Cfg)
		}
	}
	_, err := t.Exec(line)
	return err
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
