package config

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/cli"
	"github.com/aclsh/aclsh/internal/needs"
)

const boundCfg = `!
ip access-list extended check
 seq 10 permit tcp any any eq 22
!
interface management 0
 ip access-group check in
!
`

// kernel records what a commit asks the kernel to enforce.
type kernel struct {
	applied  []string
	fail     error
	holds    bool
	holdsErr error
}

func (k *kernel) enforce(cfg *acl.Config) error {
	if k.fail != nil {
		return k.fail
	}
	k.applied = append(k.applied, cfg.Render())
	return nil
}

// A kernel is a Kernel too: it heals with enforce and holds what holds says.
func (k *kernel) Apply(cfg *acl.Config) error { return k.enforce(cfg) }
func (k *kernel) Learn(*acl.Config)           {}
func (k *kernel) HoldsTable() (bool, error)   { return k.holds, k.holdsErr }

func newStore(t *testing.T, running string) *Store {
	t.Helper()
	s := &Store{Dir: t.TempDir()}
	if running != "" {
		_, err := s.Update(func(cfg *acl.Config) error {
			c, err := cli.LoadConfig(running)
			*cfg = *c
			return err
		}, nil)
		require.NoError(t, err)
	}
	return s
}

func addDeny(cfg *acl.Config) error {
	t := cli.NewTxn(cfg)
	for _, l := range []string{"ip access-list extended check", "deny tcp any any eq 23"} {
		if _, err := t.Exec(l); err != nil {
			return err
		}
	}
	return nil
}

// Item 1: the running-config is saved before the kernel changes and installed
// after it accepted; when installing fails, the kernel is put back.
func TestCommitKernelAndFileTogether(t *testing.T) {
	s := newStore(t, boundCfg)
	before, err := os.ReadFile(s.path(RunningName))
	require.NoError(t, err)

	t.Run("rename fails after the kernel accepted", func(t *testing.T) {
		k := &kernel{}
		rename = func(string, string) error { return syscall.EIO }
		defer func() { rename = os.Rename }()
		_, err := s.Update(addDeny, k.enforce)
		require.ErrorContains(t, err, "the kernel was put back to the config before, nothing was applied")
		require.Len(t, k.applied, 2)
		require.Contains(t, k.applied[0], "deny tcp any any eq 23")
		require.Equal(t, string(before), k.applied[1], "the old config enforced again")
		now, _ := os.ReadFile(s.path(RunningName))
		require.Equal(t, string(before), string(now))
		tmps, _ := filepath.Glob(filepath.Join(s.Dir, TmpPrefix+"*"))
		require.Empty(t, tmps, "both temp files are removed")
	})
	t.Run("the kernel refuses", func(t *testing.T) {
		k := &kernel{fail: errors.New("refused")}
		_, err := s.Update(addDeny, k.enforce)
		require.ErrorContains(t, err, "refused")
		now, _ := os.ReadFile(s.path(RunningName))
		require.Equal(t, string(before), string(now))
		tmps, _ := filepath.Glob(filepath.Join(s.Dir, TmpPrefix+"*"))
		require.Empty(t, tmps, "the synced temp file is removed")
	})
	t.Run("saving fails before the kernel is touched", func(t *testing.T) {
		k := &kernel{}
		ro := &Store{Dir: filepath.Join(t.TempDir(), "ro")}
		_, err := ro.Update(func(*acl.Config) error { return nil }, nil)
		require.NoError(t, err)
		if os.Geteuid() == 0 {
			// Root ignores mode bits: a read-only bind mount of the directory.
			require.NoError(t, unix.Mount(ro.Dir, ro.Dir, "", unix.MS_BIND, ""))
			defer unix.Unmount(ro.Dir, unix.MNT_DETACH)
			require.NoError(t, unix.Mount("", ro.Dir, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""))
		} else {
			require.NoError(t, os.Chmod(ro.Dir, 0o500))
		}
		// The lock exists already (created above), so only the write fails.
		_, err = ro.Update(addDenyTo(t), k.enforce)
		require.ErrorContains(t, err, "saving the running-config")
		require.ErrorContains(t, err, "nothing was applied")
		require.Empty(t, k.applied, "the kernel was never asked")
	})
}

// A commit writes the running-config and the last good config from one
// rendering: the same text, and no temp file left.
func TestCommitWritesLastGood(t *testing.T) {
	s := newStore(t, boundCfg)
	_, err := s.Update(addDeny, (&kernel{}).enforce)
	require.NoError(t, err)
	running, err := os.ReadFile(s.path(RunningName))
	require.NoError(t, err)
	require.Contains(t, string(running), "deny tcp any any eq 23")
	lastGood, err := os.ReadFile(s.path(LastGoodName))
	require.NoError(t, err)
	require.Equal(t, string(running), string(lastGood))
	for _, name := range []string{RunningName, LastGoodName} {
		fi, err := os.Stat(s.path(name))
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o660), fi.Mode().Perm(), name)
	}
	tmps, _ := filepath.Glob(filepath.Join(s.Dir, TmpPrefix+"*"))
	require.Empty(t, tmps)
}

// The last good config is a fallback: when its file cannot be written (here
// it is opened read-only), the commit still writes the running-config, and
// leaves no temp file.
func TestCommitWithoutLastGood(t *testing.T) {
	s := newStore(t, boundCfg)
	createTemp = func(dir, pattern string) (*os.File, error) {
		f, err := os.CreateTemp(dir, pattern)
		if err != nil {
			return nil, err
		}
		f.Close()
		return os.Open(f.Name())
	}
	defer func() { createTemp = os.CreateTemp }()
	before, _ := os.ReadFile(s.path(LastGoodName))
	_, err := s.Update(addDeny, (&kernel{}).enforce)
	require.NoError(t, err)
	running, err := os.ReadFile(s.path(RunningName))
	require.NoError(t, err)
	require.Contains(t, string(running), "deny tcp any any eq 23")
	after, _ := os.ReadFile(s.path(LastGoodName))
	require.Equal(t, string(before), string(after), "the last good config as it was")
	tmps, _ := filepath.Glob(filepath.Join(s.Dir, TmpPrefix+"*"))
	require.Empty(t, tmps)
}

func addDenyTo(t *testing.T) func(cfg *acl.Config) error {
	return func(cfg *acl.Config) error {
		c, err := cli.LoadConfig(boundCfg)
		require.NoError(t, err)
		*cfg = *c
		return nil
	}
}

// Item 3: a missing running-config is empty only on a fresh host.
func TestMissingRunningConfig(t *testing.T) {
	fresh := &Store{Dir: t.TempDir()}
	cfg, err := fresh.Load()
	require.NoError(t, err)
	require.Empty(t, cfg.ACLs)

	holds := &Store{Dir: t.TempDir(), Kernel: &kernel{holds: true}}
	_, err = holds.Load()
	var se *StateError
	require.ErrorAs(t, err, &se)
	require.ErrorContains(t, err, "running-config is missing, but the kernel enforces table inet aclsh")
	require.ErrorContains(t, err, "touch "+holds.path(RunningName))
	k := &kernel{}
	_, err = holds.Update(func(*acl.Config) error { return nil }, k.enforce)
	require.ErrorAs(t, err, &se, "no commit while it is missing")
	require.Empty(t, k.applied)

	unsure := &Store{Dir: t.TempDir(), Kernel: &kernel{holdsErr: errors.New("netlink: no buffer space")}}
	_, err = unsure.Load()
	require.ErrorAs(t, err, &se, "a kernel that cannot be asked is not a fresh host")
	require.ErrorContains(t, err, "cannot tell whether the kernel enforces table inet aclsh")

	// A reader does not re-create a removed directory (with its own owner and
	// mode, locking the group out).
	gone := &Store{Dir: filepath.Join(t.TempDir(), "gone")}
	require.NoError(t, gone.View(func(cfg *acl.Config) error { return nil }))
	_, err = os.Stat(gone.Dir)
	require.True(t, os.IsNotExist(err), "View created the state directory")

	// rm of the file only: the last good config and the startup-config say
	// there was one, and are the ways back.
	s := newStore(t, boundCfg)
	require.NoError(t, s.SaveStartup())
	require.NoError(t, os.Remove(s.path(RunningName)))
	_, err = s.Load()
	require.ErrorAs(t, err, &se)
	require.ErrorContains(t, err, "copy startup-config running-config")
	require.ErrorContains(t, err, "copy last-good-config running-config")
	got, err := s.Replace(FromLastGood, nil, k.enforce)
	require.NoError(t, err)
	require.Equal(t, boundCfg, got.Render())
	require.Equal(t, []string{boundCfg}, k.applied)
	cfg, err = s.Load()
	require.NoError(t, err)
	require.Equal(t, boundCfg, cfg.Render())
}

// A commit killed after the kernel changed and before the rename leaves its
// synced temp file: the next process to lock puts the kernel back in step.
func TestKilledCommitHealed(t *testing.T) {
	s := newStore(t, boundCfg)
	tmp, err := s.writeTemp(RunningName, "!\n")
	require.NoError(t, err)
	k := &kernel{}
	s.Kernel = k
	require.NoError(t, s.View(func(*acl.Config) error { return nil }))
	require.Equal(t, []string{boundCfg}, k.applied, "the running-config enforced again")
	_, err = os.Stat(tmp)
	require.True(t, os.IsNotExist(err), "and the temp file removed")

	// Healing fails: the temp file stays, so the next lock tries again.
	tmp, err = s.writeTemp(RunningName, "!\n")
	require.NoError(t, err)
	k.fail = errors.New("refused")
	require.NoError(t, s.View(func(*acl.Config) error { return nil }))
	_, err = os.Stat(tmp)
	require.NoError(t, err)
}

// Item 6: what anyone who can write the directory may plant there is refused,
// quickly, and never read.
func TestHostileStateFiles(t *testing.T) {
	secretDir := t.TempDir()
	secret := filepath.Join(secretDir, "shadow")
	require.NoError(t, os.WriteFile(secret, []byte("root:$6$hash:::\n"), 0o600))

	for _, tc := range []struct {
		name  string
		file  string
		plant func(p string) error
		want  string
		root  bool
	}{
		{"running-config symlink", RunningName, func(p string) error { return os.Symlink(secret, p) }, "symbolic link", false},
		{"startup-config symlink", StartupName, func(p string) error { return os.Symlink(secret, p) }, "symbolic link", false},
		{"running-config FIFO", RunningName, func(p string) error { return unix.Mkfifo(p, 0o660) }, "not a regular file", false},
		{"running-config to /dev/zero", RunningName, func(p string) error { return os.Symlink("/dev/zero", p) }, "symbolic link", false},
		{"running-config device", RunningName, func(p string) error { return unix.Mknod(p, unix.S_IFCHR|0o660, int(unix.Mkdev(1, 5))) }, "not a regular file", true},
		{"running-config hard link", RunningName, func(p string) error { return os.Link(secret, p) }, "hard links", false},
		{"running-config huge", RunningName, func(p string) error {
			f, err := os.Create(p)
			if err != nil {
				return err
			}
			defer f.Close()
			return f.Truncate(MaxConfigSize + 1)
		}, "larger than", false},
		{"running-config foreign owner", RunningName, func(p string) error {
			if err := os.WriteFile(p, []byte("ip access-list extended x\n"), 0o644); err != nil {
				return err
			}
			return os.Chown(p, 4242, 4242)
		}, "owned by uid 4242 gid 4242", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.root {
				needs.Root(t)
			}
			s := &Store{Dir: t.TempDir()}
			require.NoError(t, tc.plant(s.path(tc.file)))
			done := make(chan error, 1)
			go func() {
				var err error
				if tc.file == StartupName {
					_, err = s.Startup()
				} else {
					_, err = s.Load()
				}
				done <- err
			}()
			select {
			case err := <-done:
				require.Error(t, err)
				require.ErrorContains(t, err, tc.want)
				require.NotContains(t, err.Error(), "$6$hash")
			case <-time.After(3 * time.Second):
				t.Fatal("reading a planted file hangs")
			}
		})
	}

	t.Run("lock symlink", func(t *testing.T) {
		s := &Store{Dir: t.TempDir()}
		victim := filepath.Join(secretDir, "created-by-root")
		require.NoError(t, os.Symlink(victim, s.path(LockName)))
		_, err := s.Update(func(*acl.Config) error { return nil }, nil)
		require.ErrorContains(t, err, "symbolic link")
		_, err = os.Lstat(victim)
		require.True(t, os.IsNotExist(err), "no file created through the link")
	})
	t.Run("world-writable directory", func(t *testing.T) {
		s := &Store{Dir: t.TempDir()}
		require.NoError(t, os.Chmod(s.Dir, 0o777))
		_, err := s.Update(func(*acl.Config) error { return nil }, nil)
		require.ErrorContains(t, err, "writable by everyone")
	})
}

// Item 7: the lock is group-readable whatever the umask of whoever created it.
func TestLockModeIgnoresUmask(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	old := unix.Umask(0o077)
	_, err := s.Update(func(*acl.Config) error { return nil }, nil)
	unix.Umask(old)
	require.NoError(t, err)
	for _, name := range []string{LockName, RunningName, LastGoodName} {
		fi, err := os.Stat(s.path(name))
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o660), fi.Mode().Perm(), name)
	}
}
