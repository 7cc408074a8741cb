package wallet

import (
	"errors"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
)

func TestStakeKeyFor(t *testing.T) {
	w := newWallet(t, newChain(t))
	for _, i := range []uint32{0, 3} {
		ref, err := w.StakeKey(i)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := w.Keys().PubKey(ref)
		if err != nil {
			t.Fatal(err)
		}
		priv, ok := w.StakeKeyFor(pub)
		if !ok || !priv.PubKey().IsEqual(pub) {
			t.Fatalf("stake key %d: got %v %v", i, priv, ok)
		}
	}
	// A receive key is not a stake key, nor is a stranger's.
	recv, _ := w.Keys().PubKey(KeyRef{Receive, 0})
	stranger, _ := btcec.NewPrivateKey()
	for _, pub := range []*btcec.PublicKey{recv, stranger.PubKey(), nil} {
		if _, ok := w.StakeKeyFor(pub); ok {
			t.Fatalf("%v taken for a stake key", pub)
		}
	}
}

func TestPayoutScript(t *testing.T) {
	w := newWallet(t, newChain(t))

	// Empty: the current receive address, which the wallet watches.
	got, err := w.PayoutScript("")
	if err != nil {
		t.Fatal(err)
	}
	cur, err := w.CurrentAddress(Receive)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := txscript.PayToAddrScript(cur)
	if string(got) != string(want) {
		t.Fatalf("default payout %x, want %x", got, want)
	}
	if _, ok := w.scripts[string(got)]; !ok {
		t.Fatal("default payout script is not watched")
	}

	// A regtest address of someone else.
	priv, _ := btcec.NewPrivateKey()
	hash := btcutil.Hash160(priv.PubKey().SerializeCompressed())
	addr, _ := btcutil.NewAddressWitnessPubKeyHash(hash, &chaincfg.RegressionNetParams)
	got, err = w.PayoutScript(addr.EncodeAddress())
	if err != nil {
		t.Fatal(err)
	}
	want, _ = txscript.PayToAddrScript(addr)
	if string(got) != string(want) {
		t.Fatalf("payout to %s: %x, want %x", addr, got, want)
	}

	// Another network's addresses and garbage are refused.
	mainAddr, _ := btcutil.NewAddressWitnessPubKeyHash(hash, &chaincfg.MainNetParams)
	mainP2PKH, _ := btcutil.NewAddressPubKeyHash(hash, &chaincfg.MainNetParams)
	for _, dest := range []string{mainAddr.EncodeAddress(), mainP2PKH.EncodeAddress(), "nope"} {
		if _, err := w.PayoutScript(dest); !errors.Is(err, ErrBadAddress) {
			t.Errorf("%q: got %v, want ErrBadAddress", dest, err)
		}
	}
}
