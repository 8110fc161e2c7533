package enforcer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// txSock is the netlink socket aclsh sends its transactions on: a txn's
// buffer goes to the kernel in one sendmsg, a batch in one skb as nftables
// requires, and the kernel's answers (an error per message it refused, the
// new rules it echoes) are read back on it. It is opened once per enforcer,
// like the library's connection (nft).
type txSock struct {
	c   *netlink.Conn
	rc  syscall.RawConn
	buf []byte
	seq uint32 // the last sequence number used
	ids uint32 // the last transaction id given (sets, rules)
}

// errAnswers says the kernel's answers to a transaction could not all be
// read (the socket overflowed with echoes, a message did not fit): whether
// the kernel took the transaction, only the ruleset generation can tell.
var errAnswers = errors.New("reading the kernel's answer")

// answersLost is errAnswers with its cause, and the refusal read before it,
// if any (nil: none was read).
type answersLost struct{ refused, cause error }

func (a *answersLost) Error() string {
	if a.refused != nil {
		return a.refused.Error() + "; " + errAnswers.Error() + ": " + a.cause.Error()
	}
	return errAnswers.Error() + ": " + a.cause.Error()
}

func (a *answersLost) Unwrap() []error { return []error{a.refused, errAnswers, a.cause} }

func newTxSock(ns int) (*txSock, error) {
	c, rc, err := dialRaw(ns)
	if err != nil {
		return nil, err
	}
	s := &txSock{c: c, rc: rc, buf: make([]byte, dumpBuf)}
	// An error about a message carries its header only, not the whole
	// message (up to 64 KiB of elements).
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_NETLINK, unix.NETLINK_CAP_ACK, 1)
	}); err != nil || serr != nil {
		c.Close()
		return nil, errors.Join(err, serr)
	}
	return s, nil
}

func (s *txSock) Close() error { return s.c.Close() }

// begin starts a transaction valid at ruleset generation gen, numbered after
// the socket's last one.
func (s *txSock) begin(gen uint32) *txn {
	return newTxn(gen, s.seq+1, &s.ids)
}

// echoReadBuffer is the least receive buffer of a transaction: what the
// library sets (nft's default for a batch with echoes), 8 MiB.
const echoReadBuffer = 8 << 20

// commit sends transaction t (finished) and reads the kernel's answers: nil
// if it took the transaction, else the first message it refused, with the
// errno (ERESTART: the ruleset generation was not the transaction's). The
// new rules' handles are set on their ops (op.got).
func (s *txSock) commit(t *txn, b []byte) error {
	s.seq = t.seq - 1
	// The kernel takes a message up to the send buffer (less 32 bytes); each
	// echoed rule takes about a kilobyte of the receive buffer (a page at
	// most), as the library sizes it.
	if n, err := s.c.WriteBuffer(); err == nil && n < len(b)+4096 {
		if err := s.c.SetWriteBuffer(len(b) + 4096); err != nil {
			return err
		}
	}
	if n, err := s.c.ReadBuffer(); err == nil {
		if want := max(echoReadBuffer, (t.msgs+2)*1024, len(t.echo)*os.Getpagesize()); n < want {
			if err := s.c.SetReadBuffer(want); err != nil {
				return err
			}
		}
	}
	var serr error
	if err := s.rc.Write(func(fd uintptr) bool {
		serr = unix.Sendto(int(fd), b, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
		return serr != unix.EAGAIN
	}); err != nil {
		return err
	}
	if serr != nil {
		return fmt.Errorf("sending the transaction: %w", serr)
	}
	// The kernel processes the batch within the sendmsg: every answer is
	// queued on the socket by now, and the socket is read until it is empty.
	var refused error
	for {
		var n int
		var rerr error
		if err := s.rc.Read(func(fd uintptr) bool {
			n, _, rerr = unix.Recvfrom(int(fd), s.buf, unix.MSG_DONTWAIT|unix.MSG_TRUNC)
			return true
		}); err != nil {
			return err
		}
		if rerr == unix.EAGAIN {
			return refused
		}
		if rerr != nil {
			return &answersLost{refused, rerr}
		}
		if n > len(s.buf) {
			return &answersLost{refused, errors.New("a message larger than the buffer")}
		}
		b := s.buf[:n]
		for len(b) >= unix.NLMSG_HDRLEN {
			var m nlMsg
			var err error
			if m, b, err = nextMsg(b); err != nil {
				return &answersLost{refused, err}
			}
			if m.seq-t.first >= t.seq-t.first {
				continue // not of this transaction (compared past a wrap of the numbers)
			}
			switch {
			case m.typ == unix.NLMSG_ERROR:
				if err := ackError(m.data); err != nil && refused == nil {
					refused = err
				}
			case m.typ == unix.NFNL_SUBSYS_NFTABLES<<8|unix.NFT_MSG_NEWRULE:
				if o := t.echo[m.seq]; o != nil && len(m.data) >= 4 {
					_ = attrs(m.data[4:], func(typ uint16, v []byte) error {
						if typ == unix.NFTA_RULE_HANDLE && len(v) == 8 {
							o.got = binary.BigEndian.Uint64(v)
						}
						return nil
					})
				}
			}
		}
	}
}

// ackError returns the error an NLMSG_ERROR message m (its payload) says, nil
// for an acknowledgement: the errno, after the type of the message refused.
func ackError(m []byte) error {
	if len(m) < 4 {
		return errors.New("the kernel's answer: a truncated error message")
	}
	err := errnoOf(m)
	if err == nil {
		return nil
	}
	if len(m) < 4+unix.NLMSG_HDRLEN {
		return err
	}
	return fmt.Errorf("%s: %w", msgName(binary.NativeEndian.Uint16(m[8:])), err)
}

// msgName names a message type of a transaction, as the library's errors did.
func msgName(typ uint16) string {
	switch typ {
	case unix.NFNL_MSG_BATCH_BEGIN:
		return "NFNL_MSG_BATCH_BEGIN"
	case unix.NFNL_MSG_BATCH_END:
		return "NFNL_MSG_BATCH_END"
	}
	names := map[uint16]string{
		unix.NFT_MSG_NEWTABLE: "NFT_MSG_NEWTABLE", unix.NFT_MSG_DELTABLE: "NFT_MSG_DELTABLE",
		unix.NFT_MSG_NEWCHAIN: "NFT_MSG_NEWCHAIN", unix.NFT_MSG_DELCHAIN: "NFT_MSG_DELCHAIN",
		unix.NFT_MSG_NEWRULE: "NFT_MSG_NEWRULE", unix.NFT_MSG_DELRULE: "NFT_MSG_DELRULE",
		unix.NFT_MSG_NEWSET: "NFT_MSG_NEWSET", unix.NFT_MSG_DELSET: "NFT_MSG_DELSET",
		unix.NFT_MSG_NEWSETELEM: "NFT_MSG_NEWSETELEM", nftMsgDestroySetElem: "NFT_MSG_DESTROYSETELEM",
	}
	if typ>>8 == unix.NFNL_SUBSYS_NFTABLES {
		if n, ok := names[typ&0xff]; ok {
			return n
		}
	}
	return fmt.Sprintf("message type %#x", typ)
}
