package shell

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/cli"
	"github.com/aclsh/aclsh/config"
	"github.com/aclsh/aclsh/enforcer"
	"github.com/aclsh/aclsh/grammar"
	"github.com/aclsh/aclsh/internal/follower"
	"github.com/aclsh/aclsh/view"
)

// unsaved says when cfg (text: its rendering) differs from the startup-config,
// as a switch does: a config never saved differs too, unless it is empty. ""
// when they hold the same.
func (s *Shell) unsaved(cfg *acl.Config, text string) string {
	const hint = " (write memory to save)"
	saved, err := s.startupText()
	switch {
	case errors.Is(err, os.ErrNotExist):
		if cfg.Equal(acl.NewConfig()) {
			return ""
		}
		return "% running-config differs from startup-config, which is not present" + hint
	case err != nil:
		return "% startup-config cannot be read: " + err.Error()
	case saved == text:
		return "" // written by write memory: the canonical text
	}
	st, err := cli.LoadConfig(saved)
	if err != nil {
		return "% running-config differs from startup-config, which does not load" + hint
	}
	if st.Equal(cfg) {
		return ""
	}
	return "% running-config differs from startup-config" + hint
}

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

func (s *Shell) interfaceView(cmd grammar.Command) (view.View, error) {
	if cmd.Num != 0 {
		return nil, fmt.Errorf("interface management %d does not exist; this host has management 0", cmd.Num)
	}
	cfg := s.t.Cfg
	v := &view.Interface{Interface: "management 0", LinuxInterface: s.opt.IfName, Addresses: []string{},
		IPv4AccessGroup: cfg.Mgmt.IPv4In, IPv6AccessGroup: cfg.Mgmt.IPv6In}
	if ifc, err := net.InterfaceByName(s.opt.IfName); err == nil {
		v.Found, v.State = true, "down"
		if ifc.Flags&net.FlagUp != 0 {
			v.State = "up"
		}
		v.HardwareAddress, v.MTU = ifc.HardwareAddr.String(), ifc.MTU
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			v.Addresses = append(v.Addresses, a.String())
		}
	}
	if st := s.stats(cfg); st != nil {
		v.Kernel, v.KernelText = view.StateName(st.State), view.StateText(st.State)
	}
	return v, nil
}

func (s *Shell) aclsView(cmd grammar.Command) (view.View, error) {
	cfg := s.t.Cfg
	v, err := aclsOf(cfg, cmd, s.stats(cfg))
	if err != nil {
		return nil, err
	}
	v.NoteText = s.unsaved(cfg, cfg.Render())
	v.Note = strings.TrimPrefix(v.NoteText, "% ")
	if m, ok := follower.ReadMends(s.opt.Store.Dir); ok && s.opt.InDaemon {
		v.TableMended = &view.Mended{Count: m.Count, Last: m.Last, Cause: m.Cause, LastShown: config.ShowTime(m.Last)}
	}
	if s.opt.InDaemon {
		// The daemon keeps the counts of every bound connlimit line exact.
		for i := range v.AccessLists {
			a := &v.AccessLists[i]
			if len(a.BoundTo) > 0 && hasConnLimit(cfg.ACLs[a.Name]) {
				a.Counts = "exact"
			}
		}
	}
	return v, nil
}

func hasConnLimit(a *acl.ACL) bool {
	for _, r := range a.Entries() {
		if r.ConnLimit > 0 {
			return true
		}
	}
	return false
}

// aclsOf is the view of the lists a show command selects.
func aclsOf(cfg *acl.Config, cmd grammar.Command, st *enforcer.Stats) (*view.ACLs, error) {
	lists, err := namedLists(cfg, cmd, "show %s access-lists %s")
	if err != nil {
		return nil, err
	}
	return view.ACLsOf(cfg, lists, st), nil
}

// namedLists returns the lists a show command selects, in name order: the one it
// names, else every list of the family it gives, else all. A name that does not
// exist is an error; so is a list of the other family than the command gives,
// naming the command that works (use: the command, %s for ip or ipv6 and %s for
// the name).
func namedLists(cfg *acl.Config, cmd grammar.Command, use string) ([]*acl.ACL, error) {
	if cmd.Name != "" {
		a, ok := cfg.ACLs[cmd.Name]
		switch {
		case !ok && cmd.FamilyGiven:
			return nil, fmt.Errorf("%s access list %s does not exist", cmd.Family.Name(), cmd.Name)
		case !ok:
			return nil, fmt.Errorf("access list %s does not exist", cmd.Name)
		case cmd.FamilyGiven && a.Family != cmd.Family:
			return nil, fmt.Errorf("%s is an %s access list, not %s; use `"+use+"`",
				cmd.Name, a.Family.Name(), cmd.Family.Name(), a.Family, cmd.Name)
		}
		return []*acl.ACL{a}, nil
	}
	var out []*acl.ACL
	for _, n := range cfg.Names() {
		if a := cfg.ACLs[n]; !cmd.FamilyGiven || a.Family == cmd.Family {
			out = append(out, a)
		}
	}
	return out, nil
}

func (s *Shell) summaryView(cmd grammar.Command) (view.View, error) {
	cfg := s.t.Cfg
	all, err := aclsOf(cfg, cmd, s.stats(cfg))
	if err != nil {
		return nil, err
	}
	v := &view.Summary{AccessLists: []view.SummaryRow{}}
	for _, a := range all.AccessLists {
		l := view.SummaryRow{Name: a.Name, Family: a.Family, BoundTo: a.BoundTo}
		for _, e := range a.Entries {
			if e.Action == "remark" {
				l.Remarks++
				continue
			}
			l.Lines++
		}
		if a.ImplicitDenyMatches != nil {
			n := *a.ImplicitDenyMatches
			if a.ImplicitPermit != nil {
				n += a.ImplicitPermit.Matches
			}
			for _, e := range a.Entries {
				if e.Matches != nil {
					n += *e.Matches
				}
			}
			l.Matches = &n
		}
		v.AccessLists = append(v.AccessLists, l)
	}
	return v, nil
}

func (s *Shell) clearCounters(cmd grammar.Command) error {
	if cmd.Name != "" {
		if _, err := namedLists(s.t.Cfg, cmd, "clear %s access-list counters %s"); err != nil {
			return err
		}
	} else if cmd.FamilyGiven {
		// The lists of one family: only its bound list has counters in the kernel.
		if cmd.Name = s.t.Cfg.Mgmt.Get(cmd.Family); cmd.Name == "" {
			return nil
		}
	}
	if s.opt.Enforcer == nil || s.opt.CheckOnly {
		return nil
	}
	if !s.opt.Interactive {
		// A script changes the kernel only when it commits, all or nothing.
		s.clears = append(s.clears, cmd.Name)
		return nil
	}
	if err := s.opt.Enforcer.ClearCounters(s.t.Cfg, cmd.Name); err != nil {
		return fmt.Errorf("clearing counters: %w", err)
	}
	return nil
}

// restoreKernel makes the kernel enforce the running-config again, as it is, under
// the state lock (copy running-config kernel): after `nft flush ruleset` or a
// change by hand, the table is rebuilt or mended and the live sessions counted
// again, as on a first apply. The running-config is not changed. In a script it
// happens when the script commits.
func (s *Shell) restoreKernel() error {
	if s.opt.Enforcer == nil || s.opt.CheckOnly {
		return nil
	}
	if !s.opt.Interactive {
		s.kern = true
		return nil
	}
	if err := s.opt.Store.View(s.enforcer()); err != nil {
		return err
	}
	fmt.Fprintln(s.opt.Out, "[OK] the kernel enforces the running-config")
	return nil
}
