package acl

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// outcomeUnder returns the outcome of a trace's result that applies under the
// live counts: the first whose condition holds.
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
				// Evaluate knows the lines; what no line decides, the implicit
				// permit of neighbour discovery (the enforcer's) or the implicit deny.
				end := Outcome{Action: "deny", By: "implicit"}
				if ImplicitPermits(f, p) {
					end.Action = "permit"
				}
				if last := tr.Steps[len(tr.Steps)-1]; last.Seq == 0 && last.Skipped == 0 {
					require.Equal(t, map[string]string{"deny": "implicit deny", "permit": ImplicitICMPv6Line()}[end.Action], last.Line, ctx)
				}
				for _, live := range ways {
					want, ok := a.Evaluate(p, live)
					got := outcomeUnder(tr, a, live)
					if !ok {
						require.Equal(t, end, got, ctx)
					} else {
						require.Equal(t, want.Seq, got.Seq, ctx)
						require.Equal(t, want.Action.String(), got.Action, ctx)
					}
					now := a.Trace(p, func(r Rule) (int, bool) { return live(r), true }).Now
					if len(tr.Result) == 1 {
						require.Nil(t, now, "only when connlimit lines make a difference\n%s\n%+v", ctx, tr.Result)
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

// TestTraceReasons: how a trace words what a port list, an ICMP type and code
// and the implicit permit of neighbour discovery make of a packet.
func TestTraceReasons(t *testing.T) {
	tcp4, _ := ProtoKeyword("tcp", IPv4)
	icmp4, _ := ProtoKeyword("icmp", IPv4)
	icmp6, _ := ProtoKeyword("icmp", IPv6)
	a4, a6 := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("fd00::1")
	ports := func(op PortOp, ps ...uint16) PortMatch {
		m, err := PortList(op, ps...)
		require.NoError(t, err)
		return m
	}
	for _, tc := range []struct {
		f     Family
		rules []Rule
		p     Packet
		steps []string // "line: reason" per step
	}{
		{IPv4, []Rule{{Proto: tcp4, DstPort: ports(PortEq, 830, 22, 443)}, {Proto: tcp4, DstPort: ports(PortNeq, 80, 8080)}, {Proto: tcp4, DstPort: ports(PortNeq, 80)}},
			Packet{Proto: ProtoTCP, Src: a4, Dst: a4, SrcPort: 40000, DstPort: 80}, []string{
				"seq 10 permit tcp any any eq 22 443 830: does not match: destination port 80 is not 22, 443 or 830",
				"seq 20 permit tcp any any neq 80 8080: does not match: destination port 80 is one of those it excludes (neq 80 8080)",
				"seq 30 permit tcp any any neq 80: does not match: destination port 80 is the one it excludes (neq 80)",
				"implicit deny: matches"}},
		{IPv4, []Rule{{Proto: tcp4, DstPort: ports(PortEq, 22, 443)}}, Packet{Proto: ProtoTCP, Src: a4, Dst: a4, DstPort: 80},
			[]string{"seq 10 permit tcp any any eq 22 443: does not match: destination port 80 is not 22 or 443", "implicit deny: matches"}},
		{IPv4, []Rule{{Proto: icmp4, ICMP: ICMPMatch{Type: 8, Set: true}}, {Proto: icmp4, ICMP: ICMPMatch{Type: 3, Code: 4, Set: true, CodeSet: true}},
			{Proto: icmp4, ICMP: ICMPMatch{Type: 3, Code: 99, Set: true, CodeSet: true}}, {Action: Deny, Proto: icmp4, ICMP: ICMPMatch{Type: 3, Set: true}}},
			Packet{Proto: ProtoICMP, Src: a4, Dst: a4, ICMPType: 3, ICMPCode: 3}, []string{
				"seq 10 permit icmp any any echo: does not match: ICMP type 3 code 3 (port-unreachable) is not type 8 (echo)",
				"seq 20 permit icmp any any packet-too-big: does not match: ICMP type 3 code 3 (port-unreachable) is not type 3 code 4 (packet-too-big)",
				"seq 30 permit icmp any any 3 99: does not match: ICMP type 3 code 3 (port-unreachable) is not type 3 code 99",
				"seq 40 deny icmp any any unreachable: matches"}},
		{IPv6, []Rule{{Proto: icmp6, ICMP: ICMPMatch{Type: 128, Set: true}}}, Packet{Proto: ProtoICMPv6, Src: a6, Dst: a6, ICMPType: 135}, []string{
			"seq 10 permit icmp any any echo-request: does not match: ICMP type 135 code 0 (nd-ns) is not type 128 (echo-request)",
			"implicit permit icmp any any router-advertisement, nd-ns, nd-na: matches"}},
		{IPv6, []Rule{{Proto: icmp6, ICMP: ICMPMatch{Type: 135, Set: true}}}, Packet{Proto: ProtoICMPv6, Src: a6, Dst: a6, ICMPType: 133}, []string{
			"seq 10 permit icmp any any nd-ns: does not match: ICMP type 133 code 0 (router-solicitation) is not type 135 (nd-ns)",
			"implicit permit icmp any any router-advertisement, nd-ns, nd-na: does not match: ICMP type 133 code 0 (router-solicitation) is not type 134 (router-advertisement), type 135 (nd-ns) or type 136 (nd-na)",
			"implicit deny: matches"}},
	} {
		a := NewACL("t", tc.f)
		for _, r := range tc.rules {
			_, err := a.Add(r)
			require.NoError(t, err)
		}
		tr := a.Trace(tc.p, nil)
		var got []string
		for _, s := range tr.Steps {
			got = append(got, s.Line+": "+s.Reason)
		}
		require.Equal(t, tc.steps, got, "Trace(%s)", Example{tc.f, tc.p})
	}
}
