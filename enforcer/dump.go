package enforcer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/google/nftables/userdata"
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
// carries: its key range, its comment and its counter. The kernel fills a dump
// in the thread that reads it, so readRuns reads the maps on a socket a CPU.

// elemDumper dumps run maps' elements; readRuns opens one or more per read of
// the table. One dumper reads one map at a time.
type elemDumper struct {
	c     *netlink.Conn
	rc    syscall.RawConn
	buf   []byte
	seq   uint32
	elems elemBuf // the elements of the set being read
}

// dumpBuf is the read buffer: more than the 32 KiB the kernel fills at most.
const dumpBuf = 64 << 10

func newElemDumper(ns int) (*elemDumper, error) {
	c, rc, err := dialRaw(ns)
	if err != nil {
		return nil, err
	}
	return &elemDumper{c: c, rc: rc, buf: make([]byte, dumpBuf)}, nil
}

func (d *elemDumper) Close() error { return d.c.Close() }

// runRead is a run map to read: its name and the state its elements go to.
type runRead struct {
	set string
	k   *kset
}

// maxDumpers is the most sockets readRuns reads with at once.
const maxDumpers = 4

// readRuns reads the elements of the run maps of reads into their states' runs
// (counted: only the elements with counters, see runElems), on up to dumpers
// sockets at once; dumpers 0 is one a CPU, at most maxDumpers. The kernel fills
// a dump in the thread that reads it, and a sharded blocklist has hundreds of
// maps: a socket on each core reads them in parallel. Each map is read whole
// by one socket, so its elements are those of one dump, as with one socket.
func readRuns(ns, dumpers int, reads []runRead, counted bool) error {
	if dumpers <= 0 {
		dumpers = min(runtime.GOMAXPROCS(0), maxDumpers)
	}
	dumpers = max(min(dumpers, len(reads)), 1)
	if len(reads) == 0 {
		return nil
	}
	// the sockets are opened here, in this thread's namespace if ns is 0
	ds := make([]*elemDumper, dumpers)
	for i := range ds {
		d, err := newElemDumper(ns)
		if err != nil {
			for _, d := range ds[:i] {
				d.Close()
			}
			return err
		}
		ds[i] = d
	}
	defer func() {
		for _, d := range ds {
			d.Close()
		}
	}()
	var next atomic.Int64 // the index of the next map to read
	var failed atomic.Bool
	errs := make([]error, dumpers)
	read := func(i int) {
		for !failed.Load() {
			j := int(next.Add(1) - 1)
			if j >= len(reads) {
				return
			}
			runs, err := ds[i].runElems(reads[j].set, counted)
			if err != nil {
				errs[i] = err
				failed.Store(true)
				return
			}
			reads[j].k.runs = runs
		}
	}
	var wg sync.WaitGroup
	for i := 1; i < dumpers; i++ {
		wg.Go(func() { read(i) })
	}
	read(0)
	wg.Wait()
	return errors.Join(errs...)
}

// runElems returns the elements of run map set of table inet aclsh by key
// range (Elem.id): their comments and counters. counted keeps only the
// elements whose counter is not zero (a read for show's counters: a line with
// no matches adds nothing, and a blocklist's million lines mostly have none).
//
// Equivalent to: nft list map inet aclsh SET.
func (d *elemDumper) runElems(set string, counted bool) (map[string]krun, error) {
	d.seq++
	ae := netlink.NewAttributeEncoder()
	ae.String(unix.NFTA_SET_ELEM_LIST_TABLE, Table)
	ae.String(unix.NFTA_SET_ELEM_LIST_SET, set)
	attrs, err := ae.Encode()
	if err != nil {
		return nil, err
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
		return nil, err
	}
	if serr != nil {
		return nil, serr
	}
	d.elems.reset(counted)
	for {
		var n int
		var rerr error
		if err := d.rc.Read(func(fd uintptr) bool {
			n, _, rerr = unix.Recvfrom(int(fd), d.buf, 0)
			return rerr != unix.EAGAIN
		}); err != nil {
			return nil, err
		}
		if rerr != nil {
			return nil, rerr
		}
		b := d.buf[:n]
		for len(b) >= unix.NLMSG_HDRLEN {
			var m nlMsg
			if m, b, err = nextMsg(b); err != nil {
				return nil, fmt.Errorf("set dump: %w", err)
			}
			if m.flags&unix.NLM_F_DUMP_INTR != 0 {
				// the set changed while it was dumped: what was read is not it
				return nil, syscall.ERESTART
			}
			switch m.typ {
			case unix.NLMSG_DONE, unix.NLMSG_ERROR:
				// a dump that failed part way (the set deleted meanwhile)
				// ends with the error in its done message
				if err := errnoOf(m.data); err != nil {
					return nil, err
				}
				return d.elems.runs(), nil
			}
			if len(m.data) < 4 {
				continue
			}
			if err := d.elems.add(m.data[4:]); err != nil {
				return nil, err
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

// elemBuf gathers the elements of one set's dump. Their keys and comments are
// copied into one buffer and the map is made at its size once the dump is
// done: one string and one map allocation a set, not a string an element and
// a map that grows (a shard has thousands of elements).
type elemBuf struct {
	counted bool   // keep only elements with a counter that is not zero
	text    []byte // each element's key, key end and comment, one after another
	at      []elemAt
}

// elemAt is an element in elemBuf: its key range is text[start:key], its
// comment text[key:end].
type elemAt struct {
	start, key, end int
	cnt             Counter
}

func (e *elemBuf) reset(counted bool) {
	e.counted, e.text, e.at = counted, e.text[:0], e.at[:0]
}

// runs returns the elements gathered as a run set's elements by key range.
func (e *elemBuf) runs() map[string]krun {
	text := string(e.text)
	out := make(map[string]krun, len(e.at))
	for _, a := range e.at {
		out[text[a.start:a.key]] = krun{line: text[a.key:a.end], cnt: a.cnt}
	}
	return out
}

// add gathers the elements of one NFT_MSG_NEWSETELEM message (its attributes).
func (e *elemBuf) add(b []byte) error {
	return attrs(b, func(typ uint16, v []byte) error {
		if typ != unix.NFTA_SET_ELEM_LIST_ELEMENTS {
			return nil
		}
		return attrs(v, func(typ uint16, v []byte) error {
			if typ != unix.NFTA_LIST_ELEM {
				return nil
			}
			var key, end, ud []byte
			var cnt Counter
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
					ud = v
				case unix.NFTA_SET_ELEM_EXPR:
					return counterOf(v, &cnt)
				case nftaSetElemExpressions:
					return attrs(v, func(t uint16, v []byte) error {
						if t == unix.NFTA_LIST_ELEM {
							return counterOf(v, &cnt)
						}
						return nil
					})
				}
				return nil
			})
			if err != nil || e.counted && cnt == (Counter{}) {
				return err
			}
			a := elemAt{start: len(e.text), cnt: cnt}
			e.text = append(append(e.text, key...), end...)
			a.key = len(e.text)
			e.text = append(e.text, commentOf(ud)...)
			a.end = len(e.text)
			e.at = append(e.at, a)
			return nil
		})
	})
}

// commentOf returns the comment in userdata ud (without its final NUL), or
// nil if there is none or ud is truncated: what comment reads.
func commentOf(ud []byte) []byte {
	for len(ud) >= 2 {
		typ, l := ud[0], int(ud[1])
		if len(ud) < 2+l {
			return nil
		}
		if typ == byte(userdata.TypeComment) {
			c, _ := bytes.CutSuffix(ud[2:2+l], []byte{0})
			return c
		}
		ud = ud[2+l:]
	}
	return nil
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
