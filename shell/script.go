package shell

import (
	"errors"
	"fmt"
	"io"
)

// RunScript runs lines from r as a script starting in exec mode: no prompts, show
// output to Options.Out, errors to Options.Err as `NAME:N: line`, a caret and the
// message. A line longer than MaxLine fails as `NAME:N: line too long (L bytes; at
// most MaxLine)`. The script is validated whole and committed once at its end; if
// any line failed nothing is applied. It returns the exit status: 0 or 1.
func (s *Shell) RunScript(r io.Reader, name string) int {
	lr := newLineReader(r)
	n := 0
	for !s.Done() {
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		n++
		var long *LineTooLongError
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
		s.lineNo, s.lineText = n, line // for --check --lint (lint.go)
		if err := s.Run(line); err != nil {
			s.Fail()
			prefix := fmt.Sprintf("%s:%d: ", name, n)
			fmt.Fprintf(s.opt.Err, "%s%s\n", prefix, line)
			PrintError(s.opt.Err, len(prefix), err)
		}
	}
	if s.Failed() > 0 {
		fmt.Fprintf(s.opt.Err, "%% %d line(s) failed; nothing was applied\n", s.Failed())
		return 1
	}
	if err := s.Commit(); err != nil {
		fmt.Fprintf(s.opt.Err, "%% Error: %v; nothing was applied\n", err)
		return 1
	}
	return 0
}
