package grammar

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
)

// TestBareSeq: a sequence number may start an access list line without `seq`, as on
// IOS and EOS; both spellings give the same command.
func TestBareSeq(t *testing.T) {
	for _, tc := range []struct {
		mode Mode
		line string
		kind Kind
		seq  acl.Seq
		body string
	}{
		{IPACL, "10 permit tcp any any eq 22", AddRule, 10, "permit tcp any any eq 22"},
		{IPACL, "2147483647 deny ip any any", AddRule, 2147483647, "deny ip any any"},
		{IPACL, "15 remark web servers", AddRule, 15, "remark web servers"},
		{IP6ACL, "20 permit tcp any any eq 22 connlimit 3", AddRule, 20, "permit tcp any any eq 22 connlimit 3"},
		{IPACL, "no 10", DeleteSeq, 10, ""},
		{IPACL | InSession, "no 10", DeleteSeq, 10, ""},
		{IP6ACL, "no 10 permit tcp any any", DeleteRule, 10, "permit tcp any any"},
		{IPACL, "no 15 remark web servers", DeleteRule, 15, "remark web servers"},
	} {
		cmd, err := Parse(tc.mode, tc.line)
		require.NoError(t, err, "Parse(%d, %q)", tc.mode, tc.line)
		assert.Equal(t, tc.kind, cmd.kind(), "Parse(%d, %q).Kind", tc.mode, tc.line)
		if tc.kind == DeleteSeq {
			assert.Equal(t, tc.seq, cmd.seq(), "Parse(%d, %q).Seq", tc.mode, tc.line)
			continue
		}
		assert.Equal(t, tc.seq, cmd.rule().Seq, "Parse(%d, %q).Rule.Seq", tc.mode, tc.line)
		assert.Equal(t, tc.body, cmd.rule().Body(cmd.family()), "Parse(%d, %q) body", tc.mode, tc.line)
		// The same line with `seq` is the same command.
		withSeq, err := Parse(tc.mode, "seq "+tc.line)
		if tc.kind == DeleteRule || tc.kind == DeleteSeq {
			withSeq, err = Parse(tc.mode, "no seq "+tc.line[len("no "):])
		}
		require.NoError(t, err)
		assert.Equal(t, cmd, withSeq, "%q with seq", tc.line)
	}
	// A number starts a line only in an access list.
	for _, mode := range []Mode{Exec, Config, Interface} {
		_, err := Parse(mode, "10 permit ip any any")
		assert.Error(t, err, "Parse(%d, 10 permit ...)", mode)
	}
	for _, mode := range []Mode{IPACL, IP6ACL, IPACL | InSession} {
		for _, line := range []string{"", "no "} {
			cands, err := Help(mode, line)
			require.NoError(t, err)
			require.NotEmpty(t, cands)
			assert.Equal(t, "<1-2147483647>", cands[0].Word, "Help(%d, %q) first", mode, line)
		}
	}
}

// TestNumbersAreDigits: a number token takes digits only; a sign is refused at the
// token with a message that says so.
func TestNumbersAreDigits(t *testing.T) {
	for _, tc := range []struct {
		mode Mode
		line string
		off  int
		msg  string
	}{
		{IPACL, "seq +10 permit ip any any", 4, "+10 is not a number: write digits only, without a sign (<1-2147483647>)"},
		{IPACL, "+10 permit ip any any", 0, "+10 is not a number: write digits only, without a sign (<1-2147483647>)"},
		{IPACL, "permit tcp any any connlimit +3", 29, "+3 is not a number: write digits only, without a sign (<1-65535>)"},
		{IPACL, "permit tcp any any connlimit -3", 29, "-3 is not a number: write digits only, without a sign (<1-65535>)"},
		{IPACL, "permit tcp any any connlimit 3 sources +9", 39, "+9 is not a number: write digits only, without a sign (<1-1048576>)"},
		{IPACL, "permit tcp any any connlimit 3 mask /+8", 36, "/+8 is not a number: write digits only, without a sign (/LEN)"},
		{IPACL, "resequence +5", 11, "+5 is not a number: write digits only, without a sign (<1-2147483647>)"},
		{IPACL, "resequence 10 +5", 14, "+5 is not a number: write digits only, without a sign (<1-2147483647>)"},
		{IPACL, "no seq +10", 7, "+10 is not a number: write digits only, without a sign (<1-2147483647>)"},
		{IPACL, "permit +6 any any", 7, "+6 is not a number: write digits only, without a sign (<0-255>)"},
		{IPACL, "permit tcp any any eq +22", 22, ""},
		{IPACL, "seq 1_0 permit ip any any", 4, ""},
		{IPACL, "seq ١٠ permit ip any any", 4, ""}, // Arabic-Indic digits
		{Config, "interface management +0", 21, "+0 is not a number: write digits only, without a sign (<0-255>)"},
		{Exec, "terminal length +0", 16, "+0 is not a number: write digits only, without a sign (<0-512>)"},
		{Exec, "reload in +5", 10, "+5 is not a number: write digits only, without a sign (<1-1440>)"},
		{Config | InSession, "commit confirmed +5", 17, "+5 is not a number: write digits only, without a sign (<1-1440>)"},
		{Config | InSession, "commit timer +0:00:05", 13, ""},
	} {
		_, err := Parse(tc.mode, tc.line)
		pe, ok := err.(*ParseError)
		require.True(t, ok, "Parse(%d, %q) = %v, want a ParseError", tc.mode, tc.line, err)
		assert.Equal(t, Invalid, pe.Kind, "Parse(%d, %q) kind", tc.mode, tc.line)
		assert.Equal(t, tc.off, pe.Off, "Parse(%d, %q) offset", tc.mode, tc.line)
		if tc.msg != "" {
			assert.Equal(t, tc.msg, pe.Msg, "Parse(%d, %q) message", tc.mode, tc.line)
		}
	}
}

// TestControlCharacters: a line with a control character or invalid UTF-8 anywhere
// is refused with the offset of that byte; a tab separates words but is refused
// inside free text. Printable shows such a line safely.
func TestControlCharacters(t *testing.T) {
	for _, tc := range []struct {
		mode Mode
		line string
		off  int
		msg  string
	}{
		{IPACL, "remark esc\x1b]0;PWNED\x07title", 10, "control character 0x1b is not allowed"},
		{IPACL, "remark bell\x07", 11, "control character 0x07 is not allowed"},
		{IPACL, "remark a\x7fb", 8, "control character 0x7f is not allowed"},
		{IPACL, "remark csi \u009b2J", 11, "control character U+009B is not allowed"},
		{IPACL, "remark nel \u0085", 11, "control character U+0085 is not allowed"},
		{IPACL, "remark bad \xff\xfe", 11, "invalid UTF-8 (byte 0xff) is not allowed"},
		{IPACL, "remark cut \xc3", 11, "invalid UTF-8 (byte 0xc3) is not allowed"},
		{IPACL, "remark a\tb", 8, "a tab is not allowed in text (use spaces)"},
		{IPACL, "remark cr\rin the middle", 9, "control character 0x0d is not allowed"},
		{IPACL, "permit tcp any any eq 22 \x00", 25, "control character 0x00 is not allowed"},
		{Config, "ip access-list extended we\x1bb", 26, "control character 0x1b is not allowed"},
		{Exec, "show running-config | include \x1b", 30, "control character 0x1b is not allowed"},
		{Config, "! comment \x1b", 10, "control character 0x1b is not allowed"},
		{Config, "do show running-config | include a\x1b", 34, "control character 0x1b is not allowed"},
		{IPACL, "remark admins \u202egnp.exe", 14, "invisible character U+202E is not allowed (it changes how text is shown: bidirectional overrides, zero-width characters, line separators)"},
		{IPACL, "remark zero\u200bwidth", 11, "invisible character U+200B is not allowed (it changes how text is shown: bidirectional overrides, zero-width characters, line separators)"},
		{IPACL, "remark two\u2028lines", 10, "invisible character U+2028 is not allowed (it changes how text is shown: bidirectional overrides, zero-width characters, line separators)"},
		{Config, "ip access-list extended adm\u2066in", 27, "invisible character U+2066 is not allowed (it changes how text is shown: bidirectional overrides, zero-width characters, line separators)"},
		{IPACL, "remark \ufeffbom", 7, "invisible character U+FEFF is not allowed (it changes how text is shown: bidirectional overrides, zero-width characters, line separators)"},
	} {
		_, err := Parse(tc.mode, tc.line)
		pe, ok := err.(*ParseError)
		require.True(t, ok, "Parse(%d, %q) = %v, want a ParseError", tc.mode, tc.line, err)
		assert.Equal(t, Invalid, pe.Kind, "Parse(%d, %q) kind", tc.mode, tc.line)
		assert.Equal(t, tc.off, pe.Off, "Parse(%d, %q) offset", tc.mode, tc.line)
		assert.Equal(t, tc.msg, pe.Msg, "Parse(%d, %q) message", tc.mode, tc.line)
		_, herr := Help(tc.mode, tc.line+" ")
		assert.Error(t, herr, "Help(%d, %q)", tc.mode, tc.line)
		assert.Nil(t, Complete(tc.mode, tc.line, nil), "Complete(%d, %q)", tc.mode, tc.line)
	}
	// Accepted: tabs between words, trailing line endings, printable non-ASCII text.
	for _, tc := range []struct {
		mode Mode
		line string
	}{
		{IPACL, "\tpermit\ttcp any any eq 22\t"},
		{IPACL, "permit tcp any any eq 22\r"},
		{IPACL, "remark café ünïcödé ✓ 日本"},
		{IPACL, "remark no-break\u00a0space"},
	} {
		_, err := Parse(tc.mode, tc.line)
		assert.NoError(t, err, "Parse(%d, %q)", tc.mode, tc.line)
	}
	for in, want := range map[string]string{
		"remark ok":                 "remark ok",
		"remark esc\x1b]0;x\x07":    `remark esc\x1b]0;x\x07`,
		"a\u009bb \xff\tc\r":        `a\u009bb \xff` + "\tc" + `\x0d`,
		"remark café\x7f":           `remark café\x7f`,
		"seq 10 remark \x1b[31mred": `seq 10 remark \x1b[31mred`,
	} {
		assert.Equal(t, want, Printable(in), "Printable(%q)", in)
	}
}

// TestHelpInFreeText: `?` inside free text, as IOS: glued to a word it is help for
// that word's position (the text); after a space the text may go on or end.
func TestHelpInFreeText(t *testing.T) {
	words := func(cs []Candidate) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Word)
		}
		return out
	}
	for _, tc := range []struct {
		mode Mode
		line string
		want []string
	}{
		{IPACL, "remark ", []string{"LINE"}},
		{IPACL, "remark hello", []string{"LINE"}},
		{IPACL, "remark hello ", []string{"LINE", "<cr>"}},
		{IPACL, "remark is this ok", []string{"LINE"}},
		{IPACL, "remark is this ok ", []string{"LINE", "<cr>"}},
		{IPACL, "10 remark is this", []string{"LINE"}},
		{IPACL, "no remark a b ", []string{"LINE", "<cr>"}},
		{Exec, "show running-config | include seq 1", []string{"LINE"}},
		{Exec, "show running-config | include seq ", []string{"LINE", "|", "<cr>"}},
		{Config, "do show running-config | include seq 1", []string{"LINE"}},
		{Config, "do show running-config | include a b ", []string{"LINE", "|", "<cr>"}},
	} {
		cands, err := Help(tc.mode, tc.line)
		require.NoError(t, err, "Help(%d, %q)", tc.mode, tc.line)
		assert.Equal(t, tc.want, words(cands), "Help(%d, %q)", tc.mode, tc.line)
	}
	// Entered, a `?` in free text is text.
	cmd, err := Parse(IPACL, "remark is this ok?")
	require.NoError(t, err)
	assert.Equal(t, "is this ok?", cmd.rule().Remark)
	cmd, err = Parse(Exec, "show running-config | include seq 1?")
	require.NoError(t, err)
	require.Len(t, cmd.Pipe, 1)
	assert.Equal(t, "seq 1?", cmd.Pipe[0].RE)
}

// TestDoOffersWhatItRuns: `do ?` and Tab after `do ` list the exec commands do
// runs, and each of them parses after do; configure, exit, logout and quit are
// not offered and are refused with a reason.
func TestDoOffersWhatItRuns(t *testing.T) {
	exec, err := Help(Exec, "")
	require.NoError(t, err)
	for _, mode := range []Mode{Config, IPACL, IP6ACL, Interface, Config | InSession} {
		do, err := Help(mode, "do ")
		require.NoError(t, err)
		var got []string
		for _, c := range do {
			got = append(got, c.Word)
			// Each offered word leads somewhere do accepts.
			_, err := Help(mode, "do "+c.Word+" ")
			assert.NoError(t, err, "Help(%d, do %s ?)", mode, c.Word)
		}
		var want []string
		for _, c := range exec {
			if !slices.Contains([]string{"configure", "exit", "logout", "quit"}, c.Word) {
				want = append(want, c.Word)
			}
		}
		assert.Equal(t, want, got, "Help(%d, \"do \")", mode)
		assert.Equal(t, want, Complete(mode, "do ", nil), "Complete(%d, \"do \")", mode)
		assert.Equal(t, []string{"copy"}, Complete(mode, "do co", nil))
		for _, line := range []string{"do configure terminal", "do conf t", "do exit", "do logout", "do quit", "do configure session x"} {
			_, err := Parse(mode, line)
			pe, ok := err.(*ParseError)
			require.True(t, ok, "Parse(%d, %q) = %v", mode, line, err)
			assert.Equal(t, "not available with do", pe.Msg, "Parse(%d, %q)", mode, line)
			assert.Equal(t, 3, pe.Off, "Parse(%d, %q) offset", mode, line)
		}
	}
	// An error in do's help points into the whole line.
	_, err = Help(Config, "do show zzz ")
	pe, ok := err.(*ParseError)
	require.True(t, ok)
	assert.Equal(t, "do show zzz ", pe.Line)
	assert.Equal(t, 8, pe.Off)
}

// TestCompleteFamily: where the line names a family (ip or ipv6), Tab offers the
// access lists of that family only; elsewhere those of both.
func TestCompleteFamily(t *testing.T) {
	lists := map[string]acl.Family{"A1": acl.IPv4, "a2": acl.IPv4, "B6": acl.IPv6, "b7": acl.IPv6}
	names := func(f acl.Family, all bool) []string {
		var out []string
		for _, n := range []string{"A1", "a2", "B6", "b7"} {
			if all || lists[n] == f {
				out = append(out, n)
			}
		}
		return out
	}
	v4, v6, both := []string{"A1", "a2"}, []string{"B6", "b7"}, []string{"A1", "a2", "B6", "b7"}
	for _, tc := range []struct {
		mode Mode
		line string
		want []string
	}{
		{Interface, "ip access-group ", v4},
		{Interface, "ipv6 access-group ", v6},
		{Interface, "no ip access-group ", v4},
		{Interface, "no ipv6 access-group ", v6},
		{Config, "ip access-list extended ", v4},
		{Config, "ipv6 access-list extended ", v6},
		{Config, "no ip access-list extended ", v4},
		{Config, "no ipv6 access-list extended ", v6},
		{Exec, "show ip access-lists ", append(v4, "lint", "summary")},
		{Exec, "show ipv6 access-lists ", append(v6, "lint", "summary")},
		{Exec, "show access-lists ", append(both, "lint", "summary")},
		{Exec, "show ipv6 access-lists b", []string{"b7"}},
		{Exec, "clear ip access-list counters ", v4},
		{Exec, "clear ipv6 access-list counters ", v6},
		{Exec, "clear access-list counters ", both},
		{Config, "do show ipv6 access-lists ", append(v6, "lint", "summary")},
		{IPACL, "do clear ip access-list counters ", v4},
	} {
		assert.Equal(t, tc.want, Complete(tc.mode, tc.line, names), "Complete(%d, %q)", tc.mode, tc.line)
	}
}

// TestLogoutQuit: logout and quit leave the shell from exec mode, as exit.
func TestLogoutQuit(t *testing.T) {
	for _, line := range []string{"logout", "quit", "lo", "q"} {
		cmd, err := Parse(Exec, line)
		require.NoError(t, err, line)
		assert.Equal(t, Exit, cmd.kind(), line)
	}
	for _, mode := range []Mode{Config, IPACL, Interface} {
		for _, line := range []string{"logout", "quit"} {
			_, err := Parse(mode, line)
			assert.Error(t, err, "Parse(%d, %q)", mode, line)
		}
	}
}

// TestIOSIPv6Sequence: IOS writes an IPv6 entry's seq after it (`sequence 10`,
// as cli dialect ios shows it); the line is the same command as with the seq
// first.
func TestIOSIPv6Sequence(t *testing.T) {
	for _, line := range []string{"permit tcp 2001:db8::/32 any eq 22 sequence 10", "deny ipv6 any any log sequence 10"} {
		cmd, err := Parse(IP6ACL, line)
		require.NoError(t, err, "Parse(IP6ACL, %q)", line)
		body, _, _ := strings.Cut(line, " sequence ")
		first, err := Parse(IP6ACL, "10 "+body)
		require.NoError(t, err)
		assert.Equal(t, first, cmd, "%q", line)
	}
	_, err := Parse(IPACL, "permit tcp any any eq 22 sequence 10")
	assert.Error(t, err, "an IPv4 entry takes its seq first")
}
