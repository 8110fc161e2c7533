package enforcer

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/nftables"
	"github.com/mdlayher/netlink"
	"github.com/ti-mo/conntrack"
)

// Enforcer applies configs to the kernel of one network namespace, on one
// interface. Its methods are safe for concurrent use.
type Enforcer struct {
	IfName string
	// SSHPorts are the ports of the login service, where lists bound at line
	// vty (management ssh) decide new connections; nil: DefaultSSHPorts.
	SSHPorts []uint16
	// NetNS is a file descriptor of the network namespace to act in; 0 is the
	// namespace of the calling thread.
	NetNS int
	// Mended, if set, is called by Follow each time it put table inet aclsh
	// back after another program deleted or changed it.
	Mended func(at time.Time, ch Change)

	mu           sync.Mutex
	conn         *nftables.Conn // see nft
	tx           *txSock        // transactions' socket (flush); nil: opened when needed
	io           sessIO         // sockets that list and mark sessions
	ks           *kstate        // the table after this enforcer's last transaction; nil: read it
	comp         Compiler
	mutate       func(*Plan)   // tests: change the plan before it is sent
	fullReplaces int           // how often Apply fell back to replacing the table (tests)
	sent         int           // transactions the kernel took
	adopts       int           // how often Apply listed the live sessions (tests)
	lastBatch    []*op         // the changes of the last transaction the kernel took (tests)
	kernelTime   time.Duration // time spent in transactions (benchmarks)
	// gens are the ruleset generations this enforcer's last transactions
	// made (a ring): the table watch tells them from other programs' even when
	// the thread that sent one is gone (its /proc entry with it).
	gens  [16]uint32
	nGens int
	// followReadBuffer, if set, is the conntrack event socket's buffer (tests).
	followReadBuffer int
	// logSummary, if set, replaces LogSummaryInterval (tests).
	logSummary time.Duration

	// watchMu guards the table watches running (watchTable) and whether a
	// transaction has them paused; taken after e.mu, never before it.
	watchMu sync.Mutex
	watches map[*tableWatch]bool
	pausing bool
	// pauseAt, if set, replaces pauseWatchAt (tests).
	pauseAt int
	// watchPaused, if set, is called after a transaction that paused the
	// watches, before they resume (tests).
	watchPaused func()
	// loseAnswers makes each transaction's answers read as lost once the
	// kernel took it (tests).
	loseAnswers bool
	// dumpers, if set, is how many sockets read the run maps at once (tests).
	dumpers int
}

// ErrPermission says the process may not change the kernel's ruleset. It says
// only that: the caller adds what to do about it, which depends on where it is
// printed (a shell, a script, the follow daemon).
// It is a permission error (errors.Is(err, fs.ErrPermission)), so that callers
// that do not know the enforcer (the boot step in config) can tell it.
var ErrPermission error = permError{}

type permError struct{}

func (permError) Error() string        { return "changing the kernel's ruleset needs root (CAP_NET_ADMIN)" }
func (permError) Is(target error) bool { return target == fs.ErrPermission }

// Interface returns the Linux interface behind management 0.
func (e *Enforcer) Interface() string { return e.IfName }

// nft returns the enforcer's netlink connection to nftables, opened once (one
// socket in the namespace, not one per message). Callers hold e.mu and call
// e.done with their error, which drops the connection after a failure.
func (e *Enforcer) nft() (*nftables.Conn, error) {
	if e.conn != nil {
		return e.conn, nil
	}
	opts := []nftables.ConnOption{nftables.AsLasting()}
	if e.NetNS != 0 {
		opts = append(opts, nftables.WithNetNSFd(e.NetNS))
	}
	c, err := nftables.New(opts...)
	if err != nil {
		return nil, err
	}
	e.conn = c
	return c, nil
}

// Close closes the enforcer's netlink sockets. The enforcer may be used again
// (they are opened again when needed).
func (e *Enforcer) Close() {
	e.mu.Lock()
	e.done(errors.New("closed"))
	e.mu.Unlock()
	e.io.mu.Lock()
	defer e.io.mu.Unlock()
	if e.io.h != nil {
		e.io.h.Close()
		e.io.ct.Close()
		e.io.h, e.io.ct = nil, nil
	}
}

// locked runs f with the nftables connection, holding e.mu; an error from f drops
// the connection.
func (e *Enforcer) locked(f func(c *nftables.Conn) error) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.nft()
	if err != nil {
		return wrapKernel(err)
	}
	err = f(c)
	e.done(err)
	return err
}

// done drops the netlink connection if err says something went wrong with it.
func (e *Enforcer) done(err error) {
	if err != nil && e.conn != nil {
		e.conn.CloseLasting()
		e.conn = nil
	}
	if err != nil && e.tx != nil {
		e.tx.Close()
		e.tx = nil
	}
}

func (e *Enforcer) conntrack() (*conntrack.Conn, error) {
	return conntrack.Dial(&netlink.Config{NetNS: e.NetNS})
}

func wrapKernel(err error) error {
	if errors.Is(err, syscall.EPERM) || errors.Is(err, os.ErrPermission) ||
		// some of the library's errors keep only the text of the cause
		err != nil && strings.HasSuffix(err.Error(), syscall.EPERM.Error()) {
		return ErrPermission
	}
	return err
}

var table = &nftables.Table{Name: Table, Family: nftables.TableFamilyINet}

// HoldsTable reports whether the kernel has table inet aclsh. Without the
// privilege to ask it is false: such a process cannot change the kernel either.
// Any other failure to ask is an error.
func (e *Enforcer) HoldsTable() (holds bool, err error) {
	err = e.locked(func(c *nftables.Conn) error {
		_, lerr := c.ListTableOfFamily(Table, nftables.TableFamilyINet)
		switch {
		case lerr == nil:
			holds = true
		case errors.Is(lerr, syscall.ENOENT) || errors.Is(wrapKernel(lerr), ErrPermission):
		default:
			return lerr
		}
		return nil
	})
	if errors.Is(err, ErrPermission) {
		return false, nil
	}
	return holds, err
}

// madeGen records that a transaction of this enforcer made generation g. The
// caller holds e.mu.
func (e *Enforcer) madeGen(g uint32) {
	e.gens[e.nGens%len(e.gens)] = g
	e.nGens++
}

// ownGen reports whether generation g is one this enforcer's transactions
// made. It takes e.mu: a transaction records its generation before it lets go
// of the lock, so a notification read meanwhile waits for it.
func (e *Enforcer) ownGen(g uint32) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range min(e.nGens, len(e.gens)) {
		if e.gens[i] == g {
			return true
		}
	}
	return false
}
