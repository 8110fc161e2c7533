package shell

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/cli"
	"github.com/aclsh/aclsh/config"
	"github.com/aclsh/aclsh/grammar"
	"github.com/aclsh/aclsh/internal/clock"
	"github.com/aclsh/aclsh/view"
)

// session is the target of a shell in a configuration session (configure
// session NAME): the changes typed in it go to the session's candidate in the
// state directory, not to the running-config or the kernel, until commit.
// What a session does not take (actions, and whether a session's commit, an
// abort or a reload takes effect now) is the shell's own target's, which the
// shell's target is again when it leaves the session.
type session struct {
	target // the shell's own: immediate or batch
	s      *Shell
	file   *config.Session
}

// reserve: the candidate is the session's, not the script's own config.
func (*session) reserve(string, int) {}

// session returns the configuration session the shell is in, nil if none.
func (s *Shell) session() *session {
	sess, _ := s.tgt.(*session)
	return sess
}

func (s *Shell) inSession() bool { return s.session() != nil && s.t.Mode != grammar.Exec }

// gmode is the mode the grammar parses in: inside a session, the session twin of
// the configuration mode (commit, abort and the session's show commands).
func (s *Shell) gmode() grammar.Mode {
	if s.inSession() {
		return s.t.Mode | grammar.InSession
	}
	return s.t.Mode
}

// sessionPrompt is the prompt inside a session, "" outside one.
func (s *Shell) sessionPrompt() string {
	if !s.inSession() {
		return ""
	}
	return s.t.Mode.SessionPrompt(s.opt.Host, s.session().file.Name())
}

// Sessions, commit timers and reload work the same from a terminal, a script
// and -c, as on EOS; the target says when it refuses one (target.openSession,
// target.effect): --check changes nothing; a script opens no session while it
// has changes of its own to commit at its end, and takes no effect after a line
// failed.

func (e env) EnterSession(name string) error {
	if err := e.s.tgt.openSession(); err != nil {
		return err
	}
	if err := e.s.enterSession(name); err != nil {
		return err
	}
	e.s.opened = e.s.session().file.Name()
	return nil
}

func (e env) CommitSession(timer time.Duration) error {
	if err := e.s.tgt.effect(); err != nil {
		return err
	}
	name := e.s.session().file.Name()
	if err := e.s.session().commitSession(timer); err != nil {
		return err
	}
	e.s.opened = ""
	e.s.tgt.tookEffect("the commit of session " + name)
	return nil
}

func (e env) AbortSession() error {
	if err := e.s.tgt.effect(); err != nil {
		return err
	}
	name := e.s.session().file.Name()
	if err := e.s.session().abortSession(); err != nil {
		return err
	}
	e.s.opened = ""
	e.s.tgt.tookEffect("the abort of session " + name)
	return nil
}

func (e env) ScheduleReload(minutes int) error {
	s := e.s
	if err := s.tgt.effect(); err != nil {
		return err
	}
	at, err := s.opt.Store.ScheduleReload(minutes, s.whoName())
	if err != nil {
		return err
	}
	s.tgt.tookEffect("reload in " + fmt.Sprint(minutes))
	fmt.Fprintf(s.opt.Out, "Reload scheduled for %s (in %d minutes): the startup-config will replace the running-config\n", clock.Show(at), minutes)
	return nil
}

func (e env) CancelReload() error {
	s := e.s
	if err := s.tgt.effect(); err != nil {
		return err
	}
	was, err := s.opt.Store.CancelReload()
	if err != nil {
		return err
	}
	s.tgt.tookEffect("reload cancel")
	fmt.Fprintf(s.opt.Out, "Reload cancelled (it was scheduled for %s)\n", clock.Show(was))
	return nil
}

// enterSession opens or resumes a session: a new one starts as a copy of the
// running-config.
func (s *Shell) enterSession(name string) error {
	if s.broken != nil {
		return s.broken
	}
	f, err := s.opt.Store.OpenSession(name, s.whoName())
	if err != nil {
		return err
	}
	s.tgt = &session{target: s.tgt, s: s, file: f}
	s.t.Mode, s.t.ACL, s.t.Cfg = grammar.Config, "", f.Cand()
	return nil
}

// line runs a configuration line inside the session: mode changes as
// anywhere, changes into the candidate. Leaving to exec (end, exit) leaves the
// session open, to be resumed by name.
func (t *session) line(cmd grammar.Command, _ cli.Command) error {
	s := t.s
	s.t.Cfg = t.file.Cand()
	// After an error the mode and the current list are as they were (txn.do).
	// A session another shell ended is left whatever the line did.
	err := s.t.Do(cmd, t.change)
	if s.session() == nil || (err == nil && s.t.Mode == grammar.Exec) {
		t.leave()
	}
	return err
}

// change applies a change typed in the session to its candidate and saves
// it; nothing reaches the running-config or the kernel.
func (t *session) change(o cli.Change) error {
	s := t.s
	nf, err := s.opt.Store.ChangeSession(t.file, o.Apply)
	if err != nil {
		return t.err(err)
	}
	t.file, s.t.Cfg = nf, nf.Cand()
	return nil
}

// err leaves a session another shell ended (config.SessionGone).
func (t *session) err(err error) error {
	var gone *config.SessionGone
	if errors.As(err, &gone) {
		t.leave()
	}
	return err
}

// leave returns to exec mode and to the shell's own target; the session stays
// in the state directory.
func (t *session) leave() {
	s := t.s
	if s.session() == t {
		s.tgt = t.target
	}
	s.t.Mode, s.t.ACL = grammar.Exec, ""
	s.tgt.leftSession()
}

// suspend leaves the session for exec mode without a word (Ctrl-Z or Ctrl-D
// took the shell there): it stays open, to be resumed.
func (t *session) suspend() { t.s.tgt = t.target }

// commitSession applies the session's candidate as one commit (all or nothing,
// one kernel transaction, the file written before the kernel is changed). With a
// timer, the running-config before is saved first as the rollback record, so
// that the follow daemon (or any aclsh that takes the lock later) restores it when
// the timer runs out unless a plain commit of the session confirms it.
func (t *session) commitSession(timer time.Duration) error {
	s := t.s
	// The lockout guard: a timed commit warns (the timer is the safety net); a
	// plain one is refused unless --force, pointing to the timer.
	guard := func(old, cand *acl.Config) error {
		if w := s.Lockout(old, cand); w != "" {
			fmt.Fprint(s.opt.Out, w)
			if timer == 0 && !s.opt.Force {
				return fmt.Errorf("session %s not committed: it would cut you off (above); try it with a rollback: commit timer HH:MM:SS", t.file.Name())
			}
		}
		return nil
	}
	msg, err := s.opt.Store.CommitSession(t.file, timer, s.whoName(), guard, s.enforcer())
	if err != nil {
		return t.err(err)
	}
	t.leave()
	if msg != "" {
		fmt.Fprintln(s.opt.Out, msg)
	}
	return nil
}

// abortSession discards the session. If it was committed with a timer, the
// running-config from before is restored at once.
func (t *session) abortSession() error {
	s := t.s
	msg, err := s.opt.Store.AbortSession(t.file, s.enforcer())
	if err != nil {
		return t.err(err)
	}
	t.leave()
	if msg != "" {
		fmt.Fprintln(s.opt.Out, msg)
	}
	return nil
}

func (s *Shell) sessionConfigView(name string, diffs bool) (view.View, error) {
	if name == "" {
		if s.session() == nil {
			return nil, errors.New("not in a configuration session: name one (show session-config named NAME)")
		}
		name = s.session().file.Name()
	}
	v := &view.SessionConfig{Name: name}
	run, cand, err := s.opt.Store.SessionConfig(name)
	if err != nil {
		return nil, err
	}
	text := cand.Render()
	if diffs {
		v.Diff = unifiedDiff("system:/running-config", "session:/"+name+"-session-config", run.Render(), text)
	} else {
		v.Cfg, v.Text = cand, text
	}
	return v, nil
}

func (s *Shell) sessionsView() (view.View, error) {
	v := &view.Sessions{Sessions: []view.SessionRow{}}
	rows, reload, err := s.opt.Store.Sessions()
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		v.Sessions = append(v.Sessions, view.SessionRow{Name: r.Name, State: r.State, RollbackAt: r.RollbackAt, User: r.User, Created: r.Created,
			Current: s.session() != nil && s.session().file.Name() == r.Name})
	}
	if reload != nil {
		v.Reload = &view.Reload{At: reload.At, By: reload.By}
	}
	return v, nil
}

// StartNotices writes what a starting shell should know: an automatic rollback
// in the last 24 hours, a commit timer or a reload that is running.
func (s *Shell) StartNotices(w io.Writer) {
	for _, n := range s.opt.Store.Notices() {
		fmt.Fprintln(w, n)
	}
}
