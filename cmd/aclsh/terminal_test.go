package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/shell"
)

// TestPasteLongLine: a pasted line longer than shell.MaxLine costs the terminal a few
// redraws, not one per character; entered, it is refused whole (never run cut short
// at the cap) and kept out of the history, and the next command runs at once. A key
// typed on a full line only rings the bell.
func TestPasteLongLine(t *testing.T) {
	home := t.TempDir()
	tm := startTerm(t, home, t.TempDir())
	tm.expect("device# ")
	tm.send("show running-config\r")
	tm.expect("device# ")

	// Cut at the cap, this line would be a valid command.
	line := "configure terminal" + strings.Repeat(" ", 3*shell.MaxLine) + "x"
	before, start := tm.written(), time.Now()
	tm.send(line + "\r")
	tm.expect(fmt.Sprintf("%% Line too long (more than %d bytes); not run", shell.MaxLine))
	tm.expect("device# ")
	wrote, took := tm.written()-before, time.Since(start)
	t.Logf("pasted %d bytes: %d bytes to the terminal in %v", len(line)+1, wrote, took)
	require.Less(t, wrote, 8*shell.MaxLine, "terminal output for one pasted line")

	// A full line takes no more keys: each rings the bell and redraws nothing.
	tm.send(line)
	tm.expect("\a")
	time.Sleep(100 * time.Millisecond)
	before = tm.written()
	tm.send("z")
	tm.expect("\a")
	time.Sleep(100 * time.Millisecond)
	require.Equal(t, 1, tm.written()-before, "a key on a full line")
	tm.send("\x03") // Ctrl-C drops it
	tm.expect("device# ")

	// Up recalls the last line run, not the refused one.
	tm.send("\x1b[A")
	tm.expect("show running-config")
	tm.send("\r")
	tm.expect("!")
	tm.expect("device# ")
	tm.send("exit\r")
	<-tm.done
	hist, err := os.ReadFile(filepath.Join(home, ".aclsh_history"))
	require.NoError(t, err)
	require.Equal(t, "show running-config\nexit\n", string(hist))
}

// TestPasteIntoSearch: text pasted into a history search (Ctrl-R) goes on as keys, as
// readline reads them, but only so far: the rest is dropped, so the terminal output
// stays bounded, and the shell answers at once.
func TestPasteIntoSearch(t *testing.T) {
	tm := startTerm(t, t.TempDir(), t.TempDir())
	tm.expect("device# ")
	tm.send("show running-config\r")
	tm.expect("device# ")
	tm.send("\x12") // Ctrl-R
	tm.expect("bck-i-search: ")
	tm.send("show")
	tm.expect("bck-i-search: show")
	before := tm.written()
	tm.send(strings.Repeat("a", 3*shell.MaxLine))
	tm.expect("\a")
	tm.send("\x07\x03") // Ctrl-G ends the search, Ctrl-C drops the line
	tm.expect("^C")
	tm.expect("device# ")
	wrote := tm.written() - before
	t.Logf("pasted %d bytes into a search: %d bytes to the terminal", 3*shell.MaxLine, wrote)
	require.Less(t, wrote, 32*shell.MaxLine, "terminal output")
	tm.send("show running-config\r")
	tm.expect("!")
	tm.expect("device# ")
}

// session runs one shell with HOME=home, types lines and exits; it returns the
// screen.
func session(t *testing.T, home string, lines ...string) string {
	t.Helper()
	tm := startTerm(t, home, t.TempDir())
	var screen strings.Builder
	screen.WriteString(tm.expect("device# "))
	for _, l := range lines {
		tm.send(l)
		screen.WriteString(tm.expect("device# "))
	}
	tm.send("exit\r")
	select {
	case <-tm.done:
	case <-time.After(5 * time.Second):
		t.Fatal("exit did not end the shell")
	}
	return screen.String()
}

// TestHistoryFile: ~/.aclsh_history is private to its owner (0600, whatever the
// umask; an existing file is tightened), never written through a symbolic link
// planted there, and a long one is cut to its last 1,000 lines without loosening it.
func TestHistoryFile(t *testing.T) {
	defer syscall.Umask(syscall.Umask(0o022))
	mode := func(path string) os.FileMode {
		fi, err := os.Lstat(path)
		require.NoError(t, err)
		return fi.Mode()
	}

	t.Run("new", func(t *testing.T) {
		home := t.TempDir()
		session(t, home, "show running-config\r")
		hist := filepath.Join(home, ".aclsh_history")
		require.Equal(t, os.FileMode(0o600), mode(hist))
		data, err := os.ReadFile(hist)
		require.NoError(t, err)
		require.Equal(t, "show running-config\nexit\n", string(data))
	})

	t.Run("existing", func(t *testing.T) {
		home := t.TempDir()
		hist := filepath.Join(home, ".aclsh_history")
		var old strings.Builder
		for i := range 1500 {
			fmt.Fprintf(&old, "show running-config | include %d\n", i)
			if i == 1200 {
				old.WriteString(strings.Repeat("x", 2*shell.MaxLine) + "\n")
			}
		}
		require.NoError(t, os.WriteFile(hist, []byte(old.String()), 0o644))
		require.NoError(t, os.Chmod(hist, 0o644))
		// Up recalls the file's last line.
		tm := startTerm(t, home, t.TempDir())
		tm.expect("device# ")
		tm.send("\x1b[A")
		tm.expect("show running-config | include 1499")
		tm.send("\r")
		tm.expect("device# ")
		tm.send("exit\r")
		<-tm.done
		require.Equal(t, os.FileMode(0o600), mode(hist))
		data, err := os.ReadFile(hist)
		require.NoError(t, err)
		lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		// The recalled line repeats the last one, so it is not added again.
		require.Equal(t, 1000+1, len(lines), "the last 1,000 lines and exit")
		require.Equal(t, "show running-config | include 500", lines[0])
		require.Equal(t, "exit", lines[len(lines)-1])
		require.NotContains(t, string(data), "xxxx", "a line longer than the cap is dropped")
	})

	t.Run("no home", func(t *testing.T) {
		// As before: a home that cannot hold the file means no history, silently.
		screen := session(t, filepath.Join(t.TempDir(), "gone"), "show running-config\r")
		require.NotContains(t, screen, "% History")
	})

	t.Run("symlink", func(t *testing.T) {
		home := t.TempDir()
		target := filepath.Join(t.TempDir(), "target")
		require.NoError(t, os.WriteFile(target, []byte("secret\n"), 0o644))
		require.NoError(t, os.Chmod(target, 0o644))
		hist := filepath.Join(home, ".aclsh_history")
		require.NoError(t, os.Symlink(target, hist))
		screen := session(t, home, "show running-config\r")
		require.Contains(t, screen, "% History not kept: "+hist+" is a symbolic link")
		require.Equal(t, os.ModeSymlink, mode(hist)&os.ModeSymlink)
		require.Equal(t, os.FileMode(0o644), mode(target))
		data, err := os.ReadFile(target)
		require.NoError(t, err)
		require.Equal(t, "secret\n", string(data))
	})
}

// BenchmarkPasteAtCap pastes a line of shell.MaxLine bytes and enters it: the time
// until the shell has answered and the bytes written to the terminal (termbytes/op).
func BenchmarkPasteAtCap(b *testing.B) {
	cmd := aclsh("--state-dir", b.TempDir(), "--hostname", "device")
	cmd.Env = append(os.Environ(), "HOME="+b.TempDir(), "TERM=xterm")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: 160})
	require.NoError(b, err)
	defer func() { cmd.Process.Kill(); cmd.Wait(); f.Close() }()
	total := 0
	buf := make([]byte, 64*1024)
	// until reads the terminal until its output holds each of ss, in order.
	until := func(ss ...string) {
		var seen []byte
		for _, s := range ss {
			for !bytes.Contains(seen, []byte(s)) {
				n, err := f.Read(buf)
				require.NoError(b, err)
				total += n
				seen = append(seen, buf[:n]...)
			}
			seen = seen[bytes.Index(seen, []byte(s))+len(s):]
		}
	}
	until("device# ")
	line := strings.Repeat("a", shell.MaxLine) + "\r"
	total = 0
	for b.Loop() {
		_, err := f.Write([]byte(line))
		require.NoError(b, err)
		until("% Invalid input detected", "device# ")
	}
	b.ReportMetric(float64(total)/float64(b.N), "termbytes/op")
}

// TestBanner: an interactive session starts with one line naming the host, the
// Linux interface of management 0 and where help is, then the first prompt; a
// script prints no banner.
func TestBanner(t *testing.T) {
	state := t.TempDir()
	// The daemon of the namespace runs (a first aclsh started it and said so).
	out, code := script(t, aclsh("--state-dir", state), "show clock\n")
	require.Equal(t, 0, code, out)
	if testNS != "" {
		require.Contains(t, out, "% No aclsh daemon ran in this network namespace: started one")
	}
	tm := startTerm(t, t.TempDir(), state)
	screen := tm.expect("device# ")
	require.Equal(t, "aclsh on device, management 0 is mgmt0. Type ? for help.\r\ndevice# ", screen,
		"the first output, then the first prompt")
	require.Equal(t, 1, strings.Count(screen, "Type ? for help"))
	tm.send("show running-config\r")
	out = tm.expect("device# ")
	require.NotContains(t, out, "Type ? for help", "only before the first prompt")
	tm.send("exit\r")
	<-tm.done

	cmd := aclsh("--state-dir", t.TempDir(), "--hostname", "device", "-c", "show running-config")
	script, err := cmd.CombinedOutput()
	require.NoError(t, err, string(script))
	require.NotContains(t, string(script), "Type ? for help")
}

// TestCtrlZ: Ctrl-Z with a typed line runs the line, echoes ^Z once after it (not
// ^C) and returns to exec mode, as IOS; on an empty line it echoes ^Z once and
// returns to exec mode.
func TestCtrlZ(t *testing.T) {
	tm := startTerm(t, t.TempDir(), t.TempDir())
	tm.expect("device# ")
	tm.send("conf t\r")
	tm.expect("device(config)# ")
	tm.send("ip access-list extended web\r")
	tm.expect("device(conf-ipacl-ext)# ")
	tm.send("permit tcp any any eq 5555\x1a")
	out := tm.expect("device# ")
	require.Contains(t, out, "permit tcp any any eq 5555^Z\r\n")
	require.Equal(t, 1, strings.Count(out, "^Z"), "^Z once: %q", out)
	require.NotContains(t, out, "^C")
	tm.send("show access-lists web\r")
	tm.expect("seq 10 permit tcp any any eq 5555") // the line ran
	tm.expect("device# ")

	tm.send("conf t\r")
	tm.expect("device(config)# ")
	tm.send("\x1a")
	out = tm.expect("device# ")
	require.Equal(t, "^Z\r\ndevice# ", out, "after device(config)# ")
	require.Equal(t, 1, strings.Count(out, "^Z"), "^Z once: %q", out)
	require.NotContains(t, out, "^C")

	// Ctrl-C still drops the line, echoing ^C.
	tm.send("conf t\r")
	tm.expect("device(config)# ")
	tm.send("ip access-list extended other\x03")
	out = tm.expect("ip access-list extended other^C\r\n")
	require.NotContains(t, out, "^Z")
	tm.expect("device(config)# ")
	tm.send("end\r")
	tm.expect("device# ")
	tm.send("exit\r")
	<-tm.done
}

// TestPasteBlock: lines pasted in one write are each drawn after their own prompt,
// also after keys that readline handles without ending a line (? help, Ctrl-Z),
// which used to let it read the next line before the shell had run the last one.
func TestPasteBlock(t *testing.T) {
	tm := startTerm(t, t.TempDir(), t.TempDir())
	tm.expect("device# ")
	block := "conf t\rip access-list extended web\rpermit tcp any any eq 22\r"
	check := func(screen string) {
		t.Helper()
		// What the terminal shows: each redraw starts at the line's beginning.
		var shown []string
		for _, l := range strings.Split(screen, "\r\n") {
			parts := strings.Split(l, "\r")
			shown = append(shown, strings.TrimRight(parts[len(parts)-1], " \b"))
		}
		got := strings.Join(shown, "\n")
		// The first prompt came before the block.
		require.Contains(t, "\n"+got, "\nconf t\nEntering configuration mode terminal\n"+
			"device(config)# ip access-list extended web\n"+
			"device(conf-ipacl-ext)# permit tcp any any eq 22\n", "screen %q", screen)
		require.NotContains(t, screen, "device# ip access-list")
		require.NotContains(t, screen, "device(config)# permit")
	}

	tm.send("?")
	tm.expect("write")
	tm.expect("device# ")
	tm.send(block)
	screen := tm.expect("device(conf-ipacl-ext)# permit tcp any any eq 22\r\n")
	screen += tm.expect("device(conf-ipacl-ext)# ")
	check(screen)

	tm.send("\x1a")
	tm.expect("device# ")
	tm.send(block)
	screen = tm.expect("device(conf-ipacl-ext)# permit tcp any any eq 22\r\n")
	screen += tm.expect("device(conf-ipacl-ext)# ")
	check(screen)

	tm.send("end\rshow access-lists web\r")
	tm.expect("seq 10 permit tcp any any eq 22")
	tm.expect("device# ")

	// Keys that do not end the line let the next keys through: Enter in a
	// completion list picks a word; Ctrl-D on a line with text deletes a character.
	tm.send("conf t\rip access-list extended west\rend\r")
	tm.expect("device(conf-ipacl-ext)# end\r\n")
	tm.send("show access-lists w\t")
	tm.expect("show access-lists we")
	tm.send("\t")
	tm.expect("west")
	tm.send("\t") // selects the first: web
	time.Sleep(200 * time.Millisecond)
	tm.send("\r") // picks web
	time.Sleep(200 * time.Millisecond)
	tm.send("x\x02\x04\r") // x, back, Ctrl-D deletes it, Enter
	tm.expect("IPv4 access list web, not bound")
	tm.expect("device# ")
	tm.send("exit\r")
	select {
	case <-tm.done:
	case <-time.After(5 * time.Second):
		t.Fatal("exit did not end the shell")
	}
}

// TestLogoutQuit: logout and quit leave the shell from exec mode, as exit.
func TestLogoutQuit(t *testing.T) {
	for _, word := range []string{"logout", "quit"} {
		tm := startTerm(t, t.TempDir(), t.TempDir())
		tm.expect("device# ")
		tm.send("conf t\r" + word + "\r")
		tm.expect("% Invalid input detected at '^' marker.")
		tm.send("end\r")
		tm.expect("device# ")
		tm.send(word + "\r")
		select {
		case <-tm.done:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s did not end the shell", word)
		}
		require.NoError(t, tm.cmd.Wait())
	}
}
