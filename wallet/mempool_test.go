package wallet

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// fakeMempool is a MempoolSource whose mempool the test sets.
type fakeMempool struct {
	txs     chan *wire.MsgTx
	mu      sync.Mutex
	in      map[chainhash.Hash]bool
	checked chan struct{}
}

func newFakeMempool() *fakeMempool {
	return &fakeMempool{txs: make(chan *wire.MsgTx), in: make(map[chainhash.Hash]bool),
		checked: make(chan struct{})}
}

func (f *fakeMempool) MempoolTxs() <-chan *wire.MsgTx { return f.txs }

func (f *fakeMempool) InMempool(_ context.Context, ids []chainhash.Hash) ([]bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]bool, len(ids))
	for i, id := range ids {
		out[i] = f.in[id]
	}
	return out, nil
}

// accept puts tx in the fake mempool and hands it to the wallet's loop.
func (f *fakeMempool) accept(tx *wire.MsgTx) {
	f.mu.Lock()
	f.in[tx.TxHash()] = true
	f.mu.Unlock()
	f.txs <- tx
}

func (f *fakeMempool) evict(tx *wire.MsgTx) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.in, tx.TxHash())
}

// TestMempoolIncoming: a mempool transaction paying the wallet counts as
// incoming at any min_conf, never as spendable; it stops counting once
// mined (its coin counts instead), replaced, or gone from the mempool; the
// wallet's own sends are not incoming; and without a mempool source the
// balance says that it sees none.
func TestMempoolIncoming(t *testing.T) {
	c := newChain(t)
	w := newWallet(t, c)
	c.connect(w)
	c.connect(w, payTo(t, w, 100_000))
	c.connect(w)
	if b, _ := w.Balances(1); b.MempoolSeen || b.Incoming != 0 {
		t.Fatalf("balance without a mempool source %+v", b)
	}

	src := newFakeMempool()
	ctx, cancel := context.WithCancel(context.Background())
	checks := make(chan time.Time)
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.FollowMempool(ctx, src, checks)
	}()
	defer func() { cancel(); <-done }()
	// settle returns once the loop has handled everything sent before
	// and made one check: it takes a tick only after the work before it.
	settle := func() { checks <- time.Time{}; checks <- time.Time{} }

	in1 := payTo(t, w, 30_000)
	in2 := payTo(t, w, 20_000)
	in2.TxIn[0].PreviousOutPoint.Index = 10
	foreign := wire.NewMsgTx(2)
	foreign.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: 11}, nil, nil))
	foreign.AddTxOut(wire.NewTxOut(5_000, foreignScript))
	src.accept(in1)
	src.accept(in2)
	src.accept(foreign)
	sent := sendPending(t, w, 40_000) // the wallet's own: its change is unconfirmed
	src.accept(sent)
	settle()
	for _, minConf := range []int32{0, 1, 6} {
		b, _ := w.Balances(minConf)
		if !b.MempoolSeen || b.Incoming != 50_000 || b.Spendable != 0 {
			t.Fatalf("min_conf %d: balance with two incoming %+v", minConf, b)
		}
	}

	// in2 is replaced by a transaction that pays the wallet 25,000.
	repl := payTo(t, w, 25_000)
	repl.TxIn[0].PreviousOutPoint.Index = 10
	src.evict(in2)
	src.accept(repl)
	settle()
	if b, _ := w.Balances(1); b.Incoming != 55_000 {
		t.Fatalf("after the replacement %+v", b)
	}
	// in1 is mined: its coin counts, not the mempool transaction.
	src.evict(in1)
	c.connect(w, in1)
	if b, _ := w.Balances(1); b.Incoming != 25_000 || b.Confirmed != 30_000 {
		t.Fatalf("after in1 is mined %+v", b)
	}
	// repl leaves the mempool (evicted): the check forgets it.
	src.evict(repl)
	settle()
	if b, _ := w.Balances(1); b.Incoming != 0 {
		t.Fatalf("after the eviction %+v", b)
	}
}

// TestMempoolBounded: the wallet keeps at most MaxMempoolTxs mempool
// transactions.
func TestMempoolBounded(t *testing.T) {
	c := newChain(t)
	w := newWallet(t, c)
	c.connect(w)
	pay := payTo(t, w, 1_000)
	for i := 0; i < MaxMempoolTxs+5; i++ {
		tx := pay.Copy()
		tx.TxIn[0].PreviousOutPoint.Index = uint32(100 + i)
		if got, want := w.AddMempoolTx(tx), i < MaxMempoolTxs; got != want {
			t.Fatalf("transaction %d recorded: %v", i, got)
		}
	}
	w.mu.Lock()
	n := len(w.mempool)
	w.mu.Unlock()
	if n != MaxMempoolTxs {
		t.Fatalf("%d mempool transactions kept", n)
	}
}
