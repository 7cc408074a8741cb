package wallet

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

var p2wpkhDest = []byte{txscript.OP_0, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
	11, 12, 13, 14, 15, 16, 17, 18, 19, 20}

// TestFundBounds: amounts near 2^63 and fee rates near 2^63, from an empty
// and from a funded wallet, fail with ErrAmount or ErrFeeRate and hold
// back no coin; a wrapped sum never reaches a transaction.
func TestFundBounds(t *testing.T) {
	c := newChain(t)
	empty := newWallet(t, c)
	c.connect(empty)

	c2 := newChain(t)
	funded := newWallet(t, c2)
	c2.connect(funded)
	c2.connect(funded, payTo(t, funded, 50_000), payTo(t, funded, 70_000))
	c2.connect(funded)

	huge := int64(math.MaxInt64 - 1000)
	cases := []struct {
		name    string
		outs    []*wire.TxOut
		feeRate int64
		want    error
	}{
		{"amount near 2^63", []*wire.TxOut{wire.NewTxOut(huge, p2wpkhDest)}, 2, ErrAmount},
		{"amount above 21M BTC", []*wire.TxOut{wire.NewTxOut(MaxAmount+1, p2wpkhDest)}, 2, ErrAmount},
		{"outputs summing past 2^63", []*wire.TxOut{wire.NewTxOut(MaxAmount, p2wpkhDest),
			wire.NewTxOut(MaxAmount, p2wpkhDest)}, 2, ErrAmount},
		{"negative amount", []*wire.TxOut{wire.NewTxOut(-1, p2wpkhDest)}, 2, ErrAmount},
		{"fee rate near 2^63", []*wire.TxOut{wire.NewTxOut(10_000, p2wpkhDest)}, huge, ErrFeeRate},
		{"fee rate 1e17", []*wire.TxOut{wire.NewTxOut(10_000, p2wpkhDest)}, 1e17, ErrFeeRate},
		{"fee rate above the maximum", []*wire.TxOut{wire.NewTxOut(10_000, p2wpkhDest)},
			MaxFeeRate + 1, ErrFeeRate},
		{"fee rate 0", []*wire.TxOut{wire.NewTxOut(10_000, p2wpkhDest)}, 0, ErrFeeRate},
	}
	for _, w := range []*Wallet{empty, funded} {
		for _, tc := range cases {
			tx, err := w.Fund(tc.outs, tc.feeRate, 1)
			if !errors.Is(err, tc.want) {
				t.Errorf("%s: Fund = %v, %v; want %v", tc.name, tx, err, tc.want)
			}
			if len(w.locked) != 0 {
				t.Fatalf("%s: a refused Fund held back coins", tc.name)
			}
		}
	}
	// The wallet's whole balance at the highest rate: a clear shortfall
	// in plain figures, not a wrapped one.
	_, err := funded.Fund([]*wire.TxOut{wire.NewTxOut(100_000, p2wpkhDest)}, MaxFeeRate, 1)
	if err == nil || !strings.Contains(err.Error(), "120000 sat spendable") {
		t.Fatalf("Fund at the highest rate: %v", err)
	}
	if _, err := empty.Fund([]*wire.TxOut{wire.NewTxOut(MaxAmount, p2wpkhDest)}, MaxFeeRate, 1); err == nil {
		t.Fatal("an empty wallet funded 21M BTC")
	}
	// In range, it still works.
	if _, err := funded.Fund([]*wire.TxOut{wire.NewTxOut(100_000, p2wpkhDest)}, 5, 1); err != nil {
		t.Fatal(err)
	}
}

// TestCheckTx: CheckTx passes what Fund builds and refuses a transaction
// without inputs, one paying more than it spends, one whose signature does
// not verify and one spending an output it was not given.
func TestCheckTx(t *testing.T) {
	c := newChain(t)
	w := newWallet(t, c)
	c.connect(w)
	c.connect(w, payTo(t, w, 50_000), payTo(t, w, 70_000))
	c.connect(w)
	tx, err := w.Fund([]*wire.TxOut{wire.NewTxOut(100_000, p2wpkhDest)}, 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	prevs, err := w.PrevOuts(tx)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckTx(tx, prevs); err != nil {
		t.Fatalf("Fund's transaction: %v", err)
	}

	noInputs := wire.NewMsgTx(2)
	noInputs.AddTxOut(wire.NewTxOut(1000, p2wpkhDest))
	overpay := tx.Copy()
	overpay.TxOut[0].Value += 200_000
	badSig := tx.Copy()
	badSig.TxIn[0].Witness[0][10] ^= 1
	overflow := tx.Copy()
	overflow.TxOut[0].Value = math.MaxInt64
	for name, bad := range map[string]*wire.MsgTx{
		"no inputs": noInputs, "pays more than it spends": overpay,
		"bad signature": badSig, "output near 2^63": overflow,
	} {
		if err := CheckTx(bad, prevs); !errors.Is(err, ErrInvalidTx) {
			t.Errorf("%s: CheckTx = %v", name, err)
		}
	}
	if err := CheckTx(tx, txscript.NewMultiPrevOutFetcher(nil)); !errors.Is(err, ErrInvalidTx) {
		t.Errorf("unknown previous outputs: CheckTx = %v", err)
	}
	foreign := tx.Copy()
	foreign.TxIn[0].PreviousOutPoint.Index = 77
	if _, err := w.PrevOuts(foreign); !errors.Is(err, ErrInvalidTx) {
		t.Errorf("PrevOuts of a foreign input: %v", err)
	}
}
