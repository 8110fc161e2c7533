package grammar

import (
	"strings"
	"testing"

	"github.com/aclsh/aclsh/acl"
)

// `?` never offers a word that Enter then refuses: from rule lines of every
// protocol, every order of the flags `?` offers after them (a value after
// connlimit, mask and sources) is followed; wherever `?` offers <cr>, the line
// parses and the model takes the rule. Before established and connlimit were
// one choice, `?` offered connlimit after established and the reverse, and
// Enter refused both.
func TestHelpOffersWhatEnterTakes(t *testing.T) {
	flags := map[string]bool{"established": true, "connlimit": true, "mask": true, "sources": true, "count": true, "log": true}
	value := map[string]string{"connlimit": "3", "mask": "24", "sources": "16"}
	lines := 0
	for _, tc := range []struct {
		mode   Mode
		prefix string
	}{
		{IPACL, "permit tcp any any"}, {IPACL, "deny tcp any eq 22 host 10.0.0.1 range 1 9"}, {IPACL, "permit udp any any eq 53"},
		{IPACL, "permit icmp any any echo"}, {IPACL, "permit ip any any"}, {IPACL, "seq 5 permit 47 any any"},
		{IP6ACL, "permit tcp any any"}, {IP6ACL, "permit icmpv6 any any echo-request"}, {IP6ACL, "deny ipv6 2001:db8::/32 any"},
	} {
		var walk func(line, last string, depth int)
		walk = func(line, last string, depth int) {
			cands, err := Help(tc.mode, line+" ")
			if err != nil {
				t.Fatalf("Help(%q) after `?` offered its last word: %v", line+" ", err)
			}
			for _, c := range cands {
				switch {
				case c.Word == "<cr>":
					lines++
					cmd, err := Parse(tc.mode, line)
					if err == nil {
						err = cmd.rule().Validate(tc.mode.Family())
					}
					if err != nil {
						t.Errorf("`%s ?` offers <cr>, and Enter refuses the line: %v", line, err)
					}
				case c.Var && value[last] != "":
					walk(line+" "+value[last], "", depth+1)
				case !c.Var && flags[c.Word] && depth < 8:
					walk(line+" "+c.Word, c.Word, depth+1)
				}
			}
		}
		walk(tc.prefix, "", 0)
	}
	if lines < 500 {
		t.Errorf("%d lines checked; the walk is broken", lines)
	}
	// Both orders are refused at Enter, as before, and not offered.
	for _, line := range []string{"permit tcp any any established ", "permit tcp any any connlimit 3 ", "permit tcp any any connlimit 3 mask 24 log "} {
		for _, c := range mustHelp(t, IPACL, line) {
			if c.Word == "established" && strings.Contains(line, "connlimit") || c.Word == "connlimit" && strings.Contains(line, "established") {
				t.Errorf("`%s?` offers %s", line, c.Word)
			}
		}
	}
	cmd, err := Parse(IPACL, "permit tcp any any established connlimit 3")
	if err == nil {
		err = cmd.rule().Validate(acl.IPv4)
	}
	if err == nil || !strings.Contains(err.Error(), "cannot be combined with established") {
		t.Errorf("established connlimit 3: %v, want the model's refusal", err)
	}
}
