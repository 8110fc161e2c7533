package grammar

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// checkText refuses a line holding a byte no command may contain: a control
// character (C0 other than tab, DEL, C1), an invisible character (hidden) or
// invalid UTF-8. A remark or a regular
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
		case hidden(r):
			return textError(line, i, n, fmt.Sprintf("invisible character U+%04X is not allowed (it changes how text is shown: bidirectional overrides, zero-width characters, line separators)", r))
		}
		i += n
	}
	return nil
}

// hidden reports a character that changes how the text around it is shown
// without being seen itself: Unicode format characters (bidirectional
// overrides such as U+202E, zero-width characters such as U+200B, U+FEFF) and
// the line and paragraph separators (U+2028, U+2029). A remark or a name holding
// one reads differently on another operator's terminal than what it holds.
func hidden(r rune) bool {
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r)
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
		case r >= 0x80 && r < 0xa0, hidden(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}
