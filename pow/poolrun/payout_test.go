package poolrun

import (
	"errors"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// fakeWallet is a WalletPayer that adds a change output of 7 sat and
// charges a fee of 100 sat; Send fails while failSend is set.
type fakeWallet struct {
	sent     map[chainhash.Hash]bool
	failSend bool
}

func (w *fakeWallet) BuildPayout(outs []*wire.TxOut) (*wire.MsgTx, error) {
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{byte(len(w.sent))}}, nil, nil))
	for _, o := range outs {
		tx.AddTxOut(wire.NewTxOut(o.Value, o.PkScript))
	}
	tx.AddTxOut(wire.NewTxOut(7, []byte{0x51}))
	return tx, nil
}
func (w *fakeWallet) Known(txid chainhash.Hash) (bool, error) { return w.sent[txid], nil }
func (w *fakeWallet) Send(tx *wire.MsgTx) error {
	if w.failSend {
		return errors.New("mempool full")
	}
	w.sent[tx.TxHash()] = true
	return nil
}
func (w *fakeWallet) Fee(*wire.MsgTx) (int64, bool) { return 100, true }

// TestPayoutLog: a payout's fee is remembered once it is sent, as the
// wallet told it when it built the payout; a failed send remembers
// nothing; a transaction sent again after a restart (never built here)
// gets the fee the wallet tells then.
func TestPayoutLog(t *testing.T) {
	w := &fakeWallet{sent: map[chainhash.Hash]bool{}}
	l := &payoutLog{payer: w, built: make(map[chainhash.Hash]int64)}
	outs := []*wire.TxOut{wire.NewTxOut(1000, []byte{1}), wire.NewTxOut(2000, []byte{2})}
	tx, err := l.BuildPayout(outs)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := l.feeOf(tx.TxHash()); ok {
		t.Fatal("a payout built, not sent, has a fee remembered")
	}
	w.failSend = true
	if err := l.Send(tx); err == nil {
		t.Fatal("the failed send did not fail")
	}
	if _, ok := l.feeOf(tx.TxHash()); ok {
		t.Fatal("a payout whose send failed has a fee remembered")
	}
	w.failSend = false
	for i := 0; i < 2; i++ {
		if err := l.Send(tx); err != nil {
			t.Fatal(err)
		}
	}
	if fee, ok := l.feeOf(tx.TxHash()); !ok || fee != 100 {
		t.Fatalf("fee %d, %v; want 100", fee, ok)
	}

	other := wire.NewMsgTx(2)
	other.AddTxOut(wire.NewTxOut(5, []byte{3}))
	if err := l.Send(other); err != nil {
		t.Fatal(err)
	}
	if fee, ok := l.feeOf(other.TxHash()); !ok || fee != 100 {
		t.Fatalf("resent payout: fee %d, %v; want 100", fee, ok)
	}
}
