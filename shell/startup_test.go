package shell

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/cli"
	"github.com/aclsh/aclsh/config"
)

const (
	startupText = "!\nip access-list extended web\n seq 10 permit tcp any any eq 22\n seq 20 permit tcp any any eq 80\n!\ninterface management 0\n ip access-group web in\n!\n"
	// running: seq 10 deleted, 443 added, not bound.
	runningText = "!\nip access-list extended web\n seq 20 permit tcp any any eq 80\n seq 30 permit tcp any any eq 443\n!\n"
	mergedText  = "!\nip access-list extended web\n seq 10 permit tcp any any eq 22\n seq 20 permit tcp any any eq 80\n seq 30 permit tcp any any eq 443\n!\ninterface management 0\n ip access-group web in\n!\n"
)

func startupDir(t *testing.T, running string) string {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, config.StartupName), []byte(startupText), 0o660))
	require.NoError(t, os.WriteFile(filepath.Join(dir, config.RunningName), []byte(running), 0o660))
	return dir
}

func runScript(t *testing.T, dir, text string) (stdout, stderr string, rc int) {
	var out, errs bytes.Buffer
	sh, err := New(Options{Host: "h", Store: &config.Store{Dir: dir}, Out: &out, Err: &errs})
	require.NoError(t, err)
	rc = sh.RunScript(strings.NewReader(text), "s")
	return out.String(), errs.String(), rc
}

// TestScriptMergesStartup: in a script, copy startup-config running-config merges
// like a typed change: later lines see the merged config, the commit applies it.
func TestScriptMergesStartup(t *testing.T) {
	dir := startupDir(t, runningText)
	out, errs, rc := runScript(t, dir, "copy startup-config running-config\nshow access-lists\nconf t\nip access-list extended web\npermit udp any any eq 53\n")
	require.Equal(t, 0, rc, errs)
	require.Contains(t, out, " seq 10 permit tcp any any eq 22\n seq 20 permit tcp any any eq 80\n seq 30 permit tcp any any eq 443\n")
	running, err := os.ReadFile(filepath.Join(dir, config.RunningName))
	require.NoError(t, err)
	require.Equal(t, strings.Replace(mergedText, "eq 443\n", "eq 443\n seq 40 permit udp any any eq 53\n", 1), string(running))

	// A conflict fails the script: nothing is applied.
	dir = startupDir(t, "!\nip access-list extended web\n seq 10 permit tcp any any eq 23\n!\n")
	_, errs, rc = runScript(t, dir, "copy startup-config running-config\n")
	require.Equal(t, 1, rc)
	require.Contains(t, errs, "cannot merge the startup-config: 1 line(s) with a seq in use for another entry: access list web seq 10 is `permit tcp any any eq 23` here and `permit tcp any any eq 22` in the config merged")
	running, err = os.ReadFile(filepath.Join(dir, config.RunningName))
	require.NoError(t, err)
	require.Equal(t, "!\nip access-list extended web\n seq 10 permit tcp any any eq 23\n!\n", string(running))
}

// TestCopyStartupReplacesUnusableRunning: with a running-config that does not
// load there is nothing to merge into, so the startup-config replaces it, in a
// shell and in a script; the error that says so offers it as a replacement.
func TestCopyStartupReplacesUnusableRunning(t *testing.T) {
	dir := startupDir(t, "garbage\n")
	var out bytes.Buffer
	sh, err := New(Options{Host: "h", Store: &config.Store{Dir: dir}, Out: &out, Err: &out, Interactive: true})
	require.NoError(t, err)
	require.ErrorContains(t, sh.Broken(), "copy startup-config running-config (which replaces it: there is nothing to merge into)")
	require.NoError(t, sh.Run("copy startup-config running-config"))
	require.Equal(t, "[OK] running-config replaced by startup-config (the running-config could not be used: nothing to merge into)\n", out.String())
	running, err := os.ReadFile(filepath.Join(dir, config.RunningName))
	require.NoError(t, err)
	require.Equal(t, startupText, string(running))

	dir = startupDir(t, "garbage\n")
	_, errs, rc := runScript(t, dir, "copy startup-config running-config\nconf t\nip access-list extended web\npermit udp any any eq 53\n")
	require.Equal(t, 0, rc, errs)
	running, err = os.ReadFile(filepath.Join(dir, config.RunningName))
	require.NoError(t, err)
	require.Equal(t, strings.Replace(startupText, "eq 80\n", "eq 80\n seq 30 permit udp any any eq 53\n", 1), string(running))
}

// TestUnsavedNote: the note is on the error stream, after the output, and only
// when the configs differ; a startup-config not written by write memory (other
// spellings) that holds the same config does not differ.
func TestUnsavedNote(t *testing.T) {
	dir := startupDir(t, startupText)
	out, errs, rc := runScript(t, dir, "show running-config\n")
	require.Equal(t, 0, rc, errs)
	require.Equal(t, startupText, out)
	require.Equal(t, "", errs)

	require.NoError(t, os.WriteFile(filepath.Join(dir, config.StartupName), []byte("ip access-list extended web\n permit tcp any any eq ssh\n permit tcp any any eq www\ninterface management 0\n ip access-group web in\n"), 0o660))
	_, errs, _ = runScript(t, dir, "show access-lists\n")
	require.Equal(t, "", errs, "the same config, spelled otherwise")

	_, errs, _ = runScript(t, dir, "conf t\nip access-list extended web\nno seq 10\nend\nshow running-config | include permit\n")
	require.Equal(t, "! running-config differs from startup-config (write memory to save)\n", errs)
	// On a terminal the note follows the config: pasted back, it is a comment.
	out, errs, _ = runScript(t, dir, "show running-config\n")
	require.Contains(t, errs, "differs")
	cfg, err := cli.LoadConfig(out + errs)
	require.NoError(t, err)
	require.Equal(t, out, cfg.Render())

	require.NoError(t, os.WriteFile(filepath.Join(dir, config.StartupName), []byte("garbage\n"), 0o660))
	_, errs, _ = runScript(t, dir, "write terminal\n")
	require.Equal(t, "! running-config differs from startup-config, which does not load (write memory to save)\n", errs)
	_, errs, _ = runScript(t, dir, "show access-lists\n")
	require.Equal(t, "% running-config differs from startup-config, which does not load (write memory to save)\n", errs)
}

// TestNoStartup: show startup-config on a host never saved says so as IOS does,
// with no error (Ansible's save_when: modified compares it with the running-config
// and fails on `% Error`), in a script too; as JSON it is an empty config with
// that note. Once saved, it shows the saved file.
func TestNoStartup(t *testing.T) {
	dir := t.TempDir()
	out, errs, rc := runScript(t, dir, "show startup-config\n")
	require.Equal(t, 0, rc, errs)
	require.Empty(t, errs)
	require.Equal(t, "startup-config is not present\n", out)
	out, errs, rc = runScript(t, dir, "show startup-config | json\n")
	require.Equal(t, 0, rc, errs)
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &v), out)
	require.Equal(t, "startup-config is not present", v["note"])
	require.Empty(t, v["access_lists"])
	out, errs, rc = runScript(t, dir, "conf t\nip access-list extended web\npermit tcp any any eq 22\nend\nwrite memory\nshow startup-config\n")
	require.Equal(t, 0, rc, errs)
	require.Contains(t, out, "permit tcp any any eq 22")
	require.NotContains(t, out, "not present")
}
