package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
)

// flagDef is a command-line flag: one table drives the flags run defines, the
// usage text, the manual page (aclsh --man) and the bash completion script.
type flagDef struct {
	Name     string   // without dashes; one letter: -x, else --name
	Arg      string   // the value's name; "" for a switch
	Default  string   // the default value, if any
	Env      string   // an environment variable that gives the default
	Help     []string // lines of the usage text
	Complete string   // what completes the value: "file", "dir", "iface", "" nothing
	Sub      bool     // aclsh follow and aclsh boot take it too
	Builtin  bool     // defined by package flag itself (-h, --help)
}

var flagDefs = []flagDef{
	{Name: "f", Arg: "FILE", Help: []string{"run FILE as a script"}, Complete: "file"},
	{Name: "c", Arg: "CMD", Help: []string{"run CMD as a script line (repeatable, in order)"}},
	{Name: "check", Help: []string{"validate the script (file, -c or stdin) and apply nothing"}},
	{Name: "lint", Help: []string{"with --check: also lint the lists the script creates,",
		"changes or binds; findings are printed as FILE:N: line,", "and any error among them makes the exit status 1"}},
	{Name: "force", Help: []string{"commit a script although the lockout guard warns that it",
		"would refuse the operator's own connection (SSH_CONNECTION)", "or bind a list with no permit line"}},
	{Name: "state-dir", Arg: "DIR", Default: "/var/lib/aclsh", Help: []string{"where the running-config lives (default /var/lib/aclsh)"},
		Complete: "dir", Sub: true},
	{Name: "hostname", Arg: "NAME", Help: []string{"host name shown in prompts (default: the system host name)"}},
	{Name: "mgmt-if", Arg: "IFNAME", Env: "ACLSH_MGMT_IF", Help: []string{`the Linux interface that "interface management 0" names`,
		"(also ACLSH_MGMT_IF; default: the interface of the IPv4", "default route, else eth0)"}, Complete: "iface", Sub: true},
	{Name: "mgmt-names", Arg: "NAMES", Env: "ACLSH_MGMT_NAMES", Help: []string{`more names of "interface management 0", comma-separated`,
		"(also ACLSH_MGMT_NAMES), as the configs pasted here call the", "management port: GigabitEthernet0/0,GigabitEthernet0"}, Sub: true},
	{Name: "ssh-ports", Arg: "PORTS", Env: "ACLSH_SSH_PORTS", Help: []string{"aclsh follow: the ports sshd listens on (its Port lines),",
		"comma-separated (also ACLSH_SSH_PORTS; default 22): a list bound", "at line vty or management ssh decides new connections to them"}, Sub: true},
	{Name: "admin-group", Arg: "GROUP", Default: "aclsh", Help: []string{"aclsh follow: members of GROUP configure (default aclsh;", "root always does)"}, Sub: true},
	{Name: "view-group", Arg: "GROUP", Default: "aclsh-view", Help: []string{"aclsh follow: members of GROUP show and test", "(default aclsh-view)"}, Sub: true},
	{Name: "version", Help: []string{"print the version (aclsh VERSION) and exit"}},
	{Name: "man", Help: []string{"print the manual page (roff, section 8) and exit"}},
	{Name: "bash-completion", Help: []string{"print the bash completion script and exit"}},
	{Name: "help", Help: []string{"show this help"}, Builtin: true},
}

// spelling returns how the usage text writes the flag: -f, --check, -h, --help.
func (d flagDef) spelling() string {
	s := "--" + d.Name
	if len(d.Name) == 1 {
		s = "-" + d.Name
	}
	if d.Name == "help" {
		s = "-h, --help"
	}
	return s
}

// defineFlags defines flagDefs on fs, each bound to vars[name] (a *string, *bool
// or flag.Value). A flag without a variable, or a variable without a flag, is a
// bug: it panics, at the first start (TestUsage runs it).
func defineFlags(fs *flag.FlagSet, vars map[string]any) {
	for _, d := range flagDefs {
		if d.Builtin {
			continue
		}
		def := d.Default
		if d.Env != "" {
			def = os.Getenv(d.Env)
		}
		switch v := vars[d.Name].(type) {
		case *string:
			fs.StringVar(v, d.Name, def, d.Help[0])
		case *bool:
			fs.BoolVar(v, d.Name, false, d.Help[0])
		case flag.Value:
			fs.Var(v, d.Name, d.Help[0])
		default:
			panic(fmt.Sprintf("flag %s: no variable", d.Name))
		}
		delete(vars, d.Name)
	}
	for name := range vars {
		panic(fmt.Sprintf("variable for flag %s, which flagDefs lacks", name))
	}
}

// flagUsage is the flag list of the usage text.
func flagUsage() string {
	var b strings.Builder
	for _, d := range flagDefs {
		first := d.spelling()
		if d.Arg != "" {
			first += " " + d.Arg
		}
		for i, h := range d.Help {
			if i > 0 {
				first = ""
			}
			fmt.Fprintf(&b, "  %-18s  %s\n", first, h)
		}
	}
	return b.String()
}

// version is the version --version prints; the build can set it
// (go build -ldflags "-X main.version=1.2"). Empty: from the build's own
// information (the module version, or the commit it was built from).
var version string

func versionString() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", ""
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev == "" {
		return "devel"
	}
	return "devel-" + rev[:min(12, len(rev))] + dirty
}
