package store_test

import (
	"errors"
	"testing"

	"github.com/mainstake/sidenode/store"
)

// TestUpdateLocalInsideBatch: UpdateLocal, called from inside a block's
// apply, commits at once (it does not wait for the batch), survives the
// batch failing, and stays out of the state hash; it refuses covered keys.
func TestUpdateLocalInsideBatch(t *testing.T) {
	db := openMem(t, 10)
	ids := chain("ul", 2)
	connectAll(t, db, ids[:1])
	_, before, err := db.StateHash(0)
	if err != nil {
		t.Fatal(err)
	}
	local := []byte{0x13, 'o'}
	errKill := errors.New("killed before the commit")
	err = db.ConnectBlock(ids[1], ids[0].Hash, func(w *store.Writer) error {
		if err := w.Set(appKey("h"), []byte{1}); err != nil {
			return err
		}
		err := db.UpdateLocal(func(pw *store.PlainWriter) error {
			return pw.Set(local, []byte("body"))
		})
		if err != nil {
			return err
		}
		// Durable already: another transaction sees it.
		var got []byte
		if err := db.View(func(r store.Reader) error {
			got, err = r.Get(local)
			return err
		}); err != nil || string(got) != "body" {
			t.Errorf("local key %q, %v before the batch commits", got, err)
		}
		return errKill
	})
	if !errors.Is(err, errKill) {
		t.Fatalf("ConnectBlock: %v", err)
	}
	err = db.View(func(r store.Reader) error {
		_, err := r.Get(local)
		return err
	})
	if err != nil {
		t.Fatalf("local key after the failed batch: %v", err)
	}
	if tip, _ := db.Tip(); tip != ids[0] {
		t.Fatalf("tip %v", tip)
	}
	if _, h, _ := db.StateHash(0); h != before {
		t.Fatal("the local key changed the state hash")
	}
	if err := db.VerifyStateHash(); err != nil {
		t.Fatal(err)
	}

	err = db.UpdateLocal(func(pw *store.PlainWriter) error {
		return pw.Set(appKey("h"), []byte{2})
	})
	var serr *store.Error
	if !errors.As(err, &serr) || serr.Code != store.ErrInvalidArgument {
		t.Fatalf("covered key: %v, want ErrInvalidArgument", err)
	}
	err = db.UpdateLocal(func(pw *store.PlainWriter) error {
		return pw.Delete(appKey("h"))
	})
	if !errors.As(err, &serr) || serr.Code != store.ErrInvalidArgument {
		t.Fatalf("covered key deleted: %v, want ErrInvalidArgument", err)
	}
}
