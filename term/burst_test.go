package term

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// chunks is a terminal that delivers its input in the given reads.
type chunks []string

func (c *chunks) Read(p []byte) (int, error) {
	if len(*c) == 0 {
		return 0, io.EOF
	}
	n := copy(p, (*c)[0])
	if n == len((*c)[0]) {
		*c = (*c)[1:]
	} else {
		(*c)[0] = (*c)[0][n:]
	}
	return n, nil
}

// TestBurstReader: runs of text read at once reach the editor whole, in order with
// the keys around them; escape sequences, '?', single characters and control keys
// pass as keys; a declined run goes on as one key and the rest is offered again.
func TestBurstReader(t *testing.T) {
	for _, tc := range []struct {
		name    string
		reads   []string
		decline int    // answer runKeys to this many offers first
		want    string // keys as read, each run taken as [run]
	}{
		{"typed", []string{"s", "h", "\t", "\r"}, 0, "sh\t\r"},
		{"pasted", []string{"show running-config\rconf t\r"}, 0, "[show running-config]\r[conf t]\r"},
		{"split reads", []string{"permit tcp a", "ny any\r"}, 0, "[permit tcp a][ny any]\r"},
		{"help key", []string{"ip access-list ?ext\t"}, 0, "[ip access-list ]?[ext]\t"},
		{"escapes", []string{"\x1b[Aab\x1b[1;5Dcd\x1bOHxy\x1bbzz"}, 0, "\x1b[A[ab]\x1b[1;5D[cd]\x1bOH[xy]\x1bb[zz]"},
		{"escape split", []string{"\x1b", "[1", "2~ab"}, 0, "\x1b[12~[ab]"},
		{"ctrl-backslash dropped", []string{"a\x1cb", "\x1c", "c"}, 0, "abc"},
		{"non-ascii", []string{"remark caf\u00e9 ok"}, 0, "[remark caf\u00e9 ok]"},
		{"split character", []string{"ab\xc3", "\xa9cd"}, 0, "[ab]\xc3\xa9[cd]"},
		{"control characters", []string{"a\u0085b\x7fcd"}, 0, "a\u0085b\x7f[cd]"},
		{"declined", []string{"abcd\r"}, 2, "ab[cd]\r"},
		{"dropped", []string{"ab\rcd", "\x1b[A"}, -1, "\r\x1b[A"},
		{"declined non-ascii", []string{"\u00e9\u00e9\u00e9"}, 1, "\u00e9[\u00e9\u00e9]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := chunks(append([]string(nil), tc.reads...))
			taken := make(chan runAnswer, 1)
			var offered []byte
			br := newBurstReader(&in, func(run []byte) { offered = run }, taken)
			var got strings.Builder
			declines := tc.decline
			p := make([]byte, 4096)
			for {
				n, err := br.Read(p)
				for _, c := range p[:n] {
					if c != burstMark {
						got.WriteByte(c)
						continue
					}
					require.NotNil(t, offered)
					answer := runTaken
					switch {
					case declines > 0:
						answer = runKeys
						declines--
					case declines < 0:
						answer = runDropped
					default:
						got.WriteString("[" + string(offered) + "]")
					}
					offered = nil
					taken <- answer
				}
				if err == io.EOF {
					break
				}
				require.NoError(t, err)
			}
			require.Equal(t, tc.want, got.String())
		})
	}
}

// TestLineGate: with a gate, the burstReader passes nothing after a key that may
// end a line until the editor has judged it, and after one that ended the line,
// until the shell opens the gate for the next line. Keys that did not end the line
// let the input through; a key inside an escape sequence is not held.
func TestLineGate(t *testing.T) {
	in := chunks{"a\rb\x04c\x1b\rd"}
	g := newLineGate()
	br := newBurstReader(&in, func([]byte) {}, make(chan runAnswer))
	br.gate = g
	p := make([]byte, 64)
	read := func() <-chan string {
		c := make(chan string, 1)
		go func() {
			n, _ := br.Read(p)
			c <- string(p[:n])
		}()
		return c
	}
	blocked := func(c <-chan string) {
		t.Helper()
		select {
		case s := <-c:
			t.Fatalf("read %q while the gate is closed", s)
		case <-time.After(50 * time.Millisecond):
		}
	}
	require.Equal(t, "a\r", <-read(), "up to the key that may end the line")
	c := read()
	blocked(c)    // not judged yet
	g.judge(true) // it ended the line
	blocked(c)    // the shell has not asked for the next line
	g.open()
	require.Equal(t, "b\x04", <-c)
	c = read()
	blocked(c)
	g.judge(false) // Ctrl-D on a line with text: not the end
	require.Equal(t, "c\x1b\rd", <-c, "Enter after ESC is a key of its own, not held")
}
