package mainstake

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

func TestMaxLockHeight(t *testing.T) {
	if MaxLockHeight != 500_000_000 {
		t.Fatalf("MaxLockHeight = %d", MaxLockHeight)
	}
}

func TestStakeScript(t *testing.T) {
	_, pub := testKey(1)
	pubHex := hex.EncodeToString(pub.SerializeCompressed())
	tests := []struct {
		lock uint32
		num  string // disassembly of the lock push
	}{
		{0, "0"},
		{1, "1"},
		{16, "16"},
		{17, "11"},
		{127, "7f"},
		{128, "8000"},
		{255, "ff00"},
		{840_000, "40d10c"},
		{0x7fffff, "ffff7f"},
		{0x800000, "00008000"},
		{MaxLockHeight - 1, "ff64cd1d"},
	}
	for _, test := range tests {
		ws, err := StakeScript(test.lock, pub)
		if err != nil {
			t.Fatalf("lock %d: %v", test.lock, err)
		}
		dis, err := txscript.DisasmString(ws)
		if err != nil {
			t.Fatal(err)
		}
		want := test.num + " OP_CHECKLOCKTIMEVERIFY OP_DROP " + pubHex +
			" OP_CHECKSIG"
		if dis != want {
			t.Errorf("lock %d:\ngot  %s\nwant %s", test.lock, dis, want)
		}

		// The P2WSH, through btcutil's address path.
		pk, err := StakePkScript(test.lock, pub)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(ws)
		addr, err := btcutil.NewAddressWitnessScriptHash(h[:],
			&chaincfg.RegressionNetParams)
		if err != nil {
			t.Fatal(err)
		}
		want2, err := txscript.PayToAddrScript(addr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(pk, want2) || !txscript.IsPayToWitnessScriptHash(pk) {
			t.Errorf("lock %d: P2WSH %x, want %x", test.lock, pk, want2)
		}
	}

	for _, lock := range []uint32{MaxLockHeight, MaxLockHeight + 1, 1<<32 - 1} {
		_, err := StakeScript(lock, pub)
		requireCode(t, err, ErrLockNotHeight)
		_, err = StakePkScript(lock, pub)
		requireCode(t, err, ErrLockNotHeight)
	}
	_, err := StakeScript(100, nil)
	requireCode(t, err, ErrInvalidArgument)
	_, err = StakePkScript(100, nil)
	requireCode(t, err, ErrInvalidArgument)
}

// TestStakeSpend runs the stake script in btcd's script engine: the owner
// can spend it in a transaction locked at the lock height or later, not
// before, and nobody else can.
func TestStakeSpend(t *testing.T) {
	const lock = 2000
	const value = 50_000
	priv, pub := testKey(1)
	other, _ := testKey(2)
	ws, err := StakeScript(lock, pub)
	if err != nil {
		t.Fatal(err)
	}
	pkScript, err := StakePkScript(lock, pub)
	if err != nil {
		t.Fatal(err)
	}

	spend := func(lockTime uint32, seq uint32, key *btcec.PrivateKey) error {
		tx := wire.NewMsgTx(2)
		tx.LockTime = lockTime
		in := wire.NewTxIn(&wire.OutPoint{Index: 1}, nil, nil)
		in.Sequence = seq
		tx.AddTxIn(in)
		tx.AddTxOut(wire.NewTxOut(value-1000, pkScript))
		fetcher := txscript.NewCannedPrevOutputFetcher(pkScript, value)
		hashes := txscript.NewTxSigHashes(tx, fetcher)
		sig, err := txscript.RawTxInWitnessSignature(tx, hashes, 0,
			value, ws, txscript.SigHashAll, key)
		if err != nil {
			t.Fatal(err)
		}
		tx.TxIn[0].Witness = wire.TxWitness{sig, ws}
		vm, err := txscript.NewEngine(pkScript, tx, 0,
			txscript.StandardVerifyFlags, nil, hashes, value, fetcher)
		if err != nil {
			t.Fatal(err)
		}
		return vm.Execute()
	}

	const nonFinal = wire.MaxTxInSequenceNum - 1
	if err := spend(lock, nonFinal, priv); err != nil {
		t.Fatalf("spend at the lock height: %v", err)
	}
	if err := spend(lock+1000, nonFinal, priv); err != nil {
		t.Fatalf("spend after the lock height: %v", err)
	}
	if err := spend(lock-1, nonFinal, priv); err == nil {
		t.Fatal("spend before the lock height succeeded")
	}
	if err := spend(MaxLockHeight+lock, nonFinal, priv); err == nil {
		t.Fatal("spend with a time lock succeeded")
	}
	if err := spend(lock, wire.MaxTxInSequenceNum, priv); err == nil {
		t.Fatal("spend with a final sequence succeeded")
	}
	if err := spend(lock, nonFinal, other); err == nil {
		t.Fatal("spend by another key succeeded")
	}
}

func TestPublisherScript(t *testing.T) {
	_, pub := testKey(3)
	got, err := PublisherScript(pub)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := btcutil.NewAddressWitnessPubKeyHash(
		btcutil.Hash160(pub.SerializeCompressed()),
		&chaincfg.MainNetParams)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := txscript.PayToAddrScript(addr)
	if !bytes.Equal(got, want) || !txscript.IsPayToWitnessPubKeyHash(got) {
		t.Fatalf("got %x, want %x", got, want)
	}
	_, err = PublisherScript(nil)
	requireCode(t, err, ErrInvalidArgument)
}

// TestRegistryScript checks the registry script against vectors computed
// with an independent implementation (plain affine arithmetic in Python),
// and checks Q − t·G = H through btcec's big.Int curve API, a different code
// path from RegistryKey's Jacobian arithmetic.
func TestRegistryScript(t *testing.T) {
	// BIP341's H is the SHA256 of the uncompressed encoding of G.
	g := btcec.Generator()
	if sum := sha256.Sum256(g.SerializeUncompressed()); hex.EncodeToString(
		sum[:]) != numsX {

		t.Fatal("numsX is not SHA256(G)")
	}
	h := numsPoint()
	if h.Y().Bit(0) != 0 {
		t.Fatal("H has an odd y")
	}

	vectors := []struct {
		id    uint32
		tweak string
		qx    string
	}{
		{1, "c8edca2a5d9dea9f6240b47f221aa98e0d73bedaa762f1ec6cf32478bef8617d",
			"41e56b1d0f083ad5391745c649cc9330ab15dd538e9014b69a050a848a4dd87e"},
		{0x0d07, "368b10e5b6eadeb6f495ee2da4746ca22a4c5255f3a6c1e05026c1ee87c4d704",
			"0a234cc4dc4dea3e2746b88ef50d1831904f23fcc1aea3e21df17b238599e860"},
		{0xffffffff, "d6497cbc68e2a4fc14ad6e5ecfad23ae994fec78f50c0175cc0385606dea9c45",
			"8b40d49e89a857d6b9438195d9064d44ce21da3dd215b4d8c7e57c02393b4879"},
	}
	curve := btcec.S256()
	seen := make(map[string]bool)
	for _, v := range vectors {
		tw := RegistryTweak(v.id)
		tb := tw.Bytes()
		if got := hex.EncodeToString(tb[:]); got != v.tweak {
			t.Errorf("id %x: tweak %s, want %s", v.id, got, v.tweak)
		}
		script, err := RegistryScript(v.id)
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(script); got != "5120"+v.qx {
			t.Errorf("id %x: script %s, want 5120%s", v.id, got, v.qx)
		}
		if txscript.GetScriptClass(script) != txscript.WitnessV1TaprootTy {
			t.Errorf("id %x: script is not P2TR", v.id)
		}
		seen[string(script)] = true

		// A valid x-only key.
		xonly, err := schnorr.ParsePubKey(script[2:])
		if err != nil {
			t.Fatalf("id %x: x-only key: %v", v.id, err)
		}
		if !bytes.Equal(schnorr.SerializePubKey(xonly), script[2:]) {
			t.Fatalf("id %x: x-only key does not round-trip", v.id)
		}

		// Q − t·G = H, in affine big.Int arithmetic.
		q, err := RegistryKey(v.id)
		if err != nil {
			t.Fatal(err)
		}
		tgx, tgy := curve.ScalarBaseMult(tb[:])
		negY := new(big.Int).Sub(curve.Params().P, tgy)
		hx, hy := curve.Add(q.X(), q.Y(), tgx, negY)
		if hx.Cmp(h.X()) != 0 || hy.Cmp(h.Y()) != 0 {
			t.Errorf("id %x: Q − t·G is not H", v.id)
		}
	}
	if len(seen) != len(vectors) {
		t.Fatal("registry scripts of different sidechains collide")
	}

	_, err := RegistryScript(0)
	requireCode(t, err, ErrInvalidArgument)
	_, err = RegistryKey(0)
	requireCode(t, err, ErrInvalidArgument)
}

// testKey returns a fixed key pair for a small seed.
func testKey(seed byte) (*btcec.PrivateKey, *btcec.PublicKey) {
	b := make([]byte, 32)
	b[31] = seed
	b[0] = 0x5a
	return btcec.PrivKeyFromBytes(b)
}

func hashOf(s string) chainhash.Hash {
	return chainhash.HashH([]byte(s))
}
