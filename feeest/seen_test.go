package feeest

import (
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

func seenID(i byte) chainhash.Hash { return chainhash.Hash{i} }

// TestSeenFloor: a block's floor is the lowest rate among its
// transactions that a snapshot before it held; the node's own header is
// left out, and transactions no snapshot held are skipped.
func TestSeenFloor(t *testing.T) {
	var s Seen
	s.Add([]SeenTx{
		{seenID(1), MempoolTx{Fee: 2000, VSize: 100}}, // 20 sat/vB
		{seenID(2), MempoolTx{Fee: 500, VSize: 100}},  // 5 sat/vB
		{seenID(3), MempoolTx{Fee: 300, VSize: 100}},  // 3 sat/vB: our header
	})
	// The next snapshot comes after btcd took the block's transactions
	// out of its mempool: the earlier ones are still known.
	s.Add(nil)
	floor, held, known := s.Floor([]chainhash.Hash{seenID(1), seenID(2), seenID(3), seenID(9)}, seenID(3))
	if !known || held != 2 || floor != FromSatPerVB(5) {
		t.Fatalf("floor %v, held %d, known %v; want 5 sat/vB, 2, true", floor, held, known)
	}
	if _, _, known := s.Floor([]chainhash.Hash{seenID(9)}); known {
		t.Fatal("a block of unseen transactions has a known floor")
	}
	if f, ok := s.BlockTook([]chainhash.Hash{seenID(1)}); !ok || f != FromSatPerVB(20) {
		t.Fatalf("block took %v %v", f, ok)
	}
	if f, ok := s.LastFloor(); !ok || f != FromSatPerVB(20) {
		t.Fatalf("last floor %v %v", f, ok)
	}
	// SeenSnapshots snapshots without them forget them.
	for i := 0; i < SeenSnapshots; i++ {
		s.Add(nil)
	}
	if _, _, known := s.Floor([]chainhash.Hash{seenID(1), seenID(2)}); known {
		t.Fatal("entries outlived SeenSnapshots snapshots")
	}
}

// TestSeenBound: a snapshot above MaxSeen keeps its highest rates, and a
// block transaction it dropped caps the floor at the highest rate dropped.
func TestSeenBound(t *testing.T) {
	var s Seen
	pool := make([]SeenTx, MaxSeen+2)
	for i := range pool {
		var id chainhash.Hash
		id[0], id[1], id[2] = byte(i), byte(i>>8), byte(i>>16)
		// rates 1..MaxSeen+2 sat/vB
		pool[i] = SeenTx{id, MempoolTx{Fee: int64(i+1) * 100, VSize: 100}}
	}
	s.Add(pool)
	if n := len(s.entries); n != MaxSeen {
		t.Fatalf("%d entries kept, want %d", n, MaxSeen)
	}
	// The block took the top transaction and one the bound dropped
	// (rate 1 sat/vB; the highest dropped is 2 sat/vB).
	floor, _, known := s.Floor([]chainhash.Hash{pool[len(pool)-1].TxID, pool[0].TxID})
	if !known || floor != FromSatPerVB(2) {
		t.Fatalf("floor %v %v, want the cutoff 2 sat/vB", floor, known)
	}
}
