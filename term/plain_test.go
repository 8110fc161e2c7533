package term

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/require"
)

// fakeSession answers each line with one output line; "conf" enters a mode whose
// prompt is host(config)#.
type fakeSession struct {
	mu    sync.Mutex
	mode  string
	lines []string
	done  bool
}

func (f *fakeSession) Prompt() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return "host" + f.mode + "# "
}
func (f *fakeSession) Banner() string { return "banner" }
func (f *fakeSession) Done() bool     { f.mu.Lock(); defer f.mu.Unlock(); return f.done }
func (f *fakeSession) InExec() bool   { return f.mode == "" }
func (f *fakeSession) RunLine(out io.Writer, line string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lines = append(f.lines, line)
	switch line {
	case "exit":
		f.done = true
	case "conf":
		f.mode = "(config)"
	case "end":
		f.mode = ""
	default:
		fmt.Fprintf(out, "ran %q\n", line)
	}
}
func (f *fakeSession) Help(w io.Writer, line string)                        { fmt.Fprintf(w, "  help for %q\n", line) }
func (f *fakeSession) Complete(line string) []string                        { return nil }
func (f *fakeSession) EndMode()                                             { f.mode = "" }
func (f *fakeSession) ExitMode()                                            { f.mode = "" }
func (f *fakeSession) Attach(io.Writer, func(string) (string, error)) error { return nil }
func (f *fakeSession) Detach()                                              {}
func (f *fakeSession) StartNotices(io.Writer)                               {}
func (f *fakeSession) JoinUsers() func()                                    { return func() {} }

// TestPlainStream: lines typed or pasted without editing keys make a switch's
// byte stream: the echo once, CRLF, the output, the prompt; CRLF is one Enter; ?
// writes the help under the line and the line again; Ctrl-C and Ctrl-Z echo ^C
// and ^Z.
func TestPlainStream(t *testing.T) {
	ptmx, tty, err := pty.Open()
	require.NoError(t, err)
	defer ptmx.Close()
	require.NoError(t, pty.Setsize(ptmx, &pty.Winsize{Rows: 24, Cols: 80}))
	f := &fakeSession{}
	rc := make(chan int, 1)
	go func() { rc <- Run(f, Options{Stdin: tty, Fd: int(tty.Fd()), Stdout: tty}) }()
	var mu sync.Mutex
	var got bytes.Buffer
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := ptmx.Read(b)
			mu.Lock()
			got.Write(b[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	want := "banner\r\nhost# "
	wait := func(what string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			mu.Lock()
			s := got.String()
			mu.Unlock()
			if s == want {
				return
			}
			if time.Now().After(deadline) || len(s) > len(want) {
				t.Fatalf("%s: stream %q, want %q", what, s, want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	wait("first prompt")
	type step struct{ in, out string }
	for _, s := range []step{
		{"show x\r", "show x\r\nran \"show x\"\r\nhost# "},
		{"\n", ""}, // the LF of CRLF
		{"a\n", "a\r\nran \"a\"\r\nhost# "},
		{"conf\rline one\r\nline two\nend\r", "conf\r\nhost(config)# line one\r\nran \"line one\"\r\nhost(config)# " +
			"line two\r\nran \"line two\"\r\nhost(config)# end\r\nhost# "},
		{"show ?", "show ?\r\n  help for \"show \"\r\nhost# show "},
		{"x\r", "x\r\nran \"show x\"\r\nhost# "},
		{"drop\x03", "drop^C\r\nhost# "},
		{"conf\r", "conf\r\nhost(config)# "},
		{"\x1a", "^Z\r\nhost# "},
		{"héllo\r", "héllo\r\nran \"héllo\"\r\nhost# "},
	} {
		ptmx.WriteString(s.in)
		want += s.out
		wait(fmt.Sprintf("%q", s.in))
	}
	// Backspace: readline edits the line (it draws only when the process's own
	// stdio is a terminal, which a test's is not); the next line is plain.
	ptmx.WriteString("ab\x04")
	want += "ab\a"
	wait("Ctrl-D on a line with text")
	ptmx.WriteString("\x7fc\r")
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		s := got.String()
		mu.Unlock()
		if strings.HasSuffix(s, "ran \"ac\"\r\nhost# ") {
			want = s
			break
		}
		require.True(t, time.Now().Before(deadline), "the edited line: %q", s)
		time.Sleep(5 * time.Millisecond)
	}
	ptmx.WriteString("d\r")
	want += "d\r\nran \"d\"\r\nhost# "
	wait("after the edited line")
	ptmx.WriteString("exit\r")
	select {
	case code := <-rc:
		require.Equal(t, 0, code)
	case <-time.After(5 * time.Second):
		t.Fatal("exit did not end Run")
	}
	require.Equal(t, []string{"show x", "a", "conf", "line one", "line two", "end", "show x", "conf", "héllo", "ac", "d", "exit"}, f.lines)
}
