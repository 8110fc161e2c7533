package shell

import (
	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/cli"
	"github.com/aclsh/aclsh/enforcer"
)

// startupText returns the startup-config text: in a script after write memory,
// what the script saves when it commits (its config at the write memory).
func (s *Shell) startupText() (string, error) {
	if s.save != nil {
		return s.save.cfg.Render(), nil
	}
	return s.opt.Store.StartupText()
}

// stats reads the kernel's counters and sessions; nil without an enforcer or when
// nothing is bound.
func (s *Shell) stats(cfg *acl.Config) *enforcer.Stats {
	if s.opt.Enforcer == nil || s.opt.CheckOnly {
		return nil
	}
	st, err := s.opt.Enforcer.Stats(cfg)
	if err != nil {
		return &enforcer.Stats{State: enforcer.Unknown}
	}
	if len(s.ops) > 0 && st.State != enforcer.Unknown {
		// A script's changes are applied at its end: the kernel is not expected to
		// have them yet.
		st.State = enforcer.InSync
	}
	return st
}

func (s *Shell) clearCounters(cmd cli.Select) error {
	if cmd.Name != "" {
		if _, err := cli.NamedLists(s.t.Cfg, cmd, "clear %s access-list counters %s"); err != nil {
			return err
		}
	} else if cmd.FamilyGiven {
		// The lists of one family: only its bound list has counters in the kernel.
		if cmd.Name = s.t.Cfg.Bound.Get(acl.Inbound(cmd.Family)); cmd.Name == "" {
			return nil
		}
	}
	return s.tgt.clearCounters(cmd.Name)
}

// restoreKernel makes the kernel enforce the running-config again, as it is, under
// the state lock (copy running-config kernel): after `nft flush ruleset` or a
// change by hand, the table is rebuilt or mended and the live sessions counted
// again, as on a first apply. The running-config is not changed. In a script it
// happens when the script commits.
func (s *Shell) restoreKernel() error {
	return s.tgt.restoreKernel()
}
