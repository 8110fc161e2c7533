package acl

// Session returns the rule that decides the packets of a connection that already
// exists (p describes it as its first packet would: client to host): a session's
// packets are never new, so lines treat them as the kernel's ruleset does:
//
//   - `deny ... connlimit N` only drops new connections: a session falls through.
//   - `permit ... connlimit N` keeps passing every session it permits by its
//     criteria, whatever its count: the enforcer gives such a session the line's
//     conntrack mark when it applies the config (enforcer/sessions.go), and a
//     marked session passes every permit connlimit line.
//   - any other line decides by its action.
//
// ok is false when no line decides it (the implicit deny). Established lines
// (replies to connections this host opened) never match a session a client opened.
func (a *ACL) Session(p Packet) (r Rule, ok bool) {
	for _, r := range a.entries {
		if !r.Matches(p) {
			continue
		}
		if r.ConnLimit != 0 && r.Action == Deny {
			continue
		}
		return r, true
	}
	return Rule{}, false
}
