package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/internal/needs"
)

// Ansible's network_cli (Debian's ansible 7.7: ansible-core 2.14 with arista.eos
// and cisco.ios, over paramiko) drives aclsh as it drives a switch, through the
// real-SSH lab (aclsh is sshd's ForceCommand).

const ansibleInventory = `[eos]
deveos ansible_network_os=arista.eos.eos
[ios]
devios ansible_network_os=cisco.ios.ios
[all:vars]
ansible_host=` + sshDevAddr + `
ansible_connection=ansible.netcommon.network_cli
ansible_network_cli_ssh_type=paramiko
`

// ansiblePlaybook: the eos play sets the host's dialect to EOS (cli dialect
// eos), then device facts and commands (text and JSON), eos_config in check
// mode (a session aborted), applied with save_when: modified, applied again (no
// change: the session's diff is empty), the list bound to management 0 from the
// same connection, the whole config replaced (rollback clean-config) twice,
// the list as EOS writes it (parents ip access-list mgmt) found in the
// running-config line by line (no session opened) and saved once, eos_acls
// gathered and merged twice (seq 20 into the bound list). The ios play sets IOS's dialect, then
// ios_command, ios_facts, ios_config applied twice (the second finds the line
// in the running-config: changed=false), ios_acls gathered and merged twice, and
// a connlimit line pushed with ios_config twice.
const ansiblePlaybook = `
- hosts: eos
  gather_facts: false
  tasks:
    - name: eos dialect
      arista.eos.eos_config:
        lines: ["cli dialect eos"]
    - name: eos commands
      arista.eos.eos_command:
        commands: ["show version", "show version | json", "show hostname | json", "show configuration sessions"]
    - name: eos facts
      arista.eos.eos_facts:
    - name: eos check
      arista.eos.eos_config:
        parents: ip access-list extended mgmt
        lines: ["10 permit tcp host 10.24.12.107 host 10.24.12.129 eq 22"]
      check_mode: true
    - name: eos after check
      arista.eos.eos_command:
        commands: ["show running-config"]
    - name: eos apply
      arista.eos.eos_config:
        parents: ip access-list extended mgmt
        lines: ["10 permit tcp host 10.24.12.107 host 10.24.12.129 eq 22"]
        save_when: modified
    - name: eos again
      arista.eos.eos_config:
        parents: ip access-list extended mgmt
        lines: ["10 permit tcp host 10.24.12.107 host 10.24.12.129 eq 22"]
    - name: eos bind
      arista.eos.eos_config:
        parents: interface management 0
        lines: ["ip access-group mgmt in"]
        save_when: modified
    - name: eos replace
      arista.eos.eos_config:
        src: "{{ replace_src }}"
        replace: config
    - name: eos replace again
      arista.eos.eos_config:
        src: "{{ replace_src }}"
        replace: config
    - name: eos after replace
      arista.eos.eos_command:
        commands: ["show running-config"]
    - name: eos native
      arista.eos.eos_config: &eosnative
        parents: ip access-list mgmt
        lines: ["10 permit tcp host 10.24.12.107 host 10.24.12.129 eq 22"]
        save_when: modified
    - name: eos native again
      arista.eos.eos_config: *eosnative
    - name: eos_acls gathered
      arista.eos.eos_acls:
        state: gathered
    - name: eos_acls merged
      arista.eos.eos_acls: &eosacl
        state: merged
        config:
          - afi: ipv4
            acls:
              - name: mgmt
                aces:
                  - sequence: 20
                    grant: permit
                    protocol: tcp
                    source: {host: 10.24.12.109}
                    destination: {host: 10.24.12.129, port_protocol: {eq: "22"}}
    - name: eos_acls merged again
      arista.eos.eos_acls: *eosacl
- hosts: ios
  gather_facts: false
  tasks:
    - name: ios dialect
      cisco.ios.ios_config:
        lines: ["cli dialect ios"]
    - name: ios commands
      cisco.ios.ios_command:
        commands: ["show version"]
    - name: ios facts
      cisco.ios.ios_facts:
    - name: ios apply
      cisco.ios.ios_config:
        parents: ip access-list extended web
        lines: ["permit tcp any any eq 443"]
    - name: ios again
      cisco.ios.ios_config:
        parents: ip access-list extended web
        lines: ["permit tcp any any eq 443"]
    - name: ios_acls gathered
      cisco.ios.ios_acls:
        state: gathered
    - name: ios_acls merged
      cisco.ios.ios_acls: &iosacl
        state: merged
        config:
          - afi: ipv4
            acls:
              - name: mgmt
                aces:
                  - sequence: 30
                    grant: permit
                    protocol: tcp
                    source: {host: 10.24.12.110}
                    destination: {host: 10.24.12.129, port_protocol: {eq: "22"}}
    - name: ios_acls merged again
      cisco.ios.ios_acls: *iosacl
    - name: ios connlimit
      cisco.ios.ios_config: &iosconn
        parents: ip access-list extended mgmt
        lines: ["permit tcp host 10.24.12.111 host 10.24.12.129 eq 22 connlimit 2"]
        save_when: modified
    - name: ios connlimit again
      cisco.ios.ios_config: *iosconn
    - name: ios show
      cisco.ios.ios_command:
        commands: ["show running-config", "show access-lists"]
`

// TestAnsible runs the playbook with the JSON callback and checks each task's
// result, then that the kernel enforces what it bound: logins from the permitted
// source are admitted, from another fail at the SYN.
func TestAnsible(t *testing.T) {
	needs.Program(t, "ansible-playbook", "ansible")
	l := newSSHLab(t)
	inv := filepath.Join(l.dir, "hosts.ini")
	require.NoError(t, os.WriteFile(inv, []byte(ansibleInventory+"ansible_user="+l.user+"\nansible_ssh_private_key_file="+l.key+"\n"), 0o600))
	// Sources for what each module pushes: .109 (eos_acls), .110 (ios_acls),
	// .111 (ios_config, connlimit 2).
	for _, a := range []string{"10.24.12.109/24", "10.24.12.110/24", "10.24.12.111/24"} {
		sshRun(t, "ip", "-n", l.cli, "addr", "add", a, "dev", "eth0")
	}
	// The whole config, for replace: config (the list "web" goes, "extra"
	// comes; the dialect stays).
	replaceSrc := filepath.Join(l.dir, "replace.cfg")
	require.NoError(t, os.WriteFile(replaceSrc, []byte("cli dialect eos\nip access-list extended mgmt\n"+
		"   10 permit tcp host 10.24.12.107 host 10.24.12.129 eq 22\n"+
		"ip access-list extended extra\n   10 permit udp any any eq 53\n"+
		"interface management 0\n   ip access-group mgmt in\n"), 0o600))
	pb := filepath.Join(l.dir, "playbook.yml")
	require.NoError(t, os.WriteFile(pb, []byte(ansiblePlaybook), 0o600))
	cmd := exec.Command("ip", "netns", "exec", l.cli, "ansible-playbook", "-i", inv, "-e", "replace_src="+replaceSrc, pb)
	// Debian's python and ansible, not a version manager's; the connection logs
	// every exchange, for a failure.
	log := filepath.Join(l.dir, "ansible.log")
	cmd.Env = append(os.Environ(), "HOME="+l.dir, "PATH=/usr/bin:/bin:/usr/sbin:/sbin", "ANSIBLE_HOST_KEY_CHECKING=False",
		"ANSIBLE_STDOUT_CALLBACK=json", "ANSIBLE_LOG_PATH="+log, "ANSIBLE_PERSISTENT_LOG_MESSAGES=True",
		"ANSIBLE_LOCAL_TEMP="+filepath.Join(l.dir, "tmp"), "ANSIBLE_DEPRECATION_WARNINGS=False")
	start := time.Now()
	out, err := cmd.Output()
	t.Logf("ansible-playbook: %v", time.Since(start).Round(time.Millisecond))
	defer func() {
		if t.Failed() {
			data, _ := os.ReadFile(log)
			t.Logf("ansible log:\n%s", tail(string(data), 6000))
		}
	}()
	var r struct {
		Plays []struct {
			Tasks []struct {
				Task  struct{ Name string }
				Hosts map[string]map[string]any
			}
		}
	}
	require.NoError(t, json.Unmarshal(out, &r), "ansible-playbook (%v): %s", err, tail(string(out), 4000))
	res := map[string]map[string]any{}
	for _, p := range r.Plays {
		for _, task := range p.Tasks {
			for _, h := range task.Hosts {
				res[task.Task.Name] = h
			}
		}
	}
	get := func(task string) map[string]any {
		t.Helper()
		h, ok := res[task]
		require.True(t, ok, "task %q did not run: %s", task, tail(string(out), 4000))
		require.NotEqual(t, true, h["failed"], "task %q: %v", task, h)
		return h
	}
	require.NoError(t, err, "ansible-playbook: %s", tail(string(out), 4000))

	stdout := get("eos commands")["stdout"].([]any)
	require.Contains(t, stdout[0], "Version ")
	require.Equal(t, "aclsh", stdout[1].(map[string]any)["modelName"])
	require.Equal(t, "device", stdout[2].(map[string]any)["hostname"])
	require.Equal(t, "No configuration sessions", stdout[3])
	facts := get("eos facts")["ansible_facts"].(map[string]any)
	require.Equal(t, "device", facts["ansible_net_hostname"])
	require.Equal(t, "aclsh", facts["ansible_net_model"])
	require.NotEmpty(t, facts["ansible_net_version"])
	require.Equal(t, true, get("eos check")["changed"])
	require.NotContains(t, get("eos after check")["stdout"].([]any)[0], "mgmt", "check mode commits nothing")
	require.Equal(t, true, get("eos apply")["changed"])
	require.Equal(t, false, get("eos again")["changed"], "the same line again changes nothing")
	require.Equal(t, true, get("eos bind")["changed"])
	require.Equal(t, true, get("eos replace")["changed"])
	require.Equal(t, false, get("eos replace again")["changed"], "the same config again changes nothing")
	running := get("eos after replace")["stdout"].([]any)[0].(string)
	// In the EOS form, the dialect kept by the replacement.
	require.Contains(t, running, "!\ncli dialect eos\n!\nip access-list extra\n   10 permit udp any any eq 53\n!\nip access-list mgmt\n")
	require.Contains(t, running, "\ninterface management 0\n   ip access-group mgmt in\n")

	// The EOS form: the list's line is in the running-config as eos_config
	// compares it, so no session is opened (no commands); the first run saves
	// the replaced config (save_when: modified), the second finds the
	// startup-config as the running-config (both shown in the EOS form).
	require.Equal(t, true, get("eos native")["changed"], "saved")
	require.Nil(t, get("eos native")["commands"], "eos_config found the line in the running-config")
	require.Equal(t, false, get("eos native again")["changed"], "nothing to save")
	gathered, _ := json.Marshal(get("eos_acls gathered")["gathered"])
	require.Contains(t, string(gathered), `{"aces":[{"destination":{"host":"10.24.12.129","port_protocol":{"eq":"22"}},"grant":"permit","protocol":"tcp","sequence":10,"source":{"host":"10.24.12.107"}}],"name":"mgmt"}`)
	require.Equal(t, true, get("eos_acls merged")["changed"])
	require.Equal(t, []any{"ip access-list mgmt", "20 permit tcp host 10.24.12.109 host 10.24.12.129 eq 22"}, get("eos_acls merged")["commands"])
	require.Equal(t, false, get("eos_acls merged again")["changed"], "eos_acls finds the entry it merged")

	require.Contains(t, get("ios commands")["stdout"].([]any)[0], "uptime is")
	facts = get("ios facts")["ansible_facts"].(map[string]any)
	require.Equal(t, "device", facts["ansible_net_hostname"])
	require.NotEmpty(t, facts["ansible_net_version"])
	require.Equal(t, true, get("ios apply")["changed"])
	require.Equal(t, false, get("ios again")["changed"], "ios_config finds the line in the running-config")
	gathered, _ = json.Marshal(get("ios_acls gathered")["gathered"])
	require.Contains(t, string(gathered), `{"aces":[{"destination":{"any":true,"port_protocol":{"eq":"443"}},"grant":"permit","protocol":"tcp","sequence":10,"source":{"any":true}}],"acl_type":"extended","name":"web"}`)
	require.Equal(t, true, get("ios_acls merged")["changed"])
	require.Equal(t, []any{"ip access-list extended mgmt", "30 permit tcp host 10.24.12.110 host 10.24.12.129 eq 22"}, get("ios_acls merged")["commands"])
	require.Equal(t, false, get("ios_acls merged again")["changed"], "ios_acls finds the entry it merged")
	require.Equal(t, true, get("ios connlimit")["changed"])
	require.Equal(t, false, get("ios connlimit again")["changed"])
	shown := get("ios show")["stdout"].([]any)
	t.Logf("IOS dialect, show running-config:\n%s\nshow access-lists:\n%s", shown[0], shown[1])
	require.Contains(t, shown[0], "cli dialect ios\n")
	require.Contains(t, shown[0], "\n permit tcp host 10.24.12.111 host 10.24.12.129 eq 22 connlimit 2\n")
	require.Contains(t, shown[1], "Extended IP access list mgmt\n    10 permit tcp host 10.24.12.107 host 10.24.12.129 eq 22 (")

	// The kernel enforces what each module pushed: eos_config's line (.107),
	// eos_acls' (.109), ios_acls' (.110), and ios_config's connlimit 2 (.111: two
	// logins admitted, a third refused at the SYN); nothing permits .108.
	require.NoError(t, l.refused("10.24.12.108"), "a login from a source no line permits")
	for _, src := range []string{"10.24.12.109", "10.24.12.110"} {
		l.login(src).logout()
	}
	s1, s2 := l.login("10.24.12.111"), l.login("10.24.12.111")
	require.NoError(t, l.refused("10.24.12.111"), "a third login under connlimit 2")
	s1.logout()
	s2.logout()
	s := l.login("10.24.12.107")
	s.send("show startup-config")
	saved := s.must(freshPrompt("device# "), 3*time.Second, "show startup-config")
	require.Contains(t, saved, "ip access-group mgmt in")
	require.Contains(t, saved, "connlimit 2", "ios_config saved (save_when: modified)")
	require.False(t, strings.Contains(saved, "not present"))
	s.logout()
}
