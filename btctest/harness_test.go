package btctest

import (
	"fmt"
	"net"
	"testing"

	"github.com/btcsuite/btcd/wire"
)

func TestHarnessMineSendReorg(t *testing.T) {
	h := spendableHarness(t)
	tx := sendSelf(t, h, 100_000)
	hashes, err := h.Generate(1)
	if err != nil {
		t.Fatal(err)
	}
	block, err := h.Client().GetBlock(hashes[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(block.Transactions) != 2 || block.Transactions[1].TxHash() != tx.TxHash() {
		t.Fatalf("block does not confirm the sent transaction")
	}

	height, before, _ := h.Tip()
	if _, err := h.Reorg(6, 1); err != nil {
		t.Fatal(err)
	}
	newHeight, after, _ := h.Tip()
	if newHeight != height+1 || after == before {
		t.Fatalf("reorg: tip %d %v -> %d %v", height, before, newHeight, after)
	}
	// The block that replaced the old one at height-5 differs.
	old := hashes[0]
	got, err := h.Client().GetBlockHash(int64(height))
	if err != nil {
		t.Fatal(err)
	}
	if *got == *old {
		t.Fatalf("block at %d survived the reorg", height)
	}
}

func TestHarnessSimnetRestart(t *testing.T) {
	h := NewForTest(t, Options{Network: "simnet"})
	if _, err := h.Generate(10); err != nil {
		t.Fatal(err)
	}
	_, tip, _ := h.Tip()
	if err := h.Restart(); err != nil {
		t.Fatal(err)
	}
	height, again, err := h.Tip()
	if err != nil {
		t.Fatal(err)
	}
	if height != 10 || again != tip {
		t.Fatalf("after restart tip %d %v, want 10 %v", height, again, tip)
	}
}

// spendableHarness starts btcd and mines 101 blocks, so that the first
// coinbase is spendable.
func spendableHarness(t *testing.T) *Harness {
	t.Helper()
	h := NewForTest(t, Options{})
	if _, err := h.Generate(101); err != nil {
		t.Fatal(err)
	}
	return h
}

// sendSelf pays value to the mining address and returns the transaction.
func sendSelf(t *testing.T, h *Harness, value int64) *wire.MsgTx {
	t.Helper()
	tx, err := h.Send([]*wire.TxOut{wire.NewTxOut(value, h.MiningScript)}, 2)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

// TestFreePort checks that FreePort hands out distinct ports below the
// kernel's ephemeral range that a listener can then bind.
func TestFreePort(t *testing.T) {
	seen := make(map[int]bool)
	for i := 0; i < 50; i++ {
		p, err := FreePort()
		if err != nil {
			t.Fatal(err)
		}
		if seen[p] {
			t.Fatalf("port %d handed out twice", p)
		}
		seen[p] = true
		if p < minFreePort || p >= ephemeralStart() {
			t.Fatalf("port %d outside [%d, %d)", p, minFreePort, ephemeralStart())
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			t.Fatalf("port %d: %v", p, err)
		}
		l.Close()
	}
}
