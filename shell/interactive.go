package shell

import (
	"fmt"
	"io"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/cli"
	"github.com/aclsh/aclsh/grammar"
	"github.com/aclsh/aclsh/term"
	"github.com/aclsh/aclsh/view"
)

// The terminal (package term) runs a Session; these names stay for the callers
// that use them from here.
type (
	TermOptions      = term.Options
	Session          = term.Session
	LineTooLongError = term.LineTooLongError
)

// MaxLine is term.MaxLine: the longest line aclsh accepts.
const MaxLine = term.MaxLine

// RunInteractive runs a session on a terminal (term.Run).
func RunInteractive(s Session, to TermOptions) int { return term.Run(s, to) }

// RunInteractive runs the shell on a terminal until exit or Ctrl-D in exec mode. It
// returns the exit status.
func (s *Shell) RunInteractive(to TermOptions) int { return term.Run(s, to) }

// The Session methods of a shell in this process.

// InExec reports exec mode.
func (s *Shell) InExec() bool { return s.t.Mode == grammar.Exec }

// RunLine runs one interactive line and prints its error under the prompt.
func (s *Shell) RunLine(out io.Writer, line string) { s.runLine(out, line) }

// Help writes the ? help for line.
func (s *Shell) Help(w io.Writer, line string) { s.writeHelp(w, line) }

// Complete returns the words Tab offers after line.
func (s *Shell) Complete(line string) []string {
	return grammar.Complete(s.gmode(), line, s.namesOf)
}

// EndMode goes back to exec (Ctrl-Z); ExitMode leaves the mode (Ctrl-D).
func (s *Shell) EndMode()  { s.t.Follow(grammar.Command{Value: cli.End{}, Mode: s.t.Mode}) }
func (s *Shell) ExitMode() { s.t.Follow(grammar.Command{Value: cli.Exit{}, Mode: s.t.Mode}) }

// Attach sends the shell's output to out and its questions to ask.
func (s *Shell) Attach(out io.Writer, ask func(string) (string, error)) error {
	s.opt.Out, s.opt.Err = out, out
	s.ask = ask
	return s.broken
}

// Detach ends Attach's questions.
func (s *Shell) Detach() { s.ask = nil }

// Banner is the line an interactive session starts with: the host, the Linux
// interface that is management 0, and where help is.
func (s *Shell) Banner() string {
	return fmt.Sprintf("aclsh on %s, management 0 is %s. Type ? for help.", s.opt.Host, view.OrNone(s.opt.IfName))
}

// runLine runs one interactive line and prints its error under the prompt. A line
// longer than MaxLine is not run: the editor stopped taking its input there.
func (s *Shell) runLine(out io.Writer, line string) {
	if len(line) > MaxLine {
		fmt.Fprintf(out, "%% Line too long (more than %d bytes); not run\n", MaxLine)
		return
	}
	prompt := s.Prompt()
	if err := s.Run(line); err != nil {
		PrintError(out, term.DisplayWidth(prompt), err)
	}
}

// writeHelp writes the `?` help for line: each candidate with its help, aligned.
func (s *Shell) writeHelp(w io.Writer, line string) {
	cands, err := grammar.Help(s.gmode(), line)
	if err != nil {
		PrintError(w, term.DisplayWidth(s.Prompt()), err)
		return
	}
	width := 0
	for _, c := range cands {
		width = max(width, len(c.Word))
	}
	for _, c := range cands {
		if c.Help == "" {
			fmt.Fprintf(w, "  %s\n", c.Word)
			continue
		}
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.Word, c.Help)
	}
}

// namesOf returns the access list names of family f (of both families when all),
// for completion.
func (s *Shell) namesOf(f acl.Family, all bool) []string {
	var out []string
	for _, n := range s.Names() {
		if all || s.t.Cfg.ACLs[n].Family == f {
			out = append(out, n)
		}
	}
	return out
}
