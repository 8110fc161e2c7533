package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/internal/needs"
)

// runIn runs aclsh on the state dir with stdin and returns its combined output
// and exit status.
func runIn(t *testing.T, state, stdin string, args ...string) (string, int) {
	t.Helper()
	cmd := aclsh(append([]string{"--state-dir", state}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return string(out), code
}

// Issue 10 defect 13: a script's errors are labelled FILE:N: with -f, -:N: for
// standard input (the GNU convention) and -c:N: for -c lines.
func TestScriptErrorLabels(t *testing.T) {
	const bad = "conf t\nip access-list extended x\npermit tcp hots any any\n"
	file := filepath.Join(t.TempDir(), "push.acl")
	require.NoError(t, os.WriteFile(file, []byte(bad), 0o644))
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"stdin", bad, nil, "-:3: permit tcp hots any any\n                ^\n% Invalid input detected at '^' marker.\n"},
		{"file", "", []string{"-f", file}, file + ":3: permit tcp hots any any\n"},
		{"command", "", []string{"-c", "conf t", "-c", "ip access-list extended x", "-c", "permit tcp hots any any"}, "-c:3: permit tcp hots any any\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state := t.TempDir()
			out, code := runIn(t, state, tc.stdin, tc.args...)
			require.Equal(t, 1, code, out)
			require.Contains(t, out, tc.want)
			require.NoFileExists(t, filepath.Join(state, "running-config"))
		})
	}
}

// Issue 10 defect 2, through the binary: one exit too many does not end the
// script silently; the lines after it fail, exit status 1, nothing applied.
func TestScriptExitTooMany(t *testing.T) {
	state := t.TempDir()
	script := "conf t\nip access-list extended one\npermit tcp any any eq 22\nexit\nexit\nexit\nconf t\nip access-list extended two\npermit tcp hots any any\n"
	out, code := runIn(t, state, script)
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "-:7: conf t\n% Error: the session ended at line 6 (exit in exec mode); this line would not run\n")
	require.Contains(t, out, "-:9: permit tcp hots any any\n% Error: the session ended at line 6")
	require.Contains(t, out, "% 3 line(s) failed; nothing was applied\n")
	require.NoFileExists(t, filepath.Join(state, "running-config"))

	// The same script without the extra exit, then blank lines and comments
	// after a final exit: fine.
	script = strings.Replace(script, "exit\nexit\nexit\n", "exit\nexit\n", 1)
	script = strings.Replace(script, "hots any", "host 10.0.0.1", 1) + "end\nexit\n\n! done\n"
	out, code = runIn(t, state, script)
	require.Equal(t, 0, code, out)
	data, err := os.ReadFile(filepath.Join(state, "running-config"))
	require.NoError(t, err)
	require.Contains(t, string(data), "ip access-list extended one\n seq 10 permit tcp any any eq 22\n!\nip access-list extended two\n seq 10 permit tcp host 10.0.0.1 any\n")
}

// Issue 10 defect 4, with the kernel: pushing the same script twice, and then
// replaying show running-config, succeeds and changes nothing: the running-config
// is the same byte for byte and the kernel's table keeps every rule (same
// handles).
func TestSameScriptTwiceKernel(t *testing.T) {
	needs.Root(t)
	needs.Program(t, "nft", "nftables")
	ns, state := freshNS(t), t.TempDir()
	run := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command("ip", append([]string{"netns", "exec", ns, binary, "--mgmt-if", "mgmt0", "--state-dir", state}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		return string(out)
	}
	handles := func() string {
		t.Helper()
		out, err := exec.Command("ip", "netns", "exec", ns, "nft", "-a", "-s", "list", "table", "inet", "aclsh").CombinedOutput()
		require.NoError(t, err, "%s", out)
		return string(out)
	}
	const push = `conf t
ip access-list extended mgmt
 remark admins
 permit tcp 10.0.0.0/8 any eq ssh connlimit 3
 permit udp any any eq ntp
 deny ip any any log
interface management 0
 ip access-group mgmt in
end
`
	run(push)
	running, table := readFile(t, filepath.Join(state, "running-config")), handles()
	require.Contains(t, table, "dport 22")
	run(push)
	require.Equal(t, running, readFile(t, filepath.Join(state, "running-config")), "the same script again")
	require.Equal(t, table, handles(), "the same script again")
	shown := run("", "-c", "show running-config")
	run("conf t\n" + shown + "end\n")
	require.Equal(t, running, readFile(t, filepath.Join(state, "running-config")), "show running-config replayed")
	require.Equal(t, table, handles(), "show running-config replayed")
}

// Issue 10, through the binary: write memory on a fresh host leaves a state
// directory the next aclsh uses (the running-config is written too).
func TestWriteMemoryFreshHostBinary(t *testing.T) {
	state := t.TempDir()
	out, code := runIn(t, state, "", "-c", "write memory")
	require.Equal(t, 0, code, out)
	out, code = runIn(t, state, "", "-c", "show running-config")
	require.Equal(t, 0, code, out)
	require.Equal(t, "!\n", out)
}
