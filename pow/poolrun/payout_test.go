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

// TestPayoutLog: a payout is listed once it is sent, with the outputs the
// pool asked for (not the wallet's change) and its fee; a failed send
// lists nothing, a second send of the same transaction nothing more; a
// transaction sent again after a restart (never built here) lists every
// output.
func TestPayoutLog(t *testing.T) {
	w := &fakeWallet{sent: map[chainhash.Hash]bool{}}
	l := &payoutLog{payer: w, built: make(map[chainhash.Hash]payoutEntry)}
	outs := []*wire.TxOut{wire.NewTxOut(1000, []byte{1}), wire.NewTxOut(2000, []byte{2})}
	tx, err := l.BuildPayout(outs)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.list()) != 0 {
		t.Fatal("a payout built, not sent, is listed")
	}
	w.failSend = true
	if err := l.Send(tx); err == nil || len(l.list()) != 0 {
		t.Fatalf("failed send: %v, %d listed", err, len(l.list()))
	}
	w.failSend = false
	for i := 0; i < 2; i++ {
		if err := l.Send(tx); err != nil {
			t.Fatal(err)
		}
	}
	got := l.list()
	if len(got) != 1 || got[0].tx.TxHash() != tx.TxHash() || len(got[0].outs) != 2 ||
		got[0].outs[1].Value != 2000 || got[0].fee != 100 || got[0].time.IsZero() {
		t.Fatalf("listed %+v", got)
	}

	other := wire.NewMsgTx(2)
	other.AddTxOut(wire.NewTxOut(5, []byte{3}))
	other.AddTxOut(wire.NewTxOut(6, []byte{4}))
	if err := l.Send(other); err != nil {
		t.Fatal(err)
	}
	if got := l.list(); len(got) != 2 || len(got[1].outs) != 2 || got[1].outs[0].Value != 5 {
		t.Fatalf("resent payout %+v", got)
	}
}
