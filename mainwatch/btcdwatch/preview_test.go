package btcdwatch

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/btctest"
	"github.com/mainstake/sidenode/mainwatch"
)

// p2wpkh returns a new key and the P2WPKH script that it spends.
func p2wpkh(t *testing.T) (*btcec.PrivateKey, []byte) {
	t.Helper()
	key, err := btcec.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	script, err := txscript.NewScriptBuilder().AddOp(txscript.OP_0).
		AddData(btcutil.Hash160(key.PubKey().SerializeCompressed())).Script()
	if err != nil {
		t.Fatal(err)
	}
	return key, script
}

// spend returns a transaction spending output op of value, which pays the
// P2WPKH script of key, to payTo less a fee.
func spend(t *testing.T, op wire.OutPoint, value int64, script []byte,
	key *btcec.PrivateKey, payTo []byte) *wire.MsgTx {

	t.Helper()
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&op, nil, nil))
	tx.AddTxOut(wire.NewTxOut(value-1_000, payTo))
	fetcher := txscript.NewCannedPrevOutputFetcher(script, value)
	wit, err := txscript.WitnessSignature(tx, txscript.NewTxSigHashes(tx, fetcher), 0,
		value, script, txscript.SigHashAll, key, true)
	if err != nil {
		t.Fatal(err)
	}
	tx.TxIn[0].Witness = wit
	return tx
}

// follower drives a Source as mainwatch.Follower does at the tip, and keeps
// the previews and the blocks it is given.
type follower struct {
	t        *testing.T
	src      *Source
	watch    *mainwatch.WatchList
	tip      mainwatch.Cursor
	previews []*mainwatch.Block
	blocks   []*mainwatch.Block
}

// sync delivers the blocks up to btcd's best one.
func (f *follower) sync(ctx context.Context) {
	f.t.Helper()
	best, err := f.src.Best(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	err = f.src.Blocks(ctx, f.tip.Height+1, best.Height, f.watch, func(b *mainwatch.Block) error {
		if b.Preview {
			f.previews = append(f.previews, b)
			return nil
		}
		f.blocks = append(f.blocks, b)
		f.tip = b.Cursor()
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

// proven waits until btcd's filter is proven for the follower's tip: the
// next block's announcement can be previewed.
func (f *follower) proven() {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		f.src.mu.Lock()
		ok := f.src.filter.proven == f.tip && f.src.filter.conn == f.src.conns
		f.src.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	f.t.Fatalf("btcd's filter not proven for %v", f.tip)
}

// next waits for btcd's announcement of the block at height and syncs.
func (f *follower) next(ctx context.Context, height int32) {
	f.t.Helper()
	for {
		f.src.mu.Lock()
		at := f.src.notified.Height
		f.src.mu.Unlock()
		if at >= height {
			break
		}
		select {
		case <-f.src.TipChanged():
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			f.t.Fatal(ctx.Err())
		}
	}
	f.sync(ctx)
}

// mine mines a block of txs and follows it, keeping only its previews and
// blocks.
func (f *follower) mine(ctx context.Context, h *btctest.Harness, txs ...*wire.MsgTx) {
	f.t.Helper()
	if _, err := h.MineBlock(txs); err != nil {
		f.t.Fatal(err)
	}
	f.previews, f.blocks = nil, nil
	f.next(ctx, f.tip.Height+1)
}

// fund returns a transaction from h's coins that pays value to script.
func fund(t *testing.T, h *btctest.Harness, value int64, script []byte) *wire.MsgTx {
	t.Helper()
	tx, err := h.Fund([]*wire.TxOut{wire.NewTxOut(value, script)}, 2)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

func ids(b *mainwatch.Block) []chainhash.Hash {
	var out []chainhash.Hash
	for _, tx := range b.Txs {
		out = append(out, tx.MsgTx.TxHash())
	}
	return out
}

// TestPreview checks, against btcd, that an announcement is previewed with
// exactly the block's candidates when they are closed (a spend of a
// watched outpoint that pays a watched script, and a spend of it in the
// same block), that a block whose candidates pay a script outside the
// filter is not previewed, since btcd would not send an in-block spend of
// that output, that a block announced while the watch list had grown past
// btcd's filter is not previewed, and that the block itself always
// follows.
func TestPreview(t *testing.T) {
	h := btctest.NewForTest(t, btctest.Options{})
	if _, err := h.Generate(110); err != nil {
		t.Fatal(err)
	}
	cert, err := h.Cert()
	if err != nil {
		t.Fatal(err)
	}
	src, err := New(Config{Host: h.RPCAddr, User: h.RPCUser, Pass: h.RPCPass,
		Cert: cert, Params: h.Params})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Start(); err != nil {
		t.Fatal(err)
	}
	defer src.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	keyA, scriptA := p2wpkh(t) // watched script
	keyB, scriptB := p2wpkh(t) // its outpoints are watched, not the script
	keyD, scriptD := p2wpkh(t) // never watched
	_, scriptC := p2wpkh(t)    // watched after the filter was proven
	watch := mainwatch.NewWatchList()
	watch.AddScript(scriptA)
	var outs []*wire.TxOut
	for i := 0; i < 4; i++ {
		outs = append(outs, wire.NewTxOut(100_000, scriptB))
	}
	funding, err := h.Send(outs, 2)
	if err != nil {
		t.Fatal(err)
	}
	fundingB := func(i int) wire.OutPoint {
		for vout, out := range funding.TxOut {
			if bytes.Equal(out.PkScript, scriptB) {
				if i == 0 {
					return wire.OutPoint{Hash: funding.TxHash(), Index: uint32(vout)}
				}
				i--
			}
		}
		t.Fatal("funding has too few outputs to B")
		return wire.OutPoint{}
	}
	for i := 0; i < 4; i++ {
		watch.AddOutPoint(fundingB(i), scriptB)
	}
	if _, err := h.Generate(1); err != nil {
		t.Fatal(err)
	}

	f := &follower{t: t, src: src, watch: watch, tip: mainwatch.Cursor{Height: -1}}
	f.sync(ctx)
	f.proven()

	// A block with a spend of B's outpoint paying A, an unrelated
	// payment, and a spend of the payment to A that pays A again.
	payA := spend(t, fundingB(0), 100_000, scriptB, keyB, scriptA)
	other := fund(t, h, 40_000, h.MiningScript)
	spendA := spend(t, wire.OutPoint{Hash: payA.TxHash(), Index: 0}, 99_000,
		scriptA, keyA, scriptA)
	f.mine(ctx, h, payA, other, spendA)
	if len(f.blocks) != 1 || len(f.previews) != 1 {
		t.Fatalf("%d previews and %d blocks, want one of each", len(f.previews), len(f.blocks))
	}
	pv, b := f.previews[0], f.blocks[0]
	want := []chainhash.Hash{payA.TxHash(), spendA.TxHash()}
	if !slices.Equal(ids(b), want) {
		t.Fatalf("the block matched %v, want %v", ids(b), want)
	}
	if !slices.Equal(ids(pv), want) {
		t.Fatalf("the preview matched %v, want %v", ids(pv), want)
	}
	if pv.Hash != b.Hash || pv.Height != b.Height || pv.Header != b.Header ||
		pv.Announced.IsZero() || len(pv.Seen) != 0 {
		t.Fatalf("preview %v (announced %v) of block %v", pv.Cursor(), pv.Announced, b.Cursor())
	}
	for i := 1; i < len(pv.Txs); i++ {
		if pv.Txs[i].Index <= pv.Txs[i-1].Index {
			t.Fatalf("preview indexes %d, %d out of block order", pv.Txs[i-1].Index, pv.Txs[i].Index)
		}
	}

	// A spend of B's outpoint that pays D, spent again in the same
	// block: btcd sends the first and not the second, so the
	// announcement is not previewed, and the block has both.
	f.proven()
	payD := spend(t, fundingB(1), 100_000, scriptB, keyB, scriptD)
	spendD := spend(t, wire.OutPoint{Hash: payD.TxHash(), Index: 0}, 99_000,
		scriptD, keyD, h.MiningScript)
	f.mine(ctx, h, payD, spendD)
	if len(f.previews) != 0 || len(f.blocks) != 1 {
		t.Fatalf("%d previews and %d blocks, want the block alone", len(f.previews), len(f.blocks))
	}
	if got := ids(f.blocks[0]); !slices.Equal(got, []chainhash.Hash{payD.TxHash(), spendD.TxHash()}) {
		t.Fatalf("the block matched %v, want the spend of B and its spend", got)
	}

	// The list grows just before the next block. The source reloads
	// btcd's filter when the list grows, and the reload may or may not
	// be done when the block comes: either the block comes alone (the
	// filter was not proven for the grown list), or its preview matched
	// exactly what the block did. Never a preview that lacks the payment.
	f.proven()
	watch.AddScript(scriptC)
	payC := spend(t, fundingB(2), 100_000, scriptB, keyB, scriptC)
	f.mine(ctx, h, payC)
	if len(f.previews) > 1 || len(f.blocks) != 1 {
		t.Fatalf("%d previews and %d blocks, want the block and at most its preview",
			len(f.previews), len(f.blocks))
	}
	if got := ids(f.blocks[0]); !slices.Equal(got, []chainhash.Hash{payC.TxHash()}) {
		t.Fatalf("the block matched %v, want the payment to C", got)
	}
	if len(f.previews) == 1 && !slices.Equal(ids(f.previews[0]), ids(f.blocks[0])) {
		t.Fatalf("the preview matched %v, the block %v", ids(f.previews[0]), ids(f.blocks[0]))
	}

	// Once the filter has caught up, a payment to C is previewed.
	f.proven()
	payC2 := spend(t, fundingB(3), 100_000, scriptB, keyB, scriptC)
	f.mine(ctx, h, payC2)
	if len(f.previews) != 1 || !slices.Equal(ids(f.previews[0]), []chainhash.Hash{payC2.TxHash()}) {
		t.Fatalf("previews %d, want one with the payment to C", len(f.previews))
	}
}
