package bls

import (
	blst "github.com/supranational/blst/bindings/go"
)

// Sizes of the serialized forms.
const (
	// SecretKeySize is the size of a secret key: a big-endian scalar.
	SecretKeySize = 32

	// PublicKeySize is the size of a public key: a compressed G1 point
	// (the minimal-pubkey-size variant).
	PublicKeySize = 48

	// SignatureSize is the size of a signature: a compressed G2 point.
	SignatureSize = 96
)

// DST is the domain separation tag of the ciphersuite Ethereum uses, the
// proof-of-possession scheme with public keys in G1 and signatures in G2,
// hashing to G2 with SHA-256 and the simplified SWU map.
const DST = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_"

var dst = []byte(DST)

// SecretKey is a BLS secret key. The zero value is not a key; make one
// with GenerateKey or SecretKeyFromBytes.
type SecretKey struct {
	s     blst.SecretKey
	valid bool
}

// GenerateKey derives a secret key from at least 32 bytes of secret key
// material with the KeyGen of the IETF BLS signature draft (blst's
// blst_keygen). The same material always gives the same key.
func GenerateKey(ikm []byte) (*SecretKey, error) {
	if len(ikm) < 32 {
		return nil, ruleErrorf(ErrBadSecretKey, "key material of %d bytes; "+
			"at least 32 are needed", len(ikm))
	}
	s := blst.KeyGen(ikm)
	if s == nil {
		return nil, ruleErrorf(ErrBadSecretKey, "key generation failed")
	}
	return &SecretKey{s: *s, valid: true}, nil
}

// SecretKeyFromBytes parses a 32-byte big-endian secret key, which must be
// in [1, r-1].
func SecretKeyFromBytes(b []byte) (*SecretKey, error) {
	if len(b) != SecretKeySize {
		return nil, ruleErrorf(ErrBadSecretKey, "secret key of %d bytes, "+
			"want %d", len(b), SecretKeySize)
	}
	var sk SecretKey
	if sk.s.Deserialize(b) == nil {
		return nil, ruleErrorf(ErrBadSecretKey, "secret key is zero or not "+
			"below the group order")
	}
	sk.valid = true
	return &sk, nil
}

// Bytes returns the 32-byte big-endian form of the key.
func (sk *SecretKey) Bytes() [SecretKeySize]byte {
	return [SecretKeySize]byte(sk.s.Serialize())
}

// PublicKey returns the key's public key, SkToPk.
func (sk *SecretKey) PublicKey() *PublicKey {
	var pk PublicKey
	pk.p.From(&sk.s)
	pk.valid = sk.valid
	return &pk
}

// Sign signs msg: the secret key times the hash of msg to G2 under DST.
func (sk *SecretKey) Sign(msg []byte) *Signature {
	var sig Signature
	sig.p.Sign(&sk.s, msg, dst)
	sig.valid = sk.valid
	return &sig
}

// Zeroize overwrites the key in memory; it is no longer usable.
func (sk *SecretKey) Zeroize() {
	sk.s.Zeroize()
	sk.valid = false
}

// PublicKey is a validated BLS public key: a G1 point in the prime-order
// subgroup, not the point at infinity. The zero value is not a key and
// verifies nothing.
type PublicKey struct {
	p     blst.P1Affine
	valid bool
}

// PublicKeyFromBytes parses a compressed 48-byte public key and applies
// KeyValidate: the point must decode, lie on the curve and in the
// prime-order subgroup, and not be the point at infinity.
func PublicKeyFromBytes(b []byte) (*PublicKey, error) {
	if len(b) != PublicKeySize {
		return nil, ruleErrorf(ErrBadPublicKey, "public key of %d bytes, "+
			"want %d", len(b), PublicKeySize)
	}
	var pk PublicKey
	if pk.p.Uncompress(b) == nil {
		return nil, ruleErrorf(ErrBadPublicKey, "public key is not a "+
			"compressed point on the curve")
	}
	if !pk.p.KeyValidate() {
		return nil, ruleErrorf(ErrBadPublicKey, "public key is the point "+
			"at infinity or outside the prime-order subgroup")
	}
	pk.valid = true
	return &pk, nil
}

// Bytes returns the compressed 48-byte form of the key.
func (pk *PublicKey) Bytes() [PublicKeySize]byte {
	return [PublicKeySize]byte(pk.p.Compress())
}

// Equal reports whether pk and other are the same valid key.
func (pk *PublicKey) Equal(other *PublicKey) bool {
	return pk != nil && other != nil && pk.valid && other.valid && pk.p.Equals(&other.p)
}

// Signature is a BLS signature: a G2 point in the prime-order subgroup
// (the point at infinity included, which verifies nothing). The zero value
// is not a signature and verifies nothing.
type Signature struct {
	p     blst.P2Affine
	valid bool
}

// SignatureFromBytes parses a compressed 96-byte signature: the point must
// decode, lie on the curve and in the prime-order subgroup.
func SignatureFromBytes(b []byte) (*Signature, error) {
	if len(b) != SignatureSize {
		return nil, ruleErrorf(ErrBadSignature, "signature of %d bytes, "+
			"want %d", len(b), SignatureSize)
	}
	var sig Signature
	if sig.p.Uncompress(b) == nil {
		return nil, ruleErrorf(ErrBadSignature, "signature is not a "+
			"compressed point on the curve")
	}
	if !sig.p.SigValidate(false) {
		return nil, ruleErrorf(ErrBadSignature, "signature is outside the "+
			"prime-order subgroup")
	}
	sig.valid = true
	return &sig, nil
}

// Bytes returns the compressed 96-byte form of the signature.
func (sig *Signature) Bytes() [SignatureSize]byte {
	return [SignatureSize]byte(sig.p.Compress())
}

// Verify reports whether sig is pk's signature of msg.
func (sig *Signature) Verify(pk *PublicKey, msg []byte) bool {
	if sig == nil || !sig.valid || pk == nil || !pk.valid {
		return false
	}
	// Both points were checked when they were made: no group checks here.
	return sig.p.Verify(false, &pk.p, false, msg, dst)
}

// FastAggregateVerify reports whether sig is the aggregate of the
// signatures of msg by every key of pks: the check of a committee's
// attestation, one pairing against the sum of the keys. It is false for no
// keys. The keys must each have proven possession of their secret key
// (Ethereum's deposits do), or a rogue key could cancel the others.
func (sig *Signature) FastAggregateVerify(pks []*PublicKey, msg []byte) bool {
	if sig == nil || !sig.valid || len(pks) == 0 {
		return false
	}
	points, ok := publicKeyPoints(pks)
	if !ok {
		return false
	}
	return sig.p.FastAggregateVerify(false, points, msg, dst)
}

// AggregateVerify reports whether sig is the aggregate of the signatures
// of msgs[i] by pks[i], for messages that may differ. It is false for no
// keys or a count mismatch. As in the proof-of-possession scheme, messages
// need not be distinct.
func (sig *Signature) AggregateVerify(pks []*PublicKey, msgs [][]byte) bool {
	if sig == nil || !sig.valid || len(pks) == 0 || len(pks) != len(msgs) {
		return false
	}
	points, ok := publicKeyPoints(pks)
	if !ok {
		return false
	}
	return sig.p.AggregateVerify(false, points, false, msgs, dst)
}

func publicKeyPoints(pks []*PublicKey) ([]*blst.P1Affine, bool) {
	points := make([]*blst.P1Affine, len(pks))
	for i, pk := range pks {
		if pk == nil || !pk.valid {
			return nil, false
		}
		points[i] = &pk.p
	}
	return points, true
}

// AggregateSignatures adds signatures into one, as an aggregator does with
// a committee's attestations. It refuses an empty list with
// ErrEmptyAggregate, and invalid (zero-value) signatures with
// ErrBadSignature.
func AggregateSignatures(sigs []*Signature) (*Signature, error) {
	if len(sigs) == 0 {
		return nil, ruleErrorf(ErrEmptyAggregate, "no signatures to aggregate")
	}
	points := make([]*blst.P2Affine, len(sigs))
	for i, s := range sigs {
		if s == nil || !s.valid {
			return nil, ruleErrorf(ErrBadSignature, "signature %d is not "+
				"a decoded signature", i)
		}
		points[i] = &s.p
	}
	var agg blst.P2Aggregate
	// The points were group-checked when they were made.
	if !agg.Aggregate(points, false) {
		return nil, ruleErrorf(ErrBadSignature, "aggregation failed")
	}
	return &Signature{p: *agg.ToAffine(), valid: true}, nil
}
