package store

import (
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/dgraph-io/badger/v4"
)

// ErrStopIteration may be returned by an Iterate callback to end the
// iteration early; Iterate then returns nil.
var ErrStopIteration = errors.New("stop iteration")

// Reader reads application state and the mainchain cursor from one
// consistent snapshot. Keys must start with FirstAppKeyByte or higher.
// *Writer and *PlainWriter are Readers too, and see their own writes.
type Reader interface {
	// Get returns a copy of the value stored at key, or an *Error with
	// code ErrNotFound.
	Get(key []byte) ([]byte, error)

	// Iterate calls fn for every key with the given prefix, in
	// ascending byte order; an empty prefix means the whole application
	// keyspace. key and value are copies that fn may keep. If fn returns
	// ErrStopIteration, Iterate stops and returns nil; any other error
	// stops it and is returned unchanged. Writes made by fn are not seen
	// by the iteration in progress.
	Iterate(prefix []byte, fn func(key, value []byte) error) error

	// Tip returns the mainchain cursor as of this snapshot. Inside
	// ConnectBlock that is still the parent of the block being
	// connected.
	Tip() (BlockID, error)

	// HashAt returns the hash of the connected mainchain block at
	// height, or ErrNotFound.
	HashAt(height int32) (chainhash.Hash, error)
}

// reader implements Reader on a badger transaction.
type reader struct {
	txn    *badger.Txn
	closed bool
}

var _ Reader = (*reader)(nil)

func (r *reader) close() { r.closed = true }

func (r *reader) checkOpen() error {
	if r.closed {
		return storeError(ErrClosed, "reader or writer used after its "+
			"callback returned")
	}
	return nil
}

// Get implements Reader.
func (r *reader) Get(key []byte) ([]byte, error) {
	if err := r.checkOpen(); err != nil {
		return nil, err
	}
	if err := checkAppKey(key); err != nil {
		return nil, err
	}
	v, err := getValue(r.txn, key)
	switch {
	case errors.Is(err, badger.ErrKeyNotFound):
		return nil, storeError(ErrNotFound, fmt.Sprintf("key %x not "+
			"found", truncKey(key)))
	case err != nil:
		return nil, wrapError(ErrDatabase, "get", err)
	}
	return v, nil
}

// Iterate implements Reader.
func (r *reader) Iterate(prefix []byte, fn func(key, value []byte) error) error {
	if err := r.checkOpen(); err != nil {
		return err
	}
	if err := checkAppPrefix(prefix); err != nil {
		return err
	}
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues = false
	opts.Prefix = prefix
	it := r.txn.NewIterator(opts)
	defer it.Close()

	start := prefix
	if len(start) == 0 {
		start = []byte{FirstAppKeyByte}
	}
	for it.Seek(start); it.Valid(); it.Next() {
		item := it.Item()
		k := item.KeyCopy(nil)
		v, err := item.ValueCopy(nil)
		if err != nil {
			return wrapError(ErrDatabase, "iterate", err)
		}
		if err := fn(k, v); err != nil {
			if errors.Is(err, ErrStopIteration) {
				return nil
			}
			return err
		}
	}
	return nil
}

// Tip implements Reader.
func (r *reader) Tip() (BlockID, error) {
	if err := r.checkOpen(); err != nil {
		return BlockID{}, err
	}
	tip, err := readCursor(r.txn)
	if err != nil {
		return BlockID{}, wrapError(ErrCorrupt, "cannot read the "+
			"mainchain cursor", err)
	}
	return tip, nil
}

// HashAt implements Reader.
func (r *reader) HashAt(height int32) (chainhash.Hash, error) {
	if err := r.checkOpen(); err != nil {
		return chainhash.Hash{}, err
	}
	h, err := hashAt(r.txn, height)
	switch {
	case errors.Is(err, badger.ErrKeyNotFound):
		return h, storeError(ErrNotFound, fmt.Sprintf("no connected "+
			"block at height %d", height))
	case err != nil:
		return h, wrapError(ErrCorrupt, "cannot read the height index",
			err)
	}
	return h, nil
}

// PlainWriter writes state that is not derived from the mainchain, inside
// DB.Update. It records no undo. Any failed Set or Delete makes the whole
// Update fail, even if the callback ignores the error.
type PlainWriter struct {
	reader
	maxValue  int64
	err       error    // first failed write; sticky
	onlyLocal localSet // UpdateLocal: the only prefixes it may write
}

// checkLocal refuses, in UpdateLocal, a key outside the local prefixes.
func (w *PlainWriter) checkLocal(key []byte) error {
	if len(w.onlyLocal) == 0 || !w.onlyLocal.covers(key) {
		return nil
	}
	return storeError(ErrInvalidArgument, fmt.Sprintf("UpdateLocal "+
		"writes only keys under Options.LocalPrefixes, not %x", key))
}

var _ Reader = (*PlainWriter)(nil)

// fail records the first write error.
func (w *PlainWriter) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return err
}

// Set stores value at key.
func (w *PlainWriter) Set(key, value []byte) error {
	if err := w.checkOpen(); err != nil {
		return err
	}
	if err := checkWrite(key, value, w.maxValue); err != nil {
		return w.fail(err)
	}
	if err := w.checkLocal(key); err != nil {
		return w.fail(err)
	}
	err := w.txn.Set(cloneBytes(key), cloneBytes(value))
	if err != nil {
		return w.fail(mapBadgerErr("set", err))
	}
	return nil
}

// Delete removes key. Deleting an absent key is not an error.
func (w *PlainWriter) Delete(key []byte) error {
	if err := w.checkOpen(); err != nil {
		return err
	}
	if err := checkAppKey(key); err != nil {
		return w.fail(err)
	}
	if err := w.checkLocal(key); err != nil {
		return w.fail(err)
	}
	if err := w.txn.Delete(cloneBytes(key)); err != nil {
		return w.fail(mapBadgerErr("delete", err))
	}
	return nil
}

// Writer writes mainchain-derived state inside DB.ConnectBlock. Every Set
// and Delete first records the key's previous value (or its absence) in
// the block's undo record, so DisconnectBlock can restore it. Any failed
// Set or Delete makes the whole ConnectBlock fail, even if the callback
// ignores the error.
type Writer struct {
	reader
	block    BlockID
	maxValue int64
	undo     undoRecord
	touched  map[string]struct{}
	err      error // first failed write; sticky
}

var _ Reader = (*Writer)(nil)

// Block returns the block being connected.
func (w *Writer) Block() BlockID {
	return w.block
}

// fail records the first write error.
func (w *Writer) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return err
}

// recordUndo saves the current state of key in the undo record the first
// time the block touches it. It returns whether the key currently exists
// (only meaningful on first touch) and whether this was the first touch.
func (w *Writer) recordUndo(key []byte) (exists, first bool, err error) {
	if _, ok := w.touched[string(key)]; ok {
		return false, false, nil
	}
	prev, err := getValue(w.txn, key)
	switch {
	case errors.Is(err, badger.ErrKeyNotFound):
	case err != nil:
		return false, false, wrapError(ErrDatabase, "reading previous "+
			"value", err)
	default:
		exists = true
	}
	w.undo.entries = append(w.undo.entries, undoEntry{
		key:    cloneBytes(key),
		value:  prev,
		exists: exists,
	})
	w.touched[string(key)] = struct{}{}
	return exists, true, nil
}

// Set stores value at key, recording the previous state for undo.
func (w *Writer) Set(key, value []byte) error {
	if err := w.checkOpen(); err != nil {
		return err
	}
	if err := checkWrite(key, value, w.maxValue); err != nil {
		return w.fail(err)
	}
	if _, _, err := w.recordUndo(key); err != nil {
		return w.fail(err)
	}
	if err := w.txn.Set(cloneBytes(key), cloneBytes(value)); err != nil {
		return w.fail(mapBadgerErr(fmt.Sprintf("connecting block %v",
			w.block), err))
	}
	return nil
}

// Delete removes key, recording the previous state for undo. Deleting an
// absent key is not an error and records nothing.
func (w *Writer) Delete(key []byte) error {
	if err := w.checkOpen(); err != nil {
		return err
	}
	if err := checkAppKey(key); err != nil {
		return w.fail(err)
	}
	exists, first, err := w.recordUndo(key)
	if err != nil {
		return w.fail(err)
	}
	if first && !exists {
		// Nothing to delete and nothing to undo: drop the entry
		// recordUndo just appended.
		w.undo.entries = w.undo.entries[:len(w.undo.entries)-1]
		delete(w.touched, string(key))
		return nil
	}
	if err := w.txn.Delete(cloneBytes(key)); err != nil {
		return w.fail(mapBadgerErr(fmt.Sprintf("connecting block %v",
			w.block), err))
	}
	return nil
}

// checkWrite validates a key and value for Set.
func checkWrite(key, value []byte, maxValue int64) error {
	if err := checkAppKey(key); err != nil {
		return err
	}
	if int64(len(value)) > maxValue {
		return storeError(ErrTooBig, fmt.Sprintf("value of %d bytes "+
			"exceeds the %d byte limit", len(value), maxValue))
	}
	return nil
}

// cloneBytes returns a copy of b; badger keeps references to the slices it
// is given until the transaction ends, and callers may reuse theirs.
func cloneBytes(b []byte) []byte {
	c := make([]byte, len(b))
	copy(c, b)
	return c
}
