package shell

import (
	"fmt"
	"io"
	"strings"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/grammar"
)

func (s *Shell) show(cmd grammar.Command) error {
	var b strings.Builder
	cfg := s.t.cfg
	switch cmd.Kind {
	case grammar.ShowRunning:
		b.WriteString(cfg.Render())
	case grammar.ShowACLs:
		if err := showACLs(&b, cfg, cmd); err != nil {
			return modelError{err}
		}
	case grammar.ShowInterface:
		if cmd.Num != 0 {
			return modelError{fmt.Errorf("interface management %d does not exist; this host has management 0", cmd.Num)}
		}
		fmt.Fprintf(&b, "Interface management 0\n")
		fmt.Fprintf(&b, " IPv4 access group in: %s\n", orNone(cfg.Mgmt.IPv4In))
		fmt.Fprintf(&b, " IPv6 access group in: %s\n", orNone(cfg.Mgmt.IPv6In))
	}
	out, err := filter(cmd.Pipe, b.String())
	if err != nil {
		return modelError{err}
	}
	io.WriteString(s.opt.Out, out)
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func showACLs(w io.Writer, cfg *acl.Config, cmd grammar.Command) error {
	if cmd.Name != "" {
		a, ok := cfg.ACLs[cmd.Name]
		if !ok || (cmd.FamilyGiven && a.Family != cmd.Family) {
			fam := ""
			if cmd.FamilyGiven {
				fam = cmd.Family.Name() + " "
			}
			return fmt.Errorf("%saccess list %s does not exist", fam, cmd.Name)
		}
	}
	for _, n := range cfg.Names() {
		a := cfg.ACLs[n]
		if cmd.Name != "" && n != cmd.Name || cmd.FamilyGiven && a.Family != cmd.Family {
			continue
		}
		where := "not bound"
		if b := cfg.BoundTo(n); b != "" {
			where = "bound to interface " + b
		}
		fmt.Fprintf(w, "%s access list %s, %s\n", a.Family.Name(), a.Name, where)
		for _, r := range a.Entries() {
			fmt.Fprintf(w, " %s\n", r.Format(a.Family))
		}
	}
	return nil
}

func (s *Shell) clearCounters(cmd grammar.Command) error {
	if cmd.Name != "" {
		if _, ok := s.t.cfg.ACLs[cmd.Name]; !ok {
			return modelError{fmt.Errorf("access list %s does not exist", cmd.Name)}
		}
	}
	return nil
}
