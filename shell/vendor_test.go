package shell

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/config"
	"github.com/aclsh/aclsh/internal/golden"
)

// vendorRun feeds one snippet of testdata/vendor through a --check shell, as
// pasted after configure terminal: the lines accepted, the lines in all (blank
// lines and comments are neither) and the errors as the script shows them.
func vendorRun(t *testing.T, text string) (ok, total int, errs string) {
	t.Helper()
	var out, errb bytes.Buffer
	sh, err := New(Options{Host: "device", Store: &config.Store{Dir: t.TempDir()}, Out: &out, Err: &errb, CheckOnly: true,
		MgmtNames: []string{"GigabitEthernet0/0"}})
	require.NoError(t, err)
	require.NoError(t, sh.Run("configure terminal"))
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if comment(line) {
			continue
		}
		total++
		errb.WriteString("> " + line + "\n")
		if err := sh.Run(line); err != nil {
			PrintError(&errb, 2, err)
			continue
		}
		ok++
	}
	return ok, total, errb.String()
}

// Issue 20: real management-ACL snippets of eight vendor families, pasted as
// their documents show them. The report (testdata/vendor/report.golden) lists
// each snippet, whole or not, and every line with what aclsh said about it.
func TestVendorSnippets(t *testing.T) {
	files, err := filepath.Glob("../testdata/vendor/*.txt")
	require.NoError(t, err)
	var report strings.Builder
	whole, ok, total := 0, 0, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		n, all, errs := vendorRun(t, string(data))
		ok, total = ok+n, total+all
		state := "partly"
		if n == all {
			whole++
			state = "whole"
		}
		fmt.Fprintf(&report, "== %s: %s, %d of %d lines\n", filepath.Base(f), state, n, all)
		report.WriteString(errs)
	}
	summary := fmt.Sprintf("%d of %d snippets whole, %d of %d lines accepted (%d%%)\n", whole, len(files), ok, total, 100*ok/total)
	t.Log(summary)
	golden.Check(t, "../testdata/vendor/report.golden", summary+report.String())
}
