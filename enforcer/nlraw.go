package enforcer

import (
	"encoding/binary"
	"errors"
	"syscall"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// What aclsh reads and writes on netfilter netlink sockets of its own (the
// set dumps of elemDumper, the transactions of txSock), where the library
// would make objects of every message.

// dialRaw opens a NETLINK_NETFILTER socket in network namespace ns (0: this
// process's) and its raw connection.
func dialRaw(ns int) (*netlink.Conn, syscall.RawConn, error) {
	c, err := netlink.Dial(unix.NETLINK_NETFILTER, &netlink.Config{NetNS: ns})
	if err != nil {
		return nil, nil, err
	}
	rc, err := c.SyscallConn()
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, rc, nil
}

// nlMsg is a netlink message: its header's type, flags and sequence number,
// and its payload.
type nlMsg struct {
	typ, flags uint16
	seq        uint32
	data       []byte
}

// errTruncated says a netlink message is longer than what holds it.
var errTruncated = errors.New("a truncated netlink message")

// nextMsg returns the first netlink message of b (at least NLMSG_HDRLEN
// bytes) and what follows it.
func nextMsg(b []byte) (nlMsg, []byte, error) {
	l := int(binary.NativeEndian.Uint32(b))
	if l < unix.NLMSG_HDRLEN || l > len(b) {
		return nlMsg{}, nil, errTruncated
	}
	m := nlMsg{typ: binary.NativeEndian.Uint16(b[4:]), flags: binary.NativeEndian.Uint16(b[6:]),
		seq: binary.NativeEndian.Uint32(b[8:]), data: b[unix.NLMSG_HDRLEN:l]}
	return m, b[min(align4(l), len(b)):], nil
}

// errnoOf returns the errno an NLMSG_ERROR or NLMSG_DONE payload carries
// (nil: none, an acknowledgement or a dump's end).
func errnoOf(data []byte) error {
	if len(data) < 4 {
		return nil
	}
	if code := int32(binary.NativeEndian.Uint32(data)); code != 0 {
		return syscall.Errno(-code)
	}
	return nil
}
