package term

import (
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/chzyer/readline"
)

// The plain line: a switch's byte stream. Automation (netmiko, Ansible's
// network_cli) reads a session's pty as a switch writes it: each typed character
// echoed once, CRLF at Enter, the output, then exactly the prompt and nothing after
// it; their prompt patterns (netmiko: the last byte is `#` or `>`; arista.eos and
// cisco.ios: `(?:>|#) ?$`) match nothing else. readline redraws prompt and line on
// every key (ESC[J ESC[2K CR prompt line), so a line starts plain: the terminal
// reads its keys itself, echoes text as it comes and writes `?` help as IOS does,
// and hands the line to readline only when the operator edits it (arrows, Tab,
// Ctrl-R, backspace, any other control key), for the rest of that line.

// errHandOff says the plain line met a key only readline handles.
var errHandOff = errors.New("hand the line to the editor")

// readLine reads one line after prompt, as readline's Readline would return it: the
// line; readline.ErrInterrupt for Ctrl-C and Ctrl-Z (e.ctrlZ says which) with the
// line typed so far; io.EOF for Ctrl-D on an empty line. The prompt is written
// first. asking: the answer to a question (no `?` help, no history).
func (e *editor) readLine(prompt string) (string, error) {
	io.WriteString(e.out, prompt)
	line, err := e.plainLine(prompt)
	if err != errHandOff {
		return line, err
	}
	// The operator edits: readline draws the line again and goes on with the key
	// that came (still in the input).
	if w := e.rl.Config.FuncGetWidth(); w > 0 && (DisplayWidth(prompt)+DisplayWidth(line))/w > 0 {
		// readline's redraw clears one screen row: start it below a line that
		// wrapped.
		io.WriteString(e.out, "\n")
	}
	e.rl.SetPrompt(prompt)
	e.gate.open()
	return e.rl.ReadlineWithDefault(line)
}

// plainLine reads keys from the terminal's input (the burstReader's buffer, which
// readline does not read while the gate holds it) until the line ends, echoing
// them; it returns errHandOff, leaving the key that readline must handle first in
// the input, when the operator edits.
func (e *editor) plainLine(prompt string) (string, error) {
	b := e.br
	var line []byte
	for {
		if len(b.buf) == 0 || !utf8.FullRune(b.buf) && b.buf[0] >= utf8.RuneSelf {
			if err := b.more(); err != nil {
				if len(line) > 0 {
					// As readline: the end of input enters what was typed.
					io.WriteString(e.out, "\n")
					return string(line), nil
				}
				return "", io.EOF
			}
			continue
		}
		c := b.buf[0]
		skipLF := e.afterCR
		e.afterCR = false
		switch {
		case c == '\n' && skipLF && len(line) == 0:
			// The LF of a CRLF that ended the line before.
			b.buf = b.buf[1:]
		case c == '\r' || c == '\n':
			b.buf = b.buf[1:]
			e.afterCR = c == '\r'
			io.WriteString(e.out, "\n")
			return string(line), nil
		case c == 0x03: // Ctrl-C drops the line
			b.buf = b.buf[1:]
			io.WriteString(e.out, "^C\n")
			return string(line), readline.ErrInterrupt
		case c == ctrlZ: // the line runs, then end
			b.buf = b.buf[1:]
			e.mu.Lock()
			e.ctrlZ = true
			e.mu.Unlock()
			io.WriteString(e.out, "^Z\n")
			return string(line), readline.ErrInterrupt
		case c == 0x04 && len(line) == 0: // Ctrl-D
			b.buf = b.buf[1:]
			io.WriteString(e.out, "\n")
			return "", io.EOF
		case c == 0x04:
			// Deletes the character under the cursor, which is at the end: as
			// readline, only the bell. (Handed over as the first key, readline's
			// filter would not know the line and take it for the end.)
			b.buf = b.buf[1:]
			e.rl.Terminal.Bell()
		case c == '?' && !e.asking:
			// As IOS: the help under the line, then prompt and line again.
			b.buf = b.buf[1:]
			var w strings.Builder
			w.WriteString("?\n")
			e.s.Help(&w, string(line))
			w.WriteString(prompt)
			w.Write(line)
			io.WriteString(e.out, w.String())
		case c == '?': // a question's answer: text
			b.buf = b.buf[1:]
			line = append(line, c)
			e.out.Write([]byte{c})
		case c >= utf8.RuneSelf || c >= ' ' && c != 0x7f:
			line = e.insertText(line)
		default:
			return string(line), errHandOff
		}
	}
}

// insertText takes the run of text the input starts with into line and echoes it.
// As for a typed key, text is taken while the line is at most MaxLine bytes (a line
// that lost input is always too long to run); the rest of the run is refused with
// one bell. Characters no command takes (C1 controls, invalid UTF-8) ring the bell
// and are dropped.
func (e *editor) insertText(line []byte) []byte {
	b := e.br
	start, bell := len(line), false
	for len(b.buf) > 0 && utf8.FullRune(b.buf) {
		r, n := utf8.DecodeRune(b.buf)
		if r < utf8.RuneSelf && !isText(r) {
			break // a key
		}
		ch := b.buf[:n]
		b.buf = b.buf[n:]
		switch {
		case !isText(r) || r == utf8.RuneError && n == 1:
			bell = true
		case len(line) > MaxLine:
			bell = true
		default:
			line = append(line, ch...)
		}
	}
	echo := line[start:]
	if bell {
		echo = append(echo[:len(echo):len(echo)], readline.CharBell)
	}
	e.out.Write(echo)
	return line
}
