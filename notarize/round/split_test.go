package round

import (
	"testing"

	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/chainparams"
)

// apply spends tx's inputs in the UTXO set and adds its outputs.
func (u *utxoSet) apply(tx *wire.MsgTx) {
	for _, in := range tx.TxIn {
		delete(u.outs, in.PreviousOutPoint)
	}
	h := tx.TxHash()
	for i, o := range tx.TxOut {
		u.outs[wire.OutPoint{Hash: h, Index: uint32(i)}] = o
	}
}

// verifySpend runs btcd's script engine on every input of tx against the
// UTXO set.
func verifySpend(t *testing.T, u *utxoSet, tx *wire.MsgTx) {
	t.Helper()
	fetcher := txscript.NewMultiPrevOutFetcher(nil)
	for _, in := range tx.TxIn {
		fetcher.AddPrevOut(in.PreviousOutPoint, u.outs[in.PreviousOutPoint])
	}
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	for i, in := range tx.TxIn {
		prev := u.outs[in.PreviousOutPoint]
		vm, err := txscript.NewEngine(prev.PkScript, tx, i, txscript.StandardVerifyFlags,
			nil, hashes, prev.Value, fetcher)
		if err == nil {
			err = vm.Execute()
		}
		if err != nil {
			t.Fatalf("input %d: %v", i, err)
		}
	}
}

// usable counts the wallet's outputs of at least unit.
func usable(t *testing.T, w *testWallet, unit int64) int {
	outs, err := w.Unspent(scriptOf(w.key))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, o := range outs {
		if o.Value >= unit {
			n++
		}
	}
	return n
}

// TestSplit: a notary with one large output splits it into k outputs of
// the round's input value and change; once it has k, nothing more; the
// transaction is valid by btcd's script engine and pays the fee rate.
func TestSplit(t *testing.T) {
	params := testParams()
	p := mustTarget(t, &testNet{t: t, params: params}, testChain(12))
	unit, err := MinInputValue(p, params, 10) // room for a fee rate 5 × the usual 2
	if err != nil {
		t.Fatal(err)
	}
	u := newUTXOSet()
	key := chainparams.DevNotaryKey(0)
	w := &testWallet{key, u}
	var pub [33]byte
	copy(pub[:], key.PubKey().SerializeCompressed())
	u.fund(scriptOf(key), 1_000_000)
	u.fund(scriptOf(key), unit-1) // not usable, and not the largest

	tx, err := Split(w, pub, unit, 4, 2)
	if err != nil || tx == nil {
		t.Fatalf("Split: %v, %v", tx, err)
	}
	if len(tx.TxIn) != 1 || len(tx.TxOut) != 5 {
		t.Fatalf("%d inputs, %d outputs", len(tx.TxIn), len(tx.TxOut))
	}
	verifySpend(t, u, tx)
	var out int64
	for _, o := range tx.TxOut {
		out += o.Value
	}
	if fee := 1_000_000 - out; fee < feeOf(tx, 2)-2*2 || fee > feeOf(tx, 2) {
		t.Fatalf("fee %d, want about %d", fee, feeOf(tx, 2))
	}
	u.apply(tx)
	if n := usable(t, w, unit); n < 4 {
		t.Fatalf("%d usable outputs after the split", n)
	}
	if again, err := Split(w, pub, unit, 4, 2); err != nil || again != nil {
		t.Fatalf("a second split with 4 usable outputs: %v, %v", again, err)
	}

	// Two usable left of k = 4 (the change counts as one): the split
	// spends the largest and brings the count back to 4 or more (its
	// own change may be usable too).
	outs, _ := w.Unspent(scriptOf(key))
	for _, o := range outs {
		if o.Value == unit {
			delete(u.outs, o.OutPoint)
			if usable(t, w, unit) == 2 {
				break
			}
		}
	}
	tx, err = Split(w, pub, unit, 4, 2)
	if err != nil || tx == nil {
		t.Fatalf("Split: %v, %v", tx, err)
	}
	verifySpend(t, u, tx)
	u.apply(tx)
	if n := usable(t, w, unit); n < 4 {
		t.Fatalf("%d usable outputs after the second split, want 4 or more", n)
	}
}

// TestSplitCannot: an output that cannot pay for one more usable output,
// and a key the wallet lacks, are ErrCannotSplit.
func TestSplitCannot(t *testing.T) {
	u := newUTXOSet()
	key := chainparams.DevNotaryKey(1)
	w := &testWallet{key, u}
	var pub [33]byte
	copy(pub[:], key.PubKey().SerializeCompressed())
	u.fund(scriptOf(key), 5_000)
	if _, err := Split(w, pub, 4_000, 3, 2); !IsErrorCode(err, ErrCannotSplit) {
		t.Fatalf("5,000 sat into 4,000 sat outputs: %v", err)
	}
	var other [33]byte
	copy(other[:], chainparams.DevNotaryKey(2).PubKey().SerializeCompressed())
	if _, err := Split(w, other, 1_000, 3, 2); !IsErrorCode(err, ErrCannotSplit) {
		t.Fatalf("another notary's key: %v", err)
	}
}

// TestSplitKeepsNotaryInRounds: a notary whose one output is split takes
// part in a round while its previous round's change is unconfirmed (here:
// not in the UTXO set).
func TestSplitKeepsNotaryInRounds(t *testing.T) {
	net := newTestNet(t, 5, 0)
	chain := testChain(12)
	p := mustTarget(t, net, chain)
	unit, _ := MinInputValue(p, net.params, 2)
	for i := 0; i < 5; i++ {
		key := chainparams.DevNotaryKey(i)
		net.utxo.fund(scriptOf(key), 200_000)
		var pub [33]byte
		copy(pub[:], key.PubKey().SerializeCompressed())
		tx, err := Split(&testWallet{key, net.utxo}, pub, unit, 3, 2)
		if err != nil || tx == nil {
			t.Fatalf("notary %d: %v", i, err)
		}
		net.utxo.apply(tx)
	}
	net.tip(chain)
	tx, _ := net.runRound(1)
	net.check(tx, chain)
	for _, in := range tx.TxIn {
		delete(net.utxo.outs, in.PreviousOutPoint) // spent; its change unconfirmed
	}
	chain2 := testChain(17)
	net.tip(chain2)
	tx2, timeouts := net.runRound(1)
	if timeouts != 0 {
		t.Fatalf("%d timeouts in the second round", timeouts)
	}
	net.check(tx2, chain2)
}
