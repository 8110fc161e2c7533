package shell

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/cli"
	"github.com/aclsh/aclsh/config"
)

// The shell's side of the state directory's tests (config/store_test.go).

const boundCfg = `!
ip access-list extended check
 seq 10 permit tcp any any eq 22
!
interface management 0
 ip access-group check in
!
`

// newStore returns a Store whose running-config is running.
func newStore(t *testing.T, running string) *config.Store {
	t.Helper()
	s := &config.Store{Dir: t.TempDir()}
	c, err := cli.LoadConfig(running)
	require.NoError(t, err)
	_, err = s.Update(func(cfg *acl.Config) error { *cfg = *c; return nil }, nil)
	require.NoError(t, err)
	return s
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
	require.NoError(t, os.WriteFile(filepath.Join(s.Dir, config.RunningName), []byte(secret+"\n"), 0o660))
	_, err := s.Load()
	var se *config.StateError
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
	require.NoError(t, os.WriteFile(filepath.Join(s.Dir, config.RunningName), []byte("garbage\n"), 0o660))
	sc, err := New(Options{Host: "h", Store: s, Out: &out, Err: &out})
	require.NoError(t, err)
	code := sc.RunScript(strings.NewReader("copy last-good-config running-config\nconf t\nip access-list extended more\n"), "-")
	require.Equal(t, 0, code, out.String())
	cfg, err := s.Load()
	require.NoError(t, err)
	require.Contains(t, cfg.ACLs, "more")
	require.Contains(t, cfg.ACLs, "check")
}
