package enforcer_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
	statedir "github.com/aclsh/aclsh/config"
	. "github.com/aclsh/aclsh/enforcer"
	"github.com/aclsh/aclsh/internal/echo"
	"github.com/aclsh/aclsh/shell"
)

// serveIn starts TCP and UDP echo servers on port in namespace ns: TCP on every
// address, UDP on each of addrs (a datagram socket on the wildcard address would
// answer from the interface's first address, not the one asked).
func (l *lab) serveIn(ns string, port int, addrs ...string) {
	inNS(l.t, ns, func() {
		ln, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
		require.NoError(l.t, err)
		l.t.Cleanup(func() { ln.Close() })
		go echo.ServeTCP(ln)
		if len(addrs) == 0 {
			addrs = []string{""}
		}
		for _, a := range addrs {
			pc, err := net.ListenPacket("udp", net.JoinHostPort(a, fmt.Sprint(port)))
			require.NoError(l.t, err)
			l.t.Cleanup(func() { pc.Close() })
			go echo.ServeUDP(pc)
		}
	})
}

var pingID atomic.Uint32

// icmpSum fills in the checksum of an ICMP (IPv4) message.
func icmpSum(msg []byte) {
	var sum uint32
	for i := 0; i+1 < len(msg); i += 2 {
		sum += uint32(msg[i])<<8 | uint32(msg[i+1])
	}
	if len(msg)%2 == 1 {
		sum += uint32(msg[len(msg)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	msg[2], msg[3] = byte(^sum>>8), byte(^sum)
}

// pingOut sends an echo request from the device (local) to remote and reports
// whether the echo reply got back in: a raw socket sees only what the input hook
// let through. Each request has an identifier of its own (a new conntrack flow).
func (l *lab) pingOut(local, remote string) bool {
	v6 := strings.Contains(remote, ":")
	network, typ, reply := "ip4:icmp", byte(8), byte(0)
	if v6 {
		network, typ, reply = "ip6:ipv6-icmp", 128, 129
	}
	var c net.PacketConn
	var err error
	inNS(l.t, l.dev, func() { c, err = net.ListenPacket(network, local) })
	require.NoError(l.t, err)
	defer c.Close()
	id := uint16(pingID.Add(1)) + 0x4100
	token := fmt.Appendf(nil, "reply%04x", id)
	msg := append([]byte{typ, 0, 0, 0, byte(id >> 8), byte(id), 0, 1}, token...)
	if !v6 { // the kernel sums ICMPv6 itself
		icmpSum(msg)
	}
	_, err = c.WriteTo(msg, &net.IPAddr{IP: net.ParseIP(remote)})
	require.NoError(l.t, err)
	c.SetReadDeadline(time.Now().Add(400 * time.Millisecond))
	b := make([]byte, 1500)
	for {
		n, _, err := c.ReadFrom(b)
		if err != nil {
			return false
		}
		if n >= 2 && b[0] == reply && bytes.Contains(b[:n], token) {
			return true
		}
	}
}

var testResult = regexp.MustCompile(`(?m)^result: (permit|deny) \((seq \d+|implicit)`)

// TestRepliesAgreeWithModel: one contract for replies. For random IPv4 and IPv6
// lists mixing established and other lines of both actions (tcp, udp, icmp, ip,
// ports on either side, a few connlimit and log lines), every reply to a
// connection the device opened (TCP, UDP, ICMP echo) gets back in exactly when
// acl.Evaluate says a permit line decides it, and `test access-list ...
// established` in a shell says the same, naming the same line; new connections
// from the client are checked alike. The line that decides a probe counts it.
func TestRepliesAgreeWithModel(t *testing.T) {
	l := newLab(t)
	run(t, "ip", "-n", l.cli, "addr", "add", "fd77::108/64", "dev", "eth0", "nodad")
	l.pinNeighbours("fd77::107", "fd77::108")
	rports := []uint16{53, 80, 123, 443}
	for _, p := range rports {
		l.serveIn(l.cli, int(p), "10.24.12.107", "10.24.12.108", "fd77::107", "fd77::108")
	}
	dports := []uint16{22, 8080}
	for _, p := range dports {
		l.serveIn(l.dev, int(p))
	}

	type famCase struct {
		v6           bool
		dev          string
		remotes      []string
		addrs, hosts []string
		ip, icmp     string
		replyName    string
	}
	fams := []famCase{
		{false, "10.24.12.129", []string{"10.24.12.107", "10.24.12.108"},
			[]string{"any", "any", "10.24.12.0/24", "10.24.12.108/31", "10.24.12.104 0.0.0.3", "192.0.2.0/24"},
			[]string{"host 10.24.12.107", "host 10.24.12.108"}, "ip", "icmp", "echo-reply"},
		{true, "fd77::129", []string{"fd77::107", "fd77::108"},
			[]string{"any", "any", "fd77::/64", "fd77::108/127", "2001:db8::/32"},
			[]string{"host fd77::107", "host fd77::108"}, "ipv6", "icmp", "echo-reply"},
	}
	remotePorts := []string{"", "", "eq 53", "eq 80 443", "range 50 130", "gt 100", "lt 100", "neq 53"}
	localPorts := []string{"", "", "", "range 40000 40999", "gt 41000", "lt 41000", "eq 22", "eq 22 8080"}
	r := rand.New(rand.NewPCG(16, 1))
	var lport atomic.Int32
	lport.Store(40000)
	dir := t.TempDir()
	checks, replies, denied := 0, 0, 0
	for round := range 6 {
		var text strings.Builder
		text.WriteString("configure terminal\n")
		names := [2]string{fmt.Sprintf("r%d4", round), fmt.Sprintf("r%d6", round)}
		for fi, fc := range fams {
			text.WriteString(map[bool]string{false: "ip", true: "ipv6"}[fc.v6] + " access-list extended " + names[fi] + "\n")
			seen := map[string]bool{}
			for len(seen) < 6+r.IntN(14) {
				action := []string{"permit", "deny"}[r.IntN(2)]
				protos := []string{"tcp", "tcp", "udp", "udp", fc.icmp, fc.ip}
				proto := protos[r.IntN(len(protos))]
				addrs := append(append([]string{}, fc.addrs...), fc.hosts...)
				remote, local := addrs[r.IntN(len(addrs))], []string{"any", "host " + fc.dev}[r.IntN(2)]
				tail := ""
				switch x := r.IntN(10); {
				case x < 4:
					tail = " established"
				case x == 4 && action == "permit":
					tail = " connlimit 50" // never reached: counts new connections only
				case x == 5:
					tail = " log"
				}
				// Written from the device's point of view as a packet arriving:
				// the source is the remote end, the destination the device.
				line := fmt.Sprintf("%s %s %s", action, proto, remote)
				if proto == "tcp" || proto == "udp" {
					line = strings.TrimSpace(line+" "+remotePorts[r.IntN(len(remotePorts))]) + " " + local + " " + localPorts[r.IntN(len(localPorts))]
				} else {
					line += " " + local
					if proto == fc.icmp && r.IntN(2) == 0 {
						line += " " + []string{fc.replyName, map[bool]string{false: "echo", true: "echo-request"}[fc.v6]}[r.IntN(2)]
					}
				}
				line = strings.TrimSpace(line) + tail
				if strings.Contains(line, " 0.0.0.3 ") && strings.Count(line, " 0.0.0.") > 1 {
					continue
				}
				if !seen[line] {
					seen[line] = true
					text.WriteString(" " + line + "\n")
				}
			}
		}
		text.WriteString("interface management 0\n ip access-group " + names[0] + " in\n ipv6 access-group " + names[1] + " in\nend\n")
		var out strings.Builder
		sh, err := shell.New(shell.Options{Host: "device", Store: &statedir.Store{Dir: dir}, Out: &out, Err: &out, Enforcer: l.e, IfName: "mgmt0", Force: true})
		require.NoError(t, err)
		require.Zero(t, sh.RunScript(strings.NewReader(text.String()), "-"), "%s\n%s", text.String(), out.String())
		cfg := config(t, strings.TrimSuffix(strings.TrimPrefix(text.String(), "configure terminal\n"), "end\n"))
		st0, err := l.e.Stats(cfg)
		require.NoError(t, err)

		type probe struct {
			name         string
			proto        uint8
			reply        bool
			remote, dev  string
			rport, lport uint16
			want         bool
			line         LineRef // the show counter of the line that decides it
			test         string  // the test access-list command
		}
		var prs []probe
		for fi, fc := range fams {
			a := cfg.ACLs[names[fi]]
			add := func(p acl.Packet, lp uint16, test string) {
				rule, ok := a.Evaluate(p, nil)
				key := DenyOf(names[fi])
				if ok {
					key = Line(names[fi], rule.Seq)
				}
				pr := probe{name: names[fi], proto: p.Proto, reply: p.Reply, want: ok && rule.Action == acl.Permit, line: key, test: test}
				if p.Reply {
					pr.remote, pr.dev, pr.rport, pr.lport = p.Src.String(), p.Dst.String(), p.SrcPort, lp
				} else {
					pr.remote, pr.dev, pr.rport, pr.lport = p.Src.String(), p.Dst.String(), p.SrcPort, p.DstPort
				}
				prs = append(prs, pr)
			}
			for _, remote := range fc.remotes {
				src, dst := netip.MustParseAddr(remote), netip.MustParseAddr(fc.dev)
				for _, rp := range rports {
					for _, proto := range []uint8{6, 17} {
						lp := uint16(lport.Add(1))
						if r.IntN(4) == 0 {
							lp += 1500 // above 41000
						}
						word := map[uint8]string{6: "tcp", 17: "udp"}[proto]
						add(acl.Packet{Proto: proto, Src: src, Dst: dst, SrcPort: rp, DstPort: lp, Reply: true}, lp,
							fmt.Sprintf("test access-list %s %s %s %d %s %d established", names[fi], word, remote, rp, fc.dev, lp))
					}
				}
				icmp := acl.Packet{Proto: acl.ProtoICMP, Src: src, Dst: dst, Reply: true}
				if fc.v6 {
					icmp.Proto, icmp.ICMPType = acl.ProtoICMPv6, 129
				}
				add(icmp, 0, fmt.Sprintf("test access-list %s icmp %s %s %s established", names[fi], remote, fc.dev, fc.replyName))
				// new connections from the client to the device
				for _, dp := range dports {
					for _, proto := range []uint8{6, 17} {
						sp := uint16(lport.Add(1)) + 10000
						word := map[uint8]string{6: "tcp", 17: "udp"}[proto]
						add(acl.Packet{Proto: proto, Src: src, Dst: dst, SrcPort: sp, DstPort: dp}, 0,
							fmt.Sprintf("test access-list %s %s %s %d %s %d", names[fi], word, remote, sp, fc.dev, dp))
					}
				}
			}
		}
		// the shell's packet trace says what the model says, naming the same line
		tsh, err := shell.New(shell.Options{Host: "device", Store: &statedir.Store{Dir: dir}, Out: &out, Err: &out, Enforcer: l.e, IfName: "mgmt0", Force: true})
		require.NoError(t, err)
		for _, p := range prs {
			out.Reset()
			require.NoError(t, tsh.Run(p.test), p.test)
			m := testResult.FindStringSubmatch(out.String())
			require.NotNil(t, m, "%s:\n%s", p.test, out.String())
			by := "implicit"
			if p.line.Role != ImplicitDeny {
				by = fmt.Sprintf("seq %d", p.line.Seq)
			}
			require.Equal(t, fmt.Sprintf("%s %s", map[bool]string{true: "permit", false: "deny"}[p.want], by), m[1]+" "+m[2],
				"round %d: %s\nlists:\n%s", round, p.test, text.String())
		}
		got := make([]bool, len(prs))
		var wg sync.WaitGroup
		for i, p := range prs {
			wg.Go(func() {
				switch {
				case p.proto == acl.ProtoICMP || p.proto == acl.ProtoICMPv6:
					got[i] = l.pingOut(p.dev, p.remote)
				case p.reply:
					// a connection the device opens: its replies cross the list
					got[i] = l.exchange(l.dev, p.proto, p.dev, int(p.lport), p.remote, p.rport)
				default:
					got[i] = l.probe(p.proto, p.remote, int(p.rport), p.dev, p.lport)
				}
			})
		}
		wg.Wait()
		for i, p := range prs {
			checks++
			if p.reply {
				replies++
				if !p.want {
					denied++
				}
			}
			require.Equal(t, p.want, got[i], "round %d: kernel and model disagree on %s\nlists:\n%s\nkernel:\n%s", round, p.test,
				text.String(), l.nft("list", "table", "inet", Table))
		}
		// The line that decides a probe counted it.
		st, err := l.e.Stats(cfg)
		require.NoError(t, err)
		require.Equal(t, InSync, st.State)
		for _, p := range prs {
			require.Greater(t, st.Counters[p.line].Packets, st0.Counters[p.line].Packets, "round %d: %s did not count %s", round, p.line, p.test)
		}
	}
	t.Logf("%d probes (%d replies, %d of them dropped), each checked against the model and test access-list", checks, replies, denied)
	require.Greater(t, denied, 20)
	require.Greater(t, replies-denied, 20)
}
