package shell

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/config"
	"github.com/aclsh/aclsh/enforcer"
)

// countingEnforcer is an enforcer that applies nothing and reports fixed live
// session counts, as the kernel would.
type countingEnforcer struct {
	state    enforcer.State
	sessions map[enforcer.LineRef][]enforcer.SourceCount
}

func (e *countingEnforcer) Apply(*acl.Config) error                 { return nil }
func (e *countingEnforcer) ClearCounters(*acl.Config, string) error { return nil }
func (e *countingEnforcer) Stats(*acl.Config) (*enforcer.Stats, error) {
	return &enforcer.Stats{State: e.state, Sessions: e.sessions}, nil
}

// TestTraceLiveCount: test access-list shows the live session count of the
// packet's source on a connlimit line of the bound list, from the enforcer, and
// what decides the packet now; without a kernel in step it leaves both out.
func TestTraceLiveCount(t *testing.T) {
	src := netip.MustParsePrefix("10.24.12.107/32")
	for _, tc := range []struct {
		name  string
		enf   *countingEnforcer
		lines []string
	}{
		{"under the limit", &countingEnforcer{enforcer.InSync, map[enforcer.LineRef][]enforcer.SourceCount{enforcer.Line("check", 10): {{Src: src, Count: 2}}}},
			[]string{"admitted while 10.24.12.107 has at most 3 such connections (now 2), else continues", "now: permit (seq 10)"}},
		{"at the limit", &countingEnforcer{enforcer.InSync, map[enforcer.LineRef][]enforcer.SourceCount{enforcer.Line("check", 10): {{Src: src, Count: 3}}}},
			[]string{"(now 3), else continues", "now: deny (implicit)"}},
		{"another source's sessions", &countingEnforcer{enforcer.InSync, map[enforcer.LineRef][]enforcer.SourceCount{enforcer.Line("check", 10): {{Src: netip.MustParsePrefix("10.24.12.108/32"), Count: 3}}}},
			[]string{"(now 0), else continues", "now: permit (seq 10)"}},
		{"kernel not in step", &countingEnforcer{enforcer.Differs, map[enforcer.LineRef][]enforcer.SourceCount{enforcer.Line("check", 10): {{Src: src, Count: 3}}}},
			[]string{"at most 3 such connections, else continues\n", "result: permit (seq 10), then deny (implicit) once the limit is reached\ndevice#"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			sh, err := New(Options{Host: "device", Store: &config.Store{Dir: t.TempDir()}, Enforcer: tc.enf, Out: &out, Err: &out, Interactive: true})
			require.NoError(t, err)
			for _, l := range []string{"conf t", "ip access-list extended check", "permit tcp host 10.24.12.107 host 10.24.12.129 eq 22 connlimit 3",
				"interface management 0", "ip access-group check in", "end"} {
				require.NoError(t, sh.Run(l), l)
			}
			out.Reset()
			require.NoError(t, sh.Run("test access-list check tcp 10.24.12.107 40000 10.24.12.129 22"))
			out.WriteString("device#")
			for _, want := range tc.lines {
				require.Contains(t, out.String(), want)
			}
			if tc.enf.state != enforcer.InSync {
				require.NotContains(t, out.String(), "now")
			}
		})
	}
}

// TestLintScript: with Options.Lint, a checked script's findings are printed in
// the script error format at the line that wrote the rule (or entered the list),
// lines from the running-config as such, and the errors counted.
func TestLintScript(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	sh, err := New(Options{Host: "device", Store: &config.Store{Dir: dir}, Out: &out, Err: &out, Interactive: true})
	require.NoError(t, err)
	for _, l := range []string{"conf t", "ip access-list extended old", "permit tcp any any eq 22", "permit tcp host 10.0.0.1 any eq 22 connlimit 2", "end"} {
		require.NoError(t, sh.Run(l))
	}
	script := strings.Join([]string{
		"! seed 001: a deny connlimit with nothing after it",
		"conf t",
		"ip access-list extended limit-deny",
		" seq 10 deny tcp host 10.24.12.107 host 10.24.12.129 eq 22 connlimit 3",
		"ip access-list extended old",
		" permit tcp host 10.0.0.2 any eq 22",
		"end",
	}, "\n") + "\n"
	var stdout, stderr bytes.Buffer
	sh, err = New(Options{Host: "device", Store: &config.Store{Dir: dir}, Out: &stdout, Err: &stderr, CheckOnly: true, Lint: true})
	require.NoError(t, err)
	sh.mgmtAddrs = func() []netip.Addr { return []netip.Addr{netip.MustParseAddr("10.24.12.129")} }
	require.Equal(t, 0, sh.RunScript(strings.NewReader(script), "new.conf"))
	require.Equal(t, 3, sh.LintScript("new.conf"))
	require.Equal(t, strings.Join([]string{
		"new.conf:4:  seq 10 deny tcp host 10.24.12.107 host 10.24.12.129 eq 22 connlimit 3",
		"% Lint error: access list limit-deny seq 10: denies every connection it matches, limit or not: no later line permits the first 2, so the implicit deny drops them; add a permit after it (e.g. permit ip any any)",
		"new.conf:3: ip access-list extended limit-deny",
		"% Lint error: access list limit-deny: permits no new connection (it has no permit line): bound, it refuses every new IPv4 connection on management 0",
		"running-config: seq 20 permit tcp host 10.0.0.1 any eq 22 connlimit 2",
		"% Lint error: access list old seq 20: can never limit: seq 10 permits every connection it would count, without a limit",
		"new.conf:6:  permit tcp host 10.0.0.2 any eq 22",
		"% Lint warning: access list old seq 30: unreachable: seq 10 decides every packet it matches",
		"",
	}, "\n"), stderr.String())
}
