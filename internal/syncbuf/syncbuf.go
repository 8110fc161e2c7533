// Package syncbuf is a bytes.Buffer safe for one writer and concurrent readers:
// a daemon's output that a test reads while the daemon runs.
package syncbuf

import (
	"bytes"
	"sync"
)

// Buffer collects writes; String may be called at any time. The zero value is
// an empty buffer.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
