package grammar

import (
	"strings"
	"testing"
)

// Docs lists every registered command with a help string for each token, in
// the order `?` reads them: the manual says what the shell says.
func TestDocs(t *testing.T) {
	docs := Docs()
	if len(docs) != len(registered) {
		t.Fatalf("Docs() = %d commands, want %d", len(docs), len(registered))
	}
	var rule *Doc
	for i, d := range docs {
		if strings.Contains(d.Syntax, "$") || d.Syntax == "" {
			t.Errorf("Docs()[%d].Syntax = %q", i, d.Syntax)
		}
		for _, tok := range d.Tokens {
			if tok.Help == "" {
				t.Errorf("%q: token %q has no help", d.Syntax, tok.Word)
			}
		}
		if strings.Contains(d.Syntax, "<1-2147483647>)] (permit|deny)") && rule == nil {
			rule = &docs[i]
		}
	}
	if rule == nil {
		t.Fatal("no rule command in Docs()")
	}
	// Each token's help is the one `?` shows at its place.
	for _, c := range mustHelp(t, IPACL, "permit tcp any any ") {
		if c.Var {
			continue
		}
		found := false
		for _, tok := range rule.Tokens {
			found = found || tok == DocToken{c.Word, c.Help}
		}
		if !found && c.Word != "<cr>" {
			t.Errorf("`permit tcp any any ?` lists %s (%s); the rule's Doc has not", c.Word, c.Help)
		}
	}
	// Capture names go, the pipe token reads as typed.
	for _, d := range docs {
		if strings.HasPrefix(d.Syntax, "show ") && (strings.Contains(d.Syntax, "PIPE") || !strings.HasSuffix(d.Syntax, " "+PipeDoc)) {
			t.Errorf("Syntax = %q, want the pipe shown as |", d.Syntax)
		}
	}
}

func mustHelp(t *testing.T, m Mode, line string) []Candidate {
	t.Helper()
	c, err := Help(m, line)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
