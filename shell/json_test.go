package shell

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/config"
	"github.com/aclsh/aclsh/enforcer"
	"github.com/aclsh/aclsh/internal/golden"
	"github.com/aclsh/aclsh/view"
)

// fixedStats is an Enforcer whose kernel counted what st says: show's input, so
// that the output of every show command is known.
type fixedStats struct{ st enforcer.Stats }

func (f *fixedStats) Apply(*acl.Config) error                 { return nil }
func (f *fixedStats) ClearCounters(*acl.Config, string) error { return nil }
func (f *fixedStats) Stats(*acl.Config) (*enforcer.Stats, error) {
	st := f.st
	return &st, nil
}

const jsonConfig = `conf t
ip access-list logging interval 250
ip access-list extended web
remark management hosts
permit tcp 10.24.12.0/24 any eq 22 connlimit 2
deny tcp any any eq 22 connlimit 5 mask /24 sources 16
permit tcp any any eq 443 log
ipv6 access-list extended v6
permit tcp any any eq 22
ip access-list extended spare
permit udp any any eq 53
interface management 0
ip access-group web in
ipv6 access-group v6 in
end`

func jsonStats() enforcer.Stats {
	pfx := func(s string) netip.Prefix { return netip.MustParsePrefix(s) }
	c := func(n uint64) enforcer.Counter { return enforcer.Counter{Packets: n} }
	web20, web30, web40 := enforcer.Line("web", 20), enforcer.Line("web", 30), enforcer.Line("web", 40)
	return enforcer.Stats{
		State: enforcer.InSync,
		Counters: map[enforcer.LineRef]enforcer.Counter{
			web20: c(41), web20.As(enforcer.Refused): c(3), web30: c(7), web40: c(5000), web40.As(enforcer.LogSeen): c(5000), web40.As(enforcer.Logged): c(12),
			enforcer.DenyOf("web"): c(9), enforcer.Line("v6", 10): c(2), enforcer.DenyOf("v6"): c(1),
		},
		Sessions: map[enforcer.LineRef][]enforcer.SourceCount{
			web20: {{Src: pfx("10.24.12.107/32"), Count: 2}, {Src: pfx("10.24.12.108/32"), Count: 1}},
			web30: {{Src: pfx("10.24.13.0/24"), Count: 4}},
		},
		Sources: map[enforcer.LineRef]enforcer.SetUse{web20: {Used: 3, Size: 65535, New: 2}, web30: {Used: 15, Size: 16, New: 15}},
		// Other tables' chains that can drop, in the order packets meet them:
		// four for each family (the text names three).
		Others: []enforcer.Dropper{
			{Family: "netdev", Table: "t", Chain: "in", Hook: "ingress", Rule: 1},
			{Family: "ip6", Table: "raw", Chain: "PREROUTING", Hook: "prerouting", Priority: -300, Rule: 3},
			{Family: "inet", Table: "fw", Chain: "pre", Hook: "prerouting", Priority: -150, Rule: 1, Via: "blocked"},
			{Family: "ip", Table: "filter", Chain: "INPUT", Hook: "input", Policy: true},
			{Family: "inet", Table: "filter", Chain: "input", Hook: "input", Priority: 10, Unread: true},
		},
	}
}

// jsonShell is a shell on a config with two bound lists and one not bound, a
// kernel with counters and sessions, a startup-config, a session and a history.
func jsonShell(t *testing.T) (*Shell, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	sh, err := New(Options{Host: "device", Store: &config.Store{Dir: t.TempDir()}, Out: &out, Err: &out, Interactive: true,
		IfName: "nosuch0", Enforcer: &fixedStats{jsonStats()}})
	require.NoError(t, err)
	leave := sh.JoinUsers()
	t.Cleanup(leave)
	runLines(t, sh, jsonConfig+"\nwrite memory\nconf t\nip access-list extended spare\nremark not saved\nend\nconfigure session s1\nip access-list extended spare\npermit udp any any eq 123\nend")
	out.Reset()
	return sh, &out
}

// jsonCommands: every show command, as `| json` runs it.
var jsonCommands = []string{
	"show running-config",
	"write terminal",
	"show running-config access-list",
	"show running-config access-list web",
	"show startup-config",
	"show access-lists",
	"show ip access-lists web",
	"show ipv6 access-lists",
	"show access-lists summary",
	"show interface management 0",
	"show session-config named s1",
	"show session-config named s1 diffs",
	"show configuration sessions",
	"show history",
	"show users",
	"show clock",
	"show access-lists lint",
	"show access-lists web lint detail",
	"test access-list web tcp 10.24.12.107 40000 10.24.12.129 22",
	"test access-list tcp 10.24.12.9 40000 10.24.12.129 80",
	"test access-list v6 icmp fe80::1 ff02::1 nd-na",
	"test access-list spare icmp 10.24.12.9 10.24.12.129 port-unreachable",
}

// A JSON golden per show command (testdata/json), each valid JSON.
func TestShowJSONGoldens(t *testing.T) {
	for _, c := range jsonCommands {
		name := strings.NewReplacer(" ", "_", ":", ".").Replace(c) // no colons in a module's file names
		t.Run(name, func(t *testing.T) {
			sh, out := jsonShell(t)
			require.NoError(t, sh.Run(c+" | json"))
			require.True(t, json.Valid(out.Bytes()), "%s | json: %s", c, out)
			golden.Check(t, filepath.Join("../testdata/json", name+".json"), out.String())
		})
	}
}

// The JSON of show access-lists and its summary holds what the text says, for
// the same config and kernel: lists, where bound, every line with its matches,
// sessions, refusals and source sets, the implicit deny.
func TestShowJSONAgreesWithText(t *testing.T) {
	sh, out := jsonShell(t)
	show := func(line string) string {
		out.Reset()
		require.NoError(t, sh.Run(line))
		return out.String()
	}
	var v struct {
		AccessLists []struct {
			Name, Family        string
			BoundTo             []string   `json:"bound_to"`
			Others              othersJSON `json:"other_tables_can_drop"`
			ImplicitDenyMatches *uint64    `json:"implicit_deny_matches"`
			Entries             []struct {
				Text           string
				Matches        *uint64
				LogSuppressed  *uint64 `json:"log_lines_suppressed"`
				RefusedByLimit *uint64 `json:"refused_by_limit"`
				Sessions       []struct {
					Source       string
					Count, Limit int
				}
				SourcesTracked *struct{ Tracked, Size, Percent int } `json:"sources_tracked"`
			}
		} `json:"access_lists"`
	}
	require.NoError(t, json.Unmarshal([]byte(show("show access-lists | json")), &v))
	text := show("show access-lists")
	var want []string
	for _, a := range v.AccessLists {
		where := "not bound"
		if len(a.BoundTo) > 0 {
			where = "bound to interface " + a.BoundTo[0]
		}
		want = append(want, fmt.Sprintf("%s access list %s, %s", strings.Replace(strings.ToUpper(a.Family), "IPV", "IPv", 1), a.Name, where))
		if len(a.Others) > 0 {
			want = append(want, " "+a.Others.text("this list"))
		}
		for _, e := range a.Entries {
			line := " " + e.Text
			var notes []string
			if e.Matches != nil && *e.Matches > 0 {
				notes = append(notes, view.MatchesText(*e.Matches))
			}
			if e.LogSuppressed != nil && *e.LogSuppressed > 0 {
				if *e.LogSuppressed == 1 {
					notes = append(notes, "1 log line suppressed")
				} else {
					notes = append(notes, strconv.FormatUint(*e.LogSuppressed, 10)+" log lines suppressed")
				}
			}
			if notes != nil {
				line += " (" + strings.Join(notes, ", ") + ")"
			}
			want = append(want, line)
			if e.Sessions != nil {
				var ss []string
				for _, s := range e.Sessions {
					ss = append(ss, fmt.Sprintf("%s %d/%d", s.Source, s.Count, s.Limit))
				}
				want = append(want, "    sessions: "+strings.Join(ss, ", "))
			}
			if e.RefusedByLimit != nil {
				want = append(want, fmt.Sprintf("    refused by the limit: %d", *e.RefusedByLimit))
			}
			if u := e.SourcesTracked; u != nil {
				want = append(want, fmt.Sprintf("tracked: %d of %d (%d%%)", u.Tracked, u.Size, u.Percent))
			}
		}
		if a.ImplicitDenyMatches != nil {
			want = append(want, " implicit deny ("+view.MatchesText(*a.ImplicitDenyMatches)+")")
		}
	}
	i := 0
	for _, l := range strings.Split(text, "\n") {
		if i < len(want) && strings.Contains(l, want[i]) {
			i++
		}
	}
	require.Equal(t, len(want), i, "the text lacks %q (of the JSON) in order:\n%s", want[min(i, len(want)-1)], text)
	require.Len(t, v.AccessLists, 3)
	require.Equal(t, "spare", v.AccessLists[0].Name)
	require.Empty(t, v.AccessLists[0].BoundTo, "spare is not bound")
	require.Nil(t, v.AccessLists[0].Entries[0].Matches, "no counters for a list not bound")
	require.Equal(t, []string{"management 0 in"}, v.AccessLists[1].BoundTo)
	require.Nil(t, v.AccessLists[0].Others, "no warning for a list not bound")
	require.Len(t, v.AccessLists[1].Others, 4, "web (IPv4): not the ip6 table's chain")
	require.Len(t, v.AccessLists[2].Others, 4, "v6: not the ip table's chain")
	require.Contains(t, text, "IPv4 access list web, bound to interface management 0 in\n"+
		" % other nftables tables can drop what this list permits: table netdev t chain in (hook ingress, rule 1 drops), "+
		"table inet fw chain pre (hook prerouting, rule 1 jumps to chain blocked, which can drop), "+
		"table ip filter chain INPUT (policy drop), and 1 more; a drop in any base chain is final, whatever aclsh permits\n")

	// The summary: one row per list, its lines, where bound, the sum of its matches.
	var sum struct {
		AccessLists []struct {
			Name, Family string
			Lines        int
			BoundTo      []string `json:"bound_to"`
			Matches      *uint64
		} `json:"access_lists"`
	}
	require.NoError(t, json.Unmarshal([]byte(show("show access-lists summary | json")), &sum))
	stext := show("show access-lists summary")
	require.Len(t, sum.AccessLists, len(v.AccessLists))
	for i, l := range sum.AccessLists {
		a := v.AccessLists[i]
		require.Equal(t, a.Name, l.Name)
		var total uint64
		lines := 0
		for _, e := range a.Entries {
			if e.Matches != nil {
				total += *e.Matches
			}
			if !strings.Contains(e.Text, " remark ") {
				lines++
			}
		}
		where, matches := "not bound", "-"
		if a.ImplicitDenyMatches != nil {
			total += *a.ImplicitDenyMatches
			require.Equal(t, total, *l.Matches, "list %s", l.Name)
			matches = strconv.FormatUint(total, 10)
		} else {
			require.Nil(t, l.Matches)
		}
		if len(l.BoundTo) > 0 {
			where = l.BoundTo[0]
		}
		require.Equal(t, lines, l.Lines)
		require.Regexp(t, "(?m)^"+regexp.QuoteMeta(l.Name)+` +IPv[46] +`+strconv.Itoa(lines)+" +"+regexp.QuoteMeta(where)+" +"+matches+"$", stext)
	}
}

// show version: the build's version, the kernel, the host's and this
// process's uptime and the state directory, the text written from the JSON's
// values; arista.eos's device facts read version and modelName from the JSON.
func TestShowVersion(t *testing.T) {
	sh, out := jsonShell(t)
	require.NoError(t, sh.Run("show version | json"))
	var v view.Version
	require.NoError(t, json.Unmarshal(out.Bytes(), &v))
	var raw map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &raw))
	require.NotEmpty(t, raw["version"])
	require.Equal(t, "aclsh", raw["modelName"])
	require.Equal(t, "Linux", v.Kernel)
	require.NotEmpty(t, v.KernelRelease)
	require.Equal(t, "shell", v.Process, "no daemon runs this shell")
	require.Equal(t, os.Getpid(), v.PID)
	require.Positive(t, v.HostUptime)
	require.GreaterOrEqual(t, v.HostUptime, v.ProcessUptime)
	require.True(t, filepath.IsAbs(v.StateDir), v.StateDir)
	require.Equal(t, runtime.Version(), v.GoVersion)

	out.Reset()
	require.NoError(t, sh.Run("show version"))
	text := out.String()
	require.Contains(t, text, "aclsh Version "+v.Version+" ("+v.GoVersion+")\n")
	require.Contains(t, text, "Kernel: Linux "+v.KernelRelease+" ("+v.Architecture+")\n")
	require.Regexp(t, `(?m)^device uptime is (\d+ (week|day|hour|minute)s?, )*\d+ minutes?$`, text)
	require.Contains(t, text, fmt.Sprintf("aclsh shell (pid %d) uptime is ", v.PID))
	require.Contains(t, text, "State directory: "+v.StateDir+"\n")
	out.Reset()
	require.NoError(t, sh.Run("show version | include ^aclsh Version"))
	require.Equal(t, "aclsh Version "+v.Version+" ("+v.GoVersion+")\n", out.String())

	for secs, want := range map[float64]string{0: "0 minutes", 59: "0 minutes", 60: "1 minute", 3600: "1 hour, 0 minutes",
		3*86400 + 4*3600 + 5*60: "3 days, 4 hours, 5 minutes", 8 * 86400: "1 week, 1 day, 0 hours, 0 minutes"} {
		require.Equal(t, want, view.UptimeText(secs), "UptimeText(%v)", secs)
	}
}

// What automation sends on connect and for device facts: terminal length and
// width are accepted silently (Ansible's cisco.ios sends width 512 then 0,
// arista.eos 512, netmiko 511); show hostname has EOS's text and JSON fields
// (arista.eos reads hostname and fqdn).
func TestAutomationConnect(t *testing.T) {
	sh, out := jsonShell(t)
	for _, l := range []string{"terminal length 0", "terminal width 512", "terminal width 511", "terminal width 0"} {
		require.NoError(t, sh.Run(l), l)
		require.Empty(t, out.String(), l)
	}
	require.Error(t, sh.Run("terminal width 513"))
	out.Reset()
	require.NoError(t, sh.Run("show hostname | json"))
	var v map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &v))
	require.Equal(t, "device", v["hostname"])
	fqdn, _ := v["fqdn"].(string)
	require.Regexp(t, `^device(\..+)?$`, fqdn)
	out.Reset()
	require.NoError(t, sh.Run("show hostname"))
	require.Equal(t, "Hostname: device\nFQDN:     "+fqdn+"\n", out.String())
}

// clientErrors are the patterns by which Ansible's cisco.ios and arista.eos
// terminal plugins (terminal_stderr_re) take a command's output for an error,
// wherever they match in it.
var clientErrors = regexp.MustCompile(`% ?Error|(?i:invalid input)|(?i:(?:incomplete|ambiguous) command)|[^\r\n]+ (?i:not found)|` +
	`'[^']' +returned error code: ?\d+|(?i:Bad mask)|% ?Bad secret|(?i:connection timed out)|Command authorization failed`)

// No show command's answer reads as an error to automation, whatever it shows
// (here: management 0 is an interface that does not exist, the startup-config
// differs).
// In every dialect.
func TestShowTextPassesClientErrorPatterns(t *testing.T) {
	sh, out := jsonShell(t)
	for _, d := range []string{"slx", "ios", "eos"} {
		runLines(t, sh, "conf t\ncli dialect "+d+"\nend")
		for _, c := range append(jsonCommands, "show version", "show hostname") {
			out.Reset()
			require.NoError(t, sh.Run(c), c)
			require.NotRegexp(t, clientErrors, out.String(), "%s (cli dialect %s)", c, d)
		}
	}
}

func init() {
	// show users in this package's tests: this shell is always the same one.
	identity = func() shellIdentity { return shellIdentity{User: "operator", From: "pts/1", PID: 4242} }
}

// The text of the same views, with the kernel's counters: aclsh's lines under a
// connlimit line are indented under it, `| section` keeps them with their line,
// and the summary adds up each list's matches.
func TestShowTextWithCounters(t *testing.T) {
	sh, out := jsonShell(t)
	var screen strings.Builder
	for _, line := range []string{
		"show access-lists",
		"show access-lists | section seq 30",
		"show access-lists | section seq 20 | include sessions|refused",
		"show access-lists | section access list web | count",
		"show access-lists | include seq 40",
		"show access-lists summary",
		"show access-lists summary | include v6",
		"show interface management 0",
		"show configuration sessions",
	} {
		out.Reset()
		screen.WriteString("device# " + line + "\n")
		if err := sh.Run(line); err != nil {
			PrintError(out, len("device# "), err)
		}
		screen.WriteString(out.String())
	}
	golden.Check(t, "../testdata/json/show-text.out", screen.String())
}

// test access-list and show access-lists lint with `| json` hold what their
// text says: every step's line and reason and the result's outcomes, every
// finding's line and reason, in order.
func TestLintJSONAgreesWithText(t *testing.T) {
	sh, out := jsonShell(t)
	run := func(line string) string {
		out.Reset()
		require.NoError(t, sh.Run(line))
		return out.String()
	}
	inOrder := func(text string, want []string) {
		t.Helper()
		i := 0
		for _, l := range strings.Split(text, "\n") {
			for i < len(want) && strings.Contains(l, want[i]) {
				i++
			}
		}
		require.Equal(t, len(want), i, "the text lacks %q (of the JSON) in order:\n%s", want[min(i, len(want)-1)], text)
	}
	for _, c := range []string{"test access-list web tcp 10.24.12.107 40000 10.24.12.129 22", "test access-list tcp 10.24.12.9 40000 10.24.12.129 443",
		"test access-list v6 icmp fe80::1 ff02::1 nd-ns", "test access-list v6 icmp fe80::1 ff02::1 echo-request"} {
		var v struct {
			List   string
			Bound  bool
			Packet struct{ Test string }
			Steps  []struct{ Line, Reason string }
			Result []struct{ Action, By string }
			Others othersJSON `json:"other_tables_can_drop"`
		}
		require.NoError(t, json.Unmarshal([]byte(run(c+" | json")), &v), c)
		permits := false
		for _, o := range v.Result {
			permits = permits || o.Action == "permit"
		}
		if permits {
			require.NotEmpty(t, v.Others, c)
			require.Contains(t, run(c), "\n"+v.Others.text("this list")+"\n", c)
		} else {
			require.Empty(t, v.Others, c)
			require.NotContains(t, run(c), "nftables table", c)
		}
		require.True(t, v.Bound, c)
		require.True(t, strings.HasSuffix(c, " "+v.Packet.Test), "%s: packet %q", c, v.Packet.Test)
		var want []string
		for _, s := range v.Steps {
			want = append(want, s.Line, s.Reason)
		}
		var res []string
		for _, o := range v.Result {
			res = append(res, o.Action+" ("+o.By)
		}
		want = append(want, "result: "+res[0])
		inOrder(run(c), want)
		for _, r := range res[1:] {
			require.Contains(t, run(c), r, c)
		}
	}
	var v struct {
		AccessLists []struct {
			Name     string
			Errors   int
			Findings []struct{ Severity, Line, Reason string }
		} `json:"access_lists"`
	}
	require.NoError(t, json.Unmarshal([]byte(run("show access-lists lint | json")), &v))
	require.Len(t, v.AccessLists, 3)
	var want []string
	for _, a := range v.AccessLists {
		want = append(want, " access list "+a.Name+", ")
		for _, f := range a.Findings {
			if f.Line != "" {
				want = append(want, " "+f.Line)
			}
			want = append(want, "% "+f.Severity+": "+f.Reason)
		}
	}
	inOrder(run("show access-lists lint"), want)
}

// othersJSON is other_tables_can_drop as JSON holds it.
type othersJSON []struct {
	Family, Table, Chain, Hook string
	PolicyDrop                 bool `json:"policy_drop"`
	Rule                       int
	Via                        string
	Unreadable                 bool
}

// text is the warning the text shows for o: three chains named, the rest
// counted.
func (o othersJSON) text(what string) string {
	var names []string
	for i, c := range o {
		if i == 3 {
			names = append(names, fmt.Sprintf("and %d more", len(o)-3))
			break
		}
		how := ""
		if c.Hook != "input" {
			how = "hook " + c.Hook + ", "
		}
		switch {
		case c.PolicyDrop:
			how += "policy drop"
		case c.Unreadable:
			how += "rules not readable"
		case c.Via != "":
			how += fmt.Sprintf("rule %d jumps to chain %s, which can drop", c.Rule, c.Via)
		default:
			how += fmt.Sprintf("rule %d drops", c.Rule)
		}
		names = append(names, fmt.Sprintf("table %s %s chain %s (%s)", c.Family, c.Table, c.Chain, how))
	}
	who := "another nftables table"
	if len(o) > 1 {
		who = "other nftables tables"
	}
	return "% " + who + " can drop what " + what + " permits: " + strings.Join(names, ", ") +
		"; a drop in any base chain is final, whatever aclsh permits"
}

// test access-list warns of other tables' chains when nothing is bound too (no
// list of aclsh filters the packet; theirs still can drop it), and not for a
// list that is not bound (the kernel does not enforce it).
func TestTestACLOtherTablesUnbound(t *testing.T) {
	var out bytes.Buffer
	st := enforcer.Stats{Others: []enforcer.Dropper{{Family: "ip", Table: "filter", Chain: "INPUT", Hook: "input", Policy: true}}}
	sh, err := New(Options{Host: "device", Store: &config.Store{Dir: t.TempDir()}, Out: &out, Err: &out, Interactive: true,
		IfName: "nosuch0", Enforcer: &fixedStats{st}})
	require.NoError(t, err)
	runLines(t, sh, "conf t\nip access-list extended spare\npermit tcp any any eq 22\nend")
	out.Reset()
	require.NoError(t, sh.Run("test access-list tcp 10.24.12.107 40000 10.24.12.129 22"))
	require.Equal(t, "no IPv4 access list is bound to interface management 0\nresult: permit (nothing filters IPv4 on management 0)\n"+
		"% another nftables table can drop what aclsh permits: table ip filter chain INPUT (policy drop); a drop in any base chain is final, whatever aclsh permits\n", out.String())
	out.Reset()
	require.NoError(t, sh.Run("test access-list tcp fd77::107 40000 fd77::129 22"))
	require.NotContains(t, out.String(), "nftables table", "an ip table does not see IPv6")
	out.Reset()
	require.NoError(t, sh.Run("test access-list spare tcp 10.24.12.107 40000 10.24.12.129 22"))
	require.NotContains(t, out.String(), "nftables table", "a list not bound")
}
