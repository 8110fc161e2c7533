package shell

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unsafe"
	"weak"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
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

// holdCheck is an Enforcer that, when asked to apply, collects garbage and
// says whether the script's text is still held.
type holdCheck struct {
	recorder
	text weak.Pointer[byte]
	held bool
}

func (h *holdCheck) Apply(cfg *acl.Config) error {
	runtime.GC()
	h.held = h.text.Value() != nil
	return h.recorder.Apply(cfg)
}

// A script run from its text lets go of it as it reads: by the time its
// commit applies, the text (40 MB for a million lines) is not held, whether it
// ends in a newline or not.
func TestRunScriptTextLetsGo(t *testing.T) {
	for _, end := range []string{"\n", ""} {
		var b strings.Builder
		b.WriteString("conf t\nip access-list extended a\n")
		for i := range 2000 {
			fmt.Fprintf(&b, " seq %d deny ip host 10.0.%d.%d any\n", i+1, i>>8, i&255)
		}
		b.WriteString("end" + end)
		text := b.String()
		h := &holdCheck{text: weak.Make(unsafe.StringData(text))}
		var out strings.Builder
		sh, err := New(Options{Host: "device", Store: &config.Store{Dir: t.TempDir()}, Enforcer: h, Out: &out, Err: &out})
		require.NoError(t, err)
		require.Zero(t, sh.RunScriptText(text, "s"), out.String())
		text = ""
		require.NotEmpty(t, h.last, "applied")
		require.False(t, h.held, "the text is held through the commit (end %q)", end)
	}
}

// A script that enters a list again for each line it adds (generated scripts
// do: the list's header, a line, exit) does not copy the list each time: it
// allocates about what the same script read from a stream allocates, not the
// list's size times its lines.
func TestRunScriptTextReentersLinearly(t *testing.T) {
	var b strings.Builder
	b.WriteString("conf t\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "ip access-list extended a\n seq %d deny ip host 10.0.%d.%d any\nexit\n", i+1, i>>8, i&255)
	}
	b.WriteString("end\n")
	script := b.String()
	alloc := func(text bool) uint64 {
		sh, err := New(Options{Host: "device", Store: &config.Store{Dir: t.TempDir()}, Out: io.Discard, Err: io.Discard})
		require.NoError(t, err)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if text {
			require.Zero(t, sh.RunScriptText(script, "s"))
		} else {
			require.Zero(t, sh.RunScript(strings.NewReader(script), "s"))
		}
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	stream, text := alloc(false), alloc(true)
	t.Logf("allocated: %d bytes read from a stream, %d from the text", stream, text)
	require.Less(t, text, 2*stream)
}
