package shell

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"

	"github.com/aclsh/aclsh/acl"
)

// The lockout guard: before a commit, the candidate config is evaluated with the
// model against the operator's own connection (SSH_CONNECTION) and a new
// connection to the same service from the same client; a change that would
// refuse either, or that binds (or leaves bound) a list with no permit line, is
// not committed without the operator's consent: a question on a terminal,
// --force in a script.

// Operator is the operator's own connection to this host: a TCP connection from
// Client to Server (sshd's SSH_CONNECTION).
type Operator struct {
	Client, Server netip.AddrPort
	// Elsewhere: the connection does not arrive on management 0 (its list
	// does not see it; the control-plane's and the login service's do).
	Elsewhere bool
}

// ParseSSHConnection parses sshd's SSH_CONNECTION, "client_ip client_port
// server_ip server_port". ok is false when s is empty or not of that form.
// IPv4-mapped IPv6 addresses are unmapped and zones dropped, as the kernel's
// ruleset sees the addresses.
func ParseSSHConnection(s string) (op Operator, ok bool) {
	f := strings.Fields(s)
	if len(f) != 4 {
		return Operator{}, false
	}
	var ap [2]netip.AddrPort
	for i := range ap {
		a, err := netip.ParseAddr(f[2*i])
		if err != nil {
			return Operator{}, false
		}
		p, err := strconv.ParseUint(f[2*i+1], 10, 16)
		if err != nil || p == 0 {
			return Operator{}, false
		}
		ap[i] = netip.AddrPortFrom(a.Unmap().WithZone(""), uint16(p))
	}
	if ap[0].Addr().Is4() != ap[1].Addr().Is4() {
		return Operator{}, false
	}
	return Operator{Client: ap[0], Server: ap[1]}, true
}

// String renders the connection: "10.24.12.107 port 40022 to 10.24.12.129 port 22".
func (o Operator) String() string {
	return fmt.Sprintf("%s port %d to %s port %d", o.Client.Addr(), o.Client.Port(), o.Server.Addr(), o.Server.Port())
}

func (o Operator) family() acl.Family {
	if o.Client.Addr().Is4() {
		return acl.IPv4
	}
	return acl.IPv6
}

// packet is the connection as the bound list sees its first packet. A new
// connection from the client would come from another (unknown) port: the guard
// takes the session's.
func (o Operator) packet() acl.Packet {
	return acl.Packet{Proto: 6, Src: o.Client.Addr(), Dst: o.Server.Addr(), SrcPort: o.Client.Port(), DstPort: o.Server.Port()}
}

// guardView is what a config means for the guard: who refuses the operator's
// session and a new connection ("" when admitted), and per family the bound list
// that has no permit line ("" if none).
type guardView struct {
	session, fresh string
	empty          map[acl.Binding]string
}

// assess evaluates cfg for the guard; op nil: only the empty lists. Every point
// that looks at the operator's packets is asked, in the kernel's order: the
// session's packets pass management 0's list (if it arrives there) and the
// control-plane's (unless it is on loopback); a new connection to sshd the
// login service's too.
func assess(cfg *acl.Config, op *Operator) guardView {
	var v guardView
	if cfg == nil {
		return v // unknown (a damaged running-config): as if it admitted everything
	}
	for _, b := range acl.AllBindings() {
		if a := boundAt(cfg, b); a != nil && !permits(a) {
			if v.empty == nil {
				v.empty = map[acl.Binding]string{}
			}
			v.empty[b] = a.Name
		}
	}
	if op == nil {
		return v
	}
	f := op.family()
	p := op.packet()
	for _, pt := range []acl.Point{acl.Mgmt, acl.ControlPlane, acl.VTY} {
		switch {
		case pt == acl.Mgmt && op.Elsewhere, pt == acl.ControlPlane && op.Client.Addr().IsLoopback():
			continue
		}
		a := boundAt(cfg, acl.At(pt, f))
		if a == nil {
			continue
		}
		by := func(r acl.Rule, ok bool) string {
			where := ""
			if pt != acl.Mgmt {
				where = " (bound to " + pt.String() + ")"
			}
			switch {
			case !ok:
				return "the implicit deny at the end of access list " + a.Name + where
			case r.Action == acl.Deny:
				return "access list " + a.Name + where + " " + r.Format(f)
			}
			return ""
		}
		if v.session == "" && pt != acl.VTY {
			// the login service looks at new connections only: it never
			// drops a session that is open
			v.session = by(a.Session(p))
		}
		// A new connection is judged as if the client had no other connection: one
		// refused only because a connlimit is reached is the limit doing its job,
		// and it admits again when a session ends, so it is not a lockout.
		if v.fresh == "" {
			v.fresh = by(a.Evaluate(p, nil))
		}
	}
	return v
}

// bound returns the list bound to management 0 for family f, nil if none.
func bound(cfg *acl.Config, f acl.Family) *acl.ACL { return boundAt(cfg, acl.Inbound(f)) }

// boundAt returns the list bound at b, nil if none.
func boundAt(cfg *acl.Config, b acl.Binding) *acl.ACL {
	f := b.Family
	name := cfg.Bound.Get(b)
	if name == "" {
		return nil
	}
	a := cfg.ACLs[name]
	if a == nil || a.Family != f {
		return nil
	}
	return a
}

// permits reports whether a list has a line that can admit a new connection: a
// permit line, not a remark, not `established` (replies only).
func permits(a *acl.ACL) bool {
	for _, r := range a.Entries() {
		if !r.IsRemark() && r.Action == acl.Permit && !r.Established {
			return true
		}
	}
	return false
}

// LockoutWarning returns the guard's warning for a change from the config old
// (the running-config; nil if unknown) to cfg, "" when there is nothing to warn
// about. op is the operator's connection on the management interface, nil when
// there is none (console, script, or a connection that does not arrive on
// management 0). It warns about what cfg refuses that old admitted, so a config
// that already refuses (committed with consent) does not warn at every later
// line:
//
//   - the operator's session would be dropped (a deny line, the implicit deny),
//   - a new connection from the operator's address to the same port would be
//     refused (not counting connection limits: see assess),
//   - a bound list has no permit line (on management 0 every new connection on
//     the interface is refused; at the control-plane every packet for the host;
//     at line vty every new SSH login), newly bound or its last permit line
//     removed.
//
// It is pure and cheap (each list is walked to its first match once per config).
func LockoutWarning(old, cfg *acl.Config, op *Operator) string {
	return warning(assess(old, op), assess(cfg, op), op)
}

func warning(before, after guardView, op *Operator) string {
	var items []string
	if after.session != "" && before.session == "" {
		items = append(items, "your session would be dropped by "+after.session)
	}
	if after.fresh != "" && before.fresh == "" {
		items = append(items, fmt.Sprintf("a new connection from %s to port %d would be refused by %s", op.Client.Addr(), op.Server.Port(), after.fresh))
	}
	elsewhere := false // a list of another point than management 0 is empty
	for _, b := range acl.AllBindings() {
		n := after.empty[b]
		if n == "" || n == before.empty[b] {
			continue
		}
		f := b.Family
		elsewhere = elsewhere || b.Point != acl.Mgmt
		switch b.Point {
		case acl.Mgmt:
			items = append(items, fmt.Sprintf("%s access list %s, bound to interface management 0, has no permit line: every new %s connection on management 0 would be refused", f.Name(), n, f.Name()))
		case acl.ControlPlane:
			items = append(items, fmt.Sprintf("%s access list %s, bound to system control-plane, has no permit line: every %s packet for this host on every interface but lo would be dropped", f.Name(), n, f.Name()))
		case acl.VTY:
			items = append(items, fmt.Sprintf("%s access list %s, bound to line vty, has no permit line: every new %s SSH login would be refused", f.Name(), n, f.Name()))
		}
	}
	if len(items) == 0 {
		return ""
	}
	var b strings.Builder
	if op != nil && (after.session != "" && before.session == "" || after.fresh != "" && before.fresh == "") {
		on := ", on management 0"
		if op.Elsewhere {
			on = ""
		}
		fmt.Fprintf(&b, "%% Warning: this change would lock you out (your connection: %s%s):\n", op, on)
	} else if elsewhere {
		b.WriteString("% Warning: this change would refuse new connections:\n")
	} else {
		b.WriteString("% Warning: this change would refuse new connections on management 0:\n")
	}
	for _, it := range items {
		b.WriteString("%   " + it + "\n")
	}
	return b.String()
}

// LockoutError is a change the guard stopped: Warning says why.
type LockoutError struct {
	Warning string
	Script  bool   // in a script: --force commits it
	Refused bool   // interactive: the operator did not answer y
	Answer  string // what the operator answered instead
}

func (e *LockoutError) Error() string {
	switch {
	case e.Refused && e.Answer != "" && !strings.EqualFold(e.Answer, "n") && !strings.EqualFold(e.Answer, "no"):
		// A pasted block: its next line became the answer.
		return fmt.Sprintf("not applied (the answer was %q, not y; that line was not run)", e.Answer)
	case e.Refused:
		return "not applied (you answered no)"
	case e.Script:
		return "the lockout guard warns (see above; --force commits anyway)"
	}
	return "not applied: the lockout guard warns and there is no terminal to confirm"
}

// operator returns the operator's connection (SSH_CONNECTION), nil without
// one; whether it arrives on the management interface is found once per shell.
func (s *Shell) operator() *Operator {
	if s.opDone {
		return s.op
	}
	s.opDone = true
	op, ok := ParseSSHConnection(s.opt.SSHConnection)
	if ok {
		op.Elsewhere = !onInterface(s.opt.IfName, op)
		s.op = &op
	}
	return s.op
}

// onInterface reports whether the operator's connection arrives on interface
// ifname: the server address is one of its addresses, or the route back to the
// client leaves through it (a host answers on any of its addresses on any
// interface, and the ruleset filters by interface, not by address).
func onInterface(ifname string, op Operator) bool {
	ifc, err := net.InterfaceByName(ifname)
	if err != nil {
		return false
	}
	if addrs, err := ifc.Addrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap() == op.Server.Addr() {
					return true
				}
			}
		}
	}
	routes, err := netlink.RouteGet(net.IP(op.Client.Addr().AsSlice()))
	if err != nil {
		return false
	}
	for _, r := range routes {
		if r.LinkIndex == ifc.Index {
			return true
		}
	}
	return false
}

// Lockout returns the guard's warning for committing cfg over the running-config
// old (nil if unknown), for this shell's operator: "" when nothing would lock
// anyone out. A caller that has its own safety net (a commit timer) prints it
// and commits without asking.
func (s *Shell) Lockout(old, cfg *acl.Config) string {
	return LockoutWarning(old, cfg, s.operator())
}

// guarded wraps a change to the running-config (Store.Update, Store.Replace) with
// the guard: after change, the candidate is compared with the running-config as
// the store holds it now (under the store's lock), and if the guard warns, the
// change fails with a *LockoutError unless the warning is allowed (the operator
// consented to this very warning) or --force was given, in which case the
// warning is written to warned.
func (s *Shell) guarded(change func(*acl.Config) error, allowed string, warned *string) func(*acl.Config) error {
	return func(cfg *acl.Config) error {
		if change != nil {
			if err := change(cfg); err != nil {
				return err
			}
		}
		old, err := s.opt.Store.Running()
		if err != nil {
			old = nil
		}
		w := s.Lockout(old, cfg)
		if w == "" {
			return nil
		}
		if w == allowed || s.opt.Force {
			*warned = w
			return nil
		}
		return &LockoutError{Warning: w, Script: !s.opt.Interactive}
	}
}

// commitGuarded runs commit (a Store.Update or Store.Replace with the change
// given to it) under the guard. Interactively it asks `Proceed? [y/N]` when the
// guard warns, outside the store's lock, and runs commit again with consent to
// that warning (asking again if the candidate, built anew on the running-config
// as it is then, warns differently). In a script a warning fails the commit
// unless --force was given; with --force the warning is printed and it commits.
func (s *Shell) commitGuarded(commit func(guard guardFunc) (*acl.Config, error)) (*acl.Config, error) {
	allowed := ""
	for {
		warned := ""
		cfg, err := commit(func(change func(*acl.Config) error) func(*acl.Config) error {
			return s.guarded(change, allowed, &warned)
		})
		var le *LockoutError
		if errors.As(err, &le) {
			if !s.opt.Interactive {
				fmt.Fprint(s.opt.Err, le.Warning)
				return nil, err
			}
			fmt.Fprint(s.opt.Out, le.Warning)
			if s.ask == nil {
				return nil, err
			}
			if ok, ans := s.confirm(); !ok {
				le.Refused, le.Answer = true, ans
				return nil, err
			}
			allowed = le.Warning
			continue
		}
		if err == nil && warned != "" && warned != allowed {
			// --force: said, and committed.
			out := s.opt.Out
			if !s.opt.Interactive {
				out = s.opt.Err
			}
			fmt.Fprint(out, warned)
			fmt.Fprintln(out, "% Committed anyway (--force)")
		}
		return cfg, err
	}
}

// confirm asks `Proceed? [y/N]`; only y or yes proceeds. It returns the answer
// (trimmed; "" for Enter, Ctrl-C or Ctrl-D).
func (s *Shell) confirm() (bool, string) {
	ans, err := s.ask("Proceed? [y/N] ")
	if err != nil {
		return false, ""
	}
	ans = strings.TrimSpace(ans)
	switch strings.ToLower(ans) {
	case "y", "yes":
		return true, ans
	}
	return false, ans
}

// guardFunc wraps a change to the running-config with the guard (see guarded).
type guardFunc = func(change func(*acl.Config) error) func(*acl.Config) error
