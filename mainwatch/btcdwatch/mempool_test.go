package btcdwatch

import (
	"context"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/btctest"
	"github.com/mainstake/sidenode/mainwatch"
)

// TestMempool checks, against btcd, that a mempool transaction paying a
// watched script is delivered on MempoolTxs once btcd's filter is loaded,
// that InMempool follows it into a block, and that GetRawTransaction
// finds it in the mempool and in its block (btcd runs --txindex), and
// says when btcd does not know a transaction; and that GetTxOut finds an
// unspent output in the mempool and in a block.
func TestMempool(t *testing.T) {
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

	_, scriptA := p2wpkh(t)
	watch := mainwatch.NewWatchList()
	watch.AddScript(scriptA)
	f := &follower{t: t, src: src, watch: watch, tip: mainwatch.Cursor{Height: -1}}
	f.sync(ctx)
	f.proven()

	other, err := h.Send([]*wire.TxOut{wire.NewTxOut(50_000, h.MiningScript)}, 2)
	if err != nil {
		t.Fatal(err)
	}
	pay, err := h.Send([]*wire.TxOut{wire.NewTxOut(70_000, scriptA)}, 2)
	if err != nil {
		t.Fatal(err)
	}
	var got *wire.MsgTx
	select {
	case got = <-src.MempoolTxs():
	case <-ctx.Done():
		t.Fatal("btcd sent no mempool transaction")
	}
	if got.TxHash() != pay.TxHash() {
		t.Fatalf("mempool transaction %v, want the payment %v (not %v)", got.TxHash(),
			pay.TxHash(), other.TxHash())
	}
	unknown := chainhash.Hash{1}
	in, err := src.InMempool(ctx, []chainhash.Hash{pay.TxHash(), unknown})
	if err != nil || len(in) != 2 || !in[0] || in[1] {
		t.Fatalf("InMempool %v, %v", in, err)
	}
	payOut := wire.OutPoint{Hash: pay.TxHash()}
	if pay.TxOut[0].Value != 70_000 {
		payOut.Index = 1
	}
	checkTxOut := func(when string) {
		t.Helper()
		out, ok, err := src.GetTxOut(ctx, payOut)
		if err != nil || !ok || out.Value != 70_000 || string(out.PkScript) != string(scriptA) {
			t.Fatalf("gettxout of the payment %s: %v %v %v", when, out, ok, err)
		}
		if _, ok, err := src.GetTxOut(ctx, wire.OutPoint{Hash: unknown}); ok || err != nil {
			t.Fatalf("gettxout of an unknown output: %v %v", ok, err)
		}
	}
	checkTxOut("in the mempool")
	tx, block, conf, found, err := src.GetRawTransaction(ctx, other.TxHash())
	if err != nil || !found || block != nil || conf != 0 || tx.TxHash() != other.TxHash() {
		t.Fatalf("getrawtransaction of a mempool transaction: %v %v %d %v %v", tx, block, conf, found, err)
	}
	if _, _, _, found, err := src.GetRawTransaction(ctx, unknown); found || err != nil {
		t.Fatalf("getrawtransaction of an unknown transaction: %v %v", found, err)
	}

	hash, err := h.MineBlock([]*wire.MsgTx{other, pay})
	if err != nil {
		t.Fatal(err)
	}
	if in, err := src.InMempool(ctx, []chainhash.Hash{pay.TxHash()}); err != nil || in[0] {
		t.Fatalf("InMempool of a mined transaction %v, %v", in, err)
	}
	tx, block, conf, found, err = src.GetRawTransaction(ctx, other.TxHash())
	if err != nil || !found || block == nil || *block != *hash || conf != 1 || tx.TxHash() != other.TxHash() {
		t.Fatalf("getrawtransaction of a mined transaction: %v %v %d %v %v", tx, block, conf, found, err)
	}
	checkTxOut("in a block")
}
