package shell

import (
	"fmt"
	"strings"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/cli"
	"github.com/aclsh/aclsh/enforcer"
	"github.com/aclsh/aclsh/grammar"
	"github.com/aclsh/aclsh/term"
	"github.com/aclsh/aclsh/view"
)

// show runs a show command: its value as text through the output modifiers, or
// as JSON.
func (s *Shell) show(c cli.Show, pipe grammar.Pipe) error {
	v, err := c.View(env{s})
	if err != nil {
		return err
	}
	note, err := view.Write(s.opt.Out, v, pipe)
	if err != nil {
		return err
	}
	if note != "" {
		// After the output and whatever the pipe kept, on the error stream: a
		// script's output stays what the config is (`aclsh -c 'show
		// running-config' > FILE` can be replayed and compared).
		fmt.Fprintln(s.opt.Err, note)
	}
	return nil
}

// env is what a show command reads from the shell (cli.Env).
type env struct{ s *Shell }

func (e env) Config() (*acl.Config, error) {
	if err := e.s.needConfig(); err != nil {
		return nil, err
	}
	return e.s.t.Cfg, nil
}

func (e env) Stats(cfg *acl.Config) *enforcer.Stats { return e.s.stats(cfg) }
func (e env) StartupText() (string, error)          { return e.s.startupText() }
func (e env) Host() string                          { return e.s.opt.Host }
func (e env) IfName() string                        { return e.s.opt.IfName }
func (e env) StateDir() string                      { return e.s.opt.Store.Dir }
func (e env) InDaemon() bool                        { return e.s.opt.InDaemon }
func (e env) ForClient() bool                       { return e.s.opt.Who != nil }
func (e env) History() ([]string, int)              { return e.s.history() }
func (e env) Users() (view.View, error)             { return e.s.usersView() }
func (e env) Sessions() (view.View, error)          { return e.s.sessionsView() }
func (e env) SessionConfig(name string, diffs bool) (view.View, error) {
	return e.s.sessionConfigView(name, diffs)
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
	if len(s.hist) == 2*maxShellHistory {
		// Half dropped at once: a million-line script moved the whole
		// history at every line.
		n := copy(s.hist, s.hist[maxShellHistory:])
		clear(s.hist[n:])
		s.hist = s.hist[:n]
		s.histBase += maxShellHistory
	}
	s.hist = append(s.hist, line)
}

// history returns the last maxShellHistory lines and the number of the first.
func (s *Shell) history() ([]string, int) {
	h, base := s.hist, s.histBase
	if over := len(h) - maxShellHistory; over > 0 {
		h, base = h[over:], base+over
	}
	return h, base + 1
}
