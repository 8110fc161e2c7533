package grammar

import "strings"

// Hints for lines that other vendors' configurations hold and aclsh refuses
// (issue 20): a refusal that says why and what to type instead, rather than a
// bare caret. The hint is the message of the refusal (ParseError.Msg); a line
// whose error already says more keeps it.

// bindHere is how a hint says where a list is bound instead.
const bindHere = "bind the list to the management interface instead: interface management 0, ip access-group NAME in"

// vendorHint is one known spelling: the words a line starts with (each may
// be abbreviated to no less than its first three letters) and the hint.
type vendorHint struct {
	words []string
	hint  string
}

var vendorHints = []vendorHint{
	{words: []string{"line", "console"}, hint: "aclsh filters the login service as line vty (line vty, then access-class NAME in); console and aux lines are not its"},
	{words: []string{"line", "aux"}, hint: "aclsh filters the login service as line vty (line vty, then access-class NAME in); console and aux lines are not its"},
	{words: []string{"access-class"}, hint: "access-class binds a list to the login service under line vty: line vty, then access-class NAME in"},
	{words: []string{"ipv6", "access-class"}, hint: "ipv6 access-class binds a list to the login service under line vty: line vty, then ipv6 access-class NAME in"},
	{words: []string{"management", "telnet"}, hint: "of EOS's management services aclsh binds a list to ssh (management ssh, then ip access-group NAME in); telnet and api are not this host's"},
	{words: []string{"management", "api"}, hint: "of EOS's management services aclsh binds a list to ssh (management ssh, then ip access-group NAME in); telnet and api are not this host's"},
	{words: []string{"system", "control-plane"}, hint: "the control-plane takes system control-plane, then ip access-group NAME in"},
	{words: []string{"control-plane"}, hint: "the control-plane takes control-plane (or system control-plane), then ip access-group NAME in; IOS's service-policy is not aclsh's"},
	{words: []string{"ip", "receive", "access-group"}, hint: "SLX-OS's receive ACL: ip receive access-group NAME [in]"},
	{words: []string{"ipv6", "receive", "access-group"}, hint: "SLX-OS's receive ACL: ipv6 receive access-group NAME [in]"},
	{words: []string{"ssh", "access-group"}, hint: "FastIron's ssh access-group NAME binds an IPv4 list to the login service; an IPv6 list: line vty, then ipv6 access-class NAME in"},
	{words: []string{"telnet", "access-group"}, hint: "FastIron's telnet access-group binds a list to a service, which aclsh does not do yet; " + bindHere},
	{words: []string{"web", "access-group"}, hint: "FastIron's web access-group binds a list to a service, which aclsh does not do yet; " + bindHere},
	{words: []string{"transport", "input"}, hint: "transport input belongs under line vty; on this host sshd's configuration decides how operators log in"},
	{words: []string{"login"}, hint: "login belongs under line vty; on this host sshd and PAM decide how operators log in"},
	{words: []string{"exec-timeout"}, hint: "exec-timeout belongs under line vty; on this host sshd's ClientAliveInterval, or the shell's TMOUT, does that"},
	{words: []string{"ip", "access-group"}, hint: "ip access-group binds a list under an interface: interface management 0, then ip access-group NAME in"},
	{words: []string{"ipv6", "access-group"}, hint: "ipv6 access-group binds a list under an interface: interface management 0, then ipv6 access-group NAME in"},
	{words: []string{"ipv6", "traffic-filter"}, hint: "ipv6 traffic-filter binds a list under an interface: interface management 0, then ipv6 traffic-filter NAME in"},
}

// hintFor returns the hint for a line mode refused with a bare caret at the
// word at index at, "" if none.
func hintFor(mode Mode, toks []Token, at int) string {
	words := make([]string, len(toks))
	for i, t := range toks {
		words[i] = toLower(t.Text)
	}
	if h := stdHint(mode, words, at); h != "" {
		return h
	}
	if at < len(words) && at >= 2 && (words[at] == "out" || words[at] == "egress") && words[at-2] == "access-group" {
		return "aclsh filters what arrives for this host (in, ingress) only; packets the host sends are not filtered"
	}
	if at == 3 && len(words) > 3 && words[0] == "no" && words[1] == "access-list" {
		return "no access-list " + words[2] + " deletes the whole list (on IOS, whatever follows the number); to remove one line: ip access-list " +
			map[bool]string{true: "standard", false: "extended"}[isStdNumber(words[2])] + " " + words[2] + ", then no SEQ"
	}
	for _, v := range vendorHints {
		if len(words) < len(v.words) {
			continue
		}
		ok := at < len(v.words) // the refusal is within the words the hint is about
		for i, w := range v.words {
			if !abbrev(words[i], w) {
				ok = false
				break
			}
		}
		if ok {
			return v.hint
		}
	}
	return ""
}

// stdHint explains a standard list's line refused where it names a protocol
// or destination, and an extended list's line written as a standard one.
func stdHint(mode Mode, words []string, at int) string {
	if at >= len(words) {
		return ""
	}
	num, rest := "", words
	if len(words) > 1 && words[0] == "access-list" {
		num, rest = words[1], words[2:]
		at -= 2
	} else if mode.Base() != StdACL {
		return ""
	} else if len(words) > 0 && (words[0] == "seq" || words[0] == "sequence") {
		rest, at = words[2:], at-2
	} else if len(words) > 0 && isDigits(words[0]) {
		rest, at = words[1:], at-1
	}
	if len(rest) < 2 || at != 1 || rest[0] != "permit" && rest[0] != "deny" {
		return ""
	}
	std := mode.Base() == StdACL
	if num != "" {
		std = isStdNumber(num)
	}
	switch {
	case std:
		return "a standard list matches the source address only (permit|deny any | host A | A WILDCARD | A/LEN); use an extended list for protocols and destinations (ip access-list extended NAME, or access-list 100-199)"
	case num != "" && looksLikeAddr(rest[1], false) || rest[1] == "any" || rest[1] == "host":
		return "access list " + num + " is an extended list (100-199, 2000-2699): name the protocol and the destination, as permit ip SRC any; standard lists are numbered 1-99 and 1300-1999"
	}
	return ""
}

// abbrev reports whether typed is word or an abbreviation of it of three
// letters or more (or the whole of a shorter word).
func abbrev(typed, word string) bool {
	return typed == word || len(typed) >= 3 && strings.HasPrefix(word, typed)
}

// isStdNumber reports whether num is a standard list's number (1-99, 1300-1999).
func isStdNumber(num string) bool {
	n, _ := atoi(num)
	return n >= 1 && n <= 99 || n >= 1300 && n <= 1999
}
