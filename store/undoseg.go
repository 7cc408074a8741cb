package store

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/dgraph-io/badger/v4"
)

// An amendment (AmendTip) does not rewrite the tip's undo record: it
// appends a segment, the amendment's own undo (each key's value before
// the amendment), under undoSegKey(id, n), n = 1, 2, …. Undoing the block
// restores the segments newest first and then the block's record, which
// leaves every key as it was before the block whatever the amendments
// changed. So an amendment costs what it changes, not what the block and
// every earlier amendment changed, and a block can take any number of
// them (a pow node syncing a long sidechain between two mainchain blocks).
// Segment keys share the undo prefix and sort right after their block's
// record.

// undoSegKeyLen is the length of a segment key: the block's undo key and a
// 4-byte sequence number.
const undoSegKeyLen = undoKeyLen + 4

// undoSegKey returns the key of amendment segment n of block id.
func undoSegKey(id BlockID, n uint32) []byte {
	return binary.BigEndian.AppendUint32(undoKey(id), n)
}

// parseUndoKeyAny parses a block's undo key or a segment key; seg is 0 for
// the block's own record.
func parseUndoKeyAny(k []byte) (id BlockID, seg uint32, ok bool) {
	switch len(k) {
	case undoKeyLen:
		id, ok = parseUndoKey(k)
		return id, 0, ok
	case undoSegKeyLen:
		id, ok = parseUndoKey(k[:undoKeyLen])
		seg = binary.BigEndian.Uint32(k[undoKeyLen:])
		return id, seg, ok && seg > 0
	}
	return BlockID{}, 0, false
}

// undoSegments returns the segment keys of block id, oldest first.
func undoSegments(txn *badger.Txn, id BlockID) ([][]byte, error) {
	base := undoKey(id)
	it := txn.NewIterator(badger.IteratorOptions{Prefix: base})
	defer it.Close()
	var keys [][]byte
	for it.Seek(base); it.Valid(); it.Next() {
		k := it.Item().KeyCopy(nil)
		if len(k) == undoSegKeyLen {
			keys = append(keys, k)
		}
	}
	return keys, nil
}

// lastUndoSegment returns the number of block id's newest segment, 0 if it
// has none. O(log n): one reverse seek.
func lastUndoSegment(txn *badger.Txn, id BlockID) uint32 {
	base := undoKey(id)
	it := txn.NewIterator(badger.IteratorOptions{Prefix: base, Reverse: true})
	defer it.Close()
	it.Seek(undoSegKey(id, math.MaxUint32))
	if !it.Valid() {
		return 0
	}
	if _, seg, ok := parseUndoKeyAny(it.Item().Key()); ok {
		return seg
	}
	return 0
}

// readUndoChain reads block id's undo record and its segments, and returns
// them as one record in the form an unamended block's has: every key the
// block or an amendment changed, once, with its value before the block
// (its first appearance, the block's record first, then the segments
// oldest first), in the order first touched. It also returns the segment
// keys. It returns badger.ErrKeyNotFound when the block has no undo
// record.
func (db *DB) readUndoChain(txn *badger.Txn, id BlockID) (*undoRecord, [][]byte, error) {
	raw, err := getValue(txn, undoKey(id))
	if err != nil {
		return nil, nil, err
	}
	undo, err := decodeUndo(raw)
	if err != nil {
		return nil, nil, db.corrupt(fmt.Sprintf("undo record of block %v", id), err)
	}
	if undo.block != id {
		return nil, nil, db.corrupt(fmt.Sprintf("undo record of block %v "+
			"names block %v", id, undo.block), nil)
	}
	segs, err := undoSegments(txn, id)
	if err != nil {
		return nil, nil, err
	}
	all := &undoRecord{block: id, entries: undo.entries}
	if len(segs) == 0 {
		return all, nil, nil
	}
	seen := make(map[string]struct{}, len(undo.entries))
	for i := range undo.entries {
		seen[string(undo.entries[i].key)] = struct{}{}
	}
	for _, k := range segs {
		raw, err := getValue(txn, k)
		if err != nil {
			return nil, nil, wrapError(ErrDatabase, "reading an undo segment", err)
		}
		seg, err := decodeUndo(raw)
		if err != nil || seg.block != id {
			return nil, nil, db.corrupt(fmt.Sprintf("undo segment %x of "+
				"block %v", k[undoKeyLen:], id), err)
		}
		for _, e := range seg.entries {
			if _, ok := seen[string(e.key)]; !ok {
				seen[string(e.key)] = struct{}{}
				all.entries = append(all.entries, e)
			}
		}
	}
	return all, segs, nil
}

// deleteUndoChain deletes block id's undo record and its segments.
func deleteUndoChain(txn *badger.Txn, id BlockID) error {
	segs, err := undoSegments(txn, id)
	if err != nil {
		return err
	}
	for _, k := range segs {
		if err := txn.Delete(k); err != nil {
			return err
		}
	}
	return txn.Delete(undoKey(id))
}
