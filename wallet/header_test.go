package wallet

import (
	"errors"
	"testing"

	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

func TestTakeCoinsAndSign(t *testing.T) {
	c := newChain(t)
	w := newWallet(t, c)
	c.connect(w)
	c.connect(w, payTo(t, w, 50_000), payTo(t, w, 70_000))
	// 100,000 sat and 100 sat per input: both coins.
	coins, err := w.TakeCoins(100_000, 100)
	if err != nil || len(coins) != 2 {
		t.Fatalf("TakeCoins: %v %v", coins, err)
	}
	// They are held: nothing is left for another caller, nor for Fund.
	if _, err := w.TakeCoins(1, 0); !errors.Is(err, ErrNoCoins) {
		t.Fatalf("held coins taken again: %v", err)
	}
	// A foreign input 0 and the wallet's coins: SignCoins signs its own.
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: 77}, nil, nil))
	prevs := txscript.NewMultiPrevOutFetcher(nil)
	prevs.AddPrevOut(wire.OutPoint{Index: 77}, wire.NewTxOut(1000, []byte{txscript.OP_TRUE}))
	for _, c := range coins {
		tx.AddTxIn(wire.NewTxIn(&c.OutPoint, nil, nil))
		prevs.AddPrevOut(c.OutPoint, wire.NewTxOut(c.Value, c.PkScript))
	}
	tx.AddTxOut(wire.NewTxOut(100_000, coins[0].PkScript))
	if err := w.SignCoins(tx, coins, prevs); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(tx.TxIn); i++ {
		prev := prevs.FetchPrevOutput(tx.TxIn[i].PreviousOutPoint)
		vm, err := txscript.NewEngine(prev.PkScript, tx, i, txscript.StandardVerifyFlags,
			nil, txscript.NewTxSigHashes(tx, prevs), prev.Value, prevs)
		if err != nil {
			t.Fatal(err)
		}
		if err := vm.Execute(); err != nil {
			t.Fatalf("input %d: %v", i, err)
		}
	}
	if tx.TxIn[0].Witness != nil {
		t.Fatal("signed an input that is not the wallet's")
	}
	w.ReleaseCoins(coins)
	if _, err := w.TakeCoins(120_001, 0); !errors.Is(err, ErrNoCoins) {
		t.Fatalf("more than the wallet holds: %v", err)
	}
}

func TestTopUpRecords(t *testing.T) {
	c := newChain(t)
	w := newWallet(t, c)
	c.connect(w)
	if total, err := w.AddTopUp(7, 10_000); err != nil || total != 10_000 {
		t.Fatalf("AddTopUp: %d %v", total, err)
	}
	if total, err := w.AddTopUp(7, 5_000); err != nil || total != 15_000 {
		t.Fatalf("second AddTopUp: %d %v", total, err)
	}
	if _, err := w.AddTopUp(7, 0); !errors.Is(err, ErrAmount) {
		t.Fatalf("zero top-up: %v", err)
	}
	if _, err := w.AddTopUp(7, MaxAmount); !errors.Is(err, ErrAmount) {
		t.Fatalf("top-up past 21 million BTC: %v", err)
	}
	if err := w.ClearTopUp(7, 10_000); err != nil {
		t.Fatal(err)
	}
	if v, _ := w.TopUp(7); v != 5_000 {
		t.Fatalf("after clearing 10,000: %d", v)
	}
	if err := w.ClearTopUp(7, 5_000); err != nil {
		t.Fatal(err)
	}
	if v, _ := w.TopUp(7); v != 0 {
		t.Fatalf("after clearing all: %d", v)
	}
}
