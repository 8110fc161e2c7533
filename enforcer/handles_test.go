package enforcer_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	statedir "github.com/aclsh/aclsh/config"
	. "github.com/aclsh/aclsh/enforcer"
	"github.com/aclsh/aclsh/shell"
)

// kernelShell is an interactive shell on the lab's kernel. Its run plays lines
// and returns what they printed, errors included as the operator sees them.
type kernelShell struct {
	t   *testing.T
	sh  *shell.Shell
	out *strings.Builder
}

func newKernelShell(t *testing.T, l *lab) *kernelShell {
	out := &strings.Builder{}
	sh, err := shell.New(shell.Options{Host: "device", Store: &statedir.Store{Dir: t.TempDir()}, Out: out, Err: out,
		Enforcer: l.e, IfName: "mgmt0", Interactive: true})
	require.NoError(t, err)
	return &kernelShell{t: t, sh: sh, out: out}
}

// run plays lines; every one must succeed.
func (k *kernelShell) run(lines ...string) string {
	k.t.Helper()
	k.out.Reset()
	for _, line := range lines {
		err := k.sh.Run(line)
		if err != nil {
			shell.PrintError(k.out, len(k.sh.Prompt()), err)
		}
		require.NoError(k.t, err, "%s\n%s", line, k.out)
	}
	return k.out.String()
}

// chainKeys lists the comments of a chain's rules in the kernel, in order.
func (l *lab) chainKeys(chain string) []string {
	var keys []string
	for _, m := range regexp.MustCompile(`comment "([^"]+)"`).FindAllStringSubmatch(l.nft("list", "chain", "inet", Table, chain), -1) {
		keys = append(keys, m[1])
	}
	return keys
}

// Issue 16, item 4: a rule the kernel replaced (a log line's log rule, when the
// logging interval or the line's seq changes) keeps its handle, and aclsh knows
// it: the next change that deletes it, or puts a line before it, goes through
// at once, changing only what it must, with no internal error on the screen and
// no fallback to replacing the whole table.
func TestReplacedRuleHandleOnKernel(t *testing.T) {
	setup := []string{"conf t", "ip access-list extended a", "10 permit tcp any any eq 22", "30 deny udp any any eq 53 log",
		"interface management 0", "ip access-group a in", "end"}

	t.Run("interval then no", func(t *testing.T) {
		l := newLab(t)
		k := newKernelShell(t, l)
		k.run(setup...)
		before := l.chainKeys("acl4")
		require.Len(t, before, 4, "permit, log rule, deny, implicit deny")
		k.run("conf t", "ip access-list logging interval 500")
		require.Contains(t, l.nft("list", "chain", "inet", Table, "acl4"), "limit rate 2/second")
		out := k.run("ip access-list extended a", "no 30", "end")
		require.NotContains(t, out, "% Error")
		require.Equal(t, []string{before[0], before[3]}, l.chainKeys("acl4"), "the line's two rules are gone, the rest stays")
		require.Zero(t, FullReplaces(l.e), "no fallback to a whole replacement")
	})

	t.Run("resequence then bind another list", func(t *testing.T) {
		l := newLab(t)
		k := newKernelShell(t, l)
		k.run(setup...)
		k.run("conf t", "ip access-list extended a", "resequence")
		require.Contains(t, l.nft("list", "chain", "inet", Table, "acl4"), `"aclsh a seq 20: "`)
		out := k.run("ip access-list extended b", "permit tcp any any eq 22", "interface management 0", "ip access-group b in", "end")
		require.NotContains(t, out, "% Error")
		keys := l.chainKeys("acl4")
		require.Len(t, keys, 2)
		for _, key := range keys {
			require.True(t, strings.HasPrefix(key, "b/"), "%s: only list b's rules are left", key)
		}
		require.Zero(t, FullReplaces(l.e))
	})

	t.Run("resequence then insert before", func(t *testing.T) {
		l := newLab(t)
		k := newKernelShell(t, l)
		k.run(setup...)
		k.run("conf t", "ip access-list extended a", "resequence")
		before := l.chainKeys("acl4")
		// A line between the permit and the log line: the kernel must have it
		// there, not at the end of the chain (after the implicit deny).
		out := k.run("15 permit udp any any eq 5353", "end")
		require.NotContains(t, out, "% Error")
		after := l.chainKeys("acl4")
		require.Len(t, after, 5)
		require.Equal(t, before[0], after[0])
		require.Equal(t, before[1:], after[2:], "the new line's rule is second, before the log line's rules")
		require.Zero(t, FullReplaces(l.e))
		require.Contains(t, k.run("show access-lists"), "\n implicit deny\n")
		require.NotContains(t, k.run("show interface management 0"), "missing")
		require.Contains(t, k.run("show interface management 0"), " kernel: in sync with the running-config")
	})

	t.Run("resequence then no", func(t *testing.T) {
		l := newLab(t)
		k := newKernelShell(t, l)
		k.run(setup...)
		before := l.chainKeys("acl4")
		out := k.run("conf t", "ip access-list extended a", "resequence", "no 20", "end")
		require.NotContains(t, out, "% Error")
		require.Equal(t, []string{before[0], before[3]}, l.chainKeys("acl4"))
		require.Zero(t, FullReplaces(l.e))
	})
}

// A kept state that lacks a rule's handle (a transaction whose handles aclsh
// did not learn) is read again from the kernel before anything is queued: the
// change goes through, in place, with no internal error and no whole
// replacement.
func TestUnknownHandleReadsTableAgain(t *testing.T) {
	l := newLab(t)
	cfg := config(t, `
ip access-list extended a
 10 permit tcp any any eq 22
 30 deny udp any any eq 53 log
 40 permit udp any any eq 123
interface management 0
 ip access-group a in
`)
	require.NoError(t, l.e.Apply(cfg))
	before := l.chainKeys("acl4")
	require.True(t, ForgetHandles(l.e))
	cfg = config(t, `
ip access-list extended a
 10 permit tcp any any eq 22
 20 permit udp any any eq 5353
 40 permit udp any any eq 123
interface management 0
 ip access-group a in
`)
	require.NoError(t, l.e.Apply(cfg))
	after := l.chainKeys("acl4")
	require.Len(t, after, 4)
	require.Equal(t, before[0], after[0])
	require.Equal(t, before[3:], after[2:], "the new line is second, the log line's rules are gone")
	require.Zero(t, FullReplaces(l.e))
}
