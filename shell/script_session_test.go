package shell

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/config"
)

// scriptShell returns a script's shell on dir (as -f, -c or standard input run
// it), its store carrying out timers with rec; check makes it --check's.
func scriptShell(t *testing.T, dir string, rec *recorder, check bool) (*Shell, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	opt := Options{Host: "device", Store: &config.Store{Dir: dir, Kernel: rec}, Out: &out, Err: &out, Enforcer: rec, CheckOnly: check}
	if check {
		opt.Enforcer = nil
	}
	sh, err := New(opt)
	require.NoError(t, err)
	return sh, &out
}

// runSessScript runs lines as a script named -c and returns its status and output.
func runSessScript(t *testing.T, dir string, rec *recorder, lines string) (int, string) {
	t.Helper()
	sh, out := scriptShell(t, dir, rec, false)
	rc := sh.RunScript(strings.NewReader(lines), "-c")
	return rc, out.String()
}

// sessBased returns a state directory whose running-config is sessBase, the
// recorder that enforced it, and the config it enforced.
func sessBased(t *testing.T) (string, *recorder, string) {
	t.Helper()
	dir, rec := t.TempDir(), &recorder{}
	sh, _ := sessShell(t, dir, rec)
	runLines(t, sh, sessBase)
	return dir, rec, rec.last
}

// running returns the running-config text, after the store carried out any
// timer that ran out.
func running(t *testing.T, dir string, rec *recorder) string {
	t.Helper()
	var text string
	st := &config.Store{Dir: dir, Kernel: rec}
	require.NoError(t, st.View(func(cfg *acl.Config) error { text = cfg.Render(); return nil }))
	return text
}

// Configuration sessions and commit timers from a script, as automation pushes:
// commit with a timer from one connection, confirm from a second (issue 19,
// item 3); unconfirmed, it rolls back by itself.
func TestScriptSessionCommitTimer(t *testing.T) {
	for _, confirm := range []bool{true, false} {
		t.Run(map[bool]string{true: "confirmed", false: "unconfirmed"}[confirm], func(t *testing.T) { scriptCommitTimer(t, confirm) })
	}
}

func scriptCommitTimer(t *testing.T, confirm bool) {
	dir, rec, before := sessBased(t)

	rc, out := runSessScript(t, dir, rec, "configure session ansible_1\nip access-list extended mgmt\npermit tcp any any eq 80\ncommit timer 00:05:00\n")
	require.Equal(t, 0, rc, out)
	require.Contains(t, out, "% Session ansible_1 committed; it is rolled back at 2026-11-21 12:05:00 UTC")
	require.Contains(t, rec.last, "eq 80", "committed at its line")
	if confirm {
		rc, out = runSessScript(t, dir, rec, "configure session ansible_1\ncommit\n")
		require.Equal(t, 0, rc, out)
		require.Contains(t, out, "% Session ansible_1 confirmed: the commit timer is cancelled")
	}
	advance(t, 6*time.Minute)
	if confirm {
		require.Contains(t, running(t, dir, rec), "eq 80", "confirmed: not rolled back")
	} else {
		require.Equal(t, before, running(t, dir, rec), "not confirmed: rolled back")
		require.Equal(t, before, rec.last)
	}
}

// A script's own changes (committed at its end) and a session do not mix the
// wrong way round: a session is not opened after changes outside one. After a
// session, the script's changes are its own again, committed at its end on
// the running-config the session's commit left.
func TestScriptSessionOrder(t *testing.T) {
	dir, rec, before := sessBased(t)

	rc, out := runSessScript(t, dir, rec, "conf t\nip access-list extended mgmt\npermit tcp any any eq 443\nend\nconfigure session s\n")
	require.Equal(t, 1, rc)
	require.Contains(t, out, "-c:5: configure session s\n")
	require.Contains(t, out, "this script changed the configuration outside a session (committed at its end, all or nothing): open the session before those changes, or in a script of its own")
	require.Contains(t, out, "% 1 line(s) failed; nothing was applied\n")
	require.Equal(t, before, rec.last)

	rc, out = runSessScript(t, dir, rec, "configure session s\nip access-list extended mgmt\npermit tcp any any eq 80\ncommit\nconf t\nip access-list extended mgmt\npermit tcp any any eq 443\nend\nshow running-config\n")
	require.Equal(t, 0, rc, out)
	require.Contains(t, out, " seq 20 permit tcp any any eq 80\n seq 30 permit tcp any any eq 443\n", "the script's show reads the running-config the session left, its change on top")
	require.Contains(t, rec.last, " seq 20 permit tcp any any eq 80\n seq 30 permit tcp any any eq 443\n")
}

// In a script nothing takes effect after a failed line: a session's commit is
// refused. What took effect before the failure stands, and the script says so.
// A session the script leaves open is pending, and the script says that too.
func TestScriptSessionFailedLine(t *testing.T) {
	dir, rec, before := sessBased(t)

	rc, out := runSessScript(t, dir, rec, "configure session s\nip access-list extended mgmt\npermit tcp any any eq 80\nbogus\ncommit\n")
	require.Equal(t, 1, rc)
	require.Contains(t, out, "-c:5: commit\n")
	require.Contains(t, out, "an earlier line of the script failed: nothing takes effect after a failed line")
	require.Contains(t, out, "% Session s is left pending, not committed: configure session s, then commit or abort\n")
	require.Contains(t, out, "% 2 line(s) failed; nothing was applied\n")
	require.Equal(t, before, rec.last)

	rc, out = runSessScript(t, dir, rec, "configure session s\ncommit\nbogus\n")
	require.Equal(t, 1, rc)
	require.Contains(t, out, "% 1 line(s) failed; nothing else was applied (the commit of session s at line 2 took effect and stands)\n")
	require.Contains(t, rec.last, "eq 80")
	require.NotContains(t, out, "left pending")
}

// --check changes nothing: it opens no session.
func TestCheckOpensNoSession(t *testing.T) {
	dir, rec := t.TempDir(), &recorder{}
	sh, out := scriptShell(t, dir, rec, true)
	rc := sh.RunScript(strings.NewReader("configure session s\n"), "-c")
	require.Equal(t, 1, rc)
	require.Contains(t, out.String(), "--check changes nothing: it opens no configuration session")
	sessions, _, err := (&config.Store{Dir: dir}).Sessions()
	require.NoError(t, err)
	require.Empty(t, sessions)
}
