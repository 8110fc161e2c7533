package shell

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/aclsh/aclsh/acl"
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
	st, err := LoadConfig(saved)
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
	return s.opt.Store.readFile(startupName)
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

// interfaceView is show interface management 0.
type interfaceView struct {
	Interface       string   `json:"interface"`       // "management 0"
	LinuxInterface  string   `json:"linux_interface"` // "" when not known
	Found           bool     `json:"found"`           // the Linux interface exists in this network namespace
	State           string   `json:"state,omitempty"` // up or down
	HardwareAddress string   `json:"hardware_address,omitempty"`
	MTU             int      `json:"mtu,omitempty"`
	Addresses       []string `json:"addresses"`
	IPv4AccessGroup string   `json:"ipv4_access_group_in"` // "" when none
	IPv6AccessGroup string   `json:"ipv6_access_group_in"`
	Kernel          string   `json:"kernel,omitempty"` // in_sync, missing, differs or unknown; "" without an enforcer
	KernelText      string   `json:"kernel_text,omitempty"`
}

func (v *interfaceView) WriteText(w io.Writer) {
	fmt.Fprintf(w, "Interface %s is Linux interface %s\n", v.Interface, orNone(v.LinuxInterface))
	if !v.Found {
		fmt.Fprintf(w, " not found in this network namespace\n")
	} else {
		fmt.Fprintf(w, " state %s, hardware address %s, MTU %d\n", v.State, orNone(v.HardwareAddress), v.MTU)
		for _, a := range v.Addresses {
			fmt.Fprintf(w, " address %s\n", a)
		}
	}
	fmt.Fprintf(w, " IPv4 access group in: %s\n", orNone(v.IPv4AccessGroup))
	fmt.Fprintf(w, " IPv6 access group in: %s\n", orNone(v.IPv6AccessGroup))
	if v.Kernel != "" {
		fmt.Fprintf(w, " kernel: %s\n", v.KernelText)
	}
}

func (s *Shell) interfaceView(cmd grammar.Command) (view.View, error) {
	if cmd.Num != 0 {
		return nil, fmt.Errorf("interface management %d does not exist; this host has management 0", cmd.Num)
	}
	cfg := s.t.cfg
	v := &interfaceView{Interface: "management 0", LinuxInterface: s.opt.IfName, Addresses: []string{},
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
		v.Kernel, v.KernelText = stateName(st.State), stateText(st.State)
	}
	return v, nil
}

// stateName is a kernel state as JSON names it.
func stateName(st enforcer.State) string {
	switch st {
	case enforcer.Missing:
		return "missing"
	case enforcer.Differs:
		return "differs"
	case enforcer.Unknown:
		return "unknown"
	}
	return "in_sync"
}

func stateText(st enforcer.State) string {
	switch st {
	case enforcer.Missing:
		return "table inet " + enforcer.Table + " is missing; copy running-config kernel restores it"
	case enforcer.Differs:
		return "table inet " + enforcer.Table + " differs from the running-config; copy running-config kernel restores it"
	case enforcer.Unknown:
		return "not readable (needs root)"
	}
	return "in sync with the running-config"
}

// topSources is how many sources a connlimit rule shows in the text (JSON has
// them all).
const topSources = 5

// aclsView is show [ip|ipv6] access-lists [NAME].
type aclsView struct {
	AccessLists []aclView `json:"access_lists"`
	// TableMended: how often aclsh follow put table inet aclsh back after another
	// program deleted or changed it, and when last.
	TableMended *mendedJSON `json:"table_mended,omitempty"`
	Note        string      `json:"note,omitempty"` // the running-config differs from the startup-config
	noteLine    string      // Note as the text shows it
}

// aclView is one access list with what the kernel counted. Counter fields are
// present only when the list is bound and the kernel could be read.
type aclView struct {
	Name    string   `json:"name"`
	Family  string   `json:"family"`
	BoundTo []string `json:"bound_to"`         // "management 0 in"; empty when not bound
	Kernel  string   `json:"kernel,omitempty"` // missing, differs: the kernel does not enforce this config as shown
	// Counts, for a bound list with connlimit lines when the shell can tell:
	// "exact" while aclsh follow keeps them so, else "not_exact" (CountsWhy).
	Counts    string `json:"counts,omitempty"`
	CountsWhy string `json:"counts_why,omitempty"`
	// OtherTablesCanDrop, for a bound list: the base chains of other nftables
	// tables that can drop packets of its family arriving on management 0,
	// whatever the list permits.
	OtherTablesCanDrop []otherChainJSON `json:"other_tables_can_drop,omitempty"`
	Entries            []entryView      `json:"entries"`
	// ImplicitPermit (IPv6 lists): the neighbour discovery types permitted after
	// the lines, before the implicit deny (acl.ImplicitICMPv6).
	ImplicitPermit *implicitJSON `json:"implicit_permit,omitempty"`
	// ImplicitDenyMatches: packets no line matched (dropped).
	ImplicitDenyMatches *uint64 `json:"implicit_deny_matches,omitempty"`

	family     acl.Family
	kernelText string
}

type entryView struct {
	entryJSON
	Matches             *uint64       `json:"matches,omitempty"`
	LogLinesSuppressed  *uint64       `json:"log_lines_suppressed,omitempty"` // lines with log: matches the interval kept out of the log
	Sessions            []sessionJSON `json:"sessions,omitempty"`             // connlimit lines: live sessions per source, most first
	RefusedByLimit      *uint64       `json:"refused_by_limit,omitempty"`     // permit connlimit lines
	SourcesTracked      *trackedJSON  `json:"sources_tracked,omitempty"`      // connlimit lines
	SourceSetWarning    string        `json:"source_set_warning,omitempty"`
	connlimit, perPrefx bool
}

type mendedJSON struct {
	Count int       `json:"count"`
	Last  time.Time `json:"last"`
	Cause string    `json:"cause"` // "deleted by nft (pid 1234)"
}

type implicitJSON struct {
	Text    string `json:"text"` // icmp any any router-advertisement, nd-ns, nd-na
	Matches uint64 `json:"matches"`
}

type sessionJSON struct {
	Source string `json:"source"` // an address, or a prefix for a line with mask
	Count  int    `json:"count"`
	Limit  int    `json:"limit"`
}

type trackedJSON struct {
	Tracked int `json:"tracked"` // sources in the set new sources go to
	Size    int `json:"size"`
	Percent int `json:"percent"`
	// BeforeRule: sources with sessions from before the rule, in sets of their own.
	BeforeRule int `json:"before_rule"`
}

func (v *aclsView) WriteText(w io.Writer) {
	defer func() {
		if m := v.TableMended; m != nil {
			times := "once"
			if m.Count > 1 {
				times = fmt.Sprintf("%d times", m.Count)
			}
			fmt.Fprintf(w, "%% aclsh follow put table inet %s back %s after another program deleted or changed it; last at %s (%s)\n",
				enforcer.Table, times, showTime(m.Last), m.Cause)
		}
	}()
	for _, a := range v.AccessLists {
		where := "not bound"
		if len(a.BoundTo) > 0 {
			where = "bound to interface " + strings.Join(a.BoundTo, ", ")
		}
		fmt.Fprintf(w, "%s access list %s, %s\n", a.family.Name(), a.Name, where)
		if a.kernelText != "" {
			fmt.Fprintf(w, " %% kernel %s\n", a.kernelText)
		}
		if len(a.OtherTablesCanDrop) > 0 {
			fmt.Fprintf(w, " %% %s\n", othersWarning("this list", a.OtherTablesCanDrop))
		}
		if a.CountsWhy != "" {
			fmt.Fprintf(w, " %% connection counts are not kept exact: %s; a slot held by a session from before the bind stays taken up to %v after the session ends (the next commit starts it; on an installed host: systemctl enable --now aclsh-follow)\n",
				a.CountsWhy, enforcer.PreTimeout)
		}
		for _, e := range a.Entries {
			e.WriteText(w)
		}
		if p := a.ImplicitPermit; p != nil {
			line := " implicit permit " + p.Text
			if p.Matches > 0 {
				line += " (" + matchesText(p.Matches) + ")"
			}
			fmt.Fprintln(w, line)
		}
		if a.ImplicitDenyMatches != nil {
			line := " implicit deny"
			if n := *a.ImplicitDenyMatches; n > 0 {
				line += " (" + matchesText(n) + ")"
			}
			fmt.Fprintln(w, line)
		}
	}
}

func (v *aclsView) NoteLine() string { return v.noteLine }

// suppressedText is `1 log line suppressed`, `N log lines suppressed`.
func suppressedText(n uint64) string {
	if n == 1 {
		return "1 log line suppressed"
	}
	return fmt.Sprintf("%d log lines suppressed", n)
}

// writeText writes a line and, indented under it, aclsh's lines about it.
func (e *entryView) WriteText(w io.Writer) {
	line := e.Text
	var notes []string
	if e.Matches != nil && *e.Matches > 0 {
		notes = append(notes, matchesText(*e.Matches))
	}
	if e.LogLinesSuppressed != nil && *e.LogLinesSuppressed > 0 {
		notes = append(notes, suppressedText(*e.LogLinesSuppressed))
	}
	if len(notes) > 0 {
		line += " (" + strings.Join(notes, ", ") + ")"
	}
	fmt.Fprintf(w, " %s\n", line)
	if !e.connlimit {
		return
	}
	var top []string
	for i, sc := range e.Sessions {
		if i == topSources {
			top = append(top, fmt.Sprintf("and %d more sources", len(e.Sessions)-topSources))
			break
		}
		top = append(top, fmt.Sprintf("%s %d/%d", sc.Source, sc.Count, sc.Limit))
	}
	if len(top) == 0 {
		top = []string{"none"}
	}
	fmt.Fprintf(w, "    sessions: %s\n", strings.Join(top, ", "))
	if e.RefusedByLimit != nil {
		fmt.Fprintf(w, "    refused by the limit: %d\n", *e.RefusedByLimit)
	}
	if u := e.SourcesTracked; u != nil {
		what := "sources"
		if e.perPrefx {
			what = "source prefixes"
		}
		fmt.Fprintf(w, "    %s tracked: %d of %d (%d%%)", what, u.Tracked, u.Size, u.Percent)
		if u.BeforeRule > 0 {
			fmt.Fprintf(w, ", and %d with sessions from before the rule, in sets of their own", u.BeforeRule)
		}
		fmt.Fprintln(w)
	}
	if e.SourceSetWarning != "" {
		fmt.Fprintf(w, "    %% %s\n", e.SourceSetWarning)
	}
}

func (s *Shell) aclsView(cmd grammar.Command) (view.View, error) {
	cfg := s.t.cfg
	v, err := aclsOf(cfg, cmd, s.stats(cfg))
	if err != nil {
		return nil, err
	}
	v.noteLine = s.unsaved(cfg, cfg.Render())
	v.Note = strings.TrimPrefix(v.noteLine, "% ")
	if m, ok := follower.ReadMends(s.opt.Store.Dir); ok && s.opt.Follower != nil {
		v.TableMended = &mendedJSON{Count: m.Count, Last: m.Last, Cause: m.Cause}
	}
	if s.opt.Follower != nil && needsFollow(cfg) {
		why, _ := s.followProblem()
		for i := range v.AccessLists {
			a := &v.AccessLists[i]
			if len(a.BoundTo) == 0 || !hasConnLimit(cfg.ACLs[a.Name]) {
				continue
			}
			a.Counts, a.CountsWhy = "exact", why
			if why != "" {
				a.Counts = "not_exact"
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

func aclsOf(cfg *acl.Config, cmd grammar.Command, st *enforcer.Stats) (*aclsView, error) {
	lists, err := namedLists(cfg, cmd, "show %s access-lists %s")
	if err != nil {
		return nil, err
	}
	v := &aclsView{AccessLists: []aclView{}}
	for _, a := range lists {
		v.AccessLists = append(v.AccessLists, aclOf(cfg, a, st))
	}
	return v, nil
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

// aclOf is one list's view: its lines and, when it is bound and the kernel could
// be read, the kernel's counters and sessions for them.
func aclOf(cfg *acl.Config, a *acl.ACL, st *enforcer.Stats) aclView {
	v := aclView{Name: a.Name, Family: familyName(a.Family), BoundTo: []string{}, Entries: []entryView{}, family: a.Family}
	if b := cfg.BoundTo(a.Name); b != "" {
		v.BoundTo = append(v.BoundTo, b)
	}
	live := st != nil && len(v.BoundTo) > 0 && st.State != enforcer.Unknown
	if live && st.State != enforcer.InSync {
		v.Kernel, v.kernelText = stateName(st.State), stateText(st.State)
	}
	if len(v.BoundTo) > 0 {
		v.OtherTablesCanDrop = othersOf(st, a.Family)
	}
	u64 := func(n uint64) *uint64 { return &n }
	for _, r := range a.Entries() {
		e := entryView{entryJSON: entryOf(r, a.Family)}
		key := fmt.Sprintf("%s/%d", a.Name, r.Seq)
		if live && !r.IsRemark() {
			e.Matches = u64(st.Counters[key+"/m"].Packets)
			if r.Log {
				e.LogLinesSuppressed = u64(st.Suppressed(key))
			}
		}
		if live && r.ConnLimit > 0 {
			e.connlimit, e.perPrefx = true, r.ConnMask != 0
			e.Sessions = []sessionJSON{}
			for _, sc := range st.Sessions[key] {
				src := sc.Src.String()
				if sc.Src.IsSingleIP() {
					src = sc.Src.Addr().String()
				}
				e.Sessions = append(e.Sessions, sessionJSON{Source: src, Count: sc.Count, Limit: int(r.ConnLimit)})
			}
			if r.Action == acl.Permit {
				e.RefusedByLimit = u64(st.Counters[key+"/r"].Packets)
			}
			if u, ok := st.Sources[key]; ok {
				e.SourcesTracked = &trackedJSON{Tracked: u.New, Size: u.Size, Percent: u.Percent(), BeforeRule: max(u.Used-u.New, 0)}
				e.SourceSetWarning = sourceSetWarning(r, u)
			}
		}
		v.Entries = append(v.Entries, e)
	}
	if live && a.Family == acl.IPv6 {
		text := strings.TrimPrefix(acl.ImplicitICMPv6Line(), "implicit permit ")
		v.ImplicitPermit = &implicitJSON{Text: text, Matches: st.Counters[a.Name+"/nd/m"].Packets}
	}
	if live {
		v.ImplicitDenyMatches = u64(st.Counters[a.Name+"/deny/m"].Packets)
	}
	return v
}

// sourceSetWarning warns from 90% on about a connlimit rule's kernel set: when
// the set is full, sources not in it are not limited by the rule.
func sourceSetWarning(r acl.Rule, u enforcer.SetUse) string {
	if !u.NearFull() {
		return ""
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
		return fmt.Sprintf("the source set is full: %s until entries go; %s", effect, hint)
	}
	return fmt.Sprintf("the source set is %d%% full; when full, %s; %s", u.Percent(), effect, hint)
}

// summaryView is show access-lists summary: one row per list.
type summaryView struct {
	AccessLists []summaryJSON `json:"access_lists"`
}

type summaryJSON struct {
	Name    string   `json:"name"`
	Family  string   `json:"family"`
	Lines   int      `json:"lines"`   // permit and deny lines
	Remarks int      `json:"remarks"` // remark lines
	BoundTo []string `json:"bound_to"`
	// Matches: packets the list's lines and its implicit deny matched; absent
	// when the list is not bound or the kernel could not be read.
	Matches *uint64 `json:"matches,omitempty"`
}

func (v *summaryView) WriteText(w io.Writer) {
	if len(v.AccessLists) == 0 {
		return
	}
	var b strings.Builder
	rows := [][]string{{"Name", "Family", "Lines", "Bound", "Matches"}}
	for _, l := range v.AccessLists {
		where, matches := "not bound", "-"
		if len(l.BoundTo) > 0 {
			where = strings.Join(l.BoundTo, ", ")
		}
		if l.Matches != nil {
			matches = fmt.Sprint(*l.Matches)
		}
		rows = append(rows, []string{l.Name, strings.ToUpper(l.Family[:2]) + l.Family[2:], fmt.Sprint(l.Lines), where, matches})
	}
	table(&b, rows)
	io.WriteString(w, b.String())
}

func (s *Shell) summaryView(cmd grammar.Command) (view.View, error) {
	cfg := s.t.cfg
	all, err := aclsOf(cfg, cmd, s.stats(cfg))
	if err != nil {
		return nil, err
	}
	v := &summaryView{AccessLists: []summaryJSON{}}
	for _, a := range all.AccessLists {
		l := summaryJSON{Name: a.Name, Family: a.Family, BoundTo: a.BoundTo}
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
		if _, err := namedLists(s.t.cfg, cmd, "clear %s access-list counters %s"); err != nil {
			return err
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

// matchesText is a match count as IOS words it: "1 match", "5 matches".
func matchesText(n uint64) string {
	if n == 1 {
		return "1 match"
	}
	return fmt.Sprintf("%d matches", n)
}

// otherChainJSON is a base chain of another nftables table that can drop
// packets arriving on management 0 (enforcer.Dropper).
type otherChainJSON struct {
	Family     string `json:"family"` // inet, ip, ip6, netdev
	Table      string `json:"table"`
	Chain      string `json:"chain"`
	Hook       string `json:"hook"` // prerouting, input, ingress
	Priority   int32  `json:"priority"`
	PolicyDrop bool   `json:"policy_drop,omitempty"`
	Rule       int    `json:"rule,omitempty"`       // the position (from 1) of its first rule that can drop
	Via        string `json:"via,omitempty"`        // the chain that rule jumps or goes to, which can drop
	Unreadable bool   `json:"unreadable,omitempty"` // its rules could not be read
}

// othersOf returns the chains of other tables that can drop packets of family
// f (nil when there are none or st is nil).
func othersOf(st *enforcer.Stats, f acl.Family) []otherChainJSON {
	if st == nil {
		return nil
	}
	var out []otherChainJSON
	for _, d := range st.Others {
		if d.Applies(f) {
			out = append(out, otherChainJSON{Family: d.Family, Table: d.Table, Chain: d.Chain, Hook: d.Hook, Priority: d.Priority,
				PolicyDrop: d.Policy, Rule: d.Rule, Via: d.Via, Unreadable: d.Unread})
		}
	}
	return out
}

// othersShown is how many chains of other tables a warning names (JSON has
// them all).
const othersShown = 3

// othersWarning is the warning about chains of other tables that can drop what
// what (this list, aclsh) permits.
func othersWarning(what string, cs []otherChainJSON) string {
	var names []string
	for i, c := range cs {
		if i == othersShown {
			names = append(names, fmt.Sprintf("and %d more", len(cs)-othersShown))
			break
		}
		var how []string
		if c.Hook != "input" {
			how = append(how, "hook "+c.Hook)
		}
		switch {
		case c.PolicyDrop:
			how = append(how, "policy drop")
		case c.Unreadable:
			how = append(how, "rules not readable")
		case c.Via != "":
			how = append(how, fmt.Sprintf("rule %d jumps to chain %s, which can drop", c.Rule, c.Via))
		default:
			how = append(how, fmt.Sprintf("rule %d drops", c.Rule))
		}
		names = append(names, fmt.Sprintf("table %s %s chain %s (%s)", c.Family, c.Table, c.Chain, strings.Join(how, ", ")))
	}
	who := "another nftables table"
	if len(cs) > 1 {
		who = "other nftables tables"
	}
	return fmt.Sprintf("%s can drop what %s permits: %s; a drop in any base chain is final, whatever aclsh permits",
		who, what, strings.Join(names, ", "))
}
