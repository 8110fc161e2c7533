// Package grammar parses aclsh command lines into typed commands. One definition per
// command (syntax plus a help string per token) drives parsing, abbreviation, `?`
// help and Tab completion. It does no I/O.
package grammar

import (
	"fmt"
	"runtime"
	"slices"
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

// Kind says what a command does.
type Kind uint8

const (
	KindNone       Kind = iota
	Configure           // configure terminal
	Exit                // exit
	End                 // end
	Do                  // do CMD; Command.Sub holds CMD
	ShowRunning         // show running-config
	ShowACLs            // show [ip|ipv6] access-lists [NAME]
	ShowInterface       // show interface management 0
	ClearCounters       // clear access-list counters [NAME]
	WriteMemory         // write [memory], copy running-config startup-config
	EnterACL            // ip|ipv6 access-list [extended|standard] NAME; Standard
	DeleteACL           // no ip|ipv6 access-list [extended|standard] NAME, no access-list N; Standard
	EnterInterface      // interface management N; interface NAME (Name: mgmt0, Management1, ...)
	AddRule             // [seq N] permit|deny ... ; remark TEXT
	DeleteRule          // no <rule as written>; no remark TEXT
	DeleteSeq           // no seq N
	Resequence          // resequence [START [STEP]]
	BindACL             // ip|ipv6 access-group NAME in
	UnbindACL           // no ip|ipv6 access-group NAME in
	ShowStartup         // show startup-config
	TerminalLength      // terminal length N (accepted for scripts; output is not paged)
	CopyToRunning       // copy startup-config|last-good-config running-config; Name: the source (startup-config merges, last-good-config replaces)
	LogInterval         // [no] ip access-list logging interval MS; Command.Num is MS, 0 the default
	// Configuration sessions and timers (sessions.go).
	ConfigureSession // configure session [NAME] [commit]; Name: the session, Num 1: commit it
	SessionCommit    // commit [timer HH:MM:SS | confirmed [MIN]]; Num: the timer in seconds, 0 none
	SessionAbort     // abort
	ShowSession      // show session-config [named NAME] [diffs]; Name, Num 1: diffs
	ShowSessions     // show configuration sessions
	ReloadIn         // reload in MIN; Num: minutes
	ReloadCancel     // reload cancel
	WriteTerminal    // write terminal: the running-config, as show running-config
	// Show commands of showdefs.go.
	ShowACLSummary // show [ip|ipv6] access-lists summary
	ShowRunningACL // show running-config access-list [NAME]
	ShowHistory    // show history
	ShowUsers      // show users
	ShowClock      // show clock
	RestoreKernel  // copy running-config kernel: enforce the running-config again (after nft flush ruleset)
	// Packet trace and lint (lintdefs.go).
	TestACL     // test access-list [NAME] PROTO SRC [PORT] DST [PORT] [new|established]; Name (may be ""), Family, Packet
	LintACLs    // show [ip|ipv6] access-lists [NAME] lint [detail]; Num 1: detail
	ShowVersion // show version
	// Asked by automation on connect and for device facts (Ansible's network_cli,
	// netmiko).
	TerminalWidth // terminal width N (accepted; output is never wrapped)
	ShowHostname  // show hostname
	RollbackClean // rollback clean-config: a session's config starts empty (eos_config replace)
	// IOS numbered lists (issue 20).
	NumberedRule // access-list N permit|deny ... | remark TEXT; Name: N, Standard, Rule
	NoMeaning    // a line that has no meaning on a Linux host (ip address, description): Note says so; nothing is saved
	// Exec habits (issue 20).
	ShowInterfaceBrief // show ip interface brief
	Enable             // enable [LEVEL]: nothing to do for a user who may configure
	Disable            // disable [LEVEL]: nothing to do; Note says why
	// Where else a list is bound (issue 20): the login service and the host.
	EnterLineVTY   // line vty [N [M]]
	EnterMgmtSSH   // management ssh (EOS)
	EnterCtrlPlane // system control-plane (EOS), control-plane (OS10)
	CLIDialect     // [no] cli dialect slx|ios|eos; Name: the dialect ("" for no: the default)
)

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
	Kind   Kind
	Mode   Mode // the mode the command belongs to (after falling back to a parent)
	Name   string
	Family acl.Family
	// FamilyGiven is set when a show or clear command named ip or ipv6.
	FamilyGiven bool
	// Standard: the list named is a standard list (EnterACL, DeleteACL,
	// NumberedRule).
	Standard    bool
	Rule        acl.Rule
	Seq         acl.Seq
	Start, Step acl.Seq
	Num         int // interface number
	// Point is where BindACL and UnbindACL bind: management 0 (the zero
	// value), the login service (line vty, management ssh, ssh access-group),
	// the control-plane (system control-plane, ip receive access-group).
	Point  acl.Point
	Pipe   Pipe
	Sub    *Command // for Do
	SubOff int      // byte offset of Sub's line within this line

	// Packet is the packet TestACL traces.
	Packet acl.Packet

	// Note is what the shell says about a line it accepts as it is not
	// written (a value stored corrected, a line that has no meaning on this
	// host): one line, without the leading `% `, "" for none.
	Note string
}

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

// Def is one command definition.
type Def struct {
	Modes []Mode
	// Plain: not available inside a configuration session (register adds every
	// other config mode definition to the mode's session twin).
	Plain bool
	// NoDo: an exec command that `do` does not run (configure, exit): `do ?`
	// does not offer it.
	NoDo   bool
	Syntax string
	Help   []string
	Build  func(m *match) error

	pc [1]uintptr // where it was made (see newDef), for the generator's errors
}

// defSource is set by the package's tests, before any init runs: newDef then
// records where each definition is made, which the generator's errors name. A
// start does not pay for it.
var defSource bool

// newDef makes a definition. Under the package's tests it records the line that
// called the function up frames above newDef's caller (a file's add helper:
// up 1, its caller's line).
func newDef(up int, modes []Mode, syntax string, help []string, build func(*match) error) *Def {
	d := &Def{Modes: modes, Syntax: syntax, Help: help, Build: build}
	if defSource {
		runtime.Callers(2+up, d.pc[:])
	}
	return d
}

var roots [2 * numModes]*state

// starts holds each registered definition's start state.
var starts []*state

// doRoot holds the exec definitions `do` runs: every one but NoDo.
var doRoot *state

// register adds definitions to their modes, when the grammar is first used
// (ready): a process that never parses a line (an aclsh that hands its lines to
// the daemon, --version) does not pay for linking the definitions at start.
func register(defs []*Def) { pending = append(pending, defs...) }

var (
	// lazy are the functions that make each file's definitions, in the
	// order of the files' init: run by ready, so that a process that parses
	// nothing (a one-shot client, which sends its lines to the daemon) does
	// not make them.
	lazy      []func()
	pending   []*Def // the definitions they made, in order
	buildOnce sync.Once
)

// ready makes the definitions and links them to their compiled syntax
// (defs_gen.go), once.
func ready() {
	buildOnce.Do(func() {
		pending = nil // a test may have made them unlinked (defsNow)
		for _, f := range lazy {
			f()
		}
		registered, pending = pending, nil
		g := newGraph(registered, linkGenerated(registered))
		roots, doRoot, numStates, starts = g.roots, g.doRoot, g.n, g.starts
	})
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

// match is what a builder reads: the captured tokens of the path that accepted.
type match struct {
	cmd  Command
	mode Mode
	line string
	toks []Token
	caps []capture // in input order
}

// nth returns the n-th (from 0) capture named name.
func (m *match) nth(name string, n int) (capture, bool) {
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

func (m *match) has(name string) bool { _, ok := m.nth(name, 0); return ok }
func (m *match) get(name string) string {
	c, _ := m.nth(name, 0)
	return c.val
}

// note adds a sentence to the command's Note.
func (m *match) note(format string, args ...any) {
	if m.cmd.Note != "" {
		m.cmd.Note += "; "
	}
	m.cmd.Note += fmt.Sprintf(format, args...)
}

// errAt reports a value error at the token captured as name.
func (m *match) errAt(name string, format string, args ...any) error {
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
	if cmd, ok := parseCanonical(mode, line); ok {
		return cmd, nil
	}
	return parseFull(mode, line)
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
		r.m = match{cmd: Command{Mode: mode.Base()}, mode: mode, line: line, toks: toks, caps: list}
		if err := th.st.def.Build(&r.m); err != nil {
			return Command{}, err
		}
		return r.m.cmd, nil
	}
	end := len(line)
	return Command{}, &ParseError{Kind: Incomplete, Line: line, Off: end, End: end}
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
