package cli

import (
	"errors"
	"testing"

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
