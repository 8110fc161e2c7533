package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/grammar"
)

// The management interface: interface management N and its access groups.

// EnterInterface is interface management N, or interface NAME: a vendor's
// name of its management port (MgmtName), or one Txn.MgmtNames gives.
type EnterInterface struct {
	Num  int
	Name string
}

func (EnterInterface) command() {}

func (c EnterInterface) Next(t *Txn) (Change, error) {
	switch {
	case c.Name != "":
		if !MgmtName(c.Name) && !slices.ContainsFunc(t.MgmtNames, func(n string) bool { return strings.EqualFold(n, c.Name) }) {
			return nil, fmt.Errorf("interface %s is not managed here: aclsh filters interface management 0 (also spelled mgmt0, Management1, Ma1, MgmtEth0/RP0/CPU0/0, mgmt1/1/1%s)",
				c.Name, namesGiven(t.MgmtNames))
		}
	case c.Num != 0:
		return nil, fmt.Errorf("interface management %d does not exist; this host has management 0", c.Num)
	}
	t.Mode, t.ACL = grammar.Interface, ""
	return nil, nil
}

// EnterPoint is line vty, management ssh or system control-plane: the mode
// whose access-class or access-group lines bind at the login service or the
// host itself.
type EnterPoint struct{ Mode grammar.Mode }

func (EnterPoint) command() {}

func (c EnterPoint) Next(t *Txn) (Change, error) {
	t.Mode, t.ACL = c.Mode, ""
	return nil, nil
}

// namesGiven lists the names of management 0 a setting (or the Linux
// interface's name) gives, for an error.
func namesGiven(names []string) string {
	var out string
	for _, n := range names {
		if !MgmtName(n) {
			out += ", " + n
		}
	}
	return out + "; give other names with --mgmt-names"
}

// MgmtName reports whether name is how a vendor names its management port,
// the one interface management 0 stands for: NX-OS mgmt0, EOS Management1
// (Ma1, Management1/1 on a modular switch), IOS-XR MgmtEth0/RP0/CPU0/0
// (RSP0), OS10 mgmt1/1/1, SLX-OS Management0. Case does not matter, nor does
// an abbreviation of Management (EOS: Ma1).
func MgmtName(name string) bool {
	l := strings.ToLower(name)
	i := strings.IndexAny(l, "0123456789")
	if i <= 0 {
		return false
	}
	kind, num := l[:i], l[i:]
	switch {
	case kind == "mgmt":
		return num == "0" || num == "1/1/1"
	case kind == "mgmteth":
		return num == "0/rp0/cpu0/0" || num == "0/rsp0/cpu0/0"
	case len(kind) >= 2 && strings.HasPrefix("management", kind):
		return num == "0" || num == "1" || num == "1/1"
	}
	return false
}

// Bind is ip|ipv6 access-group NAME in: the list bound at a binding point (the
// syntax takes only `in`, so At.Dir is acl.In).
type Bind struct {
	At   acl.Binding
	Name string
}

func (Bind) command() {}

func (c Bind) Apply(cfg *acl.Config) error { return cfg.Bind(c.At, c.Name) }

// Unbind is no ip|ipv6 access-group NAME in.
type Unbind struct {
	At   acl.Binding
	Name string
}

func (Unbind) command() {}

func (c Unbind) Apply(cfg *acl.Config) error { return cfg.Unbind(c.At, c.Name) }

// NoMeaning is a line of a switch's configuration that has no meaning on a
// Linux host (ip address, description, counters per-entry): accepted, its
// note said (grammar.Command.Note), nothing changed or saved.
type NoMeaning struct{}

func (NoMeaning) command()        {}
func (NoMeaning) Run(Shell) error { return nil }

// interfaceDefs defines interface management 0, the login service and the
// control plane: entering them, binding lists there, and the lines of a
// switch's configuration of them that have no meaning on this host.
func interfaceDefs(d *grammar.Defs) {
	cfg := []grammar.Mode{grammar.Config}
	d.Add(cfg, "interface (management <0-255>$num | NAME$ifname)", []string{"Select an interface to configure", grammar.MgmtStr, grammar.MgmtNumStr,
		"Interface name: management 0 as vendors spell it (mgmt0, Management1, Ma1, MgmtEth0/RP0/CPU0/0, mgmt1/1/1) or as this host names it"},
		func(m *grammar.Match) (any, error) {
			return EnterInterface{Num: m.Num("num"), Name: m.Get("ifname")}, nil
		})

	// Interface mode.
	ifm := []grammar.Mode{grammar.Interface}
	// IOS-XR says ipv4 and ingress; IOS and NX-OS bind IPv6 lists with
	// traffic-filter.
	grp := "((ip$fam|ipv4$fam) access-group WORD$name (in|ingress) | ipv6$fam (access-group|traffic-filter) WORD$name (in|ingress))"
	grpHelp := []string{grammar.IPStr, grammar.IPv4Str, "Apply an IPv4 access list", grammar.ACLNameStr, grammar.InboundStr, grammar.InboundStr,
		grammar.IPv6Str, "Apply an IPv6 access list", "Apply an IPv6 access list", grammar.ACLNameStr, grammar.InboundStr, grammar.InboundStr}
	d.Add(ifm, grp, grpHelp, bind(acl.Mgmt))
	d.Add(ifm, "no "+grp, append([]string{grammar.NoStr}, grpHelp...), unbind(acl.Mgmt))

	// Lines of an interface's configuration that have no meaning for aclsh:
	// accepted with a note, never saved (noMeaning).
	for _, l := range ifaceNoMeaning {
		d.Add(ifm, l.syntax, l.help, noMeaning(l.note))
	}
	// The login service and the host: where else a list is bound.
	d.Add(cfg, "line vty [<0-1023>$first [<0-1023>$last]]", []string{"Configure a terminal line", "Virtual terminal: the login service (SSH)",
		"First line number (aclsh has one login service: every line is it)", "Last line number"}, is(EnterPoint{Mode: grammar.LineVTY}))
	d.Add(cfg, "management ssh", []string{"Configure a management service (EOS)", "The SSH server: the login service"}, is(EnterPoint{Mode: grammar.MgmtSSH}))
	d.Add(cfg, "(system control-plane | control-plane)", []string{"System configuration (EOS)", "The host itself: traffic for it on every interface but loopback",
		"The host itself: traffic for it on every interface but loopback (OS10)"}, is(EnterPoint{Mode: grammar.CtrlPlane}))
	recv := "(ip$fam|ipv6$fam) receive access-group WORD$name [in]"
	recvHelp := []string{grammar.IPStr, grammar.IPv6Str, "Receive path: traffic for the host itself (SLX)", "Apply an access list to the host's own traffic", grammar.ACLNameStr, grammar.InboundStr}
	d.Add(cfg, recv, recvHelp, bind(acl.ControlPlane))
	d.Add(cfg, "no (ip$fam|ipv6$fam) receive access-group [WORD$name] [in]", append([]string{grammar.NoStr}, recvHelp...), unbind(acl.ControlPlane))
	fi := "ssh access-group WORD$name"
	fiHelp := []string{"SSH server (FastIron)", "Apply an IPv4 access list to SSH logins", grammar.ACLNameStr}
	d.Add(cfg, fi, fiHelp, bind(acl.VTY))
	d.Add(cfg, "no ssh access-group [WORD$name]", append([]string{grammar.NoStr}, fiHelp...), unbind(acl.VTY))
	d.Add(cfg, "ssh access-group ipv6$v6 WORD$name", []string{"SSH server (FastIron)", "Apply an IPv4 access list to SSH logins", "IPv6 (FastIron)", grammar.ACLNameStr},
		func(m *grammar.Match) (any, error) {
			return nil, m.ErrAt("v6", "FastIron's IPv6 list for SSH logins: line vty, then ipv6 access-class %s in", m.Get("name"))
		})
	vty := []grammar.Mode{grammar.LineVTY}
	// ip access-class is not IOS's, but typed it must not be taken for an
	// abbreviation of ipv6; vrf-also (IOS-XE: the list applies to logins in
	// every VRF) is what aclsh does anyway.
	cls := "(access-class WORD$name in [vrf-also] | ip$fam access-class WORD$name in [vrf-also] | ipv6$fam access-class WORD$name in)"
	clsHelp := []string{"Filter logins with an IPv4 access list", grammar.ACLNameStr, "Incoming connections (SSH logins)", "Logins in every VRF (aclsh filters every VRF)",
		grammar.IPStr, "Filter logins with an IPv4 access list", grammar.ACLNameStr, "Incoming connections (SSH logins)", "Logins in every VRF (aclsh filters every VRF)",
		grammar.IPv6Str, "Filter logins with an IPv6 access list", grammar.ACLNameStr, "Incoming connections (SSH logins)"}
	d.Add(vty, cls, clsHelp, bind(acl.VTY))
	d.Add(vty, "no "+cls, append([]string{grammar.NoStr}, clsHelp...), unbind(acl.VTY))
	// IOS's outbound class filters the connections a vty session opens to
	// other hosts: refused, saying why.
	d.Add(vty, "[ipv6] access-class WORD$name out$out [vrf-also]", []string{grammar.IPv6Str, "Filter logins with an access list", grammar.ACLNameStr,
		"Outgoing connections (from a session, to other hosts)", "Logins in every VRF"},
		func(m *grammar.Match) (any, error) {
			return nil, m.ErrAt("out", "access-class %s out filters the connections a switch's vty sessions open to other hosts; "+
				"aclsh filters what arrives for this host: access-class %s in", m.Get("name"), m.Get("name"))
		})
	for _, l := range vtyNoMeaning {
		d.Add(vty, l.syntax, l.help, noMeaning(l.note))
	}
	svcGrp := "(ip$fam|ipv6$fam) access-group WORD$name [vrf WORD$vrfname] in"
	svcHelp := []string{grammar.IPStr, grammar.IPv6Str, "Apply an access list", grammar.ACLNameStr, "VRF (aclsh filters every VRF of the host)", "VRF name", grammar.InboundStr}
	for _, md := range []grammar.Mode{grammar.MgmtSSH, grammar.CtrlPlane} {
		p := acl.VTY
		if md == grammar.CtrlPlane {
			p = acl.ControlPlane
		}
		d.Add([]grammar.Mode{md}, svcGrp, svcHelp, bind(p))
		d.Add([]grammar.Mode{md}, "no "+svcGrp, append([]string{grammar.NoStr}, svcHelp...), unbind(p))
	}
	for _, l := range sshNoMeaning {
		d.Add([]grammar.Mode{grammar.MgmtSSH}, l.syntax, l.help, noMeaning(l.note))
	}
}

// bind builds an access-group or access-class line that binds at p; a line
// that names no family binds an IPv4 list.
func bind(p acl.Point) grammar.Build {
	return func(m *grammar.Match) (any, error) {
		f, _ := m.Family()
		if v := m.Get("vrfname"); v != "" {
			m.SetNote("vrf " + v + ": aclsh has no VRFs; the list applies on every interface of this host (a switch applies it in VRF " + v + " only)")
		}
		return Bind{At: acl.At(p, f), Name: m.Get("name")}, nil
	}
}

// unbind builds the no form of an access-group or access-class line.
func unbind(p acl.Point) grammar.Build {
	return func(m *grammar.Match) (any, error) {
		f, _ := m.Family()
		return Unbind{At: acl.At(p, f), Name: m.Get("name")}, nil
	}
}

// noMeaning builds a line that has no meaning on this host: accepted, with a
// note that says what it would do on a switch and that it is not applied here,
// and never saved.
func noMeaning(note string) grammar.Build {
	return func(m *grammar.Match) (any, error) {
		m.SetNote(note)
		return NoMeaning{}, nil
	}
}

// noMeaningLine is a line of a switch's configuration that has no meaning on a
// Linux host: accepted, with a note that says what it would do on a switch and
// that it is not applied here, and never saved.
type noMeaningLine struct {
	syntax string
	help   []string
	note   string
}

// byHost is how a note ends: said once, the same everywhere.
const byHost = "; on this host the system's own configuration does that (not applied, not saved)"

var ifaceNoMeaning = []noMeaningLine{
	{"description LINE$text", []string{"Interface specific description", "Up to 240 characters describing this interface"},
		"description names a switch interface; aclsh's running-config holds access lists and their bindings only (not saved)"},
	{"(ip|ipv4|ipv6) address LINE$text", []string{grammar.IPStr, grammar.IPv4Str, grammar.IPv6Str, "Set the interface's address", "Address and mask or prefix"},
		"ip address sets a switch interface's address" + byHost},
	{"no (ip|ipv4|ipv6) address [LINE$text]", []string{grammar.NoStr, grammar.IPStr, grammar.IPv4Str, grammar.IPv6Str, "Remove the interface's address", "Address"},
		"ip address sets a switch interface's address" + byHost},
	{"vrf (forwarding|member) WORD$vrf", []string{"VRF", "Put the interface in a VRF (IOS)", "Put the interface in a VRF (NX-OS)", "VRF name"},
		"vrf puts a switch interface in a routing table" + byHost},
	{"vrf WORD$vrf", []string{"Put the interface in a VRF (EOS)", "VRF name"},
		"vrf puts a switch interface in a routing table" + byHost},
	{"[no] shutdown", []string{grammar.NoStr, "Shut the interface down"},
		"shutdown turns a switch interface off or on" + byHost},
	{"(speed|duplex|negotiation|mtu) LINE$text", []string{"Interface speed", "Interface duplex", "Link negotiation", "Interface MTU", "Setting"},
		"speed, duplex, negotiation and mtu set a switch interface's link" + byHost},
	{"no ip (redirects|unreachables|proxy-arp)", []string{grammar.NoStr, grammar.IPStr, "ICMP redirects", "ICMP unreachables", "Proxy ARP"},
		"ip redirects, unreachables and proxy-arp are a switch interface's ICMP and ARP answers; on this host the kernel's sysctls (net.ipv4.conf.*) decide (not applied, not saved)"},
}

// sshd is how a note on a login setting ends.
const sshd = "; on this host sshd's configuration (sshd_config) decides that (not applied, not saved)"

var vtyNoMeaning = []noMeaningLine{
	{"transport (input|output) LINE$text", []string{"Define transport protocols for the line", "Protocols operators may log in with", "Protocols operators may connect out with", "Protocols (ssh, telnet, none, all)"},
		"transport input sets the protocols a switch's vty lines take" + sshd},
	{"[no] login [LINE$text]", []string{grammar.NoStr, "Enable password checking", "local, authentication LIST"},
		"login sets how a switch checks a vty login" + sshd + "; PAM"},
	{"(exec-timeout|session-timeout|absolute-timeout) LINE$text", []string{"Set the EXEC timeout", "Set the session timeout", "Set the absolute timeout", "Minutes [seconds]"},
		"exec-timeout ends an idle vty session on a switch; on this host sshd's ClientAliveInterval or the shell's TMOUT does that (not applied, not saved)"},
	{"password LINE$text", []string{"Set a password", "The password"},
		"password sets a switch's line password; on this host the users' own passwords and sshd decide (not applied, not saved)"},
	{"privilege level LINE$text", []string{"Change the privilege level of the line", "Default privilege level", "Level"},
		"privilege level sets a switch's login privilege; on this host the aclsh daemon's groups decide what an operator may do (not applied, not saved)"},
	{"[no] logging synchronous", []string{grammar.NoStr, "Console logging", "Keep messages from breaking a typed line"},
		"logging synchronous paces a switch's console messages (not applied, not saved)"},
	{"(length|width) <0-512>$n", []string{"Set the number of lines on a screen", "Set the width of the display", "Number"},
		"length and width set a switch line's terminal; use terminal length and terminal width in a session (not applied, not saved)"},
}

var sshNoMeaning = []noMeaningLine{
	{"idle-timeout LINE$text", []string{"Set the idle timeout (EOS)", "Minutes"},
		"idle-timeout ends an idle SSH session on a switch; on this host sshd's ClientAliveInterval does that (not applied, not saved)"},
	{"[no] shutdown", []string{grammar.NoStr, "Turn the SSH server off"},
		"shutdown turns a switch's SSH server off or on; on this host systemctl does that for sshd (not applied, not saved)"},
	{"authentication LINE$text", []string{"Set how logins are checked (EOS)", "Methods"},
		"authentication sets how a switch checks an SSH login" + sshd},
}
