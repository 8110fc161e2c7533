package grammar

import (
	"sort"
	"strings"
)

// state is a node of a mode's NFA: a token to match, an epsilon split (tok nil), or
// an accepting state (def non-nil).
type state struct {
	tok *token
	out []*state
	def *Def
	id  int // index for visited marks, set by register
}

// numStates counts the states of all modes; ids are 0..numStates-1.
var numStates int

// Token is a word of an input line and its byte offset.
type Token struct {
	Text string
	Off  int
}

// Tokenize splits a line into words at spaces and tabs; `|` is always a word of its
// own.
func Tokenize(line string) []Token {
	var toks []Token
	start := -1
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			if start >= 0 {
				toks = append(toks, Token{line[start:i], start})
				start = -1
			}
		case c == '|':
			if start >= 0 {
				toks = append(toks, Token{line[start:i], start})
				start = -1
			}
			toks = append(toks, Token{"|", i})
		default:
			if start < 0 {
				start = i
			}
		}
	}
	if start >= 0 {
		toks = append(toks, Token{line[start:], start})
	}
	return toks
}

// capture is a persistent list of matched tokens along one path.
type capture struct {
	tok  *token
	val  string // the canonical keyword, or the text as typed for a variable
	idx  int    // index of the input token
	prev *capture
}

type thread struct {
	st   *state
	caps *capture
}

// marks records which states a closure visited: a state is visited in the current
// closure when its mark equals gen.
type marks struct {
	m   []uint32
	gen uint32
}

// closure expands threads through epsilon states, keeping the first thread to reach
// each state (definition order is priority order).
func (v *marks) closure(ts []thread) []thread {
	if v.m == nil {
		v.m = make([]uint32, numStates)
	}
	v.gen++
	var out []thread
	var add func(t thread)
	add = func(t thread) {
		if v.m[t.st.id] == v.gen {
			return
		}
		v.m[t.st.id] = v.gen
		if t.st.tok != nil || t.st.def != nil {
			out = append(out, t)
		}
		if t.st.tok == nil {
			for _, o := range t.st.out {
				add(thread{o, t.caps})
			}
		}
	}
	for _, t := range ts {
		add(t)
	}
	return out
}

// run feeds tokens to the NFA from start. It returns the live threads after the
// last token (before closure is applied to their successors) or the error at the
// first token that cannot be matched.
func run(start *state, line string, toks []Token) ([]thread, *ParseError) {
	var v marks
	cur := v.closure([]thread{{st: start}})
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		lower := strings.ToLower(t.Text)
		var exact, vars, prefix []thread
		var lineVar []thread
		prefixWords := map[string]bool{}
		for _, th := range cur {
			tk := th.st.tok
			if tk == nil {
				continue
			}
			switch {
			case tk.kind == kwToken && tk.word == lower:
				exact = append(exact, th)
			case tk.kind == kwToken && strings.HasPrefix(tk.word, lower):
				prefix = append(prefix, th)
				prefixWords[tk.word] = true
			case tk.kind == varLine:
				lineVar = append(lineVar, th)
			case tk.kind != kwToken && tk.matchVar(t.Text):
				vars = append(vars, th)
			}
		}
		var chosen []thread
		switch {
		case len(exact) > 0:
			chosen = exact
		case len(vars) > 0:
			chosen = vars
		case len(prefix) > 0:
			if len(prefixWords) > 1 {
				return nil, &ParseError{Kind: Ambiguous, Line: line, Off: t.Off, End: t.Off + len(t.Text)}
			}
			chosen = prefix
		case len(lineVar) > 0:
			rest := strings.TrimRight(line[t.Off:], " \t\r\n")
			var next []thread
			for _, th := range lineVar {
				c := &capture{tok: th.st.tok, val: rest, idx: i, prev: th.caps}
				for _, o := range th.st.out {
					next = append(next, thread{o, c})
				}
			}
			return v.closure(next), nil
		default:
			return nil, invalidAt(cur, line, t)
		}
		var next []thread
		for _, th := range chosen {
			val := t.Text
			if th.st.tok.kind == kwToken {
				val = th.st.tok.word
			}
			c := &capture{tok: th.st.tok, val: val, idx: i, prev: th.caps}
			for _, o := range th.st.out {
				next = append(next, thread{o, c})
			}
		}
		cur = v.closure(next)
	}
	return cur, nil
}

// invalidAt builds the error for a token nothing accepts, naming a range when a
// number was out of it.
func invalidAt(cur []thread, line string, t Token) *ParseError {
	e := &ParseError{Kind: Invalid, Line: line, Off: t.Off, End: t.Off + len(t.Text)}
	for _, th := range cur {
		tk := th.st.tok
		if tk == nil {
			continue
		}
		addr, _, _ := strings.Cut(t.Text, "/")
		switch {
		case tk.kind == varRange && isDigits(t.Text):
			e.Msg = "value " + t.Text + " is out of range " + tk.word
		case (tk.kind == varAddr4 || tk.kind == varPrefix4) && looksLikeAddr(addr, true):
			e.Msg = t.Text + " is IPv6; this is an IPv4 access list"
		case (tk.kind == varAddr6 || tk.kind == varPrefix6) && looksLikeAddr(addr, false):
			e.Msg = t.Text + " is IPv4; this is an IPv6 access list"
		default:
			continue
		}
		break
	}
	return e
}

// Candidate is one entry of `?` help: what may come next and what it means.
type Candidate struct {
	Word string // keyword, variable form such as A.B.C.D, or <cr>
	Help string
	// Var is true for variables (not completed by Tab).
	Var  bool
	kind varKind
}

// candidates lists the token states of threads, and <cr> if one accepts.
func candidates(cur []thread) []Candidate {
	var out []Candidate
	seen := map[string]bool{}
	cr := false
	for _, th := range cur {
		if th.st.def != nil {
			cr = true
			continue
		}
		tk := th.st.tok
		if tk == nil || seen[tk.display()] || used(th.caps, tk) {
			continue
		}
		seen[tk.display()] = true
		out = append(out, Candidate{Word: tk.display(), Help: tk.help, Var: tk.kind != kwToken, kind: tk.kind})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Var != out[j].Var {
			return out[i].Var
		}
		if out[i].Var {
			return false
		}
		return out[i].Word < out[j].Word
	})
	if cr {
		out = append(out, Candidate{Word: "<cr>"})
	}
	return out
}

// used reports whether a path already matched tk: only an {any order} group can
// offer it again, and the builder refuses a repeat.
func used(c *capture, tk *token) bool {
	for ; c != nil; c = c.prev {
		if c.tok == tk {
			return true
		}
	}
	return false
}
