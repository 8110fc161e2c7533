package grammar

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// checkText refuses a line holding a byte no command may contain: a control
// character (C0 other than tab, DEL, C1) or invalid UTF-8. A remark or a regular
// expression is printed back by show, so such a byte would reach every later
// operator's terminal (`remark \x1b]0;title\x07`). Tabs separate words like spaces;
// in free text (LINE), where the text is kept as typed, a tab is refused too (see
// run). Trailing line-ending bytes ("\r", "\n") are ignored, as Tokenize ignores
// them. The error points at the first offending byte.
func checkText(line string) *ParseError {
	end := len(strings.TrimRight(line, " \t\r\n"))
	for i := 0; i < end; {
		c := line[i]
		if c < utf8.RuneSelf {
			if c < ' ' && c != '\t' || c == 0x7f {
				return textError(line, i, 1, fmt.Sprintf("control character 0x%02x is not allowed", c))
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(line[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			return textError(line, i, 1, fmt.Sprintf("invalid UTF-8 (byte 0x%02x) is not allowed", c))
		case r < 0xa0:
			return textError(line, i, n, fmt.Sprintf("control character U+%04X is not allowed", r))
		}
		i += n
	}
	return nil
}

func textError(line string, off, n int, msg string) *ParseError {
	return &ParseError{Kind: Invalid, Line: line, Off: off, End: off + n, Msg: msg}
}

// Printable returns s with every control character but tab, and every invalid
// UTF-8 byte, shown as an escape (\x1b, \u009b, \xff), for echoing a refused
// line safely. The text before the first such byte is unchanged, so a caret
// placed by a ParseError's offset still lines up.
func Printable(s string) string {
	if checkText(s) == nil && !strings.ContainsAny(s, "\r\n") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1, r < ' ' && r != '\t', r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r >= 0x80 && r < 0xa0:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}
