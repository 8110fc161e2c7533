package shell

import (
	"io"
	"unicode/utf8"
)

// burstMark is the byte a burstReader passes on in place of a run of text it took
// out of the input. It drops the byte itself from the terminal's input (Ctrl-\ is no
// key of the shell), so each one the editor reads stands for a run.
const burstMark = 0x1c

// burstReader sits between the terminal and readline. readline inserts a character
// and redraws the whole line for each character it reads, so a pasted line of n
// characters costs n redraws of up to n characters each: quadratic (a 4,096-byte
// line wrote 8.9 MB to the terminal). The burstReader passes keys on, but takes out
// each run of two or more characters that arrives in one read and would each be
// inserted (text outside an escape sequence, except '?', the help key),
// offers it to the editor, and passes on one burstMark in its place. When the editor
// reads the mark it inserts the run with one redraw (runTaken), or, in a search or a
// completion where a key means more, declines it (runKeys): its first character is
// then passed on as a key and the rest read again (a typed character usually ends a
// completion; in a search each goes on as a key, as readline reads them, up to a
// limit, after which the editor drops the rest: runDropped).
//
// Only readline's reader goroutine calls Read. It calls it again right after
// decoding the mark (readline reads ahead only when it has nothing left), and that
// call waits for the editor's answer, so runs and keys keep their order.
type burstReader struct {
	in    io.Reader
	offer func(run []byte) // hands the editor a run, before its mark is passed on
	taken <-chan runAnswer // the editor's answer for the run last offered

	chunk   []byte
	buf     []byte // read from the terminal, not yet passed on
	keys    int    // bytes at the start of buf to pass on as keys (of a declined run)
	esc     escState
	offered []byte // the run last offered, until answered
}

// runAnswer is the editor's answer to a run offered by a burstReader.
type runAnswer uint8

const (
	runTaken   runAnswer = iota // inserted
	runKeys                     // to be passed on as keys
	runDropped                  // refused
)

// escState follows terminal escape sequences in the bytes passed on: what follows
// ESC is a key's code, never text.
type escState uint8

const (
	escNone escState = iota
	escStart
	escCSI // ESC [ ... up to a final byte 0x40-0x7e
	escSS3 // ESC O x
)

func (st escState) next(c byte) escState {
	switch st {
	case escStart:
		switch c {
		case '[':
			return escCSI
		case 'O':
			return escSS3
		}
		return escNone
	case escCSI:
		if c >= 0x40 && c <= 0x7e {
			return escNone
		}
		return escCSI
	case escSS3:
		return escNone
	}
	if c == 0x1b {
		return escStart
	}
	return escNone
}

// isText reports whether readline inserts r into the line as it is.
func isText(r rune) bool {
	return r >= ' ' && r != 0x7f && r != '?' && (r < 0x80 || r >= 0xa0)
}

// textRun returns the length in bytes and in characters of the text buf starts with.
func textRun(buf []byte) (size, count int) {
	for size < len(buf) {
		r, n := utf8.DecodeRune(buf[size:])
		if !isText(r) || r == utf8.RuneError && n == 1 {
			break
		}
		size += n
		count++
	}
	return size, count
}

func newBurstReader(in io.Reader, offer func([]byte), taken <-chan runAnswer) *burstReader {
	return &burstReader{in: in, offer: offer, taken: taken, chunk: make([]byte, 16*1024)}
}

func (b *burstReader) Read(p []byte) (int, error) {
	if b.offered != nil {
		if <-b.taken == runKeys {
			_, first := utf8.DecodeRune(b.offered)
			b.buf = append(b.offered, b.buf...)
			b.keys = first
		}
		b.offered = nil
	}
	for len(b.buf) == 0 {
		n, err := b.in.Read(b.chunk)
		b.buf = append(b.buf, b.chunk[:n]...)
		if n == 0 && err != nil {
			return 0, err
		}
	}
	n := 0
	for n < len(p) && len(b.buf) > 0 {
		if b.keys == 0 && b.esc == escNone {
			if size, count := textRun(b.buf); count > 1 {
				if n > 0 {
					break // pass on what came before it first
				}
				b.offered = append([]byte(nil), b.buf[:size]...)
				b.buf = b.buf[size:]
				b.offer(b.offered)
				p[0] = burstMark
				return 1, nil
			}
		}
		c := b.buf[0]
		b.buf = b.buf[1:]
		if b.keys > 0 {
			b.keys--
		}
		b.esc = b.esc.next(c)
		if c == burstMark {
			continue
		}
		p[n] = c
		n++
	}
	if n == 0 {
		// Only dropped bytes: read on rather than return nothing.
		return b.Read(p)
	}
	return n, nil
}
