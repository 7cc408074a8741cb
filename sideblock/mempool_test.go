package sideblock_test

import (
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/sideblock"
)

func requireSelect(t *testing.T, mp *sideblock.Mempool, maxBytes int, want ...*wire.MsgTx) {
	t.Helper()
	got := mp.Select(maxBytes)
	if len(got) != len(want) {
		t.Fatalf("selected %d transactions, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].TxHash() != want[i].TxHash() {
			t.Fatalf("selected[%d] = %v, want %v", i, got[i].TxHash(), want[i].TxHash())
		}
	}
}

func mustAdd(t *testing.T, mp *sideblock.Mempool, txs ...*wire.MsgTx) {
	t.Helper()
	for _, tx := range txs {
		if err := mp.Add(tx); err != nil {
			t.Fatalf("add %v: %v", tx.TxHash(), err)
		}
	}
}

// TestBlockTemplate: a template from the mempool passes validation,
// skips what does not fit the tip, and connects when published.
func TestBlockTemplate(t *testing.T) {
	f := newFixture(t)
	k := f.k
	ms := newMainSim(t)
	f.run(ms)
	mp := sideblock.NewMempool(ms.chain, ms.params, sideblock.MempoolConfig{})

	tx1 := k.spend(f.fan[:1], 2000, 2)
	tx2 := k.spend(outputs(tx1)[:1], 3000, 1) // child of tx1
	tx3 := k.spend(f.fan[1:2], 5000, 1)
	mustAdd(t, mp, tx1, tx2, tx3)
	requireSelect(t, mp, 1_000_000, tx3, tx1, tx2)
	// Too small for tx3 and tx1 together: tx2 cannot come without tx1.
	requireSelect(t, mp, tx3.SerializeSize()+tx1.SerializeSize()-1, tx3)

	conflict := k.spend(f.fan[1:2], 1000, 1)
	missing := k.spend([]spendable{{wire.OutPoint{Hash: chainhash.Hash{9}}, f.fan[2].out}}, 1000, 1)
	txs := append([]*wire.MsgTx{missing}, mp.Select(1_000_000)...)
	txs = append(txs, conflict)

	lh := ms.height()
	tmpl, err := func() (*sideblock.Block, error) {
		var b *sideblock.Block
		err := ms.db.View(func(r storeReader) error {
			var err error
			b, err = ms.chain.NewBlockTemplate(r, lh, k.script, txs)
			return err
		})
		return b, err
	}()
	if err != nil {
		t.Fatal(err)
	}
	if len(tmpl.Transactions) != 4 {
		t.Fatalf("template has %d transactions", len(tmpl.Transactions))
	}
	if got := tmpl.Transactions[0].TxOut[0].Value; got != ms.params.SideSubsidy+fee(f.fan[:1], tx1)+3000+5000 {
		t.Fatalf("coinbase pays %d", got)
	}
	if tmpl.Header.PrevBlock != f.f1.BlockHash() {
		t.Fatal("template not on the tip")
	}
	if err := ms.chain.StageOwnBody(tmpl); err != nil {
		t.Fatal(err)
	}
	res := ms.next(tmpl)
	requireHashes(t, "connected", res.Connected, tmpl)
	if err := mp.ProcessResult(res); err != nil {
		t.Fatal(err)
	}
	if mp.Count() != 0 || mp.Bytes() != 0 {
		t.Fatalf("mempool keeps %d transactions", mp.Count())
	}

	// A template cannot go below the tip's lottery height.
	err = ms.db.View(func(r storeReader) error {
		_, err := ms.chain.NewBlockTemplate(r, lh, k.script, nil)
		return err
	})
	if err == nil {
		t.Fatal("template at the tip's lottery height")
	}
}

// TestMempoolRejects checks the codes of what the mempool refuses.
func TestMempoolRejects(t *testing.T) {
	f := newFixture(t)
	k := f.k
	ms := newMainSim(t)
	f.run(ms)
	mp := sideblock.NewMempool(ms.chain, ms.params, sideblock.MempoolConfig{})

	tx := k.spend(f.fan[:1], 1000, 1)
	mustAdd(t, mp, tx)
	if !mp.Have(tx.TxHash()) {
		t.Fatal("Have")
	}
	if got, ok := mp.Get(tx.TxHash()); !ok || got != tx {
		t.Fatal("Get")
	}
	requireCode(t, mp.Add(tx), sideblock.ErrMempoolDuplicate)
	requireCode(t, mp.Add(k.spend(f.fan[:1], 2000, 1)), sideblock.ErrMempoolConflict)
	requireCode(t, mp.Add(f.f1.Transactions[0]), sideblock.ErrMempoolCoinbase)
	requireCode(t, mp.Add(k.spend(f.fan[1:2], 0, 1)), sideblock.ErrMempoolLowFee)
	requireCode(t, mp.Add(k.spend([]spendable{{wire.OutPoint{Hash: chainhash.Hash{9}}, f.fan[2].out}}, 1000, 1)),
		sideblock.ErrMissingTxOut)
	bad := k.spend(f.fan[2:3], 1000, 1)
	bad.TxIn[0].Witness[0][10] ^= 1
	requireCode(t, mp.Add(bad), sideblock.ErrScriptValidation)
	requireCode(t, mp.Add(k.spend(outputs(f.f1.Transactions[0]), 1000, 1)),
		sideblock.ErrImmatureSpend)

	small := sideblock.NewMempool(ms.chain, ms.params, sideblock.MempoolConfig{MaxTxSize: 100})
	requireCode(t, small.Add(k.spend(f.fan[3:4], 1000, 1)), sideblock.ErrTxTooLarge)
	if mp.Count() != 1 {
		t.Fatalf("%d transactions in the pool", mp.Count())
	}
}

// TestMempoolEviction: a full pool evicts the lowest fee rate with its
// descendants, and refuses what would be evicted first.
func TestMempoolEviction(t *testing.T) {
	f := newFixture(t)
	k := f.k
	ms := newMainSim(t)
	f.run(ms)

	low := k.spend(f.fan[:1], 1000, 2)
	lowChild := k.spend(outputs(low)[:1], 5000, 1)
	mid := k.spend(f.fan[1:2], 2000, 1)
	high := k.spend(f.fan[2:3], 4000, 1)
	size := low.SerializeSize() + lowChild.SerializeSize() + mid.SerializeSize()
	mp := sideblock.NewMempool(ms.chain, ms.params, sideblock.MempoolConfig{MaxBytes: size})
	mustAdd(t, mp, low, lowChild, mid)

	// high pushes the pool over; low goes, and its child with it.
	mustAdd(t, mp, high)
	if mp.Have(low.TxHash()) || mp.Have(lowChild.TxHash()) {
		t.Fatal("lowest fee rate not evicted with its child")
	}
	if !mp.Have(mid.TxHash()) || !mp.Have(high.TxHash()) {
		t.Fatal("evicted too much")
	}
	if mp.Bytes() != mid.SerializeSize()+high.SerializeSize() {
		t.Fatalf("pool size %d", mp.Bytes())
	}

	// Fill it again; the cheapest newcomer is refused.
	mustAdd(t, mp, k.spend(f.fan[3:4], 3000, 1))
	cheap := k.spend(f.fan[4:5], 1000, 1)
	requireCode(t, mp.Add(cheap), sideblock.ErrMempoolFull)
	if mp.Have(cheap.TxHash()) || mp.Count() != 3 {
		t.Fatal("refused transaction kept")
	}
}

// TestMempoolBlocks: connecting a block removes what it includes and what
// conflicts with it; a reorg puts the transactions of disconnected blocks
// back, with their children.
func TestMempoolBlocks(t *testing.T) {
	f := newFixture(t)
	k := f.k
	ms := newMainSim(t)
	f.run(ms)
	mp := sideblock.NewMempool(ms.chain, ms.params, sideblock.MempoolConfig{})

	tx1 := k.spend(f.fan[:1], 1000, 1)
	tx2 := k.spend(outputs(tx1), 1000, 1)
	tx3 := k.spend(f.fan[1:2], 1000, 1)
	tx3child := k.spend(outputs(tx3), 1000, 1)
	mustAdd(t, mp, tx1, tx2, tx3, tx3child)

	// a1 confirms tx1 and a conflicting spend of fan output 1.
	other := k.spend(f.fan[1:2], 2000, 1)
	a1 := k.child(f.f1, 101, 3000, tx1, other)
	res := ms.stageNext(a1)
	if err := mp.ProcessResult(res); err != nil {
		t.Fatal(err)
	}
	if mp.Have(tx1.TxHash()) || mp.Have(tx3.TxHash()) || mp.Have(tx3child.TxHash()) {
		t.Fatal("included or conflicting transactions left in the pool")
	}
	requireSelect(t, mp, 1_000_000, tx2)

	// A longer branch without a1: tx1 comes back, before tx2.
	b1 := k.child(f.f1, 102, 0)
	b2 := k.child(b1, 103, 0)
	ms.stageNext(b1)
	res = ms.stageNext(b2)
	requireHashes(t, "disconnected", res.Disconnected, a1)
	if err := mp.ProcessResult(res); err != nil {
		t.Fatal(err)
	}
	if !mp.Have(tx1.TxHash()) || !mp.Have(other.TxHash()) {
		t.Fatal("transactions of the disconnected block not re-added")
	}
	// tx3 conflicts with other, which is back: it stays out.
	requireSelect(t, mp, 1_000_000, other, tx1, tx2)
}
