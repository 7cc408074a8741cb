package store_test

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/mainstake/sidenode/store"
)

func undoFloor(t *testing.T, db *store.DB) int32 {
	t.Helper()
	floor, err := db.UndoFloor()
	if err != nil {
		t.Fatal(err)
	}
	return floor
}

// TestUndoFloor checks that UndoFloor names exactly the blocks that
// DisconnectBlock can undo: the window after pruning, what is left of it
// after undoing, and the smaller window after the depth was raised on an
// existing data dir, and that the state hash is held down to the fork
// point of the deepest reorg the window allows.
func TestUndoFloor(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, diskOpts(5))
	if err != nil {
		t.Fatal(err)
	}
	if got := undoFloor(t, db); got != 0 {
		t.Fatalf("empty store: floor %d, want 0", got)
	}
	if db.UndoDepth() != 5 {
		t.Fatalf("UndoDepth() = %d", db.UndoDepth())
	}
	ids := chain("a", 20)
	connectAll(t, db, ids[:3])
	if got := undoFloor(t, db); got != 0 {
		t.Fatalf("3 blocks: floor %d, want 0", got)
	}
	connectAll(t, db, ids[3:])
	if got := undoFloor(t, db); got != 15 {
		t.Fatalf("floor %d, want 15", got)
	}
	// The state hash of the deepest fork point is held.
	if _, _, err := db.StateHash(14); err != nil {
		t.Fatal(err)
	}
	for i := 19; i >= 15; i-- {
		if _, err := db.DisconnectBlock(ids[i]); err != nil {
			t.Fatalf("disconnect %d: %v", i, err)
		}
	}
	if got := undoFloor(t, db); got != 15 {
		t.Fatalf("after undoing the window: floor %d, want 15", got)
	}
	_, err = db.DisconnectBlock(ids[14])
	requireCode(t, err, store.ErrUndoPruned)
	connectAll(t, db, ids[15:])
	db.Close()

	// Raised to 8: the window grows from the 5 records left.
	db, err = store.Open(dir, diskOpts(8))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := undoFloor(t, db); got != 15 {
		t.Fatalf("raised depth: floor %d, want 15", got)
	}
	more := chain("a", 22)
	connectAll(t, db, more[20:])
	if got := undoFloor(t, db); got != 15 {
		t.Fatalf("raised depth, 2 blocks on: floor %d, want 15", got)
	}
	more = chain("a", 25)
	connectAll(t, db, more[22:])
	if got := undoFloor(t, db); got != 17 {
		t.Fatalf("raised depth, 5 blocks on: floor %d, want 17", got)
	}
}

func TestMoveAside(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "state")
	now := time.Date(2026, 12, 7, 14, 30, 5, 0, time.UTC)

	if to, err := store.MoveAside(dir, now); err != nil || to != "" {
		t.Fatalf("missing dir: %q, %v", to, err)
	}

	db, err := store.Open(dir, diskOpts(0))
	if err != nil {
		t.Fatal(err)
	}
	connectAll(t, db, chain("a", 3))
	if runtime.GOOS == "linux" {
		_, err := store.MoveAside(dir, now)
		requireCode(t, err, store.ErrLocked)
	}
	db.Close()

	to, err := store.MoveAside(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := dir + ".moved-20261207T143005Z"; to != want {
		t.Fatalf("moved to %q, want %q", to, want)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("%s still there: %v", dir, err)
	}
	// The moved store is whole.
	db, err = store.Open(to, diskOpts(0))
	if err != nil {
		t.Fatal(err)
	}
	if tip, err := db.Tip(); err != nil || tip.Height != 2 {
		t.Fatalf("moved store at %v, %v", tip, err)
	}
	db.Close()

	// The same second again (an empty dir): a new name, nothing
	// overwritten.
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	to2, err := store.MoveAside(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	if to2 != to+"-1" {
		t.Fatalf("moved to %q, want %q", to2, to+"-1")
	}
	if _, err := os.Stat(filepath.Join(to, "MANIFEST")); err != nil {
		t.Fatalf("the first moved store was touched: %v", err)
	}
}
