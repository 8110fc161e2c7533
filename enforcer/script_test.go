package enforcer_test

import (
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	statedir "github.com/aclsh/aclsh/config"
	. "github.com/aclsh/aclsh/enforcer"
	"github.com/aclsh/aclsh/internal/golden"
	"github.com/aclsh/aclsh/shell"
)

// TestKernelScripts runs testdata/kernel-scripts/*.txtar, one case a file, in
// the testscript language (github.com/rogpeppe/go-internal/testscript), each on
// a lab of its own (newLab): the device namespace, whose kernel the shell
// enforces in, and the client's. Besides testscript's own commands (stdout,
// cmp, ...) a script has:
//
//	aclsh LINE...      type each LINE in the lab's interactive shell (one shell
//	                   per script); stdout is the screen: prompt and line (not
//	                   with -q), then what it printed, errors as the shell
//	                   prints them. With `!`, a line is expected to fail.
//	serve tcp|udp :P   an echo server on the device's port P
//	open N SRC         N connections from SRC to the device's port 22, held open
//	alive              every connection open opened still echoes
//	closeall           close every connection open opened
//	addrs ADDR/LEN...  more addresses on the client's interface
//	follow             start the follow daemon on the shell's state directory
//	log                the follow daemon's log so far
//	waitlog D REGEX    wait up to duration D for the log to match REGEX
//	waitshow D REGEX   wait up to D for the shell's show access-lists to match
//	refused SRC [ADDR] a connection from SRC to the device's port 22 (or to
//	                   ADDR: [fd77::129]:22) is refused
//	admitted SRC [ADDR] a connection from SRC to the device's port 22 (or
//	                   ADDR) is admitted
//	others FILE        the other tables' chains that can drop (Stats().Others)
//	                   for the config in FILE, one a line
//	dropjson           the other_tables_can_drop of the last stdout (show
//	                   access-lists | json: per list; test access-list | json),
//	                   one a line, as JSON
//	script [-fresh] FILE  run FILE as a script (aclsh -f: committed once at
//	                   its end) in a shell of its own on the script's state
//	                   directory; stdout is its output; with `!`, it fails.
//	                   -fresh: with an enforcer of its own (another process's:
//	                   it knows nothing of what the lab's applied)
//	sleep DURATION     wait (commit timers)
//	nft ARG...         nft in the device namespace; stdout is its output
//	mutate chain|off   the next plans have a chain renamed (the kernel refuses
//	                   them), or are left alone again
//
// go test -update rewrites the files' expected output (cmp stdout NAME).
func TestKernelScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "../testdata/kernel-scripts",
		UpdateScripts: *golden.Update,
		Setup: func(env *testscript.Env) error {
			env.Values[labKey{}] = newLab(env.T().(testing.TB))
			env.Values[valuesKey{}] = env.Values
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"aclsh":    scriptShell,
			"serve":    scriptServe,
			"open":     scriptOpen,
			"alive":    scriptAlive,
			"closeall": scriptCloseAll,
			"addrs": func(ts *testscript.TestScript, neg bool, args []string) {
				labOf(ts).addClientAddrs(args...)
			},
			"follow": scriptFollow,
			"log": func(ts *testscript.TestScript, neg bool, args []string) {
				ts.Stdout().Write([]byte(logOf(ts).String()))
			},
			"waitlog": func(ts *testscript.TestScript, neg bool, args []string) {
				scriptWait(ts, args, func() string { return logOf(ts).String() })
			},
			"waitshow": func(ts *testscript.TestScript, neg bool, args []string) {
				scriptWait(ts, args, func() string { return typistOf(ts).run(labOf(ts).t, "show access-lists") })
			},
			"refused":  func(ts *testscript.TestScript, neg bool, args []string) { scriptDial(ts, neg, args, false) },
			"admitted": func(ts *testscript.TestScript, neg bool, args []string) { scriptDial(ts, neg, args, true) },
			"nft": func(ts *testscript.TestScript, neg bool, args []string) {
				ts.Stdout().Write([]byte(labOf(ts).nft(args...)))
			},
			"script":   scriptRun,
			"others":   scriptOthers,
			"dropjson": scriptDropJSON,
			"sleep": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 {
					ts.Fatalf("usage: sleep DURATION")
				}
				d, err := time.ParseDuration(args[0])
				ts.Check(err)
				time.Sleep(d)
			},
			"mutate": scriptMutate,
		},
	})
}

type labKey struct{}

type typistKey struct{}

func labOf(ts *testscript.TestScript) *lab { return ts.Value(labKey{}).(*lab) }

type storeKey struct{}

// storeOf is the store of the script's state directory that the interactive
// shell and the follow daemon share.
func storeOf(ts *testscript.TestScript) *statedir.Store {
	st, _ := ts.Value(storeKey{}).(*statedir.Store)
	if st == nil {
		st = &statedir.Store{Dir: ts.MkAbs("state")}
		setValue(ts, storeKey{}, st)
	}
	return st
}

// typistOf is the script's interactive shell, started the first time.
func typistOf(ts *testscript.TestScript) *typist {
	ty, _ := ts.Value(typistKey{}).(*typist)
	if ty == nil {
		ty = labOf(ts).shell(storeOf(ts))
		setValue(ts, typistKey{}, ty)
	}
	return ty
}

type logKey struct{}

func logOf(ts *testscript.TestScript) *syncLog {
	lg, _ := ts.Value(logKey{}).(*syncLog)
	if lg == nil {
		ts.Fatalf("no follow daemon: run follow first")
	}
	return lg
}

func scriptFollow(ts *testscript.TestScript, neg bool, args []string) {
	setValue(ts, logKey{}, labOf(ts).followStore(storeOf(ts)))
}

// scriptWait polls text every 50 ms until it matches args[1] or args[0] has
// passed.
func scriptWait(ts *testscript.TestScript, args []string, text func() string) {
	if len(args) != 2 {
		ts.Fatalf("usage: waitlog|waitshow DURATION REGEX")
	}
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	re, err := regexp.Compile("(?m)" + args[1])
	ts.Check(err)
	var last string
	for end := time.Now().Add(d); ; time.Sleep(50 * time.Millisecond) {
		if last = text(); re.MatchString(last) {
			return
		}
		if time.Now().After(end) {
			ts.Fatalf("no match for %q within %v in:\n%s", args[1], d, last)
		}
	}
}

func scriptShell(ts *testscript.TestScript, neg bool, args []string) {
	ty := typistOf(ts)
	ty.out.Reset()
	quiet := len(args) > 0 && args[0] == "-q"
	if quiet {
		args = args[1:]
	}
	failed := false
	for _, line := range args {
		prompt := ty.sh.Prompt()
		if !quiet {
			ty.out.WriteString(prompt + line + "\n")
		}
		if err := ty.sh.Run(line); err != nil {
			shell.PrintError(ty.out, len(prompt), err)
			failed = true
		}
	}
	ts.Stdout().Write([]byte(ty.out.String()))
	if failed != neg {
		if neg {
			ts.Fatalf("aclsh: no line failed")
		}
		ts.Fatalf("aclsh: a line failed:\n%s", ty.out.String())
	}
}

func scriptRun(ts *testscript.TestScript, neg bool, args []string) {
	l := labOf(ts)
	e := l.e
	if len(args) == 2 && args[0] == "-fresh" {
		e = &Enforcer{IfName: "mgmt0", NetNS: l.e.NetNS}
		defer e.Close()
		args = args[1:]
	}
	if len(args) != 1 {
		ts.Fatalf("usage: script [-fresh] FILE")
	}
	var out strings.Builder
	// The store carries out commit timers with the enforcer, as the daemon's does.
	sh, err := shell.New(shell.Options{Host: "device", Store: &statedir.Store{Dir: ts.MkAbs("state"), Kernel: e}, Out: &out, Err: &out, Enforcer: e, IfName: "mgmt0"})
	ts.Check(err)
	rc := sh.RunScript(strings.NewReader(ts.ReadFile(args[0])), "script")
	ts.Stdout().Write([]byte(out.String()))
	if (rc != 0) != neg {
		ts.Fatalf("script %s: exit status %d:\n%s", args[0], rc, out.String())
	}
}

// setValue stores a value for the rest of the script. testscript gives custom
// commands Value but no setter: Values is the map Setup filled, shared by
// reference.
func setValue(ts *testscript.TestScript, k, v any) {
	ts.Value(valuesKey{}).(map[any]any)[k] = v
}

type valuesKey struct{}

func scriptServe(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: serve tcp|udp :PORT")
	}
	switch args[0] {
	case "tcp":
		labOf(ts).serveTCP(args[1])
	case "udp":
		labOf(ts).serveUDP(args[1])
	default:
		ts.Fatalf("serve: %s: want tcp or udp", args[0])
	}
}

type connsKey struct{}

func scriptOpen(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: open N SRC")
	}
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	cs, _ := ts.Value(connsKey{}).([]net.Conn)
	setValue(ts, connsKey{}, append(cs, labOf(ts).openN(args[1], n)...))
}

func scriptCloseAll(ts *testscript.TestScript, neg bool, args []string) {
	cs, _ := ts.Value(connsKey{}).([]net.Conn)
	for _, c := range cs {
		c.Close()
	}
	setValue(ts, connsKey{}, []net.Conn(nil))
}

func scriptAlive(ts *testscript.TestScript, neg bool, args []string) {
	cs, _ := ts.Value(connsKey{}).([]net.Conn)
	for i, c := range cs {
		if err := echoOnce(c); err != nil {
			ts.Fatalf("connection %d (from %s) no longer works: %v", i+1, c.LocalAddr(), err)
		}
	}
}

func scriptDial(ts *testscript.TestScript, neg bool, args []string, want bool) {
	if len(args) != 1 && len(args) != 2 {
		ts.Fatalf("usage: refused|admitted SRC [ADDR]")
	}
	l := labOf(ts)
	addr := dev
	if len(args) == 2 {
		addr = args[1]
	}
	if !want {
		l.refused(args[0], addr)
		return
	}
	c, err := l.dial(l.cli, args[0], addr)
	if err != nil {
		ts.Fatalf("%s to %s: %v", args[0], addr, err)
	}
	c.Close()
}

func scriptOthers(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: others FILE")
	}
	l := labOf(ts)
	st, err := l.e.Stats(config(l.t, ts.ReadFile(args[0])))
	ts.Check(err)
	for _, d := range st.Others {
		fmt.Fprintf(ts.Stdout(), "%+v\n", d)
	}
	if len(st.Others) == 0 {
		fmt.Fprintln(ts.Stdout(), "none") // (a command that writes nothing leaves the last one's stdout)
	}
}

// dropChainJSON is what a test reads of an entry of other_tables_can_drop.
type dropChainJSON struct {
	Family, Table, Chain, Hook string
	Priority                   int32
	PolicyDrop                 bool `json:"policy_drop"`
	Rule                       int
	Via                        string
}

func scriptDropJSON(ts *testscript.TestScript, neg bool, args []string) {
	var v struct {
		AccessLists []struct {
			Name   string
			Others []dropChainJSON `json:"other_tables_can_drop"`
		} `json:"access_lists"`
		Others []dropChainJSON `json:"other_tables_can_drop"`
	}
	ts.Check(json.Unmarshal([]byte(ts.ReadFile("stdout")), &v))
	line := func(name string, cs []dropChainJSON) {
		b, err := json.Marshal(cs)
		ts.Check(err)
		fmt.Fprintf(ts.Stdout(), "%s: %s\n", name, b)
	}
	if v.AccessLists == nil {
		line("test", v.Others)
	}
	for _, a := range v.AccessLists {
		line(a.Name, a.Others)
	}
}

func scriptMutate(ts *testscript.TestScript, neg bool, args []string) {
	l := labOf(ts)
	switch strings.Join(args, " ") {
	case "chain":
		SetMutate(l.e, func(p *Plan) { p.Chains[1].Name = p.Chains[1].Name + "-broken" })
	case "off":
		SetMutate(l.e, nil)
	default:
		ts.Fatalf("usage: mutate chain|off")
	}
}
