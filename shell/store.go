package shell

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/aclsh/aclsh/acl"
)

// Store is the state directory: running-config and startup-config as canonical CLI
// text, written atomically (temp file, fsync, rename) under an exclusive flock on
// DIR/lock. Every shell on the host shares it. A Store is safe for concurrent
// use: commits take its commit mutex (which also lets a signal handler wait for a
// commit in progress) and the parsed config's cache has a lock of its own.
type Store struct {
	Dir string

	mu     sync.Mutex // held during a commit
	cmu    sync.Mutex // guards the cache
	cache  *acl.Config
	cacheK fileKey
}

type fileKey struct {
	ino, size, mtime int64
}

const (
	runningName = "running-config"
	startupName = "startup-config"
	tmpPrefix   = ".tmp-"
)

func (s *Store) path(name string) string { return filepath.Join(s.Dir, name) }

// Load returns the running-config. A missing file is an empty config. The parsed
// config is cached while the file is unchanged; callers get their own copy.
func (s *Store) Load() (*acl.Config, error) {
	cfg, err := s.shared()
	if err != nil {
		return nil, err
	}
	return cfg.Clone(), nil
}

// shared returns the cached running-config itself: the same pointer while the file
// is unchanged. Callers must not change it.
func (s *Store) shared() (*acl.Config, error) {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	p := s.path(runningName)
	fi, err := os.Stat(p)
	if errors.Is(err, os.ErrNotExist) {
		if s.cache == nil || s.cacheK != (fileKey{}) {
			s.cache, s.cacheK = acl.NewConfig(), fileKey{}
		}
		return s.cache, nil
	}
	if err != nil {
		return nil, err
	}
	k := keyOf(fi)
	if s.cache != nil && k == s.cacheK {
		return s.cache, nil
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	cfg, err := LoadConfig(string(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	s.cache, s.cacheK = cfg, k
	return cfg, nil
}

func keyOf(fi os.FileInfo) fileKey {
	k := fileKey{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		k.ino = int64(st.Ino)
	}
	return k
}

// Update locks the store, loads the running-config, lets change modify it, and if
// change succeeds writes it back atomically. change may fail to leave everything
// as it was (for example when the kernel refused the new config). It returns the
// config as committed.
func (s *Store) Update(change func(cfg *acl.Config) error) (*acl.Config, error) {
	var out *acl.Config
	err := s.withLock(func(cfg *acl.Config) error {
		if err := change(cfg); err != nil {
			return err
		}
		if err := s.writeFile(runningName, cfg.Render()); err != nil {
			return err
		}
		out = cfg // the new file's identity invalidates the cache
		return nil
	})
	return out, err
}

// View calls f with the running-config while holding the state lock, so that no
// commit happens meanwhile; f must not change the config. It is the same pointer
// while the file is unchanged, so a caller can tell whether it changed.
func (s *Store) View(f func(cfg *acl.Config) error) error {
	return s.locked(func() error {
		cfg, err := s.shared()
		if err != nil {
			return err
		}
		return f(cfg)
	})
}

// SaveStartup copies the running-config to startup-config.
func (s *Store) SaveStartup() error {
	return s.withLock(func(cfg *acl.Config) error { return s.writeFile(startupName, cfg.Render()) })
}

// Startup returns the startup-config text.
func (s *Store) Startup() (string, error) {
	data, err := os.ReadFile(s.path(startupName))
	if errors.Is(err, os.ErrNotExist) {
		return "", errors.New("startup-config is not present; save it with write memory")
	}
	return string(data), err
}

// withLock holds the commit mutex and the state lock while f runs on a fresh copy of
// the running-config.
func (s *Store) withLock(f func(cfg *acl.Config) error) error {
	return s.locked(func() error {
		cfg, err := s.Load()
		if err != nil {
			return err
		}
		return f(cfg)
	})
}

// locked holds the commit mutex and the state lock while f runs.
func (s *Store) locked(f func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	return f()
}

// Wait blocks until no commit is in progress and keeps commits from starting; used
// on SIGHUP so that the process exits between commits.
func (s *Store) Wait() { s.mu.Lock() }

func (s *Store) lock() (func(), error) {
	if err := os.MkdirAll(s.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	f, err := os.OpenFile(s.path("lock"), os.O_RDWR|os.O_CREATE, 0o660)
	if err != nil {
		return nil, fmt.Errorf("state lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("state lock: %w", err)
	}
	// Temp files left by a process killed mid-write (SIGKILL) are garbage.
	if old, _ := filepath.Glob(filepath.Join(s.Dir, tmpPrefix+"*")); len(old) > 0 {
		for _, o := range old {
			os.Remove(o)
		}
	}
	return func() { f.Close() }, nil
}

// writeFile replaces DIR/name atomically: temp file, fsync, rename, fsync dir.
func (s *Store) writeFile(name, text string) (err error) {
	f, err := os.CreateTemp(s.Dir, tmpPrefix+name+"-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.WriteString(text); err != nil {
		return err
	}
	if err = f.Chmod(0o660); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), s.path(name)); err != nil {
		return err
	}
	d, err := os.Open(s.Dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// LoadConfig parses running-config text by replaying it in configuration mode, as
// `configure terminal` would. Errors name the line.
func LoadConfig(text string) (*acl.Config, error) {
	cfg := acl.NewConfig()
	t := newTxn(cfg)
	for i, line := range strings.Split(text, "\n") {
		if _, err := t.exec(line); err != nil {
			return nil, fmt.Errorf("line %d: %s: %w", i+1, strings.TrimSpace(line), err)
		}
	}
	return cfg, nil
}
