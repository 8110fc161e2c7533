package enforcer_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	. "github.com/aclsh/aclsh/enforcer"
)

// TestAnswersLostAfterCommit: when the kernel's answers to a transaction it
// took cannot all be read, the apply is not a refusal: the generation says
// the transaction was taken, the table is not replaced, and the next read of
// the kernel (its rules' handles unknown) finds it in step.
func TestAnswersLostAfterCommit(t *testing.T) {
	l := newLab(t)
	cfg := bigConfig(t, 300)
	SetLoseAnswers(l.e, true)
	require.NoError(t, l.e.Apply(cfg))
	require.Equal(t, 1, Transactions(l.e))
	require.Zero(t, FullReplaces(l.e), "taken for a refusal and replaced")
	SetLoseAnswers(l.e, false)
	st, err := l.e.Stats(cfg)
	require.NoError(t, err)
	require.Equal(t, InSync, st.State)
	// a change after it: the kernel state is read again, then diffed
	a := cfg.ACLs["big"]
	_, err = a.Add(rule(t, "seq 99990 permit udp any any eq 53"))
	require.NoError(t, err)
	require.NoError(t, l.e.Apply(cfg))
	require.Zero(t, FullReplaces(l.e))
	st, err = l.e.Stats(cfg)
	require.NoError(t, err)
	require.Equal(t, InSync, st.State)
}
