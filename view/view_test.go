package view

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/grammar"
)

type lines struct {
	Lines []string `json:"lines"`
	note  string
}

func (v *lines) WriteText(w io.Writer) {
	for _, l := range v.Lines {
		fmt.Fprintln(w, l)
	}
}

func (v *lines) NoteLine() string { return v.note }

// Render: JSON alone with `| json`, else the text through the modifiers in
// order, and the note for the error stream with the text only.
func TestRender(t *testing.T) {
	v := &lines{Lines: []string{"ip access-list extended web", " 10 permit tcp any any eq 22", "  sessions: none", "end"}, note: "! unsaved"}
	// The modifiers as a show line's ` | op RE` parse (the definitions that
	// parse them are package cli's, which imports this one).
	pipe := func(line string) grammar.Pipe {
		var p grammar.Pipe
		for _, f := range strings.Split(line, " | ")[1:] {
			op, re, _ := strings.Cut(f, " ")
			p = append(p, grammar.Filter{Op: op, RE: re})
		}
		return p
	}
	for _, tc := range []struct{ pipe, out, note string }{
		{"", "ip access-list extended web\n 10 permit tcp any any eq 22\n  sessions: none\nend\n", "! unsaved"},
		{" | json", "{\n  \"lines\": [\n    \"ip access-list extended web\",\n    \" 10 permit tcp any any eq 22\",\n    \"  sessions: none\",\n    \"end\"\n  ]\n}\n", ""},
		{" | include permit", " 10 permit tcp any any eq 22\n", "! unsaved"},
		{" | exclude ^[ ]", "ip access-list extended web\nend\n", "! unsaved"},
		{" | begin permit", " 10 permit tcp any any eq 22\n  sessions: none\nend\n", "! unsaved"},
		{" | section permit", " 10 permit tcp any any eq 22\n  sessions: none\n", "! unsaved"},
		{" | section permit | count", "2\n", "! unsaved"},
	} {
		out, note, err := Render(v, pipe(tc.pipe))
		require.NoError(t, err)
		require.Equal(t, tc.out, out, "Render(%q)", tc.pipe)
		require.Equal(t, tc.note, note, "Render(%q) note", tc.pipe)
	}
}
