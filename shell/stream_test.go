package shell

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/config"
)

// writes records each Write.
type writes struct{ w []string }

func (r *writes) Write(b []byte) (int, error) {
	r.w = append(r.w, string(b))
	return len(b), nil
}

// TestShowStreamsInBlocks: a show without output modifiers is written as it is
// made, in blocks of at most 64 KB (view.Write; the daemon sends a frame a block), and
// says the same lines as the text the modifiers read (`| count`).
func TestShowStreamsInBlocks(t *testing.T) {
	var out, errs writes
	sh, err := New(Options{Host: "device", Store: &config.Store{Dir: t.TempDir()}, Out: &out, Err: &errs, IfName: "nosuch0"})
	require.NoError(t, err)
	var lines strings.Builder
	lines.WriteString("conf t\nip access-list extended big\n")
	for i := range 5000 {
		fmt.Fprintf(&lines, "permit tcp host 10.0.%d.%d any eq 22\n", i/250, i%250+1)
	}
	lines.WriteString("end")
	for _, l := range strings.Split(lines.String(), "\n") {
		require.NoError(t, sh.Run(l), l)
	}
	out.w = nil
	require.NoError(t, sh.Run("show access-lists"))
	require.Greater(t, len(out.w), 1)
	for _, w := range out.w {
		require.LessOrEqual(t, len(w), 64<<10) // view.Write's block
	}
	text := strings.Join(out.w, "")
	require.Contains(t, text, "permit tcp host 10.0.19.250 any eq 22")
	out.w = nil
	require.NoError(t, sh.Run("show access-lists | count"))
	n, err := strconv.Atoi(strings.TrimSpace(strings.Join(out.w, "")))
	require.NoError(t, err)
	require.Equal(t, n, strings.Count(text, "\n"))
	require.Greater(t, n, 5000)
}
