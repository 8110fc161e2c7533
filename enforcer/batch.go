package enforcer

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
)

// errQueue says a batch could not even be built (nothing was sent): a defect of
// aclsh, not of the config or the kernel. A queueError is one.
var errQueue = errors.New("aclsh could not build the transaction for the kernel (an internal error; please report it)")

// queueError is errQueue with its cause, which the library worded: it is kept
// for errors.Is and As, not shown to the operator.
type queueError struct{ cause error }

func (e *queueError) Error() string        { return errQueue.Error() }
func (e *queueError) Unwrap() error        { return e.cause }
func (e *queueError) Is(target error) bool { return target == errQueue }

// errNoHandle says the state aclsh kept has a rule whose kernel handle it does
// not know: the table is read again, as when a handle is gone (ENOENT).
var errNoHandle = fmt.Errorf("a rule's kernel handle is unknown: %w", syscall.ENOENT)

func chainObj(ch *Chain) *nftables.Chain {
	nc := &nftables.Chain{Name: ch.Name, Table: table}
	if ch.Base {
		accept := nftables.ChainPolicyAccept
		nc.Type, nc.Hooknum, nc.Priority, nc.Policy = nftables.ChainTypeFilter, baseDir(ch.Name).hook, basePrio(ch.Name), &accept
	}
	return nc
}

func setObj(s *Set) *nftables.Set {
	ns := &nftables.Set{Table: table, Name: s.Name, KeyType: famOf(s.Family).key}
	switch s.Kind {
	case SetConnLimit:
		ns.Dynamic, ns.Size = true, uint32(s.Size)
	case SetPreMap:
		ns.IsMap, ns.DataType, ns.HasTimeout, ns.Timeout = true, nftables.TypeVerdict, true, PreTimeout
	case SetRun:
		ns.KeyType = s.shape.keyType(famOf(s.Family))
		ns.Interval, ns.KeyByteOrder = s.shape.interval, binaryutil.BigEndian
		if s.portSide == 0 {
			ns.Counter, ns.IsMap, ns.DataType = true, true, nftables.TypeVerdict
		}
		ns.Concatenation = strings.Contains(ns.KeyType.Name, " . ")
	}
	return ns
}
