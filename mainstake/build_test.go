package mainstake

import (
	"math"
	"testing"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/opreturn"
)

func TestBuildHeaderTx(t *testing.T) {
	p := &chainparams.Regtest
	priv, _ := btcec.NewPrivateKey()
	pubScript, _ := PublisherScript(priv.PubKey())
	tk := &Ticket{
		Registration: Registration{PubKey: priv.PubKey()},
		Current:      wire.OutPoint{Hash: chainhash.Hash{9}, Index: 2},
		CurrentValue: 20_000,
	}
	hdr := &opreturn.Header{PrevBlock: chainhash.Hash{1}, MerkleRoot: chainhash.Hash{2}}
	tx, err := BuildHeaderTx(tk, hdr, p.SidechainID, 3, priv)
	if err != nil {
		t.Fatal(err)
	}
	// It is the header transaction the index recognizes.
	got, next, err := ParseHeaderTx(tx, tk.Current, priv.PubKey(), p.SidechainID)
	if err != nil || *got != *hdr || next != (wire.OutPoint{Hash: tx.TxHash(), Index: 1}) {
		t.Fatalf("ParseHeaderTx: %+v %v %v", got, next, err)
	}
	// Its signature verifies, it is standard, and it pays the fee rate.
	fetcher := txscript.NewCannedPrevOutputFetcher(pubScript, tk.CurrentValue)
	vm, err := txscript.NewEngine(pubScript, tx, 0, txscript.StandardVerifyFlags, nil,
		txscript.NewTxSigHashes(tx, fetcher), tk.CurrentValue, fetcher)
	if err != nil {
		t.Fatal(err)
	}
	if err := vm.Execute(); err != nil {
		t.Fatalf("signature: %v", err)
	}
	if err := checkStandard(tx); err != nil {
		t.Fatalf("not standard: %v", err)
	}
	vsize := (blockchainWeight(tx) + 3) / 4
	if fee := tk.CurrentValue - tx.TxOut[1].Value; fee < 3*vsize {
		t.Fatalf("fee %d below 3 sat/vB for %d vbytes", fee, vsize)
	}

	// A publisher output that cannot pay is refused by code.
	tk.CurrentValue = 500
	if _, err := BuildHeaderTx(tk, hdr, p.SidechainID, 3, priv); !IsErrorCode(err, ErrPublisherExhausted) {
		t.Fatalf("exhausted publisher: %v", err)
	}
	// A fee rate whose fee would overflow int64 is refused, never wrapped
	// into an output worth more than the input.
	for _, rate := range []int64{1 << 62, math.MaxInt64 / 100, 1e17} {
		tx, err := BuildHeaderTx(tk, hdr, p.SidechainID, rate, priv)
		if !IsErrorCode(err, ErrPublisherExhausted) {
			t.Fatalf("fee rate %d: %v %v", rate, tx, err)
		}
	}
	// Another key is refused.
	other, _ := btcec.NewPrivateKey()
	tk.CurrentValue = 20_000
	if _, err := BuildHeaderTx(tk, hdr, p.SidechainID, 3, other); !IsErrorCode(err, ErrInvalidArgument) {
		t.Fatalf("wrong key: %v", err)
	}
}

func blockchainWeight(tx *wire.MsgTx) int64 {
	return blockchain.GetTransactionWeight(btcutil.NewTx(tx))
}

// A header transaction with a further wallet input (design reference §5:
// further inputs may add fees) is a valid header transaction: the index
// moves the chain on to its output 1, which holds the top-up, and both
// signatures verify.
func TestNewHeaderTxFurtherInputs(t *testing.T) {
	p := &chainparams.Regtest
	priv, _ := btcec.NewPrivateKey()
	walletKey, _ := btcec.NewPrivateKey()
	tk := &Ticket{
		Registration: Registration{PubKey: priv.PubKey()},
		Current:      wire.OutPoint{Hash: chainhash.Hash{9}, Index: 2},
		CurrentValue: 600,
	}
	walletScript, _ := PublisherScript(walletKey.PubKey()) // any P2WPKH
	extra := []HeaderInput{{OutPoint: wire.OutPoint{Hash: chainhash.Hash{7}},
		Prev: wire.NewTxOut(50_000, walletScript)}}
	hdr := &opreturn.Header{PrevBlock: chainhash.Hash{1}, MerkleRoot: chainhash.Hash{2}}
	vsize := HeaderTxVSize(1)
	fee := 5 * vsize
	tx, err := NewHeaderTx(tk, hdr, p.SidechainID, extra, fee, nil)
	if err != nil {
		t.Fatal(err)
	}
	prevs, err := HeaderPrevOuts(tk, extra)
	if err != nil {
		t.Fatal(err)
	}
	if err := SignHeaderInput(tx, tk, prevs, priv); err != nil {
		t.Fatal(err)
	}
	wit, err := txscript.WitnessSignature(tx, txscript.NewTxSigHashes(tx, prevs), 1, 50_000,
		walletScript, txscript.SigHashAll, walletKey, true)
	if err != nil {
		t.Fatal(err)
	}
	tx.TxIn[1].Witness = wit
	for i, in := range tx.TxIn {
		if in.Sequence != RBFSequence {
			t.Fatalf("input %d does not signal replaceability", i)
		}
		prev := prevs.FetchPrevOutput(in.PreviousOutPoint)
		vm, err := txscript.NewEngine(prev.PkScript, tx, i, txscript.StandardVerifyFlags, nil,
			txscript.NewTxSigHashes(tx, prevs), prev.Value, prevs)
		if err != nil {
			t.Fatal(err)
		}
		if err := vm.Execute(); err != nil {
			t.Fatalf("input %d: %v", i, err)
		}
	}
	if err := checkStandard(tx); err != nil {
		t.Fatalf("not standard: %v", err)
	}
	if got := (blockchainWeight(tx) + 3) / 4; got > vsize {
		t.Fatalf("vsize %d above HeaderTxVSize %d", got, vsize)
	}
	if tx.TxOut[1].Value != 50_600-fee {
		t.Fatalf("output 1 holds %d, want %d", tx.TxOut[1].Value, 50_600-fee)
	}
	s, err := ClassifySpend(tx, tk.Current, priv.PubKey(), p.SidechainID)
	if err != nil || s.Class != ValidHeader || *s.Header != *hdr {
		t.Fatalf("the index does not take it as a header: %+v %v", s, err)
	}
	// Without the further input the publisher output cannot pay.
	if _, err := NewHeaderTx(tk, hdr, p.SidechainID, nil, fee, nil); !IsErrorCode(err, ErrPublisherExhausted) {
		t.Fatalf("exhausted publisher: %v", err)
	}
}
