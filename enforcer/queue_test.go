package enforcer

import (
	"encoding/binary"
	"errors"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// A batch aclsh could not build says so in aclsh's words: the library's message
// stays in the chain, for errors.Is and As, and off the screen.
func TestQueueErrorWording(t *testing.T) {
	cause := errors.New("rule must have a handle or ID")
	var err error = &queueError{cause}
	if got, want := err.Error(), errQueue.Error(); got != want {
		t.Errorf("queueError.Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, errQueue) || !errors.Is(err, cause) {
		t.Errorf("queueError is not errQueue and its cause")
	}
	if !errors.Is(errNoHandle, syscall.ENOENT) {
		t.Errorf("errNoHandle is not ENOENT: apply would not read the table again")
	}
}

// The kernel's error about a message of a transaction reads as the message's
// type and the errno, and stays that errno for apply's retries (ERESTART,
// ENOENT, EBUSY) and wrapKernel (EPERM).
func TestAckError(t *testing.T) {
	for _, tc := range []struct {
		typ   uint16
		errno syscall.Errno
		want  string
	}{
		{unix.NFNL_MSG_BATCH_BEGIN, syscall.ERESTART, "NFNL_MSG_BATCH_BEGIN: interrupted system call should be restarted"},
		{unix.NFNL_SUBSYS_NFTABLES<<8 | unix.NFT_MSG_NEWRULE, syscall.ENOENT, "NFT_MSG_NEWRULE: no such file or directory"},
		{unix.NFNL_SUBSYS_NFTABLES<<8 | unix.NFT_MSG_DELCHAIN, syscall.EBUSY, "NFT_MSG_DELCHAIN: device or resource busy"},
		{unix.NFNL_SUBSYS_NFTABLES<<8 | unix.NFT_MSG_NEWTABLE, syscall.EPERM, "NFT_MSG_NEWTABLE: operation not permitted"},
		{unix.NFNL_SUBSYS_NFTABLES<<8 | nftMsgDestroySetElem, syscall.EINVAL, "NFT_MSG_DESTROYSETELEM: invalid argument"},
	} {
		// an NLMSG_ERROR's payload: the negative errno and the header of
		// the message refused (NETLINK_CAP_ACK: its header only)
		m := binary.NativeEndian.AppendUint32(nil, uint32(-int32(tc.errno)))
		m = binary.NativeEndian.AppendUint32(m, 20)
		m = binary.NativeEndian.AppendUint16(m, tc.typ)
		m = append(m, make([]byte, 10)...)
		err := ackError(m)
		if err == nil || err.Error() != tc.want || !errors.Is(err, tc.errno) {
			t.Errorf("ackError(%s) = %v, want %q (errors.Is %v)", tc.errno, err, tc.want, tc.errno)
		}
	}
	eperm := -int32(syscall.EPERM)
	if err := wrapKernel(ackError(append(binary.NativeEndian.AppendUint32(nil, uint32(eperm)), make([]byte, 16)...))); !errors.Is(err, ErrPermission) {
		t.Errorf("wrapKernel(EPERM from the kernel) = %v, want ErrPermission", err)
	}
	if err := ackError(make([]byte, 20)); err != nil {
		t.Errorf("ackError(an acknowledgement) = %v, want nil", err)
	}
}
