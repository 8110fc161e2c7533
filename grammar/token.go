package grammar

import (
	"strconv"
	"strings"

	"github.com/aclsh/aclsh/acl"
)

// varKind is the type of a variable token.
type varKind uint8

const (
	kwToken    varKind = iota // a keyword
	varWord                   // WORD: an access list name or other word
	varRange                  // <lo-hi>
	varAddr4                  // A.B.C.D
	varPrefix4                // A.B.C.D/LEN
	varAddr6                  // X:X::X:X
	varPrefix6                // X:X::X:X/LEN
	varPort                   // PORT, TCP-PORT, UDP-PORT, MORE-TCP-PORT, MORE-UDP-PORT: number or name
	varLine                   // LINE: the rest of the line, as typed
	varPipe                   // PIPE: the literal |
	varMaskLen                // /LEN: a prefix length, with or without the slash
	varName                   // NAME: a configuration session name (not completed from access list names)
	varTime                   // HH:MM:SS: a duration
	varRegex                  // REGEX: a regular expression, the words up to the next ` |`
)

// token is one element of a command definition.
type token struct {
	kind    varKind
	word    string // keyword, or the display form of a variable
	lo, hi  int    // for varRange
	help    string
	capture string
	name    string // the capture name, or the keyword; set by ready
	once    bool   // in an {any order} group: offered once per path (see used)
	// group is the choice of an {any order} group that the token starts, 0
	// for none: the tokens that start one choice, `(a | b)`, share it, and
	// with one taken the others are not offered (see used).
	group uint16
	// proto is the protocol of a port variable (its names), 0 for PORT; more
	// marks a further port of a list: it repeats, and a keyword that the word
	// abbreviates takes precedence over it (`eq 22 ho` is host, not hostname).
	proto uint8
	more  bool
}

// looksLikeAddr reports whether s is meant as an address: it has a '.' or ':' and
// only address characters. The builder validates it, so that a bad address gets a
// precise error rather than a bare caret.
func looksLikeAddr(s string, v6 bool) bool {
	if !v6 {
		return strings.Contains(s, ".") && strings.Trim(s, "0123456789.") == ""
	}
	return strings.Contains(s, ":") && strings.Trim(s, "0123456789abcdefABCDEF.:") == ""
}

// matchVar reports whether a variable token accepts s.
func (t *token) matchVar(s string) bool {
	switch t.kind {
	case varWord:
		return s != "|"
	case varRange:
		n, ok := atoi(s)
		return ok && n >= t.lo && n <= t.hi
	case varAddr4, varAddr6:
		return looksLikeAddr(s, t.kind == varAddr6)
	case varPrefix4, varPrefix6:
		a, l, ok := strings.Cut(s, "/")
		return ok && looksLikeAddr(a, t.kind == varPrefix6) && isDigits(l)
	case varPort:
		if t.more {
			// another port, or what follows the list
			return isDigits(s) || acl.IsPortName(s)
		}
		return s != "|" // names and numbers are checked by the builder
	case varLine, varRegex:
		return true
	case varPipe:
		return s == "|"
	case varMaskLen:
		return isDigits(strings.TrimPrefix(s, "/")) // the builder checks the range
	case varName:
		return s != "|"
	case varTime:
		h, rest, ok1 := strings.Cut(s, ":")
		m, sec, ok2 := strings.Cut(rest, ":")
		return ok1 && ok2 && isDigits(h) && isDigits(m) && isDigits(sec) // the builder checks the ranges
	}
	return false
}

// atoi reads a number written in digits only: no sign, no spaces (strconv.Atoi
// would take "+10"). It does not allocate.
func atoi(s string) (int, bool) {
	if !isDigits(s) {
		return 0, false
	}
	if len(s) > 18 {
		n, err := strconv.Atoi(s) // may overflow
		return n, err == nil
	}
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// display is how the token is listed by `?`.
func (t *token) display() string {
	if t.kind == varPort {
		return "<0-65535>"
	}
	if t.kind == varRegex {
		return "LINE" // as IOS lists it
	}
	return t.word
}
