package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/grammar"
)

// The management interface: interface management N and its access groups.

// EnterInterface is interface management N, or interface NAME: a vendor's
// name of its management port (MgmtName), or one Txn.MgmtNames gives.
type EnterInterface struct {
	Num  int
	Name string
}

func (EnterInterface) command() {}

func (c EnterInterface) Next(t *Txn) (Change, error) {
	switch {
	case c.Name != "":
		if !MgmtName(c.Name) && !slices.ContainsFunc(t.MgmtNames, func(n string) bool { return strings.EqualFold(n, c.Name) }) {
			return nil, fmt.Errorf("interface %s is not managed here: aclsh filters interface management 0 (also spelled mgmt0, Management1, Ma1, MgmtEth0/RP0/CPU0/0, mgmt1/1/1%s)",
				c.Name, namesGiven(t.MgmtNames))
		}
	case c.Num != 0:
		return nil, fmt.Errorf("interface management %d does not exist; this host has management 0", c.Num)
	}
	t.Mode, t.ACL = grammar.Interface, ""
	return nil, nil
}

// EnterPoint is line vty, management ssh or system control-plane: the mode
// whose access-class or access-group lines bind at the login service or the
// host itself.
type EnterPoint struct{ Mode grammar.Mode }

func (EnterPoint) command() {}

func (c EnterPoint) Next(t *Txn) (Change, error) {
	t.Mode, t.ACL = c.Mode, ""
	return nil, nil
}

// namesGiven lists the names of management 0 a setting (or the Linux
// interface's name) gives, for an error.
func namesGiven(names []string) string {
	var out string
	for _, n := range names {
		if !MgmtName(n) {
			out += ", " + n
		}
	}
	return out + "; give other names with --mgmt-names"
}

// MgmtName reports whether name is how a vendor names its management port,
// the one interface management 0 stands for: NX-OS mgmt0, EOS Management1
// (Ma1, Management1/1 on a modular switch), IOS-XR MgmtEth0/RP0/CPU0/0
// (RSP0), OS10 mgmt1/1/1, SLX-OS Management0. Case does not matter, nor does
// an abbreviation of Management (EOS: Ma1).
func MgmtName(name string) bool {
	l := strings.ToLower(name)
	i := strings.IndexAny(l, "0123456789")
	if i <= 0 {
		return false
	}
	kind, num := l[:i], l[i:]
	switch {
	case kind == "mgmt":
		return num == "0" || num == "1/1/1"
	case kind == "mgmteth":
		return num == "0/rp0/cpu0/0" || num == "0/rsp0/cpu0/0"
	case len(kind) >= 2 && strings.HasPrefix("management", kind):
		return num == "0" || num == "1" || num == "1/1"
	}
	return false
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

// NoMeaning is a line of a switch's configuration that has no meaning on a
// Linux host (ip address, description, counters per-entry): accepted, its
// note said (grammar.Command.Note), nothing changed or saved.
type NoMeaning struct{}

func (NoMeaning) command()        {}
func (NoMeaning) Run(Shell) error { return nil }
