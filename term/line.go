package term

import (
	"bufio"
	"fmt"
	"io"
)

// MaxLine is the longest line aclsh accepts, in bytes without the line ending, from a
// script or a terminal. The longest valid command is far shorter (a remark holds 255
// characters, a name 63, an address 43), so only pasted garbage reaches it; and a
// terminal redraws the line being edited, which must stay cheap at this length.
const MaxLine = 4096

// LineTooLongError reports a line longer than MaxLine. Len is its length in bytes.
type LineTooLongError struct{ Len int }

func (e *LineTooLongError) Error() string {
	return fmt.Sprintf("line too long (%d bytes; at most %d)", e.Len, MaxLine)
}

// LineReader reads a script's lines. It never holds more than MaxLine bytes of one
// line: a longer line is read to its end and reported by length only.
type LineReader struct{ br *bufio.Reader }

// NewLineReader returns a LineReader of r.
func NewLineReader(r io.Reader) *LineReader {
	// A line of MaxLine+1 bytes and its "\r\n" fit, so a line is too long exactly
	// when it does not fit with its ending.
	return &LineReader{br: bufio.NewReaderSize(r, MaxLine+3)}
}

// Next returns the next line without its ending ("\n" or "\r\n"; the last line may
// have none). A line longer than MaxLine yields a *LineTooLongError and the line
// after it is read next. At the end of input it returns io.EOF.
func (lr *LineReader) Next() (string, error) {
	n := 0 // bytes of this line before the current slice
	var last byte
	for {
		b, err := lr.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			n += len(b)
			last = b[len(b)-1]
			continue
		}
		if err != nil && err != io.EOF {
			return "", err
		}
		if err == io.EOF && n == 0 && len(b) == 0 {
			return "", io.EOF
		}
		end := len(b)
		if end > 0 && b[end-1] == '\n' {
			end--
		}
		if end > 0 && b[end-1] == '\r' {
			end--
		} else if end == 0 && n > 0 && last == '\r' {
			n-- // the "\r" of "\r\n" ended the previous slice
		}
		if n+end > MaxLine {
			return "", &LineTooLongError{Len: n + end}
		}
		return string(b[:end]), nil
	}
}
