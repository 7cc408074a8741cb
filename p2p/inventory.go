package p2p

import (
	"container/list"
	"fmt"
	"sync"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	p2pv1 "github.com/mainstake/sidenode/proto/sidenode/p2p/v1"
)

// InvType says what an inventory item names.
type InvType int32

// The inventory types, with the values of p2pv1.InventoryType.
const (
	// InvBlock names a sideblock by its hash, SHA256d of its 64-byte
	// header.
	InvBlock = InvType(p2pv1.InventoryType_INVENTORY_TYPE_BLOCK)

	// InvTx names a transaction by its txid (wire.MsgTx.TxHash, without
	// witness).
	InvTx = InvType(p2pv1.InventoryType_INVENTORY_TYPE_TX)

	// InvPegSignatures names a PegSignatures by PegSignaturesHash of its
	// psbt bytes.
	InvPegSignatures = InvType(p2pv1.InventoryType_INVENTORY_TYPE_PEG_SIGNATURES)

	// InvPos names a PosItem (a pos engine's block or attestation) by
	// PosItemHash of its data.
	InvPos = InvType(p2pv1.InventoryType_INVENTORY_TYPE_POS)
	// InvRoundMessage names a RoundMessage by RoundMessageHash of its
	// raw bytes.
	InvRoundMessage = InvType(p2pv1.InventoryType_INVENTORY_TYPE_ROUND_MESSAGE)
)

// String returns "block", "tx", "peg signatures", "round message" or the
// number.
func (t InvType) String() string {
	switch t {
	case InvBlock:
		return "block"
	case InvTx:
		return "tx"
	case InvPegSignatures:
		return "peg signatures"
	case InvPos:
		return "pos item"
	case InvRoundMessage:
		return "round message"
	}
	return fmt.Sprintf("invtype(%d)", int32(t))
}

// InvItem names a block, a transaction or a PegSignatures. It is
// comparable, so it can key a map.
type InvItem struct {
	Type InvType
	Hash chainhash.Hash
}

// BlockItem returns the InvItem of the block with the given hash.
func BlockItem(hash chainhash.Hash) InvItem {
	return InvItem{Type: InvBlock, Hash: hash}
}

// TxItem returns the InvItem of the transaction with the given txid.
func TxItem(txid chainhash.Hash) InvItem {
	return InvItem{Type: InvTx, Hash: txid}
}

// PegItem returns the InvItem of the PegSignatures whose psbt bytes hash
// to hash (PegSignaturesHash).
func PegItem(hash chainhash.Hash) InvItem {
	return InvItem{Type: InvPegSignatures, Hash: hash}
}

// PosItem returns the InvItem of the PosItem whose data hash to hash
// (PosItemHash).
func PosItem(hash chainhash.Hash) InvItem {
	return InvItem{Type: InvPos, Hash: hash}
}

// PosItemHash returns the name of a PosItem: SHA256d of its data.
func PosItemHash(data []byte) chainhash.Hash {
	return chainhash.DoubleHashH(data)
}

// PegSignaturesHash returns the name of a PegSignatures: SHA256d of its
// psbt bytes, as they travel.
func PegSignaturesHash(psbt []byte) chainhash.Hash {
	return chainhash.DoubleHashH(psbt)
}

// RoundItem returns the InvItem of the RoundMessage whose raw bytes hash
// to hash (RoundMessageHash).
func RoundItem(hash chainhash.Hash) InvItem {
	return InvItem{Type: InvRoundMessage, Hash: hash}
}

// RoundMessageHash returns the name of a RoundMessage: SHA256d of its raw
// bytes, as they travel.
func RoundMessageHash(raw []byte) chainhash.Hash {
	return chainhash.DoubleHashH(raw)
}

// String returns e.g. "block 00ab…".
func (it InvItem) String() string {
	return it.Type.String() + " " + it.Hash.String()
}

// toProto converts an InvItem to its protocol form.
func (it InvItem) toProto() *p2pv1.InventoryItem {
	h := it.Hash
	return &p2pv1.InventoryItem{
		Type: p2pv1.InventoryType(it.Type),
		Hash: h[:],
	}
}

// fromProto converts a validated protocol item to an InvItem.
func fromProto(pi *p2pv1.InventoryItem) InvItem {
	var it InvItem
	it.Type = InvType(pi.GetType())
	copy(it.Hash[:], pi.GetHash())
	return it
}

// toProtoItems converts items to their protocol form.
func toProtoItems(items []InvItem) []*p2pv1.InventoryItem {
	out := make([]*p2pv1.InventoryItem, len(items))
	for i, it := range items {
		out[i] = it.toProto()
	}
	return out
}

// chunks splits items into slices of at most n.
func chunks(items []InvItem, n int) [][]InvItem {
	var out [][]InvItem
	for len(items) > n {
		out = append(out, items[:n:n])
		items = items[n:]
	}
	if len(items) > 0 {
		out = append(out, items)
	}
	return out
}

// knownInventory is a bounded LRU set of the items a peer is known to have:
// it announced them, asked for them, sent them, or this node announced them
// to it. It also remembers which of them the peer announced, so FetchBlock
// asks those peers first.
type knownInventory struct {
	mu    sync.Mutex
	limit int
	items map[InvItem]*list.Element
	order *list.List // of *knownEntry, most recent first
}

// knownEntry is one element of a knownInventory.
type knownEntry struct {
	item      InvItem
	announced bool
}

// newKnownInventory returns an empty set holding at most limit items.
func newKnownInventory(limit int) *knownInventory {
	return &knownInventory{
		limit: limit,
		items: make(map[InvItem]*list.Element),
		order: list.New(),
	}
}

// add records it, evicting the least recent item if the set is full.
// announced marks that the peer announced it.
func (k *knownInventory) add(it InvItem, announced bool) {
	k.mu.Lock()
	defer k.mu.Unlock()

	if e, ok := k.items[it]; ok {
		if announced {
			e.Value.(*knownEntry).announced = true
		}
		k.order.MoveToFront(e)
		return
	}
	if k.order.Len() >= k.limit {
		last := k.order.Back()
		k.order.Remove(last)
		delete(k.items, last.Value.(*knownEntry).item)
	}
	k.items[it] = k.order.PushFront(&knownEntry{item: it, announced: announced})
}

// has reports whether it is in the set.
func (k *knownInventory) has(it InvItem) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	_, ok := k.items[it]
	return ok
}

// announced reports whether the peer announced it.
func (k *knownInventory) announced(it InvItem) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	e, ok := k.items[it]
	return ok && e.Value.(*knownEntry).announced
}
