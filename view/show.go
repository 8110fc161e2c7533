package view

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/aclsh/aclsh/enforcer"
)

// The views of exec show commands: the clock, the version, the history, the
// management interface.

// Clock is show clock: the time, as IOS shows it.
type Clock struct {
	Time     string `json:"time"` // RFC 3339 with milliseconds, in the local zone
	Zone     string `json:"time_zone"`
	UnixMs   int64  `json:"unix_ms"`
	ShowText string `json:"text"` // as the text shows it
}

func (v *Clock) WriteText(w io.Writer) { fmt.Fprintln(w, v.ShowText) }

// Version is show version: what runs where, for operators and for
// automation's device facts (arista.eos reads version and modelName from
// `show version | json`; cisco.ios reads `Version X` and `uptime is` from the
// text).
type Version struct {
	Version       string  `json:"version"`   // as aclsh --version prints it
	ModelName     string  `json:"modelName"` // "aclsh": EOS's field name, which arista.eos requires
	GoVersion     string  `json:"go_version"`
	Kernel        string  `json:"kernel"` // uname: Linux
	KernelRelease string  `json:"kernel_release"`
	Architecture  string  `json:"architecture"`
	Host          string  `json:"host"`
	HostUptime    float64 `json:"host_uptime_seconds"`
	// Process is the aclsh process that runs this shell: "daemon" (the owner of
	// the state directory) or "shell" (aclsh alone, as for --check).
	Process       string  `json:"process"`
	PID           int     `json:"pid"`
	ProcessUptime float64 `json:"process_uptime_seconds"`
	StateDir      string  `json:"state_dir"`
}

func (v *Version) WriteText(w io.Writer) {
	fmt.Fprintf(w, "aclsh Version %s (%s)\n", v.Version, v.GoVersion)
	fmt.Fprintf(w, "Kernel: %s %s (%s)\n", v.Kernel, v.KernelRelease, v.Architecture)
	fmt.Fprintf(w, "%s uptime is %s\n", v.Host, UptimeText(v.HostUptime))
	fmt.Fprintf(w, "aclsh %s (pid %d) uptime is %s\n", v.Process, v.PID, UptimeText(v.ProcessUptime))
	fmt.Fprintf(w, "State directory: %s\n", v.StateDir)
}

// Hostname is show hostname, in EOS's fields (arista.eos's device facts read
// `show hostname | json`).
type Hostname struct {
	Hostname string `json:"hostname"`
	FQDN     string `json:"fqdn"`
}

func (v *Hostname) WriteText(w io.Writer) {
	fmt.Fprintf(w, "Hostname: %s\nFQDN:     %s\n", v.Hostname, v.FQDN)
}

// UptimeText reads seconds as IOS does: 1 week, 2 days, 3 hours, 4 minutes
// (the larger units from the first that is not zero).
func UptimeText(secs float64) string {
	n := int64(secs) / 60
	units := []struct {
		name string
		min  int64
	}{{"week", 7 * 24 * 60}, {"day", 24 * 60}, {"hour", 60}, {"minute", 1}}
	var parts []string
	for _, u := range units {
		k := n / u.min
		n -= k * u.min
		if k == 0 && (len(parts) == 0 && u.min > 1) {
			continue
		}
		p := strconv.FormatInt(k, 10) + " " + u.name
		if k != 1 {
			p += "s"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

// History is show history: this shell's lines, numbered, oldest first.
type History struct {
	History []HistoryEntry `json:"history"`
}

// HistoryEntry is one line of show history.
type HistoryEntry struct {
	Index   int    `json:"index"`
	Command string `json:"command"`
}

func (v *History) WriteText(w io.Writer) {
	width := len(fmt.Sprint(len(v.History)))
	for _, h := range v.History {
		fmt.Fprintf(w, "%*d  %s\n", width+2, h.Index, h.Command)
	}
}

// OrNone is s, or "none" when it is empty.
func OrNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// Interface is show interface management 0.
type Interface struct {
	Interface       string   `json:"interface"`       // "management 0"
	LinuxInterface  string   `json:"linux_interface"` // "" when not known
	Found           bool     `json:"found"`           // the Linux interface exists in this network namespace
	State           string   `json:"state,omitempty"` // up or down
	HardwareAddress string   `json:"hardware_address,omitempty"`
	MTU             int      `json:"mtu,omitempty"`
	Addresses       []string `json:"addresses"`
	IPv4AccessGroup string   `json:"ipv4_access_group_in"` // "" when none
	IPv6AccessGroup string   `json:"ipv6_access_group_in"`
	Kernel          string   `json:"kernel,omitempty"` // in_sync, missing, differs or unknown; "" without an enforcer
	KernelText      string   `json:"kernel_text,omitempty"`
}

// InterfaceBrief is show ip interface brief: each interface in a line, its
// addresses under it.
type InterfaceBrief struct {
	Interfaces []Interface `json:"interfaces"`
}

func (v *InterfaceBrief) WriteText(w io.Writer) {
	const format = "%-14s %-16s %-20s %-7s %-14s %s\n"
	fmt.Fprintf(w, format, "Interface", "Linux interface", "IP-Address", "Status", "IPv4 list in", "IPv6 list in")
	for _, i := range v.Interfaces {
		state := i.State
		if !i.Found {
			state = "absent"
		}
		first := "unassigned"
		if len(i.Addresses) > 0 {
			first = i.Addresses[0]
		}
		fmt.Fprintf(w, format, i.Interface, OrNone(i.LinuxInterface), first, state, OrNone(i.IPv4AccessGroup), OrNone(i.IPv6AccessGroup))
		for _, a := range i.Addresses[min(1, len(i.Addresses)):] {
			fmt.Fprintf(w, format, "", "", a, "", "", "")
		}
	}
}

func (v *Interface) WriteText(w io.Writer) {
	fmt.Fprintf(w, "Interface %s is Linux interface %s\n", v.Interface, OrNone(v.LinuxInterface))
	if !v.Found {
		fmt.Fprintf(w, " not found in this network namespace\n")
	} else {
		fmt.Fprintf(w, " state %s, hardware address %s, MTU %d\n", v.State, OrNone(v.HardwareAddress), v.MTU)
		for _, a := range v.Addresses {
			fmt.Fprintf(w, " address %s\n", a)
		}
	}
	fmt.Fprintf(w, " IPv4 access group in: %s\n", OrNone(v.IPv4AccessGroup))
	fmt.Fprintf(w, " IPv6 access group in: %s\n", OrNone(v.IPv6AccessGroup))
	if v.Kernel != "" {
		fmt.Fprintf(w, " kernel: %s\n", v.KernelText)
	}
}

// StateName is a kernel state as JSON names it.
func StateName(st enforcer.State) string {
	switch st {
	case enforcer.Missing:
		return "missing"
	case enforcer.Differs:
		return "differs"
	case enforcer.Unknown:
		return "unknown"
	}
	return "in_sync"
}

// StateText says what a kernel state means, as the text shows it.
func StateText(st enforcer.State) string {
	switch st {
	case enforcer.Missing:
		return "table inet " + enforcer.Table + " is missing; copy running-config kernel restores it"
	case enforcer.Differs:
		return "table inet " + enforcer.Table + " differs from the running-config; copy running-config kernel restores it"
	case enforcer.Unknown:
		return "not readable (needs root)"
	}
	return "in sync with the running-config"
}
