package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/internal/needs"
)

// The fleet tier: N device namespaces, each a host with its own sshd (aclsh as
// ForceCommand) and its own state directory, and one controller namespace
// where ansible-playbook runs the playbooks of contrib/ansible with a veth to
// each device:
//
//	device i: mgmt0 10.A.B.129/24 (management 0), sshd on 10.A.B.129:22
//	controller: eth<i> 10.A.B.107/24 (Ansible), 10.A.B.108/24 (the test's logins)
//
// where A.B is 64+i/256, i%256: every address is in 10.64.0.0/10, the source
// group_vars/aclsh.yml permits. ACLSH_FLEET_N sets N (20), ACLSH_FLEET_FORKS
// Ansible's forks (10): make fleet N=200 runs this test at that size.

// fleetAddr returns the address of device i's link with last byte last.
func fleetAddr(i, last int) string {
	return fmt.Sprintf("10.%d.%d.%d", 64+i/256, i%256, last)
}

type fleet struct {
	t    *testing.T
	cli  string    // the controller's namespace
	devs []*sshLab // device i is devs[i-1]; all share cli
	dir  string
}

// newFleet creates the controller namespace and n devices, each serving sshd.
func newFleet(t *testing.T, n int) *fleet {
	needs.Root(t)
	needs.Program(t, sshdPath, "openssh-server")
	needs.Program(t, "ssh", "openssh-client")
	needs.Program(t, "ssh-keygen", "openssh-client")
	needs.Program(t, "nft", "nftables")
	needs.Program(t, "conntrack", "conntrack")
	require.LessOrEqual(t, n, 64*256-1, "the addresses are in 10.64.0.0/10")
	// acls<pid>-: a killed run's leftovers are swept as the SSH labs' are.
	base := fmt.Sprintf("acls%d-f%d", os.Getpid(), sshLabSeq.Add(1))
	f := &fleet{t: t, cli: base + "c", dir: t.TempDir()}
	newNS := func(ns string) {
		sshRun(t, "ip", "netns", "add", ns)
		t.Cleanup(func() {
			killNS(ns)
			exec.Command("ip", "netns", "del", ns).Run()
		})
	}
	newNS(f.cli)
	sshRun(t, "ip", "-n", f.cli, "link", "set", "lo", "up")
	for i := 1; i <= n; i++ {
		l := &sshLab{t: t, dev: fmt.Sprintf("%sd%d", base, i), cli: f.cli, addr: fleetAddr(i, 129), dir: t.TempDir(), user: "root"}
		newNS(l.dev)
		eth := fmt.Sprintf("eth%d", i)
		// One batch per namespace: ip -n NS -batch.
		batch := func(ns, cmds string) {
			cmd := exec.Command("ip", "-n", ns, "-batch", "-")
			cmd.Stdin = strings.NewReader(cmds)
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "ip -n %s -batch: %s\n%s", ns, out, cmds)
		}
		batch(l.dev, "link add mgmt0 type veth peer name "+eth+" netns "+f.cli+"\n"+
			"addr add "+l.addr+"/24 dev mgmt0\nlink set lo up\nlink set mgmt0 up\n")
		batch(f.cli, "addr add "+fleetAddr(i, 107)+"/24 dev "+eth+"\naddr add "+fleetAddr(i, 108)+"/24 dev "+eth+"\n"+
			"link set "+eth+" up\n")
		l.serve(sshLabOptions{})
		f.devs = append(f.devs, l)
	}
	return f
}

// inventory writes an inventory of the group aclsh (one line per device, with
// its key and extra host variables from vars) and returns its path.
func (f *fleet) inventory(name string, vars func(i int) string) string {
	var b strings.Builder
	b.WriteString("[aclsh]\n")
	for i, l := range f.devs {
		fmt.Fprintf(&b, "dev%d ansible_host=%s ansible_ssh_private_key_file=%s %s\n", i+1, l.addr, l.key, vars(i+1))
	}
	b.WriteString("[aclsh:vars]\nansible_user=root\n")
	p := filepath.Join(f.dir, name)
	require.NoError(f.t, os.WriteFile(p, []byte(b.String()), 0o600))
	return p
}

// playResult is what the json callback reports: per task and host, and the
// totals per host.
type playResult struct {
	tasks map[string]map[string]map[string]any // task name -> host -> result
	stats map[string]map[string]float64        // host -> ok, changed, failures, unreachable, ...
	wall  time.Duration
	err   error // ansible-playbook's exit
	out   string
}

// play runs a playbook of contrib/ansible (its group_vars come with it) from
// the controller namespace with forks and the extra variables extra.
func (f *fleet) play(playbook, inv string, forks int, extra ...string) playResult {
	t := f.t
	pb, err := filepath.Abs(filepath.Join("..", "..", "contrib", "ansible", playbook))
	require.NoError(t, err)
	args := []string{"netns", "exec", f.cli, "ansible-playbook", "-i", inv, "-f", strconv.Itoa(forks)}
	for _, e := range extra {
		args = append(args, "-e", e)
	}
	cmd := exec.Command("ip", append(args, pb)...)
	log := filepath.Join(f.dir, "ansible.log")
	cmd.Env = append(os.Environ(), "HOME="+f.dir, "PATH=/usr/bin:/bin:/usr/sbin:/sbin", "ANSIBLE_HOST_KEY_CHECKING=False",
		"ANSIBLE_STDOUT_CALLBACK=json", "ANSIBLE_LOG_PATH="+log, "ANSIBLE_LOCAL_TEMP="+filepath.Join(f.dir, "tmp"),
		"ANSIBLE_DEPRECATION_WARNINGS=False", "ANSIBLE_RETRY_FILES_ENABLED=False",
		// A loaded machine: a login and its first prompt may take a while.
		"ANSIBLE_PERSISTENT_CONNECT_TIMEOUT=120", "ANSIBLE_PERSISTENT_COMMAND_TIMEOUT=120")
	start := time.Now()
	out, err := cmd.Output()
	r := playResult{wall: time.Since(start), err: err, out: string(out), tasks: map[string]map[string]map[string]any{}}
	t.Logf("%s: %d hosts, forks %d: %v (%v per host)", playbook, len(f.devs), forks,
		r.wall.Round(time.Millisecond), (r.wall / time.Duration(len(f.devs))).Round(time.Millisecond))
	t.Cleanup(func() {
		if t.Failed() {
			data, _ := os.ReadFile(log)
			t.Logf("ansible log:\n%s", tail(string(data), 6000))
		}
	})
	var j struct {
		Plays []struct {
			Tasks []struct {
				Task  struct{ Name string }
				Hosts map[string]map[string]any
			}
		}
		Stats map[string]map[string]float64
	}
	require.NoError(t, json.Unmarshal(out, &j), "ansible-playbook (%v): %s", err, tail(string(out), 4000))
	for _, p := range j.Plays {
		for _, task := range p.Tasks {
			r.tasks[task.Task.Name] = task.Hosts
		}
	}
	r.stats = j.Stats
	return r
}

// failed returns the hosts with failed or unreachable tasks, sorted.
func (r playResult) failed() []string {
	var hs []string
	for h, s := range r.stats {
		if s["failures"] > 0 || s["unreachable"] > 0 {
			hs = append(hs, h)
		}
	}
	sort.Strings(hs)
	return hs
}

// taskMsg returns the message of host's result of task, for a failure.
func (r playResult) taskMsg(task, host string) string {
	if h, ok := r.tasks[task][host]; ok {
		return fmt.Sprint(h["msg"], h["stdout"])
	}
	return "(no result)"
}

// TestFleet: Ansible (forks 10) pushes the management list of
// contrib/ansible/mgmt-acl.yml to N hosts (ACLSH_FLEET_N, 20) and binds it to
// management 0: every host enforces it (its nft table; on three hosts real
// logins: 3 of 4 from one source admitted under connlimit 3); the second run
// changes nothing on any host. Then contrib/ansible/confirmed-commit.yml
// commits a narrower list with a commit timer and confirms it where the
// controller still reaches sshd: on the hosts whose inventory names a wrong
// controller network, the change locks the controller out, it is not
// confirmed, and each rolls it back by itself when the timer ends.
func TestFleet(t *testing.T) {
	needs.Program(t, "ansible-playbook", "ansible")
	n, forks := 20, 10
	for _, v := range []struct {
		env string
		p   *int
	}{{"ACLSH_FLEET_N", &n}, {"ACLSH_FLEET_FORKS", &forks}} {
		if s := os.Getenv(v.env); s != "" {
			x, err := strconv.Atoi(s)
			require.NoError(t, err, v.env)
			require.Positive(t, x, v.env)
			*v.p = x
		}
	}
	start := time.Now()
	f := newFleet(t, n)
	t.Logf("%d devices up in %v", n, time.Since(start).Round(time.Millisecond))
	// Every fifth host's controller_net is wrong (a network the controller is
	// not in): the confirmed commit would lock the controller out there.
	wrong := func(i int) bool { return i%5 == 0 }
	inv := f.inventory("hosts.ini", func(i int) string {
		if wrong(i) {
			return "controller_net=192.0.2.0/24"
		}
		return "controller_net=" + fleetAddr(i, 0) + "/24"
	})

	// 1. The list, bound and saved, on every host.
	r := f.play("mgmt-acl.yml", inv, forks)
	require.NoError(t, r.err, "failed hosts %v: %s", r.failed(), tail(r.out, 4000))
	for i, l := range f.devs {
		h := fmt.Sprintf("dev%d", i+1)
		require.Equal(t, true, r.tasks["the list"][h]["changed"], "%s: %s", h, r.taskMsg("the list", h))
		require.Equal(t, true, r.tasks["bound to management 0"][h]["changed"], "%s: %s", h, r.taskMsg("bound to management 0", h))
		table := l.devExec("nft", "list", "table", "inet", "aclsh")
		require.Contains(t, table, "ct count over 3", "%s enforces the list", h)
		require.Contains(t, table, "10.64.0.0/10", "%s enforces the list", h)
		require.Contains(t, l.devExec("cat", filepath.Join(l.state, "startup-config")), "ip access-group mgmt in", "%s saved it", h)
	}
	firstRun := r.wall

	// Real logins on the first, a middle and the last host: from one source
	// (not Ansible's), 3 of 4 are admitted.
	for _, i := range []int{1, (n + 1) / 2, n} {
		l := f.devs[i-1]
		src := fleetAddr(i, 108)
		var ss []*sshSession
		for range 3 {
			s, err := l.tryLogin(src, 10*time.Second)
			require.NoError(t, err, "dev%d: a login from %s under connlimit 3", i, src)
			ss = append(ss, s)
		}
		require.NoError(t, l.refused(src), "dev%d: a fourth login from %s", i, src)
		for _, s := range ss {
			s.logout()
		}
	}

	// 2. Again: no host changes.
	r = f.play("mgmt-acl.yml", inv, forks)
	require.NoError(t, r.err, "failed hosts %v: %s", r.failed(), tail(r.out, 4000))
	require.Len(t, r.stats, n)
	for h, s := range r.stats {
		require.Zero(t, s["changed"], "%s: the second run changes nothing: %s / %s", h,
			r.taskMsg("the list", h), r.taskMsg("bound to management 0", h))
	}

	// 3. The confirmed commit. The timer covers the run: the first run's
	// time (two sessions per host) and a margin.
	timer := (firstRun + 30*time.Second).Round(time.Second)
	hms := fmt.Sprintf("%02d:%02d:%02d", int(timer.Hours()), int(timer.Minutes())%60, int(timer.Seconds())%60)
	pushed := time.Now()
	r = f.play("confirmed-commit.yml", inv, forks, "confirm_within="+hms)
	var want []string
	for i := 1; i <= n; i++ {
		if wrong(i) {
			want = append(want, fmt.Sprintf("dev%d", i))
		}
	}
	sort.Strings(want)
	require.Equal(t, want, r.failed(), "the hosts the controller no longer reaches fail the check, and only they: %s", tail(r.out, 4000))
	for i := 1; i <= n; i++ {
		h := fmt.Sprintf("dev%d", i)
		stdout, _ := r.tasks["commit with a timer"][h]["stdout"].([]any)
		require.NotEmpty(t, stdout, "%s: %s", h, r.taskMsg("commit with a timer", h))
		require.Contains(t, fmt.Sprint(stdout[len(stdout)-1]), "unless confirmed", "%s: committed with a timer", h)
		if wrong(i) {
			require.Contains(t, fmt.Sprint(stdout[len(stdout)-1]), "would lock you out", "%s: the lockout guard warns", h)
		} else {
			stdout, _ := r.tasks["confirm"][h]["stdout"].([]any)
			require.Contains(t, fmt.Sprint(stdout), "confirmed", "%s: %s", h, r.taskMsg("confirm", h))
		}
	}
	// Confirmed hosts enforce the new list at once; the others until the timer
	// ends, then the list from before, by themselves. The last host committed
	// before the playbook ended.
	deadline := time.Now().Add(timer + 30*time.Second)
	for i, l := range f.devs {
		h := fmt.Sprintf("dev%d", i+1)
		if !wrong(i + 1) {
			table := l.devExec("nft", "list", "table", "inet", "aclsh")
			require.Contains(t, table, fleetAddr(i+1, 0)+"/24", "%s enforces the confirmed change", h)
			require.NotContains(t, table, "10.64.0.0/10", "%s enforces the confirmed change", h)
			continue
		}
		for {
			table := l.devExec("nft", "list", "table", "inet", "aclsh")
			if strings.Contains(table, "10.64.0.0/10") && !strings.Contains(table, "192.0.2.0/24") {
				break
			}
			require.True(t, time.Now().Before(deadline), "%s rolls back by itself within %v of the push: %s", h, timer, table)
			time.Sleep(time.Second)
		}
	}
	t.Logf("the unconfirmed hosts rolled back %v after the push (timer %s)", time.Since(pushed).Round(time.Second), hms)
	// A real login from the controller to a host that rolled back and to its
	// neighbour that confirmed: each admits it.
	if n >= 5 {
		for _, i := range []int{5, 4} {
			s, err := f.devs[i-1].tryLogin(fleetAddr(i, 107), 10*time.Second)
			require.NoError(t, err, "dev%d admits the controller", i)
			s.logout()
		}
	}
	t.Logf("fleet of %d: %v in all", n, time.Since(start).Round(time.Second))
}
