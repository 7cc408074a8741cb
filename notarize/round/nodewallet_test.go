package round

import (
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/store"
	"github.com/mainstake/sidenode/wallet"
)

// The node's wallet, through FromNodeWallet, gives a Notary its notary
// keys and the outputs to their scripts.
func TestFromNodeWallet(t *testing.T) {
	params := &chaincfg.RegressionNetParams
	db, err := store.Open("", store.Options{InMemory: true,
		Genesis: *params.GenesisHash, Network: "regtest"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keys, err := wallet.NewKeyring(make([]byte, 32), params)
	if err != nil {
		t.Fatal(err)
	}
	w, err := wallet.New(keys, db, mainwatch.NewWatchList(), params)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := w.NotaryPubKey(0)
	if err != nil {
		t.Fatal(err)
	}
	_, script, err := w.NotaryAddress(0)
	if err != nil {
		t.Fatal(err)
	}
	fund := wire.NewMsgTx(2)
	fund.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.HashH([]byte("f"))}, nil, nil))
	fund.AddTxOut(wire.NewTxOut(70_000, script))
	connect := func(height int32, prev chainhash.Hash, hdr wire.BlockHeader, hash chainhash.Hash, txs ...*wire.MsgTx) {
		b := &mainwatch.Block{Height: height, Hash: hash, Header: hdr}
		for i, tx := range txs {
			b.Txs = append(b.Txs, mainwatch.Tx{Index: i + 1, MsgTx: tx})
		}
		if err := db.ConnectBlock(store.BlockID{Height: height, Hash: hash}, prev,
			func(wr *store.Writer) error { return w.ConnectBlock(wr, b) }); err != nil {
			t.Fatal(err)
		}
	}
	connect(0, chainhash.Hash{}, params.GenesisBlock.Header, *params.GenesisHash)
	hdr := wire.BlockHeader{PrevBlock: *params.GenesisHash, Nonce: 1}
	connect(1, *params.GenesisHash, hdr, hdr.BlockHash(), fund)

	nw := FromNodeWallet(w)
	priv, ok := nw.NotaryKey(pub)
	if !ok || string(priv.PubKey().SerializeCompressed()) != string(pub[:]) {
		t.Fatalf("NotaryKey: %v %v", priv, ok)
	}
	outs, err := nw.Unspent(script)
	if err != nil {
		t.Fatal(err)
	}
	want := Output{OutPoint: wire.OutPoint{Hash: fund.TxHash()}, Value: 70_000}
	if len(outs) != 1 || outs[0] != want {
		t.Fatalf("Unspent: %+v, want %+v", outs, want)
	}
}
