package grammar

import (
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/aclsh/aclsh/acl"
)

// state is a node of a mode's NFA: a token to match, an epsilon split (tok nil), or
// an accepting state (def non-nil).
type state struct {
	tok *token
	out []*state
	def *Def
	id  int // index for visited marks, set by ready
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
	// Count first: one allocation a line.
	n, in := 0, false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; c {
		case ' ', '\t', '\r', '\n':
			in = false
		case '|':
			n++
			in = false
		default:
			if !in {
				n++
			}
			in = true
		}
	}
	if n == 0 {
		return nil
	}
	toks := make([]Token, 0, n)
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

// IsPipeSep reports whether t, a word of line, is a `|` that starts the next
// output modifier: one with a space before it. A `|` inside a word (`22|443`) is
// part of a regular expression.
func IsPipeSep(line string, t Token) bool {
	if t.Text != "|" {
		return false
	}
	return t.Off > 0 && (line[t.Off-1] == ' ' || line[t.Off-1] == '\t')
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

// runner is the scratch space of one run: visit marks, thread lists and the
// captures. A parse takes one from runners and puts it back when nothing it
// returned is used any more, so that a line costs a few allocations, not one per
// state it visits.
type runner struct {
	marks      []uint32 // a state is visited in the current closure when its mark is gen
	gen        uint32
	stack      []thread
	cur, next  []thread
	spare      []thread
	chunks     [][]capture // capture storage: pointers into it stay valid until reset
	chunk, pos int
	class      []uint8
	list       []capture // the accepted path's captures, for a builder
	m          Match
	rule       acl.Rule // the rule the canonical fast path read, for a builder
	// text is the free text (LINE) token the last run ended in, nil if none:
	// the words from it to the end of the line are that token's text.
	text *token
}

var runners = sync.Pool{New: func() any { return new(runner) }}

func getRunner() *runner {
	r := runners.Get().(*runner)
	if len(r.marks) != numStates {
		r.marks, r.gen = make([]uint32, numStates), 0
	}
	r.chunk, r.pos = 0, 0
	return r
}

func putRunner(r *runner) {
	r.m = Match{}
	runners.Put(r)
}

// newCapture stores c and returns a pointer that stays valid until the runner is
// reused.
func (r *runner) newCapture(c capture) *capture {
	const chunkLen = 64
	if r.chunk == len(r.chunks) {
		r.chunks = append(r.chunks, make([]capture, chunkLen))
	}
	p := &r.chunks[r.chunk][r.pos]
	*p = c
	if r.pos++; r.pos == chunkLen {
		r.chunk, r.pos = r.chunk+1, 0
	}
	return p
}

// closure expands threads through epsilon states into out (reset first), keeping
// the first thread to reach each state in depth-first order (definition order is
// priority order).
func (r *runner) closure(ts, out []thread) []thread {
	if r.gen++; r.gen == 0 {
		clear(r.marks)
		r.gen = 1
	}
	out = out[:0]
	st := r.stack[:0]
	for i := len(ts) - 1; i >= 0; i-- {
		st = append(st, ts[i])
	}
	for len(st) > 0 {
		t := st[len(st)-1]
		st = st[:len(st)-1]
		if r.marks[t.st.id] == r.gen {
			continue
		}
		r.marks[t.st.id] = r.gen
		if t.st.tok != nil || t.st.def != nil {
			out = append(out, t)
		}
		if t.st.tok == nil {
			for i := len(t.st.out) - 1; i >= 0; i-- {
				st = append(st, thread{t.st.out[i], t.caps})
			}
		}
	}
	r.stack = st
	return out
}

// How a thread's token takes the input token, best first.
const (
	noMatch uint8 = iota
	byLine
	byRegex
	byWeak // a further port of a list: below any keyword the word abbreviates
	byPrefix
	byVar
	byExact
)

// run feeds tokens to the NFA from start. It returns the live threads after the
// last token (before closure is applied to their successors) or the error at the
// first token that cannot be matched. The threads live in r.
func (r *runner) run(start *state, line string, toks []Token) ([]thread, *ParseError) {
	r.next = append(r.next[:0], thread{st: start})
	r.text = nil
	cur := r.closure(r.next, r.cur)
	spare := r.spare
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		lower := toLower(t.Text)
		best := noMatch
		prefixWord, ambiguous := "", false
		class := r.class[:0]
		for _, th := range cur {
			c := noMatch
			switch tk := th.st.tok; {
			case tk == nil:
			case tk.kind == kwToken:
				if tk.word == lower {
					c = byExact
				} else if strings.HasPrefix(tk.word, lower) {
					c = byPrefix
					switch {
					case prefixWord == "" || strings.HasPrefix(prefixWord, tk.word):
						// The shortest keyword that is the start of every other
						// one: `lo` is log, not log-input.
						prefixWord = tk.word
					case !strings.HasPrefix(tk.word, prefixWord):
						ambiguous = true
					}
				}
			case tk.kind == varLine:
				c = byLine
			case tk.kind == varRegex:
				if !IsPipeSep(line, t) {
					c = byRegex
				}
			case best < byExact && tk.matchVar(t.Text):
				c = byVar
				if tk.more {
					c = byWeak
				}
			}
			class = append(class, c)
			best = max(best, c)
		}
		r.class = class
		next := r.next[:0]
		switch best {
		case noMatch:
			r.cur, r.spare = cur, spare
			return nil, invalidAt(cur, line, t)
		case byPrefix:
			if ambiguous {
				r.cur, r.spare = cur, spare
				return nil, &ParseError{Kind: Ambiguous, Line: line, Off: t.Off, End: t.Off + len(t.Text)}
			}
		case byLine:
			rest := strings.TrimRight(line[t.Off:], " \t\r\n")
			if i := strings.IndexByte(rest, '\t'); i >= 0 {
				// Free text is kept as typed: a tab in it would be shown raw.
				r.cur, r.spare = cur, spare
				return nil, textError(line, t.Off+i, 1, "a tab is not allowed in text (use spaces)")
			}
			for j, th := range cur {
				if class[j] != byLine {
					continue
				}
				if r.text == nil {
					r.text = th.st.tok
				}
				c := r.newCapture(capture{tok: th.st.tok, val: rest, idx: i, prev: th.caps})
				for _, o := range th.st.out {
					next = append(next, thread{o, c})
				}
			}
			r.next = next
			out := r.closure(next, spare)
			r.cur, r.spare = out, cur
			return out, nil
		case byRegex:
			// A regular expression: the words up to the next modifier, as typed.
			j := i + 1
			for j < len(toks) && !IsPipeSep(line, toks[j]) {
				j++
			}
			end := len(line)
			if j < len(toks) {
				end = toks[j].Off
			}
			rest := strings.TrimRight(line[t.Off:end], " \t\r\n")
			for k, th := range cur {
				if class[k] != byRegex {
					continue
				}
				c := r.newCapture(capture{tok: th.st.tok, val: rest, idx: i, prev: th.caps})
				for _, o := range th.st.out {
					next = append(next, thread{o, c})
				}
			}
			if j == len(toks) && r.text == nil {
				// The expression runs to the end of the line: `?` there is help
				// for free text (see Help).
				for k, th := range cur {
					if class[k] == byRegex {
						r.text = th.st.tok
						break
					}
				}
			}
			r.next = next
			cur, spare = r.closure(next, spare), cur
			i = j - 1
			continue
		}
		for j, th := range cur {
			// An abbreviated keyword stays alive beside a variable that takes the
			// same word (`ip access-list ext NAME`: ext is extended, or a name):
			// the rest of the line decides, and where both accept, the variable's
			// definition, registered first, wins as before.
			if class[j] != best && (best != byVar || class[j] != byPrefix || ambiguous) {
				continue
			}
			if class[j] == byPrefix && th.st.tok.word != prefixWord {
				continue // a longer keyword the shortest one starts
			}
			val := t.Text
			if th.st.tok.kind == kwToken {
				val = th.st.tok.word
			}
			c := r.newCapture(capture{tok: th.st.tok, val: val, idx: i, prev: th.caps})
			for _, o := range th.st.out {
				next = append(next, thread{o, c})
			}
		}
		r.next = next
		cur, spare = r.closure(next, spare), cur
	}
	r.cur, r.spare = cur, spare
	return cur, nil
}

// toLower is strings.ToLower without the copy for text that has no upper case.
func toLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' || c >= 0x80 {
			return strings.ToLower(s)
		}
	}
	return s
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
		case (tk.kind == varRange || tk.kind == varMaskLen) && signed(strings.TrimPrefix(t.Text, "/")):
			e.Msg = t.Text + " is not a number: write digits only, without a sign (" + tk.display() + ")"
		case (tk.kind == varAddr4 || tk.kind == varPrefix4) && looksLikeAddr(addr, true):
			e.Msg = t.Text + " is IPv6; this is an IPv4 access list"
		case (tk.kind == varAddr6 || tk.kind == varPrefix6) && looksLikeAddr(addr, false):
			e.Msg = t.Text + " is IPv4; this is an IPv6 access list"
		case tk.capture == "itype":
			if e.Msg = otherICMPName(strings.ToLower(t.Text)); e.Msg == "" {
				continue
			}
		case tk.capture == "form":
			e.Msg = dialectHint(t.Text)
		case tk.capture == "proto" && strings.EqualFold(t.Text, "icmpv6"):
			e.Msg = "icmpv6 is for IPv6 access lists; IPv4 lists say icmp"
		default:
			continue
		}
		break
	}
	if e.Msg == "" && jsonMisplaced(cur, line, t) {
		e.Msg = "json must be the only output modifier"
	}
	return e
}

// jsonMisplaced reports whether t fails because `| json` is not alone: it follows
// another modifier (`| include x | json`), or another follows it.
func jsonMisplaced(cur []thread, line string, t Token) bool {
	for _, th := range cur {
		for c := th.caps; c != nil; c = c.prev {
			if c.tok.name != "pipeop" {
				continue
			}
			if c.val == "json" {
				return t.Text == "|"
			}
			lower := toLower(t.Text)
			return lower != "" && strings.HasPrefix("json", lower)
		}
	}
	return false
}

// otherICMPName explains an ICMP type name of one family only, given where the
// other family's are expected, or returns "".
func otherICMPName(word string) string {
	_, v4 := acl.ParseICMPName(acl.IPv4, word)
	_, v6 := acl.ParseICMPName(acl.IPv6, word)
	switch {
	case v6 && !v4:
		msg := word + " is an ICMPv6 type name; this is an IPv4 access list"
		if word == "echo-request" {
			msg += " (IPv4 says echo)"
		}
		return msg
	case v4 && !v6:
		return word + " is an IPv4 ICMP type name; this is an IPv6 access list"
	}
	return ""
}

// signed reports whether s is a number with a sign, which aclsh does not take.
func signed(s string) bool {
	return len(s) > 1 && (s[0] == '+' || s[0] == '-') && isDigits(s[1:])
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
		if tk == nil || seen[tk.display()] || !tk.more && used(th.caps, tk) {
			continue
		}
		seen[tk.display()] = true
		out = append(out, Candidate{Word: tk.display(), Help: tk.help, Var: tk.kind != kwToken, kind: tk.kind})
		if tk.kind == varPort && tk.proto != 0 {
			// the port names of the protocol, as IOS lists them
			for _, n := range acl.PortNames(tk.proto) {
				if !seen[n.Name] {
					seen[n.Name] = true
					out = append(out, Candidate{Word: n.Name, Help: n.Help + " (" + strconv.Itoa(int(n.Port)) + ")", kind: varPort})
				}
			}
		}
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

// used reports whether a path already matched tk, or another start of the
// same choice of an {any order} group: such a group offers each choice once
// (the builder refuses a repeat; Enter a combination the model refuses); a
// {repeated}* group's tokens are offered again.
func used(c *capture, tk *token) bool {
	if !tk.once {
		return false
	}
	for ; c != nil; c = c.prev {
		if c.tok == tk || tk.group != 0 && c.tok.group == tk.group {
			return true
		}
	}
	return false
}
