// Package view renders what a show command shows: a view value, written once as
// text for people and, with `| json`, encoded as JSON for automation; and the
// output modifiers (| include, exclude, begin, section, count) that filter the
// text. It does no I/O of its own: the caller writes what Render returns.
package view

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/aclsh/aclsh/grammar"
)

// A View is what a show command shows. Its JSON is its encoding (fields or
// MarshalJSON); WriteText writes the text rendering, line by line (the
// output modifiers filter it).
type View interface {
	WriteText(w io.Writer)
}

// A Noter is a view with a line for the operator that is not part of the
// output: written on the error stream after the text (a script's stdout stays
// the config). With `| json` it is a field of the value instead.
type Noter interface{ NoteLine() string }

// Render returns what a show command writes for v: its JSON (indented, with a
// newline) when the pipe is `| json`, else its text through the pipe's
// modifiers, and then the note line for the error stream ("" for none, and
// always with JSON).
func Render(v View, p grammar.Pipe) (out, note string, err error) {
	if p.JSON() {
		data, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return "", "", err
		}
		return string(data) + "\n", "", nil
	}
	var b strings.Builder
	v.WriteText(&b)
	out, err = Filter(p, b.String())
	if err != nil {
		return "", "", err
	}
	return out, noteOf(v), nil
}

// streamBlock is the most output Write writes at once.
const streamBlock = 64 << 10

// Write writes to w what a show command writes for v, and returns the note
// line for the error stream (see Render). Without modifiers the text is
// written as it is made, in blocks of at most 64 KB: through the daemon a
// frame a block, so a million-line list is printed as it comes and nothing
// holds its whole text. Modifiers read the whole text first (Render).
func Write(w io.Writer, v View, p grammar.Pipe) (note string, err error) {
	if len(p) > 0 {
		out, note, err := Render(v, p)
		if err != nil {
			return "", err
		}
		_, err = io.WriteString(w, out)
		return note, err
	}
	bw := bufio.NewWriterSize(w, streamBlock)
	v.WriteText(bw)
	return noteOf(v), bw.Flush()
}

// noteOf returns v's note line ("" for none).
func noteOf(v View) string {
	if n, ok := v.(Noter); ok {
		return n.NoteLine()
	}
	return ""
}

// Filter applies a show command's text modifiers to its output, in order: each
// one's output is the next one's input. (`| json` is not a filter: see show.)
func Filter(p grammar.Pipe, text string) (string, error) {
	for _, f := range p {
		var err error
		if text, err = filterOne(f, text); err != nil {
			return "", err
		}
	}
	return text, nil
}

// filterOne applies one modifier. section keeps a matching line and the lines
// after it indented deeper than it (IOS): a rule and aclsh's lines under it, a
// list and its rules.
func filterOne(f grammar.Filter, text string) (string, error) {
	if f.Op == "count" {
		return fmt.Sprintf("%d\n", strings.Count(text, "\n")), nil
	}
	re, err := regexp.Compile(f.RE)
	if err != nil { // the grammar checked it
		return "", fmt.Errorf("bad regular expression %q: %v", f.RE, err)
	}
	var b strings.Builder
	begun, in, depth := false, false, 0
	for _, l := range strings.SplitAfter(text, "\n") {
		if l == "" {
			continue
		}
		line := strings.TrimSuffix(l, "\n")
		switch f.Op {
		case "include":
			if !re.MatchString(line) {
				continue
			}
		case "exclude":
			if re.MatchString(line) {
				continue
			}
		case "begin":
			if !begun && !re.MatchString(line) {
				continue
			}
			begun = true
		case "section":
			d := len(line) - len(strings.TrimLeft(line, " \t"))
			if in && d > depth {
				break // under the line that matched
			}
			in = false
			if !re.MatchString(line) {
				continue
			}
			in, depth = true, d
		}
		b.WriteString(l)
	}
	return b.String(), nil
}
