package term

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

// TestLineReader: lines up to MaxLine bytes (without "\n" or "\r\n") are returned as
// they are; a longer line is reported with its length and reading goes on after it.
func TestLineReader(t *testing.T) {
	a := strings.Repeat("a", MaxLine)
	for _, tc := range []struct {
		name string
		in   string
		want []string // "!N": a *LineTooLongError of length N
	}{
		{"empty", "", nil},
		{"no final newline", "x\ny", []string{"x", "y"}},
		{"crlf", "x\r\ny\r\n\r\n", []string{"x", "y", ""}},
		{"final cr", "x\r", []string{"x"}},
		{"at the cap", a + "\n" + a + "\r\n" + a, []string{a, a, a}},
		{"one over", a + "b\nnext\n", []string{"!4097", "next"}},
		{"one over crlf", a + "b\r\nnext\r\n", []string{"!4097", "next"}},
		{"one over at eof", a + "b", []string{"!4097"}},
		{"far over", strings.Repeat("z", 3*MaxLine+5) + "\r\nnext", []string{"!12293", "next"}},
		{"cr at a slice end", strings.Repeat("z", MaxLine+3-1) + "\r\nnext", []string{"!4098", "next"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(tc.in), iotest.OneByteReader(strings.NewReader(tc.in))} {
				lr := NewLineReader(r)
				var got []string
				for {
					line, err := lr.Next()
					if err == io.EOF {
						break
					}
					var long *LineTooLongError
					if errors.As(err, &long) {
						line = "!" + strconv.Itoa(long.Len)
					} else {
						require.NoError(t, err)
					}
					got = append(got, line)
				}
				require.Equal(t, tc.want, got)
			}
		})
	}
}
