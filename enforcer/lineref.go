package enforcer

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/aclsh/aclsh/acl"
)

// LineRef names one of the counts show reads for a line of a list: the key of
// Stats.Counters, and (with Role Matched) of Stats.Sessions and Stats.Sources.
// The zero value names nothing: a rule or element whose Count is zero adds to no
// show counter. A LineRef is comparable; it is the show side of a line, the
// kernel side being the line's position-free key (its comment, "ACL/ID").
type LineRef struct {
	ACL string
	// Seq is the line's seq; 0 for the list's implicit lines (Role ImplicitDeny,
	// ImplicitND).
	Seq  acl.Seq
	Role Role
}

// Role says which count of a line a LineRef names.
type Role uint8

const (
	Matched      Role = iota // the packets the line matched: its action was taken
	Refused                  // new connections a permit connlimit line refused
	LogSeen                  // the packets that reached a log line's log rule
	Logged                   // the ones it logged (LogSeen less the suppressed)
	ImplicitDeny             // the packets the list's implicit deny dropped (Seq 0)
	ImplicitND               // the IPv6 neighbour discovery the list permits implicitly (Seq 0)
)

// roleNames are the roles' last words in a LineRef's text.
var roleNames = [...]string{Matched: "m", Refused: "r", LogSeen: "log", Logged: "logged", ImplicitDeny: "m", ImplicitND: "m"}

// Line returns the LineRef of the matches of line seq of list name.
func Line(name string, seq acl.Seq) LineRef { return LineRef{ACL: name, Seq: seq} }

// DenyOf returns the LineRef of list name's implicit deny.
func DenyOf(name string) LineRef { return LineRef{ACL: name, Role: ImplicitDeny} }

// NDOf returns the LineRef of list name's implicit permit of neighbour discovery.
func NDOf(name string) LineRef { return LineRef{ACL: name, Role: ImplicitND} }

// As returns the LineRef of the same line with role ro.
func (r LineRef) As(ro Role) LineRef { r.Role = ro; return r }

// IsZero reports whether r names nothing.
func (r LineRef) IsZero() bool { return r == LineRef{} }

// String returns r as "ACL/seq/m" (matches), "ACL/seq/r" (refused),
// "ACL/seq/log", "ACL/seq/logged", "ACL/deny/m" (the implicit deny) or
// "ACL/nd/m" (neighbour discovery); "" for the zero LineRef. It is for people
// (test failures, logs), not a key: compare LineRefs.
func (r LineRef) String() string {
	if r.IsZero() {
		return ""
	}
	if int(r.Role) >= len(roleNames) {
		return fmt.Sprintf("%s/%d/role%d", r.ACL, r.Seq, r.Role)
	}
	line := strconv.FormatUint(uint64(r.Seq), 10)
	switch r.Role {
	case ImplicitDeny:
		line = "deny"
	case ImplicitND:
		line = "nd"
	}
	return r.ACL + "/" + line + "/" + roleNames[r.Role]
}

// ParseLineRef parses what String returns.
func ParseLineRef(s string) (LineRef, error) {
	i := strings.LastIndexByte(s, '/')
	j := strings.LastIndexByte(s[:max(i, 0)], '/')
	if j <= 0 {
		return LineRef{}, fmt.Errorf("line reference %q: want ACL/seq/role", s)
	}
	r := LineRef{ACL: s[:j]}
	line, role := s[j+1:i], s[i+1:]
	switch {
	case line == "deny" && role == "m":
		r.Role = ImplicitDeny
		return r, nil
	case line == "nd" && role == "m":
		r.Role = ImplicitND
		return r, nil
	}
	seq, err := strconv.ParseUint(line, 10, 32)
	if err != nil || seq == 0 || acl.Seq(seq) > acl.MaxSeq {
		return LineRef{}, fmt.Errorf("line reference %q: seq %q", s, line)
	}
	r.Seq = acl.Seq(seq)
	for ro, n := range roleNames[:ImplicitDeny] {
		if n == role {
			r.Role = Role(ro)
			return r, nil
		}
	}
	return LineRef{}, fmt.Errorf("line reference %q: role %q", s, role)
}
