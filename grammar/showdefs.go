package grammar

// Show commands for operators' habits: summaries, one section of the
// running-config, the shell's history, who is logged in, the clock, the version. Every show
// command takes the output modifiers (pipeSyntax), `| json` included.

func init() { lazy = append(lazy, initShowdefs) }

// initShowdefs makes this file's definitions, when they are first needed (ready).
func initShowdefs() {
	var defs []*Def
	add := func(syntax string, help []string, build func(*match) error) {
		defs = append(defs, newDef(1, []Mode{Exec}, syntax, help, build))
	}
	s, h := show("show [ip$fam|ipv6$fam] access-lists summary", ShowStr, IPInfoStr, IPv6InfoStr, ACLsStr,
		"One line per list: family, lines, where bound, matches")
	add(s, h, buildShow(ShowACLSummary))
	s, h = show("show running-config access-list [WORD$name]", ShowStr, RunningStr,
		"Only the access list sections", ACLNameStr)
	add(s, h, buildShow(ShowRunningACL))
	s, h = show("show history", ShowStr, "The lines typed in this shell")
	add(s, h, buildShow(ShowHistory))
	s, h = show("show users", ShowStr, "The aclsh shells open on this host")
	add(s, h, buildShow(ShowUsers))
	s, h = show("show clock", ShowStr, "Time of day")
	add(s, h, buildShow(ShowClock))
	s, h = show("show version", ShowStr, "aclsh's version, the kernel, uptimes and the state directory")
	add(s, h, buildShow(ShowVersion))
	s, h = show("show hostname", ShowStr, "The host's name and fully qualified domain name")
	add(s, h, buildShow(ShowHostname))
	register(defs)
}
