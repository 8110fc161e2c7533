package acl

import (
	"bufio"
	"cmp"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Dialect is how a host writes its access lists in show running-config (and
// show startup-config) and show access-lists, as a switch of that family
// would, so that automation written for one reads them: `cli dialect ios`.
// Input takes every dialect's form whatever the setting. The zero value is
// SLX, the default. The state directory keeps the canonical (SLX) form in
// every dialect: it keeps every seq, which the IOS form does not show.
type Dialect uint8

const (
	// SLX: `ip access-list extended NAME` / ` seq 10 permit ...` (the
	// canonical form; seed 001).
	SLX Dialect = iota
	// IOS: `ip access-list extended NAME` / ` permit ...` in running-config
	// (named-list entries without their seqs, as classic IOS shows them; IPv6
	// lists `ipv6 access-list NAME` / ` permit ... sequence 10`), IPv4 prefixes
	// as address and wildcard, ports by IOS's names (`eq www`); show
	// access-lists `Extended IP access list NAME` / `    10 permit ... (N
	// matches)`. What cisco.ios's ios_config and ios_acls compare and parse.
	IOS
	// EOS: `ip access-list NAME` / `   10 permit ...` in running-config; show
	// access-lists `IP Access List NAME` / `        10 permit ... [match N
	// packets]`. What arista.eos's eos_acls parses.
	EOS
)

var dialectNames = [...]string{"slx", "ios", "eos"}

// String returns the dialect's keyword: slx, ios, eos.
func (d Dialect) String() string { return dialectNames[d] }

// ParseDialect maps a keyword (slx, ios, eos) to its Dialect.
func ParseDialect(s string) (Dialect, bool) {
	for i, n := range dialectNames {
		if n == s {
			return Dialect(i), true
		}
	}
	return SLX, false
}

// Line returns the running-config line that sets the dialect: `cli dialect
// eos`; "" for the default (SLX), which the running-config does not show.
func (d Dialect) Line() string {
	if d == SLX {
		return ""
	}
	return "cli dialect " + d.String()
}

// iosPorts are the port names IOS shows in its running-config and show
// access-lists, per protocol (a port without a name shows as its number: 22,
// 443). cisco.ios's ios_acls maps the destination ports it is given to the
// tcp names before it compares them with what it parsed.
var iosPorts = map[uint8]map[uint16]string{
	ProtoTCP: {179: "bgp", 19: "chargen", 514: "cmd", 13: "daytime", 9: "discard", 53: "domain", 7: "echo",
		512: "exec", 79: "finger", 21: "ftp", 20: "ftp-data", 70: "gopher", 101: "hostname", 113: "ident",
		194: "irc", 543: "klogin", 544: "kshell", 513: "login", 515: "lpd", 135: "msrpc", 119: "nntp",
		496: "pim-auto-rp", 109: "pop2", 110: "pop3", 25: "smtp", 111: "sunrpc", 49: "tacacs", 517: "talk",
		23: "telnet", 37: "time", 540: "uucp", 43: "whois", 80: "www"},
	ProtoUDP: {512: "biff", 68: "bootpc", 67: "bootps", 9: "discard", 195: "dnsix", 53: "domain", 7: "echo",
		500: "isakmp", 434: "mobile-ip", 42: "nameserver", 138: "netbios-dgm", 137: "netbios-ns",
		139: "netbios-ss", 4500: "non500-isakmp", 123: "ntp", 496: "pim-auto-rp", 520: "rip", 161: "snmp",
		162: "snmptrap", 111: "sunrpc", 514: "syslog", 49: "tacacs", 517: "talk", 69: "tftp", 37: "time",
		513: "who", 177: "xdmcp"},
}

// appendPorts appends p in dialect d for protocol proto.
func appendPorts(b []byte, p PortMatch, proto uint8, d Dialect) []byte {
	if d != IOS {
		return p.AppendTo(b)
	}
	names := iosPorts[proto]
	b = append(b, p.Op.String()...)
	for _, x := range p.Ports() {
		b = append(b, ' ')
		if n, ok := names[x]; ok {
			b = append(b, n...)
		} else {
			b = strconv.AppendUint(b, uint64(x), 10)
		}
	}
	return b
}

// appendAddr appends a in dialect d: IOS writes an IPv4 prefix as address and
// wildcard (`10.0.0.0 0.255.255.255`).
func appendAddr(b []byte, a Address, d Dialect) []byte {
	if d == IOS && a.Kind == AddrPrefix && a.Addr.Is4() {
		m := ^uint32(0) >> a.Bits
		w := netip.AddrFrom4([4]byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)})
		return w.AppendTo(append(a.Addr.AppendTo(b), ' '))
	}
	return a.AppendTo(b)
}

// ShowIOS renders an entry as IOS's show access-lists does, without its seq:
// BodyIn(f, IOS), but for a standard list's entry, whose source IOS writes
// `10.0.0.0, wildcard bits 0.255.255.255` (a host bare: `10.1.1.1`), as
// cisco.ios's ios_acls parses it.
func (r Rule) ShowIOS(f Family) string {
	if !r.Standard || r.IsRemark() {
		return r.BodyIn(f, IOS)
	}
	b := append([]byte(r.Action.String()), ' ')
	switch src := r.Src; src.Kind {
	case AddrHost:
		b = src.Addr.AppendTo(b)
	case AddrPrefix, AddrWildcard:
		a, w, _ := strings.Cut(string(appendAddr(nil, src, IOS)), " ")
		b = append(b, a+", wildcard bits "+w...)
	default:
		b = append(b, "any"...)
	}
	if r.Log {
		b = append(b, " log"...)
	}
	return string(b)
}

// BodyIn renders the rule without its seq as dialect d writes it in a list of
// family f: the canonical Body but for IOS's addresses and port names.
func (r Rule) BodyIn(f Family, d Dialect) string {
	return string(r.appendBody(make([]byte, 0, 64), f, d))
}

// FormatIn renders the rule as dialect d writes it in a list of family f in
// running-config: ` seq 10 permit ...` (SLX), ` permit ...` (IOS, IPv4), `
// permit ... sequence 10` (IOS, IPv6; a remark ` sequence 10 remark ...`), `
// 10 permit ...` (EOS), indentation included.
func (r Rule) FormatIn(f Family, d Dialect) string {
	switch d {
	case IOS:
		seq := strconv.FormatUint(uint64(r.Seq), 10)
		switch {
		case f == IPv6 && r.IsRemark():
			// IOS keeps an IPv6 remark with the entry after it; aclsh gives it
			// a seq of its own, written first (as IOS takes it) so that the
			// list pastes back with every seq.
			return " sequence " + seq + " " + r.BodyIn(f, d)
		case f == IPv6:
			return " " + r.BodyIn(f, d) + " sequence " + seq
		}
		return " " + r.BodyIn(f, d)
	case EOS:
		return "   " + strconv.FormatUint(uint64(r.Seq), 10) + " " + r.BodyIn(f, d)
	}
	return " " + r.Format(f)
}

// Header returns the line that enters list a in dialect d: `ip access-list
// extended NAME` (SLX, and IOS for IPv4), `ipv6 access-list NAME` (IOS, IPv6),
// `ip access-list NAME` (EOS); a standard list is `ip access-list standard
// NAME` in every dialect.
func (d Dialect) Header(a *ACL) string {
	if a.Standard || d == SLX || d == IOS && a.Family == IPv4 {
		return a.Header()
	}
	return a.Family.String() + " access-list " + a.Name
}

// Text returns the running-config as show running-config writes it: in c's
// dialect (Render for SLX). Unlike Render, the IOS form is not lossless: it does
// not show the seqs of IPv4 entries, so pasted back it numbers them 10, 20, ...
func (c *Config) Text() string { return c.render(c.Dialect) }

// TextIn returns the running-config written in dialect d (c's own dialect line
// as c has it).
func (c *Config) TextIn(d Dialect) string { return c.render(d) }

// SetDialect sets the dialect of show running-config and show access-lists.
func (c *Config) SetDialect(d Dialect) { c.Dialect = d }

func (c *Config) render(d Dialect) string {
	var b strings.Builder
	n := 0
	for _, a := range c.ACLs {
		n += len(a.entries)
	}
	b.Grow(64 + 80*n) // a typical line; Builder grows past it as needed
	c.write(&b, d)
	return b.String()
}

// WriteTo writes Render's text to w, without holding it whole: the daemon
// writes a million-line running-config (40 MB) to its file so.
func (c *Config) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	bw := bufio.NewWriterSize(cw, 256<<10)
	c.write(bw, SLX)
	err := bw.Flush()
	return cw.n, err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// textWriter is what render writes to: a strings.Builder, or a bufio.Writer
// (which keeps its first error for Flush).
type textWriter interface {
	io.Writer
	io.StringWriter
}

func (c *Config) write(b textWriter, d Dialect) {
	b.WriteString("!\n")
	if l := c.Dialect.Line(); l != "" {
		b.WriteString(l + "\n!\n")
	}
	if c.LogInterval != 0 {
		b.WriteString(c.LogInterval.String() + "\n!\n")
	}
	names := c.Names()
	if d == EOS {
		// Standard lists after the extended ones: arista.eos's eos_acls
		// takes every list after a standard one for a standard list too.
		// (Whether EOS itself orders them so is not checked.)
		slices.SortStableFunc(names, func(x, y string) int {
			return cmp.Compare(b2i(c.ACLs[x].Standard), b2i(c.ACLs[y].Standard))
		})
	}
	for _, n := range names {
		a := c.ACLs[n]
		b.WriteString(d.Header(a) + "\n")
		a.writeLines(b, d)
		b.WriteString("!\n")
	}
	ind := " "
	if d == EOS {
		ind = "   "
	}
	for _, p := range points {
		if !c.Bound.AtPoint(p) {
			continue
		}
		b.WriteString(p.String() + "\n")
		for at, name := range c.Bound.All() {
			if at.Point == p {
				b.WriteString(ind + at.Line(name) + "\n")
			}
		}
		b.WriteString("!\n")
	}
}

// linesCache is the text of an array's first n entries in a list of family f,
// written in dialect d: each entry's line, as render writes it. Entries
// below what a shared array's lists hold never change (see array), so a list
// whose entries start with them renders only the lines after them: the
// daemon writes its running-config at every change, and a line added to a
// 10,000-line list cost a whole rendering (a millisecond) each time.
type linesCache struct {
	n    int
	f    Family
	d    Dialect
	text []byte // never changed once stored
}

// maxLinesCache is the longest text kept: beyond it (about 300,000 lines) a
// second copy of the text costs more memory than rendering it costs time.
var maxLinesCache = 16 << 20 // a variable for tests

// appendLine appends r's line of the running-config in dialect d.
func appendLine(dst []byte, r Rule, f Family, d Dialect) []byte {
	if d == SLX {
		dst = append(dst, ' ')
		dst = r.AppendFormat(dst, f)
	} else {
		dst = append(dst, r.FormatIn(f, d)...)
	}
	return append(dst, '\n')
}

// writeLines writes the entries' lines as render writes them, from the
// array's cache where it holds a prefix of them. A shared array keeps the text
// for the next call while it is short enough (maxLinesCache); past that the
// lines are written as they are made, never held whole.
func (a *ACL) writeLines(w textWriter, d Dialect) {
	from := 0
	var c *linesCache
	if a.arr != nil {
		c = a.arr.lines.Load()
	}
	var text []byte
	if c != nil && c.f == a.Family && c.d == d && c.n <= len(a.entries) {
		if c.n == len(a.entries) {
			w.Write(c.text)
			return
		}
		text, from = c.text[:len(c.text):len(c.text)], c.n
	}
	// Kept for a shared array only, whose entries below their end no longer
	// change (a list that would change one copies the array first): the text
	// stays true of them. The daemon's lists are all shared (it clones the
	// running-config for every change).
	keep := a.arr != nil && a.arr.shared.Load()
	if !keep {
		w.Write(text) // the cached lines, then the rest as made
		text = nil
	}
	var line []byte
	for _, r := range a.entries[from:] {
		if !keep {
			line = appendLine(line[:0], r, a.Family, d)
			w.Write(line)
			continue
		}
		text = appendLine(text, r, a.Family, d)
		if len(text) > maxLinesCache {
			w.Write(text) // too long to keep: the rest is written as made
			text, keep = nil, false
		}
	}
	if keep && len(a.entries) > from {
		a.arr.lines.Store(&linesCache{n: len(a.entries), f: a.Family, d: d, text: text})
	}
	w.Write(text)
}
