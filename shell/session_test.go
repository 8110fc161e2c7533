package shell

import (
	"time"
)

// testClock is the clock of sessions and timers in this package's tests, so that
// transcripts show the same times everywhere; tests that let a timer run out move
// it.
var testClock = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func init() {
	now = func() time.Time { return testClock }
	displayZone = time.UTC
	who = func() string { return "operator" }
}
