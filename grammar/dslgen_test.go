package grammar

import (
	"errors"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/internal/golden"
)

// The generator of cli/defs_gen.go (go generate ./cli runs TestDefsGenerated
// with -update): it parses every definition's syntax with a participle grammar
// and compiles it into the tables a start links (dsl.go). It lives in the tests
// so that participle is no part of the aclsh binary.

// Record where each definition is made, for the errors below: this runs before
// cli's init registers the definitions (Define).
var _ = func() bool { defSource = true; return true }()

var dslLexer = lexer.MustSimple([]lexer.SimpleRule{
	{Name: "Range", Pattern: `<[0-9]+-[0-9]+>`},
	{Name: "Word", Pattern: `[a-zA-Z0-9.:/_-]+`},
	{Name: "Capture", Pattern: `\$[a-z0-9_]+`},
	{Name: "Punct", Pattern: `[][{}()|*]`},
	{Name: "Space", Pattern: `[ \t\n]+`},
})

// dslAlt is alternatives: x | y.
type dslAlt struct {
	Seqs []*dslSeq `parser:"@@ ( '|' @@ )*"`
}

// dslSeq is a sequence of items.
type dslSeq struct {
	Items []*dslItem `parser:"@@+"`
}

// dslItem is one element of a sequence: a group of one of three kinds, a range or
// a word, with an optional capture name.
type dslItem struct {
	Pos     lexer.Position
	Opt     *dslAlt `parser:"(  '[' @@ ']'"` // [ ... ]
	Star    *dslAlt `parser:" | '{' @@ '}'"` // { ... }
	Repeat  bool    `parser:"   @'*'?"`      // { ... }*: a Star whose tokens may be used again
	Group   *dslAlt `parser:" | '(' @@ ')'"` // ( ... )
	Range   string  `parser:" | @Range"`     // <lo-hi>
	Word    string  `parser:" | @Word )"`
	Capture string  `parser:"@Capture?"` // $name
	Tokens  []lexer.Token
}

var dslParser = participle.MustBuild[dslAlt](participle.Lexer(dslLexer), participle.Elide("Space"))

// dslError is an error in a syntax string at byte offset Off.
type dslError struct {
	Off int
	Msg string
}

func (e *dslError) Error() string { return fmt.Sprintf("offset %d: %s", e.Off, e.Msg) }

// parseDSL parses a syntax string with the participle grammar.
func parseDSL(syntax string) (*dslAlt, error) {
	a, err := dslParser.ParseString("", syntax)
	if err != nil {
		var pe participle.Error
		if errors.As(err, &pe) {
			return nil, &dslError{pe.Position().Offset, pe.Message()}
		}
		return nil, err
	}
	// `*` and `$name` are part of what they follow: no space before them.
	var check func(*dslAlt) error
	check = func(a *dslAlt) error {
		for _, q := range a.Seqs {
			for _, it := range q.Items {
				for i, t := range it.Tokens {
					if i > 0 && (t.Value == "*" || strings.HasPrefix(t.Value, "$")) {
						if p := it.Tokens[i-1]; p.Pos.Offset+len(p.Value) != t.Pos.Offset || strings.TrimSpace(p.Value) == "" {
							return &dslError{t.Pos.Offset, fmt.Sprintf("%q must follow what it applies to without a space", t.Value)}
						}
					}
				}
				for _, sub := range []*dslAlt{it.Opt, it.Star, it.Group} {
					if sub != nil {
						if err := check(sub); err != nil {
							return err
						}
					}
				}
			}
		}
		return nil
	}
	if err := check(a); err != nil {
		return nil, err
	}
	return a, nil
}

// compile builds the NFA fragment of a parsed syntax; help supplies one help
// string per token, in order. toks are its tokens in syntax order.
func compileDSL(ast *dslAlt, help []string) (start, end *state, toks []*token, err error) {
	c := &compiler{help: help}
	start, end = c.alt(ast)
	if c.err != nil {
		return nil, nil, nil, c.err
	}
	if c.n != len(help) {
		off := 0
		if len(c.toks) > len(help) {
			off = c.offs[len(help)]
		}
		return nil, nil, nil, &dslError{off, fmt.Sprintf("%d tokens but %d help strings", c.n, len(help))}
	}
	return start, end, c.toks, nil
}

type compiler struct {
	help []string
	n    int
	toks []*token
	offs []int
	// groups numbers the choices of {any order} groups (token.group).
	groups uint16
	err    error
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
			// The tokens that start one choice share its group.
			starts := []*state{xs}
			if len(it.Star.Seqs) > 1 {
				starts = xs.out
			}
			for _, cs := range starts {
				c.groups++
				seen := map[*state]bool{}
				var first func(*state)
				first = func(st *state) {
					if seen[st] {
						return
					}
					seen[st] = true
					if st.tok != nil {
						st.tok.group = c.groups
						return
					}
					for _, o := range st.out {
						if o != xe {
							first(o)
						}
					}
				}
				first(cs)
			}
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
			c.err = &dslError{it.Pos.Offset, err.Error()}
		}
		if c.n < len(c.help) {
			t.help = c.help[c.n]
		}
		c.n++
		c.toks = append(c.toks, t)
		c.offs = append(c.offs, it.Pos.Offset)
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

// portVars are the port variables of one protocol: a port of a tcp or udp rule,
// whose names `?` and Tab offer; MORE-: a further port of an eq or neq list.
var portVars = map[string]struct {
	proto uint8
	more  bool
}{
	"TCP-PORT": {acl.ProtoTCP, false}, "UDP-PORT": {acl.ProtoUDP, false},
	"MORE-TCP-PORT": {acl.ProtoTCP, true}, "MORE-UDP-PORT": {acl.ProtoUDP, true},
}

// newToken makes the token of a word of the syntax.
func newToken(w string) (*token, error) {
	if k, ok := wordKind(w); ok && k != kwToken && k != varRange {
		if k == varPipe {
			return &token{kind: k, word: "|"}, nil
		}
		pv := portVars[w]
		return &token{kind: k, word: w, proto: pv.proto, more: pv.more}, nil
	}
	if strings.HasPrefix(w, "<") {
		var lo, hi int
		if _, err := fmt.Sscanf(w, "<%d-%d>", &lo, &hi); err != nil || lo > hi {
			return &token{}, fmt.Errorf("bad range %s", w)
		}
		return &token{kind: varRange, word: w, lo: lo, hi: hi}, nil
	}
	if w != strings.ToLower(w) {
		return &token{}, fmt.Errorf("unknown variable %s", w)
	}
	return &token{kind: kwToken, word: w}, nil
}

// genOf compiles a definition into its generated table; parse is the parser
// (parseDSL, or the one a start used before).
func genOf(d *Def, parse func(string) (*dslAlt, error)) (Table, error) {
	start, toks, err := compileDef(d, parse)
	if err != nil {
		return Table{}, err
	}
	return tableOf(d.Syntax, start, toks), nil
}

// compileDef parses and compiles a definition: its start state, the accepting
// state linked to d, and its tokens in syntax order.
func compileDef(d *Def, parse func(string) (*dslAlt, error)) (*state, []*token, error) {
	ast, err := parse(d.Syntax)
	if err != nil {
		return nil, nil, defError(d, err)
	}
	start, end, toks, err := compileDSL(ast, d.Help)
	if err != nil {
		return nil, nil, defError(d, err)
	}
	end.out = append(end.out, &state{def: d})
	return start, toks, nil
}

// dump writes the states reachable from start, depth-first in priority order,
// with their tokens (ids and names aside: the compiler leaves them to link).
func dump(start *state) string {
	var b strings.Builder
	num := map[*state]int{}
	var order []*state
	var visit func(*state)
	visit = func(s *state) {
		if _, ok := num[s]; ok {
			return
		}
		num[s] = len(order)
		order = append(order, s)
		for _, o := range s.out {
			visit(o)
		}
	}
	visit(start)
	for i, s := range order {
		fmt.Fprintf(&b, "%d def=%v", i, s.def != nil)
		if t := s.tok; t != nil {
			fmt.Fprintf(&b, " tok={%d %q %d %d %q %q %v %d %d %v}", t.kind, t.word, t.lo, t.hi, t.help, t.capture, t.once, t.group, t.proto, t.more)
		}
		for _, o := range s.out {
			fmt.Fprintf(&b, " %d", num[o])
		}
		b.WriteString("\n")
	}
	return b.String()
}

// tableOf numbers the states reachable from start depth-first, in priority
// order, and writes them as a Table.
func tableOf(syntax string, start *state, toks []*token) Table {
	g := Table{Syntax: syntax}
	tokIdx := map[*token]int{}
	for i, t := range toks {
		tokIdx[t] = i
		g.Toks = append(g.Toks, TableTok{Word: t.word, Lo: t.lo, Hi: t.hi, Capture: t.capture, Once: t.once, Group: t.group, Proto: t.proto, More: t.more})
	}
	num := map[*state]int{}
	var order []*state
	var visit func(*state)
	visit = func(s *state) {
		if _, ok := num[s]; ok {
			return
		}
		num[s] = len(order)
		order = append(order, s)
		for _, o := range s.out {
			visit(o)
		}
	}
	visit(start)
	for _, s := range order {
		ref := 0
		switch {
		case s.def != nil:
			ref = accept
		case s.tok != nil:
			i, ok := tokIdx[s.tok]
			if !ok {
				panic("a token of no definition")
			}
			ref = i + 1
		}
		g.States = append(g.States, uint16(ref), uint16(len(s.out)))
		for _, o := range s.out {
			g.States = append(g.States, uint16(num[o]))
		}
	}
	return g
}

// defError names where a definition is made and the token at fault: file:line:col
// when the piece of the syntax holding it is a literal near that line, with
// the syntax and a caret under the token.
func defError(d *Def, err error) error {
	off := 0
	var de *dslError
	if errors.As(err, &de) {
		off = de.Off
		err = errors.New(de.Msg)
	}
	caret := fmt.Sprintf("\n\t%s\n\t%s^", d.Syntax, strings.Repeat(" ", off))
	f, _ := runtime.CallersFrames(d.pc[:]).Next()
	if f.File == "" {
		return fmt.Errorf("definition %q: offset %d: %w%s", d.Syntax, off, err, caret)
	}
	file := f.File
	if wd, werr := os.Getwd(); werr == nil {
		if rel, rerr := filepath.Rel(filepath.Dir(wd), file); rerr == nil {
			file = rel
		}
	}
	line, col := f.Line, 0
	if src, rerr := os.ReadFile(f.File); rerr == nil {
		line, col = literalAt(strings.Split(string(src), "\n"), f.Line, d.Syntax, off)
	}
	if col == 0 {
		return fmt.Errorf("%s:%d: definition: offset %d: %w%s", file, line, off, err, caret)
	}
	return fmt.Errorf("%s:%d:%d: definition: %w%s", file, line, col, err, caret)
}

var literalRE = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// literalAt finds the string literal, on line n (from 1) of a source file or
// up to 5 lines before it, that holds byte off of syntax (once), and returns
// the line and column (from 1) of that byte; col 0 when there is none.
func literalAt(lines []string, n int, syntax string, off int) (line, col int) {
	for l := n; l >= max(1, n-5) && l <= len(lines); l-- {
		for _, m := range literalRE.FindAllStringIndex(lines[l-1], -1) {
			lit, err := strconv.Unquote(lines[l-1][m[0]:m[1]])
			if err != nil || lit == "" || strings.Count(syntax, lit) != 1 {
				continue
			}
			if p := strings.Index(syntax, lit); p <= off && off < p+len(lit) || off == len(syntax) && p+len(lit) == off {
				return l, m[0] + 1 + (off - p) + 1
			}
		}
	}
	return n, 0
}

// genFile is the file that holds the tables of the definitions: beside them,
// in package cli.
const genFile = "../cli/defs_gen.go"

// generate returns genFile for defs.
func generate(defs []*Def) (string, error) {
	var b strings.Builder
	b.WriteString(`// Code generated by go generate ./cli (TestDefsGenerated in grammar/dslgen_test.go); DO NOT EDIT.

package cli

import "github.com/aclsh/aclsh/grammar"

// defTables is every definition's syntax compiled, in the order define makes them.
var defTables = [...]grammar.Table{
`)
	for i, d := range defs {
		g, err := genOf(d, parseDSL)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "\t// %d\n\t{\n\t\tSyntax: %q,\n\t\tToks: []grammar.TableTok{\n", i, g.Syntax)
		for _, t := range g.Toks {
			fmt.Fprintf(&b, "\t\t\t{Word: %q", t.Word)
			if k, _ := wordKind(t.Word); k == varRange {
				fmt.Fprintf(&b, ", Lo: %d, Hi: %d", t.Lo, t.Hi)
			}
			if t.Capture != "" {
				fmt.Fprintf(&b, ", Capture: %q", t.Capture)
			}
			if t.Once {
				b.WriteString(", Once: true")
			}
			if t.Group != 0 {
				fmt.Fprintf(&b, ", Group: %d", t.Group)
			}
			if t.Proto != 0 {
				fmt.Fprintf(&b, ", Proto: %d", t.Proto)
			}
			if t.More {
				b.WriteString(", More: true")
			}
			b.WriteString("},\n")
		}
		b.WriteString("\t\t},\n\t\tStates: []uint16{")
		for j, k := 0, 0; j < len(g.States); j, k = j+2+int(g.States[j+1]), k+1 {
			if k%8 == 0 {
				b.WriteString("\n\t\t\t")
			}
			for n, v := range g.States[j : j+2+int(g.States[j+1])] {
				if n == 0 && v == accept {
					b.WriteString("grammar.Accept, ")
					continue
				}
				fmt.Fprintf(&b, "%d, ", v)
			}
		}
		b.WriteString("\n\t\t")
		b.WriteString("},\n\t},\n")
	}
	b.WriteString("}\n")
	src, err := format.Source([]byte(b.String()))
	if err != nil {
		return "", err
	}
	return string(src), nil
}

// defsNow returns every definition registered (package cli's) and its table,
// linked or not: go test -run ^TestDefsGenerated$, which go generate runs,
// makes them without linking them to the tables, which may be stale.
func defsNow() ([]*Def, []Table) {
	if registered != nil {
		return registered, tables
	}
	return makeDefs()
}

// The tables in genFile are what the definitions generate now (go generate
// ./cli or ./grammar, or go test ./grammar -update, rewrites it).
func TestDefsGenerated(t *testing.T) {
	defs, _ := defsNow()
	src, err := generate(defs)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, genFile, src)
}

// stripPos clears what the parser records about positions, to compare trees.
func stripPos(a *dslAlt) {
	for _, q := range a.Seqs {
		for _, it := range q.Items {
			it.Pos, it.Tokens = lexer.Position{}, nil
			for _, sub := range []*dslAlt{it.Opt, it.Star, it.Group} {
				if sub != nil {
					stripPos(sub)
				}
			}
		}
	}
}

// The participle grammar reads every definition as the parser a start ran
// before the tables were generated did: the same tables.
func TestDefsParsersAgree(t *testing.T) {
	defs, tables := defsNow()
	for i, d := range defs {
		got, err := genOf(d, parseDSL)
		require.NoError(t, err)
		want, err := genOf(d, handParseDSL)
		require.NoError(t, err)
		require.Equal(t, want, got, "definition %d %q", i, d.Syntax)
		require.Equal(t, tables[i], got, "definition %d %q: %s is stale (go generate ./cli)", i, d.Syntax, genFile)
	}
	// And a start links the tables into those states.
	frag, n := linkGenerated(defs, tables), 0
	for i, d := range defs {
		start, _, err := compileDef(d, parseDSL)
		require.NoError(t, err)
		require.Equal(t, dump(start), dump(frag(i, d, &n)), "definition %d %q linked", i, d.Syntax)
	}

}

// An error in a definition names the file, line and column of the token at
// fault (in the string literal that holds it), and shows it under a caret.
func TestDefErrors(t *testing.T) {
	gen := func(d *Def) string {
		_, err := genOf(d, parseDSL)
		require.Error(t, err)
		return err.Error()
	}
	h := func(n int) []string { return make([]string, n) }
	var got []string
	got = append(got, gen(newDef(0, nil, "show [ip$fam|ipv6$fam] access-lists [WORD$name", h(5), nil)))
	got = append(got, gen(newDef(0, nil, "show (ip|ipv6) access-lists WORD $name", h(5), nil)))
	got = append(got, gen(newDef(0, nil, "show <1-x>", h(2), nil)))
	got = append(got, gen(newDef(0, nil, "show Word", h(2), nil)))
	got = append(got, gen(newDef(0, nil, "show clock", h(1), nil)))
	piece := "(ip|ipv6 access-lists"
	got = append(got, gen(newDef(0, nil, "show "+piece, h(4), nil)))
	got = append(got, gen(newDef(0, nil, strings.Repeat("x", 3)+" ]", h(1), nil)))
	_, _, line, _ := runtime.Caller(0)
	at := func(back, col int) string {
		return fmt.Sprintf("grammar/dslgen_test.go:%d:%d: definition: ", line-back, col)
	}
	want := []string{
		at(8, 86) + `unexpected token "<EOF>" (expected "]")` + "\n\tshow [ip$fam|ipv6$fam] access-lists [WORD$name\n\t" + strings.Repeat(" ", 46) + "^",
		at(7, 73) + `"$name" must follow what it applies to without a space`,
		at(6, 45) + `lexer: invalid input text "<1-x>"`,
		at(5, 45) + "unknown variable Word",
		at(4, 45) + "2 tokens but 1 help strings",
		at(3, 33) + `unexpected token "<EOF>" (expected ")")`,
		at(1, 64) + `unexpected token "]"`,
	}
	for i := range want {
		require.True(t, strings.HasPrefix(got[i], want[i]), "error %d:\n%s\nwant it to start\n%s", i, got[i], want[i])
	}
}
