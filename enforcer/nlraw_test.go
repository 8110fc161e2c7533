package enforcer

import (
	"encoding/binary"
	"errors"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestNextMsg: the messages of a read are split at their lengths with their
// header's fields; a dump's done message with an errno in it (the set deleted
// while it was dumped) says that errno, a plain one none; a message longer
// than the read is refused.
func TestNextMsg(t *testing.T) {
	msg := func(typ, flags uint16, seq uint32, data []byte) []byte {
		b := binary.NativeEndian.AppendUint32(nil, uint32(unix.NLMSG_HDRLEN+len(data)))
		b = binary.NativeEndian.AppendUint16(b, typ)
		b = binary.NativeEndian.AppendUint16(b, flags)
		b = binary.NativeEndian.AppendUint32(b, seq)
		b = binary.NativeEndian.AppendUint32(b, 0)
		b = append(b, data...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		return b
	}
	code := -int32(syscall.ENOENT)
	enoent := binary.NativeEndian.AppendUint32(nil, uint32(code))
	b := append(msg(7, unix.NLM_F_DUMP_INTR, 3, []byte{1, 2, 3}), msg(unix.NLMSG_DONE, 0, 4, enoent)...)
	b = append(b, msg(unix.NLMSG_DONE, 0, 5, make([]byte, 4))...)
	m, rest, err := nextMsg(b)
	if err != nil || m.typ != 7 || m.flags != unix.NLM_F_DUMP_INTR || m.seq != 3 || string(m.data) != "\x01\x02\x03" {
		t.Fatalf("first: %+v %v", m, err)
	}
	m, rest, err = nextMsg(rest)
	if err != nil || m.typ != unix.NLMSG_DONE || !errors.Is(errnoOf(m.data), syscall.ENOENT) {
		t.Fatalf("done with ENOENT: %+v %v %v", m, err, errnoOf(m.data))
	}
	m, rest, err = nextMsg(rest)
	if err != nil || m.seq != 5 || errnoOf(m.data) != nil || len(rest) != 0 {
		t.Fatalf("plain done: %+v %v %v rest %d", m, err, errnoOf(m.data), len(rest))
	}
	long := msg(7, 0, 6, make([]byte, 8))
	if _, _, err := nextMsg(long[:unix.NLMSG_HDRLEN+4]); !errors.Is(err, errTruncated) {
		t.Fatalf("truncated: %v", err)
	}
}
