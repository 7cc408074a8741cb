package wallet

import (
	"errors"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/notarize"
)

// The notary keys are m/1017'/coin'/2'/0/i, derived by hdkeychain, apart
// from every other family's keys.
func TestNotaryKeyDerivation(t *testing.T) {
	c := newChain(t)
	w := newWallet(t, c)
	params := &chaincfg.RegressionNetParams
	key, err := hdkeychain.NewMaster(make([]byte, 32), params)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []uint32{hardened + 1017, hardened + params.HDCoinType,
		hardened + 2, 0, 1} {
		if key, err = key.Derive(step); err != nil {
			t.Fatal(err)
		}
	}
	want, err := key.ECPubKey()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := w.NotaryPubKey(1)
	if err != nil {
		t.Fatal(err)
	}
	if string(pub[:]) != string(want.SerializeCompressed()) {
		t.Fatalf("notary key 1 is %x, want m/1017'/1'/2'/0/1 = %x", pub,
			want.SerializeCompressed())
	}
	side, _, _, err := w.SideKey(params)
	if err != nil {
		t.Fatal(err)
	}
	stake, err := w.keys.PubKey(KeyRef{Stake, 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, other := range [][]byte{side.PubKey().SerializeCompressed(),
		stake.SerializeCompressed()} {
		if string(other) == string(pub[:]) {
			t.Fatal("a notary key equals another family's key")
		}
	}
	if _, err := w.NotaryPubKey(NotaryKeys); !errors.Is(err, errNoNotaryKey) {
		t.Fatalf("NotaryPubKey(%d): %v, want errNoNotaryKey", NotaryKeys, err)
	}
	if _, _, err := w.NotaryAddress(NotaryKeys); !errors.Is(err, errNoNotaryKey) {
		t.Fatalf("NotaryAddress(%d): %v, want errNoNotaryKey", NotaryKeys, err)
	}
}

// NotaryKey finds the private key of each notary public key, and nothing
// for another key; NotaryAddress is the key's P2WPKH, the script a
// notarization spends.
func TestNotaryKeyAndAddress(t *testing.T) {
	c := newChain(t)
	w := newWallet(t, c)
	for i := uint32(0); i < NotaryKeys; i++ {
		pub, err := w.NotaryPubKey(i)
		if err != nil {
			t.Fatal(err)
		}
		priv, ok := w.NotaryKey(pub)
		if !ok || string(priv.PubKey().SerializeCompressed()) != string(pub[:]) {
			t.Fatalf("NotaryKey(key %d): %v %v", i, priv, ok)
		}
		addr, script, err := w.NotaryAddress(i)
		if err != nil {
			t.Fatal(err)
		}
		if string(script) != string(notarize.NotaryScript(pub)) {
			t.Fatalf("key %d: script %x, want the notary P2WPKH", i, script)
		}
		if _, ok := addr.(*btcutil.AddressWitnessPubKeyHash); !ok ||
			!addr.IsForNet(&chaincfg.RegressionNetParams) {
			t.Fatalf("key %d: address %v is not a regtest P2WPKH", i, addr)
		}
	}
	side, _, _, err := w.SideKey(&chaincfg.RegressionNetParams)
	if err != nil {
		t.Fatal(err)
	}
	var other [33]byte
	copy(other[:], side.PubKey().SerializeCompressed())
	if _, ok := w.NotaryKey(other); ok {
		t.Fatal("NotaryKey answered for the side key")
	}
}

// Outputs to a notary address are notary coins: listed by NotaryCoins,
// watched, never in the balance; a spend removes them and undoing the
// block brings them back.
func TestNotaryCoins(t *testing.T) {
	c := newChain(t)
	keys, err := NewKeyring(make([]byte, 32), &chaincfg.RegressionNetParams)
	if err != nil {
		t.Fatal(err)
	}
	watch := mainwatch.NewWatchList()
	w, err := New(keys, c.db, watch, &chaincfg.RegressionNetParams)
	if err != nil {
		t.Fatal(err)
	}
	c.connect(w) // the genesis block
	_, script, err := w.NotaryAddress(0)
	if err != nil {
		t.Fatal(err)
	}
	fund := wire.NewMsgTx(2)
	fund.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.HashH([]byte("x"))}, nil, nil))
	fund.AddTxOut(wire.NewTxOut(50_000, script))
	fund.AddTxOut(wire.NewTxOut(60_000, script))
	// The backend delivers it: the script is watched.
	if txs, _, _ := watch.MatchTxs([]*wire.MsgTx{fund}); len(txs) != 1 {
		t.Fatal("the notary script is not watched")
	}
	c.connect(w, fund)
	coins, err := w.NotaryCoins(script)
	if err != nil {
		t.Fatal(err)
	}
	if len(coins) != 2 || coins[0].Value+coins[1].Value != 110_000 ||
		coins[0].Key != (KeyRef{Notary, 0}) {
		t.Fatalf("notary coins %+v", coins)
	}
	if bal, err := w.Balance(0); err != nil || bal != 0 {
		t.Fatalf("balance %d (%v): notary coins counted", bal, err)
	}
	if all, err := w.Coins(); err != nil || len(all) != 0 {
		t.Fatalf("wallet coins %d (%v): notary coins among them", len(all), err)
	}
	_, other, err := w.NotaryAddress(1)
	if err != nil {
		t.Fatal(err)
	}
	if cs, err := w.NotaryCoins(other); err != nil || len(cs) != 0 {
		t.Fatalf("key 1's coins %+v (%v)", cs, err)
	}

	spend := wire.NewMsgTx(2)
	spend.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: fund.TxHash(), Index: 1}, nil, nil))
	spend.AddTxOut(wire.NewTxOut(1, []byte{0x51}))
	// Its spend is delivered by outpoint.
	if txs, _, _ := watch.MatchTxs([]*wire.MsgTx{spend}); len(txs) != 1 {
		t.Fatal("the notary coin is not watched")
	}
	c.connect(w, spend)
	if coins, _ = w.NotaryCoins(script); len(coins) != 1 || coins[0].OutPoint.Index != 0 {
		t.Fatalf("after the spend: %+v", coins)
	}
	c.disconnect()
	if coins, _ = w.NotaryCoins(script); len(coins) != 2 {
		t.Fatalf("after undoing the spend: %+v", coins)
	}
	// A reopened wallet watches the coins it holds.
	watch2 := mainwatch.NewWatchList()
	if _, err := New(keys, c.db, watch2, &chaincfg.RegressionNetParams); err != nil {
		t.Fatal(err)
	}
	if txs, _, _ := watch2.MatchTxs([]*wire.MsgTx{spend}); len(txs) != 1 {
		t.Fatal("a reopened wallet does not watch its notary coins")
	}
}

// An imported notary key (the test networks' dev keys) is found by
// NotaryKey, its script is watched, and outputs to it are notary coins.
func TestImportNotaryKey(t *testing.T) {
	c := newChain(t)
	keys, err := NewKeyring(make([]byte, 32), &chaincfg.RegressionNetParams)
	if err != nil {
		t.Fatal(err)
	}
	watch := mainwatch.NewWatchList()
	w, err := New(keys, c.db, watch, &chaincfg.RegressionNetParams)
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := btcec.PrivKeyFromBytes(chainhash.HashB([]byte("imported")))
	var pub [33]byte
	copy(pub[:], priv.PubKey().SerializeCompressed())
	if _, ok := w.NotaryKey(pub); ok {
		t.Fatal("NotaryKey answered before the import")
	}
	if err := w.ImportNotaryKey(priv); err != nil {
		t.Fatal(err)
	}
	if got, ok := w.NotaryKey(pub); !ok || !got.Key.Equals(&priv.Key) {
		t.Fatal("NotaryKey does not find the imported key")
	}
	c.connect(w)
	addr, err := btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160(pub[:]), &chaincfg.RegressionNetParams)
	if err != nil {
		t.Fatal(err)
	}
	script, err := txscript.PayToAddrScript(addr)
	if err != nil {
		t.Fatal(err)
	}
	fund := wire.NewMsgTx(2)
	fund.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.HashH([]byte("y"))}, nil, nil))
	fund.AddTxOut(wire.NewTxOut(70_000, script))
	if txs, _, _ := watch.MatchTxs([]*wire.MsgTx{fund}); len(txs) != 1 {
		t.Fatal("the imported key's script is not watched")
	}
	c.connect(w, fund)
	if coins, err := w.NotaryCoins(script); err != nil || len(coins) != 1 || coins[0].Value != 70_000 {
		t.Fatalf("notary coins %+v (%v)", coins, err)
	}
}
