package grammar

import (
	"net/netip"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"

	"github.com/aclsh/aclsh/acl"
)

var configModes = []Mode{Config, IPACL, IP6ACL, StdACL, Interface, LineVTY, MgmtSSH, CtrlPlane}

// seqRange is the syntax of a sequence number: 1-2147483647, as on IOS.
var seqRange = "<1-" + strconv.Itoa(int(acl.MaxSeq)) + ">"

const writeHelp = "Write running configuration to memory or terminal"

// pipeSyntax is the output modifiers every show command takes: any chain of
// include, exclude, begin, section and count, applied in order, or json alone.
const pipeSyntax = " [{PIPE ((include|exclude|begin|section)$pipeop REGEX$re | count$pipeop)}* | PIPE json$pipeop]"

var pipeHelp = []string{PipeStr, "Show only lines that match", "Show only lines that do not match", "Begin with the first line that matches",
	"Show the lines that match and the lines indented under them", "Regular expression (a ` |` starts the next modifier)", "Count the lines",
	PipeStr, "The same data as JSON (must be the only modifier)"}

func show(syntax string, help ...string) (string, []string) {
	return syntax + pipeSyntax, append(help, pipeHelp...)
}

// addrSyntax is SRC or DST for a family, captured under prefix p.
func addrSyntax(f acl.Family, p string) (string, []string) {
	a, pfx := "A.B.C.D", "A.B.C.D/LEN"
	if f == acl.IPv6 {
		a, pfx = "X:X::X:X", "X:X::X:X/LEN"
	}
	if f == acl.IPv6 {
		return "(any$" + p + "any | host " + a + "$" + p + "host | " + pfx + "$" + p + "pfx)",
			[]string{AnyAddrStr, HostStr, HostAddrStr, PrefixStr}
	}
	return "(any$" + p + "any | host " + a + "$" + p + "host | " + pfx + "$" + p + "pfx | " + a + "$" + p + "addr " + a + "$" + p + "wild)",
		[]string{AnyAddrStr, HostStr, HostAddrStr, PrefixStr, "Address", "Wildcard mask (bits set: any value)"}
}

// portSyntax is an optional port match of a tcp or udp rule (proto "tcp" or
// "udp": the names it takes), captured under prefix p: eq and neq take up to
// acl.MaxPorts ports.
func portSyntax(p, proto string) (string, []string) {
	v := strings.ToUpper(proto) + "-PORT$" + p + "lo"
	names := "Port number or name (" + map[string]string{"tcp": "ssh, www, https, bgp", "udp": "domain, ntp, snmp, syslog"}[proto] + ", ...)"
	more := "Another port (up to " + strconv.Itoa(acl.MaxPorts) + ")"
	return "[(eq|neq)$" + p + "op " + v + " {MORE-" + v + "} | (lt|gt)$" + p + "op " + v + " | range$" + p + "op " + v + " " + strings.ToUpper(proto) + "-PORT$" + p + "hi]",
		[]string{"Match only packets on these ports (up to " + strconv.Itoa(acl.MaxPorts) + ")", "Match only packets not on these ports (up to " + strconv.Itoa(acl.MaxPorts) + ")", names, more,
			"Port less than", "Port greater than", names, "Ports in a range", "First port", "Last port"}
}

// icmpSyntax is an optional ICMP type of an icmp rule in family f: a name, or a
// type number and an optional code.
func icmpSyntax(f acl.Family) (string, []string) {
	var words []string
	h := []string{"ICMP message type", "ICMP message code"}
	for _, n := range acl.ICMPNames(f) {
		words = append(words, n.Name)
		h = append(h, n.Help)
	}
	return "[<0-255>$itype [<0-255>$icode] | (" + strings.Join(words, "|") + ")$iname]", h
}

// fragmentsNote is what a line with fragments is told.
const fragmentsNote = "fragments matches non-initial fragments, and none reach the list on this host: the kernel reassembles fragments first (conntrack), so the line is kept and matches nothing"

// establishedHelp says what aclsh's established is, which is not IOS's.
const (
	establishedHelp = "Replies to connections this host opened (stateful; IOS matches any ACK or RST)"
	trackedHelp     = "Packets of existing connections (EOS; stored as established)"
)

// ruleSyntax is the rule body for a family: PROTO SRC [PORTS] DST [PORTS] FLAGS,
// with per-protocol port names for tcp and udp and ICMP types for icmp.
func ruleSyntax(f acl.Family) (string, []string) {
	src, srch := addrSyntax(f, "s")
	dst, dsth := addrSyntax(f, "d")
	// established and connlimit are one choice: the model refuses a line with
	// both, so `?` offers neither once the other is there.
	flags := "{((established|tracked$established) | connlimit <1-65535>$limit {mask /LEN$masklen | sources <1-" + strconv.Itoa(acl.MaxConnSources) + ">$nsources | fail-closed}) | count | (log|log-input$log)" +
		" | ttl (eq|neq|lt|gt)$ttlop <0-255>$ttlv | fragments}"
	bits := strconv.Itoa(f.Bits())
	flagh := []string{establishedHelp, trackedHelp, "Limit concurrent connections per source address", "Maximum connections per source",
		"Count connections per source prefix instead of per address", "Prefix length, /0-/" + bits + " (default /" + bits + ": per address)",
		"Most sources (prefixes) the limit tracks at once", "Number of sources (default " + strconv.Itoa(acl.DefaultConnSources) + ")",
		"When the source set is full, refuse sources not in it (default: the limit lets them past)",
		"Count matches (always on)", "Log matches", "Log matches (as log)",
		map[acl.Family]string{acl.IPv4: "Match the packet's TTL", acl.IPv6: "Match the packet's hop limit (as EOS, ttl)"}[f],
		"Equal to", "Not equal to", "Less than", "Greater than", "TTL value",
		"Non-initial fragments (this host reassembles them before its lists: matches nothing)"}
	anyProto, anyh, icmp, icmph := "ip|ipv4", []string{"Any IPv4 protocol", "Any IPv4 protocol (as ip)"}, "icmp", []string{ICMPStr}
	if f == acl.IPv6 {
		anyProto, anyh, icmp, icmph = "ipv6", []string{"Any IPv6 protocol"}, "(icmp|icmpv6)", []string{ICMP6Str, ICMP6Str}
	}
	for _, n := range acl.ProtoNames(f) {
		anyProto += "|" + n.Name
		anyh = append(anyh, n.Help+" ("+strconv.Itoa(int(n.Num))+")")
	}
	ic, ich := icmpSyntax(f)
	syn := "(permit|deny)$action ("
	h := []string{"Specify packets to forward", "Specify packets to reject"}
	for _, proto := range []string{"tcp", "udp"} {
		sp, sph := portSyntax("sp", proto)
		dp, dph := portSyntax("dp", proto)
		syn += proto + "$proto " + src + " " + sp + " " + dst + " " + dp + " " + flags + " | "
		h = append(h, map[string]string{"tcp": TCPStr, "udp": UDPStr}[proto])
		h = append(h, srch...)
		h = append(h, sph...)
		h = append(h, dsth...)
		h = append(h, dph...)
		h = append(h, flagh...)
	}
	syn += icmp + "$proto " + src + " " + dst + " " + ic + " " + flags +
		" | (" + anyProto + "|<0-255>)$proto " + src + " " + dst + " " + flags + ")"
	h = append(h, icmph...)
	h = append(h, srch...)
	h = append(h, dsth...)
	h = append(h, ich...)
	h = append(h, flagh...)
	h = append(h, anyh...)
	h = append(h, ProtoNumStr)
	h = append(h, srch...)
	h = append(h, dsth...)
	h = append(h, flagh...)
	return syn, h
}

func init() { lazy = append(lazy, initDefs) }

// initDefs makes this file's definitions, when they are first needed (ready).
func initDefs() {
	var defs []*Def
	add := func(modes []Mode, syntax string, help []string, build func(*match) error) {
		defs = append(defs, newDef(1, modes, syntax, help, build))
	}
	exec := []Mode{Exec}
	kind := func(k Kind) func(*match) error {
		return func(m *match) error { m.cmd.Kind = k; return nil }
	}
	noDo := func() { defs[len(defs)-1].NoDo = true } // the last definition added

	// Exec mode.
	add(exec, "configure [terminal]", []string{ConfigureStr, "Configure from the terminal"}, kind(Configure))
	noDo()
	s, h := show("show running-config", ShowStr, RunningStr)
	add(exec, s, h, buildShow(ShowRunning))
	s, h = show("show startup-config", ShowStr, "Contents of startup configuration")
	add(exec, s, h, buildShow(ShowStartup))
	add(exec, "terminal length <0-512>", []string{TerminalStr, "Set number of lines on a screen", "Number of lines on screen (0 for no pausing)"}, kind(TerminalLength))
	add(exec, "terminal width <0-512>", []string{TerminalStr, "Set width of the display terminal", "Number of characters on a line (output is never wrapped)"}, kind(TerminalWidth))
	s, h = show("show [ip$fam|ipv6$fam] access-lists [WORD$name]", ShowStr, IPInfoStr, IPv6InfoStr, ACLsStr, ACLNameStr)
	add(exec, s, h, buildShow(ShowACLs))
	s, h = show("show (interface|interfaces) management <0-255>$num", ShowStr, "Interface status and configuration", "Interface status and configuration", MgmtStr, MgmtNumStr)
	add(exec, s, h, buildShow(ShowInterface))
	s, h = show("show ip interface brief", ShowStr, IPInfoStr, "IP interface status and configuration", "The management interface's addresses, state and bound lists, one line each")
	add(exec, s, h, buildShow(ShowInterfaceBrief))
	// enable and disable, as automation and habit send them: the role the
	// daemon gives decides what a user may do (a read-only user's enable is
	// refused, saying why).
	add(exec, "enable [<0-15>$level]", []string{"Turn on privileged commands", "Privilege level"}, kind(Enable))
	add(exec, "disable [<0-15>$level]", []string{"Turn off privileged commands", "Privilege level"},
		func(m *match) error {
			m.cmd.Kind = Disable
			m.cmd.Note = "aclsh has no unprivileged exec mode: what you may do is your role's (the daemon's groups), not a mode's"
			return nil
		})
	add(exec, "clear [ip$fam|ipv6$fam] access-list counters [WORD$name]", []string{"Reset functions", "IPv4", "IPv6", "Access list", "Clear access list counters", ACLNameStr},
		func(m *match) error {
			m.cmd.Kind = ClearCounters
			m.cmd.Name = m.get("name")
			setFam(m)
			return nil
		})
	add(exec, "write [memory]", []string{writeHelp, "Write to startup-config"}, kind(WriteMemory))
	s, h = show("write terminal", writeHelp, "Write to terminal (show running-config)")
	add(exec, s, h, buildShow(WriteTerminal))
	add(exec, "copy (running-config$from startup-config | startup-config$from running-config | last-good-config$from running-config)",
		[]string{CopyStr, CopyRunningStr, "Copy to startup configuration",
			"Copy from startup configuration", "Merge it into the running configuration",
			"Copy from the configuration aclsh last committed", "Replace the running configuration with it"},
		func(m *match) error {
			m.cmd.Kind = WriteMemory
			if from := m.get("from"); from != "running-config" {
				m.cmd.Kind, m.cmd.Name = CopyToRunning, from
			}
			return nil
		})
	add(exec, "copy running-config kernel", []string{CopyStr, CopyRunningStr,
		"Enforce it in the kernel again (restores table inet aclsh)"}, kind(RestoreKernel))
	add(exec, "exit", []string{ExitExecStr}, kind(Exit))
	noDo()
	add(exec, "logout", []string{ExitExecStr}, kind(Exit))
	noDo()
	add(exec, "quit", []string{ExitExecStr}, kind(Exit))
	noDo()

	// Every config mode.
	add(configModes, "end", []string{"Exit to EXEC mode"}, kind(End))
	add(configModes, "exit", []string{"Exit from the current mode"}, kind(Exit))
	add(configModes, "do LINE$cmd", []string{"Run an exec command", "Exec command"}, buildDo)

	// Config mode.
	cfg := []Mode{Config}
	// A list header: IOS's `ip access-list extended|standard NAME`, EOS's and
	// NX-OS's `ip access-list NAME` (extended), IOS-XR's `ipv4 access-list NAME`.
	hdr := "(ip$fam access-list [extended$kind|standard$kind] WORD$name | ipv4$fam access-list WORD$name | ipv6$fam access-list [extended$kind] WORD$name)"
	hdrh := func(what string) []string {
		return []string{IPStr, what, ExtendedStr, StandardStr, ACLNameStr, IPv4Str, what, ACLNameStr, IPv6Str, what, ExtendedStr, ACLNameStr}
	}
	add(cfg, hdr, hdrh(ConfigureACLStr), buildACL(EnterACL))
	numbers := "(<1-99>|<100-199>|<1300-1999>|<2000-2699>)$name"
	numh := []string{StdNumStr, ExtNumStr, StdNumExpStr, ExtNumExpStr}
	add(cfg, "no ("+hdr[1:len(hdr)-1]+" | access-list "+numbers+")", append(append([]string{NoStr}, hdrh(DeleteACLStr)...), append([]string{NumberedStr}, numh...)...),
		buildACL(DeleteACL))
	// IOS numbered lists: `access-list N permit|deny ...`, one line each.
	ss, sh := stdSyntax()
	add(cfg, "access-list (<1-99>|<1300-1999>)$name "+ss, append([]string{NumberedStr, StdNumStr, StdNumExpStr}, sh...), buildNumbered(true))
	rs4, rh4 := ruleSyntax(acl.IPv4)
	add(cfg, "access-list (<100-199>|<2000-2699>)$name "+rs4, append([]string{NumberedStr, ExtNumStr, ExtNumExpStr}, rh4...), buildNumbered(false))
	add(cfg, "access-list "+numbers+" remark LINE$text", append(append([]string{NumberedStr}, numh...), RemarkStr, "Comment, up to 255 characters"),
		func(m *match) error {
			if err := buildRemark(AddRule)(m); err != nil {
				return err
			}
			m.cmd.Kind, m.cmd.Name, m.cmd.Family = NumberedRule, m.get("name"), acl.IPv4
			_, m.cmd.Standard = acl.Numbered(m.cmd.Name)
			return nil
		})
	logh := []string{IPStr, "Access list settings", "Access list logging", "Least time between two log lines of one access list line",
		"Milliseconds (default " + strconv.Itoa(int(acl.DefaultLogInterval)) + ")"}
	logSyntax := "ip access-list logging interval <1-" + strconv.Itoa(int(acl.MaxLogInterval)) + ">$ms"
	add(cfg, logSyntax, logh, buildLogInterval)
	add(cfg, "no "+strings.Replace(logSyntax, "<", "[<", 1)+"]", append([]string{NoStr}, logh...),
		func(m *match) error {
			m.cmd.Kind = LogInterval // Num 0: the default
			return nil
		})
	dialh := []string{"Command line interface settings", "How show running-config and show access-lists write access lists",
		"SLX-OS form: seq 10 permit ... (the default)", "Cisco IOS form: permit ... without seq; Extended IP access list NAME (cisco.ios)",
		"Arista EOS form: ip access-list NAME, 10 permit ... (arista.eos)"}
	add(cfg, "cli dialect (slx|ios|eos)$form", dialh, buildDialect)
	add(cfg, "no cli dialect [(slx|ios|eos)$form]", append([]string{NoStr}, dialh...),
		func(m *match) error {
			m.cmd.Kind = CLIDialect // Name "": the default
			return nil
		})
	add(cfg, "interface (management <0-255>$num | NAME$ifname)", []string{"Select an interface to configure", MgmtStr, MgmtNumStr,
		"Interface name: management 0 as vendors spell it (mgmt0, Management1, Ma1, MgmtEth0/RP0/CPU0/0, mgmt1/1/1) or as this host names it"},
		func(m *match) error {
			m.cmd.Kind = EnterInterface
			m.cmd.Num, _ = strconv.Atoi(m.get("num"))
			m.cmd.Name = m.get("ifname")
			return nil
		})

	// Access list modes.
	for _, md := range []Mode{IPACL, IP6ACL, StdACL} {
		f := md.Family()
		rs, rh := ruleSyntax(f)
		build := buildRule
		if md == StdACL {
			rs, rh = stdSyntax()
			build = buildStdRule
		}
		// A sequence number, with or without `seq` (IOS and EOS take it bare;
		// IOS IPv6 lists and FastIron say `sequence`).
		seq := "(seq " + seqRange + "$seqn | sequence " + seqRange + "$seqn | " + seqRange + "$seqn)"
		seqh := []string{SeqStr, SeqStr, SeqStr, SeqStr, SeqStr}
		mds := []Mode{md}
		add(mds, "["+seq+"] "+rs, append(seqh, rh...), build(AddRule))
		add(mds, "["+seq+"] remark LINE$text", append(seqh, RemarkStr, "Comment, up to 255 characters"), buildRemark(AddRule))
		add(mds, "no "+seq, []string{NoStr, SeqStr, SeqDeleteStr, SeqStr, SeqDeleteStr, SeqDeleteStr},
			func(m *match) error {
				n, _ := strconv.Atoi(m.get("seqn"))
				m.cmd.Kind, m.cmd.Seq = DeleteSeq, acl.Seq(n)
				return nil
			})
		add(mds, "no "+seq+" "+rs, append([]string{NoStr}, append(seqh, rh...)...), build(DeleteRule))
		add(mds, "no "+rs, append([]string{NoStr}, rh...), build(DeleteRule))
		add(mds, "no ["+seq+"] remark LINE$text", append([]string{NoStr}, append(seqh, RemarkStr, "Comment text")...), buildRemark(DeleteRule))
		add(mds, "resequence ["+seqRange+"$start ["+seqRange+"$step]]", []string{"Renumber the entries", "First sequence number (default 10)", "Step (default 10)"},
			func(m *match) error {
				m.cmd.Kind, m.cmd.Start, m.cmd.Step = Resequence, 10, 10
				if v := m.get("start"); v != "" {
					n, _ := strconv.Atoi(v)
					m.cmd.Start = acl.Seq(n)
				}
				if v := m.get("step"); v != "" {
					n, _ := strconv.Atoi(v)
					m.cmd.Step = acl.Seq(n)
				}
				return nil
			})
	}

	// IOS writes the seq of an IPv6 entry after it (` permit tcp any any eq 22
	// sequence 10`, cli dialect ios), and takes it so.
	rs6, rh6 := ruleSyntax(acl.IPv6)
	add([]Mode{IP6ACL}, rs6+" sequence "+seqRange+"$seqn", append(rh6, SeqStr, SeqStr), buildRule(AddRule))

	// Interface mode.
	ifm := []Mode{Interface}
	// IOS-XR says ipv4 and ingress; IOS and NX-OS bind IPv6 lists with
	// traffic-filter.
	grp := "((ip$fam|ipv4$fam) access-group WORD$name (in|ingress) | ipv6$fam (access-group|traffic-filter) WORD$name (in|ingress))"
	grpHelp := []string{IPStr, IPv4Str, "Apply an IPv4 access list", ACLNameStr, InboundStr, InboundStr,
		IPv6Str, "Apply an IPv6 access list", "Apply an IPv6 access list", ACLNameStr, InboundStr, InboundStr}
	add(ifm, grp, grpHelp, buildBind(BindACL))
	add(ifm, "no "+grp, append([]string{NoStr}, grpHelp...), buildBind(UnbindACL))

	// Lines of an interface's configuration that have no meaning for aclsh:
	// accepted with a note, never saved (noMeaning).
	for _, l := range ifaceNoMeaning {
		add(ifm, l.syntax, l.help, buildNoMeaning(l.note))
	}
	// The login service and the host: where else a list is bound.
	add(cfg, "line vty [<0-1023>$first [<0-1023>$last]]", []string{"Configure a terminal line", "Virtual terminal: the login service (SSH)",
		"First line number (aclsh has one login service: every line is it)", "Last line number"}, kind(EnterLineVTY))
	add(cfg, "management ssh", []string{"Configure a management service (EOS)", "The SSH server: the login service"}, kind(EnterMgmtSSH))
	add(cfg, "(system control-plane | control-plane)", []string{"System configuration (EOS)", "The host itself: traffic for it on every interface but loopback",
		"The host itself: traffic for it on every interface but loopback (OS10)"}, kind(EnterCtrlPlane))
	recv := "(ip$fam|ipv6$fam) receive access-group WORD$name [in]"
	recvHelp := []string{IPStr, IPv6Str, "Receive path: traffic for the host itself (SLX)", "Apply an access list to the host's own traffic", ACLNameStr, InboundStr}
	add(cfg, recv, recvHelp, buildBindAt(BindACL, acl.ControlPlane))
	add(cfg, "no (ip$fam|ipv6$fam) receive access-group [WORD$name] [in]", append([]string{NoStr}, recvHelp...), buildBindAt(UnbindACL, acl.ControlPlane))
	fi := "ssh access-group WORD$name"
	fiHelp := []string{"SSH server (FastIron)", "Apply an IPv4 access list to SSH logins", ACLNameStr}
	add(cfg, fi, fiHelp, buildBindAt(BindACL, acl.VTY))
	add(cfg, "no ssh access-group [WORD$name]", append([]string{NoStr}, fiHelp...), buildBindAt(UnbindACL, acl.VTY))
	add(cfg, "ssh access-group ipv6$v6 WORD$name", []string{"SSH server (FastIron)", "Apply an IPv4 access list to SSH logins", "IPv6 (FastIron)", ACLNameStr},
		func(m *match) error {
			return m.errAt("v6", "FastIron's IPv6 list for SSH logins: line vty, then ipv6 access-class %s in", m.get("name"))
		})
	vty := []Mode{LineVTY}
	// ip access-class is not IOS's, but typed it must not be taken for an
	// abbreviation of ipv6; vrf-also (IOS-XE: the list applies to logins in
	// every VRF) is what aclsh does anyway.
	cls := "(access-class WORD$name in [vrf-also] | ip$fam access-class WORD$name in [vrf-also] | ipv6$fam access-class WORD$name in)"
	clsHelp := []string{"Filter logins with an IPv4 access list", ACLNameStr, "Incoming connections (SSH logins)", "Logins in every VRF (aclsh filters every VRF)",
		IPStr, "Filter logins with an IPv4 access list", ACLNameStr, "Incoming connections (SSH logins)", "Logins in every VRF (aclsh filters every VRF)",
		IPv6Str, "Filter logins with an IPv6 access list", ACLNameStr, "Incoming connections (SSH logins)"}
	add(vty, cls, clsHelp, buildBindAt(BindACL, acl.VTY))
	add(vty, "no "+cls, append([]string{NoStr}, clsHelp...), buildBindAt(UnbindACL, acl.VTY))
	// IOS's outbound class filters the connections a vty session opens to
	// other hosts: refused, saying why.
	add(vty, "[ipv6] access-class WORD$name out$out [vrf-also]", []string{IPv6Str, "Filter logins with an access list", ACLNameStr,
		"Outgoing connections (from a session, to other hosts)", "Logins in every VRF"},
		func(m *match) error {
			return m.errAt("out", "access-class %s out filters the connections a switch's vty sessions open to other hosts; "+
				"aclsh filters what arrives for this host: access-class %s in", m.get("name"), m.get("name"))
		})
	for _, l := range vtyNoMeaning {
		add(vty, l.syntax, l.help, buildNoMeaning(l.note))
	}
	svcGrp := "(ip$fam|ipv6$fam) access-group WORD$name [vrf WORD$vrfname] in"
	svcHelp := []string{IPStr, IPv6Str, "Apply an access list", ACLNameStr, "VRF (aclsh filters every VRF of the host)", "VRF name", InboundStr}
	for _, md := range []Mode{MgmtSSH, CtrlPlane} {
		p := acl.VTY
		if md == CtrlPlane {
			p = acl.ControlPlane
		}
		add([]Mode{md}, svcGrp, svcHelp, buildBindAt(BindACL, p))
		add([]Mode{md}, "no "+svcGrp, append([]string{NoStr}, svcHelp...), buildBindAt(UnbindACL, p))
	}
	for _, l := range sshNoMeaning {
		add([]Mode{MgmtSSH}, l.syntax, l.help, buildNoMeaning(l.note))
	}

	// Lines of a list's configuration aclsh does by itself.
	for _, md := range []Mode{IPACL, IP6ACL, StdACL} {
		add([]Mode{md}, "(counters|statistics) per-entry", []string{"Access list counters (EOS)", "Access list statistics (NX-OS)", "Count matches of each entry"},
			buildNoMeaning("aclsh counts the matches of every entry always (show access-lists); nothing to set"))
	}

	register(defs)
}

// noMeaning is a line of a switch's configuration that has no meaning on a
// Linux host: accepted, with a note that says what it would do on a switch and
// that it is not applied here, and never saved.
type noMeaning struct {
	syntax string
	help   []string
	note   string
}

// byHost is how a note ends: said once, the same everywhere.
const byHost = "; on this host the system's own configuration does that (not applied, not saved)"

var ifaceNoMeaning = []noMeaning{
	{"description LINE$text", []string{"Interface specific description", "Up to 240 characters describing this interface"},
		"description names a switch interface; aclsh's running-config holds access lists and their bindings only (not saved)"},
	{"(ip|ipv4|ipv6) address LINE$text", []string{IPStr, IPv4Str, IPv6Str, "Set the interface's address", "Address and mask or prefix"},
		"ip address sets a switch interface's address" + byHost},
	{"no (ip|ipv4|ipv6) address [LINE$text]", []string{NoStr, IPStr, IPv4Str, IPv6Str, "Remove the interface's address", "Address"},
		"ip address sets a switch interface's address" + byHost},
	{"vrf (forwarding|member) WORD$vrf", []string{"VRF", "Put the interface in a VRF (IOS)", "Put the interface in a VRF (NX-OS)", "VRF name"},
		"vrf puts a switch interface in a routing table" + byHost},
	{"vrf WORD$vrf", []string{"Put the interface in a VRF (EOS)", "VRF name"},
		"vrf puts a switch interface in a routing table" + byHost},
	{"[no] shutdown", []string{NoStr, "Shut the interface down"},
		"shutdown turns a switch interface off or on" + byHost},
	{"(speed|duplex|negotiation|mtu) LINE$text", []string{"Interface speed", "Interface duplex", "Link negotiation", "Interface MTU", "Setting"},
		"speed, duplex, negotiation and mtu set a switch interface's link" + byHost},
	{"no ip (redirects|unreachables|proxy-arp)", []string{NoStr, IPStr, "ICMP redirects", "ICMP unreachables", "Proxy ARP"},
		"ip redirects, unreachables and proxy-arp are a switch interface's ICMP and ARP answers; on this host the kernel's sysctls (net.ipv4.conf.*) decide (not applied, not saved)"},
}

// sshd is how a note on a login setting ends.
const sshd = "; on this host sshd's configuration (sshd_config) decides that (not applied, not saved)"

var vtyNoMeaning = []noMeaning{
	{"transport (input|output) LINE$text", []string{"Define transport protocols for the line", "Protocols operators may log in with", "Protocols operators may connect out with", "Protocols (ssh, telnet, none, all)"},
		"transport input sets the protocols a switch's vty lines take" + sshd},
	{"[no] login [LINE$text]", []string{NoStr, "Enable password checking", "local, authentication LIST"},
		"login sets how a switch checks a vty login" + sshd + "; PAM"},
	{"(exec-timeout|session-timeout|absolute-timeout) LINE$text", []string{"Set the EXEC timeout", "Set the session timeout", "Set the absolute timeout", "Minutes [seconds]"},
		"exec-timeout ends an idle vty session on a switch; on this host sshd's ClientAliveInterval or the shell's TMOUT does that (not applied, not saved)"},
	{"password LINE$text", []string{"Set a password", "The password"},
		"password sets a switch's line password; on this host the users' own passwords and sshd decide (not applied, not saved)"},
	{"privilege level LINE$text", []string{"Change the privilege level of the line", "Default privilege level", "Level"},
		"privilege level sets a switch's login privilege; on this host the aclsh daemon's groups decide what an operator may do (not applied, not saved)"},
	{"[no] logging synchronous", []string{NoStr, "Console logging", "Keep messages from breaking a typed line"},
		"logging synchronous paces a switch's console messages (not applied, not saved)"},
	{"(length|width) <0-512>$n", []string{"Set the number of lines on a screen", "Set the width of the display", "Number"},
		"length and width set a switch line's terminal; use terminal length and terminal width in a session (not applied, not saved)"},
}

var sshNoMeaning = []noMeaning{
	{"idle-timeout LINE$text", []string{"Set the idle timeout (EOS)", "Minutes"},
		"idle-timeout ends an idle SSH session on a switch; on this host sshd's ClientAliveInterval does that (not applied, not saved)"},
	{"[no] shutdown", []string{NoStr, "Turn the SSH server off"},
		"shutdown turns a switch's SSH server off or on; on this host systemctl does that for sshd (not applied, not saved)"},
	{"authentication LINE$text", []string{"Set how logins are checked (EOS)", "Methods"},
		"authentication sets how a switch checks an SSH login" + sshd},
}

// buildNoMeaning builds a line that has no meaning on this host.
func buildNoMeaning(note string) func(*match) error {
	return func(m *match) error {
		m.cmd.Kind, m.cmd.Note = NoMeaning, note
		return nil
	}
}

func setFam(m *match) {
	switch m.get("fam") {
	case "ip", "ipv4":
		m.cmd.Family, m.cmd.FamilyGiven = acl.IPv4, true
	case "ipv6":
		m.cmd.Family, m.cmd.FamilyGiven = acl.IPv6, true
	}
}

func buildShow(k Kind) func(*match) error {
	return func(m *match) error {
		m.cmd.Kind = k
		m.cmd.Name = m.get("name")
		m.cmd.Num, _ = strconv.Atoi(m.get("num"))
		setFam(m)
		return buildPipe(m)
	}
}

// buildPipe reads the output modifiers; a bad regular expression is an error at it.
func buildPipe(m *match) error {
	m.cmd.Pipe = nil
	for _, c := range m.caps {
		switch c.tok.name {
		case "pipeop":
			m.cmd.Pipe = append(m.cmd.Pipe, Filter{Op: c.val})
		case "re":
			t := m.toks[c.idx]
			if _, err := regexp.Compile(c.val); err != nil {
				msg := err.Error()
				if re, ok := err.(*syntax.Error); ok {
					msg = string(re.Code)
				}
				return &ParseError{Kind: Invalid, Line: m.line, Off: t.Off, End: t.Off + len(c.val), Msg: "bad regular expression: " + msg}
			}
			f := &m.cmd.Pipe[len(m.cmd.Pipe)-1]
			f.RE, f.Off = c.val, t.Off
		}
	}
	return nil
}

func buildDo(m *match) error {
	c, _ := m.nth("cmd", 0)
	off := m.toks[c.idx].Off
	sub, err := parseIn(doRoot, Exec, c.val, Tokenize(c.val))
	if err != nil {
		if pe, ok := err.(*ParseError); ok {
			if _, xerr := Parse(Exec, c.val); xerr == nil {
				// An exec command do does not run (configure, exit).
				pe = &ParseError{Kind: Invalid, Line: c.val, Off: 0, End: len(c.val), Msg: "not available with do"}
				err = pe
			}
			pe.Line, pe.Off, pe.End = m.line, pe.Off+off, pe.End+off
		}
		return err
	}
	m.cmd.Kind, m.cmd.Sub, m.cmd.SubOff = Do, &sub, off
	return nil
}

// buildACL reads a list header: the kind is the one named, else the one of
// the list's number, else extended.
func buildACL(k Kind) func(*match) error {
	return func(m *match) error {
		m.cmd.Kind = k
		setFam(m)
		m.cmd.Name = m.get("name")
		if kind := m.get("kind"); kind != "" {
			m.cmd.Standard = kind == "standard"
		} else if num, std := acl.Numbered(m.cmd.Name); num && m.cmd.Family == acl.IPv4 {
			m.cmd.Standard = std
		}
		if err := acl.ValidListName(m.cmd.Name, m.cmd.Family, m.cmd.Standard); err != nil {
			return m.errAt("name", "%v", err)
		}
		return nil
	}
}

// buildNumbered reads `access-list N permit|deny ...`: a line of standard or
// extended list N.
func buildNumbered(standard bool) func(*match) error {
	return func(m *match) error {
		build := buildRule
		if standard {
			build = buildStdRule
		}
		if err := build(AddRule)(m); err != nil {
			return err
		}
		m.cmd.Kind, m.cmd.Name, m.cmd.Standard = NumberedRule, m.get("name"), standard
		return nil
	}
}

// stdSyntax is the body of a standard list's line: the source only.
func stdSyntax() (string, []string) {
	return "(permit|deny)$action (any$sany | host A.B.C.D$shost | A.B.C.D$saddr [A.B.C.D$swild] | A.B.C.D/LEN$spfx) {(log|log-input$log) | count}",
		[]string{"Specify packets to forward", "Specify packets to reject", AnyAddrStr, HostStr, HostAddrStr,
			"Source address (a host without a wildcard)", "Wildcard mask (bits set: any value)", PrefixStr, "Log matches", "Log matches (as log)", "Count matches (always on)"}
}

// buildStdRule reads a standard list's line.
func buildStdRule(k Kind) func(*match) error {
	return func(m *match) error {
		m.cmd.Kind, m.cmd.Family = k, acl.IPv4
		r := acl.Rule{Seq: seqOf(m), Standard: true}
		if m.get("action") == "deny" {
			r.Action = acl.Deny
		}
		var err error
		if r.Src, err = addrOf(m, acl.IPv4, "s"); err != nil {
			return err
		}
		for _, flag := range []string{"count", "log"} {
			if c, twice := m.nth(flag, 1); twice {
				return m.errAtIdx(c.idx, "%s given twice", flag)
			}
		}
		r.Log = m.has("log")
		m.cmd.Rule = r
		return nil
	}
}

func buildLogInterval(m *match) error {
	m.cmd.Kind = LogInterval
	m.cmd.Num, _ = strconv.Atoi(m.get("ms"))
	return nil
}

func buildDialect(m *match) error {
	m.cmd.Kind = CLIDialect
	m.cmd.Name = m.get("form")
	return nil
}

// dialectHint says why word is not a dialect, and which to type when it names
// a vendor or platform whose form aclsh writes.
func dialectHint(word string) string {
	msg := word + " is not a dialect aclsh writes (slx, ios or eos)"
	for _, v := range []struct{ names, form, d string }{
		{"cisco ios-xe iosxe nx-os nxos", "Cisco IOS", "ios"}, {"arista", "Arista EOS", "eos"}, {"brocade extreme slx-os slxos", "SLX-OS", "slx"},
	} {
		if slices.Contains(strings.Fields(v.names), strings.ToLower(word)) {
			return msg + "; for the " + v.form + " form type cli dialect " + v.d
		}
	}
	return msg
}

func buildBind(k Kind) func(*match) error { return buildBindAt(k, acl.Mgmt) }

// buildBindAt builds an access-group or access-class line that binds at p; a
// line that names no family binds an IPv4 list.
func buildBindAt(k Kind, p acl.Point) func(*match) error {
	return func(m *match) error {
		m.cmd.Kind, m.cmd.Point = k, p
		setFam(m)
		m.cmd.Name = m.get("name")
		if v := m.get("vrfname"); v != "" && k == BindACL {
			m.cmd.Note = "vrf " + v + ": aclsh has no VRFs; the list applies on every interface of this host (a switch applies it in VRF " + v + " only)"
		}
		return nil
	}
}

func seqOf(m *match) acl.Seq {
	v := m.get("seqn")
	if v == "" {
		return 0
	}
	n, _ := strconv.Atoi(v)
	return acl.Seq(n)
}

func buildRemark(k Kind) func(*match) error {
	return func(m *match) error {
		m.cmd.Kind = k
		m.cmd.Family = m.mode.Family()
		m.cmd.Rule = acl.Rule{Seq: seqOf(m), Remark: m.get("text")}
		if len(m.cmd.Rule.Remark) > 255 {
			return m.errAt("text", "remark longer than 255 characters")
		}
		return nil
	}
}

func buildRule(k Kind) func(*match) error {
	return func(m *match) error {
		f := m.mode.Family()
		m.cmd.Kind, m.cmd.Family = k, f
		r := acl.Rule{Seq: seqOf(m)}
		if m.get("action") == "deny" {
			r.Action = acl.Deny
		}
		proto := m.get("proto")
		if p, ok := acl.ProtoKeyword(proto, f); ok {
			r.Proto = p
		} else {
			n, _ := strconv.Atoi(proto)
			r.Proto = acl.ProtoNum(uint8(n))
		}
		var err error
		if r.Src, err = addrOf(m, f, "s"); err != nil {
			return err
		}
		if r.Dst, err = addrOf(m, f, "d"); err != nil {
			return err
		}
		if r.SrcPort, err = portsOf(m, "sp", r.Proto.Num); err != nil {
			return err
		}
		if r.DstPort, err = portsOf(m, "dp", r.Proto.Num); err != nil {
			return err
		}
		if r.ICMP, err = icmpOf(m, f); err != nil {
			return err
		}
		for _, flag := range []string{"established", "connlimit", "mask", "sources", "fail-closed", "count", "log", "ttl", "fragments"} {
			if c, twice := m.nth(flag, 1); twice {
				return m.errAtIdx(c.idx, "%s given twice", flag)
			}
		}
		r.Established = m.has("established")
		if m.get("established") == "tracked" {
			m.note("tracked (EOS: packets of connections already tracked) is stored as established: replies to connections this host opened; " +
				"packets of connections others opened to this host match the line that admitted them")
		}
		r.ConnFailClosed = m.has("fail-closed")
		if m.has("ttlop") {
			op, _ := acl.ParsePortOp(m.get("ttlop"))
			v, _ := strconv.Atoi(m.get("ttlv"))
			r.TTL = acl.TTLMatch{Op: op, Val: uint8(v)}
			if err := r.TTL.Validate(); err != nil {
				return m.errAt("ttlv", "%v", err)
			}
		}
		if r.Fragments = m.has("fragments"); r.Fragments {
			m.note(fragmentsNote)
		}
		r.Log = m.has("log")
		if v := m.get("limit"); v != "" {
			n, _ := strconv.Atoi(v)
			r.ConnLimit = acl.ConnLimit(n)
		}
		if m.has("masklen") {
			v := strings.TrimPrefix(m.get("masklen"), "/")
			n, err := strconv.Atoi(v)
			if err == nil {
				r.ConnMask, err = acl.MaskLen(f, n)
			}
			if err != nil {
				return m.errAt("masklen", "mask /%s is out of range for %s (/0-/%d)", v, f.Name(), f.Bits())
			}
		}
		if v := m.get("nsources"); v != "" {
			n, _ := strconv.Atoi(v)
			if n != acl.DefaultConnSources {
				r.ConnSources = uint32(n)
			}
		}
		m.cmd.Rule = r
		return nil
	}
}

func (m *match) errAtIdx(idx int, format string, args ...any) error {
	t := m.toks[idx]
	pe := m.errAt("", format, args...).(*ParseError)
	pe.Off, pe.End = t.Off, t.Off+len(t.Text)
	return pe
}

func addrOf(m *match, f acl.Family, p string) (acl.Address, error) {
	parseAddr := func(name string) (netip.Addr, error) {
		s := m.get(name)
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return a, m.errAt(name, "%s is not a valid %s address", s, f.Name())
		}
		if (f == acl.IPv4) != a.Is4() {
			return a, m.errAt(name, "%s is not an %s address; this is an %s access list", s, f.Name(), f.Name())
		}
		return a, nil
	}
	switch {
	case m.has(p + "host"):
		a, err := parseAddr(p + "host")
		return acl.HostAddr(a), err
	case m.has(p + "pfx"):
		s := m.get(p + "pfx")
		as, _, _ := strings.Cut(s, "/")
		if as != "" {
			if _, e2 := netip.ParseAddr(as); e2 != nil || (f == acl.IPv4) != strings.Contains(as, ".") {
				return acl.Address{}, m.errAt(p+"pfx", "%s is not a valid %s prefix", s, f.Name())
			}
		}
		a, err := acl.ParsePrefix(s)
		if err != nil {
			return a, m.errAt(p+"pfx", "%v", err)
		}
		if af, ok := a.Family(); ok && af != f {
			return a, m.errAt(p+"pfx", "%s is not an %s prefix; this is an %s access list", s, f.Name(), f.Name())
		}
		return a, nil
	case m.has(p + "addr"):
		host, err := parseAddr(p + "addr")
		if err != nil {
			return acl.Address{}, err
		}
		if !m.has(p + "wild") {
			return acl.HostAddr(host), nil // a standard list's bare address
		}
		a, masked, err := acl.ParseWildcardMasked(m.get(p+"addr"), m.get(p+"wild"))
		if err != nil {
			return a, m.errAt(p+"wild", "%v", err)
		}
		if masked {
			m.note("%s %s has bits set under the wildcard; they match any value, so it is stored as %s (as IOS does)", m.get(p+"addr"), m.get(p+"wild"), a)
		}
		return a, nil
	}
	return acl.AnyAddr, nil
}

// portsOf reads the port match captured under prefix p of a rule of protocol
// proto: names are that protocol's; eq and neq take up to acl.MaxPorts ports,
// each different (the match is canonical: ascending).
func portsOf(m *match, p string, proto uint8) (acl.PortMatch, error) {
	if !m.has(p + "op") {
		return acl.PortMatch{}, nil
	}
	op, _ := acl.ParsePortOp(m.get(p + "op"))
	var ports []uint16
	for i := 0; ; i++ {
		c, ok := m.nth(p+"lo", i)
		if !ok {
			break
		}
		if i == acl.MaxPorts {
			return acl.PortMatch{}, m.errAtIdx(c.idx, "%s takes at most %d ports", op, acl.MaxPorts)
		}
		n, err := acl.ParsePort(c.val, proto)
		if err != nil {
			return acl.PortMatch{}, m.errAtIdx(c.idx, "%v", err)
		}
		if slices.Contains(ports, n) {
			return acl.PortMatch{}, m.errAtIdx(c.idx, "port %d is listed twice", n)
		}
		ports = append(ports, n)
	}
	pm, err := acl.PortList(op, ports...)
	if err != nil {
		return pm, m.errAt(p+"lo", "%v", err)
	}
	if op == acl.PortRange {
		if pm.Hi, err = acl.ParsePort(m.get(p+"hi"), proto); err != nil {
			return pm, m.errAt(p+"hi", "%v", err)
		}
	}
	if err := pm.Validate(); err != nil {
		return pm, m.errAt(p+"lo", "%v", err)
	}
	return pm, nil
}

// icmpOf reads the ICMP type of an icmp rule of family f: a name or numbers.
func icmpOf(m *match, f acl.Family) (acl.ICMPMatch, error) {
	if m.has("iname") {
		im, _ := acl.ParseICMPName(f, m.get("iname"))
		return im, nil
	}
	if !m.has("itype") {
		return acl.ICMPMatch{}, nil
	}
	t, _ := strconv.Atoi(m.get("itype"))
	im := acl.ICMPMatch{Type: uint8(t), Set: true}
	if m.has("icode") {
		c, _ := strconv.Atoi(m.get("icode"))
		im.Code, im.CodeSet = uint8(c), true
	}
	return im, nil
}
