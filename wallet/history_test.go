package wallet

import (
	"errors"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

var foreignScript = []byte{txscript.OP_0, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
	11, 12, 13, 14, 15, 16, 17, 18, 19, 20}

// TestBalanceLeavesOutSpentCoins: a coin the wallet spent in a transaction
// not mined yet counts in no balance, at once and after a restart; the
// change counts as unconfirmed; --minconf 0 counts it.
func TestBalanceLeavesOutSpentCoins(t *testing.T) {
	c := newChain(t)
	w := newWallet(t, c)
	c.connect(w)
	c.connect(w, payTo(t, w, 50_000), payTo(t, w, 70_000))
	c.connect(w)

	tx, err := w.Fund([]*wire.TxOut{wire.NewTxOut(60_000, foreignScript)}, 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Sent(tx); err != nil {
		t.Fatal(err)
	}
	check := func(w *Wallet, what string) {
		t.Helper()
		b, err := w.Balances(1)
		if err != nil {
			t.Fatal(err)
		}
		// Fund took the 70,000 coin; 10,000 minus the fee comes back.
		if b.Confirmed != 50_000 || b.PendingSpent != 70_000 || b.Spendable != 50_000 {
			t.Fatalf("%s: %+v, want confirmed 50000, pending spent 70000", what, b)
		}
		if b.Unconfirmed <= 0 || b.Unconfirmed >= 10_000 || b.Total != 50_000+b.Unconfirmed {
			t.Fatalf("%s: unconfirmed change %d, total %d", what, b.Unconfirmed, b.Total)
		}
		if bal, _ := w.Balance(1); bal != 50_000 {
			t.Fatalf("%s: Balance(1) %d, want 50000", what, bal)
		}
		b0, _ := w.Balances(0)
		if b0.Confirmed != 50_000+b.Unconfirmed {
			t.Fatalf("%s: minconf 0 confirmed %d, want %d", what, b0.Confirmed, 50_000+b.Unconfirmed)
		}
		u, _ := w.ListUnspent(1)
		if len(u) != 1 || u[0].Value != 50_000 {
			t.Fatalf("%s: unspent %+v", what, u)
		}
		u0, _ := w.ListUnspent(0)
		if len(u0) != 2 || u0[1].Confirmations != 0 || u0[1].OutPoint.Hash != tx.TxHash() {
			t.Fatalf("%s: unspent with minconf 0 %+v", what, u0)
		}
	}
	check(w, "after the send")
	check(newWallet(t, c), "after a restart")

	// Another Fund cannot spend the coin again, even after a restart.
	w2 := newWallet(t, c)
	if _, err := w2.Fund([]*wire.TxOut{wire.NewTxOut(60_000, foreignScript)}, 5, 1); err == nil {
		t.Fatal("a restarted wallet spent a coin in flight again")
	}

	// Mined: the change is a confirmed coin, the history has the send.
	c.connect(w, tx)
	b, _ := w.Balances(1)
	if b.PendingSpent != 0 || b.Unconfirmed != 0 || b.Confirmed != 50_000+tx.TxOut[1].Value {
		t.Fatalf("after the block: %+v", b)
	}
	txs, err := w.Transactions()
	if err != nil || len(txs) != 3 {
		t.Fatalf("history %d %v", len(txs), err)
	}
	sent := txs[2]
	if sent.Tx.TxHash() != tx.TxHash() || sent.Height != 3 || sent.Sent != 70_000 ||
		sent.Received != tx.TxOut[1].Value || sent.Fee != 70_000-60_000-tx.TxOut[1].Value {
		t.Fatalf("sent record %+v", sent)
	}
	if txs[0].Received+txs[1].Received != 120_000 || txs[0].Fee != -1 || txs[0].Height != 1 {
		t.Fatalf("receive record %+v", txs[0])
	}
	// Undone with its block: pending again.
	c.disconnect()
	if got, err := w.Transaction(tx.TxHash()); err != nil || !got.Pending() {
		t.Fatalf("after the reorg: %+v %v", got, err)
	}
}

func TestBumpFee(t *testing.T) {
	c := newChain(t)
	w := newWallet(t, c)
	c.connect(w)
	c.connect(w, payTo(t, w, 100_000))
	c.connect(w)
	tx, err := w.Fund([]*wire.TxOut{wire.NewTxOut(30_000, foreignScript)}, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !signalsRBF(tx) {
		t.Fatal("Fund's transaction does not signal replaceability")
	}
	if err := w.Sent(tx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.BumpFee(tx.TxHash(), 2); !errors.Is(err, ErrReplacement) || !errors.Is(err, ErrBumpRate) {
		t.Fatalf("same rate: %v", err)
	}
	if _, _, err := w.BumpFee(chainhash.Hash{1}, 20); !errors.Is(err, ErrNotOwnTx) {
		t.Fatalf("foreign tx: %v", err)
	}
	repl, old, err := w.BumpFee(tx.TxHash(), 20)
	if err != nil {
		t.Fatal(err)
	}
	if old.TxHash() != tx.TxHash() || repl.TxHash() == tx.TxHash() {
		t.Fatal("no new transaction")
	}
	prevs, err := w.PrevOuts(repl)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckReplacement(tx, repl, prevs); err != nil {
		t.Fatal(err)
	}
	if fee := 100_000 - repl.TxOut[0].Value - repl.TxOut[1].Value; fee != 20*vsize(repl) {
		t.Fatalf("fee %d at 20 sat/vB of %d vB", fee, vsize(repl))
	}
	// The replacement against itself is no replacement.
	if err := CheckReplacement(repl, repl, prevs); !errors.Is(err, ErrReplacement) {
		t.Fatalf("self-replacement: %v", err)
	}
	if err := w.Sent(repl); err != nil {
		t.Fatal(err)
	}
	txs, _ := w.Transactions()
	if n := len(txs); n != 2 || txs[1].Tx.TxHash() != repl.TxHash() {
		t.Fatalf("history after the bump: %d, last %v", n, txs[n-1].Tx.TxHash())
	}
	b, _ := w.Balances(1)
	if b.Unconfirmed != repl.TxOut[1].Value || b.PendingSpent != 100_000 {
		t.Fatalf("balance after the bump %+v", b)
	}
	c.connect(w, repl)
	if _, _, err := w.BumpFee(repl.TxHash(), 40); !errors.Is(err, ErrConfirmed) {
		t.Fatalf("confirmed tx: %v", err)
	}
}

// TestStakeSpend: a stake the node withdraws is watched, and the block
// that spends it is recorded, undone with a reorg, across restarts.
func TestStakeSpend(t *testing.T) {
	c := newChain(t)
	w := newWallet(t, c)
	c.connect(w)
	stake := wire.OutPoint{Hash: chainhash.Hash{0x5e}, Index: 0}
	withdrawal := wire.NewMsgTx(2)
	withdrawal.AddTxIn(wire.NewTxIn(&stake, nil, nil))
	withdrawal.AddTxOut(wire.NewTxOut(1000, foreignScript))
	if _, ok, err := w.StakeSpend(stake); ok || err != nil {
		t.Fatalf("before: %v %v", ok, err)
	}
	if err := w.WatchStake(stake, foreignScript, withdrawal.TxHash()); err != nil {
		t.Fatal(err)
	}
	s, ok, err := w.StakeSpend(stake)
	if !ok || err != nil || s.Spent || s.Sent != withdrawal.TxHash() {
		t.Fatalf("sent: %+v %v %v", s, ok, err)
	}
	w = newWallet(t, c) // a restart: still watched
	c.connect(w, withdrawal)
	if s, _, _ := w.StakeSpend(stake); !s.Spent || s.SpentHeight != 1 || s.SpentTxID != withdrawal.TxHash() {
		t.Fatalf("mined: %+v", s)
	}
	c.disconnect()
	if s, _, _ := w.StakeSpend(stake); s.Spent {
		t.Fatalf("after the reorg: %+v", s)
	}
}

// TestOwnStakeSpentElsewhere: a stake of the wallet's that the node never
// withdrew (another copy of the wallet did) is recorded as spent, with a
// zero Sent, once WatchOwnStake watches it.
func TestOwnStakeSpentElsewhere(t *testing.T) {
	c := newChain(t)
	w := newWallet(t, c)
	c.connect(w)
	stake := wire.OutPoint{Hash: chainhash.Hash{0x5f}, Index: 1}
	withdrawal := wire.NewMsgTx(2)
	withdrawal.AddTxIn(wire.NewTxIn(&stake, nil, nil))
	withdrawal.AddTxOut(wire.NewTxOut(1000, foreignScript))
	w.WatchOwnStake(stake, foreignScript)
	if _, ok, err := w.StakeSpend(stake); ok || err != nil {
		t.Fatalf("watched only: %v %v", ok, err)
	}
	c.connect(w, withdrawal)
	s, ok, err := w.StakeSpend(stake)
	if !ok || err != nil || !s.Spent || s.SpentTxID != withdrawal.TxHash() ||
		s.Sent != (chainhash.Hash{}) {
		t.Fatalf("spent elsewhere: %+v %v %v", s, ok, err)
	}
	c.disconnect()
	if _, ok, err := w.StakeSpend(stake); ok || err != nil {
		t.Fatalf("after the reorg: %v %v", ok, err)
	}
}
