package shell

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/cli"
	"github.com/aclsh/aclsh/config"
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

func (s *Shell) runningView(grammar.Command) (view.View, error) {
	cfg := s.t.Cfg
	text := cfg.Render()
	// A comment: pasted back with the config, the line changes nothing.
	note := s.unsaved(cfg, text)
	if note != "" {
		note = "!" + note[1:]
	}
	return &view.Config{Cfg: cfg, Text: text, Note: note}, nil
}

// runningACLView is show running-config access-list [NAME]: the access list
// sections only (and the logging interval, an access list setting, when no list
// is named).
func (s *Shell) runningACLView(cmd grammar.Command) (view.View, error) {
	cfg := acl.NewConfig()
	if cmd.Name != "" {
		a, ok := s.t.Cfg.ACLs[cmd.Name]
		if !ok {
			return nil, fmt.Errorf("access list %s does not exist", cmd.Name)
		}
		cfg.ACLs[a.Name] = a
	} else {
		cfg.LogInterval = s.t.Cfg.LogInterval
		for n, a := range s.t.Cfg.ACLs {
			cfg.ACLs[n] = a
		}
	}
	return &view.Config{Cfg: cfg, Text: cfg.Render()}, nil
}

func (s *Shell) startupView(grammar.Command) (view.View, error) {
	text, err := s.startupText()
	if errors.Is(err, os.ErrNotExist) {
		err = config.ErrNoStartup
	}
	if err != nil {
		return nil, err
	}
	cfg, err := cli.LoadConfig(text)
	if err != nil {
		// The text shows what is there; as data it has no meaning.
		cfg = nil
	}
	return &view.Startup{Config: view.Config{Cfg: cfg, Text: text}, Err: err}, nil
}

func (s *Shell) clockView(grammar.Command) (view.View, error) {
	t := config.Now().In(config.Zone)
	zone, _ := t.Zone()
	return &view.Clock{
		Time: t.Format("2006-01-02T15:04:05.000Z07:00"), Zone: zone, UnixMs: t.UnixMilli(),
		// IOS: `*12:03:44.123 UTC Sat Nov 21 2026`; the `*` says the clock is not
		// known to be synchronised (aclsh does not ask the host).
		ShowText: "*" + t.Format("15:04:05.000 MST Mon Jan 2 2006"),
	}, nil
}

// processStart is about when this process started: when its packages were
// initialised.
var processStart = time.Now()

func (s *Shell) versionView(grammar.Command) (view.View, error) {
	v := &view.Version{Version: buildVersion(), ModelName: "aclsh", GoVersion: runtime.Version(), Host: s.opt.Host,
		Process: "shell", PID: os.Getpid(), ProcessUptime: config.Now().Sub(processStart).Truncate(time.Second).Seconds()}
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

func (s *Shell) historyView(grammar.Command) (view.View, error) {
	v := &view.History{History: []view.HistoryEntry{}}
	first := s.histBase + 1
	for i, l := range s.hist {
		v.History = append(v.History, view.HistoryEntry{Index: first + i, Command: l})
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
