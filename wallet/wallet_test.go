package wallet

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/store"
)

var testKDF = KDF{N: 1 << 4, R: 8, P: 1}

func TestSeedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wallet.seed")
	entropy := make([]byte, 32)
	entropy[0] = 7
	seed, err := CreateSeed(path, []byte("correct horse"), entropy, testKDF)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CreateSeed(path, []byte("x"), nil, testKDF); err == nil {
		t.Fatal("CreateSeed overwrote an existing seed file")
	}
	got, err := OpenSeed(path, []byte("correct horse"))
	if err != nil || string(got.BIP32()) != string(seed.BIP32()) || got.Legacy() {
		t.Fatalf("OpenSeed: %+v %v", got, err)
	}
	if _, err := OpenSeed(path, []byte("wrong")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if _, err := OpenSeed(filepath.Join(t.TempDir(), "none"), nil); !errors.Is(err, ErrNoSeed) {
		t.Fatalf("missing file: %v", err)
	}
	raw, _ := os.ReadFile(path)
	if strings.Contains(string(raw), "0700000000") {
		t.Fatal("the seed is stored in the clear")
	}
	bad := filepath.Join(t.TempDir(), "bad.seed")
	_ = os.WriteFile(bad, []byte("{not json"), 0o600)
	if _, err := OpenSeed(bad, []byte("x")); err == nil {
		t.Fatal("corrupt seed file opened")
	}
}

func TestReadPasswordFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pw")
	_ = os.WriteFile(path, []byte("hunter2\r\n"), 0o600)
	pw, err := ReadPasswordFile(path)
	if err != nil || string(pw) != "hunter2" {
		t.Fatalf("%q %v", pw, err)
	}
	_ = os.WriteFile(path, []byte("\n"), 0o600)
	if _, err := ReadPasswordFile(path); err == nil {
		t.Fatal("empty password accepted")
	}
}

// chain builds synthetic mainchain blocks on an in-memory store.
type chain struct {
	t    *testing.T
	db   *store.DB
	prev chainhash.Hash
	next int32
}

func newChain(t *testing.T) *chain {
	db, err := store.Open("", store.Options{InMemory: true,
		Genesis: *chaincfg.RegressionNetParams.GenesisHash, Network: "regtest"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &chain{t: t, db: db}
}

func (c *chain) connect(w *Wallet, txs ...*wire.MsgTx) mainwatch.Cursor {
	c.t.Helper()
	var hdr wire.BlockHeader
	var hash chainhash.Hash
	if c.next == 0 {
		hdr = chaincfg.RegressionNetParams.GenesisBlock.Header
		hash = *chaincfg.RegressionNetParams.GenesisHash
	} else {
		hdr = wire.BlockHeader{PrevBlock: c.prev, Nonce: uint32(c.next)}
		hash = hdr.BlockHash()
	}
	b := &mainwatch.Block{Height: c.next, Hash: hash, Header: hdr}
	for i, tx := range txs {
		b.Txs = append(b.Txs, mainwatch.Tx{Index: i + 1, MsgTx: tx})
	}
	err := c.db.ConnectBlock(store.BlockID{Height: b.Height, Hash: hash}, c.prev,
		func(wr *store.Writer) error { return w.ConnectBlock(wr, b) })
	if err != nil {
		c.t.Fatal(err)
	}
	c.prev = hash
	c.next++
	return b.Cursor()
}

func (c *chain) disconnect() {
	c.t.Helper()
	tip, err := c.db.Tip()
	if err != nil {
		c.t.Fatal(err)
	}
	newTip, err := c.db.DisconnectBlock(tip)
	if err != nil {
		c.t.Fatal(err)
	}
	c.prev, c.next = newTip.Hash, newTip.Height+1
}

func newWallet(t *testing.T, c *chain) *Wallet {
	keys, err := NewKeyring(make([]byte, 32), &chaincfg.RegressionNetParams)
	if err != nil {
		t.Fatal(err)
	}
	w, err := New(keys, c.db, mainwatch.NewWatchList(), &chaincfg.RegressionNetParams)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func payTo(t *testing.T, w *Wallet, value int64) *wire.MsgTx {
	addr, err := w.NewAddress(Receive)
	if err != nil {
		t.Fatal(err)
	}
	script, _ := txscript.PayToAddrScript(addr)
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: 9}, nil, nil))
	tx.AddTxOut(wire.NewTxOut(value, script))
	return tx
}

func TestCoinsFollowBlocksAndReorgs(t *testing.T) {
	c := newChain(t)
	w := newWallet(t, c)
	c.connect(w)
	c.connect(w, payTo(t, w, 50_000), payTo(t, w, 70_000))
	if bal, _ := w.Balance(1); bal != 120_000 {
		t.Fatalf("balance %d, want 120000", bal)
	}
	c.disconnect()
	if bal, _ := w.Balance(1); bal != 0 {
		t.Fatalf("balance after the block was undone %d, want 0", bal)
	}
}

func TestFundSignsValidSpends(t *testing.T) {
	c := newChain(t)
	w := newWallet(t, c)
	c.connect(w)
	c.connect(w, payTo(t, w, 50_000), payTo(t, w, 70_000))
	c.connect(w)

	dest := wire.NewTxOut(100_000, []byte{txscript.OP_0, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
		11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
	tx, err := w.Fund([]*wire.TxOut{dest}, 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	coins, _ := w.Coins()
	prevs := make(map[wire.OutPoint]*wire.TxOut)
	var in int64
	for _, coin := range coins {
		prevs[coin.OutPoint] = wire.NewTxOut(coin.Value, coin.PkScript)
	}
	fetcher := txscript.NewMultiPrevOutFetcher(prevs)
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	for i, txIn := range tx.TxIn {
		prev := prevs[txIn.PreviousOutPoint]
		in += prev.Value
		vm, err := txscript.NewEngine(prev.PkScript, tx, i, txscript.StandardVerifyFlags,
			nil, hashes, prev.Value, fetcher)
		if err != nil {
			t.Fatal(err)
		}
		if err := vm.Execute(); err != nil {
			t.Fatalf("input %d does not verify: %v", i, err)
		}
	}
	var out int64
	for _, o := range tx.TxOut {
		out += o.Value
	}
	if fee := in - out; fee < 5*100 || fee > 5*400 {
		t.Fatalf("fee %d at 5 sat/vB", fee)
	}
	// The coins it spends are held back.
	if _, err := w.Fund([]*wire.TxOut{wire.NewTxOut(100_000, dest.PkScript)}, 5, 1); err == nil {
		t.Fatal("a second Fund spent the same coins")
	}
	w.Release(tx)
	if _, err := w.Fund([]*wire.TxOut{wire.NewTxOut(100_000, dest.PkScript)}, 5, 1); err != nil {
		t.Fatalf("after Release: %v", err)
	}
	// A block that spends the coins removes them.
	c.connect(w, tx)
	coins, _ = w.Coins()
	for _, coin := range coins {
		if _, spent := prevs[coin.OutPoint]; spent {
			t.Fatalf("spent coin %v is still listed", coin.OutPoint)
		}
	}
	_ = context.Background
}

func TestFundingPSBT(t *testing.T) {
	b64, err := FundingPSBT([]*wire.TxOut{wire.NewTxOut(1000, []byte{txscript.OP_TRUE})})
	if err != nil {
		t.Fatal(err)
	}
	packet, err := psbt.NewFromRawBytes(strings.NewReader(b64), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(packet.UnsignedTx.TxOut) != 1 || len(packet.UnsignedTx.TxIn) != 0 {
		t.Fatalf("psbt %+v", packet.UnsignedTx)
	}
}

func TestChangePassphrase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wallet.seed")
	entropy := make([]byte, 32)
	entropy[3] = 9
	seed, err := CreateSeed(path, []byte("old"), entropy, testKDF)
	if err != nil {
		t.Fatal(err)
	}
	if err := ChangePassphrase(path, []byte("wrong"), []byte("new"), testKDF); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong current passphrase: %v", err)
	}
	if err := ChangePassphrase(path, []byte("old"), nil, testKDF); err == nil {
		t.Fatal("empty new passphrase accepted")
	}
	if err := ChangePassphrase(path, []byte("old"), []byte("new"), testKDF); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenSeed(path, []byte("old")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("the old passphrase still opens it: %v", err)
	}
	got, err := OpenSeed(path, []byte("new"))
	if err != nil || string(got.BIP32()) != string(seed.BIP32()) ||
		strings.Join(got.Mnemonic(), " ") != strings.Join(seed.Mnemonic(), " ") {
		t.Fatalf("new passphrase: %+v %v", got, err)
	}
}
