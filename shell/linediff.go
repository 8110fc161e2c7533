package shell

import (
	"fmt"
	"strings"
)

// diffLine is one line of a line diff: ' ' kept, '-' only in a, '+' only in b.
type diffLine struct {
	op   byte
	text string
}

// maxLCSCells bounds the dynamic programming table of lineDiff; a larger changed
// middle is shown as removed and added whole.
const maxLCSCells = 4 << 20

// lineDiff returns a shortest edit script from a to b: the common prefix and
// suffix are kept, the middle is aligned by a longest common subsequence (when
// it is at most maxLCSCells lines squared, else removed and added whole).
func lineDiff(a, b []string) []diffLine {
	var out []diffLine
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		out = append(out, diffLine{' ', a[p]})
		p++
	}
	q := 0
	for q < len(a)-p && q < len(b)-p && a[len(a)-1-q] == b[len(b)-1-q] {
		q++
	}
	ma, mb := a[p:len(a)-q], b[p:len(b)-q]
	if n, m := len(ma), len(mb); n > 0 && m > 0 && (n+1)*(m+1) <= maxLCSCells {
		// l[i][j]: LCS length of ma[i:] and mb[j:].
		w := m + 1
		l := make([]int32, (n+1)*w)
		for i := n - 1; i >= 0; i-- {
			for j := m - 1; j >= 0; j-- {
				if ma[i] == mb[j] {
					l[i*w+j] = l[(i+1)*w+j+1] + 1
				} else {
					l[i*w+j] = max(l[(i+1)*w+j], l[i*w+j+1])
				}
			}
		}
		i, j := 0, 0
		for i < n && j < m {
			switch {
			case ma[i] == mb[j]:
				out = append(out, diffLine{' ', ma[i]})
				i++
				j++
			case l[(i+1)*w+j] >= l[i*w+j+1]:
				out = append(out, diffLine{'-', ma[i]})
				i++
			default:
				out = append(out, diffLine{'+', mb[j]})
				j++
			}
		}
		ma, mb = ma[i:], mb[j:]
	}
	for _, l := range ma {
		out = append(out, diffLine{'-', l})
	}
	for _, l := range mb {
		out = append(out, diffLine{'+', l})
	}
	for _, l := range a[len(a)-q:] {
		out = append(out, diffLine{' ', l})
	}
	return out
}

// unifiedDiff renders the difference between two texts as `diff -u` does, with
// three lines of context and the file names given; "" if they are equal.
func unifiedDiff(nameA, nameB, a, b string) string {
	d := lineDiff(splitLines(a), splitLines(b))
	const ctx = 3
	var b2 strings.Builder
	// Hunks: runs of changes with ctx kept lines around them, merged when close.
	for i := 0; i < len(d); {
		if d[i].op == ' ' {
			i++
			continue
		}
		start := max(0, i-ctx)
		end := i
		for end < len(d) {
			if d[end].op != ' ' {
				end++
				continue
			}
			k := end
			for k < len(d) && d[k].op == ' ' {
				k++
			}
			if k == len(d) || k-end > 2*ctx {
				end = min(len(d), end+ctx)
				break
			}
			end = k
		}
		if b2.Len() == 0 {
			fmt.Fprintf(&b2, "--- %s\n+++ %s\n", nameA, nameB)
		}
		// Line numbers of the hunk's start in a and b.
		la, lb := 1, 1
		for _, x := range d[:start] {
			if x.op != '+' {
				la++
			}
			if x.op != '-' {
				lb++
			}
		}
		na, nb := 0, 0
		for _, x := range d[start:end] {
			if x.op != '+' {
				na++
			}
			if x.op != '-' {
				nb++
			}
		}
		fmt.Fprintf(&b2, "@@ %s %s @@\n", hunkRange('-', la, na), hunkRange('+', lb, nb))
		for _, x := range d[start:end] {
			b2.WriteByte(x.op)
			b2.WriteString(x.text)
			b2.WriteByte('\n')
		}
		i = end
	}
	return b2.String()
}

func hunkRange(sign byte, start, n int) string {
	if n == 0 {
		start-- // diff -u names the line before an empty range
	}
	if n == 1 {
		return fmt.Sprintf("%c%d", sign, start)
	}
	return fmt.Sprintf("%c%d,%d", sign, start, n)
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
