// Package golden compares test output with files under testdata, or rewrites them
// when the tests run with -update. Only tests import it.
package golden

import (
	"flag"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// Update is the -update flag: rewrite golden files instead of comparing.
var Update = flag.Bool("update", false, "rewrite golden files under testdata")

// Check compares got with the file at path, or rewrites it with -update.
func Check(t testing.TB, path, got string) {
	t.Helper()
	if *Update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test ./... -update")
	require.Equal(t, string(want), got, "%s differs; run go test ./... -update and review the diff", path)
}
