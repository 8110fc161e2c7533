package enforcer_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	. "github.com/aclsh/aclsh/enforcer"
	"github.com/aclsh/aclsh/shell"
)

// The shell on a real kernel: interactive changes take effect as typed; show
// access-lists reports matches, sessions per source, refusals and the implicit
// deny; clear zeroes counters; a flushed ruleset is reported and restored.
func TestShellOnKernel(t *testing.T) {
	l := newLab(t)
	l.serveTCP(":22")
	var out strings.Builder
	sh, err := shell.New(shell.Options{Host: "device", Store: &shell.Store{Dir: t.TempDir()}, Out: &out, Err: &out,
		Enforcer: l.e, IfName: "mgmt0", Interactive: true})
	require.NoError(t, err)
	run := func(lines ...string) string {
		t.Helper()
		out.Reset()
		for _, line := range lines {
			require.NoError(t, sh.Run(line), line)
		}
		return out.String()
	}
	run("conf term", "ip access-list extended check",
		"permit tcp host 10.24.12.107 host 10.24.12.129 eq 22 connlimit 3", "end",
		"conf term", "interface management 0", "ip access-group check in", "end")
	l.openN("10.24.12.107", 3)
	l.refused("10.24.12.107", dev)
	l.refused("10.24.12.108", dev)

	show := run("show access-lists")
	require.Regexp(t, `(?m)^ seq 10 permit tcp host 10.24.12.107 host 10.24.12.129 eq 22 connlimit 3 \(\d+ matches\)$`, show)
	require.Contains(t, show, "    sessions: 10.24.12.107 3/3\n")
	require.Contains(t, show, "    sources tracked: 1 of 65535 (0%)\n")
	require.Regexp(t, `(?m)^    refused by the limit: [1-9]\d*$`, show)
	require.Regexp(t, `(?m)^ implicit deny \([1-9]\d* matches\)$`, show)

	run("clear access-list counters check")
	show = run("show access-lists")
	require.NotContains(t, show, "matches)")
	require.Contains(t, show, "    refused by the limit: 0\n")
	require.Contains(t, show, "sessions: 10.24.12.107 3/3", "clearing counters keeps the sessions")

	// An interactive change takes effect at once.
	run("conf t", "ip access-list extended check", "permit tcp host 10.24.12.108 any eq 22", "end")
	c, err := l.dial(l.cli, "10.24.12.108", dev)
	require.NoError(t, err)
	c.Close()

	l.nft("flush", "ruleset")
	show = run("show access-lists")
	require.Contains(t, show, "% kernel table inet aclsh is missing; copy running-config kernel restores it")
	require.Contains(t, run("show interface management 0"), " kernel: table inet aclsh is missing")
	run("conf t", "ip access-list extended check", "remark restored", "end")
	require.NotContains(t, run("show access-lists"), "missing")
	require.Contains(t, run("show interface management 0"), " kernel: in sync with the running-config")
	l.refused("10.24.12.109", dev)

	// Deleting a bound list is refused; a kernel refusal leaves the running-config.
	out.Reset()
	err = sh.Run("conf t")
	require.NoError(t, err)
	err = sh.Run("no ip access-list extended check")
	require.ErrorContains(t, err, "bound to interface management 0")
	before := run("do show running-config")
	SetMutate(l.e, func(p *Plan) { p.Chains[1].Name = p.Chains[1].Name + "-broken" })
	err = sh.Run("ip access-list extended check")
	require.NoError(t, err)
	err = sh.Run("permit udp any any")
	require.ErrorContains(t, err, "kernel refused the ruleset: ")
	require.ErrorContains(t, err, "; nothing was changed")
	SetMutate(l.e, nil)
	require.Equal(t, before, run("do show running-config"))
}

// A script is committed once at its end: a failing script changes neither the
// kernel nor the running-config; a good one is enforced.
func TestScriptOnKernel(t *testing.T) {
	l := newLab(t)
	l.serveTCP(":22")
	store := &shell.Store{Dir: t.TempDir()}
	runScript := func(text string) (int, string) {
		var out strings.Builder
		sh, err := shell.New(shell.Options{Host: "device", Store: store, Out: &out, Err: &out, Enforcer: l.e, IfName: "mgmt0"})
		require.NoError(t, err)
		return sh.RunScript(strings.NewReader(text), "script"), out.String()
	}
	rc, out := runScript("conf t\nip access-list extended a\npermit tcp host 10.24.12.107 any eq 22\n" +
		"interface management 0\nip access-group a in\nip access-list extended b\npermit tcp hots any any\n")
	require.Equal(t, 1, rc, out)
	require.NotContains(t, l.nft("list", "tables"), Table, "a failing script applies nothing")
	c, err := l.dial(l.cli, "10.24.12.108", dev)
	require.NoError(t, err)
	c.Close()

	rc, out = runScript("conf t\nip access-list extended a\npermit tcp host 10.24.12.107 any eq 22\n" +
		"interface management 0\nip access-group a in\nend\nshow access-lists\n")
	require.Equal(t, 0, rc, out)
	require.NotContains(t, out, "% kernel", "a script's own changes are not reported as drift")
	l.refused("10.24.12.108", dev)
	c, err = l.dial(l.cli, "10.24.12.107", dev)
	require.NoError(t, err)
	c.Close()

	// A script that clears counters and then fails leaves the kernel as it was,
	// counters included; one that succeeds clears them.
	before := l.nft("list", "table", "inet", Table)
	require.Regexp(t, `counter packets [1-9]`, before)
	rc, out = runScript("clear access-list counters\nconf t\nip access-list extended a\npermit tcp hots any any\n")
	require.Equal(t, 1, rc, out)
	require.Equal(t, before, l.nft("list", "table", "inet", Table), "byte-identical")
	rc, out = runScript("clear access-list counters a\n")
	require.Equal(t, 0, rc, out)
	require.NotRegexp(t, `counter packets [1-9]`, l.nft("list", "table", "inet", Table))
}

// copy running-config kernel restores what `nft flush ruleset` removed (and show
// names it): the lines enforce again, and the sessions opened before the flush
// still count toward their limit (the kernel's lists went with the table; the
// restore counts the live sessions again, as a first apply does). In a script it
// happens when the script commits.
func TestRestoreKernel(t *testing.T) {
	l := newLab(t)
	l.serveTCP(":22")
	var out strings.Builder
	state := t.TempDir()
	sh, err := shell.New(shell.Options{Host: "device", Store: &shell.Store{Dir: state}, Out: &out, Err: &out,
		Enforcer: l.e, IfName: "mgmt0", Interactive: true})
	require.NoError(t, err)
	run := func(lines ...string) string {
		t.Helper()
		out.Reset()
		for _, line := range lines {
			require.NoError(t, sh.Run(line), line)
		}
		return out.String()
	}
	run("conf t", "ip access-list extended check",
		"permit tcp host 10.24.12.107 host 10.24.12.129 eq 22 connlimit 2",
		"permit tcp host 10.24.12.108 any eq 22", "interface management 0", "ip access-group check in", "end")
	before := l.openN("10.24.12.107", 2)
	l.refused("10.24.12.107", dev)
	l.refused("10.24.12.109", dev)

	enforced := func() {
		t.Helper()
		show := run("show access-lists")
		require.NotContains(t, show, "% kernel")
		require.Contains(t, show, "    sessions: 10.24.12.107 2/2\n", "the sessions opened before the flush count")
		require.Contains(t, run("show interface management 0"), " kernel: in sync with the running-config\n")
		for i, c := range before {
			require.NoError(t, echoOnce(c), "session %d opened before the flush", i+1)
		}
		l.refused("10.24.12.107", dev) // over the limit: the two sessions still count
		l.refused("10.24.12.109", dev) // the implicit deny
		c, err := l.dial(l.cli, "10.24.12.108", dev)
		require.NoError(t, err)
		c.Close()
	}

	l.nft("flush", "ruleset")
	show := run("show access-lists")
	require.Contains(t, show, "% kernel table inet aclsh is missing; copy running-config kernel restores it\n")
	require.Contains(t, run("show interface management 0"),
		" kernel: table inet aclsh is missing; copy running-config kernel restores it\n")
	require.Equal(t, "[OK] the kernel enforces the running-config\n", run("copy running-config kernel"))
	enforced()

	// Changed by hand, then restored by a script (at its commit).
	l.nft("flush", "chain", "inet", Table, "input")
	require.Contains(t, run("show access-lists"), "% kernel table inet aclsh differs from the running-config; copy running-config kernel restores it\n")
	var sout strings.Builder
	script, err := shell.New(shell.Options{Host: "device", Store: &shell.Store{Dir: state}, Out: &sout, Err: &sout,
		Enforcer: &Enforcer{IfName: "mgmt0", NetNS: l.e.NetNS}, IfName: "mgmt0"})
	require.NoError(t, err)
	require.Equal(t, 0, script.RunScript(strings.NewReader("copy run kern\n"), "-"), sout.String())
	require.Empty(t, sout.String())
	enforced()
}
