package sideblock_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/lottery"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// TestMainstakeEngine checks the engine's heights, seal and fork-choice
// order: longer first, then earlier publication.
func TestMainstakeEngine(t *testing.T) {
	e := sideblock.MainstakeEngine{}
	if e.ProductionHeight(101) != 100 {
		t.Fatal("production height")
	}
	k := newKit(t)
	b := k.block(chainhash.Hash{1}, 5, 0)
	seal, err := e.Seal(context.Background(), b)
	hb := b.Header.Bytes()
	if err != nil || !bytes.Equal(seal, hb[:]) {
		t.Fatalf("seal %x, %v", seal, err)
	}
	if h := sideblock.OpReturnHeader(b); h.PrevBlock != b.Header.PrevBlock ||
		h.MerkleRoot != b.Header.MerkleRoot {
		t.Fatal("OpReturnHeader")
	}

	infos := []*sideblock.BlockInfo{
		{Height: 7, PubHeight: 90},
		{Height: 7, PubHeight: 95},
		{Height: 6, PubHeight: 10},
		{Height: 0, PubHeight: 1},
	}
	for i := range infos {
		for j := range infos {
			if got := sideblock.Prefer(e, infos[i], infos[j]); got != (i < j) {
				t.Errorf("Prefer(%d, %d) = %v", i, j, got)
			}
		}
		if len(e.ForkChoiceKey(infos[i])) != len(e.ForkChoiceKey(infos[0])) {
			t.Error("fork-choice keys of different lengths")
		}
	}

	// Nobody is drawn in an empty store.
	ms := newMainSim(t)
	err = ms.db.View(func(r store.Reader) error {
		p, ok, err := e.Producer(r, 0)
		if err != nil || ok || p != nil {
			t.Errorf("producer %v %v %v", p, ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ms.chain.Engine().Name() != "mainstake" {
		t.Fatal("default engine")
	}

	// Without ticket weights the engine has no candidates for the peg's
	// federation; with them, an empty store has none.
	err = ms.db.View(func(r store.Reader) error {
		if c, err := e.Candidates(r); err == nil {
			t.Errorf("candidates %v without weights", c)
		}
		c, err := sideblock.MainstakeEngine{Weights: noWeights{}}.Candidates(r)
		if err != nil || len(c) != 0 {
			t.Errorf("candidates %v, %v in an empty store", c, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// noWeights weighs every ticket 0.
type noWeights struct{}

func (noWeights) Weight(lottery.TicketID) lottery.Uint128 { return lottery.Uint128{} }
