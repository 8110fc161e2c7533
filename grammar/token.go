package grammar

import (
	"fmt"
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

var varKinds = map[string]varKind{
	"WORD": varWord, "A.B.C.D": varAddr4, "A.B.C.D/LEN": varPrefix4,
	"X:X::X:X": varAddr6, "X:X::X:X/LEN": varPrefix6, "PORT": varPort, "LINE": varLine,
	"PIPE": varPipe, "/LEN": varMaskLen, "NAME": varName, "HH:MM:SS": varTime,
	"REGEX":    varRegex,
	"TCP-PORT": varPort, "UDP-PORT": varPort, "MORE-TCP-PORT": varPort, "MORE-UDP-PORT": varPort,
}

// portVars are the port variables of one protocol: a port of a tcp or udp rule,
// whose names `?` and Tab offer; MORE-: a further port of an eq or neq list.
var portVars = map[string]struct {
	proto uint8
	more  bool
}{
	"TCP-PORT": {acl.ProtoTCP, false}, "UDP-PORT": {acl.ProtoUDP, false},
	"MORE-TCP-PORT": {acl.ProtoTCP, true}, "MORE-UDP-PORT": {acl.ProtoUDP, true},
}

// token is one element of a command definition.
type token struct {
	kind    varKind
	word    string // keyword, or the display form of a variable
	lo, hi  int    // for varRange
	help    string
	capture string
	name    string // the capture name, or the keyword; set by register
	once    bool   // in an {any order} group: offered once per path (see used)
	// proto is the protocol of a port variable (its names), 0 for PORT; more
	// marks a further port of a list: it repeats, and a keyword that the word
	// abbreviates takes precedence over it (`eq 22 ho` is host, not hostname).
	proto uint8
	more  bool
}

func newToken(w string) (*token, error) {
	if k, ok := varKinds[w]; ok {
		if k == varPipe {
			return &token{kind: k, word: "|"}, nil
		}
		pv := portVars[w]
		return &token{kind: k, word: w, proto: pv.proto, more: pv.more}, nil
	}
	if strings.HasPrefix(w, "<") {
		var lo, hi int
		if _, err := fmt.Sscanf(w, "<%d-%d>", &lo, &hi); err != nil || lo > hi {
			return &token{}, fmt.Errorf("bad range %s", w)
		}
		return &token{kind: varRange, word: w, lo: lo, hi: hi}, nil
	}
	if w != strings.ToLower(w) {
		return &token{}, fmt.Errorf("unknown variable %s", w)
	}
	return &token{kind: kwToken, word: w}, nil
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
