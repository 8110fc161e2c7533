package nss

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Names from /etc/passwd and /etc/group, numbers for what no database knows.
func TestNames(t *testing.T) {
	require.Equal(t, "root", UserName(0))
	require.Equal(t, 0, GroupID("root"))
	require.Equal(t, 4242, GroupID("4242"))
	require.Equal(t, -1, GroupID("no-such-group-aclsh"))
	require.Equal(t, "2147483000", UserName(2147483000))
}

// A name only the name service switch knows is found through getent: a user
// NSS module is out of reach of a test, so getent is given a database file of
// its own by a stand-in on PATH that answers for one user (as SSSD would).
func TestGetentFallback(t *testing.T) {
	if _, err := exec.LookPath("getent"); err != nil && os.Getenv("CI") != "" {
		t.Fatal("getent is not installed")
	}
	dir := t.TempDir()
	script := "#!/bin/sh\n[ \"$1 $2\" = \"passwd 70123\" ] && echo 'ldapuser:*:70123:70123::/home/ldapuser:/bin/sh' && exit 0\n" +
		"[ \"$1 $2\" = \"group ldapops\" ] && echo 'ldapops:*:70200:' && exit 0\nexit 2\n"
	require.NoError(t, os.WriteFile(dir+"/getent", []byte(script), 0o755))
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
	require.Equal(t, "ldapuser", UserName(70123))
	require.Equal(t, 70200, GroupID("ldapops"))
	require.Equal(t, strconv.Itoa(70124), UserName(70124))
	// A user added later (to the directory) is found: a miss is not kept.
	require.Equal(t, strconv.Itoa(70125), UserName(70125))
	require.Equal(t, -1, GroupID("ldaplate"))
	script = strings.Replace(script, "exit 2\n", "[ \"$1 $2\" = \"passwd 70125\" ] && echo 'late:*:70125:70125::/:/bin/sh' && exit 0\n"+
		"[ \"$1 $2\" = \"group ldaplate\" ] && echo 'ldaplate:*:70300:' && exit 0\nexit 2\n", 1)
	require.NoError(t, os.WriteFile(dir+"/getent", []byte(script), 0o755))
	require.Equal(t, "late", UserName(70125))
	require.Equal(t, 70300, GroupID("ldaplate"))
}
