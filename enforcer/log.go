package enforcer

import (
	"fmt"
	"sort"
	"time"

	"github.com/google/nftables"
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
	line := Line(name, r.Seq)
	seen, logged := &expr.Counter{}, &expr.Counter{}
	lr := &Rule{Key: logRuleKey(fm, name, r), Count: line.As(LogSeen), Logged: line.As(Logged), Counter: seen, Anon: m.anon}
	// level 4 (warn) is nft's default, and what the kernel lists back
	lr.Exprs = append(m.exprs, seen,
		&expr.Limit{Type: expr.LimitTypePkts, Rate: rate, Unit: unit, Burst: 1}, logged,
		&expr.Log{Key: 1<<unix.NFTA_LOG_PREFIX | 1<<unix.NFTA_LOG_LEVEL, Level: expr.LogLevelWarning, Data: []byte(prefix)})
	lr.Text = m.text(fmt.Sprintf("counter limit rate %d/%s burst 1 packets counter log prefix %q comment %q", rate, per, prefix, lr.Key))
	return lr
}

// logRuleKey is the key of the log rule of line r of list name.
func logRuleKey(fm *fam, name string, r acl.Rule) string {
	return name + "/" + lineID(fm.f, name, r) + "/l"
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

// Suppressed returns how many packets the log line matched without logging them
// (the log interval had not passed).
func (st *Stats) Suppressed(line LineRef) uint64 {
	seen, logged := st.Counters[line.As(LogSeen)].Packets, st.Counters[line.As(Logged)].Packets
	if logged > seen { // the counters are read one after the other
		return 0
	}
	return seen - logged
}

// LogSummaryInterval is how often `aclsh follow` reports, per log line, the
// matches it did not log (as IOS reports a log line's packets every 5 minutes).
const LogSummaryInterval = 5 * time.Minute

// logCount is what the log rule of a line counted.
type logCount struct {
	list         string
	rule         acl.Rule
	seen, logged uint64
}

// logCounts reads the counters of the log rules of cfg's bound lists, by rule
// key; nil when no bound line logs. It reads only the lists' chains.
func (e *Enforcer) logCounts(cfg *acl.Config) (map[string]logCount, error) {
	want := map[string]map[string]logCount{} // chain -> key -> line
	for _, b := range boundLists(cfg) {
		chain := b.chain()
		for _, r := range b.acl.Entries() {
			if r.Log && !r.IsRemark() {
				if want[chain] == nil {
					want[chain] = map[string]logCount{}
				}
				want[chain][logRuleKey(b.fm, b.name, r)] = logCount{list: b.name, rule: r}
			}
		}
	}
	if len(want) == 0 {
		return nil, nil
	}
	out := map[string]logCount{}
	err := e.locked(func(c *nftables.Conn) error {
		for chain, keys := range want {
			rules, err := c.GetRules(table, &nftables.Chain{Name: chain, Table: table})
			if err != nil {
				return wrapKernel(err)
			}
			for _, r := range rules {
				key := comment(r.UserData)
				lc, ok := keys[key]
				if !ok {
					continue
				}
				var cs []uint64
				for _, x := range r.Exprs {
					if ct, ok := x.(*expr.Counter); ok {
						cs = append(cs, ct.Packets)
					}
				}
				if len(cs) == 2 {
					lc.seen, lc.logged = cs[0], cs[1]
					out[key] = lc
				}
			}
		}
		return nil
	})
	return out, err
}

// logSummary keeps what the log rules counted at the last summary.
type logSummary struct {
	prev map[string]logCount
	at   time.Time
}

// report logs, for each log line that matched packets it did not log since the
// last report, one line naming the list and seq (never packet contents):
//
//	list web seq 10 (deny): 500 matches in the last 5m0s, 499 log lines suppressed
//
// The first call only takes the counts as they are. Counters that went down
// (cleared, or the rule replaced) count from zero.
func (s *logSummary) report(e *Enforcer, cfg *acl.Config, logf func(string, ...any)) error {
	now := time.Now()
	counts, err := e.logCounts(cfg)
	if err != nil {
		return err
	}
	first := s.prev == nil
	prev, since := s.prev, now.Sub(s.at)
	if since >= time.Second {
		since = since.Round(time.Second)
	} else {
		since = since.Round(time.Millisecond)
	}
	s.prev, s.at = counts, now
	if s.prev == nil {
		s.prev = map[string]logCount{}
	}
	if first {
		return nil
	}
	var lines []logCount
	for key, c := range counts {
		if p, ok := prev[key]; ok && c.seen >= p.seen && c.logged >= p.logged {
			c.seen, c.logged = c.seen-p.seen, c.logged-p.logged
		}
		if c.seen > c.logged {
			lines = append(lines, c)
		}
	}
	sort.Slice(lines, func(i, j int) bool {
		if lines[i].list != lines[j].list {
			return lines[i].list < lines[j].list
		}
		return lines[i].rule.Seq < lines[j].rule.Seq
	})
	for _, c := range lines {
		logf("list %s seq %d (%s): %d matches in the last %v, %d log lines suppressed",
			c.list, c.rule.Seq, c.rule.Action, c.seen, since, c.seen-c.logged)
	}
	return nil
}

func (e *Enforcer) logSummaryEvery() time.Duration {
	if e.logSummary > 0 {
		return e.logSummary
	}
	return LogSummaryInterval
}
