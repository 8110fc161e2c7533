package grammar

import "fmt"

// The command syntax language, FRR DEFPY style:
//
//	keyword            a literal, matched case-insensitively by any unique prefix
//	WORD A.B.C.D ...   a variable (see varKind; varKinds in dslgen_test.go)
//	<lo-hi>            a number in a range
//	[ x ]              optional
//	( x | y )          alternatives
//	{ x | y }          any of these, in any order, each once: `?` does not offer
//	                   a choice taken (repeats are refused by the builder); a
//	                   choice of alternatives, { (a | b) | c }, is taken by either
//	{ x | y }*         any of these, repeated: `?` offers them again after each use
//	x$name             capture the token matched by x under name
//
// Each token of a definition has a help string; they are listed in the order the
// tokens appear in the syntax text.
//
// A start parses no definition: `go generate ./grammar` parses every syntax with
// the participle grammar of dslgen_test.go and compiles it into the tables of
// defs_gen.go, checked in; ready links those tables into states. A test fails
// when defs_gen.go is stale, and a start panics on a definition whose syntax is
// not the one generated.

//go:generate go test -run ^TestDefsGenerated$ . -update

// genDef is one definition's compiled syntax, as defs_gen.go holds it.
type genDef struct {
	syntax string   // the syntax it was compiled from
	toks   []genTok // in syntax order: toks[i] takes the definition's Help[i]
	// states is the definition's NFA, the start state first. Each state is its
	// token (index in toks + 1; 0 for a split; accept for the state where the
	// definition accepts), the number of its successors and their indexes, in
	// priority order.
	states []uint16
}

// accept marks the accepting state in genDef.states.
const accept = 0xffff

// genTok is a token of a genDef: the fields of a token that its syntax fixes.
type genTok struct {
	kind    varKind
	word    string
	lo, hi  int
	capture string
	once    bool
	group   uint16
	proto   uint8
	more    bool
}

// linkGenerated returns the newGraph fragment of defs from their generated
// tables (genDefs). It panics when a definition's syntax is not the one
// generated or the numbers of tokens and help strings differ: the package's
// tests catch that (run go generate ./grammar).
func linkGenerated(defs []*Def) func(i int, d *Def, n *int) *state {
	if len(defs) != len(genDefs) {
		panic(fmt.Sprintf("grammar: %d definitions, %d in defs_gen.go: run go generate ./grammar", len(defs), len(genDefs)))
	}
	// One allocation for each kind of thing, not one per state.
	nst, ntok, nout := 0, 0, 0
	for i, d := range defs {
		g := &genDefs[i]
		if g.syntax != d.Syntax || len(g.toks) != len(d.Help) {
			panic(fmt.Sprintf("grammar: definition %d (%q) is not the one in defs_gen.go (%d help strings for %d tokens): run go generate ./grammar",
				i, d.Syntax, len(d.Help), len(g.toks)))
		}
		ntok += len(g.toks)
		for j := 0; j < len(g.states); j += 2 + int(g.states[j+1]) {
			nst++
			nout += int(g.states[j+1])
		}
	}
	states, toks, outs := make([]state, 0, nst), make([]token, ntok), make([]*state, nout)
	return func(i int, d *Def, n *int) *state {
		g := &genDefs[i]
		tk := toks[:len(g.toks):len(g.toks)]
		toks = toks[len(g.toks):]
		for k, t := range g.toks {
			tk[k] = token{kind: t.kind, word: t.word, lo: t.lo, hi: t.hi, help: d.Help[k], capture: t.capture,
				name: t.capture, once: t.once, group: t.group, proto: t.proto, more: t.more}
			if t.capture == "" && t.kind == kwToken {
				tk[k].name = t.word // what a builder asks for: the capture name, else the keyword
			}
		}
		base := len(states)
		for j := 0; j < len(g.states); j += 2 + int(g.states[j+1]) {
			st := state{id: *n}
			*n++
			switch ref := g.states[j]; ref {
			case 0:
			case accept:
				st.def = d
			default:
				st.tok = &tk[ref-1]
			}
			states = append(states, st)
		}
		k := base
		for j := 0; j < len(g.states); j += 2 + int(g.states[j+1]) {
			no := int(g.states[j+1])
			out := outs[:no:no]
			outs = outs[no:]
			for o := range no {
				out[o] = &states[base+int(g.states[j+2+o])]
			}
			if no > 0 {
				states[k].out = out
			}
			k++
		}
		return &states[base]
	}
}
