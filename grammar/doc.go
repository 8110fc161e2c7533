package grammar

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// registered holds every definition in the order Define's functions made them
// (the manual lists them in that order).
var registered []*Def

// tables holds their compiled syntax, in the same order.
var tables []Table

// Doc is a command definition as the manual shows it (aclsh --man): the same
// syntax and help strings that drive parsing, `?` and Tab.
type Doc struct {
	Modes  []Mode     // the modes it is typed in (a config mode's session twin is implied)
	Plain  bool       // not available inside a configuration session
	Syntax string     // the syntax without capture names; the pipe token shown as |, output modifiers as PipeDoc
	Tokens []DocToken // each token's word (as `?` lists it) and help, in syntax order, without repeats
}

// DocToken is one token of a Doc.
type DocToken struct {
	Word, Help string
}

// PipeDoc is how a show command's output modifiers read in its Doc syntax.
const PipeDoc = "[| MODIFIER]..."

// longAltRE is an alternation of many keywords: the ICMP type names.
var longAltRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\((?:[a-z0-9-]+\|){8,}[a-z0-9-]+\)`) })

var captureRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\$[a-z0-9_]+`) })

// Docs returns every command definition, in the order they were registered.
func Docs() []Doc {
	ready()
	var out []Doc
	for i, d := range registered {
		// The output modifiers read as IOS's manuals write them: [| MODIFIER]...
		body, piped := strings.CutSuffix(d.Syntax, pipeSyntax)
		syn := strings.Join(strings.Fields(captureRE().ReplaceAllString(body, "")), " ")
		syn = strings.ReplaceAll(syn, "PIPE", "|")
		// ICMP type names (dozens) are listed with the tokens, not in the syntax.
		syn = longAltRE().ReplaceAllString(syn, "ICMP-NAME")
		if piped {
			syn += " " + PipeDoc
		}
		doc := Doc{Modes: slices.Clone(d.Modes), Plain: d.Plain, Syntax: syn}
		seen := map[DocToken]bool{}
		for n, gt := range tables[i].Toks {
			kind, _ := wordKind(gt.Word)
			t := token{kind: kind, word: gt.Word}
			dt := DocToken{Word: t.display(), Help: d.Help[n]}
			if !seen[dt] {
				seen[dt] = true
				doc.Tokens = append(doc.Tokens, dt)
			}
		}
		out = append(out, doc)
	}
	return out
}

// Name returns the mode's name as the manual and prompts describe it.
func (m Mode) Name() string {
	name := [...]string{Exec: "exec", Config: "config", IPACL: "IPv4 access list", IP6ACL: "IPv6 access list", Interface: "interface management 0", StdACL: "IPv4 standard access list",
		LineVTY: "line vty", MgmtSSH: "management ssh", CtrlPlane: "system control-plane"}[m.Base()]
	if m&InSession != 0 {
		name += " (in a configuration session)"
	}
	return name
}

// Example is a line a definition accepts, for tests that walk every definition.
type Example struct {
	Modes       []Mode // as the definition's: a config mode's session twin is implied unless Plain
	Plain, NoDo bool
	Line        string
}

// Examples returns lines that every definition accepts: for each of its
// keywords, the shortest line through it. Variables take plain values (WORD
// web, a range its low end, A.B.C.D 10.0.0.1, LINE `show clock`); a builder may
// still refuse a line (a port range from 22 to 22).
func Examples() []Example {
	ready()
	var out []Example
	for i, d := range registered {
		start := starts[i]
		seen := map[string]bool{}
		var targets []*state
		walkStates(start, func(s *state) {
			if s.tok != nil && s.tok.kind == kwToken {
				targets = append(targets, s)
			}
		})
		for _, t := range targets {
			pre, ok1 := shortestPath(start, func(s *state) bool { return s == t })
			post, ok2 := shortestPath(t, func(s *state) bool { return s.def != nil })
			if !ok1 || !ok2 {
				continue
			}
			var words []string
			for _, tk := range append(pre, post...) {
				words = append(words, tk.sample())
			}
			line := strings.Join(words, " ")
			if !seen[line] {
				seen[line] = true
				out = append(out, Example{Modes: slices.Clone(d.Modes), Plain: d.Plain, NoDo: d.NoDo, Line: line})
			}
		}
	}
	return out
}

// sample is a plain value a variable takes, or the keyword.
func (t *token) sample() string {
	switch t.kind {
	case varWord:
		return "web"
	case varRange:
		return strconv.Itoa(t.lo)
	case varAddr4:
		return "10.0.0.1"
	case varPrefix4:
		return "10.0.0.0/8"
	case varAddr6:
		return "2001:db8::1"
	case varPrefix6:
		return "2001:db8::/32"
	case varPort:
		return "22"
	case varLine:
		return "show clock"
	case varMaskLen:
		return "24"
	case varName:
		return "s1"
	case varTime:
		return "00:00:05"
	case varRegex:
		return "x"
	}
	return t.word // keywords, and | for PIPE
}

// walkStates visits the states reachable from s once each.
func walkStates(s *state, f func(*state)) {
	seen := map[*state]bool{}
	var visit func(*state)
	visit = func(x *state) {
		if seen[x] {
			return
		}
		seen[x] = true
		f(x)
		for _, o := range x.out {
			visit(o)
		}
	}
	visit(s)
}

// shortestPath returns the fewest tokens that lead from s to a state where
// stop holds (a token state's own token is taken when the path leaves it).
func shortestPath(s *state, stop func(*state) bool) ([]*token, bool) {
	type step struct {
		from *state
		tok  *token
	}
	prev := map[*state]step{s: {}}
	dist := map[*state]int{s: 0}
	// 0-1 breadth first: leaving a split costs nothing, a token one.
	deque := []*state{s}
	for len(deque) > 0 {
		x := deque[0]
		deque = deque[1:]
		if stop(x) {
			var toks []*token
			for y := x; y != s; y = prev[y].from {
				if prev[y].tok != nil {
					toks = append(toks, prev[y].tok)
				}
			}
			slices.Reverse(toks)
			return toks, true
		}
		cost := 0
		if x.tok != nil {
			cost = 1
		}
		for i := range x.out {
			o := x.out[i]
			if cost == 0 {
				o = x.out[len(x.out)-1-i] // pushed in front: the first successor ends first, as priority says
			}
			if d, ok := dist[o]; ok && d <= dist[x]+cost {
				continue
			}
			dist[o] = dist[x] + cost
			prev[o] = step{x, x.tok}
			if cost == 0 {
				deque = append([]*state{o}, deque...)
			} else {
				deque = append(deque, o)
			}
		}
	}
	return nil, false
}
