package wallet

import (
	"bytes"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/wire"
)

// sendPending funds a payment of value to foreignScript at 1 sat/vB and
// records it as sent.
func sendPending(t *testing.T, w *Wallet, value int64) *wire.MsgTx {
	t.Helper()
	tx, err := w.Fund([]*wire.TxOut{wire.NewTxOut(value, foreignScript)}, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Sent(tx); err != nil {
		t.Fatal(err)
	}
	return tx
}

// checkBump checks that repl replaces tx: tx's inputs and then more, its
// outputs other than change unchanged, valid by CheckTx and
// CheckReplacement, paying at least feeRate over its size.
func checkBump(t *testing.T, w *Wallet, tx, repl *wire.MsgTx, feeRate int64) (fee int64) {
	t.Helper()
	prevs, err := w.PrevOuts(repl)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckTx(repl, prevs); err != nil {
		t.Fatal(err)
	}
	if err := CheckReplacement(tx, repl, prevs); err != nil {
		t.Fatal(err)
	}
	if len(repl.TxIn) <= len(tx.TxIn) {
		t.Fatalf("%d inputs, the original has %d: no coin added", len(repl.TxIn), len(tx.TxIn))
	}
	for i, in := range tx.TxIn {
		if repl.TxIn[i].PreviousOutPoint != in.PreviousOutPoint {
			t.Fatalf("input %d changed", i)
		}
	}
	var in, out int64
	for _, txIn := range repl.TxIn {
		in += prevs.FetchPrevOutput(txIn.PreviousOutPoint).Value
	}
	kept := 0
	for _, o := range repl.TxOut {
		out += o.Value
		if bytes.Equal(o.PkScript, foreignScript) {
			kept++
			if o.Value != tx.TxOut[0].Value {
				t.Fatalf("payment changed: %d, was %d", o.Value, tx.TxOut[0].Value)
			}
		}
	}
	if kept != 1 {
		t.Fatalf("%d payments in the replacement", kept)
	}
	if fee = in - out; fee < feeRate*vsize(repl) {
		t.Fatalf("fee %d below %d sat/vB of %d vB", fee, feeRate, vsize(repl))
	}
	return fee
}

// TestBumpFeeAddsCoinWithoutChange: a send without change is bumped by
// adding a confirmed coin, the rest going to a new change output.
func TestBumpFeeAddsCoinWithoutChange(t *testing.T) {
	c := newChain(t)
	w := newWallet(t, c)
	c.connect(w)
	c.connect(w, payTo(t, w, 100_000), payTo(t, w, 50_000))
	c.connect(w)
	tx := sendPending(t, w, 99_700) // the change would be dust: none
	if len(tx.TxIn) != 1 || len(tx.TxOut) != 1 {
		t.Fatalf("setup: %d inputs, %d outputs", len(tx.TxIn), len(tx.TxOut))
	}
	repl, _, err := w.BumpFee(tx.TxHash(), 20)
	if err != nil {
		t.Fatal(err)
	}
	checkBump(t, w, tx, repl, 20)
	if len(repl.TxOut) != 2 {
		t.Fatalf("%d outputs, want the payment and a new change", len(repl.TxOut))
	}
	if err := w.Sent(repl); err != nil {
		t.Fatal(err)
	}
	b, _ := w.Balances(1)
	if b.PendingSpent != 150_000 || b.Confirmed != 0 {
		t.Fatalf("balance after the bump %+v", b)
	}
}

// TestBumpFeeAddsCoinTinyChange: a send whose change cannot pay the bump
// gets a coin added and its change enlarged.
func TestBumpFeeAddsCoinTinyChange(t *testing.T) {
	c := newChain(t)
	w := newWallet(t, c)
	c.connect(w)
	c.connect(w, payTo(t, w, 100_000), payTo(t, w, 50_000))
	c.connect(w)
	tx := sendPending(t, w, 99_000)
	if len(tx.TxIn) != 1 || len(tx.TxOut) != 2 || tx.TxOut[1].Value >= 1000 {
		t.Fatalf("setup: %d inputs, %d outputs", len(tx.TxIn), len(tx.TxOut))
	}
	repl, _, err := w.BumpFee(tx.TxHash(), 20)
	if err != nil {
		t.Fatal(err)
	}
	checkBump(t, w, tx, repl, 20)
	if len(repl.TxOut) != 2 || !bytes.Equal(repl.TxOut[1].PkScript, tx.TxOut[1].PkScript) ||
		repl.TxOut[1].Value <= tx.TxOut[1].Value {
		t.Fatalf("change not kept and enlarged: %d outputs", len(repl.TxOut))
	}
}

// TestBumpFeeConfirmedCoinsOnly: an unconfirmed output of the wallet (the
// change of another pending send) is never added (BIP125 rule 2), nor a
// coin a pending send spends; without a confirmed coin the bump fails
// with ErrReplacement, and a confirmed coin then makes it.
func TestBumpFeeConfirmedCoinsOnly(t *testing.T) {
	c := newChain(t)
	w := newWallet(t, c)
	c.connect(w)
	c.connect(w, payTo(t, w, 100_000), payTo(t, w, 50_000))
	c.connect(w)
	tx := sendPending(t, w, 99_700)
	other := sendPending(t, w, 10_000) // spends the 50_000 coin, ~40_000 unconfirmed change
	if len(other.TxOut) != 2 {
		t.Fatal("setup: no change on the other send")
	}
	_, _, err := w.BumpFee(tx.TxHash(), 20)
	if !errors.Is(err, ErrReplacement) || errors.Is(err, ErrBumpRate) {
		t.Fatalf("bump without a confirmed coin: %v", err)
	}
	c.connect(w, payTo(t, w, 30_000))
	repl, _, err := w.BumpFee(tx.TxHash(), 20)
	if err != nil {
		t.Fatal(err)
	}
	checkBump(t, w, tx, repl, 20)
	otherTxid := other.TxHash()
	for _, in := range repl.TxIn {
		if in.PreviousOutPoint.Hash == otherTxid || in.PreviousOutPoint == other.TxIn[0].PreviousOutPoint {
			t.Fatalf("the replacement spends %v: unconfirmed or spent by a pending send", in.PreviousOutPoint)
		}
	}
}

// TestBumpFeeNotEnoughCoins: when the change and the confirmed coins do not
// pay the bump, BumpFee fails with ErrReplacement (not ErrBumpRate) and
// builds nothing.
func TestBumpFeeNotEnoughCoins(t *testing.T) {
	c := newChain(t)
	w := newWallet(t, c)
	c.connect(w)
	c.connect(w, payTo(t, w, 100_000), payTo(t, w, 1_000))
	c.connect(w)
	tx := sendPending(t, w, 99_700)
	repl, _, err := w.BumpFee(tx.TxHash(), 50)
	if !errors.Is(err, ErrReplacement) || errors.Is(err, ErrBumpRate) || repl != nil {
		t.Fatalf("bump without enough coins: %v", err)
	}
	// The coin it could not use is still spendable.
	if b, _ := w.Balances(1); b.Confirmed != 1_000 {
		t.Fatalf("balance %+v", b)
	}
}

// TestBumpFeeHoldsAddedCoins: the coin a bump adds is held back from Fund
// (and from another bump) until the replacement is sent or released, as a
// funded send's coins are; Release gives it back.
func TestBumpFeeHoldsAddedCoins(t *testing.T) {
	c := newChain(t)
	w := newWallet(t, c)
	c.connect(w)
	c.connect(w, payTo(t, w, 100_000), payTo(t, w, 50_000))
	c.connect(w)
	tx := sendPending(t, w, 99_700) // no change: the bump adds the 50,000 coin
	repl, _, err := w.BumpFee(tx.TxHash(), 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(repl.TxIn) != 2 {
		t.Fatalf("setup: %d inputs", len(repl.TxIn))
	}
	if b, _ := w.Balances(1); b.Spendable != 0 {
		t.Fatalf("the added coin is spendable while its bump is on its way: %+v", b)
	}
	if _, err := w.Fund([]*wire.TxOut{wire.NewTxOut(10_000, foreignScript)}, 1, 1); err == nil {
		t.Fatal("Fund spent the coin a bump on its way holds")
	}
	if _, _, err := w.BumpFee(tx.TxHash(), 25); !errors.Is(err, ErrReplacement) {
		t.Fatalf("a second bump took the coin the first holds: %v", err)
	}
	w.Release(repl) // its broadcast failed
	if b, _ := w.Balances(1); b.Spendable != 50_000 || b.Confirmed != 50_000 {
		t.Fatalf("balance after the release %+v", b)
	}
	if _, err := w.Fund([]*wire.TxOut{wire.NewTxOut(10_000, foreignScript)}, 1, 1); err != nil {
		t.Fatalf("the released coin is not spendable: %v", err)
	}
}
