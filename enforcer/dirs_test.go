package enforcer

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/google/nftables"
	"github.com/stretchr/testify/require"

	"github.com/aclsh/aclsh/acl"
)

// TestEveryBindingHasRows: every binding point the model has a row in the
// family and direction tables, every list chain a name of its own, and every
// base chain a hook: a direction added to acl without its row here fails.
func TestEveryBindingHasRows(t *testing.T) {
	chains := map[string]acl.Binding{}
	for _, b := range acl.AllBindings() {
		fm := famOf(b.Family)
		require.Equal(t, b.Family, fm.f, "fams has no row for %s", b)
		var d *dir
		require.NotPanics(t, func() { d = dirOf(b) }, "dirs has no row for %s", b)
		require.NotPanics(t, func() { baseDir(d.base) })
		hooks := map[nftables.ChainHook]string{*nftables.ChainHookPrerouting: "prerouting", *nftables.ChainHookInput: "input",
			*nftables.ChainHookForward: "forward", *nftables.ChainHookOutput: "output", *nftables.ChainHookPostrouting: "postrouting"}
		require.Equal(t, hooks[*d.hook], d.hookNm, "the plan's text names the hook the kernel gets (%s)", b)
		require.Equal(t, d.hook, chainObj(&Chain{Name: d.base, Base: true}).Hooknum)
		name := (bound{fm: fm, dir: d}).chain()
		prev, dup := chains[name]
		require.False(t, dup, "%s and %s share chain %s", prev, b, name)
		chains[name] = b
		require.Contains(t, listChains(), name)
	}
}

// ErrPermission is a permission error for callers that do not know the
// enforcer (config's boot step tells it by fs.ErrPermission).
func TestErrPermissionIsPermission(t *testing.T) {
	require.ErrorIs(t, fmt.Errorf("apply: %w", ErrPermission), fs.ErrPermission)
	require.NotErrorIs(t, errors.New("other"), ErrPermission)
}
