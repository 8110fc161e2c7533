package shell

import (
	"errors"
	"fmt"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/grammar"
)

// op is one configuration change: a parsed command and the access list whose mode
// it was typed in. Applying the same ops to the same config gives the same result,
// so a script can be re-applied to a config another shell changed meanwhile.
type op struct {
	acl string
	cmd grammar.Command
	// merge, if not nil, is a config merged in (copy startup-config
	// running-config); cmd is then unused.
	merge *acl.Config
}

// changes reports whether a command kind modifies the config.
func changes(k grammar.Kind) bool {
	switch k {
	case grammar.EnterACL, grammar.DeleteACL, grammar.AddRule, grammar.DeleteRule,
		grammar.DeleteSeq, grammar.Resequence, grammar.BindACL, grammar.UnbindACL, grammar.LogInterval:
		return true
	}
	return false
}

func applyOp(cfg *acl.Config, o op) error {
	if o.merge != nil {
		_, err := cfg.Merge(o.merge)
		return err
	}
	c := o.cmd
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
	a, ok := cfg.ACLs[o.acl]
	if !ok {
		return fmt.Errorf("access list %s no longer exists (deleted by another session?)", o.acl)
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

// txn replays configuration lines onto a config, tracking the mode; it is how
// running-config text is loaded.
type txn struct {
	cfg  *acl.Config
	mode grammar.Mode
	acl  string
}

func newTxn(cfg *acl.Config) *txn { return &txn{cfg: cfg, mode: grammar.Config} }

// exec parses line in the current mode, follows the mode change and applies a
// configuration change. Exec-only commands are refused.
func (t *txn) exec(line string) (grammar.Command, error) {
	cmd, err := grammar.Parse(t.mode, line)
	if err != nil {
		return cmd, err
	}
	if cmd.Kind == grammar.KindNone {
		return cmd, nil
	}
	err = t.do(cmd, func(o op) error { return applyOp(t.cfg, o) })
	if errors.Is(err, errNoBehaviour) {
		return cmd, nil // a line that changes no configuration (do ...): skipped, as ever
	}
	return cmd, err
}

// do runs cmd: it follows the mode change (follow) and passes the change the
// command makes, if any, to apply. A command that fails changes nothing, the
// mode included: after an error (a refused name, a list that is bound, a state
// directory that cannot be written) the txn is in the mode and list it was in.
func (t *txn) do(cmd grammar.Command, apply func(op) error) error {
	mode, name := t.mode, t.acl
	o, ok, err := t.follow(cmd)
	if err == nil && ok {
		err = apply(o)
	}
	if err != nil {
		t.mode, t.acl = mode, name
	}
	return err
}

// errNoBehaviour is the error of a command that parses in a mode where nothing
// gives it a behaviour (a definition without its entry in the shell).
var errNoBehaviour = errors.New("internal error: the command parses but does nothing here")

// follow moves the txn to the mode the command runs in and to the mode it leads to,
// and returns the change it makes, if any (ok false: none).
func (t *txn) follow(cmd grammar.Command) (o op, ok bool, err error) {
	if cmd.Mode != t.mode {
		t.mode = cmd.Mode
		t.acl = ""
	}
	o = op{acl: t.acl, cmd: cmd}
	switch cmd.Kind {
	case grammar.Configure:
		t.mode = grammar.Config
	case grammar.End:
		t.mode, t.acl = grammar.Exec, ""
	case grammar.Exit:
		if p, ok := t.mode.Parent(); ok {
			t.mode, t.acl = p, ""
		} else if t.mode == grammar.Config {
			t.mode = grammar.Exec
		}
	case grammar.EnterInterface:
		if cmd.Num != 0 {
			return op{}, false, fmt.Errorf("interface management %d does not exist; this host has management 0", cmd.Num)
		}
		t.mode, t.acl = grammar.Interface, ""
	case grammar.EnterACL:
		// Validate before entering, so that a refused name leaves the mode as it was.
		a, exists := t.cfg.ACLs[cmd.Name]
		if exists && a.Family != cmd.Family {
			return op{}, false, fmt.Errorf("%s is an %s access list", cmd.Name, a.Family.Name())
		}
		t.mode, t.acl = grammar.IPACL, cmd.Name
		if cmd.Family == acl.IPv6 {
			t.mode = grammar.IP6ACL
		}
		if exists {
			return op{}, false, nil // entering an existing list changes nothing
		}
	default:
		if !changes(cmd.Kind) {
			// Parsed, and handled by nothing before: it must not succeed doing
			// nothing, nor move the mode (`do` of it would drop to exec).
			return op{}, false, errNoBehaviour
		}
	}
	if !changes(cmd.Kind) {
		return op{}, false, nil
	}
	return o, true, nil
}
