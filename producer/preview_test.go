package producer

import (
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/mainwatch"
)

// TestTakePreview checks which production a block's batch takes from the
// preview before it: the preview's, for the same block and winner, even if
// the block matches other transactions (its header is out already); none
// for another block, another winner, or a second time.
func TestTakePreview(t *testing.T) {
	tx := func(lock uint32) *wire.MsgTx {
		m := wire.NewMsgTx(2)
		m.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: lock}, nil, nil))
		m.LockTime = lock
		return m
	}
	a, b := tx(1), tx(2)
	block := func(hash byte, txs ...*wire.MsgTx) *mainwatch.Block {
		blk := &mainwatch.Block{Height: 7, Hash: chainhash.Hash{hash}}
		for i, m := range txs {
			blk.Txs = append(blk.Txs, mainwatch.Tx{Index: i + 1, MsgTx: m})
		}
		return blk
	}
	const winner = 3
	p := New(Env{})
	preview := func() *Production {
		made := &Production{height: 7, ticket: winner}
		p.Previewed(block(1, a, b), made)
		return made
	}

	made := preview()
	if got := p.TakePreview(block(1, a, b), winner); got != made {
		t.Fatal("the block of the preview did not take its production")
	}
	if got := p.TakePreview(block(1, a, b), winner); got != nil {
		t.Fatal("a preview's production was taken twice")
	}

	made = preview()
	if got := p.TakePreview(block(1, a), winner); got != made {
		t.Fatal("a block matching fewer transactions than its preview did not " +
			"take the production whose header is out")
	}

	preview()
	if got := p.TakePreview(block(2, a, b), winner); got != nil {
		t.Fatal("another block took the preview's production")
	}
	if p.previewed != nil {
		t.Fatal("the preview outlived the next block")
	}

	preview()
	if got := p.TakePreview(block(1, a, b), 4); got != nil {
		t.Fatal("the production of another winner was taken")
	}
}
