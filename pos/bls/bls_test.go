package bls

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"testing"

	blst "github.com/supranational/blst/bindings/go"
)

// TestErrorCodeStrings keeps errorCodeStrings complete.
func TestErrorCodeStrings(t *testing.T) {
	for c := ErrorCode(0); c < numErrorCodes; c++ {
		if errorCodeStrings[c] == "" {
			t.Errorf("code %d has no name", int(c))
		}
	}
	if len(errorCodeStrings) != int(numErrorCodes) {
		t.Errorf("%d names for %d codes", len(errorCodeStrings), numErrorCodes)
	}
}

func testKey(t testing.TB, i int) *SecretKey {
	t.Helper()
	ikm := make([]byte, 32)
	binary.BigEndian.PutUint64(ikm[24:], uint64(i)+1)
	sk, err := GenerateKey(ikm)
	if err != nil {
		t.Fatal(err)
	}
	return sk
}

// groupOrder is r, the order of G1 and G2, big-endian.
var groupOrder = mustHex("73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001")

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestSecretKeys(t *testing.T) {
	if _, err := GenerateKey(make([]byte, 31)); !IsErrorCode(err, ErrBadSecretKey) {
		t.Errorf("31 bytes of key material: %v", err)
	}
	sk := testKey(t, 0)
	b := sk.Bytes()
	sk2, err := SecretKeyFromBytes(b[:])
	if err != nil || sk2.Bytes() != b || !sk2.PublicKey().Equal(sk.PublicKey()) {
		t.Fatalf("secret key round trip: %v", err)
	}
	rMinus1 := bytes.Clone(groupOrder)
	rMinus1[31]--
	if _, err := SecretKeyFromBytes(rMinus1); err != nil {
		t.Errorf("r-1 refused: %v", err)
	}
	for name, b := range map[string][]byte{
		"empty":    nil,
		"31 bytes": make([]byte, 31),
		"33 bytes": make([]byte, 33),
		"zero":     make([]byte, 32),
		"r":        groupOrder,
		"all ones": bytes.Repeat([]byte{0xff}, 32),
	} {
		if _, err := SecretKeyFromBytes(b); !IsErrorCode(err, ErrBadSecretKey) {
			t.Errorf("%s: %v, want ErrBadSecretKey", name, err)
		}
	}
	msg := []byte("m")
	sig := sk.Sign(msg)
	sk.Zeroize()
	if sk.Sign(msg).Verify(sk2.PublicKey(), msg) || !sig.Verify(sk2.PublicKey(), msg) {
		t.Fatal("a zeroized key still signs")
	}
}

// nonSubgroupG1 returns a compressed G1 point on the curve but outside the
// prime-order subgroup: nearly every point of E(Fp) is, the cofactor being
// large, so the first few x with x^3+4 square give one.
func nonSubgroupG1(t testing.TB) []byte {
	for x := uint64(1); x < 1000; x++ {
		b := make([]byte, 48)
		binary.BigEndian.PutUint64(b[40:], x)
		b[0] |= 0x80
		var p blst.P1Affine
		if p.Uncompress(b) != nil && !p.InG1() {
			return b
		}
	}
	t.Fatal("no point outside G1 found")
	return nil
}

// nonSubgroupG2 does the same on the twist: x = c0 + 0·u with small c0.
func nonSubgroupG2(t testing.TB) []byte {
	for x := uint64(1); x < 1000; x++ {
		b := make([]byte, 96)
		binary.BigEndian.PutUint64(b[88:], x)
		b[0] |= 0x80
		var p blst.P2Affine
		if p.Uncompress(b) != nil && !p.InG2() {
			return b
		}
	}
	t.Fatal("no point outside G2 found")
	return nil
}

// notOnCurve returns a compressed encoding of size n whose x has no point.
func notOnCurve(t testing.TB, n int) []byte {
	for x := uint64(1); x < 1000; x++ {
		b := make([]byte, n)
		binary.BigEndian.PutUint64(b[n-8:], x)
		b[0] |= 0x80
		var ok bool
		if n == 48 {
			ok = new(blst.P1Affine).Uncompress(b) != nil
		} else {
			ok = new(blst.P2Affine).Uncompress(b) != nil
		}
		if !ok {
			return b
		}
	}
	t.Fatal("every x was on the curve")
	return nil
}

// fieldModulus is p, big-endian: an x coordinate of p or more is not
// canonical.
var fieldModulus = mustHex("1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab")

func infinity(n int) []byte {
	b := make([]byte, n)
	b[0] = 0xc0
	return b
}

func TestPublicKeyDecoding(t *testing.T) {
	pk := testKey(t, 1).PublicKey()
	b := pk.Bytes()
	pk2, err := PublicKeyFromBytes(b[:])
	if err != nil || !pk2.Equal(pk) || pk2.Bytes() != b {
		t.Fatalf("public key round trip: %v", err)
	}
	uncompressedFlag := bytes.Clone(b[:])
	uncompressedFlag[0] &^= 0x80
	xTooLarge := bytes.Clone(fieldModulus)
	xTooLarge[0] |= 0x80
	infSign := infinity(48)
	infSign[0] |= 0x20
	infNonZero := infinity(48)
	infNonZero[47] = 1
	for name, b := range map[string][]byte{
		"empty":                      nil,
		"47 bytes":                   b[:47],
		"96 bytes":                   append(b[:], b[:]...),
		"infinity":                   infinity(48),
		"infinity with sign bit":     infSign,
		"infinity with nonzero x":    infNonZero,
		"no compression flag":        uncompressedFlag,
		"x not below p":              xTooLarge,
		"not on the curve":           notOnCurve(t, 48),
		"outside the G1 subgroup":    nonSubgroupG1(t),
		"all zero (no flags at all)": make([]byte, 48),
	} {
		if _, err := PublicKeyFromBytes(b); !IsErrorCode(err, ErrBadPublicKey) {
			t.Errorf("%s: %v, want ErrBadPublicKey", name, err)
		}
	}
}

func TestSignatureDecoding(t *testing.T) {
	sig := testKey(t, 2).Sign([]byte("m"))
	b := sig.Bytes()
	sig2, err := SignatureFromBytes(b[:])
	if err != nil || sig2.Bytes() != b {
		t.Fatalf("signature round trip: %v", err)
	}
	// The point at infinity is a valid encoding (aggregate of nothing
	// signed); it verifies no message under a valid key.
	inf, err := SignatureFromBytes(infinity(96))
	if err != nil {
		t.Fatalf("infinity refused: %v", err)
	}
	if inf.Verify(testKey(t, 2).PublicKey(), []byte("m")) {
		t.Fatal("the infinity signature verifies")
	}
	xTooLarge := make([]byte, 96)
	copy(xTooLarge, fieldModulus)
	xTooLarge[0] |= 0x80
	noFlag := bytes.Clone(b[:])
	noFlag[0] &^= 0x80
	for name, b := range map[string][]byte{
		"empty":                   nil,
		"95 bytes":                b[:95],
		"no compression flag":     noFlag,
		"x.c1 not below p":        xTooLarge,
		"not on the curve":        notOnCurve(t, 96),
		"outside the G2 subgroup": nonSubgroupG2(t),
	} {
		if _, err := SignatureFromBytes(b); !IsErrorCode(err, ErrBadSignature) {
			t.Errorf("%s: %v, want ErrBadSignature", name, err)
		}
	}
}

// TestZeroValues: values that were not made by a constructor verify
// nothing, above all the infinity key with the infinity signature, whose
// pairing check alone would pass for every message. blst refuses an
// infinity key in verification by itself too; the valid flag makes this
// hold whatever the library does.
func TestZeroValues(t *testing.T) {
	msg := []byte("m")
	inf, err := SignatureFromBytes(infinity(96))
	if err != nil {
		t.Fatal(err)
	}
	if inf.Verify(&PublicKey{}, msg) || inf.FastAggregateVerify([]*PublicKey{{}}, msg) ||
		inf.AggregateVerify([]*PublicKey{{}}, [][]byte{msg}) {
		t.Fatal("the zero public key verifies the infinity signature")
	}
	sk := testKey(t, 3)
	if (&Signature{}).Verify(sk.PublicKey(), msg) || (*Signature)(nil).Verify(sk.PublicKey(), msg) ||
		sk.Sign(msg).Verify(nil, msg) {
		t.Fatal("a zero or nil value verifies")
	}
	if _, err := AggregateSignatures([]*Signature{sk.Sign(msg), {}}); !IsErrorCode(err, ErrBadSignature) {
		t.Fatalf("aggregating a zero signature: %v", err)
	}
	if (&PublicKey{}).Equal(&PublicKey{}) {
		t.Fatal("zero public keys are equal keys")
	}
}

func TestVerify(t *testing.T) {
	sk, other := testKey(t, 4), testKey(t, 5)
	msg := []byte("attestation data root")
	sig := sk.Sign(msg)
	if !sig.Verify(sk.PublicKey(), msg) {
		t.Fatal("valid signature refused")
	}
	if sig.Verify(other.PublicKey(), msg) || sig.Verify(sk.PublicKey(), []byte("other")) {
		t.Fatal("signature verifies under another key or message")
	}
}

// TestAggregation: a committee's signatures of one message aggregate into
// one that FastAggregateVerify accepts for exactly that committee; with
// distinct messages AggregateVerify does.
func TestAggregation(t *testing.T) {
	const n = 16
	msg := []byte("head, source, target")
	var pks []*PublicKey
	var sigs, distinct []*Signature
	var msgs [][]byte
	for i := range n {
		sk := testKey(t, 100+i)
		pks = append(pks, sk.PublicKey())
		sigs = append(sigs, sk.Sign(msg))
		m := []byte(fmt.Sprintf("message %d", i))
		msgs = append(msgs, m)
		distinct = append(distinct, sk.Sign(m))
	}
	agg, err := AggregateSignatures(sigs)
	if err != nil {
		t.Fatal(err)
	}
	if !agg.FastAggregateVerify(pks, msg) {
		t.Fatal("committee aggregate refused")
	}
	if agg.FastAggregateVerify(pks[1:], msg) || agg.FastAggregateVerify(pks, []byte("x")) ||
		agg.FastAggregateVerify(nil, msg) || agg.FastAggregateVerify([]*PublicKey{pks[0], nil}, msg) {
		t.Fatal("aggregate verifies for another committee or message")
	}
	part, _ := AggregateSignatures(sigs[:n-1])
	if part.FastAggregateVerify(pks, msg) {
		t.Fatal("aggregate missing a signer verifies for the whole committee")
	}
	aggD, err := AggregateSignatures(distinct)
	if err != nil {
		t.Fatal(err)
	}
	if !aggD.AggregateVerify(pks, msgs) {
		t.Fatal("aggregate of distinct messages refused")
	}
	swapped := append([][]byte{msgs[1], msgs[0]}, msgs[2:]...)
	if aggD.AggregateVerify(pks, swapped) || aggD.AggregateVerify(pks, msgs[1:]) ||
		aggD.AggregateVerify(nil, nil) {
		t.Fatal("aggregate verifies for swapped or missing messages")
	}
	if _, err := AggregateSignatures(nil); !IsErrorCode(err, ErrEmptyAggregate) {
		t.Fatalf("empty aggregation: %v", err)
	}
}
