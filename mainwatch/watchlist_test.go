package mainwatch

import (
	"slices"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// TestWatchListAdditions checks the numbering of additions that backends
// mirror into filters of their own: every new script, outpoint and watched
// transaction (as the outpoints it spends) counts once, matching adds
// nothing, repeats do not count, AdditionsSince returns what
// came after a version until the list no longer keeps it, and Snapshot
// holds everything.
func TestWatchListAdditions(t *testing.T) {
	w := NewWatchList()
	script := []byte{0x00, 0x14, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}
	w.AddScript(script)
	w.AddScript(script)
	w.AddScript([]byte{0x6a, 1, 2}) // an OP_RETURN is never watched
	op := wire.OutPoint{Hash: chainhash.Hash{1}, Index: 2}
	w.AddOutPoint(op, script)
	w.AddOutPoint(op, script)
	if v := w.Version(); v != 2 {
		t.Fatalf("version %d after a script and an outpoint, added twice each", v)
	}

	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{2}}, nil, nil))
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{3}}, nil, nil))
	tx.AddTxOut(wire.NewTxOut(1000, script))
	w.addTx(tx)
	w.addTx(tx)
	adds, v, ok := w.AdditionsSince(2)
	want := []Addition{{OutPoint: tx.TxIn[0].PreviousOutPoint}, {OutPoint: tx.TxIn[1].PreviousOutPoint}}
	if !ok || v != 4 || !slices.EqualFunc(adds, want, sameAddition) {
		t.Fatalf("after a watched transaction: %v, version %d, ok %v", adds, v, ok)
	}

	// Matching adds nothing.
	w.Match(&wire.MsgBlock{Transactions: []*wire.MsgTx{tx}})
	if adds, v, ok := w.AdditionsSince(4); !ok || v != 4 || len(adds) != 0 {
		t.Fatalf("after Match: %v, version %d, ok %v", adds, v, ok)
	}
	if _, _, ok := w.AdditionsSince(5); ok {
		t.Fatal("a version from the future")
	}

	all, v := w.Snapshot()
	if v != 4 || len(all) != 4 {
		t.Fatalf("snapshot of %d items at version %d, want 4 at 4", len(all), v)
	}
	all, _, _ = w.AdditionsSince(0)
	if len(all) != 4 {
		t.Fatalf("%d additions since 0, want 4", len(all))
	}

	// A consumer further behind than the list keeps starts again.
	for i := 0; i < maxAdditions; i++ {
		w.AddOutPoint(wire.OutPoint{Hash: chainhash.Hash{9}, Index: uint32(i)}, script)
	}
	if _, _, ok := w.AdditionsSince(4); ok {
		t.Fatal("additions older than the list keeps were returned")
	}
	adds, v, ok = w.AdditionsSince(w.Version() - 10)
	if !ok || len(adds) != 10 || v != 4+maxAdditions ||
		adds[9].OutPoint.Index != maxAdditions-1 {
		t.Fatalf("the latest additions: %d, version %d, ok %v", len(adds), v, ok)
	}
	if all, _ := w.Snapshot(); len(all) != 4+maxAdditions {
		t.Fatalf("snapshot of %d items, want %d", len(all), 4+maxAdditions)
	}
}

func sameAddition(a, b Addition) bool {
	return slices.Equal(a.Script, b.Script) && a.OutPoint == b.OutPoint
}
