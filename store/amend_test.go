package store_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/mainstake/sidenode/store"
)

var errBoom = errors.New("boom")

// amendWrites are the writes a late input makes: one key the block
// changed too, one it did not, a deletion of a key from before the block,
// and a local key.
func amendWrites(w *store.Writer) error {
	if err := w.Set(appKey("h"), []byte("amended")); err != nil {
		return err
	}
	if err := w.Set(appKey("late"), []byte("body")); err != nil {
		return err
	}
	if err := w.Delete(appKey("b0")); err != nil {
		return err
	}
	return w.Set([]byte{0x13, 'l'}, []byte("local"))
}

// TestAmendTip: amending the tip leaves the state, and the state hash, of
// a store whose block made the same writes; undoing the tip undoes the
// block and the amendment; a stale id and a failing apply write nothing.
func TestAmendTip(t *testing.T) {
	ids := chain("amend", 3)
	localOpts := func() store.Options {
		o := regtestOpts(10)
		o.LocalPrefixes = [][]byte{{0x13}}
		return o
	}
	open := func() *store.DB {
		db, err := store.Open("", localOpts())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}

	// The reference had the late input when block 2 was connected.
	ref := open()
	connectAll(t, ref, ids[:2])
	err := ref.ConnectBlock(ids[2], ids[1].Hash, func(w *store.Writer) error {
		if err := w.Set(appKey("h"), be32(2)); err != nil {
			return err
		}
		if err := w.Set(appKey("b2"), ids[2].Hash[:]); err != nil {
			return err
		}
		return amendWrites(w)
	})
	if err != nil {
		t.Fatal(err)
	}

	db := open()
	connectAll(t, db, ids)
	before := stateHash(t, db)
	beforeState := dump(t, db)

	// A stale id, and an apply that fails, change nothing.
	err = db.AmendTip(ids[1], amendWrites)
	requireCode(t, err, store.ErrNotTip)
	if err := db.AmendTip(ids[2], func(w *store.Writer) error {
		if err := amendWrites(w); err != nil {
			return err
		}
		return errBoom
	}); err != errBoom {
		t.Fatalf("AmendTip = %v, want the apply's error", err)
	}
	if got := stateHash(t, db); got != before {
		t.Fatalf("failed amendment changed the state hash")
	}

	if err := db.AmendTip(ids[2], amendWrites); err != nil {
		t.Fatal(err)
	}
	// A second amendment that writes a value back.
	if err := db.AmendTip(ids[2], func(w *store.Writer) error {
		return w.Set(appKey("late"), []byte("body"))
	}); err != nil {
		t.Fatal(err)
	}
	if got, want := stateHash(t, db), stateHash(t, ref); got != want {
		t.Fatalf("state hash after the amendment %v, want the reference's %v",
			got, want)
	}
	if got, want := dump(t, db), dump(t, ref); !reflect.DeepEqual(got, want) {
		t.Fatalf("state after the amendment:\n%v\nwant:\n%v", fmtState(got),
			fmtState(want))
	}

	// Undoing block 2 takes the amendment with it, on both.
	for _, d := range []*store.DB{db, ref} {
		if _, err := d.DisconnectBlock(ids[2]); err != nil {
			t.Fatal(err)
		}
	}
	after := stateHash(t, db)
	if want := stateHash(t, ref); after != want {
		t.Fatalf("state hash after the undo %v, want %v", after, want)
	}
	if _, sum, err := db.StateHash(1); err != nil || sum != after {
		t.Fatal(sum, err)
	}
	got := dump(t, db)
	delete(beforeState, string(appKey("b2")))
	beforeState[string(appKey("h"))] = string(be32(1))
	if !reflect.DeepEqual(got, beforeState) {
		t.Fatalf("state after the undo:\n%v\nwant:\n%v", fmtState(got),
			fmtState(beforeState))
	}
	if _, ok := got[string(appKey("late"))]; ok {
		t.Fatal("the amendment's key survived the undo")
	}
	if string(got[string(appKey("b0"))]) != string(ids[0].Hash[:]) {
		t.Fatal("the key the amendment deleted is not back")
	}
	if _, ok := got[string([]byte{0x13, 'l'})]; ok {
		t.Fatal("the amendment's local key survived the undo")
	}
	if err := db.AmendTip(ids[2], amendWrites); !store.IsErrorCode(err, store.ErrNotTip) {
		t.Fatalf("AmendTip of an undone block = %v", err)
	}
}

// TestAmendManyTimes: a block amended thousands of times, each amendment
// touching keys earlier ones touched too, keeps amending (each amendment's
// undo is a segment of its own, not a rewrite of the block's), and
// undoing the block restores the state before it, with its state hash and
// the keys RestoredKeys names; an undo window that passes the block prunes
// its segments with it.
func TestAmendManyTimes(t *testing.T) {
	ids := chain("many", 3)
	// Each amendment adds a key of 600 bytes: one merged undo record
	// would pass the in-memory store's 1 MiB value limit.
	db, err := store.Open("", regtestOpts(2))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	connectAll(t, db, ids[:2])
	before := dump(t, db)
	beforeHash := stateHash(t, db)
	connectAll(t, db, ids[2:3])
	const n = 2000
	for i := 0; i < n; i++ {
		err := db.AmendTip(ids[2], func(w *store.Writer) error {
			if err := w.Set(appKey("same"), be32(uint32(i))); err != nil {
				return err
			}
			if err := w.Set(appKey(fmt.Sprintf("new%05d%0595d", i, 0)), be32(uint32(i))); err != nil {
				return err
			}
			if i%2 == 0 {
				return w.Delete(appKey("b0"))
			}
			return w.Set(appKey("b0"), []byte("back"))
		})
		if err != nil {
			t.Fatalf("amendment %d: %v", i, err)
		}
	}
	restored, err := db.RestoredKeys(ids[2])
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range restored {
		if _, ok := before[string(k)]; !ok {
			t.Fatalf("RestoredKeys names %x, which the undo deletes", k)
		}
	}
	if _, err := db.DisconnectBlock(ids[2]); err != nil {
		t.Fatal(err)
	}
	if got := dump(t, db); !reflect.DeepEqual(got, before) {
		t.Fatalf("state after the undo:\n%v\nwant:\n%v", fmtState(got), fmtState(before))
	}
	if got := stateHash(t, db); got != beforeHash {
		t.Fatalf("state hash after the undo %v, want %v", got, beforeHash)
	}
	if err := db.VerifyStateHash(); err != nil {
		t.Fatal(err)
	}
}
