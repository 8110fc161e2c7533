// Package config is the state directory and the one commit pipeline: the
// running-config and startup-config files, written atomically (temp file, fsync,
// the kernel, rename, roll-back), configuration sessions, commit timers and
// reload, the users registry. It runs inside the daemon, the one owner.
package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/cli"
)

// Store is the state directory: running-config and startup-config as canonical CLI
// text, written atomically (temp file, fsync, rename) under an exclusive flock on
// DIR/lock. Every shell on the host shares it. A Store is safe for concurrent
// use: commits take its commit mutex (which also lets a signal handler wait for a
// commit in progress) and the parsed config's cache has a lock of its own.
//
// The directory is shared by a group of operators and read by root processes, so
// its files are opened without following symlinks, and only regular files with
// one link, owned by root, by this user or by the directory's group, of at most
// MaxConfigSize bytes, are read.
type Store struct {
	Dir string
	// Kernel, if set, is the kernel the running-config is enforced in (see
	// Kernel). Nil: a missing running-config is never the kernel's business,
	// and nothing is healed or learnt.
	Kernel Kernel
	// Passive: this process never changes the kernel on its own: it carries
	// out no due commit timer or reload and heals nothing (aclsh --check). It
	// still asks Kernel whether it holds the table. See runDue.
	Passive bool
	// MaxSize is the largest running-config written, in bytes (0:
	// MaxConfigSize); tests lower it.
	MaxSize int
	// Logf, if set, logs what happens without an operator: rollbacks done by
	// a commit timer or a reload (the follow daemon: its standard error).
	Logf func(format string, args ...any)

	lastLog string // the last message logged by logOnce (under mu)

	mu     sync.Mutex // held during a commit
	cmu    sync.Mutex // guards the cache
	cache  *acl.Config
	cacheK fileKey
}

// Kernel is what the Store asks of the kernel that enforces the running-config
// (enforcer.Enforcer). A commit's own enforce function is its caller's (the
// shell wraps the kernel's refusals); these are the Store's own needs.
type Kernel interface {
	// HoldsTable reports whether the kernel enforces a table aclsh made. A
	// missing running-config is then an error rather than an empty config:
	// reading it as empty would remove the table at the next commit. An error
	// (the kernel could not be asked) is an error too.
	HoldsTable() (bool, error)
	// Apply makes the kernel match a config. The Store calls it under the
	// lock when a process was killed between changing the kernel and renaming
	// the new running-config into place (its synced temp file is left): the
	// kernel may then be ahead of the file (healing), and when a commit timer
	// or reload runs out.
	Apply(cfg *acl.Config) error
	// Learn is told before a commit's enforce the config the kernel enforces
	// now (the running-config, under the lock): the enforcer then knows what
	// the lines a commit removes were, without listing every session to find
	// out.
	Learn(old *acl.Config)
}

// heal is the function that puts the kernel in step with a config after a
// killed commit, nil when this Store does not change the kernel on its own.
func (s *Store) heal() func(*acl.Config) error {
	if s.Kernel == nil || s.Passive {
		return nil
	}
	return s.Kernel.Apply
}

// learn tells the kernel the config it enforces now (Kernel.Learn).
func (s *Store) learn(old *acl.Config) {
	if s.Kernel != nil && !s.Passive {
		s.Kernel.Learn(old)
	}
}

// SizeCap is the largest running-config this Store writes, in bytes.
func (s *Store) SizeCap() int {
	if s.MaxSize > 0 {
		return s.MaxSize
	}
	return MaxConfigSize
}

type fileKey struct {
	dev, ino, size, mtime, ctime int64
}

// The state directory's files.
const (
	RunningName  = "running-config"
	StartupName  = "startup-config"
	LastGoodName = "running-config.last-good"
	LockName     = "lock"
	TmpPrefix    = ".tmp-"
	// MaxConfigSize caps the size of a config file aclsh reads (about 400,000
	// lines); a larger file is refused, not read.
	MaxConfigSize = 64 << 20
)

// Sources a running-config can be copied from (copy SRC running-config).
const (
	FromStartup  = StartupName
	FromLastGood = "last-good-config"
)

func (s *Store) path(name string) string { return filepath.Join(s.Dir, name) }

// StateError says the running-config cannot be used: it is missing while the
// kernel or the state directory says there was one, or it does not load. Nothing
// is changed while it lasts; the kernel keeps enforcing what it had.
type StateError struct {
	Path    string
	Missing bool
	Err     error // why it does not load, or why a missing file is an error
	// The ways back that exist.
	Startup, LastGood bool
}

// StateError marks the error type for packages that cannot import config (the
// follow daemon logs such an error once, not at every refresh).
func (e *StateError) StateError() {}

func (e *StateError) Error() string {
	var b strings.Builder
	if e.Missing {
		fmt.Fprintf(&b, "%s is missing, but %v", e.Path, e.Err)
	} else {
		fmt.Fprintf(&b, "%s cannot be used: %v", e.Path, e.Err)
	}
	b.WriteString("; nothing is changed and the kernel keeps enforcing what it had until the running-config is restored")
	var ways []string
	if e.Startup {
		ways = append(ways, "copy startup-config running-config (which replaces it: there is nothing to merge into)")
	}
	if e.LastGood {
		ways = append(ways, "copy last-good-config running-config (the config aclsh last committed)")
	}
	if len(ways) > 0 {
		b.WriteString(": " + strings.Join(ways, ", or "))
	}
	if e.Missing {
		fmt.Fprintf(&b, "; to start from an empty config, create an empty file (touch %s)", e.Path)
	}
	return b.String()
}

// Load returns the running-config. A missing file is an empty config on a fresh
// host; it is a *StateError when a startup-config or a last good config exists or
// the kernel holds aclsh's table. The parsed config is cached while the file is
// unchanged (same inode, size and modification time); callers get their own copy.
func (s *Store) Load() (*acl.Config, error) {
	cfg, err := s.Running()
	if err != nil {
		return nil, err
	}
	return cfg.Clone(), nil
}

// Current is Running for a reader outside a commit: it waits for a commit of
// this process to end, so that it never reads between the kernel's change and
// the rename of the running-config (a missing running-config beside a table
// would read as a broken state directory). The daemon, the one owner, commits
// only in its own process.
func (s *Store) Current() (*acl.Config, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Running()
}

// Running returns the cached running-config itself, for a caller inside a
// commit (a change function, under the lock); outside one, Current. It is: the same pointer while the file
// is unchanged. Nothing changes a cached config (Update and Replace change a
// copy), so callers may keep it, and must not change it.
func (s *Store) Running() (*acl.Config, error) {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	p := s.path(RunningName)
	f, fi, err := s.open(RunningName)
	if errors.Is(err, os.ErrNotExist) {
		if err := s.missing(); err != nil {
			return nil, err
		}
		if s.cache == nil || s.cacheK != (fileKey{}) {
			s.cache, s.cacheK = acl.NewConfig(), fileKey{}
		}
		return s.cache, nil
	}
	if err != nil {
		return nil, s.broken(err)
	}
	defer f.Close()
	k := keyOf(fi)
	if s.cache != nil && k == s.cacheK {
		return s.cache, nil
	}
	data, err := readCapped(f, p, fi.Size())
	if err != nil {
		return nil, s.broken(err)
	}
	cfg, err := cli.LoadConfig(string(data))
	if err != nil {
		return nil, s.broken(err)
	}
	s.cache, s.cacheK = cfg, k
	return cfg, nil
}

// missing says whether a missing running-config is an error, and why.
func (s *Store) missing() error {
	e := &StateError{Path: s.path(RunningName), Missing: true}
	e.Startup, e.LastGood = s.exists(StartupName), s.exists(LastGoodName)
	var holds bool
	var herr error
	if s.Kernel != nil {
		holds, herr = s.Kernel.HoldsTable()
	}
	switch {
	case herr != nil:
		e.Err = fmt.Errorf("aclsh cannot tell whether the kernel enforces table inet aclsh: %w", herr)
	case holds:
		e.Err = errors.New("the kernel enforces table inet aclsh")
	case e.Startup:
		e.Err = errors.New("a startup-config exists")
	case e.LastGood:
		e.Err = errors.New("aclsh committed a config before")
	default:
		return nil // a fresh host
	}
	return e
}

func (s *Store) broken(err error) error {
	return &StateError{Path: s.path(RunningName), Err: err, Startup: s.exists(StartupName), LastGood: s.exists(LastGoodName)}
}

func (s *Store) exists(name string) bool {
	f, _, err := s.open(name)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// open opens DIR/name for reading, refusing what a root process must not read on
// behalf of whoever can write the directory: a symlink, anything but a regular
// file (a FIFO would hang the reader, a device would never end), a file with
// other links (a hard link to a file elsewhere), or one owned by neither root,
// this user nor the directory's group.
//
// A file with no links was replaced (renamed over) by a commit between the open
// and the check, which happens when a shell reads while another commits without
// the lock: it is opened again, to read the file that replaced it.
func (s *Store) open(name string) (*os.File, os.FileInfo, error) {
	for try := 0; ; try++ {
		f, fi, err := s.openOnce(name)
		if err == errReplaced && try < 10 {
			continue
		}
		return f, fi, err
	}
}

// errReplaced: the file opened has no links any more.
var errReplaced = errors.New("replaced while being opened")

func (s *Store) openOnce(name string) (*os.File, os.FileInfo, error) {
	p := s.path(name)
	// Look before opening: opening a device can have effects of its own.
	var pre unix.Stat_t
	if err := unix.Fstatat(unix.AT_FDCWD, p, &pre, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return nil, nil, &os.PathError{Op: "stat", Path: p, Err: err}
	}
	switch pre.Mode & unix.S_IFMT {
	case unix.S_IFREG:
	case unix.S_IFLNK:
		return nil, nil, fmt.Errorf("%s is a symbolic link; aclsh reads only regular files", p)
	default:
		return nil, nil, fmt.Errorf("%s is not a regular file; aclsh reads only regular files", p)
	}
	// O_NOFOLLOW and the checks again on what was opened: it may have been
	// replaced in between. O_NONBLOCK: opening a FIFO must not wait for a writer.
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if err == unix.ELOOP {
			return nil, nil, fmt.Errorf("%s is a symbolic link; aclsh reads only regular files", p)
		}
		return nil, nil, &os.PathError{Op: "open", Path: p, Err: err}
	}
	f := os.NewFile(uintptr(fd), p)
	fi, err := f.Stat()
	if err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink == 0 && fi.Mode().IsRegular() {
			err = errReplaced
		} else {
			err = s.trusted(p, fi)
		}
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// trusted checks a state file's type, links and owner.
func (s *Store) trusted(p string, fi os.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file (%s); aclsh reads only regular files", p, fi.Mode().Type())
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if st.Nlink != 1 {
		return fmt.Errorf("%s has %d hard links; aclsh reads only files with one", p, st.Nlink)
	}
	if st.Uid == 0 || int(st.Uid) == os.Geteuid() {
		return nil
	}
	if di, err := os.Stat(s.Dir); err == nil {
		if dst, ok := di.Sys().(*syscall.Stat_t); ok && dst.Gid == st.Gid {
			return nil
		}
	}
	return fmt.Errorf("%s is owned by uid %d gid %d: neither root, this user nor the state directory's group", p, st.Uid, st.Gid)
}

// readCapped reads at most MaxConfigSize bytes of f; size is what its stat says
// (a hint: the file may grow or shrink meanwhile).
func readCapped(f *os.File, p string, size int64) ([]byte, error) {
	data := make([]byte, 0, min(max(size, 0), MaxConfigSize)+512)
	for len(data) <= MaxConfigSize {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := f.Read(data[len(data):min(cap(data), MaxConfigSize+1)])
		data = data[:len(data)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(data) > MaxConfigSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", p, MaxConfigSize)
	}
	return data, nil
}

func keyOf(fi os.FileInfo) fileKey {
	k := fileKey{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		// ctime cannot be set by hand (mtime can: touch -d, cp -p), and inode
		// numbers are reused.
		k.dev, k.ino, k.ctime = int64(st.Dev), int64(st.Ino), st.Ctim.Nano()
	}
	return k
}

// Update locks the store, loads the running-config and lets change modify it.
// If change succeeds, the new running-config is written and synced to a temp
// file, then enforce (if not nil) makes the kernel match it, then the file
// replaces the running-config: the kernel and the file change together. If
// enforce fails nothing was changed; if saving fails after the kernel accepted,
// the kernel is put back to the config before (and the error says whether that
// worked). It returns the config as committed, which is the store's cached
// running-config now: the caller must not change it.
func (s *Store) Update(change, enforce func(cfg *acl.Config) error) (*acl.Config, error) {
	return s.UpdateFrom(nil, nil, change, enforce)
}

// UpdateFrom is Update for a caller that already made the new config: when the
// running-config is still base (the same cached config: nothing was committed
// since the caller read it), change gets next itself rather than a copy of the
// running-config, and the copy is not made (a script's commit). change must
// then leave next as it is, or check it (the lockout guard does).
func (s *Store) UpdateFrom(base, next *acl.Config, change, enforce func(cfg *acl.Config) error) (*acl.Config, error) {
	var out *acl.Config
	err := s.locked(true, func() error {
		old, err := s.Running()
		if err != nil {
			return err
		}
		cfg := next
		if old != base || next == nil {
			cfg = old.Clone()
		}
		if err := change(cfg); err != nil {
			return err
		}
		out, err = s.commit(old, cfg, enforce)
		return err
	})
	return out, err
}

// Replace makes the running-config the config saved as from (FromStartup or
// FromLastGood), with change (if not nil) applied to it, enforced as Update does.
// It works while the running-config is missing or does not load: it is the way
// back. Like Update, it returns the cached config, not to be changed.
func (s *Store) Replace(from string, change, enforce func(cfg *acl.Config) error) (*acl.Config, error) {
	var out *acl.Config
	err := s.locked(true, func() error {
		cfg, err := s.Saved(from)
		if err != nil {
			return err
		}
		if change != nil {
			if err := change(cfg); err != nil {
				return err
			}
		}
		old, err := s.Running()
		if err != nil {
			old = nil // unknown: if saving fails, the kernel cannot be put back
		}
		out, err = s.commit(old, cfg, enforce)
		return err
	})
	return out, err
}

// ErrNoStartup: there is no startup-config (nothing was saved with write memory).
var ErrNoStartup = cli.ErrNoStartup

// Saved loads a saved config: FromStartup or FromLastGood. A missing
// startup-config is ErrNoStartup.
func (s *Store) Saved(from string) (*acl.Config, error) {
	name := StartupName
	if from == FromLastGood {
		name = LastGoodName
	}
	text, err := s.readFile(name)
	if errors.Is(err, os.ErrNotExist) {
		if from == FromLastGood {
			return nil, errors.New("there is no last good config: aclsh has not committed one in this state directory")
		}
		return nil, ErrNoStartup
	}
	if err != nil {
		return nil, err
	}
	cfg, err := cli.LoadConfig(text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.path(name), err)
	}
	return cfg, nil
}

// commit writes cfg as the running-config with the kernel in step (see Update)
// and returns the config committed, the cached running-config (cfg, or old
// when they are equal).
// old is the config the kernel enforced before, nil if unknown. Once the file is
// in place, cfg becomes the cached running-config for the file's identity (the
// temp file's: a rename keeps inode, size and modification time), so the next
// line does not parse what this process just wrote; cfg must not be changed
// afterwards.
//
// A config equal to old (a line the running-config already holds, the same
// script again) changes nothing on disk: the running-config and the last good
// config keep their bytes, inode and times, and cfg is not cached (old is, and
// equals it). The kernel is still made to match it, as a commit always does: it
// sends nothing when in step and mends a table changed by hand (aclsh boot
// re-applies the running-config this way). A missing last good config is
// written: it is the way back.
func (s *Store) commit(old, cfg *acl.Config, enforce func(*acl.Config) error) (*acl.Config, error) {
	if old != nil && cfg.Equal(old) && s.exists(RunningName) {
		if enforce != nil {
			s.learn(old)
			if err := enforce(cfg); err != nil {
				return nil, err
			}
		}
		if !s.exists(LastGoodName) {
			if _, lg, err := s.renderTemps(cfg, false, true); err == nil {
				s.installLastGood(lg)
			}
		}
		return old, nil
	}
	if err := cfg.CheckBindings(); err != nil {
		// Refused when read back, it would leave the next start with nothing.
		return nil, fmt.Errorf("%w; nothing was applied", err)
	}
	tmp, lg, err := s.renderTemps(cfg, true, true)
	if err != nil {
		return nil, err
	}
	defer func() {
		if lg != "" {
			os.Remove(lg) // not installed: the commit failed
		}
	}()
	var k fileKey
	if fi, err := os.Lstat(tmp); err == nil {
		k = keyOf(fi)
	}
	if enforce != nil {
		if old != nil {
			s.learn(old)
		}
		if err := enforce(cfg); err != nil {
			os.Remove(tmp)
			return nil, err
		}
	}
	if err := s.install(tmp, RunningName); err != nil {
		os.Remove(tmp)
		err = fmt.Errorf("saving the running-config: %w", err)
		if enforce == nil {
			return nil, fmt.Errorf("%w; nothing was applied", err)
		}
		if old == nil {
			return nil, fmt.Errorf("%w; the kernel enforces the new config, which the running-config does not have", err)
		}
		if rerr := enforce(old); rerr != nil {
			if u := errors.Unwrap(rerr); u != nil {
				rerr = u // the kernel's reason, without "nothing was changed"
			}
			return nil, fmt.Errorf("%w; putting the kernel back failed too (%v): the kernel enforces the new config, which the running-config does not have", err, rerr)
		}
		return nil, fmt.Errorf("%w; the kernel was put back to the config before, nothing was applied", err)
	}
	if k != (fileKey{}) {
		// The rename changed the file's ctime: the key is the file's now, if it
		// is still the file written (same device, inode, size and mtime).
		if fi, err := os.Lstat(s.path(RunningName)); err == nil {
			if now := keyOf(fi); now.dev == k.dev && now.ino == k.ino && now.size == k.size && now.mtime == k.mtime {
				s.cmu.Lock()
				s.cache, s.cacheK = cfg, now
				s.cmu.Unlock()
			}
		}
	}
	s.installLastGood(lg)
	lg = ""
	return cfg, nil
}

// installLastGood puts in place the config committed as the last good config
// (a temp file of renderTemps; "": none): the way back if the running-config
// is damaged later. Not synced: the running-config is, and a lost copy only
// loses a fallback.
func (s *Store) installLastGood(tmp string) {
	if tmp != "" && os.Rename(tmp, s.path(LastGoodName)) != nil {
		os.Remove(tmp)
	}
}

// renderTemps writes cfg's text (Render) to new temp files: a synced one for
// the running-config (running) and an unsynced one for the last-good config
// (lastGood). The text is rendered once, into both, and never held whole: a
// million-line config is 40 MB. A text larger than SizeCap is refused, and
// nothing is left behind. With running, the last-good file is best effort: if
// it cannot be made or written, lgtmp is "" and the running-config's file
// stands.
func (s *Store) renderTemps(cfg *acl.Config, running, lastGood bool) (rtmp, lgtmp string, err error) {
	var main, extra *os.File // extra: the last-good file beside the running-config's
	defer func() {
		for _, f := range []*os.File{main, extra} {
			if f != nil && err != nil {
				f.Close()
				os.Remove(f.Name())
			}
		}
	}()
	if running {
		if main, err = os.CreateTemp(s.Dir, TmpPrefix+RunningName+"-*"); err != nil {
			return "", "", fmt.Errorf("saving the running-config: %w; nothing was applied", err)
		}
	}
	if lastGood {
		g, gerr := createTemp(s.Dir, TmpPrefix+LastGoodName+"-*")
		switch {
		case gerr != nil && !running:
			return "", "", gerr
		case !running:
			main = g
		case gerr == nil:
			extra = g
		}
	}
	w := &teeWriter{w: main}
	if extra != nil {
		w.extra = extra
	}
	capped := &capWriter{w: w, left: int64(s.SizeCap())}
	n, err := cfg.WriteTo(capped)
	if err == nil && capped.left < 0 {
		// It would be written, enforced and then refused by every later read,
		// copy last-good-config running-config included.
		return "", "", fmt.Errorf("the running-config would be %.1f MiB, more than the %d MiB aclsh reads back; nothing was applied",
			float64(n)/(1<<20), s.SizeCap()>>20)
	}
	if err == nil {
		err = main.Chmod(0o660)
	}
	if err == nil && running {
		err = main.Sync()
	}
	if cerr := main.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", "", fmt.Errorf("saving the running-config: %w; nothing was applied", err)
	}
	if !running {
		return "", main.Name(), nil
	}
	if extra != nil {
		if w.err == nil {
			w.err = extra.Chmod(0o660)
		}
		if cerr := extra.Close(); w.err == nil {
			w.err = cerr
		}
		if w.err != nil {
			os.Remove(extra.Name()) // only a fallback is lost
		} else {
			lgtmp = extra.Name()
		}
		extra = nil
	}
	return main.Name(), lgtmp, nil
}

// teeWriter writes to w and, while that works, to extra (when not nil): an
// error writing extra is kept in err and stops only extra's copy.
type teeWriter struct {
	w     io.Writer
	extra io.Writer
	err   error
}

func (t *teeWriter) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	if err == nil && t.extra != nil && t.err == nil {
		_, t.err = t.extra.Write(p)
	}
	return n, err
}

// capWriter writes to w until left bytes are written, then only counts (left
// goes below zero): a text over the cap is measured, not written.
type capWriter struct {
	w    io.Writer
	left int64
}

func (c *capWriter) Write(p []byte) (int, error) {
	c.left -= int64(len(p))
	if c.left < 0 {
		return len(p), nil
	}
	return c.w.Write(p)
}

// View calls f with the running-config while holding the state lock, so that no
// commit happens meanwhile; f must not change the config. It is the same pointer
// while the file is unchanged, so a caller can tell whether it changed.
func (s *Store) View(f func(cfg *acl.Config) error) error {
	return s.locked(false, func() error {
		cfg, err := s.Running()
		if err != nil {
			return err
		}
		return f(cfg)
	})
}

// SaveStartup copies the running-config to startup-config.
func (s *Store) SaveStartup() error { return s.SaveStartupConfig(nil) }

// SaveStartupConfig writes cfg (nil: the running-config) as the startup-config. On a
// fresh host, where nothing was committed yet and the running-config is missing
// (an empty config), it writes the running-config too: a startup-config next to
// a missing running-config would make the running-config missing for good
// (Store.missing), and the kernel enforces nothing, as an empty config says.
func (s *Store) SaveStartupConfig(cfg *acl.Config) error {
	return s.locked(true, func() error {
		running, err := s.Running()
		if err != nil {
			return err
		}
		if cfg == nil {
			cfg = running
		}
		if !s.exists(RunningName) {
			if err := s.writeFile(RunningName, running.Render()); err != nil {
				return fmt.Errorf("saving the running-config: %w", err)
			}
		}
		return s.writeFile(StartupName, cfg.Render())
	})
}

// writeFile writes DIR/name as a synced temp file renamed into place. The caller
// holds the lock.
func (s *Store) writeFile(name, text string) error {
	tmp, err := s.writeTemp(name, text)
	if err != nil {
		return err
	}
	if err := s.install(tmp, name); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// Startup returns the startup-config text.
func (s *Store) Startup() (string, error) {
	text, err := s.readFile(StartupName)
	if errors.Is(err, os.ErrNotExist) {
		return "", ErrNoStartup
	}
	return text, err
}

// StartupText returns the startup-config text as it is, os.ErrNotExist when
// there is none.
func (s *Store) StartupText() (string, error) { return s.readFile(StartupName) }

// Cached returns the parsed running-config the Store holds, nil if it holds
// none (tests and benchmarks see what was parsed).
func (s *Store) Cached() *acl.Config {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	return s.cache
}

// readFile reads a state file through open's checks, capped.
func (s *Store) readFile(name string) (string, error) {
	f, fi, err := s.open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	data, err := readCapped(f, s.path(name), fi.Size())
	return string(data), err
}

// locked holds the commit mutex and the state lock while f runs. Only commits
// (create) make a missing state directory: a reader (a shell's show, the follow
// daemon) must not re-create one that was removed, with its own owner and mode,
// locking the operators' group out. Without the directory there is nothing to
// lock and f runs on what a missing running-config reads as.
func (s *Store) locked(create bool, f func() error) error {
	return s.lockedDue(create, true, f)
}

// lockedDue is locked; due false leaves a commit timer or reload whose time has
// come alone (DropPending removes them instead).
func (s *Store) lockedDue(create, due bool, f func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !create {
		if _, err := os.Stat(s.Dir); errors.Is(err, os.ErrNotExist) {
			return f()
		}
	}
	unlock, stale, err := s.lock(create)
	if errors.Is(err, errNoDir) {
		return f() // removed between the look above and the lock: as above
	}
	if err != nil {
		return err
	}
	defer unlock()
	if heal := s.heal(); stale != "" && heal != nil {
		// A commit was killed after it may have changed the kernel and before
		// it renamed the running-config: put the kernel back in step with the
		// file, and keep the temp file until that worked.
		if cfg, err := s.Running(); err == nil && heal(cfg) == nil {
			os.Remove(stale)
		}
	} else if stale != "" {
		os.Remove(stale)
	}
	// A commit timer or reload whose time has come is carried out first, by
	// whichever process takes the lock (the follow daemon does every second).
	if due {
		s.runDue()
	}
	return f()
}

// Wait blocks until no commit is in progress and keeps commits from starting; used
// on SIGHUP so that the process exits between commits.
func (s *Store) Wait() { s.mu.Lock() }

// errNoDir: a reader found no state directory to lock (never made by it).
var errNoDir = errors.New("no state directory")

// lock takes the exclusive flock on DIR/lock. flock needs only a read
// descriptor, so any member of the directory's group can lock whoever created
// the file and whatever their umask was; the lock is created group-readable.
func (s *Store) lock(create bool) (unlock func(), stale string, err error) {
	if create {
		if err := os.MkdirAll(s.Dir, 0o750); err != nil {
			return nil, "", fmt.Errorf("state directory: %w", err)
		}
	} else if _, err := os.Stat(s.Dir); errors.Is(err, os.ErrNotExist) {
		return nil, "", errNoDir
	}
	if di, err := os.Stat(s.Dir); err == nil && di.Mode().Perm()&0o002 != 0 && di.Mode()&os.ModeSticky == 0 {
		return nil, "", fmt.Errorf("state directory %s is writable by everyone; make it writable by root and the operators' group only (install -d -m 2770 -g GROUP %s)", s.Dir, s.Dir)
	}
	p := s.path(LockName)
	var f *os.File
	for range 3 {
		fd, err := unix.Open(p, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err == unix.ENOENT {
			fd, err = unix.Open(p, unix.O_RDONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o660)
			if err == nil {
				unix.Fchmod(fd, 0o660) // whatever the umask
			} else if err == unix.EEXIST {
				continue // another process created it meanwhile
			}
		}
		if err == unix.ELOOP {
			return nil, "", fmt.Errorf("state lock %s is a symbolic link; remove it", p)
		}
		if err == unix.EACCES {
			return nil, "", fmt.Errorf("state lock: %w (the operators' group needs read access: chmod 0660 %s)", &os.PathError{Op: "open", Path: p, Err: err}, p)
		}
		if err != nil {
			return nil, "", fmt.Errorf("state lock: %w", &os.PathError{Op: "open", Path: p, Err: err})
		}
		f = os.NewFile(uintptr(fd), p)
		break
	}
	if f == nil {
		return nil, "", fmt.Errorf("state lock %s: created and removed again meanwhile", p)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, "", fmt.Errorf("state lock %s is not a regular file; remove it", p)
	}
	if err := flock(f); err != nil {
		f.Close()
		return nil, "", fmt.Errorf("state lock: %w", err)
	}
	// Temp files left by a process killed mid-write (SIGKILL) are garbage,
	// except that a synced running-config temp file says the kernel may have
	// changed without the file: the caller decides about that one.
	old, _ := filepath.Glob(filepath.Join(s.Dir, TmpPrefix+"*"))
	for _, o := range old {
		if strings.HasPrefix(filepath.Base(o), TmpPrefix+RunningName+"-") && stale == "" {
			stale = o
			continue
		}
		os.Remove(o)
	}
	return func() { f.Close() }, stale, nil
}

func flock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			return err
		}
	}
}

// writeTemp writes text to a new temp file in the directory and syncs it; install
// then puts it in place.
func (s *Store) writeTemp(name, text string) (_ string, err error) {
	f, err := os.CreateTemp(s.Dir, TmpPrefix+name+"-*")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.WriteString(text); err != nil {
		return "", err
	}
	if err = f.Chmod(0o660); err != nil {
		return "", err
	}
	if err = f.Sync(); err != nil {
		return "", err
	}
	if err = f.Close(); err != nil {
		return "", err
	}
	return f.Name(), nil
}

// install renames a synced temp file over DIR/name and syncs the directory.
func (s *Store) install(tmp, name string) error {
	if err := rename(tmp, s.path(name)); err != nil {
		return err
	}
	// The rename happened: the file is in place, whatever syncing the directory
	// says (a failure there only risks the rename after a crash, and putting
	// the kernel back now would make file and kernel differ).
	if d, err := os.Open(s.Dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// createTemp is os.CreateTemp for the last-good config's file; tests make it
// fail.
var createTemp = os.CreateTemp

// rename is os.Rename; tests make it fail.
var rename = os.Rename
