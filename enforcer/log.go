package enforcer

import (
	"fmt"

	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/aclsh/aclsh/acl"
)

// A line with `log` compiles to two rules: before the line's own rule (which
// decides every packet it matches, as without log), a log rule with the same
// match that logs at most one packet per log interval and lets every packet go
// on:
//
//	MATCH counter limit rate R/UNIT burst 1 packets counter log prefix "aclsh LIST seq N: "
//
// Its first counter counts the packets that reached the line, the second the ones
// it logged; the difference is the log lines the limit suppressed. The limit's
// bucket holds one packet, so the first match is logged at once and the next one
// only once an interval has passed. Its key is the line's key with /l.

// logRule is the log rule of line r of list name.
func logRule(fm *fam, name string, r acl.Rule, iv acl.LogInterval) *Rule {
	m := match(fm, r)
	rate, unit, per := logRate(iv)
	prefix := fmt.Sprintf("aclsh %s seq %d: ", name, r.Seq)
	key := fmt.Sprintf("%s/%d", name, r.Seq)
	seen, logged := &expr.Counter{}, &expr.Counter{}
	lr := &Rule{Key: name + "/" + lineID(fm.f, name, r) + "/l", Count: key + "/log", Logged: key + "/logged", Counter: seen}
	// level 4 (warn) is nft's default, and what the kernel lists back
	lr.Exprs = append(m.exprs, seen,
		&expr.Limit{Type: expr.LimitTypePkts, Rate: rate, Unit: unit, Burst: 1}, logged,
		&expr.Log{Key: 1<<unix.NFTA_LOG_PREFIX | 1<<unix.NFTA_LOG_LEVEL, Level: expr.LogLevelWarning, Data: []byte(prefix)})
	lr.Text = m.text(fmt.Sprintf("counter limit rate %d/%s burst 1 packets counter log prefix %q comment %q", rate, per, prefix, lr.Key))
	return lr
}

// logUnits are the units an nftables limit may have (nft cannot show others, and
// the library refuses to read them back), shortest first.
var logUnits = []struct {
	unit expr.LimitTime
	name string
}{
	{expr.LimitTimeSecond, "second"}, {expr.LimitTimeMinute, "minute"}, {expr.LimitTimeHour, "hour"},
	{expr.LimitTimeDay, "day"}, {expr.LimitTimeWeek, "week"},
}

// logRate expresses one packet per interval as an nftables rate: R per the
// shortest unit that is a whole number of intervals (1000 ms: 1/second, 250 ms:
// 4/second, 90 s: 40/hour), else the nearest rate per week (within 0.3% for
// intervals up to acl.MaxLogInterval).
func logRate(iv acl.LogInterval) (rate uint64, unit expr.LimitTime, name string) {
	ms := uint64(iv.Millis())
	for _, u := range logUnits {
		if um := uint64(u.unit) * 1000; um%ms == 0 {
			return um / ms, u.unit, u.name
		}
	}
	week := logUnits[len(logUnits)-1]
	um := uint64(week.unit) * 1000
	return (um + ms/2) / ms, week.unit, week.name
}

// Suppressed returns how many packets the log line "ACL/seq" matched without
// logging them (the log interval had not passed).
func (st *Stats) Suppressed(line string) uint64 {
	seen, logged := st.Counters[line+"/log"].Packets, st.Counters[line+"/logged"].Packets
	if logged > seen { // the counters are read one after the other
		return 0
	}
	return seen - logged
}
