package shell

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/internal/golden"
	"github.com/aclsh/aclsh/internal/needs"
)

// readOnly makes dir read-only: a read-only bind mount (root ignores mode bits).
func readOnly(t *testing.T, dir string) {
	t.Helper()
	needs.Root(t)
	require.NoError(t, unix.Mount(dir, dir, "", unix.MS_BIND, ""))
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	require.NoError(t, unix.Mount("", dir, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""))
}

// Issue 10 defect 3: a line refused because the state directory cannot be
// written leaves the mode (and the current list) as it was.
func TestTranscriptReadOnlyState(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	st := &Store{Dir: dir}
	_, err := st.Update(func(cfg *acl.Config) error {
		c, err := LoadConfig("ip access-list extended keep\n seq 10 permit tcp any any eq 22\n")
		*cfg = *c
		return err
	}, nil)
	require.NoError(t, err)
	readOnly(t, dir)
	got := transcript(t, dir, []string{
		"conf t",
		"ip access-list extended new",
		"ip access-list extended keep",
		"permit tcp any any eq 23",
		"no ip access-list extended keep",
		"exit",
		"end",
	})
	got = strings.ReplaceAll(got, dir, "STATE")
	got = regexp.MustCompile(`\.tmp-running-config-[0-9]+`).ReplaceAllString(got, ".tmp-running-config-N")
	golden.Check(t, "../testdata/transcripts/readonly.golden", got)
}
