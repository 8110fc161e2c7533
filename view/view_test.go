package view

import (
	"fmt"
	"io"
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
	pipe := func(line string) grammar.Pipe {
		cmd, err := grammar.Parse(grammar.Exec, "show clock"+line)
		require.NoError(t, err)
		return cmd.Pipe
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
