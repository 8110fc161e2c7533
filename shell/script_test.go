package shell

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/cli"
	"github.com/aclsh/aclsh/config"
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
	st := &config.Store{Dir: dir}
	_, err := st.Update(func(cfg *acl.Config) error {
		c, err := cli.LoadConfig("ip access-list extended keep\n seq 10 permit tcp any any eq 22\n")
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

func readState(t *testing.T, dir, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	require.NoError(t, err)
	return string(data)
}

// Issue 10 defect 4: pushing the same script twice succeeds and changes nothing,
// and so does replaying the running-config (show running-config) onto the host
// it came from: the running-config stays the same, byte for byte.
func TestSameScriptTwice(t *testing.T) {
	const script = `conf t
ip access-list logging interval 500
ip access-list extended mgmt
 remark admins
 permit tcp 10.0.0.0/8 any eq ssh connlimit 3
 permit udp any any eq ntp log
 remark admins
 seq 100 deny ip any any
ipv6 access-list extended mgmt6
 permit tcp 2001:db8::/32 any eq 443
 remark web
interface management 0
 ip access-group mgmt in
 ipv6 access-group mgmt6 in
end
`
	dir := t.TempDir()
	_, stderr, rc := runScript(t, dir, script)
	require.Equal(t, 0, rc, stderr)
	first := readState(t, dir, config.RunningName)
	require.Contains(t, first, " seq 10 remark admins\n seq 20 permit tcp 10.0.0.0/8 any eq 22 connlimit 3\n seq 30 permit udp any any eq 123 log\n seq 100 deny ip any any\n",
		"the second remark admins (no seq) is the first one")

	_, stderr, rc = runScript(t, dir, script)
	require.Equal(t, 0, rc, "the same script again: %s", stderr)
	require.Equal(t, first, readState(t, dir, config.RunningName), "the same script again changes nothing")

	shown, stderr, rc := runScript(t, dir, "show running-config\n")
	require.Equal(t, 0, rc, stderr)
	_, stderr, rc = runScript(t, dir, "conf t\n"+shown+"end\n")
	require.Equal(t, 0, rc, "show running-config replayed: %s", stderr)
	require.Equal(t, first, readState(t, dir, config.RunningName), "the running-config replayed changes nothing")

	// A different line on a used seq is still refused, and nothing is applied.
	_, stderr, rc = runScript(t, dir, "conf t\nip access-list extended mgmt\nseq 20 permit tcp any any eq 22\nend\n")
	require.Equal(t, 1, rc)
	require.Contains(t, stderr, "s:3: seq 20 permit tcp any any eq 22\n% Error: seq 20 is already in use in access list mgmt\n")
	require.Equal(t, first, readState(t, dir, config.RunningName))
}

// Issue 10: on a fresh host (nothing committed, no running-config), write memory
// leaves a consistent state directory: the running-config is written too, so the
// next shell does not find a startup-config next to a missing running-config.
func TestWriteMemoryFreshHost(t *testing.T) {
	t.Run("script", func(t *testing.T) {
		dir := t.TempDir()
		_, stderr, rc := runScript(t, dir, "write memory\n")
		require.Equal(t, 0, rc, stderr)
		require.Equal(t, "!\n", readState(t, dir, config.RunningName))
		require.Equal(t, "!\n", readState(t, dir, config.StartupName))
		out, stderr, rc := runScript(t, dir, "show running-config\nshow startup-config\n")
		require.Equal(t, 0, rc, stderr)
		require.Equal(t, "!\n!\n", out)
	})
	t.Run("interactive", func(t *testing.T) {
		dir := t.TempDir()
		got := transcript(t, dir, []string{"write memory"})
		require.Equal(t, "device# write memory\n[OK]\n", got)
		got = transcript(t, dir, []string{"show running-config", "conf t", "ip access-list extended a"})
		require.Equal(t, "device# show running-config\n!\ndevice# conf t\nEntering configuration mode terminal\ndevice(config)# ip access-list extended a\n", got)
	})
}

// interleaved is a script reader that runs between before its first and its
// second part: another shell committing while the script runs.
type interleaved struct {
	parts   []string
	between func()
	n       int
}

func (r *interleaved) Read(p []byte) (int, error) {
	if r.n == len(r.parts) {
		return 0, io.EOF
	}
	if r.n == 1 {
		r.between()
	}
	r.n++
	return copy(p, r.parts[r.n-1]), nil
}

// Issue 10 defect 14: write memory in a script saves the script's config as it
// is at that line, when the script commits; if another shell committed while the
// script ran, the script's changes up to the write are applied to that config,
// as the commit applies all of them.
func TestWriteMemoryInScriptAfterAnotherCommit(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, config.RunningName), []byte("!\nip access-list extended mgmt\n seq 10 permit tcp any any eq 22\n!\n"), 0o660))
	var out, errs strings.Builder
	sh, err := New(Options{Host: "device", Store: &config.Store{Dir: dir}, Out: &out, Err: &errs})
	require.NoError(t, err)
	r := &interleaved{
		parts: []string{
			"conf t\nip access-list extended mgmt\npermit tcp any any eq 443\nend\nwrite memory\n",
			"conf t\nip access-list extended mgmt\npermit udp any any eq 123\nend\nshow startup-config\n",
		},
		between: func() {
			_, err := (&config.Store{Dir: dir}).Update(func(cfg *acl.Config) error {
				_, err := cfg.Ensure("other", acl.IPv4)
				return err
			}, nil)
			require.NoError(t, err)
		},
	}
	require.Equal(t, 0, sh.RunScript(r, "-"), errs.String())
	require.Equal(t, "!\nip access-list extended mgmt\n seq 10 permit tcp any any eq 22\n seq 20 permit tcp any any eq 443\n!\n", out.String(),
		"show startup-config: the script's config at write memory")
	require.Equal(t, "!\nip access-list extended mgmt\n seq 10 permit tcp any any eq 22\n seq 20 permit tcp any any eq 443\n seq 30 permit udp any any eq 123\n!\nip access-list extended other\n!\n",
		readState(t, dir, config.RunningName))
	require.Equal(t, "!\nip access-list extended mgmt\n seq 10 permit tcp any any eq 22\n seq 20 permit tcp any any eq 443\n!\nip access-list extended other\n!\n",
		readState(t, dir, config.StartupName), "the other shell's list and the script's changes up to write memory")
}

// A commit whose running-config would be larger than aclsh reads back is
// refused (it would be enforced, then every later command would fail, copy
// last-good-config running-config too); a script larger than that stops being
// read, and nothing is applied.
func TestSizeCaps(t *testing.T) {
	dir := t.TempDir()
	capped := func(n int) *config.Store { return &config.Store{Dir: dir, MaxSize: n} }
	var b strings.Builder
	b.WriteString("conf t\nip access-list extended big\n")
	for i := range 20000 {
		fmt.Fprintf(&b, "remark %d %s\n", i, strings.Repeat("x", 200))
	}
	var out bytes.Buffer
	sh, err := New(Options{Host: "device", Store: capped(4 << 20), Out: &out, Err: &out})
	require.NoError(t, err)
	require.Equal(t, 1, sh.RunScript(strings.NewReader(b.String()), "big"))
	require.Contains(t, out.String(), "the script is larger than 4 MiB, more than a running-config aclsh can hold; nothing was applied")
	_, err = os.Stat(filepath.Join(dir, "running-config"))
	require.True(t, os.IsNotExist(err), "nothing was applied")

	// Under the script cap, over the config cap: a script adds to the running-config.
	half := b.String()[:len(b.String())/2]
	half = half[:strings.LastIndexByte(half, '\n')+1]
	out.Reset()
	sh, err = New(Options{Host: "device", Store: capped(3 << 20), Out: &out, Err: &out})
	require.NoError(t, err)
	require.Zero(t, sh.RunScript(strings.NewReader(half), "half"), out.String())
	out.Reset()
	rest := "conf t\nip access-list extended big2\n" + strings.ReplaceAll(half[strings.Index(half, "remark"):], "remark ", "remark b")
	sh, err = New(Options{Host: "device", Store: capped(3 << 20), Out: &out, Err: &out})
	require.NoError(t, err)
	require.Equal(t, 1, sh.RunScript(strings.NewReader(rest), "rest"))
	require.Regexp(t, `the running-config would be \d+\.\d MiB, more than the 3 MiB aclsh reads back; nothing was applied`, out.String())
	data, err := os.ReadFile(filepath.Join(dir, "running-config"))
	require.NoError(t, err)
	require.NotContains(t, string(data), "big2")
}
