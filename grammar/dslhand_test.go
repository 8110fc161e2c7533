package grammar

import (
	"fmt"
	"strings"
	"testing"
)

// The hand-written recursive descent parser of the definition language that
// every start ran before defs_gen.go (until the participle grammar of
// dslgen_test.go replaced it): kept to measure the start against
// (BenchmarkStart) and to check that both read every definition alike
// (TestDefsParsersAgree).

// handParseDSL parses a syntax string.
func handParseDSL(syntax string) (*dslAlt, error) {
	p := &handParser{s: syntax}
	a, err := p.alt()
	if err != nil {
		return nil, err
	}
	if p.skip(); p.pos < len(p.s) {
		return nil, fmt.Errorf("unexpected %q at offset %d", p.s[p.pos], p.pos)
	}
	return a, nil
}

type handParser struct {
	s   string
	pos int
}

func (p *handParser) skip() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t' || p.s[p.pos] == '\n') {
		p.pos++
	}
}

// peek returns the next byte after spaces, or 0 at the end.
func (p *handParser) peek() byte {
	if p.skip(); p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

func (p *handParser) alt() (*dslAlt, error) {
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

func (p *handParser) seq() (*dslSeq, error) {
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

func (p *handParser) item() (*dslItem, error) {
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

// BenchmarkStart is what a start pays to make the definitions ready: linking
// the generated tables (now), parsing and compiling every syntax with the hand
// parser (the start before defs_gen.go), or with participle (the start before
// that, less building the parser).
func BenchmarkStart(b *testing.B) {
	defs, tables := defsNow()
	parsed := func(parse func(string) (*dslAlt, error)) func(i int, d *Def, n *int) *state {
		return func(i int, d *Def, n *int) *state {
			ast, err := parse(d.Syntax)
			if err != nil {
				b.Fatal(err)
			}
			s, e, _, err := compileDSL(ast, d.Help)
			if err != nil {
				b.Fatal(err)
			}
			e.out = append(e.out, &state{def: d})
			walk(s, nil, func(x *state) {
				x.id = *n
				*n++
				if t := x.tok; t != nil {
					t.name = t.capture
					if t.name == "" && t.kind == kwToken {
						t.name = t.word
					}
				}
			})
			return s
		}
	}
	for _, bc := range []struct {
		name string
		frag func() func(i int, d *Def, n *int) *state
	}{
		{"generated", func() func(i int, d *Def, n *int) *state { return linkGenerated(defs, tables) }},
		{"hand-parser", func() func(i int, d *Def, n *int) *state { return parsed(handParseDSL) }},
		{"participle", func() func(i int, d *Def, n *int) *state { return parsed(parseDSL) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if g := newGraph(defs, bc.frag()); g.n == 0 {
					b.Fatal("no states")
				}
			}
		})
	}
}
