// Package slashing is the evidence of slashable behaviour under the pos
// engine: double proposals, double votes and surround votes, as the phase0
// Ethereum consensus specifications define them, with their encodings,
// their rules, the verification of their BLS signatures and a detector
// that finds them in what a node sees. Local protection against signing
// slashable messages is the subpackage protection.
//
// Types. ProposerSlashing holds two SignedBeaconBlockHeaders;
// AttesterSlashing two IndexedAttestations (attesting indices, the
// AttestationData of slot, committee index, head root, source and target
// checkpoints, and an aggregate signature). They encode as the
// specifications' SSZ containers (Encode), and the Decode functions are
// strict: exact lengths and offsets, whole 8-byte index entries, at most
// MaxValidatorsPerCommittee indices, so that what decodes encodes back to
// the same bytes. HashTreeRoot gives the roots that are signed.
//
// Rules. CheckProposerSlashing: the same slot and proposer, different
// headers. CheckAttesterSlashing (is_slashable_attestation_data and the
// index part of is_valid_indexed_attestation): a double vote (different
// data, the same target epoch) or the first attestation surrounding the
// second (an earlier source and a later target), strictly ascending
// non-empty indices, and at least one validator in both; it returns those
// validators. What needs the state (is the validator slashable, the
// penalties) is the engine's.
//
// Signatures. A validator signs SigningRoot(hash tree root, domain)
// (compute_signing_root). The domain is a parameter: the engine computes it
// with ComputeDomain (compute_domain: the domain type, DomainBeaconProposer
// or DomainBeaconAttester, then 28 bytes of the hash tree root of the fork
// version and the genesis validators root) for the epoch of the message.
// VerifyProposerSlashing checks both headers against the proposer's key
// and one domain; VerifyAttesterSlashing checks each attestation's
// aggregate signature with pos/bls FastAggregateVerify over its
// validators' keys, with the domain of its own target epoch.
//
// Detection. A Detector keeps the first header per proposer and slot and
// the attestations per validator, and turns a conflicting header or
// attestation into evidence, ordered as the rules want. Prune forgets what
// is too old to be included.
//
// Errors are RuleErrors with codes (error.go). Tests decode our encodings
// with github.com/protolambda/zrnt v0.34.1 (test-only) and compare hash
// tree roots, domains and signing roots with it, sign and verify real
// evidence with pos/bls, check every rule by code, and fuzz the three
// decoders (seeds are real evidence). Nothing in node/ uses the package
// yet.
package slashing
