package store_test

import (
	"testing"

	"github.com/mainstake/sidenode/store"
)

// TestPropertyConnectDisconnect runs random scripts of connects (random
// sets and deletes, some failing), disconnects to random depths, and
// disconnects past the undo window, comparing the full state, tip and
// height index with the reference model after every step.
func TestPropertyConnectDisconnect(t *testing.T) {
	for seed := int64(1); seed <= 6; seed++ {
		depth := int32(3 + seed%4)
		ops := genScript(seed, 400, depth)
		db, err := store.Open("", regtestOpts(depth))
		if err != nil {
			t.Fatal(err)
		}
		m := newModel(depth)
		for i, op := range ops {
			runOp(t, db, op)
			m.apply(op)
			if i%7 == 0 || op.kind != opConnect {
				checkModel(t, db, m)
			}
		}
		checkModel(t, db, m)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPropertyOnDisk runs a script against a real data dir, closing and
// reopening it along the way.
func TestPropertyOnDisk(t *testing.T) {
	const depth = 4
	dir := t.TempDir()
	opts := regtestOpts(depth)
	opts.InMemory = false
	ops := genScript(99, 150, depth)
	m := newModel(depth)

	db, err := store.Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i, op := range ops {
		runOp(t, db, op)
		m.apply(op)
		if i%25 == 24 {
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if db, err = store.Open(dir, opts); err != nil {
				t.Fatal(err)
			}
			checkModel(t, db, m)
		}
	}
	checkModel(t, db, m)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}
