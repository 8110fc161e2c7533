package shell

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aclsh/aclsh/grammar"
	"github.com/aclsh/aclsh/term"
)

// maxAfterEnd is how many of the lines after a script ended (exit in exec mode)
// are quoted one by one; the rest are counted in one line.
const maxAfterEnd = 5

// RunScriptText is RunScript of a script whose whole text is at hand (the
// daemon has it): a list the script enters makes room at once for the rule
// lines that follow in the text (target.reserve), rather than growing by copying
// itself: a million lines added copied 480 MB of entries, under the
// collector's write barrier, in half the script's time.
func (s *Shell) RunScriptText(text, name string) int {
	s.ahead = text
	defer func() { s.ahead = "" }()
	return s.RunScript(strings.NewReader(text), name)
}

// RunScript runs lines from r as a script starting in exec mode: no prompts, show
// output to Options.Out, errors to Options.Err as `NAME:N: line`, a caret and the
// message (NAME is the file, `-` for standard input, `-c` for -c). A line longer
// than MaxLine fails as `NAME:N: line too long (L bytes; at most MaxLine)`. Every
// line is read: once `exit` in exec mode ended the session, a later line that is
// not blank or a comment fails (it would not run), so one `exit` too many cannot
// drop the rest of a script silently. The script is validated whole and committed
// once at its end; if any line failed nothing is applied. It returns the exit
// status: 0 or 1.
func (s *Shell) RunScript(r io.Reader, name string) int {
	cr := &countingReader{r: r}
	lr := term.NewLineReader(cr)
	n := 0
	ended := 0 // the line whose exit ended the session
	endWord := "exit"
	var after []int
	var long *LineTooLongError // errors.As's target: made once, not a line
	for {
		line, err := lr.Next()
		if err == io.EOF {
			break
		}
		n++
		if s.ahead != "" {
			// The text after this line (each line read is one line of the
			// text); at its end "", not an empty string into the text, which
			// would keep it through the commit.
			if _, rest, _ := strings.Cut(s.ahead, "\n"); rest != "" {
				s.ahead = rest
			} else {
				s.ahead = ""
			}
		}
		long = nil
		if ended > 0 && (err == nil || errors.As(err, &long)) {
			if long != nil || !comment(line) {
				s.Fail()
				after = append(after, n)
				if len(after) <= maxAfterEnd {
					prefix := fmt.Sprintf("%s:%d: ", name, n)
					if long != nil {
						line = long.Error()
					}
					fmt.Fprintf(s.opt.Err, "%s%s\n", prefix, grammar.Printable(line))
					PrintError(s.opt.Err, len(prefix), fmt.Errorf("the session ended at line %d (%s in exec mode); this line would not run", ended, endWord))
				}
			}
			continue
		}
		if errors.As(err, &long) {
			s.Fail()
			fmt.Fprintf(s.opt.Err, "%s:%d: %v\n", name, n, err)
			continue
		}
		if err != nil {
			fmt.Fprintf(s.opt.Err, "%% Error: %s: reading line %d: %v\n", name, n, err)
			s.Fail()
			break
		}
		if cr.n > s.opt.Store.SizeCap() {
			// Larger than any config aclsh can hold: stop reading (a script of a
			// million lines of a few hundred bytes would take gigabytes).
			fmt.Fprintf(s.opt.Err, "%s:%d: %% Error: the script is larger than %d MiB, more than a running-config aclsh can hold; nothing was applied\n",
				name, n, s.opt.Store.SizeCap()>>20)
			s.Fail()
			break
		}
		s.lineNo, s.lineText = n, line // for --check --lint (lint.go)
		s.noteName, s.noteLine = name, n
		list := s.t.ACL
		err = s.Run(line)
		if s.t.ACL != list && s.t.ACL != "" && s.ahead != "" {
			// A list entered: room for the rule lines that follow it.
			s.tgt.reserve(s.t.ACL, ruleLinesAhead(s.ahead))
		}
		if err != nil {
			var sk *skipped
			if errors.As(err, &sk) {
				continue // under a refused block, whose header was reported
			}
			s.Fail()
			prefix := fmt.Sprintf("%s:%d: ", name, n)
			fmt.Fprintf(s.opt.Err, "%s%s\n", prefix, grammar.Printable(line)) // never a control character raw
			PrintError(s.opt.Err, len(prefix), err)
		}
		if s.Done() && ended == 0 {
			ended = n
			if f := strings.Fields(line); len(f) > 0 {
				endWord = strings.ToLower(f[0]) // exit, quit, logout as typed
			}
		}
	}
	s.ahead = "" // what is left of the text after a script stopped early
	if len(after) > maxAfterEnd {
		more := after[maxAfterEnd:]
		fmt.Fprintf(s.opt.Err, "%s:%d: %% Error: this line and %d more up to line %d would not run either (the session ended at line %d)\n",
			name, more[0], len(more)-1, more[len(more)-1], ended)
	}
	if name := s.opened; name != "" {
		// As on EOS: the session stays, to be committed or aborted later (by
		// this script's user, from any client).
		fmt.Fprintf(s.opt.Err, "%% Session %s is left pending, not committed: configure session %s, then commit or abort\n", name, name)
	}
	if s.Failed() > 0 {
		fmt.Fprintf(s.opt.Err, "%% %d line(s) failed; %s\n", s.Failed(), s.nothingApplied())
		return 1
	}
	if err := s.Commit(); err != nil {
		var ns *notSaved
		if errors.As(err, &ns) {
			fmt.Fprintf(s.opt.Err, "%% Error: %v\n", err)
			return 1
		}
		msg := err.Error()
		if !strings.Contains(msg, "nothing was applied") { // said once
			msg += "; " + s.nothingApplied()
		}
		fmt.Fprintf(s.opt.Err, "%% Error: %s\n", msg)
		return 1
	}
	if s.bind {
		s.warnNoInterface()
	}
	return 0
}

// ruleLinesAhead counts the lines at the start of text that add a rule or
// remark as written in a list's mode (`seq N ...`, `permit ...`, `deny ...`,
// `remark ...`, IOS's `N permit ...`), indented or not.
func ruleLinesAhead(text string) int {
	n := 0
	for text != "" {
		line, rest, _ := strings.Cut(text, "\n")
		l := strings.TrimLeft(line, " \t")
		switch {
		case strings.HasPrefix(l, "seq "), strings.HasPrefix(l, "permit "), strings.HasPrefix(l, "deny "), strings.HasPrefix(l, "remark "),
			l != "" && l[0] >= '0' && l[0] <= '9':
		default:
			return n
		}
		n++
		text = rest
	}
	return n
}

// nothingApplied says what a failed script applied: nothing, or only what took
// effect at its line (a session's commit, a reload), which stands.
func (s *Shell) nothingApplied() string {
	if len(s.effects) == 0 {
		return "nothing was applied"
	}
	return "nothing else was applied (" + strings.Join(s.effects, ", ") + " took effect and stands)"
}

// comment reports whether a script line is blank or a comment (`!`): after the
// session ended such lines are allowed, as they would do nothing.
func comment(line string) bool {
	l := strings.TrimSpace(line)
	return l == "" || strings.HasPrefix(l, "!")
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
