package shell

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/config"
)

// fileID is what a rewrite of a state file changes: a commit renames a new file
// into place (another inode) written now (another mtime and ctime).
type fileID struct {
	ino          uint64
	mtime, ctime int64
	size         int64
}

func idOf(t *testing.T, p string) fileID {
	t.Helper()
	fi, err := os.Stat(p)
	require.NoError(t, err)
	st := fi.Sys().(*syscall.Stat_t)
	return fileID{st.Ino, st.Mtim.Nano(), st.Ctim.Nano(), fi.Size()}
}

// counter counts the configs a commit asks the kernel to enforce.
type counter struct {
	recorder
	n int
}

func (c *counter) Apply(cfg *acl.Config) error { c.n++; return c.recorder.Apply(cfg) }

// Issue 10 follow-up: a line the running-config already holds (defect 4: a
// no-op in the model), typed interactively or in a script, leaves the
// running-config and running-config.last-good as they were: same inode,
// modification and change time. The kernel is still asked to match (it sends
// nothing when it is in step, and mends it when it is not), and a missing
// last-good is written (the way back is repaired). A real change still
// rewrites both.
func TestIdenticalLineKeepsFiles(t *testing.T) {
	const setup = `conf t
ip access-list extended mgmt
 remark admins
 permit tcp 10.0.0.0/8 any eq ssh connlimit 3
 permit udp any any eq ntp
interface management 0
 ip access-group mgmt in
end
`
	dir := t.TempDir()
	_, stderr, rc := runScript(t, dir, setup)
	require.Equal(t, 0, rc, stderr)
	running, lastGood := filepath.Join(dir, config.RunningName), filepath.Join(dir, config.LastGoodName)
	text := readState(t, dir, config.RunningName)
	before := [2]fileID{idOf(t, running), idOf(t, lastGood)}
	unchanged := func(t *testing.T, what string) {
		t.Helper()
		require.Equal(t, before, [2]fileID{idOf(t, running), idOf(t, lastGood)}, "%s: running-config and last-good rewritten", what)
		require.Equal(t, text, readState(t, dir, config.RunningName), what)
	}

	t.Run("interactive", func(t *testing.T) {
		k := &counter{}
		var out bytes.Buffer
		sh, err := New(Options{Host: "device", Store: &config.Store{Dir: dir}, Out: &out, Err: &out, Interactive: true, Enforcer: k})
		require.NoError(t, err)
		for _, l := range []string{"conf t", "ip access-list extended mgmt",
			"permit tcp 10.0.0.0/8 any eq 22 connlimit 3", // no seq: the list holds it at seq 20
			"seq 30 permit udp any any eq ntp",            // its own seq
			"remark admins",
			"interface management 0", "ip access-group mgmt in", "ip access-list logging interval 1000"} {
			require.NoError(t, sh.Run(l), "%s: %s", l, out.String())
			unchanged(t, l)
		}
		require.Equal(t, "Entering configuration mode terminal\n", out.String(), "nothing to say")
		require.Equal(t, 5, k.n, "each line that commits (the rules, the remark, the access-group, the interval) still asks the kernel to match")
		require.Equal(t, text, k.last)
	})

	t.Run("script", func(t *testing.T) {
		_, stderr, rc := runScript(t, dir, setup)
		require.Equal(t, 0, rc, stderr)
		unchanged(t, "the same script again")
		shown, stderr, rc := runScript(t, dir, "show running-config\n")
		require.Equal(t, 0, rc, stderr)
		_, stderr, rc = runScript(t, dir, "conf t\n"+shown+"end\n")
		require.Equal(t, 0, rc, stderr)
		unchanged(t, "show running-config replayed")
	})

	t.Run("missing last-good is written", func(t *testing.T) {
		require.NoError(t, os.Remove(lastGood))
		_, stderr, rc := runScript(t, dir, setup)
		require.Equal(t, 0, rc, stderr)
		require.Equal(t, before[0], idOf(t, running), "the running-config is kept")
		require.Equal(t, text, readState(t, dir, config.LastGoodName))
		before[1] = idOf(t, lastGood)
	})

	t.Run("a change rewrites", func(t *testing.T) {
		_, stderr, rc := runScript(t, dir, "conf t\nip access-list extended mgmt\npermit tcp any any eq 443\n")
		require.Equal(t, 0, rc, stderr)
		require.NotEqual(t, before[0], idOf(t, running))
		require.NotEqual(t, before[1], idOf(t, lastGood))
		require.Contains(t, readState(t, dir, config.RunningName), " seq 40 permit tcp any any eq 443\n")
	})
}
