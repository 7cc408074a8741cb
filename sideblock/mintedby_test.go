package sideblock_test

import (
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"

	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// TestMintingBlockAt finds the best-chain block that minted each deposit,
// and none for a deposit not minted yet or whose mint a reorg undid.
func TestMintingBlockAt(t *testing.T) {
	ms := newMainSim(t)
	script := []byte{txscript.OP_0, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}
	ms.chain.SetDeposits(&fakeDeposits{
		deps: []sideblock.Deposit{
			{Seq: 0, Value: 10_000, PkScript: script},
			{Seq: 1, Value: 20_000, PkScript: script},
			{Seq: 2, Value: 30_000, PkScript: script},
		},
		matured: []int32{5, 5, 8},
	})
	minter := func(seq uint64) (chainhash.Hash, bool) {
		t.Helper()
		var (
			info *sideblock.BlockInfo
			ok   bool
		)
		err := ms.db.View(func(r store.Reader) error {
			var err error
			info, ok, err = sideblock.MintingBlockAt(r, seq)
			return err
		})
		if err != nil {
			t.Fatalf("deposit %d: %v", seq, err)
		}
		if !ok {
			return chainhash.Hash{}, false
		}
		return info.Hash, true
	}

	ms.advanceTo(3)
	b1 := ms.template()
	ms.stageNext(b1)
	if _, ok := minter(0); ok {
		t.Fatal("deposit 0 minted before it is due")
	}
	ms.advanceTo(5)
	b2 := ms.template()
	ms.stageNext(b2)
	ms.advanceTo(8)
	b3 := ms.template()
	ms.stageNext(b3)
	ms.requireMinted(3)
	for seq, want := range []chainhash.Hash{b2.BlockHash(), b2.BlockHash(), b3.BlockHash()} {
		if got, ok := minter(uint64(seq)); !ok || got != want {
			t.Errorf("deposit %d minted by %v (%v), want %v", seq, got, ok, want)
		}
	}
	// One walk finds the minting blocks of several deposits at once.
	err := ms.db.View(func(r store.Reader) error {
		found, err := sideblock.MintingBlocksAt(r, []uint64{2, 0, 3, 1})
		if err != nil {
			return err
		}
		if len(found) != 3 || found[0].Hash != b2.BlockHash() ||
			found[1].Hash != b2.BlockHash() || found[2].Hash != b3.BlockHash() {
			t.Errorf("MintingBlocksAt: %+v", found)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := minter(3); ok {
		t.Fatal("deposit 3 does not exist, yet has a minting block")
	}
	ms.undo()
	if _, ok := minter(2); ok {
		t.Fatal("deposit 2's mint was undone, yet it has a minting block")
	}
	if got, ok := minter(1); !ok || got != b2.BlockHash() {
		t.Fatalf("deposit 1 minted by %v (%v) after the reorg", got, ok)
	}
}
