package cli

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aclsh/aclsh/acl"

	"github.com/aclsh/aclsh/grammar"
)

// Every definition builds exactly one value, of exactly one kind: a Show, an
// Action (or Do, None: the shell's own), an Enter (which may also be the Change
// it makes) or a Change. A definition added without its value fails here
// rather than parsing and doing nothing.
func TestEveryDefinitionBuildsOne(t *testing.T) {
	n := 0
	for _, ex := range grammar.Examples() {
		for _, m := range ex.Modes {
			modes := []grammar.Mode{m}
			if m != grammar.Exec && m&grammar.InSession == 0 && !ex.Plain {
				modes = append(modes, m|grammar.InSession)
			}
			for _, m := range modes {
				cmd, err := grammar.Parse(m, ex.Line)
				if errors.Is(err, grammar.ErrNoValue) {
					t.Errorf("%s: %q builds no value", m.Name(), ex.Line)
				}
				if err != nil {
					continue // not in a session, or a value the builder refuses
				}
				n++
				c := Of(cmd, "l")
				if _, ok := cmd.Value.(Command); !ok || c == nil {
					t.Errorf("%s: %q builds %T, not a command", m.Name(), ex.Line, cmd.Value)
					continue
				}
				kinds := 0
				if _, ok := c.(Show); ok {
					kinds++
				}
				if _, ok := c.(Action); ok {
					kinds++
				}
				switch c.(type) {
				case Do, None:
					kinds++
				}
				if _, ok := c.(Enter); ok {
					kinds++
				} else if _, ok := c.(Change); ok {
					kinds++
				}
				if kinds != 1 {
					t.Errorf("%s: %q builds %T, of %d kinds", m.Name(), ex.Line, c, kinds)
				}
			}
		}
	}
	if n < 50 {
		t.Fatalf("only %d lines parsed", n)
	}
}

func TestMgmtName(t *testing.T) {
	for name, want := range map[string]bool{
		"mgmt0": true, "Management1": true, "Ma1": true, "management0": true, "Management1/1": true,
		"MgmtEth0/RP0/CPU0/0": true, "MgmtEth0/RSP0/CPU0/0": true, "mgmt1/1/1": true,
		"mgmt1": false, "Management2": false, "M1": false, "GigabitEthernet0/0": false, "Ethernet1": false, "eth0": false, "": false,
	} {
		if got := MgmtName(name); got != want {
			t.Errorf("MgmtName(%q) = %v, want %v", name, got, want)
		}
	}
}

// LoadConfig adds a canonical rule line without parsing it into a value
// (Txn.load): what it adds is what the line's definition builds, for every
// kind of rule the running-config writes.
func TestLoadTakesCanonicalLines(t *testing.T) {
	typed := `ip access-list extended web
 seq 10 permit tcp host 10.0.0.1 any eq 22 443 connlimit 3 mask /24 log
 seq 20 deny udp 10.0.0.0 0.0.0.255 range 1 2 any
 seq 30 permit icmp any any echo ttl lt 5
 seq 40 permit 47 any any fragments
 seq 50 permit tcp any any established
ipv6 access-list extended web6
 seq 10 permit tcp 2001:db8::/32 any eq 22 connlimit 2 mask /64 sources 100
 seq 20 permit icmp any any packet-too-big
`
	// The running-config's text of it: canonical lines.
	exec := func(text string) (*acl.Config, int) {
		t.Helper()
		tx, taken := NewTxn(acl.NewConfig()), 0
		for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
			if _, ok := grammar.CanonicalRule(tx.Mode, line); ok && tx.ACL != "" {
				taken++
			}
			if _, err := tx.Exec(line); err != nil {
				t.Fatalf("Exec(%q): %v", line, err)
			}
		}
		return tx.Cfg, taken
	}
	cfg, _ := exec(typed)
	text := cfg.Render()
	want, taken := exec(text)
	if taken != 7 {
		t.Fatalf("%d lines of\n%s\ntook the canonical path, want 7", taken, text)
	}
	loaded, err := LoadConfig(text)
	if err != nil {
		t.Fatal(err)
	}
	if !loaded.Equal(want) || loaded.Render() != text {
		t.Fatalf("LoadConfig = %s, Exec line by line = %s", loaded.Render(), want.Render())
	}
}

// Definitions of one mode are tried in the order the files define them, so
// `show access-lists summary` and `... lint` must win over show access-lists
// NAME; a list named otherwise is still a name, also before lint. An
// abbreviation (sum, lin) is a list's name, as it was before the definitions
// moved to cli.
func TestShowAccessListsPriority(t *testing.T) {
	for line, want := range map[string]string{
		"show access-lists summary":       "cli.ShowSummary",
		"show access-lists sum":           "cli.ShowACLs",
		"show ip access-lists summary":    "cli.ShowSummary",
		"show access-lists lint":          "cli.Lint",
		"show access-lists lin":           "cli.ShowACLs",
		"show access-lists check lint":    "cli.Lint",
		"show access-lists check":         "cli.ShowACLs",
		"show ipv6 access-lists check":    "cli.ShowACLs",
		"show access-lists lint detail":   "cli.Lint",
		"show access-lists check summary": "",
	} {
		cmd, err := grammar.Parse(grammar.Exec, line)
		if want == "" {
			if err == nil {
				t.Errorf("%q parses (as %T)", line, cmd.Value)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", line, err)
			continue
		}
		if got := fmt.Sprintf("%T", cmd.Value); got != want {
			t.Errorf("%q is %s, want %s", line, got, want)
		}
	}
}
