package enforcer

import (
	"bytes"
	order "cmp"
	"encoding/binary"
	"errors"
	"slices"
	"syscall"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/aclsh/aclsh/acl"
)

// Other tables. nftables runs every base chain registered on a hook, in priority
// order, whatever table it is in: an accept ends only the chain that says it (the
// packet goes on to the next base chain), a drop anywhere is final. So a table
// of ufw, firewalld, docker or iptables-nft that drops a packet arriving on the
// management interface drops it whatever aclsh's list permits. aclsh never
// changes those tables; it only looks, so that show and test access-list can
// say when one can drop what a list permits.

// Dropper is a base chain of another nftables table that can drop packets
// arriving on the management interface for this host: its policy is drop, or a
// rule in it (or in a chain it jumps or goes to) drops or rejects. A rule that
// matches only another input interface by name (iifname "docker0") is not
// counted; anything else that can drop is, whatever its conditions (aclsh does
// not evaluate them), so a Dropper says "can drop", not "drops".
type Dropper struct {
	Family   string // the table's family: inet, ip, ip6, netdev
	Table    string
	Chain    string
	Hook     string // prerouting, input, ingress
	Priority int32
	// Policy: the chain's policy is drop (a packet no rule accepts is dropped).
	Policy bool
	// Rule is the position (from 1) of the chain's first rule that can drop;
	// 0 with Policy. Via is the chain that rule jumps or goes to, where the
	// drop is ("" when the rule drops itself).
	Rule int
	Via  string
	// Unread: the chain's rules could not be read; it is counted as one that
	// can drop.
	Unread bool
}

// Applies reports whether the chain sees packets of family f: an ip table sees
// IPv4, an ip6 table IPv6, inet and netdev tables both.
func (d Dropper) Applies(f acl.Family) bool {
	switch d.Family {
	case "ip":
		return f == acl.IPv4
	case "ip6":
		return f == acl.IPv6
	}
	return true
}

// hookOf names a base chain's hook when packets arriving for this host pass it:
// prerouting and input (and inet's ingress) for ip, ip6 and inet tables, ingress
// for netdev ones. Forward, output, postrouting and egress do not see them;
// bridge and arp tables do not filter IP packets for the host.
func hookOf(f nftables.TableFamily, h nftables.ChainHook) (string, bool) {
	switch f {
	case nftables.TableFamilyIPv4, nftables.TableFamilyIPv6, nftables.TableFamilyINet:
		switch h {
		case unix.NF_INET_PRE_ROUTING:
			return "prerouting", true
		case unix.NF_INET_LOCAL_IN:
			return "input", true
		case nfInetIngress:
			return "ingress", f == nftables.TableFamilyINet
		}
	case nftables.TableFamilyNetdev:
		return "ingress", h == unix.NF_NETDEV_INGRESS
	}
	return "", false
}

// nfInetIngress is NF_INET_INGRESS (linux/netfilter.h), the inet family's
// ingress hook (Linux 5.10 and later), which x/sys/unix does not name.
const nfInetIngress = 5

var familyNames = map[nftables.TableFamily]string{
	nftables.TableFamilyINet: "inet", nftables.TableFamilyIPv4: "ip", nftables.TableFamilyIPv6: "ip6", nftables.TableFamilyNetdev: "netdev",
}

var hookRank = map[string]int{"ingress": 0, "prerouting": 1, "input": 2}

// walkBudget bounds the chains one look reads beyond the base chains: a chain
// past it counts as one that can drop.
const walkBudget = 64

// otherDroppers returns the base chains of tables other than table inet aclsh,
// among chains (one listing of the namespace's chains), that can drop packets
// arriving on ifname: in the order a packet meets them (hook, then priority),
// then by family, table and chain. It reads only the rules of those base chains
// whose policy is accept and of the chains they jump or go to (and the verdict
// maps they look up). It changes nothing.
//
// Equivalent to: nft list chains, then nft list chain FAMILY TABLE CHAIN for
// each candidate.
func otherDroppers(c *nftables.Conn, chains []*nftables.Chain, ifname string) ([]Dropper, error) {
	w := &dropWalk{c: c, ifname: ifnameBytes(ifname), chains: map[chainRef]*nftables.Chain{}, memo: map[chainRef]walked{}, budget: walkBudget}
	for _, ch := range chains {
		w.chains[refOf(ch.Table, ch.Name)] = ch
	}
	var out []Dropper
	for _, ch := range chains {
		if ch.Hooknum == nil || ch.Table == nil || ch.Table.Family == nftables.TableFamilyINet && ch.Table.Name == Table {
			continue
		}
		hook, ok := hookOf(ch.Table.Family, *ch.Hooknum)
		if !ok {
			continue
		}
		d := Dropper{Family: familyNames[ch.Table.Family], Table: ch.Table.Name, Chain: ch.Name, Hook: hook}
		if ch.Priority != nil {
			d.Priority = int32(*ch.Priority)
		}
		if ch.Policy != nil && *ch.Policy == nftables.ChainPolicyDrop {
			d.Policy = true
			out = append(out, d)
			continue
		}
		rule, via, err := w.base(ch)
		switch {
		case err != nil:
			d.Unread = true
		case rule == 0:
			continue
		}
		d.Rule, d.Via = rule, via
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b Dropper) int {
		return order.Or(order.Compare(hookRank[a.Hook], hookRank[b.Hook]), order.Compare(a.Priority, b.Priority),
			order.Compare(a.Family, b.Family), order.Compare(a.Table, b.Table), order.Compare(a.Chain, b.Chain))
	})
	return out, nil
}

type chainRef struct {
	family nftables.TableFamily
	table  string
	chain  string
}

func refOf(t *nftables.Table, chain string) chainRef { return chainRef{t.Family, t.Name, chain} }

// walked is what a regular chain was found to do: drops says one of its rules
// (or a chain it reaches) can drop.
type walked struct{ drops, done bool }

type dropWalk struct {
	c      *nftables.Conn
	ifname []byte // the management interface's name as iifname compares it
	chains map[chainRef]*nftables.Chain
	memo   map[chainRef]walked
	budget int
}

// base returns the position (from 1) of the first rule of base chain ch that
// can drop a packet arriving on the management interface, and the chain it
// jumps or goes to where the drop is; 0 when none can.
func (w *dropWalk) base(ch *nftables.Chain) (rule int, via string, err error) {
	rules, err := w.c.GetRules(ch.Table, ch)
	if err != nil {
		return 0, "", wrapKernel(err)
	}
	for i, r := range rules {
		drops, to, err := w.rule(ch.Table, r.Exprs, 0)
		if err != nil {
			return 0, "", err
		}
		if drops {
			return i + 1, to, nil
		}
	}
	return 0, "", nil
}

// chain reports whether a regular chain reached by a jump or goto can drop.
// depth bounds nesting (the kernel allows 16 levels); a chain not found, past
// the depth or past the budget counts as one that can.
func (w *dropWalk) chain(t *nftables.Table, name string, depth int) (bool, error) {
	ref := refOf(t, name)
	if m, ok := w.memo[ref]; ok {
		// done: known; not done: on the current path (a loop the kernel would
		// refuse), nothing more to find there
		return m.drops, nil
	}
	ch, ok := w.chains[ref]
	if !ok || depth >= 16 || w.budget <= 0 {
		return true, nil
	}
	w.budget--
	w.memo[ref] = walked{}
	rules, err := w.c.GetRules(t, ch)
	if err != nil {
		return false, wrapKernel(err)
	}
	drops := false
	for _, r := range rules {
		if drops, _, err = w.rule(t, r.Exprs, depth+1); err != nil {
			return false, err
		}
		if drops {
			break
		}
	}
	w.memo[ref] = walked{drops: drops, done: true}
	return drops, nil
}

// rule reports whether a rule can drop a packet arriving on the management
// interface: by its verdict (drop; a jump or goto to a chain that can; a
// verdict map with such a verdict), a reject, or iptables-nft's DROP or REJECT
// target. to is the chain it jumps or goes to when the drop is there.
func (w *dropWalk) rule(t *nftables.Table, exprs []expr.Any, depth int) (drops bool, to string, err error) {
	if !w.mayMatch(exprs) {
		return false, "", nil
	}
	for _, x := range exprs {
		switch x := x.(type) {
		case *expr.Reject:
			return true, "", nil
		case *expr.Target:
			if x.Name == "DROP" || x.Name == "REJECT" {
				return true, "", nil
			}
		case *expr.Verdict:
			switch x.Kind {
			case expr.VerdictDrop:
				return true, "", nil
			case expr.VerdictJump, expr.VerdictGoto:
				d, err := w.chain(t, x.Chain, depth)
				if err != nil || d {
					return d, x.Chain, err
				}
			}
		case *expr.Lookup:
			if x.IsDestRegSet && x.DestRegister == 0 { // a verdict map
				d, via, err := w.vmap(t, x.SetName, depth)
				if err != nil || d {
					return d, via, err
				}
			}
		}
	}
	return false, "", nil
}

// vmap reports whether a verdict map holds a verdict that can drop (drop, or a
// jump or goto to a chain that can); a map that cannot be read can.
func (w *dropWalk) vmap(t *nftables.Table, name string, depth int) (bool, string, error) {
	if w.budget <= 0 {
		return true, "", nil
	}
	w.budget--
	els, err := w.c.GetSetElements(&nftables.Set{Table: t, Name: name})
	if err != nil {
		if errors.Is(err, syscall.ENOENT) {
			return true, "", nil
		}
		return false, "", wrapKernel(err)
	}
	for _, el := range els {
		kind, chain, ok := verdictOf(el.Val)
		switch {
		case !ok || kind == expr.VerdictDrop:
			return true, "", nil
		case kind == expr.VerdictJump || kind == expr.VerdictGoto:
			d, err := w.chain(t, chain, depth)
			if err != nil || d {
				return d, chain, err
			}
		}
	}
	return false, "", nil
}

// verdictOf decodes a verdict map element's data as the library returns it:
// the attributes of NFTA_DATA_VERDICT (code, chain).
func verdictOf(b []byte) (kind expr.VerdictKind, chain string, ok bool) {
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return 0, "", false
	}
	ad.ByteOrder = binary.BigEndian
	for ad.Next() {
		switch ad.Type() {
		case unix.NFTA_VERDICT_CODE:
			kind, ok = expr.VerdictKind(int32(ad.Uint32())), true
		case unix.NFTA_VERDICT_CHAIN:
			chain = ad.String()
		}
	}
	return kind, chain, ok && ad.Err() == nil
}

// mayMatch reports whether a rule can match a packet arriving on the management
// interface: false only when it compares the input interface's name with
// another name (iifname "docker0", iifname "veth*") or requires it to differ
// from this one (iifname != "mgmt0"). Anything else may match.
func (w *dropWalk) mayMatch(exprs []expr.Any) bool {
	iifReg := map[uint32]bool{}
	for _, x := range exprs {
		switch x := x.(type) {
		case *expr.Meta:
			if !x.SourceRegister {
				iifReg[x.Register] = x.Key == expr.MetaKeyIIFNAME
			}
		case *expr.Cmp:
			if !iifReg[x.Register] {
				continue
			}
			// iifname "eth0" compares 16 bytes (the name, NUL padded);
			// iifname "eth*" the prefix alone
			same := bytes.HasPrefix(w.ifname, x.Data)
			if x.Op == expr.CmpOpEq && !same || x.Op == expr.CmpOpNeq && same {
				return false
			}
		default:
			// another expression may load into the register: forget it
			for r := range iifReg {
				if writes(x, r) {
					delete(iifReg, r)
				}
			}
		}
	}
	return true
}

// writes reports whether x may write register r (conservative: any expression
// other than the few that only read).
func writes(x expr.Any, r uint32) bool {
	switch x := x.(type) {
	case *expr.Counter, *expr.Verdict, *expr.Log, *expr.Limit, *expr.Reject:
		return false
	case *expr.Lookup:
		return x.IsDestRegSet && x.DestRegister == r
	case *expr.Range:
		return false
	}
	return true
}
