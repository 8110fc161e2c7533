package main

import (
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The byte stream automation reads (netmiko, Ansible's network_cli): on a pty a
// switch echoes each typed character once, ends the line with CRLF, writes the
// output, then exactly the prompt and nothing after it. Their prompt patterns
// (netmiko: the last byte received is `#` or `>` once trailing spaces go; arista.eos
// and cisco.ios: `(?:>|#) ?$`) match only that.

// byteStream is a terminal session read as raw bytes.
type byteStream interface {
	// write sends bytes as they are.
	write(s string)
	// through returns the bytes received up to and including the first s, and
	// consumes them; it fails the test if s does not come within 5 s.
	through(s string) string
	// pending returns what was received and not consumed.
	pending() string
}

type ptyStream struct{ tm *ptyTerm }

func (p ptyStream) write(s string)          { p.tm.send(s) }
func (p ptyStream) through(s string) string { return p.tm.expect(s) }
func (p ptyStream) pending() string {
	p.tm.mu.Lock()
	defer p.tm.mu.Unlock()
	return p.tm.buf.String()
}

type sshStream struct{ s *sshSession }

func (p sshStream) write(s string) {
	_, err := io.WriteString(p.s.in, s)
	require.NoError(p.s.l.t, err)
}
func (p sshStream) through(s string) string {
	return p.s.must(regexp.MustCompile(regexp.QuoteMeta(s)), 5*time.Second, "waiting for "+s)
}
func (p sshStream) pending() string { return p.s.out.String()[p.s.mark:] }

// plainBytes fails unless out holds no terminal control but CR, LF and TAB.
func plainBytes(t *testing.T, what, out string) {
	t.Helper()
	for i := 0; i < len(out); i++ {
		if c := out[i]; c < ' ' && c != '\r' && c != '\n' && c != '\t' || c == 0x7f {
			t.Fatalf("%s: control byte %#x at %d in %q", what, c, i, out)
		}
	}
}

// exchange sends line with enter and returns the output between the echoed line
// and the prompt, checking the bytes: the echo once, CRLF, the output (lines
// ending CRLF), the prompt; nothing before the echo (what an earlier prompt left
// would be here).
func exchange(t *testing.T, bs byteStream, line, enter, prompt string) string {
	t.Helper()
	bs.write(line + enter)
	got := bs.through(line + "\r\n")
	require.Equal(t, line+"\r\n", got, "the line echoed once, then CRLF, and nothing before it")
	rest := bs.through(prompt)
	plainBytes(t, line, rest)
	out := strings.TrimSuffix(rest, prompt)
	if out != "" {
		require.True(t, strings.HasSuffix(out, "\r\n"), "%q: the output ends with CRLF before the prompt: %q", line, rest)
	}
	require.NotContains(t, strings.ReplaceAll(out, "\r\n", ""), "\n", "%q: every line ends with CRLF", line)
	return out
}

// checkSwitchStream drives a session as netmiko and Ansible do and checks every
// byte; first is what came before the first prompt.
func checkSwitchStream(t *testing.T, bs byteStream) {
	first := bs.through("device# ")
	plainBytes(t, "before the first prompt", first)
	require.Regexp(t, `(?s)\A(% [^\r\n]*\r\n)*aclsh on device, management 0 is mgmt0\. Type \? for help\.\r\ndevice# \z`, first)

	// What Ansible's network_cli (cisco.ios, arista.eos) and netmiko send on
	// connect: each is accepted, silently.
	for _, l := range []string{"terminal length 0", "terminal width 512", "terminal width 0", "terminal width 511"} {
		require.Empty(t, exchange(t, bs, l, "\n", "device# "), l)
	}
	// Every reply ends with the prompt, and only after its last byte (a note
	// drawn after the prompt would be before the next echo).
	var running string
	for i := range 20 {
		out := exchange(t, bs, "show running-config", "\n", "device# ")
		if i == 0 {
			running = out
			require.NotEmpty(t, out)
		}
		require.Equal(t, running, out, "show running-config #%d", i+1)
	}
	out := exchange(t, bs, "show version | json", "\r", "device# ")
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &v), "show version | json: %q", out)
	require.Contains(t, v, "modelName")
	require.Contains(t, v, "version")
	out = exchange(t, bs, "show hostname | json", "\r", "device# ")
	require.NoError(t, json.Unmarshal([]byte(out), &v), "show hostname | json: %q", out)
	require.Equal(t, "device", v["hostname"])
	require.Contains(t, v, "fqdn")
	require.Contains(t, exchange(t, bs, "show configuration sessions", "\r", "device# "), "No configuration sessions")
	// A host never saved: no error for the clients' error patterns (% Error).
	require.Equal(t, "startup-config is not present\r\n", exchange(t, bs, "show startup-config", "\r", "device# "))
	exchange(t, bs, "configure terminal", "\r", "device(config)# ")
	exchange(t, bs, "ip access-list extended web", "\n", "device(conf-ipacl-ext)# ")
	exchange(t, bs, "permit tcp any any eq 22", "\r", "device(conf-ipacl-ext)# ")
	out = exchange(t, bs, "bogus", "\r", "device(conf-ipacl-ext)# ")
	require.Contains(t, out, "% Invalid input detected at '^' marker.")
	exchange(t, bs, "end", "\n", "device# ")
	out = exchange(t, bs, "show access-lists web", "\r", "device# ")
	require.Contains(t, out, "permit tcp any any eq 22")
	time.Sleep(300 * time.Millisecond)
	require.Empty(t, bs.pending(), "nothing after the last prompt")
}

// TestSwitchStream: the pty stream of a session is a switch's, byte for byte.
func TestSwitchStream(t *testing.T) {
	tm := startTerm(t, t.TempDir(), t.TempDir())
	checkSwitchStream(t, ptyStream{tm})
	tm.send("exit\r")
	<-tm.done
}

// TestSSHSwitchStream: the same stream through OpenSSH (ssh -tt, aclsh as the
// ForceCommand), as automation logs in.
func TestSSHSwitchStream(t *testing.T) {
	l := newSSHLab(t)
	s := l.dial("10.24.12.107")
	checkSwitchStream(t, sshStream{s})
	s.logout()
}

// TestSwitchStreamEditing: ? help is plain, as on IOS (the help under the line,
// then prompt and line again); the editor redraws only once the operator edits a
// line (backspace, Tab, arrows), and the next line is plain again.
func TestSwitchStreamEditing(t *testing.T) {
	tm := startTerm(t, t.TempDir(), t.TempDir())
	bs := ptyStream{tm}
	bs.through("device# ")
	tm.send("show ver?")
	out := bs.through("device# show ver")
	plainBytes(t, "? help", out)
	require.Regexp(t, `\Ashow ver\?\r\n  version +aclsh's version[^\r\n]*\r\ndevice# show ver\z`, out)

	// Backspace: readline takes the line over (and redraws it).
	tm.send("x\x7fsion\r")
	out = bs.through("Version ")
	require.Contains(t, out, "\x1b[", "the editor redraws an edited line")
	bs.through("device# ")
	exchange(t, bs, "show clock", "\r", "device# ")

	// Tab completes; the line after is plain.
	tm.send("show runn\t")
	tm.expect("show running-config ")
	tm.send("\r")
	bs.through("\r\n!\r\n")
	bs.through("device# ")
	exchange(t, bs, "show clock", "\r", "device# ")

	// Up recalls the last line.
	tm.send("\x1b[A")
	tm.expect("show clock")
	tm.send("\r")
	bs.through("show clock\r\n")
	bs.through("device# ")
	exchange(t, bs, "show clock", "\n", "device# ")
	tm.send("exit\r")
	<-tm.done
}
