package bls

import (
	"crypto/rand"

	blst "github.com/supranational/blst/bindings/go"
)

// SignatureSet is one check of a batch: Signature must be the signature of
// Message by the sum of PublicKeys. A block's proposer signature is a set
// with one key; an aggregate attestation is a set with its committee's
// participants.
type SignatureSet struct {
	Signature  *Signature
	PublicKeys []*PublicKey
	Message    []byte
}

// randomBits is the size of the random weights of VerifyBatch, as
// Ethereum clients choose it: a forged set passes with probability 2^-64.
const randomBits = 64

// VerifyBatch reports whether every set verifies, with one multi-pairing
// instead of one pairing check per set: each set's keys are added as
// FastAggregateVerify adds them, and each set is weighted by a secret
// random 64-bit scalar from crypto/rand, so that invalid sets cannot
// cancel each other out. It is false for no sets, a set without a
// signature or without keys, or an invalid value; after a false the caller
// verifies the sets one by one to find the bad one.
func VerifyBatch(sets []SignatureSet) bool {
	if len(sets) == 0 {
		return false
	}
	sigs := make([]*blst.P2Affine, len(sets))
	pks := make([]*blst.P1Affine, len(sets))
	msgs := make([]blst.Message, len(sets))
	for i, s := range sets {
		if s.Signature == nil || !s.Signature.valid || len(s.PublicKeys) == 0 {
			return false
		}
		points, ok := publicKeyPoints(s.PublicKeys)
		if !ok {
			return false
		}
		var agg blst.P1Aggregate
		if !agg.Aggregate(points, false) {
			return false
		}
		sigs[i], pks[i], msgs[i] = &s.Signature.p, agg.ToAffine(), s.Message
	}
	// blst calls randFn from its worker goroutines and uses the low
	// randomBits bits of the scalar. FromBEndian takes 32 bytes at least
	// (fewer leave the scalar zero, which would accept any set), so the
	// random bytes are the last 8 of 32; a zero weight is made 1.
	// crypto/rand.Read never fails (since Go 1.24 it aborts the program
	// rather than return an error).
	randFn := func(s *blst.Scalar) {
		var b [32]byte
		_, _ = rand.Read(b[32-randomBits/8:])
		if b == [32]byte{} {
			b[31] = 1
		}
		if s.FromBEndian(b[:]) == nil {
			panic("bls: random weight not accepted")
		}
	}
	return new(blst.P2Affine).MultipleAggregateVerify(sigs, false, pks, false,
		msgs, dst, randFn, randomBits)
}
