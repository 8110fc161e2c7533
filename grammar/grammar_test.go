package grammar

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	_ "github.com/aclsh/aclsh/internal/golden" // -update, for `go test ./... -update`

	"github.com/aclsh/aclsh/acl"
)

func TestTokenize(t *testing.T) {
	got := Tokenize(" sh run|inc  a b\t")
	assert.Equal(t, []Token{{"sh", 1}, {"run", 4}, {"|", 7}, {"inc", 8}, {"a", 13}, {"b", 15}}, got)
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		mode Mode
		line string
		kind Kind
		in   Mode   // the mode the command ran in
		want string // canonical rule, name, or pipe
	}{
		{Exec, "conf t", Configure, Exec, ""},
		{Exec, "CONFIGURE TERMINAL", Configure, Exec, ""},
		{Exec, "sh run | inc foo bar", ShowRunning, Exec, "include foo bar"},
		{Exec, "sh ip acc web", ShowACLs, Exec, "web"},
		{Exec, "show access-lists", ShowACLs, Exec, ""},
		{Exec, "wr mem", WriteMemory, Exec, ""},
		{Exec, "write", WriteMemory, Exec, ""},
		{Exec, "copy running-config startup-config", WriteMemory, Exec, ""},
		{Exec, "wr t", WriteTerminal, Exec, ""},
		{Exec, "write terminal | begin access-group", WriteTerminal, Exec, "begin access-group"},
		{Exec, "copy start run", CopyToRunning, Exec, "startup-config"},
		{Exec, "copy last run", CopyToRunning, Exec, "last-good-config"},
		{Interface, "do write", Do, Interface, ""},
		{Exec, "clear access-list counters web", ClearCounters, Exec, "web"},
		{Config, "ip access-list extended check", EnterACL, Config, "check"},
		{Config, "ipv6 acc ext v6", EnterACL, Config, "v6"},
		{Config, "no ip access-list extended check", DeleteACL, Config, "check"},
		{Config, "int man 0", EnterInterface, Config, ""},
		{IPACL, "permit tcp host 10.24.12.107 host 10.24.12.129 eq 22 connlimit 3", AddRule, IPACL, "permit tcp host 10.24.12.107 host 10.24.12.129 eq 22 connlimit 3"},
		{IPACL, "per tcp any any eq ssh conn 3 cou", AddRule, IPACL, "permit tcp any any eq 22 connlimit 3"},
		{IPACL, "seq 15 deny udp 10.0.0.0 0.0.0.255 range 1 2 any log", AddRule, IPACL, "deny udp 10.0.0.0/24 range 1 2 any log"},
		{IPACL, "permit tcp any any connlimit 3 established", AddRule, IPACL, "permit tcp any any established connlimit 3"},
		{IPACL, "remark  spaced  words ", AddRule, IPACL, "remark spaced  words"},
		{IPACL, "permit tcp any any eq 22 connlimit 3 mask /24", AddRule, IPACL, "permit tcp any any eq 22 connlimit 3 mask /24"},
		{IPACL, "permit tcp any any eq 22 conn 3 ma 24 so 1000 log", AddRule, IPACL, "permit tcp any any eq 22 connlimit 3 mask /24 sources 1000 log"},
		{IPACL, "permit tcp any any connlimit 3 sources 16 mask /0", AddRule, IPACL, "permit tcp any any connlimit 3 mask /0 sources 16"},
		{IPACL, "permit tcp any any connlimit 3 mask /32 sources 65535", AddRule, IPACL, "permit tcp any any connlimit 3"},
		{IP6ACL, "deny tcp any any connlimit 2 mask /64", AddRule, IP6ACL, "deny tcp any any connlimit 2 mask /64"},
		{IP6ACL, "deny tcp any any connlimit 2 mask 128 sources 1048576", AddRule, IP6ACL, "deny tcp any any connlimit 2 sources 1048576"},
		{IPACL, "no permit ip any any", DeleteRule, IPACL, "permit ip any any"},
		{IPACL, "no seq 10", DeleteSeq, IPACL, ""},
		{IPACL, "no seq 10 permit ip any any", DeleteRule, IPACL, "permit ip any any"},
		{IPACL, "resequence 5 1", Resequence, IPACL, ""},
		{IPACL, "ip access-list extended other", EnterACL, Config, "other"},
		{IPACL, "interface management 0", EnterInterface, Config, ""},
		{IP6ACL, "permit icmp 2001:db8::/32 any", AddRule, IP6ACL, "permit icmp 2001:db8::/32 any"},
		// Several ports in one line, ascending and canonical.
		{IPACL, "permit tcp any any eq 22 443 830", AddRule, IPACL, "permit tcp any any eq 22 443 830"},
		{IPACL, "permit tcp any any eq netconf https ssh log", AddRule, IPACL, "permit tcp any any eq 22 443 830 log"},
		{IPACL, "deny udp any eq domain ntp host 10.0.0.1 neq 1 2 3 4 5 6 7 8 9 10", AddRule, IPACL, "deny udp any eq 53 123 host 10.0.0.1 neq 1 2 3 4 5 6 7 8 9 10"},
		{IPACL, "permit tcp any eq 22 ho 10.0.0.1", AddRule, IPACL, "permit tcp any eq 22 host 10.0.0.1"},
		{IPACL, "permit tcp any eq 22 hostname any", AddRule, IPACL, "permit tcp any eq 22 101 any"},
		{IPACL, "permit tcp any any eq 22 443 conn 3 lo", AddRule, IPACL, "permit tcp any any eq 22 443 connlimit 3 log"},
		{IPACL, "permit udp any any eq snmp snmpt sys", AddRule, IPACL, "permit udp any any eq 161 162 514"},
		{IPACL, "permit tcp any any eq dom cmd", AddRule, IPACL, "permit tcp any any eq 53 514"},
		// ICMP types: names per family, numbers, codes.
		{IPACL, "permit icmp any any echo", AddRule, IPACL, "permit icmp any any echo"},
		{IPACL, "permit icmp any any 8", AddRule, IPACL, "permit icmp any any echo"},
		{IPACL, "permit icmp any any echo-r log", AddRule, IPACL, "permit icmp any any echo-reply log"},
		{IPACL, "deny icmp any host 10.0.0.1 3 4 est", AddRule, IPACL, "deny icmp any host 10.0.0.1 packet-too-big established"},
		{IPACL, "permit icmp any any 3 200", AddRule, IPACL, "permit icmp any any 3 200"},
		{IPACL, "permit icmp any any 255", AddRule, IPACL, "permit icmp any any 255"},
		{IPACL, "permit icmp any any ttl-exceeded connlimit 2", AddRule, IPACL, "permit icmp any any ttl-exceeded connlimit 2"},
		{IP6ACL, "permit icmpv6 any any echo-request", AddRule, IP6ACL, "permit icmp any any echo-request"},
		{IP6ACL, "permit icmp any any 128", AddRule, IP6ACL, "permit icmp any any echo-request"},
		{IP6ACL, "permit icmpv6 any any packet-too-big", AddRule, IP6ACL, "permit icmp any any packet-too-big"},
		{IP6ACL, "permit icmp any any 8", AddRule, IP6ACL, "permit icmp any any 8"},
		{IP6ACL, "permit icmpv6 any any", AddRule, IP6ACL, "permit icmp any any"},
		{Interface, "ip access-g web in", BindACL, Interface, "web"},
		{Interface, "no ipv6 access-group v6 in", UnbindACL, Interface, "v6"},
		{Interface, "ip access-list extended web", EnterACL, Config, "web"},
		{Interface, "do sh run", Do, Interface, ""},
		{Config, "! a comment", KindNone, Config, ""},
		{Config, "   ", KindNone, Config, ""},
	} {
		cmd, err := Parse(tc.mode, tc.line)
		require.NoError(t, err, "Parse(%d, %q)", tc.mode, tc.line)
		assert.Equal(t, tc.kind, cmd.kind(), "Parse(%d, %q).Kind", tc.mode, tc.line)
		assert.Equal(t, tc.in, cmd.Mode, "Parse(%d, %q).Mode", tc.mode, tc.line)
		got := ""
		switch {
		case cmd.kind() == AddRule || cmd.kind() == DeleteRule:
			got = cmd.rule().Body(cmd.family())
		case len(cmd.Pipe) > 0:
			got = pipeString(cmd.Pipe)
		default:
			got = cmd.name()
		}
		assert.Equal(t, tc.want, got, "Parse(%d, %q)", tc.mode, tc.line)
	}
}

// pipeString renders a parsed Pipe as `op RE | op RE`, for tests.
func pipeString(p Pipe) string {
	var parts []string
	for _, f := range p {
		parts = append(parts, strings.TrimSpace(f.Op+" "+f.RE))
	}
	return strings.Join(parts, " | ")
}

// TestParsePipes: a ` |` starts the next output modifier; a `|` inside a word is
// regular expression alternation; modifiers apply in order; json is alone; every
// regular expression is checked where it is typed.
func TestParsePipes(t *testing.T) {
	for _, tc := range []struct {
		line string
		want string
		offs []int // Off of each filter
	}{
		{"sh run | inc a | exclude b", "include a | exclude b", []int{13, 25}},
		{"sh run | inc 22|443", "include 22|443", []int{13}},
		{"sh run|inc a |ex b|c | sec d e | cou", "include a | exclude b|c | section d e | count", []int{11, 17, 27, 0}},
		{"show access-lists | section seq 10", "section seq 10", []int{28}},
		{"show access-lists web | count", "count", []int{0}},
		{"show access-lists | json", "json", []int{0}},
		{"wr t | b x | i y", "begin x | include y", []int{9, 15}},
		{"show running-config | include a  b ", "include a  b", []int{30}},
	} {
		cmd, err := Parse(Exec, tc.line)
		require.NoError(t, err, "Parse(Exec, %q)", tc.line)
		assert.Equal(t, tc.want, pipeString(cmd.Pipe), "Parse(Exec, %q)", tc.line)
		var offs []int
		for _, f := range cmd.Pipe {
			offs = append(offs, f.Off)
		}
		assert.Equal(t, tc.offs, offs, "Parse(Exec, %q) offsets", tc.line)
	}
	cmd, err := Parse(Exec, "show access-lists | json")
	require.NoError(t, err)
	assert.True(t, cmd.Pipe.JSON())
	cmd, err = Parse(Exec, "show access-lists | include json")
	require.NoError(t, err)
	assert.False(t, cmd.Pipe.JSON())
}

// TestHelpPipes: after a modifier, `?` offers the next one again; after json
// nothing but <cr>.
func TestHelpPipes(t *testing.T) {
	words := func(line string) []string {
		cands, err := Help(Exec, line)
		require.NoError(t, err, "Help(Exec, %q)", line)
		var w []string
		for _, c := range cands {
			w = append(w, c.Word)
		}
		return w
	}
	assert.Equal(t, []string{"WORD", "|", "lint", "summary", "<cr>"}, words("show access-lists "))
	assert.Equal(t, []string{"begin", "count", "exclude", "include", "json", "section"}, words("show access-lists | "))
	assert.Equal(t, []string{"LINE"}, words("show access-lists | include "))
	assert.Equal(t, []string{"LINE", "|", "<cr>"}, words("show access-lists | include a ")) // more of the expression, the next modifier, or the end
	assert.Equal(t, []string{"begin", "count", "exclude", "include", "section"}, words("show access-lists | include a | "))
	assert.Equal(t, []string{"|", "<cr>"}, words("show access-lists | count "))
	assert.Equal(t, []string{"<cr>"}, words("show access-lists | json "))
	assert.Equal(t, []string{"exclude"}, Complete(Exec, "show run | include a | ex", nil))
	assert.Equal(t, []string{"section"}, Complete(Exec, "show run | se", nil))
	assert.Equal(t, []string{"json"}, Complete(Exec, "show clock | j", nil))
	for line, want := range map[string][]string{
		"show cl": {"clock"}, "show hi": {"history"}, "show ho": {"hostname"}, "show u": {"users"}, "show running-config a": {"access-list"},
		"show access-lists su": {"summary"}, "show ip access-lists s": {"summary"},
	} {
		assert.Equal(t, want, Complete(Exec, line, nil), "Complete(Exec, %q)", line)
	}
}

// TestParseLogInterval: the global log interval command and its no form, from
// config mode and (falling back to it) from a sub-mode.
func TestParseLogInterval(t *testing.T) {
	for _, tc := range []struct {
		mode Mode
		line string
		ms   int
	}{
		{Config, "ip access-list logging interval 250", 250},
		{Config, "IP ACC LOGG INT 1", 1},
		{Config, "ip access-list logging interval 3600000", 3600000},
		{IPACL, "ip access-list logging interval 10", 10},
		{Interface, "ip access-list logging interval 60000", 60000},
		{Config, "no ip access-list logging interval", 0},
		{Config, "no ip access-list logging interval 250", 0},
	} {
		cmd, err := Parse(tc.mode, tc.line)
		require.NoError(t, err, "Parse(%d, %q)", tc.mode, tc.line)
		assert.Equal(t, LogInterval, cmd.kind(), "Parse(%d, %q).Kind", tc.mode, tc.line)
		assert.Equal(t, Config, cmd.Mode, "Parse(%d, %q).Mode", tc.mode, tc.line)
		assert.Equal(t, tc.ms, cmd.num(), "Parse(%d, %q).Num", tc.mode, tc.line)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		mode Mode
		line string
		kind ErrKind
		off  int
		msg  string
	}{
		{Exec, "co", Ambiguous, 0, `% Ambiguous command:  "co"`},
		{Exec, "show", Incomplete, 4, "% Incomplete command."},
		{Exec, "show bogus", Invalid, 5, "% Invalid input detected at '^' marker."},
		{IPACL, "permit tcp hots any any", Invalid, 11, ""},
		{IPACL, "permit tcp 10.0.0.1/8 any", Invalid, 11, "% Invalid input detected at '^' marker: 10.0.0.1/8 has host bits set; did you mean 10.0.0.0/8?"},
		{IPACL, "permit ip any any eq 22", Invalid, 18, ""},
		{IPACL, "permit tcp any any connlimit 0", Invalid, 29, "% Invalid input detected at '^' marker: value 0 is out of range <1-65535>"},
		{IPACL, "permit tcp any any connlimit 3 mask /33", Invalid, 36, "% Invalid input detected at '^' marker: mask /33 is out of range for IPv4 (/0-/32)"},
		{IP6ACL, "permit tcp any any connlimit 3 mask 129", Invalid, 36, "% Invalid input detected at '^' marker: mask /129 is out of range for IPv6 (/0-/128)"},
		{IPACL, "permit tcp any any connlimit 3 mask /24 mask /16", Invalid, 40, "% Invalid input detected at '^' marker: mask given twice"},
		{IPACL, "permit tcp any any connlimit 3 sources 0", Invalid, 39, "% Invalid input detected at '^' marker: value 0 is out of range <1-1048576>"},
		{IPACL, "permit tcp any any mask /24", Invalid, 19, ""},
		{IPACL, "permit tcp any any connlimit 3 mask x24", Invalid, 36, ""},
		{IP6ACL, "permit ipv6 10.0.0.1 any", Invalid, 12, "% Invalid input detected at '^' marker: 10.0.0.1 is IPv4; this is an IPv6 access list"},
		{Config, "do sh bogus", Invalid, 6, ""},
		{Config, "ip access-list logging interval 0", Invalid, 32, "% Invalid input detected at '^' marker: value 0 is out of range <1-3600000>"},
		{Config, "ip access-list logging interval 3600001", Invalid, 32, "% Invalid input detected at '^' marker: value 3600001 is out of range <1-3600000>"},
		{Config, "ip access-list logging interval", Incomplete, 31, "% Incomplete command."},
		{Config, "ip access-list logging interval 10 20", Invalid, 35, ""},
		{Config, "ip access-list logging", Incomplete, 22, "% Incomplete command."},
		{IPACL, "ip access-list logging interval x", Invalid, 32, ""},
		{Exec, "show run | include (", Invalid, 19, "% Invalid input detected at '^' marker: bad regular expression: missing closing )"},
		{Exec, "show run | include a | exclude [b", Invalid, 31, "% Invalid input detected at '^' marker: bad regular expression: missing closing ]"},
		{Exec, "show access-lists | json | include x", Invalid, 25, "% Invalid input detected at '^' marker: json must be the only output modifier"},
		{Exec, "show access-lists | include x | json", Invalid, 32, "% Invalid input detected at '^' marker: json must be the only output modifier"},
		{Exec, "show access-lists | json x", Invalid, 25, "% Invalid input detected at '^' marker."},
		{Exec, "show access-lists | include", Incomplete, 27, "% Incomplete command."},
		{Exec, "show access-lists | include | count", Invalid, 28, ""},
		{Exec, "show access-lists | count x", Invalid, 26, ""},
		// Port names per protocol (issue 10, defect 10), with a caret at the name.
		{IPACL, "permit tcp any any eq syslog", Invalid, 22, "% Invalid input detected at '^' marker: syslog is a udp port name (514), not a tcp one; give the number if you mean it"},
		{IPACL, "permit udp any any eq bgp", Invalid, 22, "% Invalid input detected at '^' marker: bgp is a tcp port name (179), not a udp one; give the number if you mean it"},
		{IPACL, "permit udp any eq 53 bgp any", Invalid, 21, "% Invalid input detected at '^' marker: bgp is a tcp port name (179), not a udp one; give the number if you mean it"},
		{IPACL, "permit tcp any range ssh syslog any", Invalid, 25, "% Invalid input detected at '^' marker: syslog is a udp port name (514), not a tcp one; give the number if you mean it"},
		{IPACL, "permit tcp any any eq nosuch", Invalid, 22, `% Invalid input detected at '^' marker: "nosuch" is not a tcp port number (0-65535) or name`},
		// Several ports: at most 10, each once, eq and neq only.
		{IPACL, "permit tcp any any eq 1 2 3 4 5 6 7 8 9 10 11", Invalid, 43, "% Invalid input detected at '^' marker: eq takes at most 10 ports"},
		{IPACL, "permit tcp any any eq 22 443 ssh", Invalid, 29, "% Invalid input detected at '^' marker: port 22 is listed twice"},
		{IPACL, "permit tcp any any lt 22 443", Invalid, 25, ""},
		{IPACL, "permit tcp any any range 22 443 830", Invalid, 32, ""},
		// ICMP types per family, as IOS.
		{IPACL, "permit icmp any any echo-request", Invalid, 20, "% Invalid input detected at '^' marker: echo-request is an ICMPv6 type name; this is an IPv4 access list (IPv4 says echo)"},
		{IPACL, "permit icmp any any mld-query", Invalid, 20, "% Invalid input detected at '^' marker: mld-query is an ICMPv6 type name; this is an IPv4 access list"},
		{IP6ACL, "permit icmp any any echo", Ambiguous, 20, ""}, // echo-reply, echo-request
		{IP6ACL, "permit icmp any any ttl-exceeded", Invalid, 20, "% Invalid input detected at '^' marker: ttl-exceeded is an IPv4 ICMP type name; this is an IPv6 access list"},
		{IP6ACL, "permit icmp any any nosuch", Invalid, 20, "% Invalid input detected at '^' marker."},
		{IPACL, "permit icmpv6 any any", Invalid, 7, "% Invalid input detected at '^' marker: icmpv6 is for IPv6 access lists; IPv4 lists say icmp"},
		{IPACL, "permit icmp any any 256", Invalid, 20, "% Invalid input detected at '^' marker: value 256 is out of range <0-255>"},
		{IPACL, "permit icmp any any 3 256", Invalid, 22, "% Invalid input detected at '^' marker: value 256 is out of range <0-255>"},
		{IPACL, "permit icmp any any echo 0", Invalid, 25, ""},
		{IPACL, "permit icmp any any echo echo-reply", Invalid, 25, ""},
		{IPACL, "permit tcp any any echo", Invalid, 19, ""},
		{IPACL, "permit 1 any any 8", Invalid, 17, ""},
	} {
		_, err := Parse(tc.mode, tc.line)
		pe, ok := err.(*ParseError)
		require.True(t, ok, "Parse(%d, %q) = %v, want a ParseError", tc.mode, tc.line, err)
		assert.Equal(t, tc.kind, pe.Kind, "Parse(%d, %q) kind", tc.mode, tc.line)
		assert.Equal(t, tc.off, pe.Off, "Parse(%d, %q) offset", tc.mode, tc.line)
		if tc.msg != "" {
			assert.Equal(t, tc.msg, pe.Error())
		}
	}
}

// TestHelpAndCompletionAgree: every keyword `?` offers is completed by Tab from its
// first letters, and the completion parses.
func TestHelpAndCompletionAgree(t *testing.T) {
	prefixes := map[Mode][]string{
		Exec:      {"", "show ", "show ip ", "clear ", "configure "},
		Config:    {"", "ip ", "ip access-list ", "ip access-list logging ", "no ", "no ip access-list ", "no ipv6 ", "interface ", "do "},
		IPACL:     {"", "permit ", "permit tcp ", "permit tcp any ", "permit tcp any any ", "permit tcp any any eq 22 ", "permit tcp any any connlimit 3 ", "permit tcp any any connlimit 3 mask /24 ", "no ", "seq 10 "},
		IP6ACL:    {"", "deny ", "deny udp any ", "deny udp any any "},
		Interface: {"", "ip ", "ipv6 access-group v6 ", "no "},
		// Inside a configuration session: every config command, plus the session's.
		Config | InSession:    {"", "ip ", "commit ", "commit confirmed ", "show ", "show session-config ", "do show "},
		IPACL | InSession:     {"", "permit tcp any any ", "commit ", "no "},
		IP6ACL | InSession:    {"", "deny udp any any "},
		Interface | InSession: {"", "ip ", "commit "},
	}
	for mode, list := range prefixes {
		for _, p := range list {
			cands, err := Help(mode, p)
			require.NoError(t, err, "Help(%d, %q)", mode, p)
			require.NotEmpty(t, cands)
			for _, c := range cands {
				if c.Var || c.Word == "<cr>" {
					continue
				}
				got := Complete(mode, p+c.Word[:1], nil)
				assert.Contains(t, got, c.Word, "Complete(%d, %q)", mode, p+c.Word[:1])
				only := Complete(mode, p+c.Word, nil)
				assert.Contains(t, only, c.Word)
			}
		}
	}
	assert.Equal(t, []string{"web", "west"}, Complete(Interface, "ip access-group w", func(acl.Family, bool) []string { return []string{"other", "web", "west"} }))
	assert.Equal(t, []string{"terminal"}, Complete(Exec, "conf t", nil))
	// Port names per protocol (issue 10, defect 10): tcp names after a tcp port
	// operator, udp names after a udp one, as IOS.
	assert.Equal(t, []string{"sftp", "smtp", "snmp", "snmptrap", "ssh", "sunrpc"}, Complete(IPACL, "permit tcp any any eq s", nil))
	assert.Equal(t, []string{"sbfd", "snmp", "snmptrap", "sunrpc", "syslog"}, Complete(IPACL, "permit udp any any eq s", nil))
	assert.Equal(t, []string{"sbfd", "snmp", "snmptrap", "sunrpc", "syslog"}, Complete(IP6ACL, "permit udp any eq s", nil))
	assert.Equal(t, []string{"bgp"}, Complete(IPACL, "permit tcp any eq 22 443 b", nil), "a further port of a list")
	assert.Empty(t, Complete(IPACL, "permit udp any any eq bg", nil))
	assert.Equal(t, []string{"echo", "echo-reply", "established"}, Complete(IPACL, "permit icmp any any e", nil))
	assert.Equal(t, []string{"echo-reply", "echo-request", "established"}, Complete(IP6ACL, "permit icmpv6 any any e", nil))
}

// TestHelpPortsAndICMP: `?` lists the port names of the rule's protocol only,
// after the first port and after each further one, and the ICMP type names of
// the list's family (IPv4 echo, IPv6 echo-request, as IOS).
func TestHelpPortsAndICMP(t *testing.T) {
	words := func(mode Mode, line string) map[string]string {
		cands, err := Help(mode, line)
		require.NoError(t, err, "Help(%d, %q)", mode, line)
		out := map[string]string{}
		for _, c := range cands {
			out[c.Word] = c.Help
		}
		return out
	}
	tcp := words(IPACL, "permit tcp any any eq ")
	assert.Equal(t, "Border Gateway Protocol (179)", tcp["bgp"])
	assert.Equal(t, "Secure Shell (22)", tcp["ssh"])
	assert.Contains(t, tcp, "<0-65535>")
	assert.Contains(t, tcp, "domain")
	assert.Contains(t, tcp, "snmp") // as EOS reads tcp ... eq snmp
	assert.NotContains(t, tcp, "syslog")
	udp := words(IPACL, "permit udp any eq ")
	assert.Equal(t, "Simple Network Management Protocol (161)", udp["snmp"])
	assert.Contains(t, udp, "domain")
	assert.NotContains(t, udp, "bgp")
	assert.NotContains(t, udp, "ssh")
	more := words(IPACL, "permit tcp any any eq 22 443 ")
	assert.Equal(t, "Another port (up to 10)", more["<0-65535>"])
	assert.Contains(t, more, "https")
	assert.Contains(t, more, "log")
	assert.NotContains(t, more, "syslog")
	assert.Contains(t, words(IPACL, "permit tcp any eq 22 "), "host", "after a source port list: the destination")
	assert.Equal(t, map[string]string{"ssh": "Secure Shell (22)"}, words(IPACL, "permit tcp any any eq ss"))
	assert.Equal(t, map[string]string{"<0-65535>": "Port number or name (ssh, www, https, bgp, ...)"}, words(IPACL, "permit tcp any any eq 44"))
	_, err := Help(IPACL, "permit tcp any any eq sy")
	assert.Error(t, err, "no tcp port name starts with sy")

	v4 := words(IPACL, "permit icmp any any ")
	assert.Equal(t, "Echo (ping)", v4["echo"])
	assert.Equal(t, "TTL exceeded", v4["ttl-exceeded"])
	assert.Equal(t, "ICMP message type", v4["<0-255>"])
	assert.Contains(t, v4, "connlimit")
	assert.NotContains(t, v4, "echo-request")
	assert.Equal(t, "ICMP message code", words(IPACL, "permit icmp any any 3 ")["<0-255>"])
	assert.NotContains(t, words(IPACL, "permit icmp any any echo "), "echo-reply", "one type")
	v6 := words(IP6ACL, "permit icmp any any ")
	assert.Equal(t, "Echo request (ping)", v6["echo-request"])
	assert.Equal(t, "Packet too big", v6["packet-too-big"])
	assert.NotContains(t, v6, "echo")
	assert.NotContains(t, v6, "ttl-exceeded")
	assert.Equal(t, v6, words(IP6ACL, "permit icmpv6 any any "))
	assert.NotContains(t, words(IPACL, "permit "), "icmpv6")
	assert.Contains(t, words(IP6ACL, "permit "), "icmpv6")
	// established is aclsh's, not IOS's (issue 10, defect 20): `?` says so.
	assert.Equal(t, "Replies to connections this host opened (stateful; IOS matches any ACK or RST)", words(IPACL, "permit tcp any any ")["established"])
}

func TestCanonicalRulesReparse(t *testing.T) {
	for _, l := range []string{
		"permit tcp host 10.0.0.1 eq 22 10.0.0.0/8 range 1 65535 established connlimit 65535 log",
		"deny 47 10.0.0.0 0.255.0.255 any",
		"permit udp 10.0.0.0/8 any eq 53 connlimit 10 mask /24 sources 1000000 log",
		"deny tcp any any connlimit 2 mask /0",
		"permit icmp any any",
		"permit tcp any eq 22 443 any neq 1 2 3 4 5 6 7 8 9 10",
		"permit icmp any any echo",
		"permit icmp any any port-unreachable log",
		"permit icmp any any 3 16 connlimit 2",
		"deny icmp any any 42",
	} {
		cmd, err := Parse(IPACL, l)
		require.NoError(t, err, l)
		assert.Equal(t, l, cmd.rule().Body(acl.IPv4))
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"conf t", "permit tcp host 10.0.0.1 any eq 22 connlimit 3", "sh run | inc x",
		"no seq 10", "seq 5 remark hi", "ip access-group a in", "do sh acc", "permit ipv6 2001:db8::/32 any", "|||", "per t a a e 1", "permit tcp any any connlimit 3 mask /24 sources 16"} {
		f.Add(uint8(0), s)
		f.Add(uint8(2), s)
		f.Add(uint8(3), s)
	}
	f.Fuzz(func(t *testing.T, m uint8, line string) {
		mode := Mode(m % uint8(numModes))
		cmd, err := Parse(mode, line)
		if err == nil && checkText(line) != nil {
			t.Fatalf("Parse(%d, %q) took a control character or invalid UTF-8", mode, line)
		}
		if err != nil {
			pe, ok := err.(*ParseError)
			if !ok {
				t.Fatalf("Parse(%d, %q) error %T, want *ParseError", mode, line, err)
			}
			if pe.Off < 0 || pe.Off > len(line) || pe.End > len(line) {
				t.Fatalf("Parse(%d, %q) offsets %d-%d out of line", mode, line, pe.Off, pe.End)
			}
			return
		}
		if cmd.kind() == AddRule && !cmd.rule().IsRemark() {
			body := cmd.rule().Body(cmd.family())
			again, err := Parse(cmd.Mode, body)
			if err != nil || again.rule().Body(again.family()) != body {
				t.Fatalf("canonical %q of %q does not reparse: %v", body, line, err)
			}
		}
		Help(mode, line)
		Complete(mode, line, func(acl.Family, bool) []string { return []string{"a"} })
		if !strings.ContainsAny(line, "\n") {
			Help(mode, line+" ")
		}
	})
}

// BenchmarkParseRule parses rule lines in an access list mode: the per-line cost
// that loading a config multiplies by its length. canonical: as the
// running-config writes them (the fast path); typed: other spellings a script
// may use (wildcards, port names, abbreviations, remarks), parsed in full.
func BenchmarkParseRule(b *testing.B) {
	for _, bc := range []struct {
		name  string
		lines []string
	}{
		{"canonical", []string{
			" seq 10 permit tcp host 10.24.12.107 host 10.24.12.129 eq 22 connlimit 3",
			"permit tcp 10.0.0.0/8 any eq 443",
			" seq 20 deny udp 10.1.0.0 0.0.255.0 range 1000 2000 any log",
			"permit ip any any",
			"seq 30 deny tcp any 192.168.0.0/16 gt 1023 established",
			"permit icmp any host 10.0.0.1",
			"permit udp any any eq 53 connlimit 10 mask /24 sources 1000",
			" seq 40 permit 47 any any",
		}},
		{"typed", []string{
			"seq 10 permit tcp host 10.24.12.107 host 10.24.12.129 eq ssh connlimit 3",
			"permit tcp 10.0.0.0 0.255.255.255 any eq https",
			"deny udp 10.1.0.0 0.0.255.255 range 1000 2000 any log",
			"per ip any any",
			"seq 20 deny tcp any 192.168.0.0/16 gt 1023 est",
			"permit icmp any host 10.0.0.1 count",
			"permit udp any any eq domain connlimit 10 mask 24 sources 1000",
			"seq 30 remark management hosts",
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, err := Parse(IPACL, bc.lines[i%len(bc.lines)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestParseDSL(t *testing.T) {
	got, err := parseDSL("no [seq <1-10>$n] (a|b c)$x {d | e$y}")
	require.NoError(t, err)
	stripPos(got)
	word := func(w, c string) *dslItem { return &dslItem{Word: w, Capture: c} }
	seq := func(items ...*dslItem) *dslSeq { return &dslSeq{Items: items} }
	want := &dslAlt{Seqs: []*dslSeq{seq(
		word("no", ""),
		&dslItem{Opt: &dslAlt{Seqs: []*dslSeq{seq(word("seq", ""), &dslItem{Range: "<1-10>", Capture: "$n"})}}},
		&dslItem{Group: &dslAlt{Seqs: []*dslSeq{seq(word("a", "")), seq(word("b", ""), word("c", ""))}}, Capture: "$x"},
		&dslItem{Star: &dslAlt{Seqs: []*dslSeq{seq(word("d", "")), seq(word("e", "$y"))}}},
	)}}
	assert.Equal(t, want, got)
	for _, bad := range []string{"", "a |", "(a", "[a)", "<1-x>", "a$", "a ] b", "a # b", "{}"} {
		_, err := parseDSL(bad)
		assert.Error(t, err, "parseDSL(%q)", bad)
	}
}

func TestParseSession(t *testing.T) {
	for _, tc := range []struct {
		mode Mode
		line string
		kind Kind
		name string
		num  int
	}{
		{Exec, "configure session", ConfigureSession, "", 0},
		{Exec, "conf sess risky", ConfigureSession, "risky", 0},
		{Config | InSession, "commit", SessionCommit, "", 0},
		{IPACL | InSession, "commit timer 00:00:05", SessionCommit, "", 5},
		{Interface | InSession, "commit timer 1:02:03", SessionCommit, "", 3723},
		{Config | InSession, "commit confirmed", SessionCommit, "", 600},
		{Config | InSession, "commit confirmed 3", SessionCommit, "", 180},
		{IPACL | InSession, "abort", SessionAbort, "", 0},
		{IPACL | InSession, "show session-config diffs", ShowSession, "", 1},
		{Exec, "show session-config named x", ShowSession, "x", 0},
		{Exec, "show configuration sessions", ShowSessions, "", 0},
		{Exec, "reload in 5", ReloadIn, "", 5},
		{Exec, "reload cancel", ReloadCancel, "", 0},
		{IPACL | InSession, "permit tcp any any eq 22", AddRule, "", 0},
	} {
		cmd, err := Parse(tc.mode, tc.line)
		require.NoError(t, err, "Parse(%d, %q)", tc.mode, tc.line)
		assert.Equal(t, tc.kind, cmd.kind(), "Parse(%d, %q).Kind", tc.mode, tc.line)
		assert.Equal(t, tc.name, cmd.name(), "Parse(%d, %q).Name", tc.mode, tc.line)
		assert.Equal(t, tc.num, cmd.num(), "Parse(%d, %q).Num", tc.mode, tc.line)
		assert.Equal(t, tc.mode.Base(), cmd.Mode, "Command.Mode never carries InSession")
	}
	for _, tc := range []struct {
		mode Mode
		line string
	}{
		{Config, "commit"}, {IPACL, "abort"}, {Exec, "commit"},
		{Config | InSession, "commit timer 24:00:01"}, {Config | InSession, "commit timer 00:60:00"},
		{Config | InSession, "commit timer 00:00:00"}, {Config | InSession, "commit confirmed 0"},
		{Exec, "configure session 9x"}, {Exec, "reload in 0"}, {Config, "do configure session x"},
	} {
		_, err := Parse(tc.mode, tc.line)
		assert.Error(t, err, "Parse(%d, %q)", tc.mode, tc.line)
	}
	assert.Equal(t, "h(config-s-x-ipacl-ext)# ", IPACL.SessionPrompt("h", "x"))
	assert.Equal(t, "h(config-s-x)# ", (Config|InSession).SessionPrompt("h", "x"))
}
