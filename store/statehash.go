package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/dgraph-io/badger/v4"

	"github.com/mainstake/sidenode/muhash"
)

// The state commitment. See doc.go ("The state commitment") and
// docs/protocol.md for the definition; this file keeps it up to date.

// stateSchemeVersion names the element encoding and the final hash below.
// Changing either needs a new version, which makes Open rebuild the
// commitment of an existing data dir.
const stateSchemeVersion byte = 1

// stateRecordLen is the size of a state record: the final hash, then the
// accumulator's value.
const stateRecordLen = chainhash.HashSize + muhash.ByteSize

// stateElement is the byte string a covered key and its value add to the
// set: len(key) (4 bytes BE) ‖ key ‖ len(value) (4 bytes BE) ‖ value.
func stateElement(key, value []byte) []byte {
	b := make([]byte, 0, 8+len(key)+len(value))
	b = binary.BigEndian.AppendUint32(b, uint32(len(key)))
	b = append(b, key...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(value)))
	return append(b, value...)
}

// finalStateHash binds the set's digest to the block it is the state
// after: SHA256(height (4 bytes BE) ‖ block hash (32, wire order) ‖ digest).
func finalStateHash(id BlockID, digest [32]byte) chainhash.Hash {
	b := make([]byte, 0, 4+chainhash.HashSize+32)
	b = binary.BigEndian.AppendUint32(b, uint32(id.Height))
	b = append(b, id.Hash[:]...)
	b = append(b, digest[:]...)
	return sha256.Sum256(b)
}

// localSet is the validated, sorted list of Options.LocalPrefixes.
type localSet [][]byte

func newLocalSet(prefixes [][]byte) (localSet, error) {
	var l localSet
	for _, p := range prefixes {
		if len(p) == 0 {
			return nil, storeError(ErrInvalidArgument, "Options."+
				"LocalPrefixes holds an empty prefix, which would "+
				"leave all state out of the state hash")
		}
		if err := checkAppPrefix(p); err != nil {
			return nil, err
		}
		l = append(l, cloneBytes(p))
	}
	sort.Slice(l, func(i, j int) bool { return bytes.Compare(l[i], l[j]) < 0 })
	return l, nil
}

// covers reports whether key is part of the state commitment.
func (l localSet) covers(key []byte) bool {
	for _, p := range l {
		if bytes.HasPrefix(key, p) {
			return false
		}
	}
	return true
}

// fingerprint identifies the scheme and the local prefixes. A stored
// commitment made under another fingerprint is rebuilt by Open.
func (l localSet) fingerprint() []byte {
	b := []byte{stateSchemeVersion}
	for _, p := range l {
		b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	return b
}

// stateRecord is what the store keeps per height.
type stateRecord struct {
	hash chainhash.Hash
	set  *muhash.Set
}

func encodeStateRecord(hash chainhash.Hash, set *muhash.Set) []byte {
	v := set.Encode()
	b := make([]byte, 0, stateRecordLen)
	b = append(b, hash[:]...)
	return append(b, v[:]...)
}

// readStateRecord reads the record at height; badger.ErrKeyNotFound if
// there is none.
func readStateRecord(txn *badger.Txn, height int32) (*stateRecord, error) {
	v, err := getValue(txn, stateKey(height))
	if err != nil {
		return nil, err
	}
	if len(v) != stateRecordLen {
		return nil, fmt.Errorf("state record at height %d has %d "+
			"bytes, want %d", height, len(v), stateRecordLen)
	}
	set, err := muhash.Decode(v[chainhash.HashSize:])
	if err != nil {
		return nil, fmt.Errorf("state record at height %d: %w", height,
			err)
	}
	r := &stateRecord{set: set}
	copy(r.hash[:], v[:chainhash.HashSize])
	return r, nil
}

// parentSet returns the accumulator of the state before block id: the
// empty set for the genesis block, else the record of its parent.
func (db *DB) parentSet(txn *badger.Txn, id BlockID) (*muhash.Set, error) {
	if id.Height == 0 {
		return muhash.New(), nil
	}
	rec, err := readStateRecord(txn, id.Height-1)
	if err != nil {
		return nil, db.corrupt(fmt.Sprintf("no state hash record for "+
			"height %d, the parent of block %v", id.Height-1, id), err)
	}
	return rec.set, nil
}

// applyUndoToSet moves set across one block: forward (the state before
// the block to the state after it) when forward is true, else backward.
// Each entry of the undo record holds a key's value before the block;
// txn holds its value after the block. Keys under a local prefix and keys
// the block left as they were are skipped.
func (db *DB) applyUndoToSet(txn *badger.Txn, set *muhash.Set,
	entries []undoEntry, forward bool) error {

	for i := range entries {
		e := &entries[i]
		if !db.local.covers(e.key) {
			continue
		}
		after, err := getValue(txn, e.key)
		existsAfter := true
		switch {
		case errors.Is(err, badger.ErrKeyNotFound):
			existsAfter = false
		case err != nil:
			return wrapError(ErrDatabase, "reading a changed key", err)
		}
		if e.exists == existsAfter && bytes.Equal(e.value, after) {
			continue
		}
		if forward {
			if e.exists {
				set.Remove(stateElement(e.key, e.value))
			}
			if existsAfter {
				set.Insert(stateElement(e.key, after))
			}
		} else {
			if existsAfter {
				set.Remove(stateElement(e.key, after))
			}
			if e.exists {
				set.Insert(stateElement(e.key, e.value))
			}
		}
	}
	return nil
}

// StateHash returns the block at height and the state hash after it: the
// commitment to every covered key and value of the application keyspace
// (see doc.go). The store holds it for the tip and for the blocks below
// it down to the oldest one whose state the undo window can still restore.
// Other heights return an *Error with code ErrNotFound whose message names
// the heights that are held.
func (db *DB) StateHash(height int32) (BlockID, chainhash.Hash, error) {
	var (
		id  BlockID
		sum chainhash.Hash
	)
	err := db.View(func(r Reader) error {
		var err error
		id, sum, err = db.StateHashIn(r, height)
		return err
	})
	return id, sum, err
}

// StateHashIn is StateHash read in r, a View's snapshot, so that a caller
// can read the state hash with other state of the same snapshot.
func (db *DB) StateHashIn(r Reader, height int32) (BlockID, chainhash.Hash, error) {
	var (
		id  BlockID
		sum chainhash.Hash
	)
	rd, ok := r.(*reader)
	if !ok {
		return id, sum, fmt.Errorf("StateHashIn needs a View's reader")
	}
	err := func() error {
		txn := rd.txn
		tip, err := readCursor(txn)
		if err != nil {
			return db.corrupt("cannot read cursor", err)
		}
		if tip.Height < 0 {
			return storeError(ErrNotFound, fmt.Sprintf("no state hash "+
				"for height %d: no mainchain block is connected "+
				"yet", height))
		}
		if height > tip.Height || height < 0 {
			return storeError(ErrNotFound, fmt.Sprintf("no state hash "+
				"for height %d: the tip is at height %d", height,
				tip.Height))
		}
		rec, err := readStateRecord(txn, height)
		switch {
		case errors.Is(err, badger.ErrKeyNotFound):
			low, lerr := lowestStateRecord(txn)
			if lerr != nil {
				return db.corrupt("cannot scan state hash records",
					lerr)
			}
			return storeError(ErrNotFound, fmt.Sprintf("no state hash "+
				"for height %d: this node holds state hashes for "+
				"heights %d to %d only, its tip and the blocks it "+
				"can still undo to (at most %d below the tip)",
				height, low, tip.Height, db.undoDepth))
		case err != nil:
			return db.corrupt("cannot read a state hash record", err)
		}
		id.Height = height
		if id.Hash, err = hashAt(txn, height); err != nil {
			return db.corrupt(fmt.Sprintf("height index has no entry "+
				"for height %d", height), err)
		}
		sum = rec.hash
		return nil
	}()
	return id, sum, err
}

// lowestStateRecord returns the lowest height with a state record, or -1.
func lowestStateRecord(txn *badger.Txn) (int32, error) {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefixState}})
	defer it.Close()
	it.Rewind()
	if !it.Valid() {
		return -1, nil
	}
	h, ok := parseStateKey(it.Item().Key())
	if !ok {
		return 0, fmt.Errorf("bad state record key %x", it.Item().Key())
	}
	return h, nil
}

// RecomputeStateHash computes the tip's state hash from scratch, by a scan
// of every covered key of the store, without looking at what ConnectBlock
// maintains. It is O(state): tests and checks compare it with StateHash.
func (db *DB) RecomputeStateHash() (BlockID, chainhash.Hash, error) {
	var (
		tip BlockID
		sum chainhash.Hash
	)
	err := db.View(func(r Reader) error {
		txn := r.(*reader).txn
		var err error
		if tip, err = readCursor(txn); err != nil {
			return db.corrupt("cannot read cursor", err)
		}
		if tip.Height < 0 {
			return storeError(ErrNotFound, "no state hash: no mainchain "+
				"block is connected yet")
		}
		set, err := db.scanState(r, nil)
		if err != nil {
			return err
		}
		sum = finalStateHash(tip, set.Finalize())
		return nil
	})
	return tip, sum, err
}

// VerifyStateHash recomputes the tip's state hash with a full scan and
// returns an *Error with code ErrCorrupt if it differs from the one the
// store maintains.
func (db *DB) VerifyStateHash() error {
	tip, want, err := db.RecomputeStateHash()
	if err != nil {
		return err
	}
	id, got, err := db.StateHash(tip.Height)
	if err != nil {
		return err
	}
	if id != tip || got != want {
		return db.corrupt(fmt.Sprintf("the state hash at %v is %v, but "+
			"a full scan of the state gives %v", tip, got, want), nil)
	}
	return nil
}

// scanState builds the set of all covered keys and values readable by r.
// progress, if not nil, is called every 10 s with the keys seen so far.
func (db *DB) scanState(r Reader, progress func(n int)) (*muhash.Set, error) {
	set := muhash.New()
	n := 0
	last := time.Now()
	err := r.Iterate(nil, func(k, v []byte) error {
		n++
		if progress != nil && n%4096 == 0 && time.Since(last) >= 10*time.Second {
			progress(n)
			last = time.Now()
		}
		if db.local.covers(k) {
			set.Insert(stateElement(k, v))
		}
		return nil
	})
	return set, err
}

// initStateHash makes sure the store holds the tip's state hash, computed
// under the current scheme and local prefixes, and prunes records below
// the undo window (when UndoDepth was lowered). A data dir written before
// the state hash existed, or under other local prefixes, gets it from one
// full scan here (logged, with progress), and its older heights have no
// state hash. It never leaves a record that was computed differently.
func (db *DB) initStateHash() error {
	tip, err := db.Tip()
	if err != nil {
		return err
	}
	want := db.local.fingerprint()
	var (
		have   []byte
		tipRec bool
	)
	err = db.bdb.View(func(txn *badger.Txn) error {
		var err error
		have, err = getValue(txn, metaStateKey)
		if err != nil && !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		if tip.Height >= 0 {
			_, err = readStateRecord(txn, tip.Height)
			switch {
			case err == nil:
				tipRec = true
			case !errors.Is(err, badger.ErrKeyNotFound):
				return err
			}
		}
		return nil
	})
	if err != nil {
		return db.corrupt("cannot read the state hash", err)
	}
	if bytes.Equal(have, want) && (tip.Height < 0 || tipRec) {
		return db.pruneStateRecords(tip.Height - db.undoDepth)
	}

	// Rebuild: drop every record, then write the tip's and the
	// fingerprint together.
	if err := db.pruneStateRecords(1<<31 - 1); err != nil {
		return err
	}
	if tip.Height < 0 {
		return db.setStateMeta(want, nil)
	}
	if have == nil {
		log.Infof("Computing the state hash at %v from a full scan of "+
			"the store (the data dir has none yet)", tip)
	} else {
		log.Infof("Computing the state hash at %v from a full scan of "+
			"the store (the data dir has one made with other "+
			"settings)", tip)
	}
	start := time.Now()
	var rec []byte
	err = db.View(func(r Reader) error {
		set, err := db.scanState(r, func(n int) {
			log.Infof("State hash: scanned %d keys in %v", n,
				time.Since(start).Round(time.Second))
		})
		if err != nil {
			return err
		}
		rec = encodeStateRecord(finalStateHash(tip, set.Finalize()), set)
		return nil
	})
	if err != nil {
		return err
	}
	if err := db.setStateMeta(want, func(txn *badger.Txn) error {
		return txn.Set(stateKey(tip.Height), rec)
	}); err != nil {
		return err
	}
	log.Infof("State hash at %v computed in %v; heights below %d have "+
		"none", tip, time.Since(start).Round(time.Millisecond), tip.Height)
	return nil
}

// setStateMeta writes the fingerprint, and whatever also does, in one
// transaction.
func (db *DB) setStateMeta(fp []byte, also func(*badger.Txn) error) error {
	err := db.bdb.Update(func(txn *badger.Txn) error {
		if also != nil {
			if err := also(txn); err != nil {
				return err
			}
		}
		return txn.Set(metaStateKey, fp)
	})
	if err != nil {
		return wrapError(ErrDatabase, "cannot write the state hash", err)
	}
	return nil
}

// pruneStateRecords deletes the state records below height limit.
func (db *DB) pruneStateRecords(limit int32) error {
	for {
		var keys [][]byte
		err := db.bdb.View(func(txn *badger.Txn) error {
			it := txn.NewIterator(badger.IteratorOptions{
				Prefix: []byte{prefixState},
			})
			defer it.Close()
			for it.Rewind(); it.Valid() && len(keys) < 10000; it.Next() {
				k := it.Item().KeyCopy(nil)
				h, ok := parseStateKey(k)
				if ok && h >= limit {
					break
				}
				keys = append(keys, k)
			}
			return nil
		})
		if err != nil {
			return db.corrupt("cannot scan state hash records", err)
		}
		if len(keys) == 0 {
			return nil
		}
		err = db.bdb.Update(func(txn *badger.Txn) error {
			for _, k := range keys {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return wrapError(ErrDatabase, "cannot prune state hash "+
				"records", err)
		}
	}
}
