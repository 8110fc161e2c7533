package term

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// HistoryLimit is how many lines the history keeps.
const HistoryLimit = 1000

// openHistory opens the history file at path for a session: a regular file, never
// reached through a symbolic link, created with mode 0600 and tightened to 0600 if
// group or others may read it. A file of more than HistoryLimit lines, or with lines
// longer than MaxLine, is first replaced (atomically, by a new 0600 file) with its
// last HistoryLimit lines that fit.
//
// The caller hands readline the name /proc/self/fd/N of the returned file, so readline
// reads and appends to this very file, and its own rewrite (a world-readable
// "NAME.tmp" renamed over NAME) cannot happen: that name cannot be created under /proc.
func openHistory(path string) (*os.File, error) {
	f, err := openHistoryFile(path)
	if err != nil {
		return nil, err
	}
	keep, trim, err := historyTail(f)
	if err != nil || !trim {
		return f, err
	}
	// Cut it to its tail. Losing the race with another shell costs a line of
	// history at worst.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".aclsh_history-*") // mode 0600
	if err != nil {
		return f, nil // keep the long file
	}
	w := bufio.NewWriter(tmp)
	for _, l := range keep {
		w.WriteString(l + "\n")
	}
	if err := errors.Join(w.Flush(), tmp.Sync(), tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return f, nil
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return f, nil
	}
	f.Close()
	return openHistoryFile(path)
}

func openHistoryFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("%s is a symbolic link", path)
	}
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a regular file", path)
	}
	if err == nil && fi.Mode().Perm()&0o077 != 0 {
		err = f.Chmod(0o600)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// historyTail reads f and returns its last HistoryLimit lines of at most MaxLine
// bytes, and whether f holds anything else (more lines, or longer ones).
func historyTail(f *os.File) (keep []string, trim bool, err error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, false, err
	}
	lr := NewLineReader(f)
	ring := make([]string, 0, HistoryLimit)
	n := 0 // lines kept so far; the ring holds the last HistoryLimit of them
	for {
		line, err := lr.Next()
		if err == io.EOF {
			break
		}
		var long *LineTooLongError
		if errors.As(err, &long) {
			trim = true
			continue
		}
		if err != nil {
			return nil, false, err
		}
		if len(ring) < HistoryLimit {
			ring = append(ring, line)
		} else {
			ring[n%HistoryLimit] = line
			trim = true
		}
		n++
	}
	if n > HistoryLimit {
		i := n % HistoryLimit
		ring = append(ring[i:], ring[:i]...)
	}
	return ring, trim, nil
}
