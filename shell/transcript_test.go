package shell

import (
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/config"
	"github.com/aclsh/aclsh/grammar"
	"github.com/aclsh/aclsh/internal/golden"
)

// transcript plays input lines as an operator would type them at a terminal and
// returns the screen: prompt and line, then the output. A line ending in `?` shows
// the help for what precedes the `?`; a line ending in `<TAB>` shows the words Tab
// offers to complete what precedes it. When the shell asks a question (the lockout
// guard's Proceed? [y/N]), the next input line is the answer. Control characters
// in a line are echoed escaped (\x1b), as grammar.Printable shows them.
func transcript(t *testing.T, dir string, lines []string) string {
	t.Helper()
	var out bytes.Buffer
	sh, err := New(Options{Host: "device", Store: &config.Store{Dir: dir}, Out: &out, Err: &out, Interactive: true, IfName: "mgmt0",
		MgmtNames: []string{"GigabitEthernet0/0"}}) // as --mgmt-names GigabitEthernet0/0 (the IOS snippets of testdata/vendor)
	require.NoError(t, err)
	// lint: management 0's addresses, as in make demo (whatever this host has)
	sh.mgmtAddrs = func() []netip.Addr {
		return []netip.Addr{netip.MustParseAddr("10.24.12.129"), netip.MustParseAddr("fd77::129")}
	}
	sh.ask = func(prompt string) (string, error) {
		if len(lines) == 0 {
			return "", io.EOF
		}
		ans := lines[0]
		lines = lines[1:]
		out.WriteString(prompt + ans + "\n")
		return ans, nil
	}
	for len(lines) > 0 {
		line := lines[0]
		lines = lines[1:]
		prompt := sh.Prompt()
		out.WriteString(prompt + grammar.Printable(line) + "\n")
		if text, ok := strings.CutSuffix(line, "<TAB>"); ok {
			words := grammar.Complete(sh.gmode(), text, sh.namesOf)
			if len(words) == 0 {
				words = []string{"(nothing)"}
			}
			out.WriteString("  " + strings.Join(words, "  ") + "\n")
			continue
		}
		if strings.HasSuffix(line, "?") {
			sh.writeHelp(&out, strings.TrimSuffix(line, "?"))
			continue
		}
		if err := sh.Run(line); err != nil {
			PrintError(&out, len(prompt), err)
		}
		if sh.Done() {
			break
		}
	}
	return out.String()
}

func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob("../testdata/transcripts/*.in")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".in")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
			got := transcript(t, t.TempDir(), lines)
			golden.Check(t, strings.TrimSuffix(f, ".in")+".out", got)
		})
	}
}

// TestScripts runs each testdata/scripts/*.script as `aclsh -f` would, on a state
// dir seeded from NAME.before if present, and compares stdout, stderr, the exit
// status, the running-config afterwards and the startup-config, if there is one,
// with NAME.golden.
func TestScripts(t *testing.T) {
	files, err := filepath.Glob("../testdata/scripts/*.script")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		base := strings.TrimSuffix(f, ".script")
		t.Run(filepath.Base(base), func(t *testing.T) {
			dir := t.TempDir()
			if before, err := os.ReadFile(base + ".before"); err == nil {
				require.NoError(t, os.WriteFile(filepath.Join(dir, config.RunningName), before, 0o640))
			}
			var stdout, stderr bytes.Buffer
			sh, err := New(Options{Host: "device", Store: &config.Store{Dir: dir}, Out: &stdout, Err: &stderr})
			require.NoError(t, err)
			in, err := os.Open(f)
			require.NoError(t, err)
			defer in.Close()
			rc := sh.RunScript(in, filepath.Base(f))
			running, _ := os.ReadFile(filepath.Join(dir, config.RunningName))
			got := fmt.Sprintf("--- exit %d\n--- stdout\n%s--- stderr\n%s--- running-config\n%s", rc, stdout.String(), stderr.String(), running)
			if startup, err := os.ReadFile(filepath.Join(dir, config.StartupName)); err == nil {
				got += "--- startup-config\n" + string(startup)
			}
			got = strings.ReplaceAll(got, dir, "STATEDIR") // errors that name the state directory
			golden.Check(t, base+".golden", got)
		})
	}
}
