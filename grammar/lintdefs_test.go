package grammar

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
)

func TestParseTestAndLint(t *testing.T) {
	a := netip.MustParseAddr
	for _, tc := range []struct {
		mode   Mode
		line   string
		kind   Kind
		name   string
		num    int
		packet acl.Packet
	}{
		{Exec, "test access-list check tcp 10.24.12.107 40000 10.24.12.129 22", TestACL, "check", 0,
			acl.Packet{Proto: 6, Src: a("10.24.12.107"), SrcPort: 40000, Dst: a("10.24.12.129"), DstPort: 22}},
		{Exec, "test access-list tcp 10.24.12.107 10.24.12.129 ssh", TestACL, "", 0,
			acl.Packet{Proto: 6, Src: a("10.24.12.107"), Dst: a("10.24.12.129"), DstPort: 22}},
		{Exec, "tes acc v6 udp fd77::107 53 fd77::129 domain est", TestACL, "v6", 0,
			acl.Packet{Proto: 17, Src: a("fd77::107"), SrcPort: 53, Dst: a("fd77::129"), DstPort: 53, Reply: true}},
		{Exec, "test access-list v6 icmp fd77::107 fd77::129 new", TestACL, "v6", 0,
			acl.Packet{Proto: 58, Src: a("fd77::107"), Dst: a("fd77::129"), ICMPType: 128}},
		{Exec, "test access-list check icmp 10.0.0.1 10.0.0.2", TestACL, "check", 0,
			acl.Packet{Proto: 1, Src: a("10.0.0.1"), Dst: a("10.0.0.2"), ICMPType: 8}},
		{Exec, "test access-list check icmp 10.0.0.1 10.0.0.2 echo-reply", TestACL, "check", 0,
			acl.Packet{Proto: 1, Src: a("10.0.0.1"), Dst: a("10.0.0.2")}},
		{Exec, "test access-list check icmp 10.0.0.1 10.0.0.2 packet-too-big established", TestACL, "check", 0,
			acl.Packet{Proto: 1, Src: a("10.0.0.1"), Dst: a("10.0.0.2"), ICMPType: 3, ICMPCode: 4, Reply: true}},
		{Exec, "test access-list check icmp 10.0.0.1 10.0.0.2 3 13", TestACL, "check", 0,
			acl.Packet{Proto: 1, Src: a("10.0.0.1"), Dst: a("10.0.0.2"), ICMPType: 3, ICMPCode: 13}},
		{Exec, "test access-list check icmp 10.0.0.1 10.0.0.2 13", TestACL, "check", 0,
			acl.Packet{Proto: 1, Src: a("10.0.0.1"), Dst: a("10.0.0.2"), ICMPType: 13}},
		{Exec, "test access-list v6 icmp fd77::107 ff02::1 nd-na", TestACL, "v6", 0,
			acl.Packet{Proto: 58, Src: a("fd77::107"), Dst: a("ff02::1"), ICMPType: 136}},
		{Exec, "test access-list v6 icmp fd77::107 fd77::129 packet-too-big", TestACL, "v6", 0,
			acl.Packet{Proto: 58, Src: a("fd77::107"), Dst: a("fd77::129"), ICMPType: 2}},
		{Exec, "test access-list v6 icmp fd77::107 fd77::129 1 4 est", TestACL, "v6", 0,
			acl.Packet{Proto: 58, Src: a("fd77::107"), Dst: a("fd77::129"), ICMPType: 1, ICMPCode: 4, Reply: true}},
		{Exec, "test access-list check 1 10.0.0.1 10.0.0.2", TestACL, "check", 0,
			acl.Packet{Proto: 1, Src: a("10.0.0.1"), Dst: a("10.0.0.2"), ICMPType: 8}},
		{Exec, "test access-list v6 58 fd77::107 fd77::129", TestACL, "v6", 0,
			acl.Packet{Proto: 58, Src: a("fd77::107"), Dst: a("fd77::129"), ICMPType: 128}},
		{Exec, "test access-list v6 1 fd77::107 fd77::129", TestACL, "v6", 0,
			acl.Packet{Proto: 1, Src: a("fd77::107"), Dst: a("fd77::129")}},
		{Exec, "test access-list check 50 10.0.0.1 10.0.0.2", TestACL, "check", 0,
			acl.Packet{Proto: 50, Src: a("10.0.0.1"), Dst: a("10.0.0.2")}},
		{IPACL, "do test access-list check tcp 10.0.0.1 10.0.0.2 22", Do, "", 0, acl.Packet{}},
		{Exec, "show access-lists lint", LintACLs, "", 0, acl.Packet{}},
		{Exec, "sh ip acc check lint det", LintACLs, "check", 1, acl.Packet{}},
		{Exec, "show access-lists check", ShowACLs, "check", 0, acl.Packet{}},
	} {
		cmd, err := Parse(tc.mode, tc.line)
		require.NoError(t, err, tc.line)
		assert.Equal(t, tc.kind, cmd.kind(), "Parse(%q) kind", tc.line)
		if cmd.kind() == Do {
			cmd = cmd.sub()
			assert.Equal(t, TestACL, cmd.kind())
			continue
		}
		assert.Equal(t, tc.name, cmd.name(), "Parse(%q) name", tc.line)
		assert.Equal(t, tc.num, cmd.num(), "Parse(%q) num", tc.line)
		assert.Equal(t, tc.packet, cmd.packet(), "Parse(%q) packet", tc.line)
	}
}

func TestParseTestErrors(t *testing.T) {
	for _, tc := range []struct {
		line string
		kind ErrKind
		off  int
		msg  string
	}{
		{"test access-list x tcp 10.0.0.1 fd77::2", Invalid, 32, "% Invalid input detected at '^' marker: fd77::2 is not an IPv4 address like the source 10.0.0.1"},
		{"test access-list x tcp 10.0.0.1 nope 10.0.0.2", Invalid, 32, `% Invalid input detected at '^' marker: "nope" is not a tcp port number (0-65535) or name`},
		{"test access-list x tcp 10.0.0.1 70000 10.0.0.2", Invalid, 32, `% Invalid input detected at '^' marker: "70000" is not a port number (0-65535) or name`},
		{"test access-list x icmp 10.0.0.1 22 10.0.0.2", Invalid, 33, ""},
		{"test access-list x icmp 10.0.0.1 fd77::2", Invalid, 33, "% Invalid input detected at '^' marker: fd77::2 is not an IPv4 address like the source 10.0.0.1"},
		{"test access-list x icmp 10.0.0.1 10.0.0.2 echo-request", Invalid, 42, ""},
		{"test access-list x icmp fd77::1 fd77::2 mask-request", Invalid, 40, ""},
		{"test access-list x icmp 10.0.0.1 10.0.0.2 3 256", Invalid, 44, ""},
		{"test access-list x 50 10.0.0.1 10.0.0.2 echo", Invalid, 40, ""},
		{"test access-list x tcp 10.0.0.1", Incomplete, 31, "% Incomplete command."},
		{"test access-list x tcp any 10.0.0.2", Invalid, 23, ""},
		{"test access-list x 256 10.0.0.1 10.0.0.2", Invalid, 19, ""},
	} {
		_, err := Parse(Exec, tc.line)
		pe, ok := err.(*ParseError)
		require.True(t, ok, "Parse(%q) = %v, want a ParseError", tc.line, err)
		assert.Equal(t, tc.kind, pe.Kind, "Parse(%q) kind", tc.line)
		assert.Equal(t, tc.off, pe.Off, "Parse(%q) offset", tc.line)
		if tc.msg != "" {
			assert.Equal(t, tc.msg, pe.Error(), tc.line)
		}
	}
}
