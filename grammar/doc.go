package grammar

import (
	"regexp"
	"slices"
	"strings"
)

// registered holds every definition in the order register got them (the manual
// lists them in that order).
var registered []*Def

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
var longAltRE = regexp.MustCompile(`\((?:[a-z0-9-]+\|){8,}[a-z0-9-]+\)`)

var captureRE = regexp.MustCompile(`\$[a-z0-9_]+`)

// Docs returns every command definition, in the order they were registered.
func Docs() []Doc {
	ready()
	var out []Doc
	for i, d := range registered {
		// The output modifiers read as IOS's manuals write them: [| MODIFIER]...
		body, piped := strings.CutSuffix(d.Syntax, pipeSyntax)
		syn := strings.Join(strings.Fields(captureRE.ReplaceAllString(body, "")), " ")
		syn = strings.ReplaceAll(syn, "PIPE", "|")
		// ICMP type names (dozens) are listed with the tokens, not in the syntax.
		syn = longAltRE.ReplaceAllString(syn, "ICMP-NAME")
		if piped {
			syn += " " + PipeDoc
		}
		doc := Doc{Modes: slices.Clone(d.Modes), Plain: d.Plain, Syntax: syn}
		seen := map[DocToken]bool{}
		for n, gt := range genDefs[i].toks {
			t := token{kind: gt.kind, word: gt.word}
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
	name := [...]string{Exec: "exec", Config: "config", IPACL: "IPv4 access list", IP6ACL: "IPv6 access list", Interface: "interface management 0"}[m.Base()]
	if m&InSession != 0 {
		name += " (in a configuration session)"
	}
	return name
}
