// Package grammar is the engine of aclsh's command lines: modes, the
// definition language, parsing, abbreviation, `?` help, Tab completion and the
// manual's text. One definition per command (syntax, a help string per token,
// and the builder of its value) drives all of them; the definitions are
// package cli's, each beside the value it builds (Define), and this package
// holds what they share: help constants and syntax fragments (the output
// modifiers, a rule, an address). It does no I/O.
package grammar

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aclsh/aclsh/acl"
)

// Mode is a CLI mode. The zero value is Exec.
type Mode uint8

const (
	Exec      Mode = iota // HOST#
	Config                // HOST(config)#
	IPACL                 // HOST(conf-ipacl-ext)#
	IP6ACL                // HOST(conf-ip6acl-ext)#
	Interface             // HOST(config-Management-0)#
	StdACL                // HOST(conf-ipacl-std)#: a standard IPv4 list
	LineVTY               // HOST(config-line)#: line vty, the login service (IOS, NX-OS)
	MgmtSSH               // HOST(config-mgmt-ssh)#: management ssh, the login service (EOS)
	CtrlPlane             // HOST(config-system-cp)#: system control-plane (EOS), control-plane (OS10)
	numModes
)

// InSession marks a configuration mode inside a configuration session
// (configure session NAME): every command of the mode works there, plus commit,
// abort and the session's show commands. Exec is never in a session. Command.Mode
// never carries it.
const InSession Mode = 0x80

// Base returns the mode without InSession.
func (m Mode) Base() Mode { return m &^ InSession }

// idx is the mode's index in roots: session modes after the plain ones.
func (m Mode) idx() int {
	if m&InSession != 0 {
		return int(m.Base()) + int(numModes)
	}
	return int(m)
}

// SessionPrompt returns the prompt for a mode inside configuration session name,
// as EOS shows it: HOST(config-s-NAME)#, HOST(config-s-NAME-ipacl-ext)#, ...
func (m Mode) SessionPrompt(host, name string) string {
	switch m.Base() {
	case Exec:
		return m.Prompt(host)
	case IPACL:
		return host + "(config-s-" + name + "-ipacl-ext)# "
	case IP6ACL:
		return host + "(config-s-" + name + "-ip6acl-ext)# "
	case StdACL:
		return host + "(config-s-" + name + "-ipacl-std)# "
	case Interface:
		return host + "(config-s-" + name + "-Management-0)# "
	case LineVTY:
		return host + "(config-s-" + name + "-line)# "
	case MgmtSSH:
		return host + "(config-s-" + name + "-mgmt-ssh)# "
	case CtrlPlane:
		return host + "(config-s-" + name + "-system-cp)# "
	}
	return host + "(config-s-" + name + ")# "
}

// Prompt returns the prompt for the mode on host.
func (m Mode) Prompt(host string) string {
	switch m.Base() {
	case Config:
		return host + "(config)# "
	case IPACL:
		return host + "(conf-ipacl-ext)# "
	case IP6ACL:
		return host + "(conf-ip6acl-ext)# "
	case StdACL:
		return host + "(conf-ipacl-std)# "
	case Interface:
		return host + "(config-Management-0)# "
	case LineVTY:
		return host + "(config-line)# "
	case MgmtSSH:
		return host + "(config-mgmt-ssh)# "
	case CtrlPlane:
		return host + "(config-system-cp)# "
	}
	return host + "# "
}

// Parent returns the mode a command falls back to when the mode does not know it,
// and false for Config and Exec.
func (m Mode) Parent() (Mode, bool) {
	switch m.Base() {
	case IPACL, IP6ACL, StdACL, Interface, LineVTY, MgmtSSH, CtrlPlane:
		return Config | m&InSession, true
	}
	return Exec, false
}

// Family returns the family of an access list mode.
func (m Mode) Family() acl.Family {
	if m.Base() == IP6ACL {
		return acl.IPv6
	}
	return acl.IPv4
}

// Filter is one output modifier of a show command: `| include RE`, `| exclude RE`,
// `| begin RE`, `| section RE`, `| count` or `| json`.
type Filter struct {
	Op  string // "include", "exclude", "begin", "section", "count" or "json"
	RE  string // for include, exclude, begin and section: a valid regular expression
	Off int    // byte offset of RE in the line
}

// Pipe is a show command's output modifiers, applied in order (`| include a |
// exclude b`). `| json` is always alone. The zero value shows everything.
type Pipe []Filter

// JSON reports whether the output is JSON (`| json`).
func (p Pipe) JSON() bool { return len(p) == 1 && p[0].Op == "json" }

// Command is a parsed line.
type Command struct {
	// Value is what the line's definition built (Def.Build): a command value
	// of package cli, which carries its behaviour; nil for a blank line or a
	// comment.
	Value any
	Mode  Mode // the mode the command belongs to (after falling back to a parent)
	// Pipe is a show command's output modifiers (the definition's
	// ShowSyntax), read before Build runs.
	Pipe Pipe

	// Note is what the shell says about a line it accepts as it is not
	// written (a value stored corrected, a line that has no meaning on this
	// host): one line, without the leading `% `, "" for none.
	Note string
}

// ErrNoValue is the error of a line whose definition built no value: a
// definition without its behaviour (TestEveryDefinitionBuildsOne).
var ErrNoValue = errors.New("internal error: the command parses but builds nothing")

// ErrKind classifies a ParseError.
type ErrKind uint8

const (
	Invalid ErrKind = iota
	Incomplete
	Ambiguous
)

// ParseError says where and why a line did not parse.
type ParseError struct {
	Kind     ErrKind
	Line     string
	Off, End int    // byte offsets of the offending token
	Msg      string // detail, for invalid values
}

func (e *ParseError) Error() string {
	switch e.Kind {
	case Incomplete:
		return "% Incomplete command."
	case Ambiguous:
		return fmt.Sprintf("%% Ambiguous command:  %q", e.Line[:e.End])
	}
	if e.Msg != "" {
		return "% Invalid input detected at '^' marker: " + e.Msg
	}
	return "% Invalid input detected at '^' marker."
}

// HasCaret reports whether the error is shown with a caret under the line.
func (e *ParseError) HasCaret() bool { return e.Kind == Invalid }

// Def is one command definition: its syntax, a help string per token, and
// the function that builds the line's value from what it matched.
type Def struct {
	Modes []Mode
	// Plain: not available inside a configuration session (ready adds every
	// other config mode definition to the mode's session twin).
	Plain bool
	// NoDo: an exec command that `do` does not run (configure, exit): `do ?`
	// does not offer it.
	NoDo   bool
	Syntax string
	Help   []string
	Build  Build
	// Canonical: a rule line of this definition (RuleSyntax) written as the
	// running-config writes it is read without the NFA (parseCanonical);
	// Build then finds the rule in Match.Rule.
	Canonical bool

	pc [1]uintptr // where it was made (see newDef), for the generator's errors
}

// Build builds a line's value from what its definition matched; an error is
// the line's (Match.ErrAt places it under a token).
type Build func(m *Match) (any, error)

// defSource is set by the package's tests, before any init runs: newDef then
// records where each definition is made, which the generator's errors name. A
// start does not pay for it.
var defSource bool

// newDef makes a definition. Under the package's tests it records the line that
// called the function up frames above newDef's caller (Defs.Add: up 1, its
// caller's line).
func newDef(up int, modes []Mode, syntax string, help []string, build Build) *Def {
	d := &Def{Modes: modes, Syntax: syntax, Help: help, Build: build}
	if defSource {
		runtime.Callers(2+up, d.pc[:])
	}
	return d
}

// Defs collects definitions, in order: where two accept a line, the first
// wins, and the manual lists them so.
type Defs struct{ list []*Def }

// Add adds a definition and returns it (to set Plain, NoDo, Canonical).
func (d *Defs) Add(modes []Mode, syntax string, help []string, build Build) *Def {
	def := newDef(1, modes, syntax, help, build)
	d.list = append(d.list, def)
	return def
}

// Show adds a show command: syntax followed by the output modifiers
// (ShowSyntax), which Command.Pipe holds.
func (d *Defs) Show(modes []Mode, syntax string, help []string, build Build) *Def {
	syntax, help = ShowSyntax(syntax, help...)
	def := newDef(1, modes, syntax, help, build)
	d.list = append(d.list, def)
	return def
}

// Define registers the function that makes the definitions (package cli's)
// and their compiled syntax (tables: go generate writes them beside the
// definitions, in the order f makes them), to run when the grammar is first
// used: a process that never parses a line (an aclsh that hands its lines to
// the daemon, --version) makes none.
func Define(f func(*Defs), tables []Table) { lazy = append(lazy, definer{f, tables}) }

// definer is what Define registered.
type definer struct {
	f      func(*Defs)
	tables []Table
}

var roots [2 * numModes]*state

// starts holds each registered definition's start state.
var starts []*state

// doRoot holds the exec definitions `do` runs: every one but NoDo.
var doRoot *state

var (
	// lazy are the functions that make the definitions (Define): run by
	// ready, so that a process that parses nothing (a one-shot client, which
	// sends its lines to the daemon) does not make them.
	lazy      []definer
	buildOnce sync.Once
	// canonical is the Canonical definition of each mode, by Mode.idx.
	canonical [2 * numModes]*Def
)

// ready makes the definitions and links them to their compiled syntax
// (their tables), once.
func ready() {
	buildOnce.Do(func() {
		registered, tables = makeDefs()
		g := newGraph(registered, linkGenerated(registered, tables))
		for _, d := range registered {
			for _, m := range d.Modes {
				if d.Canonical && canonical[m.idx()] == nil {
					canonical[m.idx()] = d
				}
			}
		}
		roots, doRoot, numStates, starts = g.roots, g.doRoot, g.n, g.starts
	})
}

// makeDefs runs the functions that make the definitions; it returns them and
// their tables.
func makeDefs() ([]*Def, []Table) {
	var d Defs
	var tables []Table
	for _, x := range lazy {
		x.f(&d)
		tables = append(tables, x.tables...)
	}
	return d.list, tables
}

// graph is the definitions as the parser runs them: each mode's root, the root of
// do, and the number of states (their ids are 0..n-1).
type graph struct {
	roots  [2 * numModes]*state
	doRoot *state
	n      int
	starts []*state // each definition's start
}

// newGraph adds the definitions to their modes; frag gives the i-th
// definition's start state, its accepting state linked to the definition, and
// numbers its states from *n on.
func newGraph(defs []*Def, frag func(i int, d *Def, n *int) *state) *graph {
	g := &graph{}
	for i, d := range defs {
		s := frag(i, d, &g.n)
		g.starts = append(g.starts, s)
		if slices.Contains(d.Modes, Exec) && !d.NoDo {
			if g.doRoot == nil {
				g.doRoot = &state{id: g.n}
				g.n++
			}
			g.doRoot.out = append(g.doRoot.out, s)
		}
		for _, m := range d.Modes {
			ms := []Mode{m}
			if m != Exec && m&InSession == 0 && !d.Plain {
				ms = append(ms, m|InSession)
			}
			for _, m := range ms {
				if g.roots[m.idx()] == nil {
					g.roots[m.idx()] = &state{id: g.n}
					g.n++
				}
				g.roots[m.idx()].out = append(g.roots[m.idx()].out, s)
			}
		}
	}
	return g
}

// Match is what a builder reads: the captured tokens of the path that
// accepted a line.
type Match struct {
	cmd  Command
	mode Mode
	line string
	toks []Token
	caps []capture // in input order
	// rule is the rule the canonical fast path read (parseCanonical), nil
	// when the line was parsed in full.
	rule *acl.Rule
}

// Mode returns the mode the line is parsed in (InSession included).
func (m *Match) Mode() Mode { return m.mode }

// Pipe returns the line's output modifiers (Command.Pipe).
func (m *Match) Pipe() Pipe { return m.cmd.Pipe }

// nth returns the n-th (from 0) capture named name.
func (m *Match) nth(name string, n int) (capture, bool) {
	for _, c := range m.caps {
		if c.tok.name == name {
			if n == 0 {
				return c, true
			}
			n--
		}
	}
	return capture{}, false
}

// Has reports whether the line holds the token captured as name (a capture
// name, else the keyword itself).
func (m *Match) Has(name string) bool { _, ok := m.nth(name, 0); return ok }

// Get returns the first token captured as name: the canonical keyword, or a
// variable's text as typed; "" if none.
func (m *Match) Get(name string) string {
	c, _ := m.nth(name, 0)
	return c.val
}

// Num returns the number captured as name (a <lo-hi> range), 0 if none.
func (m *Match) Num(name string) int {
	n, _ := strconv.Atoi(m.Get(name))
	return n
}

// Note adds a sentence to the command's Note.
func (m *Match) Note(format string, args ...any) {
	if m.cmd.Note != "" {
		m.cmd.Note += "; "
	}
	m.cmd.Note += fmt.Sprintf(format, args...)
}

// SetNote replaces the command's Note.
func (m *Match) SetNote(note string) { m.cmd.Note = note }

// ErrAt reports a value error at the token captured as name.
func (m *Match) ErrAt(name string, format string, args ...any) error {
	off, end := 0, len(m.line)
	if c, ok := m.nth(name, 0); ok {
		off = m.toks[c.idx].Off
		end = off + len(m.toks[c.idx].Text)
	}
	return &ParseError{Kind: Invalid, Line: m.line, Off: off, End: end, Msg: fmt.Sprintf(format, args...)}
}

// Parse parses line in mode. A command the mode does not know but a parent mode does
// is parsed there, and Command.Mode says which. Blank lines and comments (`!`) give
// a Command of KindNone.
func Parse(mode Mode, line string) (Command, error) {
	ready()
	if d := canonical[mode.Base().idx()]; d != nil {
		if rule, ok := parseCanonical(mode, line); ok {
			// The runner's match and rule: nothing escapes to the heap but
			// the value built.
			r := getRunner()
			defer putRunner(r)
			r.rule = rule
			r.m = Match{cmd: Command{Mode: mode.Base()}, mode: mode, line: line, rule: &r.rule}
			return r.m.build(d)
		}
	}
	return parseFull(mode, line)
}

// CanonicalRule reads a rule line written exactly as the running-config writes
// it, in a mode whose definitions take such lines (a Canonical definition),
// without building the line's value: what loading a long list costs a line.
// ok false: parse the line (Parse), which reads any line CanonicalRule reads as
// the same rule (TestCanonicalFastPath).
func CanonicalRule(mode Mode, line string) (acl.Rule, bool) {
	ready()
	if canonical[mode.Base().idx()] == nil {
		return acl.Rule{}, false
	}
	return parseCanonical(mode, line)
}

// parseFull is Parse without the fast path for canonical rule lines.
func parseFull(mode Mode, line string) (Command, error) {
	ready()
	if pe := checkText(line); pe != nil {
		return Command{}, pe
	}
	toks := Tokenize(line)
	if len(toks) == 0 || strings.HasPrefix(toks[0].Text, "!") {
		return Command{Mode: mode.Base()}, nil
	}
	var first error
	for md, ok := mode, true; ok; md, ok = md.Parent() {
		cmd, err := parseIn(roots[md.idx()], md, line, toks)
		if err == nil {
			return cmd, nil
		}
		// Report the error of the mode that got furthest; the own mode on a tie.
		pe, isPE := err.(*ParseError)
		if fpe, ok := first.(*ParseError); first == nil || ok && isPE && pe.Off > fpe.Off {
			first = err
		}
	}
	if pe, ok := first.(*ParseError); ok && pe.Kind == Invalid && pe.Msg == "" {
		// A known spelling of another vendor: say why and what to type.
		at := len(toks)
		for i, t := range toks {
			if t.Off == pe.Off {
				at = i
				break
			}
		}
		pe.Msg = hintFor(mode, toks, at)
	}
	return Command{}, first
}

// parseIn parses toks from root, the definitions of mode (or doRoot).
func parseIn(root *state, mode Mode, line string, toks []Token) (Command, error) {
	ready()
	r := getRunner()
	defer putRunner(r)
	cur, perr := r.run(root, line, toks)
	if perr != nil {
		return Command{}, perr
	}
	for _, th := range cur {
		if th.st.def == nil {
			continue
		}
		list := r.list[:0]
		for c := th.caps; c != nil; c = c.prev {
			if c.tok.name != "" {
				list = append(list, *c)
			}
		}
		slices.Reverse(list)
		r.list = list
		r.m = Match{cmd: Command{Mode: mode.Base()}, mode: mode, line: line, toks: toks, caps: list}
		if err := r.m.readPipe(); err != nil {
			return Command{}, err
		}
		return r.m.build(th.st.def)
	}
	end := len(line)
	return Command{}, &ParseError{Kind: Incomplete, Line: line, Off: end, End: end}
}

// build runs d's builder on m.
func (m *Match) build(d *Def) (Command, error) {
	v, err := d.Build(m)
	if err != nil {
		return Command{}, err
	}
	if v == nil {
		return Command{}, ErrNoValue
	}
	m.cmd.Value = v
	return m.cmd, nil
}

// Help lists what may come next after line in mode, as `?` shows it: after a space,
// every possible next word; inside a word, the keywords it abbreviates.
func Help(mode Mode, line string) ([]Candidate, error) {
	ready()
	if pe := checkText(line); pe != nil {
		return nil, pe
	}
	if off, ok := doRest(mode, line); ok {
		// What do accepts; an error's offsets are in the whole line.
		c, err := help(doRoot, line[off:])
		if pe, ok := err.(*ParseError); ok {
			pe.Line, pe.Off, pe.End = line, pe.Off+off, pe.End+off
		}
		return c, err
	}
	return help(roots[mode.idx()], line)
}

// help is Help for the definitions reachable from root.
func help(root *state, line string) ([]Candidate, error) {
	toks := Tokenize(line)
	partial := ""
	if n := len(toks); n > 0 && !endsInSpace(line) {
		partial = strings.ToLower(toks[n-1].Text)
		toks = toks[:n-1]
	}
	r := getRunner()
	defer putRunner(r)
	cur, perr := r.run(root, line, toks)
	if perr != nil {
		return nil, perr
	}
	if tk := r.text; tk != nil {
		// Inside free text (a remark, a regular expression), as IOS: a word being
		// typed is more of the text; after a space the text may go on or end.
		out := []Candidate{{Word: tk.display(), Help: tk.help, Var: true, kind: tk.kind}}
		if partial == "" {
			// After a regular expression, the next modifier may follow.
			for _, c := range candidates(cur) {
				if c.Word == "|" {
					out = append(out, c)
				}
			}
		}
		if partial == "" && slices.ContainsFunc(cur, func(th thread) bool { return th.st.def != nil }) {
			out = append(out, Candidate{Word: "<cr>"})
		}
		return out, nil
	}
	all := candidates(cur)
	if partial == "" {
		return all, nil
	}
	var out []Candidate
	for _, c := range all {
		if !c.Var && strings.HasPrefix(c.Word, partial) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		// A partly typed value: show what it is typed as (once, when several
		// commands take a value there).
		seen := map[string]bool{}
		for _, th := range cur {
			tk := th.st.tok
			if tk != nil && tk.kind == varPort && tk.proto != 0 && !isDigits(partial) {
				continue // names of the protocol were offered above: this is none
			}
			if tk != nil && tk.kind != kwToken && tk.kind != varPipe && tk.matchVar(partial) && !seen[tk.display()] {
				seen[tk.display()] = true
				out = append(out, Candidate{Word: tk.display(), Help: tk.help, Var: true, kind: tk.kind})
			}
		}
	}
	if len(out) == 0 {
		t := Token{partial, len(line) - len(partial)}
		return nil, invalidAt(nil, line, t)
	}
	return out, nil
}

// Names lists access list names for completion: those of family f, or of both
// families when all is set.
type Names func(f acl.Family, all bool) []string

// Complete returns the words that may complete the last, partly typed word of line
// (keywords, and names from names where an access list name may stand: of the
// family the line names with ip or ipv6, else of both).
func Complete(mode Mode, line string, names Names) []string {
	ready()
	if checkText(line) != nil {
		return nil
	}
	if off, ok := doRest(mode, line); ok {
		return complete(doRoot, line[off:], names)
	}
	return complete(roots[mode.idx()], line, names)
}

// complete is Complete for the definitions reachable from root.
func complete(root *state, line string, names Names) []string {
	toks := Tokenize(line)
	partial := ""
	if n := len(toks); n > 0 && !endsInSpace(line) {
		partial = toks[n-1].Text
		toks = toks[:n-1]
	}
	r := getRunner()
	defer putRunner(r)
	cur, perr := r.run(root, line, toks)
	if perr != nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	lp := strings.ToLower(partial)
	for _, c := range candidates(cur) {
		switch {
		case !c.Var && c.Word != "<cr>" && strings.HasPrefix(c.Word, lp):
			if !seen[c.Word] {
				seen[c.Word] = true
				out = append(out, c.Word)
			}
		case c.kind == varWord && names != nil:
			for _, n := range names(wordFamily(cur)) {
				if strings.HasPrefix(n, partial) && !seen[n] {
					seen[n] = true
					out = append(out, n)
				}
			}
		}
	}
	return out
}

// wordFamily says which access lists a WORD in cur may name: those of the family
// the path named (`ip access-group`, `show ipv6 access-lists`), or all when a path
// named none or the paths disagree.
func wordFamily(cur []thread) (f acl.Family, all bool) {
	seen := false
	for _, th := range cur {
		if th.st.tok == nil || th.st.tok.kind != varWord || used(th.caps, th.st.tok) {
			continue
		}
		tf, ok := acl.IPv4, false
		for c := th.caps; c != nil; c = c.prev {
			if c.tok.name == "fam" {
				tf, ok = acl.IPv4, true
				if c.val == "ipv6" {
					tf = acl.IPv6
				}
				break
			}
		}
		if !ok || seen && tf != f {
			return acl.IPv4, true
		}
		f, seen = tf, true
	}
	return f, !seen
}

func endsInSpace(s string) bool {
	return s == "" || strings.HasSuffix(s, " ") || strings.HasSuffix(s, "\t")
}

// doRest returns the offset of the exec line after `do ` when line is a do
// command in a config mode (len(line) when nothing follows yet).
func doRest(mode Mode, line string) (int, bool) {
	if mode.Base() == Exec {
		return 0, false
	}
	toks := Tokenize(line)
	if len(toks) < 2 && !(len(toks) == 1 && endsInSpace(line)) {
		return 0, false
	}
	if strings.ToLower(toks[0].Text) != "do" {
		return 0, false
	}
	if len(toks) == 1 {
		return len(line), true
	}
	return toks[1].Off, true
}
