package shell

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/grammar"
	"github.com/aclsh/aclsh/term"
	"github.com/aclsh/aclsh/view"
)

// Show commands compute a value once (a view.View); the value renders as text
// for people and, with `| json`, is encoded as JSON for automation (package
// view). The text is written from the value's fields, so the two cannot drift.
// JSON field names are snake_case and stable (the README lists them per
// command).

// showFunc computes a show command's value.
type showFunc func(s *Shell, cmd grammar.Command) (view.View, error)

// shows maps each show command to its value. A new show command plugs in with one
// entry: `| json`, the text modifiers and the dispatch come with it (see show).
var shows map[grammar.Kind]showFunc

func init() {
	shows = map[grammar.Kind]showFunc{
		grammar.ShowRunning:    (*Shell).runningView,
		grammar.WriteTerminal:  (*Shell).runningView,
		grammar.ShowRunningACL: (*Shell).runningACLView,
		grammar.ShowStartup:    (*Shell).startupView,
		grammar.ShowACLs:       (*Shell).aclsView,
		grammar.ShowACLSummary: (*Shell).summaryView,
		grammar.ShowInterface:  (*Shell).interfaceView,
		grammar.ShowSession:    (*Shell).sessionConfigView,
		grammar.ShowSessions:   (*Shell).sessionsView,
		grammar.ShowHistory:    (*Shell).historyView,
		grammar.ShowUsers:      (*Shell).usersView,
		grammar.ShowClock:      (*Shell).clockView,
		grammar.ShowVersion:    (*Shell).versionView,
	}
}

// show runs a show command: its value as text through the output modifiers, or
// as JSON.
func (s *Shell) show(cmd grammar.Command) error {
	f, ok := shows[cmd.Kind]
	if !ok {
		return fmt.Errorf("no output for this command") // a Kind without an entry in shows
	}
	v, err := f(s, cmd)
	if err != nil {
		return err
	}
	out, note, err := view.Render(v, cmd.Pipe)
	if err != nil {
		return err
	}
	io.WriteString(s.opt.Out, out)
	if note != "" {
		// After the output and whatever the pipe kept, on the error stream: a
		// script's output stays what the config is (`aclsh -c 'show
		// running-config' > FILE` can be replayed and compared).
		fmt.Fprintln(s.opt.Err, note)
	}
	return nil
}

// familyName is a family as JSON names it: "ipv4" or "ipv6".
func familyName(f acl.Family) string { return strings.ToLower(f.Name()) }

// entryJSON is an access list entry as configured.
type entryJSON struct {
	Seq             uint32         `json:"seq"`
	Action          string         `json:"action"` // permit, deny or remark
	Remark          string         `json:"remark,omitempty"`
	Text            string         `json:"text"` // the line as the running-config has it
	Protocol        string         `json:"protocol,omitempty"`
	Source          string         `json:"source,omitempty"`
	SourcePort      string         `json:"source_port,omitempty"`
	Destination     string         `json:"destination,omitempty"`
	DestinationPort string         `json:"destination_port,omitempty"`
	ICMP            *icmpJSON      `json:"icmp,omitempty"` // icmp lines with a type
	Established     bool           `json:"established,omitempty"`
	ConnLimit       *connLimitJSON `json:"connlimit,omitempty"`
	Log             bool           `json:"log,omitempty"`
}

type connLimitJSON struct {
	Limit   int `json:"limit"`
	MaskLen int `json:"mask_length"`
	Sources int `json:"sources"`
}

func entryOf(r acl.Rule, f acl.Family) entryJSON {
	e := entryJSON{Seq: uint32(r.Seq), Text: r.Format(f)}
	if r.IsRemark() {
		e.Action, e.Remark = "remark", r.Remark
		return e
	}
	e.Action = r.Action.String()
	e.Protocol = r.Proto.Format(f)
	e.Source, e.Destination = r.Src.String(), r.Dst.String()
	if r.SrcPort.Op != acl.PortAny {
		e.SourcePort = r.SrcPort.String()
	}
	if r.DstPort.Op != acl.PortAny {
		e.DestinationPort = r.DstPort.String()
	}
	if r.ICMP.Set {
		e.ICMP = &icmpJSON{Type: int(r.ICMP.Type), Name: r.ICMP.Format(f)}
		if r.ICMP.CodeSet {
			c := int(r.ICMP.Code)
			e.ICMP.Code = &c
		}
	}
	e.Established, e.Log = r.Established, r.Log
	if r.ConnLimit > 0 {
		e.ConnLimit = &connLimitJSON{Limit: int(r.ConnLimit), MaskLen: r.ConnMask.Len(f), Sources: r.Sources()}
	}
	return e
}

// icmpJSON is an icmp line's type condition: `echo` is {type 8, name "echo"},
// `3 4` {type 3, code 4, name "3 4"}.
type icmpJSON struct {
	Type int    `json:"type"`
	Code *int   `json:"code,omitempty"`
	Name string `json:"name"` // as the line writes it
}

// configJSON is a config as data: what `show running-config | json` gives.
type configJSON struct {
	LoggingIntervalMs uint32          `json:"logging_interval_ms"`
	AccessLists       []aclConfigJSON `json:"access_lists"`
	AccessGroups      []groupJSON     `json:"access_groups"`
}

type aclConfigJSON struct {
	Name    string      `json:"name"`
	Family  string      `json:"family"`
	Entries []entryJSON `json:"entries"`
}

type groupJSON struct {
	Interface  string `json:"interface"`
	Family     string `json:"family"`
	AccessList string `json:"access_list"`
	Direction  string `json:"direction"`
}

func configOf(cfg *acl.Config) configJSON {
	c := configJSON{LoggingIntervalMs: cfg.LogInterval.Millis(), AccessLists: []aclConfigJSON{}, AccessGroups: []groupJSON{}}
	for _, n := range cfg.Names() {
		a := cfg.ACLs[n]
		l := aclConfigJSON{Name: a.Name, Family: familyName(a.Family), Entries: []entryJSON{}}
		for _, r := range a.Entries() {
			l.Entries = append(l.Entries, entryOf(r, a.Family))
		}
		c.AccessLists = append(c.AccessLists, l)
	}
	for _, f := range []acl.Family{acl.IPv4, acl.IPv6} {
		if n := cfg.Mgmt.Get(f); n != "" {
			c.AccessGroups = append(c.AccessGroups, groupJSON{Interface: "management 0", Family: familyName(f), AccessList: n, Direction: "in"})
		}
	}
	return c
}

// configView is a config: its canonical text, or its data.
type configView struct {
	cfg  *acl.Config
	text string // cfg's rendering (or, for the startup-config, the file as saved)
	Note string // the config differs from the startup-config ("" when not)
}

func (v *configView) WriteText(w io.Writer) { io.WriteString(w, v.text) }
func (v *configView) NoteLine() string      { return v.Note }

func (v *configView) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		configJSON
		Note string `json:"note,omitempty"`
	}{configOf(v.cfg), strings.TrimLeft(v.Note, "!% ")})
}

func (s *Shell) runningView(grammar.Command) (view.View, error) {
	cfg := s.t.cfg
	text := cfg.Render()
	// A comment: pasted back with the config, the line changes nothing.
	note := s.unsaved(cfg, text)
	if note != "" {
		note = "!" + note[1:]
	}
	return &configView{cfg: cfg, text: text, Note: note}, nil
}

// runningACLView is show running-config access-list [NAME]: the access list
// sections only (and the logging interval, an access list setting, when no list
// is named).
func (s *Shell) runningACLView(cmd grammar.Command) (view.View, error) {
	cfg := acl.NewConfig()
	if cmd.Name != "" {
		a, ok := s.t.cfg.ACLs[cmd.Name]
		if !ok {
			return nil, fmt.Errorf("access list %s does not exist", cmd.Name)
		}
		cfg.ACLs[a.Name] = a
	} else {
		cfg.LogInterval = s.t.cfg.LogInterval
		for n, a := range s.t.cfg.ACLs {
			cfg.ACLs[n] = a
		}
	}
	return &configView{cfg: cfg, text: cfg.Render()}, nil
}

func (s *Shell) startupView(grammar.Command) (view.View, error) {
	text, err := s.startupText()
	if errors.Is(err, os.ErrNotExist) {
		err = ErrNoStartup
	}
	if err != nil {
		return nil, err
	}
	cfg, err := LoadConfig(text)
	if err != nil {
		// The text shows what is there; as data it has no meaning.
		cfg = nil
	}
	return &startupView{configView{cfg: cfg, text: text}, err}, nil
}

type startupView struct {
	configView
	err error // the startup-config does not load
}

func (v *startupView) MarshalJSON() ([]byte, error) {
	if v.err != nil {
		return nil, fmt.Errorf("the startup-config does not load: %w", v.err)
	}
	return v.configView.MarshalJSON()
}

// clockView is show clock: the time, as IOS shows it.
type clockView struct {
	Time     string `json:"time"` // RFC 3339 with milliseconds, in the local zone
	Zone     string `json:"time_zone"`
	UnixMs   int64  `json:"unix_ms"`
	ShowText string `json:"text"` // as the text shows it
}

func (v *clockView) WriteText(w io.Writer) { fmt.Fprintln(w, v.ShowText) }

func (s *Shell) clockView(grammar.Command) (view.View, error) {
	t := now().In(displayZone)
	zone, _ := t.Zone()
	return &clockView{
		Time: t.Format("2006-01-02T15:04:05.000Z07:00"), Zone: zone, UnixMs: t.UnixMilli(),
		// IOS: `*12:03:44.123 UTC Sat Nov 21 2026`; the `*` says the clock is not
		// known to be synchronised (aclsh does not ask the host).
		ShowText: "*" + t.Format("15:04:05.000 MST Mon Jan 2 2006"),
	}, nil
}

// versionView is show version: what runs where, for operators and for
// automation's device facts (arista.eos reads version and modelName from
// `show version | json`; cisco.ios reads `Version X` and `uptime is` from the
// text).
type versionView struct {
	Version       string  `json:"version"`   // as aclsh --version prints it
	ModelName     string  `json:"modelName"` // "aclsh": EOS's field name, which arista.eos requires
	GoVersion     string  `json:"go_version"`
	Kernel        string  `json:"kernel"` // uname: Linux
	KernelRelease string  `json:"kernel_release"`
	Architecture  string  `json:"architecture"`
	Host          string  `json:"host"`
	HostUptime    float64 `json:"host_uptime_seconds"`
	// Process is the aclsh process that runs this shell: "daemon" (the owner of
	// the state directory) or "shell" (aclsh alone, as for --check).
	Process       string  `json:"process"`
	PID           int     `json:"pid"`
	ProcessUptime float64 `json:"process_uptime_seconds"`
	StateDir      string  `json:"state_dir"`
}

func (v *versionView) WriteText(w io.Writer) {
	fmt.Fprintf(w, "aclsh Version %s (%s)\n", v.Version, v.GoVersion)
	fmt.Fprintf(w, "Kernel: %s %s (%s)\n", v.Kernel, v.KernelRelease, v.Architecture)
	fmt.Fprintf(w, "%s uptime is %s\n", v.Host, uptimeText(v.HostUptime))
	fmt.Fprintf(w, "aclsh %s (pid %d) uptime is %s\n", v.Process, v.PID, uptimeText(v.ProcessUptime))
	fmt.Fprintf(w, "State directory: %s\n", v.StateDir)
}

// processStart is about when this process started: when its packages were
// initialised.
var processStart = time.Now()

func (s *Shell) versionView(grammar.Command) (view.View, error) {
	v := &versionView{Version: buildVersion(), ModelName: "aclsh", GoVersion: runtime.Version(), Host: s.opt.Host,
		Process: "shell", PID: os.Getpid(), ProcessUptime: now().Sub(processStart).Truncate(time.Second).Seconds()}
	if s.opt.Who != nil {
		v.Process = "daemon" // a daemon runs shells for its clients
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return nil, fmt.Errorf("uname: %w", err)
	}
	v.Kernel, v.KernelRelease, v.Architecture = unix.ByteSliceToString(u.Sysname[:]), unix.ByteSliceToString(u.Release[:]), unix.ByteSliceToString(u.Machine[:])
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return nil, fmt.Errorf("sysinfo: %w", err)
	}
	v.HostUptime = float64(si.Uptime)
	dir, err := filepath.Abs(s.opt.Store.Dir)
	if err != nil {
		return nil, err
	}
	v.StateDir = dir
	return v, nil
}

// uptimeText reads seconds as IOS does: 1 week, 2 days, 3 hours, 4 minutes
// (the larger units from the first that is not zero).
func uptimeText(secs float64) string {
	n := int64(secs) / 60
	units := []struct {
		name string
		min  int64
	}{{"week", 7 * 24 * 60}, {"day", 24 * 60}, {"hour", 60}, {"minute", 1}}
	var parts []string
	for _, u := range units {
		k := n / u.min
		n -= k * u.min
		if k == 0 && (len(parts) == 0 && u.min > 1) {
			continue
		}
		p := strconv.FormatInt(k, 10) + " " + u.name
		if k != 1 {
			p += "s"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

// buildVersion is the version aclsh --version prints: the one the build
// stamped (go build -ldflags "-X main.version=V"), else the module's, else the
// commit it was built from.
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, dirty := "", ""
	for _, st := range info.Settings {
		switch st.Key {
		case "-ldflags":
			for _, f := range strings.Fields(st.Value) {
				if v, ok := strings.CutPrefix(strings.Trim(f, `'"`), "main.version="); ok {
					return v
				}
			}
		case "vcs.revision":
			rev = st.Value
		case "vcs.modified":
			if st.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	if rev == "" {
		return "devel"
	}
	return "devel-" + rev[:min(12, len(rev))] + dirty
}

// historyView is show history: this shell's lines, numbered, oldest first.
type historyView struct {
	History []historyJSON `json:"history"`
}

type historyJSON struct {
	Index   int    `json:"index"`
	Command string `json:"command"`
}

func (v *historyView) WriteText(w io.Writer) {
	width := len(fmt.Sprint(len(v.History)))
	for _, h := range v.History {
		fmt.Fprintf(w, "%*d  %s\n", width+2, h.Index, h.Command)
	}
}

func (s *Shell) historyView(grammar.Command) (view.View, error) {
	v := &historyView{History: []historyJSON{}}
	first := s.histBase + 1
	for i, l := range s.hist {
		v.History = append(v.History, historyJSON{Index: first + i, Command: l})
	}
	return v, nil
}

// maxShellHistory is how many lines show history keeps: as many as the history
// file does.
const maxShellHistory = term.HistoryLimit

// remember adds a line to this shell's history (show history).
func (s *Shell) remember(line string) {
	line = strings.TrimRight(line, " \t\r\n")
	if strings.TrimSpace(line) == "" {
		return
	}
	if len(s.hist) == maxShellHistory {
		s.hist = append(s.hist[:0], s.hist[1:]...)
		s.histBase++
	}
	s.hist = append(s.hist, line)
}
