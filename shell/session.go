package shell

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/cli"
	"github.com/aclsh/aclsh/grammar"
	"github.com/aclsh/aclsh/view"
)

// cfgSession is the configuration session a shell is in (configure session NAME):
// its changes go to the session's candidate in the state directory, not to the
// running-config or the kernel, until commit.
type cfgSession struct {
	file *sessionFile
}

func (s *Shell) inSession() bool { return s.sess != nil && s.t.Mode != grammar.Exec }

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
	return s.t.Mode.SessionPrompt(s.opt.Host, s.sess.file.name)
}

// sessionKind reports whether a command kind belongs to sessions and timers.
func sessionKind(k grammar.Kind) bool {
	switch k {
	case grammar.ConfigureSession, grammar.SessionCommit, grammar.SessionAbort,
		grammar.ShowSession, grammar.ShowSessions, grammar.ReloadIn, grammar.ReloadCancel:
		return true
	}
	return false
}

// sessionCmd runs the commands of sessions and timers.
func (s *Shell) sessionCmd(cmd grammar.Command) error {
	if !s.opt.Interactive || s.opt.CheckOnly {
		switch cmd.Kind {
		case grammar.ShowSessions, grammar.ShowSession:
			if cmd.Kind == grammar.ShowSession && cmd.Name == "" {
				return errors.New("not in a configuration session: name one (show session-config named NAME)")
			}
		default:
			return errors.New("configuration sessions, commit timers and reload are interactive: a script is already one transaction, all or nothing")
		}
	}
	st := s.opt.Store
	switch cmd.Kind {
	case grammar.ConfigureSession:
		return s.enterSession(cmd.Name)
	case grammar.ShowSessions, grammar.ShowSession:
		return s.show(cmd)
	case grammar.SessionCommit:
		return s.commitSession(time.Duration(cmd.Num) * time.Second)
	case grammar.SessionAbort:
		return s.abortSession()
	case grammar.ReloadIn:
		return st.locked(true, func() error {
			if !st.exists(startupName) {
				return errors.New("startup-config is not present: reload restores it; save it first with write memory")
			}
			at := now().Add(time.Duration(cmd.Num) * time.Minute)
			r := &record{}
			r.setTime("deadline", at)
			r.set("minutes", strconv.Itoa(cmd.Num))
			r.set("by", s.whoName())
			if err := st.writeRecord(pendingReload, "aclsh reload", r); err != nil {
				return err
			}
			fmt.Fprintf(s.opt.Out, "Reload scheduled for %s (in %d minutes): the startup-config will replace the running-config\n", showTime(at), cmd.Num)
			return nil
		})
	case grammar.ReloadCancel:
		return st.locked(true, func() error {
			r, err := st.readRecord(pendingReload)
			if err != nil {
				return err
			}
			if r == nil {
				return errors.New("no reload is scheduled")
			}
			if err := st.removeRecord(pendingReload); err != nil {
				return err
			}
			fmt.Fprintf(s.opt.Out, "Reload cancelled (it was scheduled for %s)\n", showTime(r.time("deadline")))
			return nil
		})
	}
	return fmt.Errorf("internal error: command kind %d is not a session command", cmd.Kind)
}

// enterSession opens or resumes a session: a new one starts as a copy of the
// running-config.
func (s *Shell) enterSession(name string) error {
	if s.broken != nil {
		return s.broken
	}
	st := s.opt.Store
	return st.locked(true, func() error {
		names, err := st.sessionNames(true)
		if err != nil {
			return err
		}
		if name == "" {
			have := map[string]bool{}
			for _, n := range names {
				have[n] = true
			}
			for i := 1; ; i++ {
				if name = "s" + strconv.Itoa(i); !have[name] {
					break
				}
			}
		}
		f, err := st.readSession(name, nil)
		if err != nil {
			return err
		}
		if f == nil {
			run, err := st.shared()
			if err != nil {
				return err
			}
			r := &record{}
			r.set("owner", s.whoName())
			r.setTime("created", now())
			r.set("base", configHash(run.Render()))
			r.set("state", "open")
			f = &sessionFile{name: name, rec: r, cand: run.Clone(), created: now()}
			if err := st.writeSession(f); err != nil {
				return err
			}
		}
		s.sess = &cfgSession{file: f}
		s.t.Mode, s.t.ACL, s.t.Cfg = grammar.Config, "", f.cand
		return nil
	})
}

// sessionChange applies a change typed in the session to its candidate and saves
// it; nothing reaches the running-config or the kernel.
func (s *Shell) sessionChange(o cli.Op) error {
	st := s.opt.Store
	return st.locked(true, func() error {
		f, err := s.currentSession(st)
		if err != nil {
			return err
		}
		cand := f.cand.Clone()
		if err := o.Apply(cand); err != nil {
			return err
		}
		nf := *f
		nf.cand = cand
		if err := st.writeSession(&nf); err != nil {
			return err
		}
		s.sess.file, s.t.Cfg = &nf, cand
		return nil
	})
}

// currentSession reads the shell's session again (another shell may have changed
// it); it says why if it is gone. The caller holds the lock.
func (s *Shell) currentSession(st *Store) (*sessionFile, error) {
	name := s.sess.file.name
	f, err := st.readSession(name, s.sess.file)
	if err != nil {
		return nil, err
	}
	if f == nil {
		why := "committed or aborted by another shell"
		if n := st.RollbackNotice(); strings.Contains(n, "session "+name+" ") {
			why = strings.TrimPrefix(n, "% ")
		}
		s.leaveSession()
		return nil, fmt.Errorf("session %s no longer exists (%s)", name, why)
	}
	return f, nil
}

// leaveSession returns to exec mode; the session stays in the state directory.
func (s *Shell) leaveSession() {
	s.sess = nil
	s.t.Mode, s.t.ACL = grammar.Exec, ""
}

// commitSession applies the session's candidate as one commit (all or nothing,
// one kernel transaction, the file written before the kernel is changed). With a
// timer, the running-config before is saved first as the rollback record, so
// that the follow daemon (or any aclsh that takes the lock later) restores it when
// the timer runs out unless a plain commit of the session confirms it.
func (s *Shell) commitSession(timer time.Duration) error {
	st := s.opt.Store
	var msg string
	err := st.locked(true, func() error {
		f, err := s.currentSession(st)
		if err != nil {
			return err
		}
		name := f.name
		old, err := st.shared()
		if err != nil {
			return err
		}
		pend, err := st.readRecord(pendingCommit)
		if err != nil {
			return err
		}
		confirming := pend != nil && pend.get("session") == name
		if pend != nil && !confirming {
			return fmt.Errorf("session %s's commit timer runs until %s: confirm it (configure session %s, commit) or abort it first; nothing was applied",
				pend.get("session"), showTime(pend.time("deadline")), pend.get("session"))
		}
		if confirming && timer == 0 && configHash(f.cand.Render()) == f.rec.get("base") {
			// Confirming what the timed commit applied: the timer stops, and
			// whatever other shells committed since stays.
			if err := st.removeRecord(pendingCommit); err != nil {
				return err
			}
			msg = fmt.Sprintf("%% Session %s confirmed: the commit timer is cancelled", name)
			return st.removeRecord(sessionPrefix + name)
		}
		if configHash(old.Render()) != f.rec.get("base") {
			return fmt.Errorf("the running-config changed since session %s started (another shell committed); nothing was applied: see show session-config diffs, then abort and start a new session", name)
		}
		cand := f.cand.Clone()
		// The lockout guard: a timed commit warns (the timer is the safety
		// net); a plain one is refused unless --force, pointing to the timer.
		if w := s.Lockout(old, cand); w != "" {
			fmt.Fprint(s.opt.Out, w)
			if timer == 0 && !s.opt.Force {
				return fmt.Errorf("session %s not committed: it would cut you off (above); try it with a rollback: commit timer HH:MM:SS", name)
			}
		}
		if timer > 0 {
			prev := old.Render()
			if confirming {
				prev = pend.text // the config before the first timed commit
			}
			at := now().Add(timer)
			p := &record{}
			p.set("session", name)
			p.set("by", s.whoName())
			p.setTime("deadline", at)
			p.text = prev
			// Before the kernel changes: if this process dies now, the change
			// is still rolled back.
			if err := st.writeRecord(pendingCommit, "aclsh commit timer: the running-config to restore", p); err != nil {
				return fmt.Errorf("saving the rollback record: %w; nothing was applied", err)
			}
			if err := s.commitCand(st, old, cand); err != nil {
				if confirming {
					st.writeRecord(pendingCommit, "aclsh commit timer: the running-config to restore", pend)
				} else {
					st.removeRecord(pendingCommit)
				}
				return err
			}
			nf := *f
			nf.rec.set("state", "pending")
			nf.rec.set("base", configHash(cand.Render()))
			nf.rec.setTime("deadline", at)
			if err := st.writeSession(&nf); err != nil {
				return err
			}
			msg = fmt.Sprintf("%% Session %s committed; it is rolled back at %s (in %s) unless confirmed: configure session %s, then commit",
				name, showTime(at), fmtTimer(timer), name)
			return nil
		}
		if err := s.commitCand(st, old, cand); err != nil {
			return err
		}
		if confirming {
			st.removeRecord(pendingCommit)
			msg = fmt.Sprintf("%% Session %s confirmed: the commit timer is cancelled", name)
		}
		return st.removeRecord(sessionPrefix + name)
	})
	if err != nil {
		return err
	}
	s.leaveSession()
	if msg != "" {
		fmt.Fprintln(s.opt.Out, msg)
	}
	return nil
}

// commitCand makes cand the running-config, enforced; the caller holds the lock.
func (s *Shell) commitCand(st *Store, old, cand *acl.Config) error {
	if cand.Equal(old) {
		return nil
	}
	_, err := st.commit(old, cand, s.enforcer())
	return err
}

func fmtTimer(d time.Duration) string {
	t := int(d / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", t/3600, t/60%60, t%60)
}

// abortSession discards the session. If it was committed with a timer, the
// running-config from before is restored at once.
func (s *Shell) abortSession() error {
	st := s.opt.Store
	var msg string
	err := st.locked(true, func() error {
		f, err := s.currentSession(st)
		if err != nil {
			return err
		}
		pend, err := st.readRecord(pendingCommit)
		if err != nil {
			return err
		}
		if pend != nil && pend.get("session") == f.name {
			prev, err := cli.LoadConfig(pend.text)
			if err != nil {
				return fmt.Errorf("the rollback record: %w", err)
			}
			old, err := st.shared()
			if err != nil {
				return err
			}
			if err := s.commitCand(st, old, prev); err != nil {
				return err
			}
			st.removeRecord(pendingCommit)
			msg = fmt.Sprintf("%% Session %s aborted: the running-config from before its commit was restored", f.name)
		}
		return st.removeRecord(sessionPrefix + f.name)
	})
	if err != nil {
		return err
	}
	s.leaveSession()
	if msg != "" {
		fmt.Fprintln(s.opt.Out, msg)
	}
	return nil
}

// sessionConfigView is show session-config [named NAME] [diffs]: a session's
// candidate config, or its differences from the running-config.
type sessionConfigView struct {
	view.Config
	name string
	diff string // diffs: as diff -u prints it
}

func (v *sessionConfigView) WriteText(w io.Writer) {
	if v.diff != "" || v.Cfg == nil {
		io.WriteString(w, v.diff)
		return
	}
	v.Config.WriteText(w)
}

func (v *sessionConfigView) MarshalJSON() ([]byte, error) {
	out := struct {
		Session string           `json:"session"`
		Config  *view.ConfigData `json:"config,omitempty"`
		Diff    *string          `json:"diff,omitempty"`
	}{Session: v.name}
	if v.Cfg != nil {
		c := view.ConfigOf(v.Cfg)
		out.Config = &c
	} else {
		out.Diff = &v.diff
	}
	return json.Marshal(out)
}

func (s *Shell) sessionConfigView(cmd grammar.Command) (view.View, error) {
	st := s.opt.Store
	name := cmd.Name
	if name == "" {
		if s.sess == nil {
			return nil, errors.New("not in a configuration session: name one (show session-config named NAME)")
		}
		name = s.sess.file.name
	}
	v := &sessionConfigView{name: name}
	err := st.View(func(run *acl.Config) error {
		f, err := st.readSession(name, nil)
		if err != nil {
			return err
		}
		if f == nil {
			return fmt.Errorf("no configuration session %s (show configuration sessions)", name)
		}
		text := f.cand.Render()
		if cmd.Num == 1 {
			v.diff = unifiedDiff("system:/running-config", "session:/"+name+"-session-config", run.Render(), text)
			return nil
		}
		v.Cfg, v.Text = f.cand, text
		return nil
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// sessionsView is show configuration sessions.
type sessionsView struct {
	Sessions []sessionRowJSON `json:"sessions"`
	Reload   *reloadJSON      `json:"reload,omitempty"` // a reload in MINUTES that is scheduled
}

type sessionRowJSON struct {
	Name string `json:"name"`
	// State: pending (not committed), changed (pending, and the running-config
	// changed since it started), committed (with a commit timer running) or
	// unreadable.
	State      string `json:"state"`
	RollbackAt string `json:"rollback_at,omitempty"` // committed: when it is rolled back unless confirmed
	User       string `json:"user,omitempty"`
	Created    string `json:"created,omitempty"`
	Current    bool   `json:"current"` // this shell's session
}

type reloadJSON struct {
	At string `json:"at"`
	By string `json:"by"`
}

func (v *sessionsView) WriteText(w io.Writer) {
	var b strings.Builder
	if len(v.Sessions) == 0 {
		b.WriteString("No configuration sessions\n")
	} else {
		rows := [][]string{{"  Name", "State", "User", "Created"}}
		for _, r := range v.Sessions {
			state := r.State
			switch r.State {
			case "committed":
				state = "committed, rolled back at " + r.RollbackAt + " unless confirmed"
			case "changed":
				state = "pending (running-config changed since)"
			}
			n := "  " + r.Name
			if r.Current {
				n = "* " + r.Name
			}
			rows = append(rows, []string{n, state, r.User, r.Created})
		}
		view.Table(&b, rows)
	}
	if v.Reload != nil {
		fmt.Fprintf(&b, "Reload scheduled for %s by %s: the startup-config will replace the running-config\n", v.Reload.At, v.Reload.By)
	}
	io.WriteString(w, b.String())
}

func (s *Shell) sessionsView(grammar.Command) (view.View, error) {
	st := s.opt.Store
	v := &sessionsView{Sessions: []sessionRowJSON{}}
	err := st.View(func(run *acl.Config) error {
		names, err := st.sessionNames(true)
		if err != nil {
			return err
		}
		pend, _ := st.readRecord(pendingCommit)
		base := configHash(run.Render())
		for _, n := range names {
			row := sessionRowJSON{Name: n, Current: s.sess != nil && s.sess.file.name == n}
			f, err := st.readSession(n, nil)
			if err != nil || f == nil {
				row.State = "unreadable"
				v.Sessions = append(v.Sessions, row)
				continue
			}
			row.State = "pending"
			switch {
			case f.pending() && pend != nil && pend.get("session") == n:
				row.State, row.RollbackAt = "committed", showTime(pend.time("deadline"))
			case f.rec.get("base") != base:
				row.State = "changed"
			}
			row.User, row.Created = f.rec.get("owner"), showTime(f.created)
			v.Sessions = append(v.Sessions, row)
		}
		if r, _ := st.readRecord(pendingReload); r != nil {
			v.Reload = &reloadJSON{At: showTime(r.time("deadline")), By: r.get("by")}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// sessionLine runs a configuration line inside a session: mode changes as
// anywhere, changes into the candidate. Leaving to exec (end, exit) leaves the
// session open, to be resumed by name.
func (s *Shell) sessionLine(cmd grammar.Command) error {
	s.t.Cfg = s.sess.file.cand
	// After an error the mode and the current list are as they were (txn.do).
	// A session another shell ended is left whatever the line did.
	err := s.t.Do(cmd, s.sessionChange)
	if s.sess == nil || (err == nil && s.t.Mode == grammar.Exec) {
		s.leaveSession()
	}
	return err
}

// StartNotices writes what a starting shell should know: an automatic rollback
// in the last 24 hours, a commit timer or a reload that is running.
func (s *Shell) StartNotices(w io.Writer) {
	st := s.opt.Store
	if n := st.RollbackNotice(); n != "" {
		fmt.Fprintln(w, n)
	}
	if p, _ := st.readRecord(pendingCommit); p != nil {
		fmt.Fprintf(w, "%% Session %s (committed by %s) is rolled back at %s unless confirmed: configure session %s, then commit\n",
			p.get("session"), p.get("by"), showTime(p.time("deadline")), p.get("session"))
	}
	if p, _ := st.readRecord(pendingReload); p != nil {
		fmt.Fprintf(w, "%% Reload scheduled for %s by %s: the startup-config will replace the running-config (reload cancel)\n",
			showTime(p.time("deadline")), p.get("by"))
	}
}
