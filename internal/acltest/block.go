package acltest

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// BlockLines is the length of issue 21's blocklist benchmarks: ACLSH_BLOCK_LINES,
// else def.
func BlockLines(def int) int {
	if n, err := strconv.Atoi(os.Getenv("ACLSH_BLOCK_LINES")); err == nil && n > 0 {
		return n
	}
	return def
}

// BlockScript is a script (from exec mode) of issue 21's blocklist: list
// block of n `seq N deny ip host X any` lines (hosts 11.0.0.0 on), then
// `permit tcp any any eq 22`, bound to management 0 when bind.
func BlockScript(n int, bind bool) string {
	var text strings.Builder
	text.Grow(40*n + 200)
	text.WriteString("conf t\nip access-list extended block\n")
	for i := range n {
		fmt.Fprintf(&text, " seq %d deny ip host %d.%d.%d.%d any\n", i+1, 11+i>>24, i>>16&255, i>>8&255, i&255)
	}
	fmt.Fprintf(&text, " seq %d permit tcp any any eq 22\n", n+1)
	if bind {
		text.WriteString("interface management 0\n ip access-group block in\n")
	}
	text.WriteString("end\n")
	return text.String()
}
