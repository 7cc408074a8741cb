package store_test

import (
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/dgraph-io/badger/v4"

	"github.com/mainstake/sidenode/store"
)

// stateHash returns the state hash at the tip, and checks it against a
// full scan.
func stateHash(t *testing.T, db *store.DB) chainhash.Hash {
	t.Helper()
	tip, err := db.Tip()
	if err != nil {
		t.Fatal(err)
	}
	id, sum, err := db.StateHash(tip.Height)
	if err != nil || id != tip {
		t.Fatalf("StateHash(%d) = %v, %v, %v", tip.Height, id, sum, err)
	}
	if err := db.VerifyStateHash(); err != nil {
		t.Fatal(err)
	}
	return sum
}

// TestStateHashLeavesLocalOut: keys under a local prefix, written by a
// block or by Update, and keys written by Update do not change the hash;
// covered keys do, and a value written back restores it.
func TestStateHashLeavesLocalOut(t *testing.T) {
	db := openMem(t, 10)
	ids := chain("local", 3)
	connectAll(t, db, ids[:1])
	base := stateHash(t, db)

	// A block that writes only local keys: the set is the same, the
	// hash differs by the block it names.
	if err := db.ConnectBlock(ids[1], ids[0].Hash, func(w *store.Writer) error {
		return w.Set([]byte{0x13, 'w'}, []byte("wallet coin"))
	}); err != nil {
		t.Fatal(err)
	}
	h1 := stateHash(t, db)
	if _, err := db.DisconnectBlock(ids[1]); err != nil {
		t.Fatal(err)
	}
	if got := stateHash(t, db); got != base {
		t.Fatalf("after disconnect %v, want %v", got, base)
	}
	if err := db.Update(func(w *store.PlainWriter) error {
		return w.Set([]byte{0x13, 'x'}, []byte("cache"))
	}); err != nil {
		t.Fatal(err)
	}
	if got := stateHash(t, db); got != base {
		t.Fatalf("after a local Update %v, want %v", got, base)
	}

	// Same block with a covered key too: a different hash.
	if err := db.ConnectBlock(ids[1], ids[0].Hash, func(w *store.Writer) error {
		if err := w.Set([]byte{0x13, 'w'}, []byte("wallet coin")); err != nil {
			return err
		}
		return w.Set(appKey("covered"), []byte("v"))
	}); err != nil {
		t.Fatal(err)
	}
	h2 := stateHash(t, db)
	if h2 == h1 {
		t.Fatal("a covered key did not change the state hash")
	}
	// Writing the same value again, and set-then-delete of a new key,
	// change nothing of the set.
	if err := db.ConnectBlock(ids[2], ids[1].Hash, func(w *store.Writer) error {
		if err := w.Set(appKey("covered"), []byte("v")); err != nil {
			return err
		}
		if err := w.Set(appKey("temp"), []byte("t")); err != nil {
			return err
		}
		return w.Delete(appKey("temp"))
	}); err != nil {
		t.Fatal(err)
	}
	stateHash(t, db)
	if _, _, err := db.StateHash(1); err != nil {
		t.Fatal(err)
	}
}

// TestStateHashErrors: heights above the tip, below the window, and
// before anything is connected are ErrNotFound.
func TestStateHashErrors(t *testing.T) {
	db := openMem(t, 3)
	_, _, err := db.StateHash(0)
	requireCode(t, err, store.ErrNotFound)
	_, _, err = db.RecomputeStateHash()
	requireCode(t, err, store.ErrNotFound)

	ids := chain("window", 10)
	connectAll(t, db, ids)
	for h := int32(-1); h <= 11; h++ {
		_, _, err := db.StateHash(h)
		if h >= 6 && h <= 9 {
			if err != nil {
				t.Errorf("StateHash(%d): %v", h, err)
			}
			continue
		}
		requireCode(t, err, store.ErrNotFound)
	}
}

// dropStateHash removes the state hash records and scheme from a closed
// data dir, as a data dir written before they existed.
func dropStateHash(t *testing.T, dir string) {
	t.Helper()
	bdb, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	err = bdb.Update(func(txn *badger.Txn) error {
		if err := txn.Delete([]byte{0x00, 's'}); err != nil {
			return err
		}
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{0x04}})
		var keys [][]byte
		for it.Rewind(); it.Valid(); it.Next() {
			keys = append(keys, it.Item().KeyCopy(nil))
		}
		it.Close()
		if len(keys) == 0 {
			t.Error("no state records to drop")
		}
		for _, k := range keys {
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestStateHashRebuild: a data dir without the state hash gets the tip's
// from a full scan at Open, equal to what ConnectBlock made; lower heights
// have none, and disconnecting below the rebuilt height derives them.
// Changing the local prefixes rebuilds it too.
func TestStateHashRebuild(t *testing.T) {
	dir := t.TempDir()
	opts := diskOpts(5)
	db, err := store.Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	ids := chain("rebuild", 8)
	connectAll(t, db, ids)
	var want []chainhash.Hash
	for h := int32(3); h <= 7; h++ {
		_, sum, err := db.StateHash(h)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, sum)
	}
	db.Close()

	dropStateHash(t, dir)
	if db, err = store.Open(dir, opts); err != nil {
		t.Fatal(err)
	}
	if got := stateHash(t, db); got != want[4] {
		t.Fatalf("rebuilt %v, want %v", got, want[4])
	}
	_, _, err = db.StateHash(6)
	requireCode(t, err, store.ErrNotFound)
	// Going back derives the parents' hashes from the undo records.
	for h := int32(7); h > 3; h-- {
		if _, err := db.DisconnectBlock(ids[h]); err != nil {
			t.Fatal(err)
		}
		if got := stateHash(t, db); got != want[h-1-3] {
			t.Fatalf("at %d: %v, want %v", h-1, got, want[h-1-3])
		}
	}
	connectAll(t, db, ids[4:])
	if got := stateHash(t, db); got != want[4] {
		t.Fatalf("reconnected %v, want %v", got, want[4])
	}
	db.Close()

	// Another set of local prefixes: key "h" (0x10 'h') is now local.
	opts.LocalPrefixes = [][]byte{{0x13}, appKey("h")}
	if db, err = store.Open(dir, opts); err != nil {
		t.Fatal(err)
	}
	if got := stateHash(t, db); got == want[4] {
		t.Fatal("the state hash did not change with the local prefixes")
	}
	_, _, err = db.StateHash(6)
	requireCode(t, err, store.ErrNotFound)
	db.Close()
}

func TestLocalPrefixesRefused(t *testing.T) {
	for _, p := range [][]byte{{}, {0x04}} {
		opts := regtestOpts(0)
		opts.LocalPrefixes = [][]byte{p}
		_, err := store.Open("", opts)
		if err == nil {
			t.Errorf("prefix %x accepted", p)
		}
	}
}
