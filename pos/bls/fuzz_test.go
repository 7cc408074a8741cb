package bls

import (
	"bytes"
	"testing"
)

// fuzzSeeds adds the vectors' encodings and the refused forms of the
// decoding tests to a fuzz target's corpus.
func fuzzSeeds(f *testing.F, size int) {
	sk := testKey(f, 7)
	if size == PublicKeySize {
		b := sk.PublicKey().Bytes()
		f.Add(b[:])
		f.Add(mustHex("a491d1b0ecd9bb917989f0e74f0dea0422eac4a873e5e2644f368dffb9a6e20fd6e10c1b77654d067c0618f6e5a7f79a"))
		f.Add(nonSubgroupG1(f))
	} else {
		b := sk.Sign([]byte("m")).Bytes()
		f.Add(b[:])
		f.Add(mustHex("b6ed936746e01f8ecf281f020953fbf1f01debd5657c4a383940b020b26507f6076334f91e2366c96e9ab279fb5158090352ea1c5b0c9274504f4f0e7053af24802e51e4568d164fe986834f41e55c8e850ce1f98458c0cfc9ab380bffffffff"))
		f.Add(nonSubgroupG2(f))
	}
	f.Add(infinity(size))
	f.Add(notOnCurve(f, size))
	f.Add(make([]byte, size))
	f.Add(bytes.Repeat([]byte{0xff}, size))
	f.Add([]byte{})
}

// FuzzPublicKeyFromBytes: no input panics; an accepted key is the
// canonical encoding of a point other than infinity, and decodes again to
// the same key.
func FuzzPublicKeyFromBytes(f *testing.F) {
	fuzzSeeds(f, PublicKeySize)
	f.Fuzz(func(t *testing.T, b []byte) {
		pk, err := PublicKeyFromBytes(b)
		if err != nil {
			if !IsErrorCode(err, ErrBadPublicKey) {
				t.Fatalf("error without ErrBadPublicKey: %v", err)
			}
			return
		}
		enc := pk.Bytes()
		if !bytes.Equal(enc[:], b) {
			t.Fatalf("accepted %x, encodes as %x", b, enc)
		}
		if bytes.Equal(enc[:], infinity(PublicKeySize)) {
			t.Fatal("accepted the point at infinity")
		}
		again, err := PublicKeyFromBytes(enc[:])
		if err != nil || !again.Equal(pk) {
			t.Fatalf("re-decoding: %v", err)
		}
	})
}

// FuzzSignatureFromBytes: no input panics; an accepted signature is a
// canonical encoding and fails verification of a fixed message under a
// fixed key unless it is that key's signature.
func FuzzSignatureFromBytes(f *testing.F) {
	fuzzSeeds(f, SignatureSize)
	sk := testKey(f, 7)
	pk := sk.PublicKey()
	good := sk.Sign([]byte("m")).Bytes()
	f.Fuzz(func(t *testing.T, b []byte) {
		sig, err := SignatureFromBytes(b)
		if err != nil {
			if !IsErrorCode(err, ErrBadSignature) {
				t.Fatalf("error without ErrBadSignature: %v", err)
			}
			return
		}
		enc := sig.Bytes()
		if !bytes.Equal(enc[:], b) {
			t.Fatalf("accepted %x, encodes as %x", b, enc)
		}
		if sig.Verify(pk, []byte("m")) != bytes.Equal(b, good[:]) {
			t.Fatalf("verification of %x disagrees with the known signature", b)
		}
	})
}

// FuzzSecretKeyFromBytes: no input panics; an accepted key re-encodes to
// its input.
func FuzzSecretKeyFromBytes(f *testing.F) {
	f.Add(make([]byte, 32))
	f.Add(groupOrder)
	f.Add(mustHex("328388aff0d4a5b7dc9205abd374e7e98f3cd9f3418edb4eafda5fb16473d216"))
	f.Add(bytes.Repeat([]byte{0xff}, 32))
	f.Fuzz(func(t *testing.T, b []byte) {
		sk, err := SecretKeyFromBytes(b)
		if err != nil {
			if !IsErrorCode(err, ErrBadSecretKey) {
				t.Fatalf("error without ErrBadSecretKey: %v", err)
			}
			return
		}
		if enc := sk.Bytes(); !bytes.Equal(enc[:], b) {
			t.Fatalf("accepted %x, encodes as %x", b, enc)
		}
	})
}
