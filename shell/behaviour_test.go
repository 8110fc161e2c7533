package shell

import (
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/cli"
	"github.com/aclsh/aclsh/config"
	"github.com/aclsh/aclsh/grammar"
)

// Every definition has a behaviour in every mode that accepts it: a line of
// each (grammar.Examples: one through each keyword) never meets
// cli.ErrNoBehaviour nor a show without a view, and `do` of an exec command from
// configuration mode leaves the shell there. A show definition added without
// its entry in the shell used to parse, print nothing and succeed, and `do` of
// it dropped the operator to exec.
func TestEveryDefinitionBehaves(t *testing.T) {
	enter := map[grammar.Mode][]string{
		grammar.Exec:      nil,
		grammar.Config:    {"configure terminal"},
		grammar.IPACL:     {"configure terminal", "ip access-list extended t"},
		grammar.IP6ACL:    {"configure terminal", "ipv6 access-list extended t6"},
		grammar.StdACL:    {"configure terminal", "ip access-list standard s"},
		grammar.Interface: {"configure terminal", "interface management 0"},
		grammar.LineVTY:   {"configure terminal", "line vty"},
		grammar.MgmtSSH:   {"configure terminal", "management ssh"},
		grammar.CtrlPlane: {"configure terminal", "system control-plane"},
	}
	shellIn := func(m grammar.Mode) *Shell {
		// A state directory of its own: no line depends on what another did.
		var out strings.Builder
		sh, err := New(Options{Host: "device", Store: &config.Store{Dir: t.TempDir()}, Out: &out, Err: &out, Interactive: true, IfName: "mgmt0"})
		require.NoError(t, err)
		sh.mgmtAddrs = func() []netip.Addr { return []netip.Addr{netip.MustParseAddr("10.0.0.9")} }
		sh.ask = func(string) (string, error) { return "", io.EOF }
		lines := enter[m.Base()]
		if m&grammar.InSession != 0 {
			lines = append([]string{"configure session s1"}, lines[1:]...)
		}
		for _, l := range lines {
			require.NoError(t, sh.Run(l), "entering %s: %s", m.Name(), l)
		}
		require.Equal(t, m, sh.gmode(), "entering %s", m.Name())
		return sh
	}
	ran, dos := 0, 0
	for _, ex := range grammar.Examples() {
		var modes []grammar.Mode
		for _, m := range ex.Modes {
			modes = append(modes, m)
			if m != grammar.Exec && m&grammar.InSession == 0 && !ex.Plain {
				modes = append(modes, m|grammar.InSession)
			}
		}
		for _, m := range modes {
			if _, err := grammar.Parse(m, ex.Line); err != nil {
				continue // a value the builder refuses (grammar.Examples)
			}
			sh := shellIn(m)
			err := sh.Run(ex.Line)
			ran++
			if errors.Is(err, cli.ErrNoBehaviour) || err != nil && strings.Contains(err.Error(), "no output for this command") {
				t.Errorf("%s: %q parses and has no behaviour: %v", m.Name(), ex.Line, err)
			}
			if m != grammar.Exec || ex.NoDo {
				continue
			}
			for _, from := range []grammar.Mode{grammar.Config, grammar.IPACL | grammar.InSession} {
				sh := shellIn(from)
				err := sh.Run("do " + ex.Line)
				dos++
				if errors.Is(err, cli.ErrNoBehaviour) {
					t.Errorf("%s: %q parses and has no behaviour: %v", from.Name(), "do "+ex.Line, err)
				}
				if sh.gmode() != from {
					t.Errorf("%s: %q left the mode for %s", from.Name(), "do "+ex.Line, sh.gmode().Name())
				}
			}
		}
	}
	if ran < 500 || dos < 50 {
		t.Errorf("%d lines and %d do lines ran: the walk is broken", ran, dos)
	}
	t.Logf("%d lines, %d do lines", ran, dos)
}
