package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/internal/needs"
)

// The real-client tier: Debian's python3-netmiko (2.4.2, paramiko) drives aclsh
// as it drives a switch, through the real-SSH lab (aclsh is sshd's ForceCommand).

// netmikoPush connects as device_type argv[1] to argv[2] as argv[3] with key
// argv[4], finds the prompt, shows the version, pushes the lines of argv[5] (a
// JSON list) with send_config_set, saves, shows the access lists and prints what
// it read as JSON.
const netmikoPush = `import json, sys
from netmiko import ConnectHandler
c = ConnectHandler(device_type=sys.argv[1], host=sys.argv[2], username=sys.argv[3],
                   use_keys=True, key_file=sys.argv[4], allow_agent=False, timeout=10)
r = {"prompt": c.find_prompt(), "version": c.send_command("show version")}
r["config"] = c.send_config_set(json.loads(sys.argv[5]))
r["save"] = c.save_config()
r["acls"] = c.send_command("show access-lists")
r["startup"] = c.send_command("show startup-config")
r["prompt_after"] = c.find_prompt()
c.disconnect()
print(json.dumps(r))
`

// TestNetmiko: netmiko (device types cisco_ios and arista_eos) logs in, finds
// the prompt, shows the version, configures seed 001's line and binds it from
// its own session (which stays up: it is one of the three), saves; then the
// kernel enforces what it pushed: three logins from the permitted source are
// admitted, a fourth and any from another source fail at the SYN.
func TestNetmiko(t *testing.T) {
	needs.PythonModule(t, "netmiko", "python3-netmiko")
	for _, dt := range []string{"cisco_ios", "arista_eos"} {
		t.Run(dt, func(t *testing.T) {
			l := newSSHLab(t)
			script := filepath.Join(l.dir, "push.py")
			require.NoError(t, os.WriteFile(script, []byte(netmikoPush), 0o600))
			lines, _ := json.Marshal([]string{
				"ip access-list extended mgmt",
				"permit tcp host 10.24.12.107 host 10.24.12.129 eq 22 connlimit 3",
				"exit",
				"interface management 0",
				"ip access-group mgmt in",
			})
			// From the client namespace: its first address, 10.24.12.107.
			cmd := exec.Command("ip", "netns", "exec", l.cli, needs.Python, script, dt, sshDevAddr, l.user, l.key, string(lines))
			cmd.Env = append(os.Environ(), "HOME="+l.dir)
			start := time.Now()
			out, err := cmd.Output()
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			require.NoError(t, err, "netmiko: %s%s", out, tail(stderr, 3000))
			t.Logf("netmiko %s: %v", dt, time.Since(start).Round(time.Millisecond))
			var r map[string]string
			require.NoError(t, json.Unmarshal(out, &r), "%s", out)

			require.Equal(t, "device#", r["prompt"])
			require.Equal(t, "device#", r["prompt_after"])
			require.Regexp(t, `Version \S+`, r["version"])
			require.Contains(t, r["version"], "uptime is")
			for _, k := range []string{"version", "config", "save", "acls", "startup"} {
				require.NotRegexp(t, `% ?(Error|Invalid)|(?i)invalid input`, r[k], "%s: %s", k, r[k])
			}
			require.Contains(t, r["config"], "device(config-Management-0)#")
			require.Regexp(t, `seq 10 permit tcp host 10\.24\.12\.107 host 10\.24\.12\.129 eq 22 connlimit 3`, r["acls"])
			require.Contains(t, r["startup"], "ip access-group mgmt in", "saved")

			// The kernel enforces it. netmiko's session has ended: its slot frees
			// within a couple of seconds.
			const src = "10.24.12.107"
			var sessions []*sshSession
			deadline := time.Now().Add(5 * time.Second)
			for len(sessions) < 3 {
				s, err := l.tryLogin(src, 3*time.Second)
				if err != nil {
					s.cmd.Process.Kill()
					require.True(t, time.Now().Before(deadline), "login %d from %s: %v", len(sessions)+1, src, err)
					continue
				}
				sessions = append(sessions, s)
			}
			require.NoError(t, l.refused(src), "a fourth login from %s", src)
			require.NoError(t, l.refused("10.24.12.108"), "a login from a source no line permits")
			s := sessions[0]
			s.send("show access-lists")
			out2 := s.must(regexp.MustCompile(`sessions: [^\r\n]*`), 3*time.Second, "show access-lists")
			require.Contains(t, out2, "sessions: 10.24.12.107 3/3")
			s.must(freshPrompt("device# "), 3*time.Second, "show access-lists")
			for _, s := range sessions {
				s.logout()
			}
			require.Contains(t, l.devExec("nft", "list", "ruleset"), "table inet aclsh")
		})
	}
}
