package grammar

import (
	"fmt"
	"strings"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// The command syntax language, FRR DEFPY style:
//
//	keyword            a literal, matched case-insensitively by any unique prefix
//	WORD A.B.C.D ...   a variable (see varKinds)
//	<lo-hi>            a number in a range
//	[ x ]              optional
//	( x | y )          alternatives
//	{ x | y }          any of these, in any order (repeats are refused by the builder)
//	x$name             capture the token matched by x under name
//
// Each token of a definition has a help string; they are listed in the order the
// tokens appear in the syntax text.

type dslAlt struct {
	Seqs []*dslSeq `parser:"@@ ( '|' @@ )*"`
}

type dslSeq struct {
	Items []*dslItem `parser:"@@+"`
}

type dslItem struct {
	Opt     *dslAlt `parser:"( '[' @@ ']'"`
	Star    *dslAlt `parser:"| '{' @@ '}'"`
	Group   *dslAlt `parser:"| '(' @@ ')'"`
	Range   string  `parser:"| @Range"`
	Word    string  `parser:"| @Word )"`
	Capture string  `parser:"@Capture?"`
	Pos     lexer.Position
}

var dslLexer = lexer.MustSimple([]lexer.SimpleRule{
	{Name: "Range", Pattern: `<\d+-\d+>`},
	{Name: "Capture", Pattern: `\$[a-z0-9_]+`},
	{Name: "Punct", Pattern: `[\[\]{}()|]`},
	{Name: "Word", Pattern: `[A-Za-z0-9.:/_-]+`},
	{Name: "Space", Pattern: `\s+`},
})

var dslParser = participle.MustBuild[dslAlt](participle.Lexer(dslLexer), participle.Elide("Space"))

// compile parses a syntax string and builds its NFA fragment. help supplies one
// help string per token, in order.
func compile(syntax string, help []string) (start, end *state, err error) {
	ast, err := dslParser.ParseString("", syntax)
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
