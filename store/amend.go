package store

import (
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// AmendTip changes the mainchain-derived state after the tip block id, as
// if apply had run at the end of that block's ConnectBlock. It is for
// state that depends on an input besides the mainchain which may arrive
// after the block was connected (a sideblock body from a peer): applying it
// at once, instead of at the next block, must leave the same state as a
// store whose block had it.
//
// In ONE badger transaction AmendTip runs apply with a *Writer, appends
// what apply changed, with each key's value before the amendment, to the
// tip's undo as a segment of its own (undoseg.go: undoing the block
// restores the segments newest first, then the block's record), and
// updates the tip's state record with the changed keys. So DisconnectBlock of the tip undoes the block and
// every amendment with it, the state hash at the tip is the hash of the
// state after the amendment, and a kill at any point leaves either the
// whole amendment or none of it.
//
// It returns an *Error with code ErrNotTip if id is not the tip (a block
// was connected or disconnected since the caller looked), ErrUndoPruned if
// the tip has no undo record, and ErrTooBig if the amendment's own undo
// does not fit in one value. Nothing is written if apply returns an error (returned
// unchanged) or any Writer call failed. apply must not call other DB
// methods, nor keep w after returning. w.Block() is id and w.Tip() is id
// too: the block is connected already.
func (db *DB) AmendTip(id BlockID, apply func(w *Writer) error) error {
	if err := db.acquire(); err != nil {
		return err
	}
	defer db.closeMu.RUnlock()
	db.writeMu.Lock()
	defer db.writeMu.Unlock()

	txn := db.bdb.NewTransaction(true)
	defer txn.Discard()

	tip, err := readCursor(txn)
	if err != nil {
		return db.corrupt("cannot read cursor", err)
	}
	if tip.Height < 0 || tip != id {
		return storeError(ErrNotTip, fmt.Sprintf("cannot amend block %v: "+
			"it is not the tip %v", id, tip))
	}
	if _, err := txn.Get(undoKey(id)); errors.Is(err, badger.ErrKeyNotFound) {
		return storeError(ErrUndoPruned, fmt.Sprintf("cannot amend block "+
			"%v: it has no undo record", id))
	} else if err != nil {
		return wrapError(ErrDatabase, "reading undo record", err)
	}

	// The Writer records the amendment's own undo: each key's value
	// before the amendment, which is what the state hash needs, and what
	// the amendment's segment of the block's undo holds (undoseg.go).
	w, err := db.runWriter(txn, id, apply)
	if err != nil {
		return err
	}
	if len(w.undo.entries) == 0 {
		return nil // nothing changed
	}
	seg := undoRecord{block: id, entries: w.undo.entries}
	enc := encodeUndo(&seg)
	if int64(len(enc)) > db.maxValue {
		return storeError(ErrTooBig, fmt.Sprintf("the undo of an "+
			"amendment of block %v would be %d bytes, above the %d "+
			"byte limit", id, len(enc), db.maxValue))
	}
	segKey := undoSegKey(id, lastUndoSegment(txn, id)+1)
	what := fmt.Sprintf("amending block %v", id)
	if !db.noStateHash {
		rec, err := readStateRecord(txn, id.Height)
		if err != nil {
			return db.corrupt(fmt.Sprintf("no state hash record for "+
				"the tip %v", id), err)
		}
		if err := db.applyUndoToSet(txn, rec.set, w.undo.entries, true); err != nil {
			return err
		}
		sum := finalStateHash(id, rec.set.Finalize())
		if err := txn.Set(stateKey(id.Height), encodeStateRecord(sum, rec.set)); err != nil {
			return mapBadgerErr(what, err)
		}
	}
	if err := txn.Set(segKey, enc); err != nil {
		return mapBadgerErr(what, err)
	}
	if err := db.commit(txn, what); err != nil {
		return err
	}
	log.Debugf("Amended block %v (%d keys changed)", id, len(w.undo.entries))
	return nil
}
