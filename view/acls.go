package view

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/enforcer"
)

// lineBytes is about the length of a line of show access-lists with no counts
// (` seq 100000 deny ip host 11.1.134.159 any`, 43).
const lineBytes = 48

// topSources is how many sources a connlimit rule shows in the text (JSON has
// them all).
const topSources = 5

// ACLs is show [ip|ipv6] access-lists [NAME].
type ACLs struct {
	AccessLists []ACL `json:"access_lists"`
	// TableMended: how often aclsh follow put table inet aclsh back after another
	// program deleted or changed it, and when last.
	TableMended *Mended `json:"table_mended,omitempty"`
	Note        string  `json:"note,omitempty"` // the running-config differs from the startup-config
	NoteText    string  `json:"-"`              // Note as the text shows it
	// Dialect is how the text writes the lists (cli dialect); the JSON is the
	// same in every dialect.
	Dialect acl.Dialect `json:"-"`
}

// ACL is one access list with what the kernel counted. Counter fields are
// present only when the list is bound and the kernel could be read.
type ACL struct {
	Name   string `json:"name"`
	Family string `json:"family"`
	// Standard: a standard list (its lines match the source address only).
	Standard bool     `json:"standard,omitempty"`
	BoundTo  []string `json:"bound_to"`         // "management 0 in"; empty when not bound
	Kernel   string   `json:"kernel,omitempty"` // missing, differs: the kernel does not enforce this config as shown
	// Counts, for a bound list with connlimit lines shown by the daemon, which
	// keeps them so: "exact".
	Counts string `json:"counts,omitempty"`
	// OtherTablesCanDrop, for a bound list: the base chains of other nftables
	// tables that can drop packets of its family arriving on management 0,
	// whatever the list permits.
	OtherTablesCanDrop []OtherChain  `json:"other_tables_can_drop,omitempty"`
	Entries            []EntryCounts `json:"entries"`
	// ImplicitPermit (IPv6 lists): the neighbour discovery types permitted after
	// the lines, before the implicit deny (acl.ImplicitICMPv6).
	ImplicitPermit *Implicit `json:"implicit_permit,omitempty"`
	// ImplicitDenyMatches: packets no line matched (dropped).
	ImplicitDenyMatches *uint64 `json:"implicit_deny_matches,omitempty"`

	family     acl.Family
	kernelText string
	// src makes the entries: see ACLOf.
	src *entrySrc
}

// EntryCounts is a line of a list with what the kernel counted for it.
type EntryCounts struct {
	Entry
	Matches             *uint64   `json:"matches,omitempty"`
	LogLinesSuppressed  *uint64   `json:"log_lines_suppressed,omitempty"` // lines with log: matches the interval kept out of the log
	Sessions            []Session `json:"sessions,omitempty"`             // connlimit lines: live sessions per source, most first
	RefusedByLimit      *uint64   `json:"refused_by_limit,omitempty"`     // permit connlimit lines
	SourcesTracked      *Tracked  `json:"sources_tracked,omitempty"`      // connlimit lines
	SourceSetWarning    string    `json:"source_set_warning,omitempty"`
	connlimit, perPrefx bool
	body                string // the line without its seq in the list's dialect
}

// Mended is how often aclsh follow put the table back, and when last.
type Mended struct {
	Count int       `json:"count"`
	Last  time.Time `json:"last"`
	Cause string    `json:"cause"` // "deleted by nft (pid 1234)"
	// LastShown is Last as the text shows it (in the shell's display zone).
	LastShown string `json:"-"`
}

// Implicit is the implicit permit of an IPv6 list (neighbour discovery).
type Implicit struct {
	Text    string `json:"text"` // icmp any any router-advertisement, nd-ns, nd-na
	Matches uint64 `json:"matches"`
}

// Session is the live sessions of one source under a connlimit line.
type Session struct {
	Source string `json:"source"` // an address, or a prefix for a line with mask
	Count  int    `json:"count"`
	Limit  int    `json:"limit"`
}

// Tracked is the use of a connlimit line's source set.
type Tracked struct {
	Tracked int `json:"tracked"` // sources in the set new sources go to
	Size    int `json:"size"`
	Percent int `json:"percent"`
	// BeforeRule: sources with sessions from before the rule, in sets of their own.
	BeforeRule int `json:"before_rule"`
}

// writeMended says how often aclsh follow put the table back, if it did.
func (v *ACLs) writeMended(w io.Writer) {
	if m := v.TableMended; m != nil {
		times := "once"
		if m.Count > 1 {
			times = fmt.Sprintf("%d times", m.Count)
		}
		fmt.Fprintf(w, "%% aclsh follow put table inet %s back %s after another program deleted or changed it; last at %s (%s)\n",
			enforcer.Table, times, m.LastShown, m.Cause)
	}
}

func (v *ACLs) WriteText(w io.Writer) {
	if b, ok := w.(*strings.Builder); ok {
		// room for the lines at once: a builder past a few hundred bytes
		// grows by a quarter, and a million-line list's 45 MB of text was
		// made of 220 MB of copies
		n := 0
		for _, a := range v.AccessLists {
			if a.src != nil && a.Entries == nil {
				n += a.src.a.Len()
			}
			n += len(a.Entries)
		}
		b.Grow(n * lineBytes)
	}
	defer v.writeMended(w)
	if v.Dialect != acl.SLX {
		v.writeDialect(w)
		return
	}
	for _, a := range v.AccessLists {
		where := "not bound"
		if len(a.BoundTo) > 0 {
			where = "bound to " + boundText(a.BoundTo)
		}
		kind := ""
		if a.Standard {
			kind = "standard "
		}
		fmt.Fprintf(w, "%s %saccess list %s, %s\n", a.family.Name(), kind, a.Name, where)
		if a.kernelText != "" {
			fmt.Fprintf(w, " %% kernel %s\n", a.kernelText)
		}
		if len(a.OtherTablesCanDrop) > 0 {
			fmt.Fprintf(w, " %% %s\n", OthersWarning("this list", a.OtherTablesCanDrop))
		}
		if a.src != nil && a.Entries == nil {
			a.src.writeText(w)
		} else {
			for i := range a.Entries {
				a.Entries[i].WriteText(w)
			}
		}
		if p := a.ImplicitPermit; p != nil {
			line := " implicit permit " + p.Text
			if p.Matches > 0 {
				line += " (" + MatchesText(p.Matches) + ")"
			}
			fmt.Fprintln(w, line)
		}
		if a.ImplicitDenyMatches != nil {
			line := " implicit deny"
			if n := *a.ImplicitDenyMatches; n > 0 {
				line += " (" + MatchesText(n) + ")"
			}
			fmt.Fprintln(w, line)
		}
	}
}

func (v *ACLs) NoteLine() string { return v.NoteText }

// suppressedText is `1 log line suppressed`, `N log lines suppressed`.
func suppressedText(n uint64) string {
	if n == 1 {
		return "1 log line suppressed"
	}
	return fmt.Sprintf("%d log lines suppressed", n)
}

// writeText writes a line and, indented under it, aclsh's lines about it.
func (e *EntryCounts) WriteText(w io.Writer) {
	line := e.Text
	var notes []string
	if e.Matches != nil && *e.Matches > 0 {
		notes = append(notes, MatchesText(*e.Matches))
	}
	if e.LogLinesSuppressed != nil && *e.LogLinesSuppressed > 0 {
		notes = append(notes, suppressedText(*e.LogLinesSuppressed))
	}
	if len(notes) > 0 {
		line += " (" + strings.Join(notes, ", ") + ")"
	}
	// (in three writes: no string made of them)
	io.WriteString(w, " ")
	io.WriteString(w, line)
	io.WriteString(w, "\n")
	e.writeConnLimit(w, "    ")
}

// writeConnLimit writes, indented under a connlimit line, its sessions, what
// the limit refused and the use of its source set.
func (e *EntryCounts) writeConnLimit(w io.Writer, ind string) {
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
	fmt.Fprintf(w, ind+"sessions: %s\n", strings.Join(top, ", "))
	if e.RefusedByLimit != nil {
		fmt.Fprintf(w, ind+"refused by the limit: %d\n", *e.RefusedByLimit)
	}
	if u := e.SourcesTracked; u != nil {
		what := "sources"
		if e.perPrefx {
			what = "source prefixes"
		}
		fmt.Fprintf(w, ind+"%s tracked: %d of %d (%d%%)", what, u.Tracked, u.Size, u.Percent)
		if u.BeforeRule > 0 {
			fmt.Fprintf(w, ", and %d with sessions from before the rule, in sets of their own", u.BeforeRule)
		}
		fmt.Fprintln(w)
	}
	if e.SourceSetWarning != "" {
		fmt.Fprintf(w, ind+"%% %s\n", e.SourceSetWarning)
	}
}

// ACLsOf is the view of lists of cfg, with what the kernel counted (st, nil
// when it is not read).
func ACLsOf(cfg *acl.Config, lists []*acl.ACL, st *enforcer.Stats) *ACLs {
	v := &ACLs{AccessLists: []ACL{}, Dialect: cfg.Dialect}
	for _, a := range lists {
		v.AccessLists = append(v.AccessLists, ACLOf(cfg, a, st))
	}
	return v
}

// ACLOf is one list's view: its lines and, when it is bound and the kernel could
// be read, the kernel's counters and sessions for them. Its Entries are made
// when the view is written as JSON (or by MakeEntries); its text writes each
// line's entry as it makes it, so that a million-line list is not held as a
// million entries at once. The view reads a and st until then: write it before
// they change (the shell writes a view as soon as it is made).
func ACLOf(cfg *acl.Config, a *acl.ACL, st *enforcer.Stats) ACL {
	v := ACL{Name: a.Name, Family: FamilyName(a.Family), Standard: a.Standard, BoundTo: []string{}, family: a.Family}
	if b := cfg.BoundTo(a.Name); b != "" {
		v.BoundTo = append(v.BoundTo, b)
	}
	live := st != nil && len(v.BoundTo) > 0 && st.State != enforcer.Unknown
	if live && st.State != enforcer.InSync {
		v.Kernel, v.kernelText = StateName(st.State), StateText(st.State)
	}
	if len(v.BoundTo) > 0 {
		v.OtherTablesCanDrop = OthersOf(st, a.Family)
	}
	if !live {
		st = nil
	}
	v.src = &entrySrc{dialect: cfg.Dialect, a: a, st: st}
	if live && a.Family == acl.IPv6 {
		text := strings.TrimPrefix(acl.ImplicitICMPv6Line(), "implicit permit ")
		v.ImplicitPermit = &Implicit{Text: text, Matches: st.Counters[enforcer.NDOf(a.Name)].Packets}
	}
	if live {
		n := st.Counters[enforcer.DenyOf(a.Name)].Packets
		v.ImplicitDenyMatches = &n
	}
	return v
}

// entrySrc is what a list's entries are made of: the list, the config's
// dialect and the kernel's counters (nil: none to show).
type entrySrc struct {
	dialect acl.Dialect
	a       *acl.ACL
	st      *enforcer.Stats
}

// MakeEntries makes v.Entries, if they are not made yet.
func (v *ACL) MakeEntries() {
	if v.src == nil || v.Entries != nil {
		return
	}
	// each line's entry made in place, its matches in one block (a
	// million-line list: no million small allocations)
	a := v.src.a
	v.Entries = make([]EntryCounts, a.Len())
	var matches []uint64
	if v.src.st != nil {
		matches = make([]uint64, a.Len())
	}
	for i, r := range a.Entries() {
		var m *uint64
		if matches != nil {
			m = &matches[i]
		}
		v.src.entry(&v.Entries[i], r, m, false)
	}
}

// eachEntry calls f with each line's entry in order, for the text: v.Entries,
// or, while they are not made, each one made in turn in the same place with
// only what the text writes (see entry; f keeps no pointer into it).
func (v *ACL) eachEntry(f func(e *EntryCounts)) {
	if v.src == nil || v.Entries != nil {
		for i := range v.Entries {
			f(&v.Entries[i])
		}
		return
	}
	var e EntryCounts
	var m uint64
	for _, r := range v.src.a.Entries() {
		e, m = EntryCounts{}, 0
		v.src.entry(&e, r, &m, true)
		f(&e)
	}
}

// writeText writes the list's lines as EntryCounts.WriteText does (SLX), each
// entry made in turn; a line with nothing to add (no matches, no log, no
// connlimit: most lines of a blocklist) is written straight from the rule.
func (s *entrySrc) writeText(w io.Writer) {
	var e EntryCounts
	var m uint64
	var b []byte
	for _, r := range s.a.Entries() {
		if s.plain(r) {
			b = append(r.AppendFormat(append(b[:0], ' '), s.a.Family), '\n')
			w.Write(b)
			continue
		}
		e, m = EntryCounts{}, 0
		s.entry(&e, r, &m, true)
		e.WriteText(w)
	}
}

// plain reports whether line r's entry adds nothing to its text: no matches
// to show, and neither log nor connlimit.
func (s *entrySrc) plain(r acl.Rule) bool {
	if r.Log || r.ConnLimit > 0 {
		return false
	}
	return s.st == nil || r.IsRemark() || s.st.Counters[enforcer.Line(s.a.Name, r.Seq)].Packets == 0
}

// MarshalJSON writes v with its entries (made for the JSON if they are not).
func (v ACL) MarshalJSON() ([]byte, error) {
	v.MakeEntries()
	type plain ACL // v's fields without this method
	return json.Marshal(plain(v))
}

// entry makes line r's entry in e (a zero EntryCounts); matches, when there
// are counters to show, holds its match count (e.Matches points to it). For
// text, e.Entry has only what the text writes: Seq, a remark's Action, and
// Text in the SLX dialect (body in the others).
func (s *entrySrc) entry(e *EntryCounts, r acl.Rule, matches *uint64, text bool) {
	a, st := s.a, s.st
	u64 := func(n uint64) *uint64 { return &n }
	switch {
	case !text:
		e.Entry = EntryOf(r, a.Family)
	case r.IsRemark():
		e.Seq, e.Action = uint32(r.Seq), "remark"
	default:
		e.Seq = uint32(r.Seq)
	}
	switch {
	case text && s.dialect == acl.SLX:
		e.Text = r.Format(a.Family)
	case s.dialect == acl.IOS:
		e.body = r.ShowIOS(a.Family)
	default:
		e.body = r.BodyIn(a.Family, s.dialect)
	}
	if st == nil {
		return
	}
	line := enforcer.Line(a.Name, r.Seq)
	if !r.IsRemark() {
		*matches = st.Counters[line].Packets
		e.Matches = matches
		if r.Log {
			e.LogLinesSuppressed = u64(st.Suppressed(line))
		}
	}
	if r.ConnLimit > 0 {
		e.connlimit, e.perPrefx = true, r.ConnMask != 0
		e.Sessions = []Session{}
		for _, sc := range st.Sessions[line] {
			src := sc.Src.String()
			if sc.Src.IsSingleIP() {
				src = sc.Src.Addr().String()
			}
			e.Sessions = append(e.Sessions, Session{Source: src, Count: sc.Count, Limit: int(r.ConnLimit)})
		}
		if r.Action == acl.Permit {
			e.RefusedByLimit = u64(st.Counters[line.As(enforcer.Refused)].Packets)
		}
		if u, ok := st.Sources[line]; ok {
			e.SourcesTracked = &Tracked{Tracked: u.New, Size: u.Size, Percent: u.Percent(), BeforeRule: max(u.Used-u.New, 0)}
			e.SourceSetWarning = SourceSetWarning(r, u)
		}
	}
}

// SourceSetWarning warns from 90% on about a connlimit rule's kernel set: when
// the set is full, sources not in it are not limited by the rule.
func SourceSetWarning(r acl.Rule, u enforcer.SetUse) string {
	if !u.NearFull() {
		return ""
	}
	effect := "new sources are admitted without this limit"
	switch {
	case r.ConnFailClosed:
		effect = "new sources are refused (fail-closed)"
	case r.Action == acl.Deny:
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

// Summary is show access-lists summary: one row per list.
type Summary struct {
	AccessLists []SummaryRow `json:"access_lists"`
}

// SummaryRow is one list of show access-lists summary.
type SummaryRow struct {
	Name    string   `json:"name"`
	Family  string   `json:"family"`
	Lines   int      `json:"lines"`   // permit and deny lines
	Remarks int      `json:"remarks"` // remark lines
	BoundTo []string `json:"bound_to"`
	// Matches: packets the list's lines and its implicit deny matched; absent
	// when the list is not bound or the kernel could not be read.
	Matches *uint64 `json:"matches,omitempty"`
}

// SummaryRowOf is one list's row: what ACLOf's view of it adds up to (its
// lines, and when it is bound and the kernel could be read, the matches of its
// lines and implicit lines), without the view of every line.
func SummaryRowOf(cfg *acl.Config, a *acl.ACL, st *enforcer.Stats) SummaryRow {
	l := SummaryRow{Name: a.Name, Family: FamilyName(a.Family), BoundTo: []string{}}
	if b := cfg.BoundTo(a.Name); b != "" {
		l.BoundTo = append(l.BoundTo, b)
	}
	live := st != nil && len(l.BoundTo) > 0 && st.State != enforcer.Unknown
	var n uint64
	for _, r := range a.Entries() {
		if r.IsRemark() {
			l.Remarks++
			continue
		}
		l.Lines++
		if live {
			n += st.Counters[enforcer.Line(a.Name, r.Seq)].Packets
		}
	}
	if live {
		n += st.Counters[enforcer.DenyOf(a.Name)].Packets
		if a.Family == acl.IPv6 {
			n += st.Counters[enforcer.NDOf(a.Name)].Packets
		}
		l.Matches = &n
	}
	return l
}

func (v *Summary) WriteText(w io.Writer) {
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
	Table(&b, rows)
	io.WriteString(w, b.String())
}

// MatchesText is a match count as IOS words it: "1 match", "5 matches".
func MatchesText(n uint64) string {
	if n == 1 {
		return "1 match"
	}
	return fmt.Sprintf("%d matches", n)
}

// OtherChain is a base chain of another nftables table that can drop
// packets arriving on management 0 (enforcer.Dropper).
type OtherChain struct {
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

// OthersOf returns the chains of other tables that can drop packets of family
// f (nil when there are none or st is nil).
func OthersOf(st *enforcer.Stats, f acl.Family) []OtherChain {
	if st == nil {
		return nil
	}
	var out []OtherChain
	for _, d := range st.Others {
		if d.Applies(f) {
			out = append(out, OtherChain{Family: d.Family, Table: d.Table, Chain: d.Chain, Hook: d.Hook, Priority: d.Priority,
				PolicyDrop: d.Policy, Rule: d.Rule, Via: d.Via, Unreadable: d.Unread})
		}
	}
	return out
}

// othersShown is how many chains of other tables a warning names (JSON has
// them all).
const othersShown = 3

// OthersWarning is the warning about chains of other tables that can drop what
// what (this list, aclsh) permits.
func OthersWarning(what string, cs []OtherChain) string {
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

// Table writes rows in columns two spaces apart.
func Table(b *strings.Builder, rows [][]string) {
	w := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			w[i] = max(w[i], len(c))
		}
	}
	for _, r := range rows {
		var l strings.Builder
		for i, c := range r {
			if i == len(r)-1 {
				l.WriteString(c)
			} else {
				fmt.Fprintf(&l, "%-*s  ", w[i], c)
			}
		}
		b.WriteString(strings.TrimRight(l.String(), " ") + "\n")
	}
}

// boundText says where a list is bound, as its header reads: "interface
// management 0 in", "control-plane in", "line vty in".
func boundText(at []string) string {
	out := make([]string, len(at))
	for i, b := range at {
		if strings.HasPrefix(b, "management ") {
			b = "interface " + b
		}
		out[i] = b
	}
	return strings.Join(out, ", ")
}
