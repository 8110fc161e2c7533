package enforcer

import (
	"errors"
	"syscall"
	"testing"
)

// A batch aclsh could not build says so in aclsh's words: the library's message
// stays in the chain, for errors.Is and As, and off the screen.
func TestQueueErrorWording(t *testing.T) {
	cause := errors.New("rule must have a handle or ID")
	var err error = &queueError{cause}
	if got, want := err.Error(), errQueue.Error(); got != want {
		t.Errorf("queueError.Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, errQueue) || !errors.Is(err, cause) {
		t.Errorf("queueError is not errQueue and its cause")
	}
	if !errors.Is(errNoHandle, syscall.ENOENT) {
		t.Errorf("errNoHandle is not ENOENT: apply would not read the table again")
	}
}
