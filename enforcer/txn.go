package enforcer

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"

	"github.com/aclsh/aclsh/acl"
)

// Encoding a transaction with aclsh's own code.
//
// google/nftables builds each set element from a SetElement through a
// netlink.Attribute slice per level (about ten small allocations an element),
// and mdlayher/netlink then concatenates every message of the batch by append:
// at a million elements that was about half of Apply's own CPU and 0.9 GB
// allocated. A txn writes the same messages, attribute for attribute (the
// tests compare them with the library's), straight into one buffer that is
// sent as it is, in one sendmsg (txsock.go). Tables, chains, sets and rules are
// few: they are described with the library's types (chainObj, setObj) and
// their expressions marshalled by expr.Marshal; elements are written from the
// plan's Elem with no allocation of their own.

// txn is one transaction being encoded: NFNL_MSG_BATCH_BEGIN (with the
// ruleset generation it is valid at), the messages of the ops, and
// NFNL_MSG_BATCH_END, each message numbered from seq.
type txn struct {
	b     []byte
	first uint32 // the sequence number of the batch's begin
	seq   uint32 // the sequence number of the next message
	// ids is the last transaction id given (sets, rules), as the library
	// counts them on its connection.
	ids *uint32
	msg int // offset of the message being written
	// echo gives, by sequence number, the ops whose new rule the kernel
	// echoes with its handle.
	echo map[uint32]*op
	// msgs counts the messages between the batch's begin and end.
	msgs    int
	scratch []byte
}

// Attribute numbers and flags x/sys/unix does not name (linux/netfilter/nf_tables.h).
const (
	nftMsgDestroySetElem = 0x1e // NFT_MSG_DESTROYSETELEM
	nftSetConcat         = 0x80
	nftaSetDescConcat    = 2
	nftaSetExpr          = 0x11 // what the library calls NFTA_SET_ELEM_EXPRESSIONS
	// maxElemBatch is the most bytes of elements one message carries, as in
	// the library: an attribute's length is a uint16.
	maxElemBatch = 0xffff - 1024
)

// newTxn starts a transaction valid at ruleset generation gen (0: at any),
// numbering its messages from seq; ids counts transaction ids.
func newTxn(gen, seq uint32, ids *uint32) *txn {
	t := &txn{first: seq, seq: seq, ids: ids, echo: map[uint32]*op{}}
	t.batchMark(unix.NFNL_MSG_BATCH_BEGIN, gen)
	return t
}

// batchMark writes a batch's begin or end message.
func (t *txn) batchMark(typ uint16, gen uint32) {
	t.head(typ, unix.NLM_F_REQUEST, unix.AF_UNSPEC, unix.NFNL_SUBSYS_NFTABLES)
	if gen > 0 {
		t.u32(unix.NFNL_BATCH_GENID, gen)
	}
	t.done()
}

// finish ends the batch (gen as at newTxn) and returns its bytes.
func (t *txn) finish(gen uint32) []byte {
	t.batchMark(unix.NFNL_MSG_BATCH_END, gen)
	return t.b
}

// head starts a message: its netlink header and the nfgenmsg of nftables.
func (t *txn) head(typ, flags uint16, family uint8, resID uint16) {
	t.msg = len(t.b)
	t.b = binary.NativeEndian.AppendUint32(t.b, 0) // length, set by done
	t.b = binary.NativeEndian.AppendUint16(t.b, typ)
	t.b = binary.NativeEndian.AppendUint16(t.b, flags)
	t.b = binary.NativeEndian.AppendUint32(t.b, t.seq)
	t.b = binary.NativeEndian.AppendUint32(t.b, 0) // port id: the kernel's
	t.seq++
	t.b = append(t.b, family, unix.NFNETLINK_V0)
	t.b = binary.BigEndian.AppendUint16(t.b, resID)
}

// nft starts a message of nftables of type typ (NFT_MSG_*) about table inet aclsh.
func (t *txn) nft(typ, flags uint16) {
	t.head(unix.NFNL_SUBSYS_NFTABLES<<8|typ, flags, byte(nftables.TableFamilyINet), 0)
	t.msgs++
}

// done sets the length of the message being written.
func (t *txn) done() {
	binary.NativeEndian.PutUint32(t.b[t.msg:], uint32(len(t.b)-t.msg))
}

// attr writes an attribute with payload v, padded to four bytes as
// netlink.MarshalAttributes pads it.
func (t *txn) attr(typ uint16, v []byte) {
	t.b = binary.NativeEndian.AppendUint16(t.b, uint16(4+len(v)))
	t.b = binary.NativeEndian.AppendUint16(t.b, typ)
	t.b = append(t.b, v...)
	t.pad()
}

func (t *txn) pad() {
	for len(t.b)%4 != 0 {
		t.b = append(t.b, 0)
	}
}

// str writes a string attribute, NUL-terminated.
func (t *txn) str(typ uint16, s string) {
	t.b = binary.NativeEndian.AppendUint16(t.b, uint16(4+len(s)+1))
	t.b = binary.NativeEndian.AppendUint16(t.b, typ)
	t.b = append(t.b, s...)
	t.b = append(t.b, 0)
	t.pad()
}

// u32 and u64 write a number attribute in network byte order.
func (t *txn) u32(typ uint16, v uint32) {
	t.b = binary.NativeEndian.AppendUint16(t.b, 8)
	t.b = binary.NativeEndian.AppendUint16(t.b, typ)
	t.b = binary.BigEndian.AppendUint32(t.b, v)
}

func (t *txn) u64(typ uint16, v uint64) {
	t.b = binary.NativeEndian.AppendUint16(t.b, 12)
	t.b = binary.NativeEndian.AppendUint16(t.b, typ)
	t.b = binary.BigEndian.AppendUint64(t.b, v)
}

// nest opens an attribute (typ with its flags) whose payload the next writes
// are; close(at) with what nest returned sets its length.
func (t *txn) nest(typ uint16) int {
	at := len(t.b)
	t.b = binary.NativeEndian.AppendUint16(t.b, 0)
	t.b = binary.NativeEndian.AppendUint16(t.b, typ)
	return at
}

func (t *txn) close(at int) {
	binary.NativeEndian.PutUint16(t.b[at:], uint16(len(t.b)-at))
}

// udString writes userdata TLV typ: s NUL-terminated (userdata.AppendString).
func (t *txn) udString(typ userdata.Type, s string) {
	t.b = append(t.b, byte(typ), byte(len(s)+1))
	t.b = append(t.b, s...)
	t.b = append(t.b, 0)
}

// id returns a new transaction id.
func (t *txn) id() uint32 {
	*t.ids++
	if *t.ids == 0 {
		*t.ids = 1
	}
	return *t.ids
}

// Equivalent to: nft add table inet aclsh.
func (t *txn) addTable() {
	t.nft(unix.NFT_MSG_NEWTABLE, unix.NLM_F_REQUEST|unix.NLM_F_CREATE)
	t.str(unix.NFTA_TABLE_NAME, Table)
	t.u32(unix.NFTA_TABLE_FLAGS, 0)
	t.done()
}

// Equivalent to: nft delete table inet aclsh.
func (t *txn) delTable() {
	t.nft(unix.NFT_MSG_DELTABLE, unix.NLM_F_REQUEST)
	t.str(unix.NFTA_TABLE_NAME, Table)
	t.u32(unix.NFTA_TABLE_FLAGS, 0)
	t.done()
}

// addChain adds chain c (chainObj): a base chain with its hook, priority,
// policy and type.
func (t *txn) addChain(c *nftables.Chain) {
	t.nft(unix.NFT_MSG_NEWCHAIN, unix.NLM_F_REQUEST|unix.NLM_F_CREATE)
	t.str(unix.NFTA_CHAIN_TABLE, Table)
	t.str(unix.NFTA_CHAIN_NAME, c.Name)
	if c.Hooknum != nil && c.Priority != nil {
		at := t.nest(unix.NLA_F_NESTED | unix.NFTA_CHAIN_HOOK)
		t.u32(unix.NFTA_HOOK_HOOKNUM, uint32(*c.Hooknum))
		t.u32(unix.NFTA_HOOK_PRIORITY, uint32(*c.Priority))
		if c.Device != "" {
			t.str(unix.NFTA_HOOK_DEV, c.Device)
		}
		t.close(at)
	}
	if c.Policy != nil {
		t.u32(unix.NFTA_CHAIN_POLICY, uint32(*c.Policy))
	}
	if c.Type != "" {
		t.str(unix.NFTA_CHAIN_TYPE, string(c.Type))
	}
	t.done()
}

// delChain deletes chain name.
func (t *txn) delChain(name string) {
	t.nft(unix.NFT_MSG_DELCHAIN, unix.NLM_F_REQUEST)
	t.str(unix.NFTA_CHAIN_TABLE, Table)
	t.str(unix.NFTA_CHAIN_NAME, name)
	t.done()
}

// flushChain deletes the rules of chain name.
func (t *txn) flushChain(name string) {
	t.nft(unix.NFT_MSG_DELRULE, unix.NLM_F_REQUEST)
	t.str(unix.NFTA_RULE_TABLE, Table)
	t.str(unix.NFTA_RULE_CHAIN, name)
	t.done()
}

// delSet deletes set name.
func (t *txn) delSet(name string) {
	t.nft(unix.NFT_MSG_DELSET, unix.NLM_F_REQUEST)
	t.str(unix.NFTA_SET_TABLE, Table)
	t.str(unix.NFTA_SET_NAME, name)
	t.done()
}

// addSet adds set s, as the library's AddSet does (n: how many elements a
// constant set is given); s gets its transaction id, and an anonymous set its
// name.
func (t *txn) addSet(s *nftables.Set, n int) {
	if s.ID == 0 {
		s.ID = t.id()
		if s.Anonymous {
			s.Name = "__set%d"
			if s.IsMap {
				s.Name = "__map%d"
			}
		}
	}
	var flags uint32
	for _, f := range []struct {
		on   bool
		flag uint32
	}{{s.Anonymous, unix.NFT_SET_ANONYMOUS}, {s.Constant, unix.NFT_SET_CONSTANT}, {s.Interval, unix.NFT_SET_INTERVAL},
		{s.IsMap, unix.NFT_SET_MAP}, {s.HasTimeout, unix.NFT_SET_TIMEOUT}, {s.Dynamic, unix.NFT_SET_EVAL},
		{s.Concatenation, nftSetConcat}} {
		if f.on {
			flags |= f.flag
		}
	}
	t.nft(unix.NFT_MSG_NEWSET, unix.NLM_F_REQUEST|unix.NLM_F_CREATE)
	t.str(unix.NFTA_SET_TABLE, Table)
	t.str(unix.NFTA_SET_NAME, s.Name)
	t.u32(unix.NFTA_SET_FLAGS, flags)
	t.u32(unix.NFTA_SET_KEY_TYPE, s.KeyType.GetNFTMagic())
	t.u32(unix.NFTA_SET_KEY_LEN, s.KeyType.Bytes)
	t.u32(unix.NFTA_SET_ID, s.ID)
	if s.IsMap {
		if s.DataType.GetNFTMagic() == nftables.TypeVerdict.GetNFTMagic() {
			t.u32(unix.NFTA_SET_DATA_TYPE, uint32(unix.NFT_DATA_VERDICT))
		} else {
			t.u32(unix.NFTA_SET_DATA_TYPE, s.DataType.GetNFTMagic())
		}
		t.u32(unix.NFTA_SET_DATA_LEN, s.DataType.Bytes)
	}
	if s.HasTimeout && s.Timeout != 0 {
		t.u64(unix.NFTA_SET_TIMEOUT, uint64(s.Timeout.Milliseconds()))
	}
	if s.Constant {
		// the number of elements, as nft gives a constant set
		at := t.nest(unix.NLA_F_NESTED | unix.NFTA_SET_DESC)
		t.u32(unix.NFTA_DATA_VALUE, uint32(n))
		t.close(at)
	}
	if s.Size > 0 || s.Concatenation {
		at := t.nest(unix.NLA_F_NESTED | unix.NFTA_SET_DESC)
		if s.Size > 0 {
			t.u32(unix.NFTA_SET_DESC_SIZE, s.Size)
		}
		if s.Concatenation {
			// the length of each field of the key
			c := t.nest(unix.NLA_F_NESTED | nftaSetDescConcat)
			for _, f := range nftables.ConcatSetTypeElements(s.KeyType) {
				d := t.nest(unix.NFTA_SET_DESC_SIZE)
				t.u32(unix.NFTA_DATA_VALUE, f.Bytes)
				t.close(d)
			}
			t.close(c)
		}
		t.close(at)
	}
	// the key's byte order, for nft's listing (binaryutil.BigEndian: 2)
	var ud []byte
	switch {
	case s.Anonymous || s.Constant || s.Interval || s.KeyByteOrder == binaryutil.BigEndian:
		ud = userdata.AppendUint32(ud, userdata.NFTNL_UDATA_SET_KEYBYTEORDER, 2)
	case s.KeyByteOrder == binaryutil.NativeEndian:
		ud = userdata.AppendUint32(ud, userdata.NFTNL_UDATA_SET_KEYBYTEORDER, 1)
	}
	if s.Interval && s.AutoMerge {
		ud = userdata.AppendUint32(ud, userdata.NFTNL_UDATA_SET_MERGE_ELEMENTS, 1)
	}
	if s.DataInterval {
		ud = userdata.AppendUint32(ud, userdata.NFTNL_UDATA_SET_DATA_INTERVAL, 1)
	}
	if s.Comment != "" {
		ud = userdata.AppendString(ud, userdata.NFTNL_UDATA_SET_COMMENT, s.Comment)
	}
	if len(ud) > 0 {
		t.attr(unix.NFTA_SET_USERDATA, ud)
	}
	if s.Counter {
		// a counter in each element; the library writes it so (the kernel
		// reads the expression's name and ignores the empty attribute)
		at := t.nest(unix.NLA_F_NESTED | nftaSetExpr)
		t.str(unix.NFTA_LIST_ELEM, "counter")
		t.attr(unix.NFTA_SET_ELEM_PAD|unix.NFTA_SET_ELEM_DATA, nil)
		t.close(at)
	}
	t.done()
}

// elemList is a list of elements being written, in as many messages as its
// size needs (maxElemBatch bytes of elements each).
type elemList struct {
	typ  uint16 // NFT_MSG_NEWSETELEM or nftMsgDestroySetElem
	set  *nftables.Set
	open bool
	list int // offset of the open message's list of elements
	size int // bytes of elements in the open message
	i    int // elements written
}

// elemVal is one element: its key (and key end), verdict, timeout, comment
// and counter. It is passed by value: nothing of it is allocated.
type elemVal struct {
	key, end []byte
	verdict  bool
	kind     expr.VerdictKind
	chain    string
	timeout  int64 // milliseconds; 0: none
	comment  string
	counter  *Counter
}

func (t *txn) openElems(l *elemList) {
	t.nft(l.typ, unix.NLM_F_REQUEST|unix.NLM_F_CREATE)
	t.str(unix.NFTA_SET_ELEM_LIST_SET, l.set.Name)
	t.u32(unix.NFTA_SET_ELEM_LIST_SET_ID, l.set.ID)
	t.str(unix.NFTA_SET_ELEM_LIST_TABLE, Table)
	l.list = t.nest(unix.NFTA_SET_ELEM_LIST_ELEMENTS | unix.NLA_F_NESTED)
	l.open, l.size = true, 0
}

func (t *txn) closeElems(l *elemList) {
	if l.open {
		t.close(l.list)
		t.done()
		l.open = false
	}
}

// elem writes element v of list l (as the library's marshalSetElement), in a
// new message when the open one is full.
func (t *txn) elem(l *elemList, v elemVal) {
	if !l.open {
		t.openElems(l)
	}
	start := len(t.b)
	// the list's attributes are numbered by the element's index in the
	// library's call (uint16: the kernel does not read the number)
	item := t.nest(uint16(l.i+1) | unix.NLA_F_NESTED)
	k := t.nest(unix.NFTA_SET_ELEM_KEY | unix.NLA_F_NESTED)
	t.attr(unix.NFTA_DATA_VALUE, v.key)
	t.close(k)
	if len(v.end) > 0 {
		k := t.nest(nftaSetElemKeyEnd | unix.NLA_F_NESTED)
		t.attr(unix.NFTA_DATA_VALUE, v.end)
		t.close(k)
	}
	if l.set.HasTimeout && v.timeout != 0 {
		t.u64(unix.NFTA_SET_ELEM_TIMEOUT, uint64(v.timeout))
	}
	if v.verdict {
		d := t.nest(unix.NFTA_SET_ELEM_DATA | unix.NLA_F_NESTED)
		vd := t.nest(unix.NFTA_SET_ELEM_DATA | unix.NLA_F_NESTED) // NFTA_DATA_VERDICT
		t.u32(unix.NFTA_DATA_VALUE, uint32(v.kind))               // NFTA_VERDICT_CODE
		if v.chain != "" {
			t.str(unix.NFTA_SET_ELEM_DATA, v.chain) // NFTA_VERDICT_CHAIN
		}
		t.close(vd)
		t.close(d)
	}
	if v.comment != "" {
		u := t.nest(unix.NFTA_SET_ELEM_USERDATA)
		t.udString(userdata.NFTNL_UDATA_SET_ELEM_COMMENT, v.comment)
		t.close(u)
		t.pad()
	}
	if v.counter != nil {
		x := t.nest(unix.NFTA_SET_ELEM_EXPR | unix.NLA_F_NESTED)
		t.str(unix.NFTA_EXPR_NAME, "counter")
		d := t.nest(unix.NLA_F_NESTED | unix.NFTA_EXPR_DATA)
		t.u64(unix.NFTA_COUNTER_BYTES, v.counter.Bytes)
		t.u64(unix.NFTA_COUNTER_PACKETS, v.counter.Packets)
		t.close(d)
		t.close(x)
	}
	t.close(item)
	size := len(t.b) - start
	if l.size+size > maxElemBatch {
		// the open message is full: the element goes in the next one
		t.scratch = append(t.scratch[:0], t.b[start:]...)
		t.b = t.b[:start]
		t.closeElems(l)
		t.openElems(l)
		t.b = append(t.b, t.scratch...)
	}
	l.size += size
	l.i++
}

// planElems writes the elements es of set s (setObj ns) as a list of type
// typ; a run map's line whose key ("/m" added) carry has gets those counters
// in its first element. A destroyed element is named by its key alone (with
// its comment, as the library sends it).
func (t *txn) planElems(typ uint16, s *Set, ns *nftables.Set, es []Elem, carry map[string][]Counter) {
	l := &elemList{typ: typ, set: ns}
	var given map[string]bool
	for _, el := range es {
		if el.Key != nil {
			// A run map's element; the map gives it its counter.
			v := elemVal{key: el.Key, end: el.End, comment: el.Line}
			if s.portSide == 0 && typ == unix.NFT_MSG_NEWSETELEM {
				v.verdict, v.kind, v.chain = true, expr.VerdictAccept, ""
				switch {
				case el.Chain != "": // a dispatch map's: to a shard's chain
					v.kind, v.chain = expr.VerdictJump, el.Chain
				case el.Act == acl.Deny:
					v.kind = expr.VerdictDrop
				}
			}
			if len(carry) > 0 {
				if cs := carry[el.Line+"/m"]; len(cs) > 0 && !given[el.Line] && !el.Count.IsZero() {
					if given == nil {
						given = map[string]bool{}
					}
					given[el.Line] = true
					v.counter = &cs[0]
				}
			}
			t.elem(l, v)
			continue
		}
		var a [16]byte
		v := elemVal{key: addrBytes(&a, el.Addr)}
		if el.Chain != "" {
			// The comment names the chain too: the library does not decode a
			// verdict element it reads back.
			v.timeout, v.comment = PreTimeout.Milliseconds(), el.Chain
			if typ == unix.NFT_MSG_NEWSETELEM {
				v.verdict, v.kind, v.chain = true, expr.VerdictGoto, el.Chain
			}
		}
		t.elem(l, v)
	}
	t.closeElems(l)
}

// encode writes ops, in order. A new rule or run element whose key carry has
// starts with those counters (carried). What the kernel is to echo (new
// rules' handles) is recorded in t.echo.
func (t *txn) encode(ops []*op, carry map[string][]Counter) error {
	// The buffer is sized once for the elements (at most what elem writes
	// for each, less a carried counter): a million are about 55 MB, which
	// growing by doubling would copy and hold twice.
	n := 0
	for _, o := range ops {
		es := o.elems
		if o.kind == opAddSet {
			es = o.set.Elems
		}
		for _, e := range es {
			key := len(e.Key)
			if e.Key == nil {
				key = 16
			}
			n += 12 + align4(key) + 16 + align4(len(e.Line)+7)
			if len(e.End) > 0 {
				n += 8 + align4(len(e.End))
			}
			if e.Chain != "" { // its verdict's chain, timeout and comment
				n += 4 + align4(len(e.Chain)+1) + 12 + align4(len(e.Chain)+7)
			}
		}
		n += 512
	}
	t.b = slices.Grow(t.b, n)
	added := map[string]*nftables.Set{}
	for _, o := range ops {
		switch o.kind {
		case opAddTable:
			t.addTable()
		case opDelTable:
			t.delTable()
		case opAddChain:
			t.addChain(chainObj(o.chain))
		case opDelChain:
			t.delChain(o.chain.Name)
		case opFlushChain:
			t.flushChain(o.chain.Name)
		case opAddSet:
			ns := setObj(o.set)
			t.addSet(ns, len(o.set.Elems))
			t.planElems(unix.NFT_MSG_NEWSETELEM, o.set, ns, o.set.Elems, carry)
			added[o.set.Name] = ns
		case opDelSet:
			t.delSet(o.set.Name)
		case opAddElem:
			t.planElems(unix.NFT_MSG_NEWSETELEM, o.set, setObj(o.set), o.elems, carry)
		case opDelElem:
			t.planElems(nftMsgDestroySetElem, o.set, setObj(o.set), o.elems, nil)
		case opDelRule:
			t.nft(unix.NFT_MSG_DELRULE, unix.NLM_F_REQUEST)
			t.str(unix.NFTA_RULE_TABLE, Table)
			t.str(unix.NFTA_RULE_CHAIN, o.chain.Name)
			t.u64(unix.NFTA_RULE_HANDLE, o.handle)
			t.done()
		case opReplaceRule, opInsertRule, opAddRule:
			if err := t.rule(o, added, carry[o.rule.Key]); err != nil {
				return err
			}
		}
	}
	return nil
}

// rule writes the rule of o, its anonymous sets first; its lookups and
// dynsets name the sets of this batch by their transaction ids.
func (t *txn) rule(o *op, added map[string]*nftables.Set, counters []Counter) error {
	exprs := slices.Clone(o.rule.Exprs)
	for i, x := range exprs {
		switch x := x.(type) {
		case *expr.Lookup:
			cp := *x
			cp.SetID = 0
			if strings.HasPrefix(x.SetName, "__anon") {
				// the rule's anonymous set, created in the same batch
				j := -1
				for k := range o.rule.Anon {
					if x.SetName == anonName(k) {
						j = k
					}
				}
				if j < 0 {
					return fmt.Errorf("rule %s: lookup of %s: no such anonymous set", o.rule.Key, x.SetName)
				}
				a := o.rule.Anon[j]
				ns := &nftables.Set{Table: table, Anonymous: true, Constant: true, KeyType: a.Key, KeyByteOrder: binaryutil.BigEndian}
				t.addSet(ns, len(a.Elems))
				l := &elemList{typ: unix.NFT_MSG_NEWSETELEM, set: ns}
				for _, e := range a.Elems {
					t.elem(l, elemVal{key: e})
				}
				t.closeElems(l)
				cp.SetName, cp.SetID = ns.Name, ns.ID
			} else if s := added[x.SetName]; s != nil {
				cp.SetID = s.ID
			}
			exprs[i] = &cp
		case *expr.Dynset:
			cp := *x
			cp.SetID = 0
			if s := added[x.SetName]; s != nil {
				cp.SetID = s.ID
			}
			exprs[i] = &cp
		}
	}
	exprs = withCounters(exprs, counters)
	var flags uint16
	switch o.kind {
	case opReplaceRule:
		flags = unix.NLM_F_REQUEST | unix.NLM_F_REPLACE
	case opInsertRule:
		flags = unix.NLM_F_REQUEST | unix.NLM_F_CREATE | unix.NLM_F_ECHO
	default:
		flags = unix.NLM_F_REQUEST | unix.NLM_F_CREATE | unix.NLM_F_ECHO | unix.NLM_F_APPEND
	}
	if flags&unix.NLM_F_ECHO != 0 {
		t.echo[t.seq] = o
	}
	t.nft(unix.NFT_MSG_NEWRULE, flags)
	t.str(unix.NFTA_RULE_TABLE, Table)
	t.str(unix.NFTA_RULE_CHAIN, o.chain.Name)
	if o.kind == opReplaceRule {
		t.u64(unix.NFTA_RULE_HANDLE, o.handle)
	} else {
		t.u32(unix.NFTA_RULE_ID, t.id())
	}
	at := t.nest(unix.NLA_F_NESTED | unix.NFTA_RULE_EXPRESSIONS)
	for _, x := range exprs {
		switch x.(type) {
		case *expr.Match, *expr.Target:
			return fmt.Errorf("rule %s: xtables expressions are not encoded", o.rule.Key)
		}
		data, err := expr.Marshal(byte(nftables.TableFamilyINet), x)
		if err != nil {
			return fmt.Errorf("rule %s: %w", o.rule.Key, err)
		}
		t.attr(unix.NLA_F_NESTED|unix.NFTA_LIST_ELEM, data)
	}
	t.close(at)
	u := t.nest(unix.NFTA_RULE_USERDATA)
	t.udString(userdata.TypeComment, o.rule.Key)
	t.close(u)
	t.pad()
	if o.kind == opInsertRule && o.handle != 0 {
		t.u64(unix.NFTA_RULE_POSITION, o.handle)
	}
	t.done()
	return nil
}

// addrBytes returns a's bytes (4 or 16, as a.AsSlice) in the array at.
func addrBytes(at *[16]byte, a netip.Addr) []byte {
	if !a.IsValid() {
		return nil
	}
	if a.Is4() {
		b := a.As4()
		copy(at[:], b[:])
		return at[:4]
	}
	*at = a.As16()
	return at[:]
}
