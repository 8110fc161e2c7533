package enforcer

import (
	"testing"

	"github.com/google/nftables/userdata"
)

// TestCommentOf: commentOf reads what comment reads from an element's userdata,
// foreign and truncated userdata included.
func TestCommentOf(t *testing.T) {
	c := userdata.AppendString(nil, userdata.TypeComment, "block/17")
	other := userdata.AppendUint32(nil, userdata.Type(3), 7)
	for _, ud := range [][]byte{
		nil,
		{},
		{0},
		c,
		c[: len(c)-1 : len(c)-1],        // truncated, capped (userdata.Get slices up to the capacity)
		c[:3:3],                         // truncated
		append(other, c...),             // after another type
		other,                           // no comment
		{byte(userdata.TypeComment), 0}, // empty
		{byte(userdata.TypeComment), 3, 'a', 'b', 0},
		{9, 200, 1}, // a foreign length
	} {
		if got, want := string(commentOf(ud)), comment(ud); got != want {
			t.Errorf("commentOf(%q) = %q, want %q", ud, got, want)
		}
	}
}
