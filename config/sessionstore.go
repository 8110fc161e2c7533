package config

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/cli"
	"github.com/aclsh/aclsh/grammar"
	"github.com/aclsh/aclsh/internal/clock"
)

// Configuration sessions and pending rollbacks in the state directory. Every file
// goes through the Store's hardened handling: read with open's checks (no
// symlinks, regular files with one link, trusted owner, capped size), written to a
// synced temp file and renamed into place, under the state lock.
//
//	DIR/session.NAME     a session: `! key: value` header lines, then the candidate
//	                     config as canonical running-config text
//	DIR/rollback.pending the commit timer: the running-config to restore, when, why
//	DIR/reload.pending   reload in MINUTES: when (the startup-config is read then)
//	DIR/rollback.done    the last rollback done: what, when and why, for the next shells

const (
	sessionPrefix   = "session."
	pendingCommit   = "rollback.pending"
	pendingReload   = "reload.pending"
	rollbackDone    = "rollback.done"
	sessionLifetime = 24 * time.Hour
	// noticeFor is how long after a rollback new shells say it happened.
	noticeFor = 24 * time.Hour
)

func now() time.Time { return clock.Now() }

func showTime(t time.Time) string { return clock.Show(t) }

// record is a state file of `! key: value` header lines followed by config text.
type record struct {
	fields map[string]string
	order  []string
	text   string // the config text after the header
}

func (r *record) get(k string) string { return r.fields[k] }

func (r *record) set(k, v string) {
	if r.fields == nil {
		r.fields = map[string]string{}
	}
	if _, ok := r.fields[k]; !ok {
		r.order = append(r.order, k)
	}
	r.fields[k] = strings.ReplaceAll(v, "\n", " ")
}

func (r *record) time(k string) time.Time {
	n, err := strconv.ParseInt(r.get(k), 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(n)
}

// setTime stores a time in milliseconds since 1970: a timer must not run out early.
func (r *record) setTime(k string, t time.Time) { r.set(k, strconv.FormatInt(t.UnixMilli(), 10)) }

func (r *record) render(title string) string {
	var b strings.Builder
	b.WriteString("! " + title + "\n")
	for _, k := range r.order {
		fmt.Fprintf(&b, "! %s: %s\n", k, r.fields[k])
	}
	b.WriteString(r.text)
	return b.String()
}

func parseRecord(data string) *record {
	r := &record{fields: map[string]string{}}
	first := true
	for data != "" {
		line, rest, _ := strings.Cut(data, "\n")
		if !strings.HasPrefix(line, "!") {
			break
		}
		data = rest
		if first {
			first = false
			continue // the title
		}
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "! "), ": ")
		if ok {
			r.set(k, v)
		}
	}
	r.text = data
	return r
}

// readRecord reads a state file through open's checks; a missing file is
// (nil, nil).
func (s *Store) readRecord(name string) (*record, error) {
	text, err := s.readFile(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return parseRecord(text), nil
}

// writeRecord writes a state file atomically: synced temp file, rename, directory
// synced. The caller holds the lock.
func (s *Store) writeRecord(name, title string, r *record) error {
	tmp, err := s.writeTemp(name, r.render(title))
	if err != nil {
		return err
	}
	if err := s.install(tmp, name); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// removeRecord removes a state file and syncs the directory.
func (s *Store) removeRecord(name string) error {
	if err := os.Remove(s.path(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if d, err := os.Open(s.Dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// configHash identifies a config by its canonical text.
func configHash(text string) string {
	h := sha256.Sum256([]byte(text))
	return hex.EncodeToString(h[:12])
}

// Session is a configuration session as stored.
type Session struct {
	name    string
	rec     *record
	cand    *acl.Config
	key     fileKey // the file's identity when read
	created time.Time
}

// pending reports whether the session was committed with a timer not yet confirmed.
func (f *Session) pending() bool { return f.rec.get("state") == "pending" }

func (f *Session) expired(t time.Time) bool {
	return !f.pending() && t.Sub(f.created) > sessionLifetime
}

// readSession reads DIR/session.NAME (nil, nil if there is none). cached is the
// caller's copy: if the file is unchanged since, its candidate is reused.
func (s *Store) readSession(name string, cached *Session) (*Session, error) {
	fname := sessionPrefix + name
	f, fi, err := s.open(fname)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	k := keyOf(fi)
	if cached != nil && cached.key == k && cached.name == name {
		return cached, nil
	}
	data, err := readCapped(f, s.path(fname), fi.Size())
	if err != nil {
		return nil, err
	}
	r := parseRecord(string(data))
	cfg, err := cli.LoadConfig(r.text)
	if err != nil {
		return nil, fmt.Errorf("session %s (%s): %w", name, s.path(fname), err)
	}
	return &Session{name: name, rec: r, cand: cfg, key: k, created: r.time("created")}, nil
}

// writeSession saves a session with its candidate and remembers the file's identity.
func (s *Store) writeSession(f *Session) error {
	f.rec.text = f.cand.Render()
	fname := sessionPrefix + f.name
	if err := s.writeRecord(fname, "aclsh configuration session "+f.name, f.rec); err != nil {
		return fmt.Errorf("saving session %s: %w", f.name, err)
	}
	if _, fi, err := s.open(fname); err == nil {
		f.key = keyOf(fi)
	}
	return nil
}

// sessionNames lists the sessions in the state directory, removing those older
// than 24 hours (except one whose commit timer runs). The caller holds the lock.
func (s *Store) sessionNames(expire bool) ([]string, error) {
	ents, err := os.ReadDir(s.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		name, ok := strings.CutPrefix(e.Name(), sessionPrefix)
		if !ok || !e.Type().IsRegular() || grammar.ValidSessionName(name) != nil {
			continue // not a session aclsh made (and not a name to print)
		}
		if expire {
			if f, err := s.readSession(name, nil); err == nil && f != nil && f.expired(now()) {
				s.removeRecord(sessionPrefix + name)
				continue
			}
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out, nil
}

// runDue carries out a commit timer or a reload whose time has come: it restores
// the running-config saved when the timer was set (or the startup-config, for a
// reload), in the kernel and the file as any commit does, logs it, and leaves a
// record that new shells print. It runs under the lock, in every process that
// takes it (the follow daemon checks every second), except those that may not
// change the kernel (Passive) .
func (s *Store) runDue() {
	if s.Passive {
		return
	}
	for _, name := range []string{pendingCommit, pendingReload} {
		p, err := s.readRecord(name)
		if err != nil {
			s.logOnce("rollback: reading %s: %v", s.path(name), err)
			continue
		}
		if p == nil || now().Before(p.time("deadline")) {
			continue
		}
		var cfg *acl.Config
		var what, why string
		if name == pendingReload {
			cfg, err = s.Saved(FromStartup)
			what = "The startup-config was restored"
			why = "reload in " + p.get("minutes") + " by " + p.get("by")
		} else {
			cfg, err = cli.LoadConfig(p.text)
			what = "Configuration session " + p.get("session") + " was rolled back"
			why = "commit timer expired (committed by " + p.get("by") + ")"
		}
		if err == nil {
			old, oerr := s.Running()
			if oerr != nil {
				old = nil
			}
			_, err = s.commit(old, cfg, s.heal())
		}
		if err != nil {
			// Tried again at the next lock (every second in the daemon): logged once.
			s.logOnce("rollback: %s: %v", strings.ToLower(what[:1])+what[1:]+" not yet", err)
			if name == pendingReload && errors.Is(err, ErrNoStartup) {
				s.removeRecord(name) // nothing to restore, ever: say so once
			}
			continue
		}
		s.lastLog = ""
		s.removeRecord(name)
		if sess := p.get("session"); sess != "" {
			s.removeRecord(sessionPrefix + sess)
		}
		at := now()
		done := &record{}
		done.setTime("at", at)
		done.set("what", what)
		done.set("why", why)
		s.writeRecord(rollbackDone, "aclsh rollback done", done)
		s.logf("%s at %s: %s", what, showTime(at), why)
	}
}

// DropPending removes a pending commit-timer rollback and a pending reload,
// due or not, as a reboot ends them: at boot the startup-config becomes the
// running-config, and a rollback carried out afterwards would bring back the
// unsaved config it saved. It returns what it dropped (for the journal) and
// leaves a record that new shells print.
func (s *Store) DropPending() (dropped []string, err error) {
	err = s.lockedDue(false, false, func() error {
		for _, name := range []string{pendingCommit, pendingReload} {
			p, err := s.readRecord(name)
			if err != nil {
				return err
			}
			if p == nil {
				continue
			}
			what := "the pending rollback of configuration session " + p.get("session") + " (commit timer, committed by " + p.get("by") +
				", due at " + showTime(p.time("deadline")) + ")"
			if name == pendingReload {
				what = "the pending reload in " + p.get("minutes") + " by " + p.get("by") + " (due at " + showTime(p.time("deadline")) + ")"
			}
			if err := s.removeRecord(name); err != nil {
				return err
			}
			if sess := p.get("session"); sess != "" {
				s.removeRecord(sessionPrefix + sess)
			}
			dropped = append(dropped, what)
		}
		if len(dropped) > 0 {
			done := &record{}
			done.setTime("at", now())
			done.set("what", "A reboot dropped "+strings.Join(dropped, " and "))
			done.set("why", "the startup-config became the running-config")
			s.writeRecord(rollbackDone, "aclsh rollback done", done)
		}
		return nil
	})
	return dropped, err
}

func (s *Store) logf(format string, args ...any) {
	if s.Logf != nil {
		s.Logf(format, args...)
	}
}

// logOnce logs a message unless it was the last one logged.
func (s *Store) logOnce(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if msg != s.lastLog {
		s.lastLog = msg
		s.logf("%s", msg)
	}
}

// RollbackNotice returns what the last automatic rollback did, for a shell to
// print at start: "" if none happened in the last 24 hours.
func (s *Store) RollbackNotice() string {
	r, err := s.readRecord(rollbackDone)
	if err != nil || r == nil {
		return ""
	}
	at := r.time("at")
	if now().Sub(at) > noticeFor {
		return ""
	}
	return fmt.Sprintf("%% %s at %s: %s", r.get("what"), showTime(at), r.get("why"))
}
