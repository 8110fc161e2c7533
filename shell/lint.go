package shell

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/cli"
	"github.com/aclsh/aclsh/enforcer"
	"github.com/aclsh/aclsh/grammar"
	"github.com/aclsh/aclsh/view"
)

// Packet trace (`test access-list`) and lint (`show access-lists [NAME] lint`,
// `aclsh --check --lint`): the analysis is acl.Trace and acl.Lint, on the model
// alone; here the shell picks the list, adds what it knows of the host (the
// management addresses, sshd's port, live session counts) and renders the
// results as text.

// TestACL runs test access-list (cli.TestACL).
func (e env) TestACL(c cli.TestACL) error {
	if err := e.s.needConfig(); err != nil {
		return err
	}
	return e.s.testACL(c)
}

// Lint runs show access-lists lint (cli.Lint).
func (e env) Lint(c cli.Lint) error {
	if err := e.s.needConfig(); err != nil {
		return err
	}
	return e.s.lintACLs(c)
}

// output writes a result of the lint commands as show does: the view's text
// through the output modifiers, or with `| json` the view as JSON.
func (s *Shell) output(pipe grammar.Pipe, v view.View) error {
	out, _, err := view.Render(v, pipe)
	if err != nil {
		return err
	}
	_, err = io.WriteString(s.opt.Out, out)
	return err
}

// traceView is what test access-list shows: the trace of the packet through a
// list, and whether the list is the one bound for the packet's family. With no
// list named and none bound, nothing filters the packet.
type traceView struct {
	List   string        `json:"list"` // "" when no list is bound
	Family string        `json:"family"`
	Bound  bool          `json:"bound"` // the list is bound to management 0 in
	Packet acl.Example   `json:"packet"`
	Steps  []acl.Step    `json:"steps"`
	Result []acl.Outcome `json:"result"`
	Now    *acl.Outcome  `json:"now,omitempty"`
	Notes  []string      `json:"notes,omitempty"`
	// OtherTablesCanDrop, when the result permits and the list is the bound one
	// (or none is bound): the base chains of other nftables tables that can
	// drop the packet whatever aclsh permits.
	OtherTablesCanDrop []view.OtherChain `json:"other_tables_can_drop,omitempty"`
	named              bool              // the operator named the list
	f                  acl.Family
}

func (v *traceView) WriteText(w io.Writer) {
	defer func() {
		if len(v.OtherTablesCanDrop) > 0 {
			what := "this list"
			if v.List == "" {
				what = "aclsh"
			}
			fmt.Fprintf(w, "%% %s\n", view.OthersWarning(what, v.OtherTablesCanDrop))
		}
	}()
	if v.List == "" {
		fmt.Fprintf(w, "no %s access list is bound to interface management 0\nresult: permit (nothing filters %s on management 0)\n", v.f.Name(), v.f.Name())
		writeNotes(w, v.Notes)
		return
	}
	if !v.named {
		fmt.Fprintf(w, "%s access list %s, bound to interface management 0 in\n", v.f.Name(), v.List)
	}
	writeTrace(w, &acl.Trace{List: v.List, Packet: v.Packet, Steps: v.Steps, Result: v.Result, Now: v.Now, Notes: v.Notes})
}

// permits reports whether an outcome of the trace (now or once a limit is
// reached) permits the packet.
func (v *traceView) permits() bool {
	for _, o := range v.Result {
		if o.Action == "permit" {
			return true
		}
	}
	return false
}

func (s *Shell) testACL(cmd cli.TestACL) error {
	cfg := s.t.Cfg
	f := cmd.Family
	name := cmd.Name
	v := &traceView{Family: view.FamilyName(f), f: f, named: name != "", Packet: acl.Example{Family: f, Packet: cmd.Packet}, Steps: []acl.Step{},
		Notes: acl.MappedNotes(cmd.Packet)}
	// The kernel is read once, when needed: live session counts of a bound
	// list, other tables that can drop what it permits.
	var st *enforcer.Stats
	read := false
	stats := func() *enforcer.Stats {
		if !read {
			st, read = s.stats(cfg), true
		}
		return st
	}
	if name == "" {
		name = cfg.Bound.Get(acl.Inbound(f))
		if name == "" {
			v.Result = []acl.Outcome{{Action: "permit", By: "no list bound"}}
			v.OtherTablesCanDrop = view.OthersOf(stats(), f)
			return s.output(cmd.Pipe, v)
		}
	}
	a, ok := cfg.ACLs[name]
	if !ok {
		return fmt.Errorf("access list %s does not exist", name)
	}
	if a.Family != f {
		return fmt.Errorf("%s is an %s access list; the packet is %s", name, a.Family.Name(), f.Name())
	}
	t := a.Trace(cmd.Packet, s.liveCounts(cfg, a, cmd.Packet, stats))
	v.List, v.Bound = t.List, cfg.Bound.Get(acl.Inbound(f)) == name
	v.Steps, v.Result, v.Now = t.Steps, t.Result, t.Now
	if v.Bound && v.permits() {
		v.OtherTablesCanDrop = view.OthersOf(stats(), f)
	}
	return s.output(cmd.Pipe, v)
}

// liveCounts returns the live connections the packet's source has on each
// connlimit line of a bound list, from the enforcer (stats reads it); nil when
// it cannot tell (no enforcer, a list not bound, a kernel not in step with the
// config).
func (s *Shell) liveCounts(cfg *acl.Config, a *acl.ACL, p acl.Packet, stats func() *enforcer.Stats) func(acl.Rule) (int, bool) {
	if cfg.Bound.Get(acl.Inbound(a.Family)) != a.Name || len(s.ops) > 0 {
		return nil
	}
	st := stats()
	if st == nil || st.State != enforcer.InSync {
		return nil
	}
	return func(r acl.Rule) (int, bool) {
		n := 0
		for _, sc := range st.Sessions[enforcer.Line(a.Name, r.Seq)] {
			if sc.Src.Contains(p.Src) {
				n += sc.Count
			}
		}
		return n, true
	}
}

// writeTrace renders a trace as an operator reads it.
func writeTrace(w io.Writer, t *acl.Trace) {
	for _, st := range t.Steps {
		if st.Skipped > 0 {
			fmt.Fprintf(w, " (%s)\n", st.Reason)
			continue
		}
		fmt.Fprintf(w, " %s\n   %s\n", st.Line, st.Reason)
	}
	fmt.Fprintf(w, "result: %s\n", resultText(t.Result))
	if t.Now != nil {
		fmt.Fprintf(w, "now: %s\n", outcomeName(*t.Now))
	}
	writeNotes(w, t.Notes)
}

func writeNotes(w io.Writer, notes []string) {
	for _, n := range notes {
		fmt.Fprintf(w, "%% Note: %s\n", n)
	}
}

func outcomeName(o acl.Outcome) string {
	if o.By == "implicit" && o.Action == "permit" {
		return "permit (implicit: neighbour discovery)"
	}
	return o.Action + " (" + o.By + ")"
}

// resultText renders the outcomes of a trace in order: "permit (seq 10), then
// deny (implicit) once the limit is reached".
func resultText(res []acl.Outcome) string {
	conds := 0
	for _, o := range res {
		if o.When == "under_limit" || o.When == "at_limit" {
			conds++
		}
	}
	var b strings.Builder
	for i, o := range res {
		name := outcomeName(o)
		switch o.When {
		case "at_limit":
			name += fmt.Sprintf(" from the %s connection on", ordinal(int(o.Limit)))
		}
		if i == 0 {
			b.WriteString(name)
			continue
		}
		switch prev := res[i-1]; prev.When {
		case "under_limit":
			limit := "the limit"
			if conds > 1 {
				limit = "the limit of " + prev.By
			}
			fmt.Fprintf(&b, ", then %s once %s is reached", name, limit)
		case "at_limit":
			fmt.Fprintf(&b, "; below that, %s", name)
		default:
			fmt.Fprintf(&b, ", else %s", name)
		}
	}
	return b.String()
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(n) + suffix
}

// lintOptions are what lint needs of the host: the management interface's
// addresses (none known: any address) and sshd's port (the operator's
// connection's, else 22).
func (s *Shell) lintOptions() acl.LintOptions {
	var o acl.LintOptions
	if s.mgmtAddrs != nil {
		o.Mgmt = s.mgmtAddrs()
	} else if ifc, err := net.InterfaceByName(s.opt.IfName); err == nil {
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(n.IP); ok && !ip.Unmap().IsLinkLocalUnicast() {
					o.Mgmt = append(o.Mgmt, ip.Unmap())
				}
			}
		}
	}
	if op, ok := ParseSSHConnection(s.opt.SSHConnection); ok {
		o.SSHPort = op.Server.Port()
	}
	return o
}

// lintACLs runs show access-lists [NAME] lint [detail].
func (s *Shell) lintACLs(cmd cli.Lint) error {
	cfg := s.t.Cfg
	lists, err := cli.NamedLists(cfg, cmd.Select, "show %s access-lists %s lint")
	if err != nil {
		return err
	}
	o := s.lintOptions()
	v := &lintView{AccessLists: []lintListJSON{}, detail: cmd.Detail, cfg: cfg}
	for _, a := range lists {
		rep := a.Lint(o)
		l := lintListJSON{Name: a.Name, Family: view.FamilyName(a.Family), BoundTo: []string{}, Errors: rep.Count(acl.SevError),
			Warnings: rep.Count(acl.SevWarning), Infos: rep.Count(acl.SevInfo), Findings: rep.Findings, Lines: rep.Lines, list: a, rep: rep}
		if bt := cfg.BoundTo(a.Name); bt != "" {
			l.BoundTo = append(l.BoundTo, bt)
		}
		v.AccessLists = append(v.AccessLists, l)
	}
	return s.output(cmd.Pipe, v)
}

// lintView is what show access-lists lint shows: per list, its findings and
// every line's reachability (in the text with detail only).
type lintView struct {
	AccessLists []lintListJSON `json:"access_lists"`
	detail      bool
	cfg         *acl.Config
}

type lintListJSON struct {
	Name     string        `json:"name"`
	Family   string        `json:"family"`
	BoundTo  []string      `json:"bound_to"`
	Errors   int           `json:"errors"`
	Warnings int           `json:"warnings"`
	Infos    int           `json:"infos"`
	Findings []acl.Finding `json:"findings"`
	Lines    []acl.Reach   `json:"lines"`
	list     *acl.ACL
	rep      *acl.Report
}

func (v *lintView) WriteText(w io.Writer) {
	for _, l := range v.AccessLists {
		writeReport(w, v.cfg, l.list, l.rep, v.detail)
	}
}

// counted renders how many findings of each severity a report has: "1 error,
// 2 warnings", "no findings".
func counted(rep *acl.Report) string {
	var parts []string
	for _, sv := range []acl.Severity{acl.SevError, acl.SevWarning, acl.SevInfo} {
		if n := rep.Count(sv); n > 0 {
			w := sv.String()
			if n > 1 {
				w += "s"
			}
			parts = append(parts, fmt.Sprintf("%d %s", n, w))
		}
	}
	if len(parts) == 0 {
		return "no findings"
	}
	return strings.Join(parts, ", ")
}

// writeReport renders one list's lint: the lines with findings (every line with
// detail, and whether it is reachable), then the findings about the list.
func writeReport(w io.Writer, cfg *acl.Config, a *acl.ACL, rep *acl.Report, detail bool) {
	where := "not bound"
	if bt := cfg.BoundTo(a.Name); bt != "" {
		where = "bound to interface " + bt
	}
	fmt.Fprintf(w, "%s access list %s, %s: %s\n", a.Family.Name(), a.Name, where, counted(rep))
	bySeq := map[acl.Seq][]acl.Finding{}
	for _, f := range rep.Findings {
		bySeq[f.Seq] = append(bySeq[f.Seq], f)
	}
	reach := map[acl.Seq]acl.Reach{}
	for _, r := range rep.Lines {
		reach[r.Seq] = r
	}
	for _, r := range a.Entries() {
		fs := bySeq[r.Seq]
		if r.IsRemark() || len(fs) == 0 && !detail {
			continue
		}
		fmt.Fprintf(w, " %s\n", r.Format(a.Family))
		if detail {
			switch l := reach[r.Seq]; {
			case l.Witness != nil:
				fmt.Fprintf(w, "   reachable: test access-list %s %s\n", a.Name, l.Witness)
			case !l.Reachable && len(l.CoveredBy) == 0:
				fmt.Fprintf(w, "   unreachable: matches no packet\n")
			case !l.Reachable:
				fmt.Fprintf(w, "   unreachable: decided by %s\n", seqs(l.CoveredBy))
			}
		}
		for _, f := range fs {
			fmt.Fprintf(w, "   %% %s: %s\n", f.Severity, f.Reason)
		}
	}
	for _, f := range bySeq[0] {
		fmt.Fprintf(w, " %% %s: %s\n", f.Severity, f.Reason)
	}
}

func seqs(s []acl.Seq) string {
	out := make([]string, len(s))
	for i, q := range s {
		out[i] = "seq " + strconv.FormatUint(uint64(q), 10)
	}
	return strings.Join(out, ", ")
}

// origin is where a script wrote a line: its number and text.
type origin struct {
	n    int
	text string
}

type ruleOrigin struct {
	list string
	body string
}

// noteOrigin records, for --check --lint, the script line that entered, bound
// or changed a list, and that added each rule.
func (s *Shell) noteOrigin(cmd grammar.Command, list string, ok bool) {
	if !s.opt.Lint || s.lineNo == 0 {
		return
	}
	if s.lists == nil {
		s.lists, s.rules = map[string]origin{}, map[ruleOrigin]origin{}
	}
	here := origin{s.lineNo, s.lineText}
	entered := false
	switch c := cli.Of(cmd, list).(type) {
	case cli.EnterACL:
		list, entered = c.Name, true
	case cli.Bind:
		list = c.Name
	case cli.AddRule:
		if ok && !c.Rule.IsRemark() {
			s.rules[ruleOrigin{c.List, c.Rule.Body(c.Family)}] = here
		}
	}
	if !ok && !entered || list == "" {
		return
	}
	if _, seen := s.lists[list]; !seen {
		s.lists[list] = here
	}
}

// LintScript lints the lists a script (run with Options.Lint) created, changed
// or bound, as the script left them, and prints each finding in the script
// error format: `NAME:N: line` (the line that added the rule, or that entered
// the list), then the finding. It returns how many findings are errors.
func (s *Shell) LintScript(name string) int {
	if s.t.Cfg == nil || len(s.lists) == 0 {
		return 0
	}
	o := s.lintOptions()
	errs := 0
	for _, n := range s.t.Cfg.Names() {
		at, touched := s.lists[n]
		a := s.t.Cfg.ACLs[n]
		if !touched {
			continue
		}
		rep := a.Lint(o)
		for _, f := range rep.Findings {
			where := fmt.Sprintf("%s:%d: %s", name, at.n, at.text)
			what := "access list " + a.Name
			if f.Seq != 0 {
				what += fmt.Sprintf(" seq %d", f.Seq)
				var r acl.Rule
				for _, e := range a.Entries() {
					if e.Seq == f.Seq {
						r = e
					}
				}
				if src, ok := s.rules[ruleOrigin{a.Name, r.Body(a.Family)}]; ok {
					where = fmt.Sprintf("%s:%d: %s", name, src.n, src.text)
				} else {
					where = "running-config: " + f.Line
				}
			}
			if f.Severity == acl.SevError {
				errs++
			}
			fmt.Fprintf(s.opt.Err, "%s\n%% Lint %s: %s: %s\n", where, f.Severity, what, f.Reason)
		}
	}
	return errs
}
