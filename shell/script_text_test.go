package shell

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/config"
)

// A script run from its whole text (RunScriptText, as the daemon runs it) does
// what it does read from a stream: the same output, exit status and
// running-config, whatever follows a list's entry (indented lines or not,
// numbered IOS lines, remarks, other commands, a session, errors, a line too
// long, CRLF endings, no final newline). ruleLinesAhead only makes room.
func TestRunScriptTextSameAsStream(t *testing.T) {
	long := strings.Repeat("x", 5000)
	scripts := []string{
		"conf t\nip access-list extended a\n seq 10 permit tcp any any eq 22\n seq 20 deny ip host 10.0.0.1 any\n!\nend\n",
		"conf t\nip access-list extended a\npermit tcp any any eq 22\ndeny udp any any\nremark the end\nexit\nip access-list extended b\n permit ip any any\nend\nshow running-config\n",
		"conf t\r\nip access-list extended a\r\n seq 5 permit tcp any any eq 22\r\n seq 5 permit tcp any any eq 23\r\nend\r\n",
		"conf t\nip access-list standard 10\n 10 permit 10.0.0.0 0.0.0.255\n 20 deny any\nend",
		"conf t\nip access-list extended a\n permit tcp any any eq 22\n remark " + long + "\n permit tcp any any eq 23\nend\n",
		"conf t\nip access-list extended a\n permit tcp any any eq 22\nconfigure session s1\n",
		"configure session s1\nip access-list extended a\n permit tcp any any eq 22\ncommit\nend\n",
		"conf t\nipv6 access-list v6\n seq 10 permit tcp any any eq 22\n seq 20 deny ipv6 any any\nend\nshow access-lists\n",
		"conf t\nip access-list extended a\n seq 10 permit tcp any any eq 22\nexit\nip access-list extended a\n seq 20 permit tcp any any eq 23\n seq 30 permit tcp any any eq 24\nend\n",
	}
	for i, script := range scripts {
		run := func(text bool) (int, string, string) {
			dir := t.TempDir()
			var out strings.Builder
			sh, err := New(Options{Host: "device", Store: &config.Store{Dir: dir}, Out: &out, Err: &out})
			require.NoError(t, err)
			var rc int
			if text {
				rc = sh.RunScriptText(script, "s")
			} else {
				rc = sh.RunScript(strings.NewReader(script), "s")
			}
			running, err := os.ReadFile(filepath.Join(dir, config.RunningName))
			if os.IsNotExist(err) {
				err = nil
			}
			require.NoError(t, err)
			return rc, out.String(), string(running)
		}
		rc, out, running := run(false)
		rcT, outT, runningT := run(true)
		require.Equal(t, rc, rcT, "script %d", i)
		require.Equal(t, out, outT, "script %d", i)
		require.Equal(t, running, runningT, "script %d", i)
	}
}

func TestRuleLinesAhead(t *testing.T) {
	for _, tc := range []struct {
		text string
		n    int
	}{
		{"", 0},
		{" seq 10 permit tcp any any\n seq 20 deny ip any any\n!\n seq 30 permit ip any any\n", 2},
		{"permit tcp any any\ndeny ip any any\nremark x\n10 permit ip any any\nexit\npermit ip any any\n", 4},
		{"interface management 0\n", 0},
		{"\tdeny ip any any", 1},
		{"no seq 10\n", 0},
	} {
		require.Equal(t, tc.n, ruleLinesAhead(tc.text), "%q", tc.text)
	}
}
