package enforcer_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	statedir "github.com/aclsh/aclsh/config"
	"github.com/aclsh/aclsh/shell"
)

// TestShellOnKernel is testdata/kernel-scripts/shell-on-kernel.txtar now (TestKernelScripts).

// show access-lists | json on a real kernel holds what the text of the same
// moment says: lists, family, where bound, every line with its matches (and log
// lines suppressed), connlimit sessions per source against the limit (every
// source; the text shows five and counts the rest), refusals by the limit, the
// source sets' use and the implicit deny. Traffic has stopped before the two are
// read (idle sessions send nothing), and the text read before and after the
// JSON is the same, so no counter moved in between.
func TestShowJSONMatchesTextOnKernel(t *testing.T) {
	l := newLab(t)
	l.serveTCP(":22")
	l.serveTCP(":80")
	l.serveUDP(":53")
	for i := 111; i <= 114; i++ {
		run(t, "ip", "-n", l.cli, "addr", "add", fmt.Sprintf("10.24.12.%d/24", i), "dev", "eth0")
	}
	var out strings.Builder
	sh, err := shell.New(shell.Options{Host: "device", Store: &statedir.Store{Dir: t.TempDir()}, Out: &out, Err: &out,
		Enforcer: l.e, IfName: "mgmt0", Interactive: true})
	require.NoError(t, err)
	show := func(line string) string {
		t.Helper()
		out.Reset()
		require.NoError(t, sh.Run(line), line)
		return out.String()
	}
	for _, line := range strings.Split(`conf t
ip access-list extended mgmt
remark operators
permit tcp host 10.24.12.107 any eq 22 connlimit 2
permit tcp 10.24.12.0/24 any eq 22 connlimit 1
deny tcp any any eq 80 connlimit 2
permit tcp any any eq 80 log
permit udp any any eq 53
ipv6 access-list extended mgmt6
permit tcp any any eq 22 connlimit 1 mask /64 sources 100
ip access-list extended spare
permit ip any any
interface management 0
ip access-group mgmt in
ipv6 access-group mgmt6 in
end`, "\n") {
		show(line)
	}

	// Traffic, then none.
	l.openN("10.24.12.107", 3) // seq 20 admits two, seq 30 the third
	l.refused("10.24.12.107", dev)
	for i := 108; i <= 114; i++ {
		l.openN(fmt.Sprintf("10.24.12.%d", i), 1) // seq 30: one each
	}
	l.refused("10.24.12.108", dev)
	c, err := l.dial(l.cli, "10.24.12.110", "10.24.12.129:80") // seq 40 lets the first through, seq 50 admits it
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	l.refused("10.24.12.110", "10.24.12.129:80") // the 2nd to port 80: seq 40 denies it
	u, err := l.udpExchange(l.cli, "10.24.12.109", "10.24.12.129:53")
	require.NoError(t, err)
	u.Close()
	c6, err := l.dial(l.cli, "fd77::107", "[fd77::129]:22")
	require.NoError(t, err)
	t.Cleanup(func() { c6.Close() })
	l.refused("fd77::107", "[fd77::129]:22")

	// Another table that can drop (a rule no packet of this test meets): a
	// warning under each bound list, in the text and the JSON.
	l.nftFile(`table inet filter { chain input { type filter hook input priority 10; tcp dport 9999 drop; }; }`)

	// The text and the JSON of one moment: the text is the same before and after.
	var text, js string
	for range 10 {
		before := show("show access-lists")
		js = show("show access-lists | json")
		text = show("show access-lists")
		if text == before {
			break
		}
		text = ""
		time.Sleep(300 * time.Millisecond)
	}
	require.NotEmpty(t, text, "the counters kept moving although no traffic flows")
	t.Logf("show access-lists:\n%s", text)
	fromText, noteText := parseShowACLs(t, text)
	fromJSON, noteJSON := decodeShowACLs(t, js)
	require.Equal(t, fromText, fromJSON, "text:\n%s\njson:\n%s", text, js)
	require.Equal(t, "running-config differs from startup-config, which is not present (write memory to save)", noteText)
	require.Equal(t, noteText, noteJSON)

	// What the two agree on is what happened.
	require.Len(t, fromText, 3)
	m, spare, m6 := fromText[0], fromText[1], fromText[2] // IPv4 lists first
	require.Equal(t, [3]string{"mgmt", "IPv4", "management 0 in"}, [3]string{m.name, m.family, m.bound})
	require.Equal(t, [3]string{"mgmt6", "IPv6", "management 0 in"}, [3]string{m6.name, m6.family, m6.bound})
	require.Equal(t, [3]string{"spare", "IPv4", ""}, [3]string{spare.name, spare.family, spare.bound})
	require.Nil(t, spare.implicit, "no counters for a list not bound")
	require.Equal(t, [3]string{"table inet filter chain input (rule 1 drops)", "", "table inet filter chain input (rule 1 drops)"},
		[3]string{m.others, spare.others, m6.others})
	// The third from 107 reached seq 20, which let it fall through (over its
	// limit) to seq 30: it counts at both lines, as the kernel counts.
	require.Equal(t, []string{"10.24.12.107 3/2"}, m.lines[1].sessions)
	require.Len(t, m.lines[2].sessions, 5, "seq 30: 107 to 114, one each: five shown")
	require.Equal(t, 3, m.lines[2].moreThan, "and 3 more")
	require.Equal(t, []string{"10.24.12.110 1/2"}, m.lines[3].sessions, "seq 40 counts the connection it let through")
	require.Equal(t, []string{"fd77::/64 1/1"}, m6.lines[0].sessions)
	for _, e := range []textLine{m.lines[1], m.lines[2], m6.lines[0]} {
		require.NotNil(t, e.refused, e.text)
		require.Positive(t, *e.refused, "%s: refused by the limit", e.text)
	}
	for _, e := range m.lines[1:] {
		require.Positive(t, *e.matches, e.text)
	}
	require.Positive(t, *m.implicit)
	require.Positive(t, *m6.implicit)
}

// textLine and textACL are show access-lists as read from the text or from the
// JSON, to compare the two.
type textLine struct {
	text       string
	matches    *uint64 // nil: no counters (a remark, a list not bound)
	suppressed *uint64
	sessions   []string // "SOURCE COUNT/LIMIT", every source
	moreThan   int      // the text lists the first five and says how many more
	refused    *uint64
	tracked    string // "N of SIZE (P%)"
}

type textACL struct {
	name, family, bound string
	lines               []textLine
	implicit            *uint64
	permitND            *string // IPv6: "TEXT MATCHES" of the implicit neighbour discovery permit
	others              string  // the chains of other tables that can drop what the list permits, as the warning names them
}

// parseShowACLs reads show access-lists text, and the note after it (on the
// error stream); every line must be understood.
func parseShowACLs(t *testing.T, text string) (acls []textACL, note string) {
	t.Helper()
	var (
		head     = regexp.MustCompile(`^(IPv[46]) access list (\S+), (?:not bound|bound to interface (.+))$`)
		entry    = regexp.MustCompile(`^ (seq \d+ .*?)(?: \((\d+) match(?:es)?(?:, (\d+) log lines? suppressed)?\))?$`)
		sessions = regexp.MustCompile(`^    sessions: (.*)$`)
		more     = regexp.MustCompile(`^and (\d+) more sources$`)
		refused  = regexp.MustCompile(`^    refused by the limit: (\d+)$`)
		tracked  = regexp.MustCompile(`^    (?:sources|source prefixes) tracked: (\d+ of \d+ \(\d+%\))$`)
		implicit = regexp.MustCompile(`^ implicit deny(?: \((\d+) match(?:es)?\))?$`)
		nd       = regexp.MustCompile(`^ implicit permit (.*?)(?: \((\d+) match(?:es)?\))?$`)
		others   = regexp.MustCompile(`^ % (?:another nftables table|other nftables tables) can drop what this list permits: (.+); a drop in any base chain is final, whatever aclsh permits$`)
	)
	num := func(s string) *uint64 {
		n, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err)
		return &n
	}
	for _, ln := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if n, ok := strings.CutPrefix(ln, "% "); ok && note == "" {
			note = n
			continue
		}
		require.Empty(t, note, "a line after the note: %q", ln)
		var a *textACL
		if len(acls) > 0 {
			a = &acls[len(acls)-1]
		}
		var e *textLine
		if a != nil && len(a.lines) > 0 {
			e = &a.lines[len(a.lines)-1]
		}
		if m := head.FindStringSubmatch(ln); m != nil {
			acls = append(acls, textACL{name: m[2], family: m[1], bound: m[3]})
			continue
		}
		require.NotNil(t, a, "a line before the first list: %q", ln)
		if m := others.FindStringSubmatch(ln); m != nil {
			require.Empty(t, a.lines, "the warning is under the list's header: %q", ln)
			require.Empty(t, a.others, "one warning per list: %q", ln)
			a.others = m[1]
			continue
		}
		if m := implicit.FindStringSubmatch(ln); m != nil {
			a.implicit = new(uint64)
			if m[1] != "" {
				a.implicit = num(m[1])
			}
			continue
		}
		if m := nd.FindStringSubmatch(ln); m != nil {
			n := "0"
			if m[2] != "" {
				n = m[2]
			}
			v := m[1] + " " + n
			a.permitND = &v
			continue
		}
		if m := entry.FindStringSubmatch(ln); m != nil {
			l := textLine{text: m[1]}
			if a.bound != "" && !strings.Contains(m[1], " remark ") {
				l.matches = new(uint64) // counters are shown when not zero
			}
			if m[2] != "" {
				l.matches = num(m[2])
			}
			if m[3] != "" {
				l.suppressed = num(m[3])
			} else if l.matches != nil && strings.HasSuffix(m[1], " log") {
				l.suppressed = new(uint64)
			}
			a.lines = append(a.lines, l)
			continue
		}
		require.NotNil(t, e, "a line before the first entry: %q", ln)
		switch {
		case sessions.MatchString(ln):
			e.sessions = []string{}
			for _, s := range strings.Split(sessions.FindStringSubmatch(ln)[1], ", ") {
				if m := more.FindStringSubmatch(s); m != nil {
					e.moreThan = int(*num(m[1]))
				} else if s != "none" {
					e.sessions = append(e.sessions, s)
				}
			}
		case refused.MatchString(ln):
			e.refused = num(refused.FindStringSubmatch(ln)[1])
		case tracked.MatchString(ln):
			e.tracked = tracked.FindStringSubmatch(ln)[1]
		default:
			t.Fatalf("show access-lists: a line not understood: %q", ln)
		}
	}
	return acls, note
}

// decodeShowACLs reads show access-lists | json into what the text shows: the
// text lists five sources of a line and says how many more.
func decodeShowACLs(t *testing.T, js string) (acls []textACL, note string) {
	t.Helper()
	var v struct {
		AccessLists []struct {
			Name, Family string
			BoundTo      []string `json:"bound_to"`
			Kernel       string
			Others       []struct {
				Family, Table, Chain, Hook string
				PolicyDrop                 bool `json:"policy_drop"`
				Rule                       int
				Via                        string
			} `json:"other_tables_can_drop"`
			ImplicitDenyMatches *uint64 `json:"implicit_deny_matches"`
			ImplicitPermit      *struct {
				Text    string
				Matches uint64
			} `json:"implicit_permit"`
			Entries []struct {
				Text               string
				Matches            *uint64
				LogLinesSuppressed *uint64 `json:"log_lines_suppressed"`
				Sessions           []struct {
					Source       string
					Count, Limit int
				}
				RefusedByLimit *uint64                               `json:"refused_by_limit"`
				SourcesTracked *struct{ Tracked, Size, Percent int } `json:"sources_tracked"`
			}
		} `json:"access_lists"`
		Note string
	}
	require.NoError(t, json.Unmarshal([]byte(js), &v), "%s", js)
	for _, a := range v.AccessLists {
		require.Empty(t, a.Kernel, "the kernel is in step")
		require.LessOrEqual(t, len(a.BoundTo), 1)
		x := textACL{name: a.Name, family: strings.Replace(strings.ToUpper(a.Family), "IPV", "IPv", 1), implicit: a.ImplicitDenyMatches}
		if len(a.BoundTo) == 1 {
			x.bound = a.BoundTo[0]
		}
		if p := a.ImplicitPermit; p != nil {
			v := fmt.Sprintf("%s %d", p.Text, p.Matches)
			x.permitND = &v
		}
		var names []string
		for i, c := range a.Others {
			if i == 3 {
				names = append(names, fmt.Sprintf("and %d more", len(a.Others)-3))
				break
			}
			how := fmt.Sprintf("rule %d drops", c.Rule)
			switch {
			case c.PolicyDrop:
				how = "policy drop"
			case c.Via != "":
				how = fmt.Sprintf("rule %d jumps to chain %s, which can drop", c.Rule, c.Via)
			}
			if c.Hook != "input" {
				how = "hook " + c.Hook + ", " + how
			}
			names = append(names, fmt.Sprintf("table %s %s chain %s (%s)", c.Family, c.Table, c.Chain, how))
		}
		x.others = strings.Join(names, ", ")
		for _, e := range a.Entries {
			l := textLine{text: e.Text, matches: e.Matches, suppressed: e.LogLinesSuppressed, refused: e.RefusedByLimit}
			if e.Sessions != nil || e.SourcesTracked != nil {
				l.sessions = []string{}
			}
			for i, s := range e.Sessions {
				if i == 5 {
					l.moreThan = len(e.Sessions) - 5
					break
				}
				l.sessions = append(l.sessions, fmt.Sprintf("%s %d/%d", s.Source, s.Count, s.Limit))
			}
			if u := e.SourcesTracked; u != nil {
				l.tracked = fmt.Sprintf("%d of %d (%d%%)", u.Tracked, u.Size, u.Percent)
			}
			x.lines = append(x.lines, l)
		}
		acls = append(acls, x)
	}
	return acls, v.Note
}

// TestScriptOnKernel is testdata/kernel-scripts/script-on-kernel.txtar now (TestKernelScripts).

// TestRestoreKernel is testdata/kernel-scripts/restore-kernel.txtar now (TestKernelScripts).
