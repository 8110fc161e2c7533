package acl

import (
	"errors"
	"fmt"
	"strings"
)

// ErrConflict marks a merge refused because a line of the source and a line of
// the config have the same seq but say different things.
var ErrConflict = errors.New("conflict")

// maxConflicts is how many conflicting lines a merge error names.
const maxConflicts = 5

// Merge adds from's lines to c as if from's running-config text were typed in
// configuration mode on c, as IOS merges a file into its running-config (`copy
// startup-config running-config`). Nothing of c is removed:
//
//   - a list c does not have is created with all its entries;
//   - an entry of from that c's list already holds, at any seq (after a
//     resequence too), is already there and changes nothing; a remark is
//     already there when the list has a remark of the same text;
//   - any other entry is added at its seq, unless c's list uses that seq for a
//     different entry: that is a conflict (IOS refuses such a line too, "%
//     Duplicate sequence number"), and a merge with conflicts changes nothing
//     and names them;
//   - a list of the same name in the other family is an error;
//   - from's bindings replace c's for the families from binds (typing `ip
//     access-group B in` where A is bound binds B), and a logging interval or a
//     dialect from sets replaces c's.
//
// Merge is all or nothing: on error c is unchanged. It returns how many of
// from's lines changed c (a list created, an entry added, a binding or the
// logging interval set). Merging the same config twice changes nothing the
// second time.
func (c *Config) Merge(from *Config) (int, error) {
	var conflicts []string
	nconf := 0
	for _, n := range from.Names() {
		fa := from.ACLs[n]
		a, ok := c.ACLs[n]
		if !ok {
			continue
		}
		if a.Family != fa.Family {
			return 0, errf(ErrWrongFam, "access list %s is an %s list in the running-config and an %s list in the one merged", n, a.Family.Name(), fa.Family.Name())
		}
		if a.Standard != fa.Standard {
			return 0, errf(ErrInvalid, "access list %s is %s list in the running-config and %s list in the one merged", n, aKind(a.Standard), aKind(fa.Standard))
		}
		for _, r := range fa.entries {
			if a.has(r) {
				continue
			}
			if i := a.search(r.Seq); i < len(a.entries) && a.entries[i].Seq == r.Seq {
				nconf++
				if len(conflicts) < maxConflicts {
					conflicts = append(conflicts, fmt.Sprintf("access list %s seq %d is `%s` here and `%s` in the config merged",
						n, r.Seq, a.entries[i].Body(a.Family), r.Body(fa.Family)))
				}
			}
		}
	}
	if nconf > 0 {
		msg := strings.Join(conflicts, "; ")
		if nconf > len(conflicts) {
			msg += fmt.Sprintf("; and %d more", nconf-len(conflicts))
		}
		return 0, errf(ErrConflict, "%d line(s) with a seq in use for another entry: %s", nconf, msg)
	}
	// Where lists would be bound after the merge, and with which lines: the
	// binding rules hold for the result, or nothing is merged.
	bound := c.Bound
	for at, name := range from.Bound.All() {
		bound.set(at, name)
	}
	err := checkBindings(bound, func(name string) (Rule, bool) {
		if a, ok := c.ACLs[name]; ok {
			if r, ok := a.connLimited(); ok {
				return r, true
			}
		}
		if fa, ok := from.ACLs[name]; ok {
			return fa.connLimited()
		}
		return Rule{}, false
	})
	if err != nil {
		return 0, err
	}
	changed := 0
	for _, n := range from.Names() {
		fa := from.ACLs[n]
		a, ok := c.ACLs[n]
		if !ok {
			c.ACLs[n] = fa.Clone()
			changed += 1 + len(fa.entries)
			continue
		}
		for _, r := range fa.entries {
			if a.has(r) {
				continue
			}
			if _, err := a.Add(r); err != nil {
				return 0, fmt.Errorf("internal error: merging access list %s seq %d: %w", n, r.Seq, err)
			}
			changed++
		}
	}
	for at, name := range from.Bound.All() {
		if c.Bound.Get(at) != name {
			c.Bound.set(at, name)
			changed++
		}
	}
	if from.LogInterval != 0 && from.LogInterval != c.LogInterval {
		c.LogInterval = from.LogInterval
		changed++
	}
	if from.Dialect != SLX && from.Dialect != c.Dialect {
		c.Dialect = from.Dialect
		changed++
	}
	return changed, nil
}

// has reports whether the list holds r at any seq (a remark: one of the same text).
func (a *ACL) has(r Rule) bool {
	if r.IsRemark() {
		for _, e := range a.entries {
			if e.Remark == r.Remark {
				return true
			}
		}
		return false
	}
	_, ok := a.lookup(r.key())
	return ok
}
