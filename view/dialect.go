package view

import (
	"fmt"
	"io"
	"strings"

	"github.com/aclsh/aclsh/acl"
)

// writeDialect writes show access-lists as IOS or EOS does, so that the
// clients' parsers read it (cisco.ios's ios_acls reads `show access-list`):
//
//	IOS: Extended IP access list NAME           EOS: IP Access List NAME
//	     (Standard IP access list NAME)              (Standard IP Access List NAME)
//	         10 permit ... (N matches)                   10 permit ... [match N packets]
//	     IPv6 access list NAME                       IPv6 Access List NAME
//	         permit ... (N matches) sequence 10          10 permit ...
//
// IOS shows no remarks there (its running-config has them); EOS does. What
// aclsh adds (the kernel's state, sessions under a connlimit line, the
// implicit deny) follows, indented, in lines no client parses as an entry.
func (v *ACLs) writeDialect(w io.Writer) {
	d := v.Dialect
	for _, a := range v.AccessLists {
		switch {
		case d == acl.IOS && a.Standard:
			fmt.Fprintf(w, "Standard IP access list %s\n", a.Name)
		case d == acl.IOS && a.family == acl.IPv4:
			fmt.Fprintf(w, "Extended IP access list %s\n", a.Name)
		case d == acl.IOS:
			fmt.Fprintf(w, "IPv6 access list %s\n", a.Name)
		case a.Standard:
			fmt.Fprintf(w, "Standard IP Access List %s\n", a.Name)
		default:
			fmt.Fprintf(w, "%s Access List %s\n", map[acl.Family]string{acl.IPv4: "IP", acl.IPv6: "IPv6"}[a.family], a.Name)
		}
		ind := "    "
		if d == acl.EOS {
			ind = "        "
		}
		if a.kernelText != "" {
			fmt.Fprintf(w, "%s%% kernel %s\n", ind, a.kernelText)
		}
		if len(a.OtherTablesCanDrop) > 0 {
			fmt.Fprintf(w, "%s%% %s\n", ind, OthersWarning("this list", a.OtherTablesCanDrop))
		}
		a.eachEntry(func(e *EntryCounts) {
			if e.Action == "remark" && d == acl.IOS {
				return
			}
			var notes []string
			if e.Matches != nil && *e.Matches > 0 {
				notes = append(notes, matchesIn(d, *e.Matches))
			}
			if e.LogLinesSuppressed != nil && *e.LogLinesSuppressed > 0 {
				notes = append(notes, suppressedText(*e.LogLinesSuppressed))
			}
			line := e.body
			if d == acl.IOS && a.family == acl.IPv4 || d == acl.EOS {
				line = fmt.Sprint(e.Seq) + " " + line
			}
			line += notesIn(d, notes)
			if d == acl.IOS && a.family == acl.IPv6 {
				line += fmt.Sprintf(" sequence %d", e.Seq)
			}
			fmt.Fprintf(w, "%s%s\n", ind, line)
			e.writeConnLimit(w, ind+"    ")
		})
		if p := a.ImplicitPermit; p != nil {
			line := ind + "implicit permit " + p.Text
			if p.Matches > 0 {
				line += notesIn(d, []string{matchesIn(d, p.Matches)})
			}
			fmt.Fprintln(w, line)
		}
		if a.ImplicitDenyMatches != nil {
			line := ind + "implicit deny"
			if n := *a.ImplicitDenyMatches; n > 0 {
				line += notesIn(d, []string{matchesIn(d, n)})
			}
			fmt.Fprintln(w, line)
		}
	}
	v.writeMended(w)
}

// matchesIn is a match count as dialect d words it: `3 matches` (IOS), `match 3
// packets` (EOS).
func matchesIn(d acl.Dialect, n uint64) string {
	if d != acl.EOS {
		return MatchesText(n)
	}
	if n == 1 {
		return "match 1 packet"
	}
	return fmt.Sprintf("match %d packets", n)
}

// notesIn is what follows an entry: ` (3 matches, ...)` (IOS), ` [match 3
// packets, ...]` (EOS); "" for none.
func notesIn(d acl.Dialect, notes []string) string {
	switch {
	case len(notes) == 0:
		return ""
	case d == acl.EOS:
		return " [" + strings.Join(notes, ", ") + "]"
	}
	return " (" + strings.Join(notes, ", ") + ")"
}
