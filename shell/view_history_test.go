package shell

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// show history keeps the last maxShellHistory lines, numbered from the first
// line the shell ran, however many it ran.
func TestHistoryKeepsTheLast(t *testing.T) {
	s := &Shell{}
	for _, n := range []int{1, maxShellHistory, maxShellHistory + 1, 2 * maxShellHistory, 2*maxShellHistory + 1, 5*maxShellHistory + 7} {
		for len(s.hist)+s.histBase < n {
			s.remember("show clock " + strconv.Itoa(len(s.hist)+s.histBase+1))
		}
		h, first := s.history()
		require.Len(t, h, min(n, maxShellHistory), "after %d lines", n)
		require.Equal(t, n-len(h)+1, first, "after %d lines", n)
		for i, l := range h {
			require.Equal(t, "show clock "+strconv.Itoa(first+i), l)
		}
		require.LessOrEqual(t, len(s.hist), 2*maxShellHistory)
	}
}
