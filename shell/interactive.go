package shell

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"
	"syscall"

	"github.com/chzyer/readline"

	"github.com/aclsh/aclsh/grammar"
)

const ctrlZ = 26

// TermOptions are the terminal's files and the history file.
type TermOptions struct {
	Stdin       io.ReadCloser
	Fd          int // the terminal's file descriptor
	Stdout      io.Writer
	HistoryFile string // "" for none
}

// RunInteractive runs the shell on a terminal until exit or Ctrl-D in exec mode. It
// returns the exit status.
func (s *Shell) RunInteractive(to TermOptions) int {
	var (
		mu     sync.Mutex
		cur    []rune
		pos    int
		gotCtZ bool
		rl     *readline.Instance
	)
	// Keep the terminal raw for the whole session: leaving raw mode between lines
	// loses keys typed ahead while a command runs.
	var raw *readline.State
	defer func() {
		if raw != nil {
			readline.Restore(to.Fd, raw)
		}
	}()
	hist := ""
	if to.HistoryFile != "" {
		f, err := openHistory(to.HistoryFile)
		switch {
		case errors.Is(err, fs.ErrPermission), errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.EROFS):
			// A home directory this user may not write: no history, as before.
		case err != nil:
			fmt.Fprintf(to.Stdout, "%% History not kept: %v\n", err)
		default:
			defer f.Close()
			// readline opens the file by this name; see openHistory.
			hist = fmt.Sprintf("/proc/self/fd/%d", f.Fd())
		}
	}
	cfg := &readline.Config{
		FuncMakeRaw: func() error {
			if raw != nil {
				return nil
			}
			st, err := readline.MakeRaw(to.Fd)
			raw = st
			return err
		},
		FuncExitRaw:            func() error { return nil },
		Prompt:                 s.Prompt(),
		HistoryFile:            hist,
		HistoryLimit:           historyLimit,
		DisableAutoSaveHistory: false,
		AutoComplete:           completer{s},
		InterruptPrompt:        "^C",
		Stdin:                  to.Stdin,
		Stdout:                 to.Stdout,
		Stderr:                 to.Stdout,
		Listener: readline.FuncListener(func(line []rune, p int, key rune) ([]rune, int, bool) {
			mu.Lock()
			cur, pos = append(cur[:0], line...), p
			mu.Unlock()
			return nil, 0, false
		}),
		FuncFilterInputRune: func(r rune) (rune, bool) {
			switch r {
			case '?':
				mu.Lock()
				line := string(cur[:pos])
				mu.Unlock()
				var b strings.Builder
				b.WriteString(s.Prompt() + line + "?\n")
				s.writeHelp(&b, line)
				rl.Write([]byte(b.String()))
				return r, false
			case ctrlZ:
				mu.Lock()
				gotCtZ = true
				mu.Unlock()
				return readline.CharInterrupt, true
			}
			return r, true
		},
	}
	var err error
	rl, err = readline.NewEx(cfg)
	if err != nil {
		fmt.Fprintf(to.Stdout, "%% Error: terminal: %v\n", err)
		return 1
	}
	// Close waits for the editor's reader, which may be blocked on the terminal: do
	// not hold up the exit for it (history is saved line by line).
	defer func() { go rl.Close() }()
	// The editor draws the next prompt as soon as a line is entered; its writer clears
	// that prompt, writes, and redraws it, so output lands above the prompt.
	out := rl.Stdout()
	s.opt.Out, s.opt.Err = out, out
	for !s.Done() {
		rl.SetPrompt(s.Prompt())
		line, err := rl.Readline()
		mu.Lock()
		z := gotCtZ
		gotCtZ = false
		mu.Unlock()
		switch {
		case errors.Is(err, readline.ErrInterrupt) && z:
			if strings.TrimSpace(line) != "" {
				fmt.Fprintln(out)
				s.runLine(out, line)
			} else {
				fmt.Fprintln(out, "^Z")
			}
			s.t.follow(grammar.Command{Kind: grammar.End, Mode: s.t.mode})
			continue
		case errors.Is(err, readline.ErrInterrupt):
			continue // Ctrl-C drops the line
		case errors.Is(err, io.EOF):
			// Ctrl-D on an empty line leaves the mode, or the shell in exec.
			if s.t.mode == grammar.Exec {
				return 0
			}
			fmt.Fprintln(out)
			s.t.follow(grammar.Command{Kind: grammar.Exit, Mode: s.t.mode})
			continue
		case err != nil:
			return 1
		}
		s.runLine(out, line)
	}
	return 0
}

// runLine runs one interactive line and prints its error under the prompt.
func (s *Shell) runLine(out io.Writer, line string) {
	prompt := s.Prompt()
	if err := s.Run(line); err != nil {
		PrintError(out, displayWidth(prompt), err)
	}
}

// writeHelp writes the `?` help for line: each candidate with its help, aligned.
func (s *Shell) writeHelp(w io.Writer, line string) {
	cands, err := grammar.Help(s.t.mode, line)
	if err != nil {
		PrintError(w, displayWidth(s.Prompt()), err)
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

// completer completes keywords and access list names from the command definitions.
type completer struct{ s *Shell }

func (c completer) Do(line []rune, pos int) ([][]rune, int) {
	text := string(line[:pos])
	words := grammar.Complete(c.s.t.mode, text, c.s.Names)
	partial := ""
	if toks := grammar.Tokenize(text); len(toks) > 0 && !strings.HasSuffix(text, " ") {
		partial = toks[len(toks)-1].Text
	}
	var out [][]rune
	for _, w := range words {
		if len(w) >= len(partial) {
			out = append(out, []rune(w[len(partial):]+" "))
		}
	}
	return out, len([]rune(partial))
}
