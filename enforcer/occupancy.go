package enforcer

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/google/nftables"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// SetUse is how many sources (prefixes, for a line with a mask) a connlimit line
// tracks in the kernel against the size of its sets. New sources go to the line's
// set; a source with sessions from before the line was applied is tracked in the
// set of its offset instead. When the line's set is full the kernel adds no
// source to it: sources not in it are not limited by the line (a permit admits
// their new connections, a deny no longer drops them) until entries go, about a
// second after a source's last counted connection ends.
type SetUse struct {
	Used int // sources tracked, in all of the line's sets
	Size int // the size of each of the line's sets
	New  int // sources in the set new sources go to
}

// Full reports whether the line's set takes no new source.
func (u SetUse) Full() bool { return u.Size > 0 && u.New >= u.Size }

// NearFull reports whether the line's set is at least 90% full.
func (u SetUse) NearFull() bool { return u.Size > 0 && u.New*10 >= u.Size*9 }

// Percent is New as a share of Size, rounded down: how full the set that takes
// new sources is.
func (u SetUse) Percent() int {
	if u.Size == 0 {
		return 0
	}
	return u.New * 100 / u.Size
}

// lineUses sums the uses of the lines' sets (by set name) per line ID.
func lineUses(limits []*Limit, sets map[string]SetUse) map[string]SetUse {
	out := map[string]SetUse{}
	for _, l := range limits {
		main, ok := sets[l.Set()]
		if !ok {
			continue
		}
		u := SetUse{Used: main.Used, Size: main.Size, New: main.Used}
		for name, b := range sets {
			if strings.HasPrefix(name, l.Set()+"_") {
				u.Used += b.Used
			}
		}
		out[l.ID] = u
	}
	return out
}

// nftaSetCount is NFTA_SET_COUNT, the number of elements the kernel reports for
// a set (newer kernels; not in x/sys yet).
const nftaSetCount = 20

// setUses returns the element count (Used) and size of the connection-limit sets
// of table inet aclsh, by name, from one dump of the table's sets: the kernel
// reports each set's size and element count. A kernel that does not report the
// count gets the set's elements listed and counted (through c).
//
// Equivalent to: nft list sets inet aclsh (newer nft prints "size N # count M").
func (e *Enforcer) setUses(c *nftables.Conn) (map[string]SetUse, error) {
	nl, err := netlink.Dial(unix.NETLINK_NETFILTER, &netlink.Config{NetNS: e.NetNS})
	if err != nil {
		return nil, wrapKernel(err)
	}
	defer nl.Close()
	ae := netlink.NewAttributeEncoder()
	ae.String(unix.NFTA_SET_TABLE, Table)
	attrs, err := ae.Encode()
	if err != nil {
		return nil, err
	}
	msgs, err := nl.Execute(netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | unix.NFT_MSG_GETSET), Flags: netlink.Request | netlink.Dump},
		Data:   append([]byte{unix.NFPROTO_INET, unix.NFNETLINK_V0, 0, 0}, attrs...),
	})
	if err != nil {
		return nil, wrapKernel(err)
	}
	out := map[string]SetUse{}
	for _, m := range msgs {
		if len(m.Data) < 4 {
			continue
		}
		ad, err := netlink.NewAttributeDecoder(m.Data[4:])
		if err != nil {
			return nil, err
		}
		var tbl, name string
		u, counted := SetUse{}, false
		for ad.Next() {
			switch ad.Type() {
			case unix.NFTA_SET_TABLE:
				tbl = ad.String()
			case unix.NFTA_SET_NAME:
				name = ad.String()
			case unix.NFTA_SET_DESC:
				ad.Nested(func(nd *netlink.AttributeDecoder) error {
					nd.ByteOrder = binary.BigEndian
					for nd.Next() {
						if nd.Type() == unix.NFTA_SET_DESC_SIZE {
							u.Size = int(nd.Uint32())
						}
					}
					return nil
				})
			case nftaSetCount:
				if b := ad.Bytes(); len(b) == 4 {
					u.Used, counted = int(binary.BigEndian.Uint32(b)), true
				}
			}
		}
		if err := ad.Err(); err != nil {
			return nil, fmt.Errorf("reading the sets of table inet %s: %w", Table, err)
		}
		if tbl != Table || !strings.HasPrefix(name, "cnt_") {
			continue
		}
		if !counted {
			els, err := c.GetSetElements(&nftables.Set{Table: table, Name: name})
			if err != nil {
				return nil, wrapKernel(err)
			}
			u.Used = len(els)
		}
		out[name] = u
	}
	return out, nil
}
