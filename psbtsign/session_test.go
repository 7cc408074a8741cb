package psbtsign

import (
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

func testKey(i byte) *btcec.PrivateKey {
	k, _ := btcec.PrivKeyFromBytes(chainhash.HashB([]byte{'k', i}))
	return k
}

func p2wpkh(t testing.TB, k *btcec.PrivateKey) []byte {
	s, err := txscript.NewScriptBuilder().AddOp(txscript.OP_0).
		AddData(btcutil.Hash160(k.PubKey().SerializeCompressed())).Script()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// twoParty returns a transaction with one P2WPKH input of each of keys,
// each signed by its own key alone.
func twoParty(t testing.TB, keys ...*btcec.PrivateKey) (*wire.MsgTx, []Input) {
	tx := wire.NewMsgTx(2)
	var inputs []Input
	for i, k := range keys {
		op := wire.OutPoint{Hash: chainhash.HashH([]byte{byte(i)}), Index: uint32(i)}
		tx.AddTxIn(wire.NewTxIn(&op, nil, nil))
		inputs = append(inputs, Input{Prev: wire.NewTxOut(50_000, p2wpkh(t, k)),
			Signers: [][]byte{k.PubKey().SerializeCompressed()}, Need: 1})
	}
	tx.AddTxOut(wire.NewTxOut(90_000, p2wpkh(t, keys[0])))
	return tx, inputs
}

func TestErrorCodeStrings(t *testing.T) {
	for c := ErrorCode(0); c < numErrorCodes; c++ {
		if errorCodeStrings[c] == "" {
			t.Errorf("code %d has no name", c)
		}
	}
}

// TestP2WPKHParties: each party signs its own input; Add and AddSig take
// the others' signatures; Complete finalizes a transaction btcd's engine
// accepts, and not before every input is signed.
func TestP2WPKHParties(t *testing.T) {
	a, b := testKey(1), testKey(2)
	tx, inputs := twoParty(t, a, b)
	sa, err := New(tx, inputs)
	if err != nil {
		t.Fatal(err)
	}
	sb, _ := New(tx, inputs)
	pa, err := sa.Sign(a)
	if err != nil {
		t.Fatal(err)
	}
	if len(pa.Inputs[0].PartialSigs) != 1 || len(pa.Inputs[1].PartialSigs) != 0 {
		t.Fatal("a signed an input that is not its own")
	}
	if _, ok, _ := sa.Complete(); ok {
		t.Fatal("complete with one of two inputs signed")
	}
	if _, err := sb.Sign(b); err != nil {
		t.Fatal(err)
	}
	sigB, ok := sb.Sig(1, b.PubKey().SerializeCompressed())
	if !ok {
		t.Fatal("b's signature not kept")
	}
	if n, err := sb.Add(pa); err != nil || n != 1 {
		t.Fatalf("Add: %d, %v", n, err)
	}
	if isNew, err := sa.AddSig(1, b.PubKey().SerializeCompressed(), sigB); err != nil || !isNew {
		t.Fatalf("AddSig: %v, %v", isNew, err)
	}
	for _, s := range []*Session{sa, sb} {
		signed, ok, err := s.Complete()
		if err != nil || !ok {
			t.Fatalf("Complete: %v, %v", ok, err)
		}
		if signed.TxHash() != s.TxHash() || len(signed.TxIn[1].Witness) != 2 {
			t.Fatal("not the session's transaction, or no witness")
		}
	}
}

func TestRefusals(t *testing.T) {
	a, b, c := testKey(1), testKey(2), testKey(3)
	tx, inputs := twoParty(t, a, b)
	s, _ := New(tx, inputs)
	if _, err := s.Sign(c); !IsErrorCode(err, ErrNotSigner) {
		t.Fatalf("stranger signs: %v", err)
	}
	sb, _ := New(tx, inputs)
	_, _ = sb.Sign(b)
	bpub := b.PubKey().SerializeCompressed()
	sig, _ := sb.Sig(1, bpub)

	// b's signature on a's input, a forged one, another sighash type.
	if _, err := s.AddSig(0, bpub, sig); !IsErrorCode(err, ErrNotSigner) {
		t.Fatalf("on another's input: %v", err)
	}
	forged := append([]byte(nil), sig...)
	forged[8] ^= 1
	if _, err := s.AddSig(1, bpub, forged); !IsErrorCode(err, ErrBadSignature) {
		t.Fatalf("forged: %v", err)
	}
	single := append(append([]byte(nil), sig[:len(sig)-1]...), byte(txscript.SigHashSingle))
	if _, err := s.AddSig(1, bpub, single); !IsErrorCode(err, ErrBadSignature) {
		t.Fatalf("SIGHASH_SINGLE: %v", err)
	}
	if _, err := s.AddSig(2, bpub, sig); !IsErrorCode(err, ErrOtherTx) {
		t.Fatalf("input out of range: %v", err)
	}

	// A signature of another transaction (other output value).
	other := tx.Copy()
	other.TxOut[0].Value--
	so, _ := New(other, inputs)
	po, _ := so.Sign(b)
	if _, err := s.Add(po); !IsErrorCode(err, ErrOtherTx) {
		t.Fatalf("other tx: %v", err)
	}
	osig, _ := so.Sig(1, bpub)
	if _, err := s.AddSig(1, bpub, osig); !IsErrorCode(err, ErrBadSignature) {
		t.Fatalf("other tx's signature replayed: %v", err)
	}
	if s.Count(0) != 0 || s.Count(1) != 0 {
		t.Fatal("a refused signature was kept")
	}

	// Descriptions that do not fit.
	bad := append([]Input(nil), inputs...)
	bad[0].Need = 2
	if _, err := New(tx, bad); !IsErrorCode(err, ErrBadInputs) {
		t.Fatalf("need 2 of 1: %v", err)
	}
	bad = append([]Input(nil), inputs...)
	bad[0].WitnessScript = []byte{txscript.OP_TRUE}
	if _, err := New(tx, bad); !IsErrorCode(err, ErrBadInputs) {
		t.Fatalf("witness script of a P2WPKH output: %v", err)
	}
	if _, err := New(tx, inputs[:1]); !IsErrorCode(err, ErrBadInputs) {
		t.Fatalf("one description for two inputs: %v", err)
	}
}
