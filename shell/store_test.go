package shell

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
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
	applied []string
	fail    error
}

func (k *kernel) enforce(cfg *acl.Config) error {
	if k.fail != nil {
		return k.fail
	}
	k.applied = append(k.applied, cfg.Render())
	return nil
}

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
	before, err := os.ReadFile(s.path(runningName))
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
		now, _ := os.ReadFile(s.path(runningName))
		require.Equal(t, string(before), string(now))
	})
	t.Run("the kernel refuses", func(t *testing.T) {
		k := &kernel{fail: errors.New("refused")}
		_, err := s.Update(addDeny, k.enforce)
		require.ErrorContains(t, err, "refused")
		now, _ := os.ReadFile(s.path(runningName))
		require.Equal(t, string(before), string(now))
		tmps, _ := filepath.Glob(filepath.Join(s.Dir, tmpPrefix+"*"))
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

	holds := &Store{Dir: t.TempDir(), KernelHolds: func() (bool, error) { return true, nil }}
	_, err = holds.Load()
	var se *StateError
	require.ErrorAs(t, err, &se)
	require.ErrorContains(t, err, "running-config is missing, but the kernel enforces table inet aclsh")
	require.ErrorContains(t, err, "touch "+holds.path(runningName))
	k := &kernel{}
	_, err = holds.Update(func(*acl.Config) error { return nil }, k.enforce)
	require.ErrorAs(t, err, &se, "no commit while it is missing")
	require.Empty(t, k.applied)

	unsure := &Store{Dir: t.TempDir(), KernelHolds: func() (bool, error) { return false, errors.New("netlink: no buffer space") }}
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
	require.NoError(t, os.Remove(s.path(runningName)))
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
	tmp, err := s.writeTemp(runningName, "!\n")
	require.NoError(t, err)
	k := &kernel{}
	s.Heal = k.enforce
	require.NoError(t, s.View(func(*acl.Config) error { return nil }))
	require.Equal(t, []string{boundCfg}, k.applied, "the running-config enforced again")
	_, err = os.Stat(tmp)
	require.True(t, os.IsNotExist(err), "and the temp file removed")

	// Healing fails: the temp file stays, so the next lock tries again.
	tmp, err = s.writeTemp(runningName, "!\n")
	require.NoError(t, err)
	k.fail = errors.New("refused")
	require.NoError(t, s.View(func(*acl.Config) error { return nil }))
	_, err = os.Stat(tmp)
	require.NoError(t, err)
}

// A script that copies a saved config validates the same with --check as it
// commits without it.
func TestCheckCopyToRunning(t *testing.T) {
	s := newStore(t, boundCfg+"ip access-list extended only-in-startup\n")
	require.NoError(t, s.SaveStartup())
	_, err := s.Update(func(cfg *acl.Config) error { return cfg.Delete("only-in-startup", acl.IPv4) }, nil)
	require.NoError(t, err)
	script := "copy startup-config running-config\nconf t\nno ip access-list extended only-in-startup\n"
	for _, check := range []bool{true, false} {
		var out bytes.Buffer
		sh, err := New(Options{Host: "h", Store: s, Out: &out, Err: &out, CheckOnly: check})
		require.NoError(t, err)
		require.Equal(t, 0, sh.RunScript(strings.NewReader(script), "-"), "check %v: %s", check, out.String())
	}
}

// Item 5: a corrupt running-config: a clear error, the shell starts, and the way
// back works from the CLI.
func TestCorruptRunningConfig(t *testing.T) {
	s := newStore(t, boundCfg)
	secret := "root:$6$secret-hash:19000:0:99999:7:::" + strings.Repeat("x", 100)
	require.NoError(t, os.WriteFile(s.path(runningName), []byte(secret+"\n"), 0o660))
	_, err := s.Load()
	var se *StateError
	require.ErrorAs(t, err, &se)
	require.ErrorContains(t, err, "line 1 column 1 (")
	require.NotContains(t, err.Error(), secret, "file contents are never printed whole")
	require.ErrorContains(t, err, "copy last-good-config running-config")

	var out bytes.Buffer
	sh, err := New(Options{Host: "h", Store: s, Out: &out, Err: &out, Interactive: true})
	require.NoError(t, err, "the shell starts")
	require.ErrorAs(t, sh.Run("show running-config"), &se)
	require.NoError(t, sh.Run("configure terminal"))
	require.ErrorAs(t, sh.Run("ip access-list extended x"), &se, "no change while broken")
	require.NoError(t, sh.Run("end"))
	require.NoError(t, sh.Run("copy last-good-config running-config"))
	require.Contains(t, out.String(), "running-config replaced by last-good-config")
	out.Reset()
	require.NoError(t, sh.Run("show running-config"))
	require.Contains(t, out.String(), "ip access-group check in")

	// A script recovers the same way, its later lines on top.
	require.NoError(t, os.WriteFile(s.path(runningName), []byte("garbage\n"), 0o660))
	sc, err := New(Options{Host: "h", Store: s, Out: &out, Err: &out})
	require.NoError(t, err)
	code := sc.RunScript(strings.NewReader("copy last-good-config running-config\nconf t\nip access-list extended more\n"), "-")
	require.Equal(t, 0, code, out.String())
	cfg, err := s.Load()
	require.NoError(t, err)
	require.Contains(t, cfg.ACLs, "more")
	require.Contains(t, cfg.ACLs, "check")
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
		{"running-config symlink", runningName, func(p string) error { return os.Symlink(secret, p) }, "symbolic link", false},
		{"startup-config symlink", startupName, func(p string) error { return os.Symlink(secret, p) }, "symbolic link", false},
		{"running-config FIFO", runningName, func(p string) error { return unix.Mkfifo(p, 0o660) }, "not a regular file", false},
		{"running-config to /dev/zero", runningName, func(p string) error { return os.Symlink("/dev/zero", p) }, "symbolic link", false},
		{"running-config device", runningName, func(p string) error { return unix.Mknod(p, unix.S_IFCHR|0o660, int(unix.Mkdev(1, 5))) }, "not a regular file", true},
		{"running-config hard link", runningName, func(p string) error { return os.Link(secret, p) }, "hard links", false},
		{"running-config huge", runningName, func(p string) error {
			f, err := os.Create(p)
			if err != nil {
				return err
			}
			defer f.Close()
			return f.Truncate(MaxConfigSize + 1)
		}, "larger than", false},
		{"running-config foreign owner", runningName, func(p string) error {
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
				if tc.file == startupName {
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
		require.NoError(t, os.Symlink(victim, s.path(lockName)))
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
	for _, name := range []string{lockName, runningName, lastGoodName} {
		fi, err := os.Stat(s.path(name))
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o660), fi.Mode().Perm(), name)
	}
}
