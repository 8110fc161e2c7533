package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/internal/golden"
	"github.com/aclsh/aclsh/internal/needs"
)

// The committed manual page and completion script are what the definitions
// generate now (make doc, or go test ./cmd/aclsh -update, rewrites them).
func TestManPageCurrent(t *testing.T) {
	golden.Check(t, "../../doc/aclsh.8", manPage())
	golden.Check(t, "../../contrib/aclsh.bash-completion", bashCompletionScript())
	out, err := aclsh("--man").Output()
	require.NoError(t, err)
	require.Equal(t, manPage(), string(out), "aclsh --man prints the page")
}

// The page holds every command and flag, with the help `?` gives, and man
// renders it without a warning.
func TestManPageRenders(t *testing.T) {
	needs.Program(t, "man", "man-db")
	cmd := exec.Command("man", "--warnings", "-l", "../../doc/aclsh.8")
	cmd.Env = append(os.Environ(), "MANWIDTH=200", "MANPAGER=cat", "PAGER=cat", "LANG=C.UTF-8")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "%s", stderr.String())
	require.Empty(t, stderr.String(), "man warns")
	page := string(out)
	for _, want := range []string{
		"aclsh - switch-style shell for management-plane access lists on Linux",
		"aclsh follow [--state-dir DIR] [--mgmt-if IFNAME]",
		"copy running-config kernel",
		"kernel — Enforce it in the kernel again (restores table inet aclsh)",
		"((ip|ipv4) access-group WORD (in|ingress)",
		"HOST(config-s-NAME-ipacl-ext)#",
		"--mgmt-if IFNAME",
		"ACLSH_MGMT_IF",
	} {
		require.Contains(t, page, want)
	}
	for _, d := range flagDefs {
		require.Contains(t, page, d.spelling())
	}
}

// --version prints `aclsh VERSION`: the build's own version (a module
// pseudo-version naming the commit), or the one the build stamps.
func TestVersion(t *testing.T) {
	requireStatic(t, binary)
	out, err := aclsh("--version").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Regexp(t, `^aclsh \S+\n$`, string(out))
	// With version control information in the build (not with -buildvcs=false),
	// the version names the commit.
	if info, err := exec.Command("go", "version", "-m", binary).Output(); err == nil {
		if m := regexp.MustCompile(`vcs.revision=([0-9a-f]{12})`).FindSubmatch(info); m != nil {
			require.Contains(t, string(out), string(m[1]), "the commit it was built from")
		}
	}
	bin := filepath.Join(t.TempDir(), "aclsh")
	build := exec.Command("go", "build", "-ldflags", "-X main.version=1.2.3-test", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	b, err := build.CombinedOutput()
	require.NoError(t, err, "%s", b)
	out, err = exec.Command(bin, "--version").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Equal(t, "aclsh 1.2.3-test\n", string(out))
}

// The bash completion completes flag names, follow and boot first, the flags
// those take, and values: files for -f, directories for --state-dir, interface
// names for --mgmt-if.
func TestBashCompletion(t *testing.T) {
	needs.Program(t, "bash", "bash")
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "state"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "script.txt"), nil, 0o644))
	complete := func(words ...string) []string {
		t.Helper()
		script := `source ../../contrib/aclsh.bash-completion
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _aclsh; printf '%s\n' "${COMPREPLY[@]}"`
		out, err := exec.Command("bash", append([]string{"-c", script, "bash"}, words...)...).CombinedOutput()
		require.NoError(t, err, "%s", out)
		return strings.Fields(string(out))
	}
	require.Equal(t, []string{"follow"}, complete("aclsh", "fo"))
	require.Equal(t, []string{"--state-dir"}, complete("aclsh", "--st"))
	require.Equal(t, []string{"--check"}, complete("aclsh", "-f", "x", "--ch"))
	require.Empty(t, complete("aclsh", "-f", "x", "fo"), "follow only as the first word")
	require.Equal(t, []string{"--state-dir", "--mgmt-if", "--mgmt-names", "--ssh-ports", "--admin-group", "--view-group"}, complete("aclsh", "follow", "--"))
	require.Equal(t, []string{"--mgmt-if", "--mgmt-names"}, complete("aclsh", "boot", "--state-dir", "/x", "--m"))
	require.Equal(t, []string{filepath.Join(dir, "state")}, complete("aclsh", "--state-dir", filepath.Join(dir, "st")))
	require.Equal(t, []string{filepath.Join(dir, "script.txt")}, complete("aclsh", "-f", filepath.Join(dir, "sc")))
	require.Contains(t, complete("aclsh", "--mgmt-if", "l"), "lo")
	require.Empty(t, complete("aclsh", "--hostname", "x"))
	for _, d := range flagDefs {
		require.Contains(t, complete("aclsh", "-"), strings.Fields(strings.ReplaceAll(d.spelling(), ",", ""))[len(strings.Fields(d.spelling()))-1])
	}
}

// make install (after make build) honours PREFIX and DESTDIR: the binary in
// PREFIX/sbin, the manual page, the units and the sshd drop-in (both naming that
// binary) and the bash completion, and nothing else; into a DESTDIR it creates
// no group.
func TestMakeInstall(t *testing.T) {
	needs.Program(t, "make", "make")
	out, err := exec.Command("make", "-C", "../..", "build").CombinedOutput()
	require.NoError(t, err, "%s", out)
	requireStatic(t, "../../bin/aclsh")
	dropIn, err := os.ReadFile("../../contrib/sshd-aclsh.conf")
	require.NoError(t, err)
	path, groupLog := fakeGroupTools(t, "")
	for _, tc := range []struct{ prefix, sbin, unitdir string }{
		{"", "/usr/local/sbin", "/usr/local/lib/systemd/system"},
		{"/usr", "/usr/sbin", "/usr/lib/systemd/system"},
	} {
		dest := t.TempDir()
		args := []string{"-C", "../..", "install", "DESTDIR=" + dest}
		prefix := "/usr/local"
		if tc.prefix != "" {
			args = append(args, "PREFIX="+tc.prefix)
			prefix = tc.prefix
		}
		cmd := exec.Command("make", args...)
		cmd.Env = append(os.Environ(), "PATH="+path)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.NoFileExists(t, groupLog, "make install into a DESTDIR runs groupadd")
		require.Contains(t, string(out), "the groups aclsh and aclsh-view are not created")
		mode := func(p string) os.FileMode {
			fi, err := os.Stat(filepath.Join(dest, p))
			require.NoError(t, err)
			return fi.Mode().Perm()
		}
		require.Equal(t, os.FileMode(0o755), mode(tc.sbin+"/aclsh"))
		require.Equal(t, os.FileMode(0o644), mode(prefix+"/share/man/man8/aclsh.8"))
		require.Equal(t, os.FileMode(0o644), mode(prefix+"/share/bash-completion/completions/aclsh"))
		for _, u := range []string{"aclsh-follow.service"} {
			require.Equal(t, os.FileMode(0o644), mode(tc.unitdir+"/"+u))
			unit, err := os.ReadFile(filepath.Join(dest, tc.unitdir, u))
			require.NoError(t, err)
			require.Regexp(t, regexp.MustCompile(`(?m)^ExecStart=`+regexp.QuoteMeta(tc.sbin)+`/aclsh follow `), string(unit))
		}
		// The daemon's socket: socket activation of aclsh-follow.service.
		require.Equal(t, os.FileMode(0o644), mode(tc.unitdir+"/aclsh.socket"))
		sock, err := os.ReadFile(filepath.Join(dest, tc.unitdir, "aclsh.socket"))
		require.NoError(t, err)
		require.Contains(t, string(sock), "ListenStream=@aclsh/daemon\nService=aclsh-follow.service\n")
		// The sshd drop-in goes to /etc whatever PREFIX is; its ForceCommand names
		// the installed binary and nothing else differs.
		require.Equal(t, os.FileMode(0o644), mode("/etc/ssh/sshd_config.d/aclsh.conf"))
		conf, err := os.ReadFile(filepath.Join(dest, "/etc/ssh/sshd_config.d/aclsh.conf"))
		require.NoError(t, err)
		require.Regexp(t, regexp.MustCompile(`(?m)^\tForceCommand `+regexp.QuoteMeta(tc.sbin)+`/aclsh$`), string(conf))
		require.Equal(t, strings.ReplaceAll(string(dropIn), "ForceCommand /usr/local/sbin/aclsh", "ForceCommand "+tc.sbin+"/aclsh"), string(conf))
		page, err := os.ReadFile(filepath.Join(dest, prefix, "share/man/man8/aclsh.8"))
		require.NoError(t, err)
		require.Equal(t, manPage(), string(page))
		// make stamps the version git describes.
		v, err := exec.Command(filepath.Join(dest, tc.sbin, "aclsh"), "--version").CombinedOutput()
		require.NoError(t, err, "%s", v)
		if desc, err := exec.Command("git", "describe", "--tags", "--always", "--dirty").Output(); err == nil {
			require.Equal(t, "aclsh "+string(desc), string(v))
		}
		// Nothing outside DESTDIR: everything it installed is under it.
		var files []string
		filepath.WalkDir(dest, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files = append(files, strings.TrimPrefix(p, dest))
			}
			return nil
		})
		require.Len(t, files, 6, "%v", files)
		fi, err := os.Stat(filepath.Join(dest, "/var/lib/aclsh"))
		require.NoError(t, err)
		require.Equal(t, os.ModeDir|os.ModeSetgid|0o770, fi.Mode(), "the state directory (its group is set on the target)")
	}
}

// make install without DESTDIR creates the groups aclsh and aclsh-view with
// groupadd --system, only those that do not exist. Every directory is given (in
// a temporary directory) and groupadd and getent are fakes: the test changes
// nothing on this machine.
func TestMakeInstallGroups(t *testing.T) {
	needs.Program(t, "make", "make")
	out, err := exec.Command("make", "-C", "../..", "build").CombinedOutput()
	require.NoError(t, err, "%s", out)
	root := t.TempDir()
	path, groupLog := fakeGroupTools(t, "aclsh")
	cmd := exec.Command("make", "-C", "../..", "install", "DESTDIR=", "PREFIX="+root+"/usr",
		"SBINDIR="+root+"/usr/sbin", "MANDIR="+root+"/usr/share/man", "UNITDIR="+root+"/usr/lib/systemd/system",
		"BASHCOMPDIR="+root+"/usr/share/bash-completion/completions", "SSHDCONFDIR="+root+"/etc/ssh/sshd_config.d",
		"STATEDIR="+root+"/var/lib/aclsh")
	cmd.Env = append(os.Environ(), "PATH="+path)
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	calls, err := os.ReadFile(groupLog)
	require.NoError(t, err, "make install without DESTDIR runs groupadd for the missing group:\n%s", out)
	require.Equal(t, "--system aclsh-view\nchgrp aclsh "+root+"/var/lib/aclsh\n", string(calls), "groupadd for aclsh-view only (aclsh exists); the state directory is the configuring group's")
	fi, err := os.Stat(root + "/var/lib/aclsh")
	require.NoError(t, err)
	require.Equal(t, os.ModeDir|os.ModeSetgid|0o770, fi.Mode(), "the state directory as the README installs it")
	require.FileExists(t, root+"/etc/ssh/sshd_config.d/aclsh.conf")
	require.Contains(t, string(out), "sshd -t && systemctl reload ssh")
}

// fakeGroupTools puts a getent and a groupadd in a directory before PATH: getent
// knows only the group exists (none if empty), groupadd appends its arguments to
// the log it returns and creates nothing.
func fakeGroupTools(t *testing.T, exists string) (path, log string) {
	dir := t.TempDir()
	log = filepath.Join(dir, "groupadd.log")
	getent := "#!/bin/sh\n[ \"$1\" = group ] && [ -n \"" + exists + "\" ] && [ \"$2\" = \"" + exists + "\" ] && { echo \"" + exists + ":x:999:\"; exit 0; }\nexit 2\n"
	groupadd := "#!/bin/sh\necho \"$@\" >>" + log + "\n"
	chgrp := "#!/bin/sh\necho chgrp \"$@\" >>" + log + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "chgrp"), []byte(chgrp), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "getent"), []byte(getent), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "groupadd"), []byte(groupadd), 0o755))
	return dir + ":" + os.Getenv("PATH"), log
}

// --ssh-ports takes sshd's ports, and says what it wants otherwise.
func TestSSHPortsFlag(t *testing.T) {
	ports, err := portsOf("22, 2222")
	require.NoError(t, err)
	require.Equal(t, []uint16{22, 2222}, ports)
	for _, bad := range []string{"", "ssh", "0", "70000", "22,x"} {
		_, err := portsOf(bad)
		require.Error(t, err, bad)
		require.Contains(t, err.Error(), "22,2222", "the error shows the form")
	}
	var out, errb strings.Builder
	require.Equal(t, 2, run([]string{"follow", "--ssh-ports", "22,x"}, nil, &out, &errb))
	require.Contains(t, errb.String(), `--ssh-ports "22,x": "x" is not a port`)
}

// requireStatic fails unless the binary at p is static: no program
// interpreter (the dynamic loader), so its start links nothing.
func requireStatic(t *testing.T, p string) {
	t.Helper()
	f, err := elf.Open(p)
	require.NoError(t, err)
	defer f.Close()
	for _, prog := range f.Progs {
		require.NotEqual(t, elf.PT_INTERP, prog.Type, "%s is linked dynamically (built with cgo): make build builds it static", p)
	}
}
