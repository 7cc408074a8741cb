// Package bls is BLS12-381 signing and verification as Ethereum's
// consensus uses it, for the pos engine's attestations, block signatures
// and RANDAO reveals. It wraps supranational/blst (cgo); it adds no
// cryptography of its own.
//
// The scheme is the IETF BLS signature draft's proof-of-possession
// ciphersuite in its minimal-pubkey-size variant: public keys are 48-byte
// compressed G1 points, signatures 96-byte compressed G2 points, messages
// are hashed to G2 with DST "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_".
//
// Decoding checks everything once, so that a PublicKey or Signature value
// is always usable: PublicKeyFromBytes accepts only canonical encodings of
// points on the curve, in the prime-order subgroup and not at infinity
// (KeyValidate); SignatureFromBytes accepts canonical points on the curve
// in the subgroup, infinity included; SecretKeyFromBytes accepts 32-byte
// big-endian scalars in [1, r-1]. Refusals are RuleErrors with codes
// (error.go). Zero values made without a constructor verify nothing.
//
// Signing is SecretKey.Sign. Signature.Verify checks one signature;
// Signature.FastAggregateVerify checks the aggregate of many signatures of
// one message (a committee's attestation) against the sum of their keys
// with a single pairing check; Signature.AggregateVerify checks an
// aggregate of signatures of different messages. AggregateSignatures adds
// signatures. VerifyBatch checks many SignatureSets (a block's
// attestations) in one multi-pairing, each weighted by a secret random
// 64-bit scalar so that bad sets cannot cancel out; it only says whether
// all are valid. Aggregation is safe only for keys whose owners proved
// possession of the secret key, as Ethereum deposits do; the pos engine
// must require that proof before a key joins the validator set.
//
// Tests run cases of the Ethereum BLS test suite (testdata, see its
// README: sign, verify, aggregate, fast_aggregate_verify,
// aggregate_verify), refuse
// non-canonical, off-curve and out-of-subgroup points, and fuzz the three
// decoders. The package needs cgo; blst compiles its C and assembly with
// the Go toolchain's C compiler.
package bls
