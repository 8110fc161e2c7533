package grammar

import (
	"fmt"
	"strings"
)

// The command syntax language, FRR DEFPY style:
//
//	keyword            a literal, matched case-insensitively by any unique prefix
//	WORD A.B.C.D ...   a variable (see varKinds)
//	<lo-hi>            a number in a range
//	[ x ]              optional
//	( x | y )          alternatives
//	{ x | y }          any of these, in any order (repeats are refused by the builder)
//	{ x | y }*         any of these, repeated: `?` offers them again after each use
//	x$name             capture the token matched by x under name
//
// Each token of a definition has a help string; they are listed in the order the
// tokens appear in the syntax text.

type dslAlt struct {
	Seqs []*dslSeq
}

type dslSeq struct {
	Items []*dslItem
}

// dslItem is one element of a sequence: a group of one of three kinds, a range or
// a word, with an optional capture name.
type dslItem struct {
	Opt     *dslAlt // [ ... ]
	Star    *dslAlt // { ... }
	Repeat  bool    // { ... }*: a Star whose tokens may be used again
	Group   *dslAlt // ( ... )
	Range   string  // <lo-hi>
	Word    string
	Capture string // $name
}

// parseDSL parses a syntax string. It is a small recursive descent parser: the
// definitions are parsed at every start of aclsh, which must be quick.
func parseDSL(syntax string) (*dslAlt, error) {
	p := &dslParser{s: syntax}
	a, err := p.alt()
	if err != nil {
		return nil, err
	}
	if p.skip(); p.pos < len(p.s) {
		return nil, fmt.Errorf("unexpected %q at offset %d", p.s[p.pos], p.pos)
	}
	return a, nil
}

type dslParser struct {
	s   string
	pos int
}

func (p *dslParser) skip() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t' || p.s[p.pos] == '\n') {
		p.pos++
	}
}

// peek returns the next byte after spaces, or 0 at the end.
func (p *dslParser) peek() byte {
	if p.skip(); p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

func (p *dslParser) alt() (*dslAlt, error) {
	a := &dslAlt{}
	for {
		q, err := p.seq()
		if err != nil {
			return nil, err
		}
		a.Seqs = append(a.Seqs, q)
		if p.peek() != '|' {
			return a, nil
		}
		p.pos++
	}
}

func (p *dslParser) seq() (*dslSeq, error) {
	q := &dslSeq{}
	for {
		switch c := p.peek(); c {
		case 0, '|', ']', '}', ')':
			if len(q.Items) == 0 {
				return nil, fmt.Errorf("empty sequence at offset %d", p.pos)
			}
			return q, nil
		}
		it, err := p.item()
		if err != nil {
			return nil, err
		}
		q.Items = append(q.Items, it)
	}
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(".:/_-", c) >= 0
}

func (p *dslParser) item() (*dslItem, error) {
	it := &dslItem{}
	start := p.pos
	switch c := p.s[p.pos]; c {
	case '[', '{', '(':
		p.pos++
		a, err := p.alt()
		if err != nil {
			return nil, err
		}
		want := map[byte]byte{'[': ']', '{': '}', '(': ')'}[c]
		if p.peek() != want {
			return nil, fmt.Errorf("missing %q for %q at offset %d", want, c, start)
		}
		p.pos++
		switch c {
		case '[':
			it.Opt = a
		case '{':
			it.Star = a
			if p.pos < len(p.s) && p.s[p.pos] == '*' {
				it.Repeat = true
				p.pos++
			}
		default:
			it.Group = a
		}
	case '<':
		end := strings.IndexByte(p.s[p.pos:], '>')
		lo, hi, ok := strings.Cut(p.s[p.pos+1:p.pos+max(end, 1)], "-")
		if end < 0 || !ok || !isDigits(lo) || !isDigits(hi) {
			return nil, fmt.Errorf("bad range at offset %d", start)
		}
		it.Range = p.s[p.pos : p.pos+end+1]
		p.pos += end + 1
	default:
		for p.pos < len(p.s) && isWordByte(p.s[p.pos]) {
			p.pos++
		}
		if p.pos == start {
			return nil, fmt.Errorf("unexpected %q at offset %d", c, start)
		}
		it.Word = p.s[start:p.pos]
	}
	if p.pos < len(p.s) && p.s[p.pos] == '$' {
		n := p.pos + 1
		for n < len(p.s) && (p.s[n] >= 'a' && p.s[n] <= 'z' || p.s[n] >= '0' && p.s[n] <= '9' || p.s[n] == '_') {
			n++
		}
		if n == p.pos+1 {
			return nil, fmt.Errorf("empty capture name at offset %d", p.pos)
		}
		it.Capture = p.s[p.pos:n]
		p.pos = n
	}
	return it, nil
}

// compile parses a syntax string and builds its NFA fragment. help supplies one
// help string per token, in order.
func compile(syntax string, help []string) (start, end *state, err error) {
	ast, err := parseDSL(syntax)
	if err != nil {
		return nil, nil, fmt.Errorf("syntax %q: %w", syntax, err)
	}
	c := &compiler{help: help}
	start, end = c.alt(ast)
	if c.err != nil {
		return nil, nil, fmt.Errorf("syntax %q: %w", syntax, c.err)
	}
	if c.n != len(help) {
		return nil, nil, fmt.Errorf("syntax %q: %d tokens but %d help strings", syntax, c.n, len(help))
	}
	return start, end, nil
}

type compiler struct {
	help []string
	n    int
	err  error
}

func (c *compiler) alt(a *dslAlt) (*state, *state) {
	if len(a.Seqs) == 1 {
		return c.seq(a.Seqs[0])
	}
	s, e := &state{}, &state{}
	for _, q := range a.Seqs {
		qs, qe := c.seq(q)
		s.out = append(s.out, qs)
		qe.out = append(qe.out, e)
	}
	return s, e
}

func (c *compiler) seq(q *dslSeq) (*state, *state) {
	var s, e *state
	for _, it := range q.Items {
		is, ie := c.item(it)
		if s == nil {
			s, e = is, ie
			continue
		}
		e.out = append(e.out, is)
		e = ie
	}
	return s, e
}

func (c *compiler) item(it *dslItem) (*state, *state) {
	var s, e *state
	switch {
	case it.Opt != nil:
		xs, xe := c.alt(it.Opt)
		s, e = &state{out: []*state{xs}}, &state{}
		s.out = append(s.out, e)
		xe.out = append(xe.out, e)
	case it.Star != nil:
		xs, xe := c.alt(it.Star)
		if !it.Repeat {
			// Used once per path: `?` does not offer them again (see used).
			walk(xs, xe, func(st *state) {
				if st.tok != nil {
					st.tok.once = true
				}
			})
		}
		s, e = &state{out: []*state{xs}}, &state{}
		s.out = append(s.out, e)
		xe.out = append(xe.out, s)
	case it.Group != nil:
		s, e = c.alt(it.Group)
	default:
		w := it.Word
		if it.Range != "" {
			w = it.Range
		}
		t, err := newToken(w)
		if err != nil && c.err == nil {
			c.err = err
		}
		if c.n < len(c.help) {
			t.help = c.help[c.n]
		}
		c.n++
		e = &state{}
		s = &state{tok: t, out: []*state{e}}
	}
	if it.Capture != "" {
		name := strings.TrimPrefix(it.Capture, "$")
		walk(s, e, func(st *state) {
			if st.tok != nil && st.tok.capture == "" {
				st.tok.capture = name
			}
		})
	}
	return s, e
}

// walk visits the states reachable from s without passing e.
func walk(s, e *state, f func(*state)) {
	seen := map[*state]bool{}
	var visit func(*state)
	visit = func(x *state) {
		if x == nil || seen[x] || x == e {
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
