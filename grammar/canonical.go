package grammar

import (
	"net/netip"
	"strings"

	"github.com/aclsh/aclsh/acl"
)

// parseCanonical parses a permit or deny line written exactly as the
// running-config writes it (acl.Rule.Format, or Rule.Body without a seq) in an
// access list mode, without the NFA (for the mode's Canonical definition): loading a config of many lines costs one
// pass over each. It returns ok false for anything else (another spelling, an
// abbreviation, a remark, a value the full parser refuses) and the caller parses
// the line in full, so this path never decides that a line is bad, and what it
// accepts the full parser reads the same way (FuzzCanonicalAgrees).
func parseCanonical(mode Mode, line string) (acl.Rule, bool) {
	mode = mode.Base() // the same rules inside a configuration session
	if mode != IPACL && mode != IP6ACL {
		return acl.Rule{}, false
	}
	f := mode.Family()
	text := strings.Trim(line, " \t\r\n")
	w := words{s: text}
	var r acl.Rule
	word := w.next()
	if word == "seq" {
		n, ok := number(w.next(), 1, int(acl.MaxSeq))
		if !ok {
			return acl.Rule{}, false
		}
		r.Seq = acl.Seq(n)
		word = w.next()
	}
	switch word {
	case "permit":
	case "deny":
		r.Action = acl.Deny
	default:
		return acl.Rule{}, false
	}
	word = w.next()
	if p, ok := acl.ProtoKeyword(word, f); ok && (word == f.String() || p.Set) {
		r.Proto = p
	} else if n, ok := number(word, 0, 255); ok {
		r.Proto = acl.ProtoNum(uint8(n))
	} else {
		return acl.Rule{}, false
	}
	var ok bool
	if r.Src, ok = w.address(f); !ok {
		return acl.Rule{}, false
	}
	word = w.next()
	if r.Proto.HasPorts() {
		if r.SrcPort, word, ok = w.ports(word); !ok {
			return acl.Rule{}, false
		}
	}
	w.back(word)
	if r.Dst, ok = w.address(f); !ok {
		return acl.Rule{}, false
	}
	word = w.next()
	if r.Proto.HasPorts() {
		if r.DstPort, word, ok = w.ports(word); !ok {
			return acl.Rule{}, false
		}
	}
	if r.Proto.HasICMP(f) {
		if r.ICMP, word, ok = w.icmp(word, f); !ok {
			return acl.Rule{}, false
		}
	}
	if word == "ttl" {
		op, ok := acl.ParsePortOp(w.next())
		n, ok2 := number(w.next(), 0, 255)
		if !ok || !ok2 {
			return acl.Rule{}, false
		}
		r.TTL = acl.TTLMatch{Op: op, Val: uint8(n)}
		word = w.next()
	}
	if word == "fragments" {
		r.Fragments = true
		word = w.next()
	}
	if word == "established" {
		r.Established = true
		word = w.next()
	}
	if word == "connlimit" {
		n, ok := number(w.next(), 1, 65535)
		if !ok {
			return acl.Rule{}, false
		}
		r.ConnLimit = acl.ConnLimit(n)
		if word = w.next(); word == "mask" {
			bits, ok := number(strings.TrimPrefix(w.next(), "/"), 0, f.Bits())
			if !ok {
				return acl.Rule{}, false
			}
			r.ConnMask, _ = acl.MaskLen(f, bits)
			word = w.next()
		}
		if word == "sources" {
			n, ok := number(w.next(), 1, acl.MaxConnSources)
			if !ok || n == acl.DefaultConnSources {
				return acl.Rule{}, false
			}
			r.ConnSources = uint32(n)
			word = w.next()
		}
	}
	if word == "log" {
		r.Log = true
		word = w.next()
	}
	if word != "" || r.Validate(f) != nil {
		return acl.Rule{}, false
	}
	// The canonical text of what was read must be the line itself: any other
	// spelling goes the long way.
	var buf [200]byte
	canon := buf[:0]
	if r.Seq != 0 {
		canon = r.AppendFormat(canon, f)
	} else {
		canon = r.AppendBody(canon, f)
	}
	if string(canon) != text {
		return acl.Rule{}, false
	}
	return r, true
}

// words splits a line at single spaces.
type words struct {
	s    string
	pos  int
	last string // a word given back
}

func (w *words) next() string {
	if w.last != "" {
		s := w.last
		w.last = ""
		return s
	}
	if w.pos >= len(w.s) {
		return ""
	}
	rest := w.s[w.pos:]
	i := strings.IndexByte(rest, ' ')
	if i < 0 {
		w.pos = len(w.s)
		return rest
	}
	w.pos += i + 1
	return rest[:i]
}

func (w *words) back(s string) { w.last = s }

// address reads any, host A, A/LEN or (IPv4) A WILDCARD.
func (w *words) address(f acl.Family) (acl.Address, bool) {
	word := w.next()
	switch {
	case word == "any":
		return acl.AnyAddr, true
	case word == "host":
		a, err := netip.ParseAddr(w.next())
		if err != nil || a.Zone() != "" {
			return acl.Address{}, false
		}
		return acl.HostAddr(a), true
	case strings.IndexByte(word, '/') >= 0:
		a, err := acl.ParsePrefix(word)
		return a, err == nil
	case f == acl.IPv4 && word != "":
		a, err := acl.ParseWildcard(word, w.next())
		return a, err == nil && a.Kind == acl.AddrWildcard
	}
	return acl.Address{}, false
}

// ports reads an optional port match starting at word; it returns the word after it.
func (w *words) ports(word string) (acl.PortMatch, string, bool) {
	op, isOp := acl.ParsePortOp(word)
	if !isOp {
		return acl.PortMatch{}, word, true
	}
	lo, ok := number(w.next(), 0, 65535)
	if !ok {
		return acl.PortMatch{}, "", false
	}
	p := acl.PortMatch{Op: op, Lo: uint16(lo)}
	if op == acl.PortRange {
		hi, ok := number(w.next(), 0, 65535)
		if !ok {
			return acl.PortMatch{}, "", false
		}
		p.Hi = uint16(hi)
	}
	word = w.next()
	if op != acl.PortEq && op != acl.PortNeq {
		return p, word, true
	}
	// further ports, ascending (what follows a list is never a number)
	for prev := lo; ; {
		n, ok := number(word, prev+1, 65535)
		if !ok {
			break
		}
		if int(p.NMore) == len(p.More) {
			return acl.PortMatch{}, "", false
		}
		p.More[p.NMore] = uint16(n)
		p.NMore++
		prev, word = n, w.next()
	}
	return p, word, true
}

// icmp reads an optional ICMP type of family f starting at word: a name or a
// type number and an optional code; it returns the word after it.
func (w *words) icmp(word string, f acl.Family) (acl.ICMPMatch, string, bool) {
	if m, ok := acl.ParseICMPName(f, word); ok {
		return m, w.next(), true
	}
	t, ok := number(word, 0, 255)
	if !ok {
		return acl.ICMPMatch{}, word, true
	}
	m := acl.ICMPMatch{Type: uint8(t), Set: true}
	word = w.next()
	if c, ok := number(word, 0, 255); ok {
		m.Code, m.CodeSet = uint8(c), true
		word = w.next()
	}
	return m, word, true
}

// number reads a decimal number in lo-hi written without sign or leading zeros.
func number(s string, lo, hi int) (int, bool) {
	if !isDigits(s) || len(s) > 10 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n, _ := atoi(s)
	return n, n >= lo && n <= hi
}
