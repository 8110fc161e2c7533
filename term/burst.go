package term

import (
	"io"
	"sync"
	"time"
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
	// gate, if set, holds input back after a key that may end the line.
	gate *lineGate
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

// more reads what the terminal has next into the buffer (for the plain line, while
// the gate holds readline back).
func (b *burstReader) more() error {
	n, err := b.in.Read(b.chunk)
	b.buf = append(b.buf, b.chunk[:n]...)
	if n == 0 && err != nil {
		return err
	}
	return nil
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
	if b.gate != nil {
		b.gate.wait()
	}
	for len(b.buf) == 0 {
		if err := b.more(); err != nil {
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
		end := b.gate != nil && b.esc == escNone && lineEnd(c)
		b.esc = b.esc.next(c)
		if c == burstMark {
			continue
		}
		p[n] = c
		n++
		if end {
			// Nothing after it until the editor judged it (see lineGate).
			b.gate.passed()
			break
		}
	}
	if n == 0 {
		// Only dropped bytes: read on rather than return nothing.
		return b.Read(p)
	}
	return n, nil
}

// lineGate keeps a line's input from readline until the terminal hands it the line
// (see plain.go: a line starts plain, and goes to readline when the operator edits).
// readline's key loop reads ahead: after a key that ended a line it may go on
// reading (it was woken for an earlier key), so pasted lines were drawn after the
// prompt of the line before, the shell's answer and the right prompt coming after
// them. The burstReader therefore stops after each key that may end a line (Enter,
// Ctrl-C, Ctrl-D, Ctrl-Z) until the editor has judged the key (judge), and, when it
// did end the line, until the shell asks for the next line (open).
type lineGate struct {
	mu      sync.Mutex
	cond    *sync.Cond
	sent    int  // line-ending keys passed on
	judged  int  // of them, judged by the editor
	held    bool // a line ended: keep input back until open
	stopped bool // the shell ended: let everything through
}

// judgeWait is how long the burstReader waits for the editor to judge a key; it
// judges each at once, unless readline took the byte as part of another key.
const judgeWait = time.Second

func newLineGate() *lineGate {
	g := &lineGate{}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// lineEnd reports whether byte c, outside an escape sequence, is a key that may
// end the line being edited.
func lineEnd(c byte) bool {
	switch c {
	case '\r', '\n', 0x03, 0x04, ctrlZ:
		return true
	}
	return false
}

// passed records that a line-ending key was passed on to the editor.
func (g *lineGate) passed() {
	g.mu.Lock()
	g.sent++
	g.mu.Unlock()
}

// judge is the editor's verdict on the last line-ending key: ends says the key
// ended the line.
func (g *lineGate) judge(ends bool) {
	g.mu.Lock()
	if g.judged < g.sent {
		g.judged++
	}
	g.held = g.held || ends
	g.cond.Broadcast()
	g.mu.Unlock()
}

// hold keeps input back until open: the terminal reads it (a plain line).
func (g *lineGate) hold() {
	g.mu.Lock()
	g.held = true
	g.mu.Unlock()
}

// open lets input through again: readline is about to read a line.
func (g *lineGate) open() {
	g.mu.Lock()
	g.held = false
	g.cond.Broadcast()
	g.mu.Unlock()
}

// stop lets all input through from now on.
func (g *lineGate) stop() {
	g.mu.Lock()
	g.stopped = true
	g.cond.Broadcast()
	g.mu.Unlock()
}

// wait blocks while the last line-ending key is not judged (at most judgeWait) or
// its line is not read yet.
func (g *lineGate) wait() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.judged < g.sent && !g.stopped {
		t := time.AfterFunc(judgeWait, func() {
			g.mu.Lock()
			g.judged = g.sent
			g.cond.Broadcast()
			g.mu.Unlock()
		})
		for g.judged < g.sent && !g.stopped {
			g.cond.Wait()
		}
		t.Stop()
	}
	for g.held && !g.stopped {
		g.cond.Wait()
	}
}
