package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/cli"
)

// What a shell asks of configuration sessions, commit timers and reload. Each
// runs under the state lock; a shell keeps the *Session it is in and hands it
// back, and is told by a *SessionGone error when another shell ended it.

// Name is the session's name.
func (f *Session) Name() string { return f.name }

// Cand is the session's candidate config; the caller must not change it.
func (f *Session) Cand() *acl.Config { return f.cand }

// SessionGone says the session a shell was in no longer exists: another shell
// committed or aborted it, or its commit timer rolled it back.
type SessionGone struct {
	Name, Why string
}

func (e *SessionGone) Error() string {
	return fmt.Sprintf("session %s no longer exists (%s)", e.Name, e.Why)
}

// ScheduleReload schedules reload in MINUTES: the startup-config replaces the
// running-config then. It returns when.
func (s *Store) ScheduleReload(minutes int, by string) (at time.Time, err error) {
	err = s.locked(true, func() error {
		if !s.exists(StartupName) {
			return errors.New("startup-config is not present: reload restores it; save it first with write memory")
		}
		at = now().Add(time.Duration(minutes) * time.Minute)
		r := &record{}
		r.setTime("deadline", at)
		r.set("minutes", strconv.Itoa(minutes))
		r.set("by", by)
		return s.writeRecord(pendingReload, "aclsh reload", r)
	})
	return at, err
}

// CancelReload cancels a scheduled reload and returns when it was due.
func (s *Store) CancelReload() (was time.Time, err error) {
	err = s.locked(true, func() error {
		r, err := s.readRecord(pendingReload)
		if err != nil {
			return err
		}
		if r == nil {
			return errors.New("no reload is scheduled")
		}
		if err := s.removeRecord(pendingReload); err != nil {
			return err
		}
		was = r.time("deadline")
		return nil
	})
	return was, err
}

// OpenSession opens or resumes a session (name "": the first free sN): a new
// one starts as a copy of the running-config, owned by owner.
func (s *Store) OpenSession(name, owner string) (*Session, error) {
	var f *Session
	err := s.locked(true, func() error {
		names, err := s.sessionNames(true)
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
		f, err = s.readSession(name, nil)
		if err != nil {
			return err
		}
		if f == nil {
			run, err := s.Running()
			if err != nil {
				return err
			}
			r := &record{}
			r.set("owner", owner)
			r.setTime("created", now())
			r.set("base", configHash(run.Render()))
			r.set("state", "open")
			f = &Session{name: name, rec: r, cand: run.Clone(), created: now()}
			if err := s.writeSession(f); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// ChangeSession applies a change typed in the session to its candidate and saves
// it; nothing reaches the running-config or the kernel. It returns the session
// as saved.
func (s *Store) ChangeSession(cur *Session, change func(*acl.Config) error) (*Session, error) {
	var out *Session
	err := s.locked(true, func() error {
		f, err := s.currentSession(cur)
		if err != nil {
			return err
		}
		cand := f.cand.Clone()
		if err := change(cand); err != nil {
			return err
		}
		nf := *f
		nf.cand = cand
		if err := s.writeSession(&nf); err != nil {
			return err
		}
		out = &nf
		return nil
	})
	return out, err
}

// currentSession reads a shell's session again (another shell may have changed
// it); a *SessionGone says why if it is gone. The caller holds the lock.
func (s *Store) currentSession(cur *Session) (*Session, error) {
	name := cur.name
	f, err := s.readSession(name, cur)
	if err != nil {
		return nil, err
	}
	if f == nil {
		why := "committed or aborted by another shell"
		if n := s.RollbackNotice(); strings.Contains(n, "session "+name+" ") {
			why = strings.TrimPrefix(n, "% ")
		}
		return nil, &SessionGone{Name: name, Why: why}
	}
	return f, nil
}

// CommitSession applies the session's candidate as one commit (all or nothing,
// one kernel transaction, the file written before the kernel is changed). With a
// timer, the running-config before is saved first as the rollback record, so
// that the follow daemon (or any aclsh that takes the lock later) restores it when
// the timer runs out unless a plain commit of the session confirms it.
//
// guard is the lockout guard: it is given the running-config and the candidate
// and the timer, and refuses the commit with an error. by names who commits;
// enforce makes the kernel match a config. It returns what to tell the operator
// ("" for nothing).
func (s *Store) CommitSession(cur *Session, timer time.Duration, by string, guard func(old, cand *acl.Config) error, enforce func(*acl.Config) error) (string, error) {
	var msg string
	err := s.locked(true, func() error {
		f, err := s.currentSession(cur)
		if err != nil {
			return err
		}
		name := f.name
		old, err := s.Running()
		if err != nil {
			return err
		}
		pend, err := s.readRecord(pendingCommit)
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
			if err := s.removeRecord(pendingCommit); err != nil {
				return err
			}
			msg = fmt.Sprintf("%% Session %s confirmed: the commit timer is cancelled", name)
			return s.removeRecord(sessionPrefix + name)
		}
		if configHash(old.Render()) != f.rec.get("base") {
			return fmt.Errorf("the running-config changed since session %s started (another shell committed); nothing was applied: see show session-config diffs, then abort and start a new session", name)
		}
		cand := f.cand.Clone()
		if err := guard(old, cand); err != nil {
			return err
		}
		if timer > 0 {
			prev := old.Render()
			if confirming {
				prev = pend.text // the config before the first timed commit
			}
			at := now().Add(timer)
			p := &record{}
			p.set("session", name)
			p.set("by", by)
			p.setTime("deadline", at)
			p.text = prev
			// Before the kernel changes: if this process dies now, the change
			// is still rolled back.
			if err := s.writeRecord(pendingCommit, "aclsh commit timer: the running-config to restore", p); err != nil {
				return fmt.Errorf("saving the rollback record: %w; nothing was applied", err)
			}
			if err := s.commitCand(old, cand, enforce); err != nil {
				if confirming {
					s.writeRecord(pendingCommit, "aclsh commit timer: the running-config to restore", pend)
				} else {
					s.removeRecord(pendingCommit)
				}
				return err
			}
			nf := *f
			nf.rec.set("state", "pending")
			nf.rec.set("base", configHash(cand.Render()))
			nf.rec.setTime("deadline", at)
			if err := s.writeSession(&nf); err != nil {
				return err
			}
			msg = fmt.Sprintf("%% Session %s committed; it is rolled back at %s (in %s) unless confirmed: configure session %s, then commit",
				name, showTime(at), fmtTimer(timer), name)
			return nil
		}
		if err := s.commitCand(old, cand, enforce); err != nil {
			return err
		}
		if confirming {
			s.removeRecord(pendingCommit)
			msg = fmt.Sprintf("%% Session %s confirmed: the commit timer is cancelled", name)
		}
		return s.removeRecord(sessionPrefix + name)
	})
	return msg, err
}

// commitCand makes cand the running-config, enforced; the caller holds the lock.
func (s *Store) commitCand(old, cand *acl.Config, enforce func(*acl.Config) error) error {
	if cand.Equal(old) {
		return nil
	}
	_, err := s.commit(old, cand, enforce)
	return err
}

func fmtTimer(d time.Duration) string {
	t := int(d / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", t/3600, t/60%60, t%60)
}

// AbortSession discards the session. If it was committed with a timer, the
// running-config from before is restored at once. It returns what to tell the
// operator ("" for nothing).
func (s *Store) AbortSession(cur *Session, enforce func(*acl.Config) error) (string, error) {
	var msg string
	err := s.locked(true, func() error {
		f, err := s.currentSession(cur)
		if err != nil {
			return err
		}
		pend, err := s.readRecord(pendingCommit)
		if err != nil {
			return err
		}
		if pend != nil && pend.get("session") == f.name {
			prev, err := cli.LoadConfig(pend.text)
			if err != nil {
				return fmt.Errorf("the rollback record: %w", err)
			}
			old, err := s.Running()
			if err != nil {
				return err
			}
			if err := s.commitCand(old, prev, enforce); err != nil {
				return err
			}
			s.removeRecord(pendingCommit)
			msg = fmt.Sprintf("%% Session %s aborted: the running-config from before its commit was restored", f.name)
		}
		return s.removeRecord(sessionPrefix + f.name)
	})
	return msg, err
}

// SessionConfig returns a session's candidate and the running-config, read
// together under the lock.
func (s *Store) SessionConfig(name string) (run, cand *acl.Config, err error) {
	err = s.View(func(r *acl.Config) error {
		f, err := s.readSession(name, nil)
		if err != nil {
			return err
		}
		if f == nil {
			return fmt.Errorf("no configuration session %s (show configuration sessions)", name)
		}
		run, cand = r, f.cand
		return nil
	})
	return run, cand, err
}

// SessionInfo is a session as show configuration sessions lists it.
type SessionInfo struct {
	Name string
	// State: pending (not committed), changed (pending, and the running-config
	// changed since it started), committed (with a commit timer running) or
	// unreadable.
	State      string
	RollbackAt string // committed: when it is rolled back unless confirmed
	User       string
	Created    string
}

// ReloadInfo is a scheduled reload in MINUTES.
type ReloadInfo struct {
	At, By string
}

// Sessions lists the sessions in the state directory (removing those that
// expired) and the reload scheduled, if any.
func (s *Store) Sessions() (rows []SessionInfo, reload *ReloadInfo, err error) {
	err = s.View(func(run *acl.Config) error {
		names, err := s.sessionNames(true)
		if err != nil {
			return err
		}
		pend, _ := s.readRecord(pendingCommit)
		base := configHash(run.Render())
		for _, n := range names {
			row := SessionInfo{Name: n}
			f, err := s.readSession(n, nil)
			if err != nil || f == nil {
				row.State = "unreadable"
				rows = append(rows, row)
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
			rows = append(rows, row)
		}
		if r, _ := s.readRecord(pendingReload); r != nil {
			reload = &ReloadInfo{At: showTime(r.time("deadline")), By: r.get("by")}
		}
		return nil
	})
	return rows, reload, err
}

// Notices returns what a starting shell should say: an automatic rollback in
// the last 24 hours, a commit timer or a reload that is running; one line each.
func (s *Store) Notices() []string {
	var out []string
	if n := s.RollbackNotice(); n != "" {
		out = append(out, n)
	}
	if p, _ := s.readRecord(pendingCommit); p != nil {
		out = append(out, fmt.Sprintf("%% Session %s (committed by %s) is rolled back at %s unless confirmed: configure session %s, then commit",
			p.get("session"), p.get("by"), showTime(p.time("deadline")), p.get("session")))
	}
	if p, _ := s.readRecord(pendingReload); p != nil {
		out = append(out, fmt.Sprintf("%% Reload scheduled for %s by %s: the startup-config will replace the running-config (reload cancel)",
			showTime(p.time("deadline")), p.get("by")))
	}
	return out
}
