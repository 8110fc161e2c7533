package cli

import (
	"fmt"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/grammar"
)

// Access lists: ip|ipv6 access-list extended NAME, its lines, and the logging
// interval.

// EnterACL is ip|ipv6 access-list [extended|standard] NAME: the list's mode,
// and the list made if it does not exist.
type EnterACL struct {
	Name     string
	Family   acl.Family
	Standard bool
}

func (EnterACL) command() {}

// Apply makes the list if it does not exist.
func (c EnterACL) Apply(cfg *acl.Config) error {
	_, err := cfg.EnsureKind(c.Name, c.Family, c.Standard)
	return err
}

// Next validates before entering, so that a refused name leaves the mode as it
// was; entering an existing list changes nothing.
func (c EnterACL) Next(t *Txn) (Change, error) {
	a, exists := t.Cfg.ACLs[c.Name]
	if exists && a.Family != c.Family {
		return nil, fmt.Errorf("%s is an %s access list", c.Name, a.Family.Name())
	}
	if exists && a.Standard != c.Standard {
		return nil, fmt.Errorf("%s is %s access list; enter it with `%s`", c.Name, aKind(a.Standard), a.Header())
	}
	t.Mode, t.ACL = grammar.IPACL, c.Name
	switch {
	case c.Family == acl.IPv6:
		t.Mode = grammar.IP6ACL
	case c.Standard:
		t.Mode = grammar.StdACL
	}
	if exists {
		return nil, nil
	}
	return c, nil
}

// aKind is "a standard" or "an extended".
func aKind(standard bool) string {
	if standard {
		return "a standard"
	}
	return "an extended"
}

// DeleteACL is no ip|ipv6 access-list [extended|standard] NAME, no access-list N.
type DeleteACL struct {
	Name     string
	Family   acl.Family
	Standard bool
}

func (DeleteACL) command() {}

func (c DeleteACL) Apply(cfg *acl.Config) error {
	if a, ok := cfg.ACLs[c.Name]; ok && a.Family == c.Family && a.Standard != c.Standard {
		return fmt.Errorf("%s is %s access list; delete it with `no %s`", c.Name, aKind(a.Standard), a.Header())
	}
	return cfg.Delete(c.Name, c.Family)
}

// NumberedLine is access-list N permit|deny ... or access-list N remark TEXT:
// a line added to numbered list N, made if it does not exist (standard or
// extended by its number), as on IOS.
type NumberedLine struct {
	Name     string
	Standard bool
	Rule     acl.Rule
}

func (NumberedLine) command() {}

func (c NumberedLine) Apply(cfg *acl.Config) error {
	a, err := cfg.EnsureKind(c.Name, acl.IPv4, c.Standard)
	if err != nil {
		return err
	}
	if err := cfg.CheckAdd(c.Name, c.Rule); err != nil {
		return err
	}
	_, err = a.Add(c.Rule)
	return err
}

// LogInterval is [no] ip access-list logging interval MS (0: the default).
type LogInterval struct{ MS uint32 }

func (LogInterval) command() {}

func (c LogInterval) Apply(cfg *acl.Config) error { return cfg.SetLogInterval(c.MS) }

// SetDialect is [no] cli dialect slx|ios|eos: how show running-config and show
// access-lists write the lists (no: SLX, the default).
type SetDialect struct{ Dialect acl.Dialect }

func (SetDialect) command() {}

func (c SetDialect) Apply(cfg *acl.Config) error {
	cfg.SetDialect(c.Dialect)
	return nil
}

// list returns the access list a line typed in its mode changes.
func list(cfg *acl.Config, name string) (*acl.ACL, error) {
	a, ok := cfg.ACLs[name]
	if !ok {
		return nil, fmt.Errorf("access list %s no longer exists (deleted by another session?)", name)
	}
	return a, nil
}

// AddRule is [seq N] permit|deny ... or remark TEXT in list List.
type AddRule struct {
	List string
	Rule acl.Rule
}

func (AddRule) command() {}

func (c AddRule) Apply(cfg *acl.Config) error {
	a, err := list(cfg, c.List)
	if err != nil {
		return err
	}
	if err := cfg.CheckAdd(c.List, c.Rule); err != nil {
		return err
	}
	_, err = a.Add(c.Rule)
	return err
}

// DeleteRule is no <rule as written> or no remark TEXT.
type DeleteRule struct {
	List string
	Rule acl.Rule
}

func (DeleteRule) command() {}

func (c DeleteRule) Apply(cfg *acl.Config) error {
	a, err := list(cfg, c.List)
	if err != nil {
		return err
	}
	s, ok := a.Find(c.Rule)
	if !ok {
		what := "rule"
		if c.Rule.IsRemark() {
			what = "remark"
		}
		return fmt.Errorf("no such %s in access list %s: %s", what, a.Name, c.Rule.Body(a.Family))
	}
	return a.DeleteSeq(s)
}

// DeleteSeq is no seq N.
type DeleteSeq struct {
	List string
	Seq  acl.Seq
}

func (DeleteSeq) command() {}

func (c DeleteSeq) Apply(cfg *acl.Config) error {
	a, err := list(cfg, c.List)
	if err != nil {
		return err
	}
	return a.DeleteSeq(c.Seq)
}

// Resequence is resequence [START [STEP]].
type Resequence struct {
	List        string
	Start, Step acl.Seq
}

func (Resequence) command() {}

func (c Resequence) Apply(cfg *acl.Config) error {
	a, err := list(cfg, c.List)
	if err != nil {
		return err
	}
	return a.Resequence(c.Start, c.Step)
}

// Merge merges a config in (copy startup-config running-config): all of it or,
// on a conflict, nothing.
type Merge struct{ Cfg *acl.Config }

func (Merge) command() {}

func (c Merge) Apply(cfg *acl.Config) error {
	_, err := cfg.Merge(c.Cfg)
	return err
}
