package store

import (
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/dgraph-io/badger/v4"
)

// ConnectBlock connects mainchain block id on top of the current tip. id
// must be at tip height + 1 and prev must be the tip's hash; the genesis
// block (height 0, hash Options.Genesis) is connected when the tip is -1,
// and prev is not checked for it.
//
// In ONE badger transaction ConnectBlock runs apply, writes the block's
// undo record (the previous state of every key apply changed), writes the
// height index entry, moves the cursor to id and deletes the undo record at
// height id.Height-UndoDepth. Nothing is written if apply returns an error
// (returned unchanged) or if any Writer call failed. A kill at any point
// leaves either the whole block or none of it.
//
// It returns an *Error with code ErrNotTip if id does not extend the tip,
// ErrWrongNetwork if a height-0 block is not the genesis, ErrTooBig if the
// block's changes do not fit into one transaction.
//
// apply may be nil (a block with no derived state). It must not call other
// DB methods, nor keep w after returning.
func (db *DB) ConnectBlock(id BlockID, prev chainhash.Hash,
	apply func(w *Writer) error) error {

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
	switch {
	case tip.Height == -1:
		if id.Height != 0 {
			return storeError(ErrNotTip, fmt.Sprintf("cannot connect "+
				"block %v: nothing is connected yet, the first "+
				"block must be the genesis block at height 0", id))
		}
		if id.Hash != db.opts.Genesis {
			return storeError(ErrWrongNetwork, fmt.Sprintf("cannot "+
				"connect block %v at height 0: the genesis of "+
				"network %q is %v", id, db.opts.Network,
				db.opts.Genesis))
		}
	case id.Height != tip.Height+1 || prev != tip.Hash:
		return storeError(ErrNotTip, fmt.Sprintf("cannot connect block "+
			"%v with parent %v: it does not extend the tip %v", id,
			prev, tip))
	}

	w, err := db.runWriter(txn, id, apply)
	if err != nil {
		return err
	}

	undo := encodeUndo(&w.undo)
	if int64(len(undo)) > db.maxValue {
		return storeError(ErrTooBig, fmt.Sprintf("undo record of block "+
			"%v is %d bytes, above the %d byte limit", id, len(undo),
			db.maxValue))
	}
	// The state hash, O(keys the block changed): from the parent's set,
	// take out each changed key's old value and put in its new one.
	what := fmt.Sprintf("connecting block %v", id)
	var stateHash chainhash.Hash
	if !db.noStateHash {
		set, err := db.parentSet(txn, id)
		if err != nil {
			return err
		}
		err = db.applyUndoToSet(txn, set, w.undo.entries, true)
		if err != nil {
			return err
		}
		stateHash = finalStateHash(id, set.Finalize())
		err = txn.Set(stateKey(id.Height), encodeStateRecord(stateHash, set))
		if err != nil {
			return mapBadgerErr(what, err)
		}
	}
	if err := txn.Set(undoKey(id), undo); err != nil {
		return mapBadgerErr(what, err)
	}
	if err := txn.Set(heightKey(id.Height), cloneBytes(id.Hash[:])); err != nil {
		return mapBadgerErr(what, err)
	}
	if err := txn.Set(cursorKey, encodeCursor(id)); err != nil {
		return mapBadgerErr(what, err)
	}

	// Prune the undo record that just left the window, O(1) per block.
	if ph := id.Height - db.undoDepth; ph >= 0 {
		pruneHash, err := hashAt(txn, ph)
		if err != nil {
			return db.corrupt(fmt.Sprintf("height index has no entry "+
				"for height %d below tip %v", ph, tip), err)
		}
		err = deleteUndoChain(txn, BlockID{Height: ph, Hash: pruneHash})
		if err != nil {
			return mapBadgerErr(what, err)
		}
		// The state record of ph stays: it is the state a disconnect
		// of ph+1, the deepest one possible, goes back to.
		if ph > 0 {
			if err := txn.Delete(stateKey(ph - 1)); err != nil {
				return mapBadgerErr(what, err)
			}
		}
	}

	if err := db.commit(txn, what); err != nil {
		return err
	}
	log.Debugf("Connected block %v (%d keys changed, state hash %v)", id,
		len(w.undo.entries), stateHash)
	return nil
}

// DisconnectBlock disconnects the tip block id. In ONE badger transaction it
// restores every key from the block's undo record in reverse order, deletes
// the undo record and the height index entry, and moves the cursor to the
// parent (or to -1 when id is the genesis block). It returns the new tip.
//
// It returns an *Error with code ErrNotTip if id is not the tip, and
// ErrUndoPruned if the block's undo record was pruned: the reorg is deeper
// than the undo window and the data dir must be resynced. The store never
// resyncs by itself.
func (db *DB) DisconnectBlock(id BlockID) (BlockID, error) {
	if err := db.acquire(); err != nil {
		return BlockID{}, err
	}
	defer db.closeMu.RUnlock()
	db.writeMu.Lock()
	defer db.writeMu.Unlock()

	txn := db.bdb.NewTransaction(true)
	defer txn.Discard()

	tip, err := readCursor(txn)
	if err != nil {
		return BlockID{}, db.corrupt("cannot read cursor", err)
	}
	if tip.Height < 0 || id != tip {
		return BlockID{}, storeError(ErrNotTip, fmt.Sprintf("cannot "+
			"disconnect block %v: it is not the tip %v", id, tip))
	}

	undo, _, err := db.readUndoChain(txn, id)
	switch {
	case errors.Is(err, badger.ErrKeyNotFound):
		return BlockID{}, storeError(ErrUndoPruned, fmt.Sprintf("cannot "+
			"disconnect block %v: its undo record was pruned "+
			"because the mainchain reorg is deeper than the undo "+
			"window of %d blocks; the data dir %q must be resynced "+
			"from scratch", id, db.undoDepth, db.path))
	case err != nil:
		var serr *Error
		if errors.As(err, &serr) {
			return BlockID{}, err
		}
		return BlockID{}, wrapError(ErrDatabase, "reading undo record",
			err)
	}

	newTip := noTip
	if id.Height > 0 {
		newTip.Height = id.Height - 1
		newTip.Hash, err = hashAt(txn, newTip.Height)
		if err != nil {
			return BlockID{}, db.corrupt(fmt.Sprintf("height index "+
				"has no entry for height %d", newTip.Height), err)
		}
	}

	what := fmt.Sprintf("disconnecting block %v", id)
	// The parent's state record is normally there. It is not when the
	// state hash was first computed at this block (see initStateHash):
	// then derive it from this block's record, backward through the
	// undo record, before the keys are restored.
	if newTip.Height >= 0 {
		_, err := readStateRecord(txn, newTip.Height)
		switch {
		case errors.Is(err, badger.ErrKeyNotFound):
			rec, err := readStateRecord(txn, id.Height)
			if err != nil {
				return BlockID{}, db.corrupt(fmt.Sprintf("no state "+
					"hash record for the tip %v", id), err)
			}
			err = db.applyUndoToSet(txn, rec.set, undo.entries, false)
			if err != nil {
				return BlockID{}, err
			}
			sum := finalStateHash(newTip, rec.set.Finalize())
			err = txn.Set(stateKey(newTip.Height),
				encodeStateRecord(sum, rec.set))
			if err != nil {
				return BlockID{}, mapBadgerErr(what, err)
			}
		case err != nil:
			return BlockID{}, db.corrupt(fmt.Sprintf("state hash "+
				"record of %v", newTip), err)
		}
	}
	if err := txn.Delete(stateKey(id.Height)); err != nil {
		return BlockID{}, mapBadgerErr(what, err)
	}
	for i := len(undo.entries) - 1; i >= 0; i-- {
		e := &undo.entries[i]
		if e.exists {
			err = txn.Set(e.key, e.value)
		} else {
			err = txn.Delete(e.key)
		}
		if err != nil {
			return BlockID{}, mapBadgerErr(what, err)
		}
	}
	if err := deleteUndoChain(txn, id); err != nil {
		return BlockID{}, mapBadgerErr(what, err)
	}
	if err := txn.Delete(heightKey(id.Height)); err != nil {
		return BlockID{}, mapBadgerErr(what, err)
	}
	if err := txn.Set(cursorKey, encodeCursor(newTip)); err != nil {
		return BlockID{}, mapBadgerErr(what, err)
	}
	if err := db.commit(txn, what); err != nil {
		return BlockID{}, err
	}
	log.Debugf("Disconnected block %v (%d keys restored), new tip %v",
		id, len(undo.entries), newTip)
	return newTip, nil
}

// runWriter runs apply on a Writer over txn for block id, which records
// each key's value before apply changed it (the undo entries), and
// returns the Writer once apply and the Writer's own writes succeeded.
func (db *DB) runWriter(txn *badger.Txn, id BlockID, apply func(*Writer) error) (*Writer, error) {
	w := &Writer{
		reader:   reader{txn: txn},
		block:    id,
		maxValue: db.maxValue,
		undo:     undoRecord{block: id},
		touched:  make(map[string]struct{}),
	}
	var err error
	if apply != nil {
		err = apply(w)
	}
	w.close()
	if err != nil {
		return nil, err
	}
	if w.err != nil {
		return nil, w.err
	}
	return w, nil
}
