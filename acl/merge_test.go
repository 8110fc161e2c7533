package acl

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mcfg builds a config for merge tests: lists of `permit tcp any any eq PORT`
// lines (port 0: a remark "r SEQ"), keyed by name; names starting with v are IPv6.
type mlist struct {
	name  string
	lines [][2]int // seq, port
}

func mcfg(t *testing.T, bind string, lists ...mlist) *Config {
	t.Helper()
	c := NewConfig()
	for _, l := range lists {
		f := IPv4
		if l.name[0] == 'v' {
			f = IPv6
		}
		a, err := c.Ensure(l.name, f)
		require.NoError(t, err)
		for _, sp := range l.lines {
			r := Rule{Seq: Seq(sp[0]), Proto: Protocol{Num: 6, Set: true, Keyword: true}, DstPort: PortMatch{Op: PortEq, Lo: uint16(sp[1])}}
			if sp[1] == 0 {
				r = Rule{Seq: Seq(sp[0]), Remark: "note"}
			}
			_, err := a.Add(r)
			require.NoError(t, err)
		}
	}
	if bind != "" {
		require.NoError(t, c.Bind(Inbound(c.ACLs[bind].Family), bind))
	}
	return c
}

func TestMerge(t *testing.T) {
	for _, tc := range []struct {
		name     string
		run, src *Config
		want     *Config
		changed  int
		err      string
	}{
		{
			name: "lines the running-config lost come back, its own stay",
			run:  mcfg(t, "web", mlist{"web", [][2]int{{10, 22}, {15, 8080}}}),
			src:  mcfg(t, "web", mlist{"web", [][2]int{{10, 22}, {20, 80}, {30, 0}}}),
			want: mcfg(t, "web", mlist{"web", [][2]int{{10, 22}, {15, 8080}, {20, 80}, {30, 0}}}),
			// seq 20 and the remark
			changed: 2,
		},
		{
			name:    "a list the running-config lacks is created whole; the binding follows the source",
			run:     mcfg(t, "a", mlist{"a", [][2]int{{10, 22}}}),
			src:     mcfg(t, "b", mlist{"b", [][2]int{{10, 80}, {20, 443}}}),
			want:    mcfg(t, "b", mlist{"a", [][2]int{{10, 22}}}, mlist{"b", [][2]int{{10, 80}, {20, 443}}}),
			changed: 4, // the list, two entries, the binding
		},
		{
			name:    "a resequenced running-config already has every line",
			run:     mcfg(t, "", mlist{"a", [][2]int{{1, 22}, {2, 80}, {3, 0}}}),
			src:     mcfg(t, "", mlist{"a", [][2]int{{10, 22}, {20, 80}, {30, 0}}}),
			want:    mcfg(t, "", mlist{"a", [][2]int{{1, 22}, {2, 80}, {3, 0}}}),
			changed: 0,
		},
		{
			name:    "a binding the source does not have is kept",
			run:     mcfg(t, "a", mlist{"a", [][2]int{{10, 22}}}),
			src:     mcfg(t, "", mlist{"a", [][2]int{{10, 22}}}),
			want:    mcfg(t, "a", mlist{"a", [][2]int{{10, 22}}}),
			changed: 0,
		},
		{
			name: "a seq in use for another line is a conflict: nothing changes",
			run:  mcfg(t, "", mlist{"a", [][2]int{{10, 22}}}, mlist{"b", [][2]int{{10, 80}}}),
			src:  mcfg(t, "", mlist{"a", [][2]int{{10, 23}, {20, 25}}}, mlist{"b", [][2]int{{10, 80}}}, mlist{"c", [][2]int{{10, 1}}}),
			err:  "1 line(s) with a seq in use for another entry: access list a seq 10 is `permit tcp any any eq 22` here and `permit tcp any any eq 23` in the config merged",
		},
		{
			name: "same name, other family",
			run:  mcfg(t, "", mlist{"vx", [][2]int{{10, 22}}}),
			src: func() *Config {
				c := NewConfig()
				c.Ensure("vx", IPv4)
				return c
			}(),
			err: "access list vx is an IPv6 list in the running-config and an IPv4 list in the one merged",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.run.Render()
			n, err := tc.run.Merge(tc.src)
			if tc.err != "" {
				require.EqualError(t, err, tc.err)
				assert.Equal(t, before, tc.run.Render(), "a failed merge changes nothing")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want.Render(), tc.run.Render())
			assert.Equal(t, tc.changed, n, "Merge() changed count")
			n, err = tc.run.Merge(tc.src)
			require.NoError(t, err)
			assert.Equal(t, 0, n, "merging again changes nothing")
			assert.Equal(t, tc.want.Render(), tc.run.Render())
		})
	}
}

func TestMergeLogIntervalAndConflictKind(t *testing.T) {
	run, src := NewConfig(), NewConfig()
	require.NoError(t, run.SetLogInterval(500))
	n, err := run.Merge(src)
	require.NoError(t, err)
	assert.Equal(t, 0, n)
	assert.Equal(t, uint32(500), run.LogInterval.Millis(), "a source without the line keeps the running-config's interval")
	require.NoError(t, src.SetLogInterval(2000))
	n, err = run.Merge(src)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, uint32(2000), run.LogInterval.Millis())

	a := mcfg(t, "", mlist{"a", [][2]int{{10, 22}}})
	b := mcfg(t, "", mlist{"a", [][2]int{{10, 23}}})
	_, err = a.Merge(b)
	assert.True(t, errors.Is(err, ErrConflict), "Merge() = %v, want ErrConflict", err)
}
