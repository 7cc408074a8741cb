package withdraw_test

import (
	"bytes"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/pegbox"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/withdraw"
)

const sidechainID = 0x0d07

var (
	pegboxScript = append([]byte{txscript.OP_0, 32}, bytes.Repeat([]byte{0xaa}, 32)...)
	isPegbox     = func(s []byte) bool { return bytes.Equal(s, pegboxScript) }
)

func dest(b byte) []byte {
	return append([]byte{txscript.OP_0, 20}, bytes.Repeat([]byte{b}, 20)...)
}

// block returns a sideblock header with three withdrawals in two
// transactions, and the evidence for its payout.
func block(t testing.TB) (*sideblock.Header, withdraw.Evidence, []sideblock.Withdrawal) {
	t.Helper()
	coinbase := wire.NewMsgTx(2)
	coinbase.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: wire.MaxPrevOutIndex}, []byte{1, 100}, nil))
	coinbase.AddTxOut(wire.NewTxOut(1000, dest(9)))
	var txs = []*wire.MsgTx{coinbase}
	for i, spec := range [][]struct {
		value, fee int64
		to         byte
	}{{{200_000, 2_000, 1}, {300_000, 3_000, 2}}, {{150_000, 1_500, 3}}} {
		tx := wire.NewMsgTx(2)
		tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{byte(i + 1)}}, nil, nil))
		for _, s := range spec {
			script, err := sideblock.WithdrawalScript(s.fee, dest(s.to))
			if err != nil {
				t.Fatal(err)
			}
			tx.AddTxOut(wire.NewTxOut(s.value, script))
		}
		txs = append(txs, tx)
	}
	ws := sideblock.BlockWithdrawals(txs)
	txRoot := sideblock.CalcTxRoot(txs)
	hdr := &sideblock.Header{PrevBlock: chainhash.Hash{7},
		MerkleRoot: sideblock.HeaderMerkleRoot(txRoot, sideblock.WithdrawalRoot(ws))}
	ev := withdraw.Evidence{Header: *hdr, TxRoot: txRoot}
	for i := range ws {
		br, err := sideblock.WithdrawalBranch(ws, i)
		if err != nil {
			t.Fatal(err)
		}
		ev.Proofs = append(ev.Proofs, withdraw.Proof{Withdrawal: ws[i], Branch: br})
	}
	return hdr, ev, ws
}

func TestPayoutVerifies(t *testing.T) {
	hdr, ev, ws := block(t)
	coins := []pegbox.Coin{
		{OutPoint: wire.OutPoint{Hash: chainhash.Hash{0x20}}, Value: 400_000, PkScript: pegboxScript, Height: 12},
		{OutPoint: wire.OutPoint{Hash: chainhash.Hash{0x10}}, Value: 100_000, PkScript: pegboxScript, Height: 12},
		{OutPoint: wire.OutPoint{Hash: chainhash.Hash{0x30}}, Value: 900_000, PkScript: pegboxScript, Height: 10},
	}
	tx, err := pegbox.BuildPayout(hdr.BlockHash(), ws, coins, pegboxScript, sidechainID, 546, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Oldest coin first, then by outpoint; the change keeps what the
	// withdrawals did not burn.
	if len(tx.TxIn) != 1 || tx.TxIn[0].PreviousOutPoint.Hash != (chainhash.Hash{0x30}) {
		t.Fatalf("inputs %v", tx.TxIn)
	}
	if got := tx.TxOut[len(tx.TxOut)-1].Value; got != 900_000-650_000 {
		t.Fatalf("change %d", got)
	}
	var out int64
	for _, o := range tx.TxOut {
		out += o.Value
	}
	if fee := 900_000 - out; fee != 2_000+3_000+1_500 {
		t.Fatalf("fee %d, want the sum of the fee budgets", fee)
	}
	// Any member builds the same transaction from the coins in any order.
	again, _ := pegbox.BuildPayout(hdr.BlockHash(), ws, []pegbox.Coin{coins[2], coins[0], coins[1]},
		pegboxScript, sidechainID, 546, 0)
	if again.TxHash() != tx.TxHash() {
		t.Fatal("the payout depends on the order of the coins")
	}
	if err := withdraw.VerifyPayout(tx, sidechainID, &ev, isPegbox); err != nil {
		t.Fatal(err)
	}

	// The pegbox cannot pay.
	if _, err := pegbox.BuildPayout(hdr.BlockHash(), ws, coins[:2], pegboxScript, sidechainID, 546, 0); !pegbox.IsErrorCode(err, pegbox.ErrPegboxShort) {
		t.Fatalf("short pegbox: %v", err)
	}
}

func TestPayoutRejects(t *testing.T) {
	hdr, ev, ws := block(t)
	coins := []pegbox.Coin{{OutPoint: wire.OutPoint{Hash: chainhash.Hash{0x30}},
		Value: 900_000, PkScript: pegboxScript, Height: 10}}
	good, err := pegbox.BuildPayout(hdr.BlockHash(), ws, coins, pegboxScript, sidechainID, 546, 0)
	if err != nil {
		t.Fatal(err)
	}
	other, _, _ := block(t)
	other.PrevBlock = chainhash.Hash{8}

	tests := []struct {
		name   string
		tx     func(*wire.MsgTx)
		ev     func(*withdraw.Evidence)
		want   withdraw.ErrorCode
		pegbox func([]byte) bool
	}{
		{"no OP_RETURN", func(tx *wire.MsgTx) { tx.TxOut = tx.TxOut[1:] }, nil, withdraw.ErrNotPayout, nil},
		{"another sideblock", nil, func(e *withdraw.Evidence) { e.Header = *other }, withdraw.ErrWrongSideBlock, nil},
		{"a proof missing", nil, func(e *withdraw.Evidence) { e.Proofs = e.Proofs[:2] }, withdraw.ErrIncompleteProofs, nil},
		{"proofs out of order", nil, func(e *withdraw.Evidence) { e.Proofs[0], e.Proofs[1] = e.Proofs[1], e.Proofs[0] }, withdraw.ErrIncompleteProofs, nil},
		{"forged proof: value", nil, func(e *withdraw.Evidence) { e.Proofs[1].Withdrawal.Value += 1000 }, withdraw.ErrBadProof, nil},
		{"forged proof: destination", nil, func(e *withdraw.Evidence) { e.Proofs[1].Withdrawal.PkScript = dest(0xee) }, withdraw.ErrBadProof, nil},
		{"forged proof: tx root", nil, func(e *withdraw.Evidence) { e.TxRoot[0] ^= 1 }, withdraw.ErrBadProof, nil},
		{"wrong amount", func(tx *wire.MsgTx) { tx.TxOut[2].Value++ }, nil, withdraw.ErrWrongAmount, nil},
		{"wrong script", func(tx *wire.MsgTx) { tx.TxOut[3].PkScript = dest(0xee) }, nil, withdraw.ErrWrongScript, nil},
		{"outputs swapped", func(tx *wire.MsgTx) { tx.TxOut[1], tx.TxOut[2] = tx.TxOut[2], tx.TxOut[1] }, nil, withdraw.ErrWrongAmount, nil},
		{"a withdrawal unpaid", func(tx *wire.MsgTx) { tx.TxOut = tx.TxOut[:3] }, nil, withdraw.ErrMissingOutput, nil},
		{"change to a stranger", nil, nil, withdraw.ErrExtraOutput, func([]byte) bool { return false }},
		{"an extra output", func(tx *wire.MsgTx) { tx.AddTxOut(wire.NewTxOut(1000, pegboxScript)) }, nil, withdraw.ErrExtraOutput, nil},
	}
	for _, tc := range tests {
		tx := good.Copy()
		e := ev
		e.Proofs = append([]withdraw.Proof(nil), ev.Proofs...)
		if tc.tx != nil {
			tc.tx(tx)
		}
		if tc.ev != nil {
			tc.ev(&e)
		}
		check := isPegbox
		if tc.pegbox != nil {
			check = tc.pegbox
		}
		err := withdraw.VerifyPayout(tx, sidechainID, &e, check)
		if !withdraw.IsErrorCode(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}
