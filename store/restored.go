package store

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// RestoredKeys returns the application keys that undoing block id would
// give back a value: those that held one before the block and that the
// block changed or deleted, in the order the block first touched them. A
// consumer that keeps something in memory for its state, such as a watch
// list, reads them before DisconnectBlock to bring that back too.
//
// It returns an *Error with code ErrUndoPruned when the block has no undo
// record.
func (db *DB) RestoredKeys(id BlockID) ([][]byte, error) {
	if err := db.acquire(); err != nil {
		return nil, err
	}
	defer db.closeMu.RUnlock()
	txn := db.bdb.NewTransaction(false)
	defer txn.Discard()

	undo, _, err := db.readUndoChain(txn, id)
	switch {
	case errors.Is(err, badger.ErrKeyNotFound):
		return nil, storeError(ErrUndoPruned, fmt.Sprintf("block %v has "+
			"no undo record", id))
	case err != nil:
		var serr *Error
		if errors.As(err, &serr) {
			return nil, err
		}
		return nil, wrapError(ErrDatabase, "reading undo record", err)
	}
	var keys [][]byte
	for _, e := range undo.entries {
		if e.exists {
			keys = append(keys, e.key)
		}
	}
	return keys, nil
}

// EachPresent calls fn with every key of keys that has prefix and holds a
// value in r, and that value: a consumer's share of RestoredKeys, read
// after the undo.
func EachPresent(r Reader, keys [][]byte, prefix []byte, fn func(key, value []byte) error) error {
	for _, k := range keys {
		if !bytes.HasPrefix(k, prefix) {
			continue
		}
		v, err := r.Get(k)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}
