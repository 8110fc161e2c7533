package grammar

import (
	"fmt"
	"strings"
)

// The command syntax language, FRR DEFPY style:
//
//	keyword            a literal, matched case-insensitively by any unique prefix
//	WORD A.B.C.D ...   a variable (see varKind and wordKind)
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
// A start parses no definition: `go generate ./cli` parses every syntax with
// the participle grammar of dslgen_test.go and compiles it into tables
// (cli/defs_gen.go), checked in beside the definitions and handed to Define
// with them; ready links those tables into states. A test fails when the
// tables are stale, and a start panics on a definition whose syntax is not the
// one generated.

//go:generate go test -run ^TestDefsGenerated$ . -update

// Table is one definition's compiled syntax, as go generate writes it.
type Table struct {
	Syntax string     // the syntax it was compiled from
	Toks   []TableTok // in syntax order: Toks[i] takes the definition's Help[i]
	// States is the definition's NFA, the start state first. Each state is its
	// token (index in Toks + 1; 0 for a split; Accept for the state where the
	// definition accepts), the number of its successors and their indexes, in
	// priority order.
	States []uint16
}

// Accept marks the accepting state in Table.States.
const Accept = 0xffff

// accept is Accept, as the engine spells it.
const accept = Accept

// TableTok is a token of a Table: the fields of a token that its syntax
// fixes. Its kind is its word's (wordKind).
type TableTok struct {
	Word    string // a keyword, a variable's name (WORD, A.B.C.D, ...), <lo-hi>, or | for PIPE
	Lo, Hi  int    // a range's
	Capture string
	Once    bool
	Group   uint16
	Proto   uint8
	More    bool
}

// wordKind returns the kind of a token by its word in a Table: a keyword
// (lower case), a range (<lo-hi>), or one of the variables (false: none).
func wordKind(w string) (varKind, bool) {
	switch w {
	case "WORD":
		return varWord, true
	case "A.B.C.D":
		return varAddr4, true
	case "A.B.C.D/LEN":
		return varPrefix4, true
	case "X:X::X:X":
		return varAddr6, true
	case "X:X::X:X/LEN":
		return varPrefix6, true
	case "PORT", "TCP-PORT", "UDP-PORT", "MORE-TCP-PORT", "MORE-UDP-PORT":
		return varPort, true
	case "LINE":
		return varLine, true
	case "PIPE", "|":
		return varPipe, true
	case "/LEN":
		return varMaskLen, true
	case "NAME":
		return varName, true
	case "HH:MM:SS":
		return varTime, true
	case "REGEX":
		return varRegex, true
	}
	if strings.HasPrefix(w, "<") {
		return varRange, true
	}
	return kwToken, w == strings.ToLower(w)
}

// linkGenerated returns the newGraph fragment of defs from their generated
// tables. It panics when a definition's syntax is not the one generated or
// the numbers of tokens and help strings differ: the tests of grammar catch
// that (run go generate ./cli).
func linkGenerated(defs []*Def, genDefs []Table) func(i int, d *Def, n *int) *state {
	if len(defs) != len(genDefs) {
		panic(fmt.Sprintf("grammar: %d definitions, %d tables: run go generate ./cli", len(defs), len(genDefs)))
	}
	// One allocation for each kind of thing, not one per state.
	nst, ntok, nout := 0, 0, 0
	for i, d := range defs {
		g := &genDefs[i]
		if g.Syntax != d.Syntax || len(g.Toks) != len(d.Help) {
			panic(fmt.Sprintf("grammar: definition %d (%q) is not the one in its table (%d help strings for %d tokens): run go generate ./cli",
				i, d.Syntax, len(d.Help), len(g.Toks)))
		}
		ntok += len(g.Toks)
		for j := 0; j < len(g.States); j += 2 + int(g.States[j+1]) {
			nst++
			nout += int(g.States[j+1])
		}
	}
	states, toks, outs := make([]state, 0, nst), make([]token, ntok), make([]*state, nout)
	return func(i int, d *Def, n *int) *state {
		g := &genDefs[i]
		tk := toks[:len(g.Toks):len(g.Toks)]
		toks = toks[len(g.Toks):]
		for k, t := range g.Toks {
			kind, _ := wordKind(t.Word)
			tk[k] = token{kind: kind, word: t.Word, lo: t.Lo, hi: t.Hi, help: d.Help[k], capture: t.Capture,
				name: t.Capture, once: t.Once, group: t.Group, proto: t.Proto, more: t.More}
			if t.Capture == "" && kind == kwToken {
				tk[k].name = t.Word // what a builder asks for: the capture name, else the keyword
			}
		}
		base := len(states)
		for j := 0; j < len(g.States); j += 2 + int(g.States[j+1]) {
			st := state{id: *n}
			*n++
			switch ref := g.States[j]; ref {
			case 0:
			case accept:
				st.def = d
			default:
				st.tok = &tk[ref-1]
			}
			states = append(states, st)
		}
		k := base
		for j := 0; j < len(g.States); j += 2 + int(g.States[j+1]) {
			no := int(g.States[j+1])
			out := outs[:no:no]
			outs = outs[no:]
			for o := range no {
				out[o] = &states[base+int(g.States[j+2+o])]
			}
			if no > 0 {
				states[k].out = out
			}
			k++
		}
		return &states[base]
	}
}
