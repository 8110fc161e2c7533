// Package clock is aclsh's clock and the way it shows times: sessions, commit
// timers, show clock, show users. Tests fix it.
package clock

import "time"

// Now is the clock; tests fix it.
var Now = time.Now

// Zone is the zone times are shown in; tests fix it.
var Zone = time.Local

// Show renders a time as aclsh shows times: "2006-01-02 15:04:05 MST" in Zone.
func Show(t time.Time) string { return t.In(Zone).Format("2006-01-02 15:04:05 MST") }
