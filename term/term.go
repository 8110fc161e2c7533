// Package term is aclsh's terminal: a switch's plain byte stream for each line
// (plain.go), the line editor (readline) once the operator edits one, `?` help and
// Tab completion, paste bursts, the history file and the plain line reader of
// scripts. It runs a Session (a shell in this process, or one the daemon runs)
// and knows nothing of what the lines mean.
package term

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"
	"syscall"
	"unicode/utf8"

	"github.com/chzyer/readline"

	"github.com/aclsh/aclsh/grammar"
)

const ctrlZ = 26

// Options are the terminal's files and the history file.
type Options struct {
	Stdin       io.ReadCloser
	Fd          int // the terminal's file descriptor
	Stdout      io.Writer
	HistoryFile string // "" for none
}

// editor holds what readline's key loop tells the shell about the line being edited.
// Its hooks run on readline's key goroutine, one key at a time (and listen also on
// the caller's, with an empty line, as each Readline starts).
type editor struct {
	s  Session
	rl *readline.Instance

	mu      sync.Mutex
	line    []rune // the line as of the last key
	pos     int
	bytes   int    // len(string(line))
	ctrlZ   bool   // the line ended with Ctrl-Z
	offered []byte // a run of text the burstReader offers
	insert  []byte // the run to insert at this key
	taken   chan runAnswer
	// searchKeys counts runs passed on as keys in this search: each costs a redraw,
	// and no useful pattern is long.
	searchKeys int
	// asking: the line is the answer to a question (Proceed? [y/N]): no help, no
	// history.
	asking bool
	// gate holds the terminal's input back from readline, except while readline
	// edits a line; the filter judges each key that may end a line.
	gate *lineGate
	br   *burstReader // the terminal's input; a plain line reads its buffer
	out  io.Writer    // the terminal
	// afterCR: the last line ended with CR (an LF next is the rest of a CRLF).
	afterCR bool
}

// maxSearchKeys is how many characters of runs a search takes as keys; the rest of
// a paste into a search is dropped.
const maxSearchKeys = 256

// offer is the burstReader's: run comes next, as a burstMark.
func (e *editor) offer(run []byte) {
	e.mu.Lock()
	e.offered = run
	e.mu.Unlock()
}

// filter sees each key before readline does.
func (e *editor) filter(r rune) (rune, bool) {
	op := e.rl.Operation
	e.mu.Lock()
	defer e.mu.Unlock()
	search := op.IsSearchMode()
	if !search {
		e.searchKeys = 0
	}
	if r < ' ' && lineEnd(byte(r)) {
		e.gate.judge(e.endsLine(r, search))
	}
	switch {
	case r == burstMark:
		// A run of text: insert it at once, unless a search or a completion is
		// under way (the burstReader then passes it on as keys).
		run := e.offered
		e.offered = nil
		switch {
		case run == nil:
			return r, false // not from the burstReader (it cannot be)
		case search && e.searchKeys >= maxSearchKeys:
			e.taken <- runDropped
			e.rl.Terminal.Bell()
			return r, false
		case search || op.IsInCompleteMode():
			if search {
				e.searchKeys++
			}
			e.taken <- runKeys
			return r, false
		}
		e.taken <- runTaken
		e.insert = run
		return readline.CharBell, true // a key that does nothing; listen inserts
	case e.asking && (r == readline.CharEnter || r == readline.CharCtrlJ):
		e.rl.HistoryDisable()
	case e.asking && r == '?':
		return r, true
	case r == '?':
		line := string(e.line[:e.pos])
		var b strings.Builder
		b.WriteString(e.s.Prompt() + line + "?\n")
		e.s.Help(&b, line)
		e.rl.Write([]byte(b.String()))
		return r, false
	case r == ctrlZ:
		// As IOS: the line runs, then end. readline echoes the key as an
		// interrupt; this one reads ^Z.
		e.ctrlZ = true
		e.rl.Config.InterruptPrompt = "^Z"
		return readline.CharInterrupt, true
	case r == readline.CharInterrupt:
		e.ctrlZ = false // after a Ctrl-Z that only ended a search
		e.rl.Config.InterruptPrompt = "^C"
	case r == readline.CharEnter || r == readline.CharCtrlJ:
		// A line too long is not run: keep it out of the history too.
		if e.bytes > MaxLine {
			e.rl.HistoryDisable()
		} else {
			e.rl.HistoryEnable()
		}
	case r >= 0x80 && r < 0xa0:
		// A C1 control character (from a paste): inserted, readline would echo it
		// raw to the terminal, and no command takes it.
		e.rl.Terminal.Bell()
		return readline.CharBell, true
	case r >= ' ' && r != readline.CharBackspace && e.bytes > MaxLine && !search:
		// The line is full: refuse what would be inserted, without a redraw.
		e.rl.Terminal.Bell()
		return readline.CharBell, true
	}
	return r, true
}

// endsLine reports whether key r (Enter, Ctrl-C, Ctrl-D or Ctrl-Z) ends the line,
// as readline's key loop treats it: in a completion list Enter picks a word and
// Ctrl-C closes the list; in a search Ctrl-C ends the search; Ctrl-D ends only an
// empty line.
func (e *editor) endsLine(r rune, search bool) bool {
	op := e.rl.Operation
	if op.IsInCompleteSelectMode() {
		return false
	}
	switch r {
	case readline.CharEnter, readline.CharCtrlJ:
		return true
	case readline.CharDelete:
		return !search && !op.IsInCompleteMode() && len(e.line) == 0
	}
	return !search && !op.IsInCompleteMode() // Ctrl-C, Ctrl-Z
}

// listen sees the line after each key; it inserts a run the filter took.
func (e *editor) listen(line []rune, pos int, key rune) ([]rune, int, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	changed := false
	if run := e.insert; run != nil && key == readline.CharBell {
		e.insert = nil
		// Take text while the line is at most MaxLine bytes, as for a typed key: a
		// line that lost input is always too long to run.
		size := runesLen(line)
		var text []rune
		for _, r := range string(run) {
			if size > MaxLine {
				e.rl.Terminal.Bell()
				break
			}
			text = append(text, r)
			size += utf8.RuneLen(r)
		}
		if len(text) > 0 {
			nl := make([]rune, 0, len(line)+len(text))
			nl = append(append(nl, line[:pos]...), text...)
			line, pos, changed = append(nl, line[pos:]...), pos+len(text), true
		}
	}
	e.line, e.pos = append(e.line[:0], line...), pos
	e.bytes = runesLen(line)
	if changed {
		return line, pos, true
	}
	return nil, 0, false
}

// runesLen is len(string(rs)).
func runesLen(rs []rune) int {
	n := 0
	for _, r := range rs {
		n += utf8.RuneLen(r)
	}
	return n
}

// Session is what the terminal needs of a shell: one in this process (*Shell),
// or one the aclsh daemon runs for this client (package daemon).
type Session interface {
	Prompt() string
	Banner() string
	// Done reports that the shell ended (exit in exec mode).
	Done() bool
	// InExec reports exec mode (Ctrl-D there leaves the shell).
	InExec() bool
	// RunLine runs one line, writing its output and its error (under the prompt)
	// to out.
	RunLine(out io.Writer, line string)
	// Help writes the ? help for line.
	Help(w io.Writer, line string)
	// Complete returns the words Tab offers after line.
	Complete(line string) []string
	// EndMode is Ctrl-Z: back to exec. ExitMode is Ctrl-D in a config mode.
	EndMode()
	ExitMode()
	// Attach sends the shell's output to out and its questions (the lockout
	// guard's Proceed? [y/N]) to ask; it returns why the running-config cannot
	// be used, if it cannot. Detach ends that.
	Attach(out io.Writer, ask func(prompt string) (string, error)) (broken error)
	Detach()
	// StartNotices writes what a starting shell should know.
	StartNotices(w io.Writer)
	// JoinUsers lists the shell in show users until leave is called.
	JoinUsers() (leave func())
}

// Run runs a session on a terminal until exit or Ctrl-D in exec mode. It
// returns the exit status.
func Run(s Session, to Options) int {
	e := &editor{s: s, taken: make(chan runAnswer, 1), gate: newLineGate(), out: to.Stdout}
	e.gate.hold() // each line starts plain
	defer e.gate.stop()
	defer s.JoinUsers()() // show users lists this shell until it ends
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
	br := newBurstReader(to.Stdin, e.offer, e.taken)
	br.gate = e.gate
	e.br = br
	cfg := &readline.Config{
		FuncMakeRaw: func() error {
			if raw != nil {
				return nil
			}
			st, err := readline.MakeRaw(to.Fd)
			raw = st
			return err
		},
		FuncExitRaw:  func() error { return nil },
		Prompt:       s.Prompt(),
		HistoryFile:  hist,
		HistoryLimit: HistoryLimit,
		// Saved by the loop below, before the line runs: readline would save it
		// on its own goroutine after returning it, so the last line (exit)
		// could be lost when the process ends first.
		DisableAutoSaveHistory: true,
		AutoComplete:           completer{s},
		InterruptPrompt:        "^C",
		Stdin:                  readCloser{br, to.Stdin},
		Stdout:                 to.Stdout,
		Stderr:                 to.Stdout,
		Listener:               readline.FuncListener(e.listen),
		FuncFilterInputRune:    e.filter,
	}
	var err error
	e.rl, err = readline.NewEx(cfg)
	if err != nil {
		fmt.Fprintf(to.Stdout, "%% Error: terminal: %v\n", err)
		return 1
	}
	rl := e.rl
	// Close waits for the editor's reader, which may be blocked on the terminal: do
	// not hold up the exit for it (history is saved line by line).
	defer func() { go rl.Close() }()
	// Output goes straight to the terminal: a line is read only after the last
	// byte of the one before has been written, so nothing is drawn after a prompt.
	if err := cfg.FuncMakeRaw(); err != nil {
		fmt.Fprintf(to.Stdout, "%% Error: terminal: %v\n", err)
		return 1
	}
	out := to.Stdout
	// The lockout guard's question: one line through the same editor.
	ask := func(prompt string) (string, error) {
		e.mu.Lock()
		e.asking = true
		e.mu.Unlock()
		rl.HistoryDisable()
		// History stays disabled after the answer: readline returns the line
		// before it saves it, so enabling it here would race the save and keep
		// the answer. The next line's Enter enables it again (see the listener).
		defer func() {
			e.mu.Lock()
			e.asking, e.ctrlZ = false, false
			e.mu.Unlock()
		}()
		return e.readLine(prompt)
	}
	broken := s.Attach(out, ask)
	defer s.Detach()
	fmt.Fprintln(out, s.Banner())
	if broken != nil {
		PrintError(out, 0, broken)
	}
	s.StartNotices(out)
	for !s.Done() {
		line, err := e.readLine(s.Prompt())
		e.mu.Lock()
		z := e.ctrlZ
		e.ctrlZ = false
		e.mu.Unlock()
		switch {
		case errors.Is(err, readline.ErrInterrupt) && z:
			// readline echoed ^Z after the line: run it, then end.
			if strings.TrimSpace(line) != "" {
				saveHistory(rl, line)
				s.RunLine(out, line)
			}
			s.EndMode()
			continue
		case errors.Is(err, readline.ErrInterrupt):
			continue // Ctrl-C drops the line
		case errors.Is(err, io.EOF):
			// Ctrl-D on an empty line leaves the mode, or the shell in exec.
			if s.InExec() {
				return 0
			}
			fmt.Fprintln(out)
			s.ExitMode()
			continue
		case err != nil:
			return 1
		}
		saveHistory(rl, line)
		s.RunLine(out, line)
	}
	return 0
}

// saveHistory keeps a typed line in the history, unless the listener disabled
// it for this line (too long) or the line is empty.
func saveHistory(rl *readline.Instance, line string) {
	if strings.TrimSpace(line) != "" && len(line) <= MaxLine {
		rl.SaveHistory(line)
	}
}

// readCloser reads from a burstReader and closes the terminal.
type readCloser struct {
	io.Reader
	io.Closer
}

// completer completes keywords and access list names from the command definitions.
type completer struct{ s Session }

func (c completer) Do(line []rune, pos int) ([][]rune, int) {
	text := string(line[:pos])
	words := c.s.Complete(text)
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

// PrintError writes err for a line as IOS does: for invalid input a caret under the
// offending token (indent is the width of what precedes the line on screen), then
// the message.
func PrintError(w io.Writer, indent int, err error) {
	var pe *grammar.ParseError
	if errors.As(err, &pe) {
		if pe.HasCaret() {
			fmt.Fprintf(w, "%s^\n", strings.Repeat(" ", indent+DisplayWidth(pe.Line[:pe.Off])))
		}
		fmt.Fprintln(w, pe.Error())
		return
	}
	fmt.Fprintf(w, "%% Error: %v\n", err)
}

// DisplayWidth counts runes, with tabs as one column (the terminal shows the line as
// typed, so the caret lines up for ASCII input).
func DisplayWidth(s string) int { return len([]rune(s)) }
