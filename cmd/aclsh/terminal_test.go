package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/shell"
)

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
		require.NotContains(t, screen, "History")
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
