package cli

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

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
	List   string
	Family acl.Family // the list mode's
	Rule   acl.Rule
}

func (AddRule) command()                  {}
func (c AddRule) inList(l string) Command { c.List = l; return c }

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

func (DeleteRule) command()                  {}
func (c DeleteRule) inList(l string) Command { c.List = l; return c }

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

func (DeleteSeq) command()                  {}
func (c DeleteSeq) inList(l string) Command { c.List = l; return c }

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

func (Resequence) command()                  {}
func (c Resequence) inList(l string) Command { c.List = l; return c }

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

// aclDefs defines the access list commands: the lists, their lines, numbered
// lists, the logging interval and the dialect.
func aclDefs(d *grammar.Defs) {
	cfg := []grammar.Mode{grammar.Config}
	// A list header: IOS's `ip access-list extended|standard NAME`, EOS's and
	// NX-OS's `ip access-list NAME` (extended), IOS-XR's `ipv4 access-list NAME`.
	hdr := "(ip$fam access-list [extended$kind|standard$kind] WORD$name | ipv4$fam access-list WORD$name | ipv6$fam access-list [extended$kind] WORD$name)"
	hdrh := func(what string) []string {
		return []string{grammar.IPStr, what, grammar.ExtendedStr, grammar.StandardStr, grammar.ACLNameStr, grammar.IPv4Str, what, grammar.ACLNameStr,
			grammar.IPv6Str, what, grammar.ExtendedStr, grammar.ACLNameStr}
	}
	d.Add(cfg, hdr, hdrh(grammar.ConfigureACLStr), func(m *grammar.Match) (any, error) {
		f, std, err := header(m)
		return EnterACL{Name: m.Get("name"), Family: f, Standard: std}, err
	})
	numbers := "(<1-99>|<100-199>|<1300-1999>|<2000-2699>)$name"
	numh := []string{grammar.StdNumStr, grammar.ExtNumStr, grammar.StdNumExpStr, grammar.ExtNumExpStr}
	d.Add(cfg, "no ("+hdr[1:len(hdr)-1]+" | access-list "+numbers+")",
		append(append([]string{grammar.NoStr}, hdrh(grammar.DeleteACLStr)...), append([]string{grammar.NumberedStr}, numh...)...),
		func(m *grammar.Match) (any, error) {
			f, std, err := header(m)
			return DeleteACL{Name: m.Get("name"), Family: f, Standard: std}, err
		})
	// IOS numbered lists: `access-list N permit|deny ...`, one line each.
	ss, sh := grammar.StdSyntax()
	d.Add(cfg, "access-list (<1-99>|<1300-1999>)$name "+ss, append([]string{grammar.NumberedStr, grammar.StdNumStr, grammar.StdNumExpStr}, sh...),
		func(m *grammar.Match) (any, error) {
			r, err := m.StdRule()
			return NumberedLine{Name: m.Get("name"), Standard: true, Rule: r}, err
		})
	rs4, rh4 := grammar.RuleSyntax(acl.IPv4)
	d.Add(cfg, "access-list (<100-199>|<2000-2699>)$name "+rs4, append([]string{grammar.NumberedStr, grammar.ExtNumStr, grammar.ExtNumExpStr}, rh4...),
		func(m *grammar.Match) (any, error) {
			r, err := m.Rule()
			return NumberedLine{Name: m.Get("name"), Rule: r}, err
		})
	d.Add(cfg, "access-list "+numbers+" remark LINE$text", append(append([]string{grammar.NumberedStr}, numh...), grammar.RemarkStr, "Comment, up to 255 characters"),
		func(m *grammar.Match) (any, error) {
			r, err := m.Remark()
			_, std := acl.Numbered(m.Get("name"))
			return NumberedLine{Name: m.Get("name"), Standard: std, Rule: r}, err
		})
	logh := []string{grammar.IPStr, "Access list settings", "Access list logging", "Least time between two log lines of one access list line",
		"Milliseconds (default " + strconv.Itoa(int(acl.DefaultLogInterval)) + ")"}
	logSyntax := "ip access-list logging interval <1-" + strconv.Itoa(int(acl.MaxLogInterval)) + ">$ms"
	d.Add(cfg, logSyntax, logh, func(m *grammar.Match) (any, error) { return LogInterval{MS: uint32(m.Num("ms"))}, nil })
	d.Add(cfg, "no "+strings.Replace(logSyntax, "<", "[<", 1)+"]", append([]string{grammar.NoStr}, logh...), is(LogInterval{})) // 0: the default
	dialh := []string{"Command line interface settings", "How show running-config and show access-lists write access lists",
		"SLX-OS form: seq 10 permit ... (the default)", "Cisco IOS form: permit ... without seq; Extended IP access list NAME (cisco.ios)",
		"Arista EOS form: ip access-list NAME, 10 permit ... (arista.eos)"}
	dialect := func(m *grammar.Match) (any, error) {
		d, _ := acl.ParseDialect(m.Get("form")) // no: "", the default
		return SetDialect{Dialect: d}, nil
	}
	d.Add(cfg, "cli dialect (slx|ios|eos)$form", dialh, dialect)
	d.Add(cfg, "no cli dialect [(slx|ios|eos)$form]", append([]string{grammar.NoStr}, dialh...), dialect)

	// Access list modes.
	for _, md := range []grammar.Mode{grammar.IPACL, grammar.IP6ACL, grammar.StdACL} {
		f := md.Family()
		rs, rh := grammar.RuleSyntax(f)
		rule := (*grammar.Match).Rule
		if md == grammar.StdACL {
			rs, rh = grammar.StdSyntax()
			rule = (*grammar.Match).StdRule
		}
		add := func(m *grammar.Match) (any, error) { r, err := rule(m); return AddRule{Family: f, Rule: r}, err }
		del := func(m *grammar.Match) (any, error) { r, err := rule(m); return DeleteRule{Rule: r}, err }
		// A sequence number, with or without `seq` (IOS and EOS take it bare;
		// IOS IPv6 lists and FastIron say `sequence`).
		seq := "(seq " + grammar.SeqRange + "$seqn | sequence " + grammar.SeqRange + "$seqn | " + grammar.SeqRange + "$seqn)"
		seqh := []string{grammar.SeqStr, grammar.SeqStr, grammar.SeqStr, grammar.SeqStr, grammar.SeqStr}
		mds := []grammar.Mode{md}
		d.Add(mds, "["+seq+"] "+rs, append(seqh, rh...), add).Canonical = md != grammar.StdACL
		d.Add(mds, "["+seq+"] remark LINE$text", append(seqh, grammar.RemarkStr, "Comment, up to 255 characters"),
			func(m *grammar.Match) (any, error) { r, err := m.Remark(); return AddRule{Family: f, Rule: r}, err })
		d.Add(mds, "no "+seq, []string{grammar.NoStr, grammar.SeqStr, grammar.SeqDeleteStr, grammar.SeqStr, grammar.SeqDeleteStr, grammar.SeqDeleteStr},
			func(m *grammar.Match) (any, error) { return DeleteSeq{Seq: acl.Seq(m.Num("seqn"))}, nil })
		d.Add(mds, "no "+seq+" "+rs, append([]string{grammar.NoStr}, append(seqh, rh...)...), del)
		d.Add(mds, "no "+rs, append([]string{grammar.NoStr}, rh...), del)
		d.Add(mds, "no ["+seq+"] remark LINE$text", append([]string{grammar.NoStr}, append(seqh, grammar.RemarkStr, "Comment text")...),
			func(m *grammar.Match) (any, error) { r, err := m.Remark(); return DeleteRule{Rule: r}, err })
		d.Add(mds, "resequence ["+grammar.SeqRange+"$start ["+grammar.SeqRange+"$step]]", []string{"Renumber the entries", "First sequence number (default 10)", "Step (default 10)"},
			func(m *grammar.Match) (any, error) {
				c := Resequence{Start: 10, Step: 10}
				if m.Has("start") {
					c.Start = acl.Seq(m.Num("start"))
				}
				if m.Has("step") {
					c.Step = acl.Seq(m.Num("step"))
				}
				return c, nil
			})
	}

	// IOS writes the seq of an IPv6 entry after it (` permit tcp any any eq 22
	// sequence 10`, cli dialect ios), and takes it so.
	rs6, rh6 := grammar.RuleSyntax(acl.IPv6)
	d.Add([]grammar.Mode{grammar.IP6ACL}, rs6+" sequence "+grammar.SeqRange+"$seqn", append(rh6, grammar.SeqStr, grammar.SeqStr),
		func(m *grammar.Match) (any, error) {
			r, err := m.Rule()
			return AddRule{Family: acl.IPv6, Rule: r}, err
		})

	// Lines of a list's configuration aclsh does by itself.
	for _, md := range []grammar.Mode{grammar.IPACL, grammar.IP6ACL, grammar.StdACL} {
		d.Add([]grammar.Mode{md}, "(counters|statistics) per-entry", []string{"Access list counters (EOS)", "Access list statistics (NX-OS)", "Count matches of each entry"},
			noMeaning("aclsh counts the matches of every entry always (show access-lists); nothing to set"))
	}
}

// header reads a list header: the family named, and the kind named, else the
// one of the list's number, else extended.
func header(m *grammar.Match) (f acl.Family, standard bool, err error) {
	f, _ = m.Family()
	name := m.Get("name")
	if kind := m.Get("kind"); kind != "" {
		standard = kind == "standard"
	} else if num, std := acl.Numbered(name); num && f == acl.IPv4 {
		standard = std
	}
	if err := acl.ValidListName(name, f, standard); err != nil {
		return f, standard, m.ErrAt("name", "%v", err)
	}
	return f, standard, nil
}

// RuleLines is a run of AddRule changes to one list, kept as the lines the
// running-config writes for them. A script keeps its changes to apply them
// again at its commit when another shell committed meanwhile; kept as AddRule
// values a million added lines took 270 MB, as lines about 40.
type RuleLines struct {
	List string
	Mode grammar.Mode // the list's mode: the lines are read back in it
	// blocks hold a line each, as the running-config writes a rule
	// (" seq N permit ..."), without the seq for a rule numbered when added;
	// in blocks of about ruleLinesBlock bytes, so that adding never copies
	// what is kept.
	blocks [][]byte
	n      int
}

const ruleLinesBlock = 64 << 10

func (RuleLines) command() {}

// Add adds c's line after l's own; c is a change to l's list made in l's mode
// (it panics otherwise: the caller keeps runs of one list).
func (l *RuleLines) Add(c AddRule) {
	if c.List != l.List || c.Family != l.Mode.Family() {
		panic("cli: RuleLines.Add of a change to another list")
	}
	k := len(l.blocks) - 1
	if k < 0 || len(l.blocks[k]) > ruleLinesBlock-512 {
		l.blocks = append(l.blocks, make([]byte, 0, ruleLinesBlock))
		k++
	}
	b := append(l.blocks[k], ' ')
	if c.Rule.Seq != 0 {
		b = c.Rule.AppendFormat(b, c.Family)
	} else {
		b = c.Rule.AppendBody(b, c.Family)
	}
	l.blocks[k] = append(b, '\n')
	l.n++
}

// Copy returns a copy of l that keeps the lines l has now when more are added
// to l.
func (l *RuleLines) Copy() *RuleLines {
	c := *l
	c.blocks = slices.Clip(slices.Clone(l.blocks))
	return &c
}

// Len returns how many changes l holds.
func (l RuleLines) Len() int { return l.n }

// Apply applies l's changes in order, as their AddRule values would; it stops
// at the first that fails.
func (l RuleLines) Apply(cfg *acl.Config) error {
	for _, text := range l.blocks {
		for len(text) > 0 {
			i := bytes.IndexByte(text, '\n')
			line := string(text[:i])
			text = text[i+1:]
			r, ok := grammar.CanonicalRule(l.Mode, line)
			if !ok {
				cmd, err := grammar.Parse(l.Mode, line)
				c, isAdd := Of(cmd, l.List).(AddRule)
				if err != nil || !isAdd {
					return fmt.Errorf("internal error: a kept change does not read back (%q): %v", line, err)
				}
				r = c.Rule
			}
			if err := (AddRule{List: l.List, Family: l.Mode.Family(), Rule: r}).Apply(cfg); err != nil {
				return err
			}
		}
	}
	return nil
}
