package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCheckLint: aclsh --check --lint validates a script and lints the lists it
// writes: the seed 001 script passes; a deny connlimit with no permit after it
// fails with its findings at the script's lines; --lint without --check is a
// usage error.
func TestCheckLint(t *testing.T) {
	state := t.TempDir()
	cmd := aclsh("--state-dir", state, "--check", "--lint", "-f", "../../testdata/scripts/seed001.script")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	require.NotContains(t, string(out), "% Lint")

	cmd = aclsh("--state-dir", state, "--check", "--lint", "-f", "../../testdata/lint/limit-deny.conf")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, stderr.String())
	require.Equal(t, 1, ee.ExitCode())
	require.Equal(t, strings.Join([]string{
		"../../testdata/lint/limit-deny.conf:4:  seq 10 deny tcp host 10.24.12.107 host 10.24.12.129 eq 22 connlimit 3",
		"% Lint error: access list limit-deny seq 10: denies every connection it matches, limit or not: no later line permits the first 2, so the implicit deny drops them; add a permit after it (e.g. permit ip any any)",
		"../../testdata/lint/limit-deny.conf:6:  seq 30 permit tcp host 10.24.12.108 any eq 22 connlimit 2",
		"% Lint error: access list limit-deny seq 30: can never limit: seq 20 permits every connection it would count, without a limit",
		"% 2 lint error(s)",
		"",
	}, "\n"), stderr.String())

	cmd = aclsh("--state-dir", state, "--lint", "-c", "show access-lists")
	out, err = cmd.CombinedOutput()
	require.ErrorAs(t, err, &ee, string(out))
	require.Equal(t, 2, ee.ExitCode())
	require.Contains(t, string(out), "--lint goes with --check")
}
