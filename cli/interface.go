package cli

import (
	"fmt"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/grammar"
)

// The management interface: interface management N and its access groups.

// EnterInterface is interface management N.
type EnterInterface struct{ Num int }

func (EnterInterface) command() {}

func (c EnterInterface) Next(t *Txn) (Change, error) {
	if c.Num != 0 {
		return nil, fmt.Errorf("interface management %d does not exist; this host has management 0", c.Num)
	}
	t.Mode, t.ACL = grammar.Interface, ""
	return nil, nil
}

// Bind is ip|ipv6 access-group NAME in: the list bound at a binding point (the
// syntax takes only `in`, so At.Dir is acl.In).
type Bind struct {
	At   acl.Binding
	Name string
}

func (Bind) command() {}

func (c Bind) Apply(cfg *acl.Config) error { return cfg.Bind(c.At, c.Name) }

// Unbind is no ip|ipv6 access-group NAME in.
type Unbind struct {
	At   acl.Binding
	Name string
}

func (Unbind) command() {}

func (c Unbind) Apply(cfg *acl.Config) error { return cfg.Unbind(c.At, c.Name) }
