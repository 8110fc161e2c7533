package acl

import (
	"strconv"
	"time"
)

// LogInterval is the least time between two log lines of one access list line
// with `log`, in milliseconds: the first match is logged at once, the next one
// after the interval has passed, and matches in between are counted but not
// logged (`ip access-list logging interval MS`). The zero value means
// DefaultLogInterval.
type LogInterval uint32

const (
	// DefaultLogInterval is the interval without `ip access-list logging interval`.
	DefaultLogInterval LogInterval = 1000
	// MaxLogInterval is the longest interval: one hour.
	MaxLogInterval LogInterval = 3600000
)

// Millis returns the interval in milliseconds (DefaultLogInterval for the zero value).
func (l LogInterval) Millis() uint32 {
	if l == 0 {
		return uint32(DefaultLogInterval)
	}
	return uint32(l)
}

// Duration returns the interval as a time.Duration.
func (l LogInterval) Duration() time.Duration {
	return time.Duration(l.Millis()) * time.Millisecond
}

// String returns the running-config line that sets the interval:
// `ip access-list logging interval 250`.
func (l LogInterval) String() string {
	return "ip access-list logging interval " + strconv.FormatUint(uint64(l.Millis()), 10)
}

// SetLogInterval sets the log interval of every `log` line to ms milliseconds,
// 1-MaxLogInterval; 0 restores the default. Setting the default value is the same
// as restoring it (the running-config does not show it).
func (c *Config) SetLogInterval(ms uint32) error {
	if ms > uint32(MaxLogInterval) {
		return errf(ErrInvalid, "logging interval %d ms is longer than %d ms (one hour)", ms, MaxLogInterval)
	}
	if ms == uint32(DefaultLogInterval) {
		ms = 0
	}
	c.LogInterval = LogInterval(ms)
	return nil
}
