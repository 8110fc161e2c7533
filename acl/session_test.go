package acl

import (
	"net/netip"
	"testing"
)

func TestSession(t *testing.T) {
	tcp, _ := ProtoKeyword("tcp", IPv4)
	host := func(s string) Address { return HostAddr(netip.MustParseAddr(s)) }
	ssh := PortMatch{Op: PortEq, Lo: 22}
	op := Packet{Proto: 6, Src: netip.MustParseAddr("10.24.12.107"), Dst: netip.MustParseAddr("10.24.12.129"), SrcPort: 40000, DstPort: 22}
	for _, tc := range []struct {
		name  string
		rules []Rule
		seq   Seq
		ok    bool
	}{
		{"empty list: implicit deny", nil, 0, false},
		{"plain permit", []Rule{{Seq: 10, Proto: tcp, Dst: host("10.24.12.129"), DstPort: ssh}}, 10, true},
		{"deny first", []Rule{{Seq: 10, Action: Deny, Proto: tcp, DstPort: ssh}, {Seq: 20}}, 10, true},
		{"deny connlimit falls through", []Rule{{Seq: 10, Action: Deny, Proto: tcp, ConnLimit: 1}}, 0, false},
		{"deny connlimit then permit", []Rule{{Seq: 10, Action: Deny, Proto: tcp, ConnLimit: 1}, {Seq: 20, Proto: tcp}}, 20, true},
		{"permit connlimit keeps its sessions", []Rule{{Seq: 10, Proto: tcp, Src: host("10.24.12.107"), ConnLimit: 1}, {Seq: 20, Action: Deny}}, 10, true},
		{"established line does not match", []Rule{{Seq: 10, Proto: tcp, Established: true}}, 0, false},
		{"other source only", []Rule{{Seq: 10, Src: host("10.24.12.108")}}, 0, false},
		{"remark matches nothing", []Rule{{Seq: 10, Remark: "x"}}, 0, false},
	} {
		a := NewACL("l", IPv4)
		for _, r := range tc.rules {
			if _, err := a.Add(r); err != nil {
				t.Fatalf("%s: Add(%+v): %v", tc.name, r, err)
			}
		}
		r, ok := a.Session(op)
		if ok != tc.ok || r.Seq != tc.seq {
			t.Errorf("%s: Session(op) = seq %d, %v, want seq %d, %v", tc.name, r.Seq, ok, tc.seq, tc.ok)
		}
	}
}
