package shell

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/enforcer"
	"github.com/aclsh/aclsh/grammar"
)

func (s *Shell) show(cmd grammar.Command) error {
	var b strings.Builder
	cfg := s.t.cfg
	note := ""
	switch cmd.Kind {
	case grammar.ShowRunning, grammar.WriteTerminal:
		text := cfg.Render()
		b.WriteString(text)
		// A comment: pasted back with the config, the line changes nothing.
		if note = s.unsaved(cfg, text); note != "" {
			note = "!" + note[1:]
		}
	case grammar.ShowStartup:
		text, err := s.opt.Store.Startup()
		if err != nil {
			return err
		}
		b.WriteString(text)
	case grammar.ShowACLs:
		if err := showACLs(&b, cfg, cmd, s.stats(cfg)); err != nil {
			return err
		}
		note = s.unsaved(cfg, cfg.Render())
	case grammar.ShowInterface:
		if cmd.Num != 0 {
			return fmt.Errorf("interface management %d does not exist; this host has management 0", cmd.Num)
		}
		s.showInterface(&b, cfg)
	}
	out, err := filter(cmd.Pipe, b.String())
	if err != nil {
		return err
	}
	io.WriteString(s.opt.Out, out)
	if note != "" {
		// After the output and whatever the pipe kept, on the error stream: a
		// script's output stays what the config is (`aclsh -c 'show
		// running-config' > FILE` can be replayed and compared).
		fmt.Fprintln(s.opt.Err, note)
	}
	return nil
}

// unsaved says when cfg (text: its rendering) differs from the startup-config,
// as a switch does: a config never saved differs too, unless it is empty. ""
// when they hold the same.
func (s *Shell) unsaved(cfg *acl.Config, text string) string {
	const hint = " (write memory to save)"
	saved, err := s.opt.Store.readFile(startupName)
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
	st, err := LoadConfig(saved)
	if err != nil {
		return "% running-config differs from startup-config, which does not load" + hint
	}
	if st.Equal(cfg) {
		return ""
	}
	return "% running-config differs from startup-config" + hint
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
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

func (s *Shell) showInterface(w io.Writer, cfg *acl.Config) {
	fmt.Fprintf(w, "Interface management 0 is Linux interface %s\n", orNone(s.opt.IfName))
	if ifc, err := net.InterfaceByName(s.opt.IfName); err != nil {
		fmt.Fprintf(w, " not found in this network namespace\n")
	} else {
		state := "down"
		if ifc.Flags&net.FlagUp != 0 {
			state = "up"
		}
		fmt.Fprintf(w, " state %s, hardware address %s, MTU %d\n", state, orNone(ifc.HardwareAddr.String()), ifc.MTU)
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			fmt.Fprintf(w, " address %s\n", a)
		}
	}
	fmt.Fprintf(w, " IPv4 access group in: %s\n", orNone(cfg.Mgmt.IPv4In))
	fmt.Fprintf(w, " IPv6 access group in: %s\n", orNone(cfg.Mgmt.IPv6In))
	if st := s.stats(cfg); st != nil {
		fmt.Fprintf(w, " kernel: %s\n", stateText(st.State))
	}
}

func stateText(st enforcer.State) string {
	switch st {
	case enforcer.Missing:
		return "table inet " + enforcer.Table + " is missing; the next commit restores it"
	case enforcer.Differs:
		return "table inet " + enforcer.Table + " differs from the running-config; the next commit restores it"
	case enforcer.Unknown:
		return "not readable (needs root)"
	}
	return "in sync with the running-config"
}

// topSources is how many sources a connlimit rule shows.
const topSources = 5

func showACLs(w io.Writer, cfg *acl.Config, cmd grammar.Command, st *enforcer.Stats) error {
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
		live := st != nil && where != "not bound" && st.State != enforcer.Unknown
		if live && st.State != enforcer.InSync {
			fmt.Fprintf(w, " %% kernel %s\n", stateText(st.State))
		}
		for _, r := range a.Entries() {
			line := r.Format(a.Family)
			key := fmt.Sprintf("%s/%d", a.Name, r.Seq)
			if live && !r.IsRemark() {
				var notes []string
				if n := st.Counters[key+"/m"].Packets; n > 0 {
					notes = append(notes, fmt.Sprintf("%d matches", n))
				}
				if n := st.Suppressed(key); r.Log && n > 0 {
					notes = append(notes, fmt.Sprintf("%d log lines suppressed", n))
				}
				if len(notes) > 0 {
					line += " (" + strings.Join(notes, ", ") + ")"
				}
			}
			fmt.Fprintf(w, " %s\n", line)
			if live && r.ConnLimit > 0 {
				writeSessions(w, r, st.Sessions[key], st.Counters[key+"/r"].Packets)
				if u, ok := st.Sources[key]; ok {
					writeSources(w, r, u)
				}
			}
		}
		if live {
			line := " implicit deny"
			if n := st.Counters[a.Name+"/deny/m"].Packets; n > 0 {
				line += fmt.Sprintf(" (%d matches)", n)
			}
			fmt.Fprintln(w, line)
		}
	}
	return nil
}

// writeSessions shows a connlimit rule's live sessions per source (the top few)
// against its limit, and how many connections the limit refused.
func writeSessions(w io.Writer, r acl.Rule, srcs []enforcer.SourceCount, refused uint64) {
	total := 0
	var top []string
	for i, sc := range srcs {
		total += sc.Count
		if i < topSources {
			src := sc.Src.String()
			if sc.Src.IsSingleIP() {
				src = sc.Src.Addr().String()
			}
			top = append(top, fmt.Sprintf("%s %d/%d", src, sc.Count, r.ConnLimit))
		}
	}
	if len(srcs) > topSources {
		top = append(top, fmt.Sprintf("and %d more sources", len(srcs)-topSources))
	}
	if len(top) == 0 {
		top = []string{"none"}
	}
	fmt.Fprintf(w, "    sessions: %s\n", strings.Join(top, ", "))
	if r.Action == acl.Permit {
		fmt.Fprintf(w, "    refused by the limit: %d\n", refused)
	}
}

// writeSources shows how many sources a connlimit rule's kernel set tracks
// against its size, with a warning from 90% on: when the set is full, sources
// not in it are not limited by the rule.
func writeSources(w io.Writer, r acl.Rule, u enforcer.SetUse) {
	what := "sources"
	if r.ConnMask != 0 {
		what = "source prefixes"
	}
	fmt.Fprintf(w, "    %s tracked: %d of %d (%d%%)", what, u.New, u.Size, u.Percent())
	if old := u.Used - u.New; old > 0 {
		fmt.Fprintf(w, ", and %d with sessions from before the rule, in sets of their own", old)
	}
	fmt.Fprintln(w)
	if !u.NearFull() {
		return
	}
	effect := "new sources are admitted without this limit"
	if r.Action == acl.Deny {
		effect = "this rule stops denying new sources"
	}
	hint := "raise `sources`"
	if r.ConnMask == 0 {
		hint += " or count per prefix with `mask /LEN`"
	}
	if u.Full() {
		fmt.Fprintf(w, "    %% the source set is full: %s until entries go; %s\n", effect, hint)
		return
	}
	fmt.Fprintf(w, "    %% the source set is %d%% full; when full, %s; %s\n", u.Percent(), effect, hint)
}

func (s *Shell) clearCounters(cmd grammar.Command) error {
	if cmd.Name != "" {
		a, ok := s.t.cfg.ACLs[cmd.Name]
		if !ok {
			return fmt.Errorf("access list %s does not exist", cmd.Name)
		}
		if cmd.FamilyGiven && a.Family != cmd.Family {
			return fmt.Errorf("%s is an %s access list, not %s; use `clear %s access-list counters %s`",
				cmd.Name, a.Family.Name(), cmd.Family.Name(), a.Family, cmd.Name)
		}
	} else if cmd.FamilyGiven {
		// The lists of one family: only its bound list has counters in the kernel.
		if cmd.Name = s.t.cfg.Mgmt.Get(cmd.Family); cmd.Name == "" {
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
	if err := s.opt.Enforcer.ClearCounters(s.t.cfg, cmd.Name); err != nil {
		return fmt.Errorf("clearing counters: %w", err)
	}
	return nil
}
