package acl

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// outcomeUnder returns the outcome of a trace's result that applies under the
// live counts: the first whose condition holds (neighbour discovery aside,
// which Evaluate does not model).
func outcomeUnder(t *Trace, a *ACL, live func(Rule) int) Outcome {
	for _, o := range t.Result {
		var r Rule
		for _, e := range a.entries {
			if e.Seq == o.Seq {
				r = e
			}
		}
		switch o.When {
		case "":
			return o
		case "under_limit":
			if live(r)+1 <= int(o.Limit) {
				return o
			}
		case "at_limit":
			if live(r)+1 >= int(o.Limit) {
				return o
			}
		}
	}
	return Outcome{}
}

// TestTraceAgreesWithEvaluate: on random lists and packets, a trace lists every
// line of a short list, says for each whether it matches as Rule.Matches does
// (and why not), and its result under any live counts is what Evaluate decides;
// given the live counts, Now is Evaluate's answer.
func TestTraceAgreesWithEvaluate(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 2))
	for _, f := range []Family{IPv4, IPv6} {
		uni := universe(f)
		for n := range 200 {
			a := randList(rng, f, 1+rng.IntN(8))
			ways := somehow(a)
			for range 40 {
				p := uni[rng.IntN(len(uni))]
				ctx := fmt.Sprintf("list %d (%s):\n%spacket %s", n, f.Name(), a.text(), Example{f, p})
				tr := a.Trace(p, nil)
				var lines []Step
				for _, s := range tr.Steps {
					if s.Seq != 0 {
						lines = append(lines, s)
					}
				}
				for i, s := range lines {
					r := a.entries[i]
					require.Equal(t, r.Seq, s.Seq, ctx)
					require.Equal(t, r.Matches(p), s.Matches, ctx)
					if !s.Matches {
						require.True(t, strings.HasPrefix(s.Reason, "does not match: "), ctx)
						require.NotContains(t, s.Reason, "criteria do not hold", ctx)
					}
				}
				require.NotEmpty(t, tr.Result, ctx)
				require.Nil(t, tr.Now, "no live counts: no Now")
				nd := false
				for _, o := range tr.Result {
					nd = nd || o.When == "nd"
				}
				require.Equal(t, nd, f == IPv6 && p.Proto == ProtoICMPv6 && !p.Reply && tr.Result[len(tr.Result)-1].By == "implicit", ctx)
				for _, live := range ways {
					want, ok := a.Evaluate(p, live)
					got := outcomeUnder(tr, a, live)
					if !ok {
						require.Equal(t, Outcome{Action: "deny", By: "implicit"}, got, ctx)
					} else {
						require.Equal(t, want.Seq, got.Seq, ctx)
						require.Equal(t, want.Action.String(), got.Action, ctx)
					}
					now := a.Trace(p, func(r Rule) (int, bool) { return live(r), true }).Now
					if nd || len(tr.Result) == 1 {
						require.Nil(t, now, "only when connlimit lines make a difference and not for neighbour discovery (the ICMPv6 type is not known)\n%s\n%+v", ctx, tr.Result)
						continue
					}
					require.NotNil(t, now, ctx)
					got.When, got.Limit = "", 0 // what decides now decides
					require.Equal(t, got, *now, ctx)
				}
			}
		}
	}
}
