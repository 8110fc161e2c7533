package enforcer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Reading a run map's elements with a socket of aclsh's own.
//
// google/nftables reads a set's elements by messages of the size the kernel
// first chooses (about a page: its receive peeks at each message and reads
// exactly that much, so the kernel never learns that a larger buffer waits),
// and decodes each element into a SetElement through an attribute decoder with
// closures and allocations: at a million elements (a sharded blocklist) that
// is most of show's time. elemDumper asks for the same dump and reads it in
// 32 KiB messages (the most the kernel fills for a dump: it sizes them by the
// largest read the socket has seen), decoding only what a run map's element
// carries: its key range, its comment and its counter.

// elemDumper dumps run maps' elements; one is opened per read of the table.
type elemDumper struct {
	c   *netlink.Conn
	rc  syscall.RawConn
	buf []byte
	seq uint32
}

// dumpBuf is the read buffer: more than the 32 KiB the kernel fills at most.
const dumpBuf = 64 << 10

func newElemDumper(ns int) (*elemDumper, error) {
	c, err := netlink.Dial(unix.NETLINK_NETFILTER, &netlink.Config{NetNS: ns})
	if err != nil {
		return nil, err
	}
	rc, err := c.SyscallConn()
	if err != nil {
		c.Close()
		return nil, err
	}
	return &elemDumper{c: c, rc: rc, buf: make([]byte, dumpBuf)}, nil
}

func (d *elemDumper) Close() error { return d.c.Close() }

// runElems adds the elements of run map set of table inet aclsh to out, by key
// range (Elem.id): their comments and counters.
//
// Equivalent to: nft list map inet aclsh SET.
func (d *elemDumper) runElems(set string, out map[string]krun) error {
	d.seq++
	ae := netlink.NewAttributeEncoder()
	ae.String(unix.NFTA_SET_ELEM_LIST_TABLE, Table)
	ae.String(unix.NFTA_SET_ELEM_LIST_SET, set)
	attrs, err := ae.Encode()
	if err != nil {
		return err
	}
	msg := make([]byte, 16, 16+4+len(attrs))
	msg = append(msg, unix.NFPROTO_INET, unix.NFNETLINK_V0, 0, 0)
	msg = append(msg, attrs...)
	binary.NativeEndian.PutUint32(msg[0:], uint32(len(msg)))
	binary.NativeEndian.PutUint16(msg[4:], unix.NFNL_SUBSYS_NFTABLES<<8|unix.NFT_MSG_GETSETELEM)
	binary.NativeEndian.PutUint16(msg[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	binary.NativeEndian.PutUint32(msg[8:], d.seq)
	var serr error
	if err := d.rc.Write(func(fd uintptr) bool {
		serr = unix.Sendto(int(fd), msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
		return serr != unix.EAGAIN
	}); err != nil {
		return err
	}
	if serr != nil {
		return serr
	}
	for {
		var n int
		var rerr error
		if err := d.rc.Read(func(fd uintptr) bool {
			n, _, rerr = unix.Recvfrom(int(fd), d.buf, 0)
			return rerr != unix.EAGAIN
		}); err != nil {
			return err
		}
		if rerr != nil {
			return rerr
		}
		b := d.buf[:n]
		for len(b) >= unix.NLMSG_HDRLEN {
			l := int(binary.NativeEndian.Uint32(b))
			typ := binary.NativeEndian.Uint16(b[4:])
			if l < unix.NLMSG_HDRLEN || l > len(b) {
				return errors.New("set dump: a truncated netlink message")
			}
			m := b[unix.NLMSG_HDRLEN:l]
			b = b[min(align4(l), len(b)):]
			switch typ {
			case unix.NLMSG_DONE:
				return nil
			case unix.NLMSG_ERROR:
				if len(m) >= 4 {
					if code := int32(binary.NativeEndian.Uint32(m)); code != 0 {
						return syscall.Errno(-code)
					}
				}
				return nil
			}
			if len(m) < 4 {
				continue
			}
			if err := elemsOf(m[4:], out); err != nil {
				return err
			}
		}
	}
}

// Attribute numbers x/sys/unix does not name (linux/netfilter/nf_tables.h,
// linux/netlink.h).
const (
	nlaTypeMask            = 0x3fff // without NLA_F_NESTED and NLA_F_NET_BYTEORDER
	nftaSetElemKeyEnd      = 10
	nftaSetElemExpressions = 11
)

func align4(n int) int { return (n + 3) &^ 3 }

// attrs calls f with each attribute of b (type without flags, payload).
func attrs(b []byte, f func(typ uint16, v []byte) error) error {
	for len(b) >= 4 {
		l := int(binary.NativeEndian.Uint16(b))
		typ := binary.NativeEndian.Uint16(b[2:]) & nlaTypeMask
		if l < 4 || l > len(b) {
			return fmt.Errorf("set dump: a truncated attribute (type %d)", typ)
		}
		if err := f(typ, b[4:l]); err != nil {
			return err
		}
		b = b[min(align4(l), len(b)):]
	}
	return nil
}

// elemsOf adds the elements of one NFT_MSG_NEWSETELEM message (its attributes)
// to out.
func elemsOf(b []byte, out map[string]krun) error {
	return attrs(b, func(typ uint16, v []byte) error {
		if typ != unix.NFTA_SET_ELEM_LIST_ELEMENTS {
			return nil
		}
		return attrs(v, func(typ uint16, v []byte) error {
			if typ != unix.NFTA_LIST_ELEM {
				return nil
			}
			var key, end []byte
			var kr krun
			err := attrs(v, func(typ uint16, v []byte) error {
				switch typ {
				case unix.NFTA_SET_ELEM_KEY, nftaSetElemKeyEnd:
					return attrs(v, func(t uint16, data []byte) error {
						if t == unix.NFTA_DATA_VALUE {
							if typ == unix.NFTA_SET_ELEM_KEY {
								key = data
							} else {
								end = data
							}
						}
						return nil
					})
				case unix.NFTA_SET_ELEM_USERDATA:
					kr.line = comment(v)
				case unix.NFTA_SET_ELEM_EXPR:
					return counterOf(v, &kr.cnt)
				case nftaSetElemExpressions:
					return attrs(v, func(t uint16, v []byte) error {
						if t == unix.NFTA_LIST_ELEM {
							return counterOf(v, &kr.cnt)
						}
						return nil
					})
				}
				return nil
			})
			if err != nil {
				return err
			}
			out[string(key)+string(end)] = kr
			return nil
		})
	})
}

// counterOf adds the counter of expression b (its attributes), if it is one,
// to c.
func counterOf(b []byte, c *Counter) error {
	var name string
	var data []byte
	if err := attrs(b, func(typ uint16, v []byte) error {
		switch typ {
		case unix.NFTA_EXPR_NAME:
			name = unix.ByteSliceToString(v)
		case unix.NFTA_EXPR_DATA:
			data = v
		}
		return nil
	}); err != nil || name != "counter" {
		return err
	}
	return attrs(data, func(typ uint16, v []byte) error {
		if len(v) < 8 {
			return nil
		}
		switch typ {
		case unix.NFTA_COUNTER_PACKETS:
			c.Packets += binary.BigEndian.Uint64(v)
		case unix.NFTA_COUNTER_BYTES:
			c.Bytes += binary.BigEndian.Uint64(v)
		}
		return nil
	})
}
