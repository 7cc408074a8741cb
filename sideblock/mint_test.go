package sideblock_test

import (
	"testing"

	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// fakeDeposits are deposits due from fixed lottery heights.
type fakeDeposits struct {
	deps    []sideblock.Deposit
	matured []int32 // lottery height from which deps[i] is due
}

func (f *fakeDeposits) MaturedBy(_ store.Reader, h int32) (uint64, error) {
	var n uint64
	for _, m := range f.matured {
		if m <= h {
			n++
		}
	}
	return n, nil
}

func (f *fakeDeposits) DepositAt(_ store.Reader, seq uint64) (sideblock.Deposit, error) {
	return f.deps[seq], nil
}

func (ms *mainSim) template() *sideblock.Block {
	ms.t.Helper()
	var b *sideblock.Block
	err := ms.db.View(func(r store.Reader) error {
		var err error
		b, err = ms.chain.NewBlockTemplate(r, ms.height(), []byte{txscript.OP_TRUE}, nil)
		return err
	})
	if err != nil {
		ms.t.Fatal(err)
	}
	return b
}

func (ms *mainSim) requireMinted(want uint64) {
	ms.t.Helper()
	got, err := ms.chain.Minted()
	if err != nil || got != want {
		ms.t.Fatalf("minted %d (%v), want %d", got, err, want)
	}
}

// TestChainMints follows the deposits a chain mints through templates,
// a block that leaves its mint out, and a mainchain reorg.
func TestChainMints(t *testing.T) {
	ms := newMainSim(t)
	script := []byte{txscript.OP_0, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}
	src := &fakeDeposits{
		deps: []sideblock.Deposit{
			{Seq: 0, Value: 10_000, PkScript: script},
			{Seq: 1, Value: 20_000, PkScript: script},
			{Seq: 2, Value: 30_000, PkScript: script},
		},
		matured: []int32{5, 5, 8},
	}
	ms.chain.SetDeposits(src)

	ms.advanceTo(3)
	b1 := ms.template()
	if len(b1.Transactions) > 1 && sideblock.IsMintTx(b1.Transactions[1]) {
		t.Fatal("a template mints before anything is due")
	}
	ms.stageNext(b1) // lottery 3
	ms.requireTip(b1, 0)
	ms.requireMinted(0)

	ms.advanceTo(5)
	b2 := ms.template()
	if len(b2.Transactions) < 2 || !sideblock.IsMintTx(b2.Transactions[1]) ||
		len(b2.Transactions[1].TxOut) != 2 {
		t.Fatalf("template at lottery 5 does not mint deposits 0 and 1: %v", b2.Transactions)
	}
	ms.stageNext(b2)
	ms.requireTip(b2, 1)
	ms.requireMinted(2)

	// A block that leaves the due deposit out is invalid for good.
	ms.advanceTo(8)
	noMint := sideblock.NewBlock(b2.BlockHash(), ms.template().Transactions[:1])
	ms.stageNext(noMint)
	ms.requireStatus(noMint, sideblock.StatusInvalid, false)
	ms.requireTip(b2, 1)

	b3 := ms.template() // lottery 9: deposit 2 is still due
	if len(b3.Transactions) < 2 || !sideblock.IsMintTx(b3.Transactions[1]) {
		t.Fatal("template does not mint deposit 2")
	}
	if first, _ := sideblock.MintFirstSeq(b3.Transactions[1]); first != 2 {
		t.Fatalf("template mints from %d", first)
	}
	ms.stageNext(b3)
	ms.requireTip(b3, 2)
	ms.requireMinted(3)

	// The minted output is in the UTXO set, and no coinbase.
	mintTx := b3.Transactions[1]
	u, ok, err := ms.chain.Utxo(wire.OutPoint{Hash: mintTx.TxHash()})
	if err != nil || !ok || u.Value != 30_000 || u.IsCoinbase {
		t.Fatalf("minted output: %+v %v %v", u, ok, err)
	}

	// A mainchain reorg that undoes b3's publication takes its mint back.
	ms.undo()
	ms.requireTip(b2, 1)
	ms.requireMinted(2)
	if _, ok, _ := ms.chain.Utxo(wire.OutPoint{Hash: mintTx.TxHash()}); ok {
		t.Fatal("the minted output survived the reorg")
	}
	ms.next(nil)
	ms.requireMinted(2)
}

func TestMintTxShape(t *testing.T) {
	deps := []sideblock.Deposit{{Seq: 7, Value: 1000, PkScript: []byte{txscript.OP_TRUE}},
		{Seq: 8, Value: 2000, PkScript: []byte{txscript.OP_TRUE}}}
	tx, err := sideblock.NewMintTx(deps)
	if err != nil {
		t.Fatal(err)
	}
	if !sideblock.IsMintTx(tx) || sideblock.IsCoinbase(tx) {
		t.Fatal("a mint transaction is not recognised, or taken for a coinbase")
	}
	if first, err := sideblock.MintFirstSeq(tx); err != nil || first != 7 {
		t.Fatalf("first %d, %v", first, err)
	}
	if _, err := sideblock.NewMintTx([]sideblock.Deposit{deps[1], deps[0]}); err == nil {
		t.Fatal("deposits out of order made a mint transaction")
	}
	if _, err := sideblock.NewMintTx(nil); err == nil {
		t.Fatal("no deposits made a mint transaction")
	}
	// The mempool refuses it like a coinbase.
	ms := newMainSim(t)
	pool := sideblock.NewMempool(ms.chain, ms.params, sideblock.MempoolConfig{})
	if err := pool.Add(tx); !sideblock.IsErrorCode(err, sideblock.ErrMempoolCoinbase) {
		t.Fatalf("mempool took a mint transaction: %v", err)
	}
}

// FuzzMintFirstSeq feeds arbitrary signature scripts to MintFirstSeq.
func FuzzMintFirstSeq(f *testing.F) {
	f.Add([]byte{8, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, script []byte) {
		tx := wire.NewMsgTx(2)
		tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: sideblock.MintIndex}, script, nil))
		seq, err := sideblock.MintFirstSeq(tx)
		if err == nil {
			again, _ := sideblock.NewMintTx([]sideblock.Deposit{{Seq: seq, Value: 1}})
			if string(again.TxIn[0].SignatureScript) != string(script) {
				t.Fatalf("script %x parses but is not the canonical %x", script,
					again.TxIn[0].SignatureScript)
			}
		}
	})
}
