package grammar

// Show commands for operators' habits: summaries, one section of the
// running-config, the shell's history, who is logged in, the clock. Every show
// command takes the output modifiers (pipeSyntax), `| json` included.

func init() {
	var defs []*Def
	add := func(syntax string, help []string, build func(*match) error) {
		defs = append(defs, newDef(1, []Mode{Exec}, syntax, help, build))
	}
	s, h := show("show [ip$fam|ipv6$fam] access-lists summary", showHelp, "IPv4 information", "IPv6 information", "List access lists",
		"One line per list: family, lines, where bound, matches")
	add(s, h, buildShow(ShowACLSummary))
	s, h = show("show running-config access-list [WORD$name]", showHelp, "Current operating configuration",
		"Only the access list sections", "Access list name")
	add(s, h, buildShow(ShowRunningACL))
	s, h = show("show history", showHelp, "The lines typed in this shell")
	add(s, h, buildShow(ShowHistory))
	s, h = show("show users", showHelp, "The aclsh shells open on this host")
	add(s, h, buildShow(ShowUsers))
	s, h = show("show clock", showHelp, "Time of day")
	add(s, h, buildShow(ShowClock))
	register(defs)
}
