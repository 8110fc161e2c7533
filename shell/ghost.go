package shell

import (
	"fmt"
	"strings"

	"github.com/aclsh/aclsh/cli"
	"github.com/aclsh/aclsh/grammar"
)

// One error, not a cascade (issue 20, item 11). When a script's line that
// opens a block is refused (a list header aclsh does not take, an interface
// it does not manage, a `line vty` it does not know), the lines of that block
// would each fail in configuration mode, and an `exit` among them would leave
// configuration mode, so that valid lines after the block failed too. Instead
// the block's lines are checked as the block's own, and nothing of them runs
// (the script fails anyway, at its header):
//
//   - after a refused list header, the lines are checked as entries of such a
//     list, after a refused interface as lines of interface management 0;
//   - after a refused header of a line, management or control-plane block
//     (line console 0, management telnet), or a line at the left margin whose
//     first word no mode knows, the indented lines under it are not run and
//     not reported (skipped);
//
// and a line the block's mode does not know, `exit` or `end`, ends the block.
// A terminal is not a script: an operator sees each line's error as typed.

// ghost is a refused block a script is in.
type ghost struct {
	line int          // the script's line of the header (0: unknown)
	text string       // the header as typed
	mode grammar.Mode // the mode its lines are checked in; Config: they are skipped
}

// skipped is the error of a line under a refused block that is not run. A
// script does not report it: its block's header failed already.
type skipped struct{ g *ghost }

func (e *skipped) Error() string { return "not run: " + e.under() }

// under says which block a line is under.
func (e *skipped) under() string {
	if e.g.line > 0 {
		return fmt.Sprintf("under %q, refused at line %d", strings.TrimSpace(e.g.text), e.g.line)
	}
	return fmt.Sprintf("under %q, which was refused", strings.TrimSpace(e.g.text))
}

// ghostOf returns the block a refused line of a configuration mode opens,
// nil if none, and leaves the script in configuration mode.
func (s *Shell) ghostOf(line string, err error) *ghost {
	if s.opt.Interactive || s.t.Mode == grammar.Exec {
		return nil
	}
	w := strings.Fields(strings.ToLower(line))
	if len(w) == 0 || strings.HasPrefix(w[0], "!") {
		return nil
	}
	g := &ghost{line: s.lineNo, text: line, mode: grammar.Config}
	prefix := func(typed, word string) bool { return len(typed) >= 2 && strings.HasPrefix(word, typed) }
	switch {
	case len(w) >= 3 && (w[0] == "ip" || w[0] == "ipv4") && prefix(w[1], "access-list") && !prefix(w[2], "logging"):
		g.mode = grammar.IPACL
		if prefix(w[2], "standard") {
			g.mode = grammar.StdACL
		}
	case len(w) >= 3 && w[0] == "ipv6" && prefix(w[1], "access-list"):
		g.mode = grammar.IP6ACL
	case len(w) >= 2 && prefix(w[0], "interface"):
		g.mode = grammar.Interface
	case line[0] == ' ' || line[0] == '\t':
		return nil // a refused line inside a block opens none
	case prefix(w[0], "line") || prefix(w[0], "management") || prefix(w[0], "control-plane") ||
		len(w) >= 2 && prefix(w[0], "system") && prefix(w[1], "control-plane"):
		// A block of another line or service than the ones aclsh binds
		// (line console 0, management telnet): its indented lines are its
		// own, not run and not reported.
		return g
	default:
		// A command no mode knows (its first word is refused): the indented
		// lines under it are its block. A known command refused for a value
		// is a line of its own.
		pe, ok := err.(*grammar.ParseError)
		if !ok || pe.Off != len(line)-len(strings.TrimLeft(line, " \t")) {
			return nil
		}
		return g
	}
	// Out of the mode the script was in, as the header would have left it:
	// the block's lines must not land in the list before it.
	s.t.Mode, s.t.ACL = grammar.Config, ""
	return g
}

// inGhost checks a script's line in the refused block it is in. It reports
// whether the line was handled; if not, the block has ended and the line
// runs as any other.
func (s *Shell) inGhost(line string) (bool, error) {
	g := s.ghost
	if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "!") {
		return false, nil
	}
	if g.mode == grammar.Config {
		if line[0] == ' ' || line[0] == '\t' {
			return true, &skipped{g}
		}
		s.ghost = nil
		return false, nil
	}
	cmd, err := grammar.Parse(g.mode, line)
	if err != nil {
		// A real error of a line of the block: say which block.
		if pe, ok := err.(*grammar.ParseError); ok && pe.Kind == grammar.Invalid && pe.Msg == "" {
			pe.Msg = fmt.Sprintf("not a line of %s (checked as one: %s)", g.mode.Name(), (&skipped{g}).under())
		}
		return true, err
	}
	if cmd.Mode != g.mode.Base() {
		s.ghost = nil // a line of configuration mode: the block ended
		return false, nil
	}
	switch c := cli.Of(cmd, "").(type) {
	case cli.Exit:
		s.ghost = nil // back in configuration mode, where the script is
		return true, nil
	case cli.End:
		s.ghost = nil
		return false, nil
	case cli.Change, cli.NoMeaning:
		// Checked, not run: there is no list (or interface) to change.
		if cmd.Note != "" {
			s.note(cmd.Note)
		}
		return true, nil
	default:
		_ = c
		s.ghost = nil
		return false, nil
	}
}
