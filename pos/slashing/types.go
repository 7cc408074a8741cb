package slashing

import (
	"crypto/sha256"
	"encoding/binary"
)

// Root is a 32-byte root: a block, state or body root, a signing root or a
// hash tree root.
type Root [32]byte

// Domain is a signature domain, compute_domain of the specifications: 4
// bytes of domain type, then the first 28 bytes of the fork data root.
type Domain [32]byte

// DomainType is the 4-byte domain type a Domain starts with.
type DomainType [4]byte

// The domain types of the signatures evidence carries.
var (
	DomainBeaconProposer = DomainType{0, 0, 0, 0}
	DomainBeaconAttester = DomainType{1, 0, 0, 0}
)

// SignatureSize is the size of a BLS signature.
const SignatureSize = 96

// MaxValidatorsPerCommittee is MAX_VALIDATORS_PER_COMMITTEE of phase0: the
// most attesting indices an IndexedAttestation may list.
const MaxValidatorsPerCommittee = 2048

// Checkpoint is an epoch and a block root.
type Checkpoint struct {
	Epoch uint64
	Root  Root
}

// BeaconBlockHeader is a block header as the specifications define it.
type BeaconBlockHeader struct {
	Slot          uint64
	ProposerIndex uint64
	ParentRoot    Root
	StateRoot     Root
	BodyRoot      Root
}

// SignedBeaconBlockHeader is a header with its proposer's signature.
type SignedBeaconBlockHeader struct {
	Message   BeaconBlockHeader
	Signature [SignatureSize]byte
}

// AttestationData is what an attestation votes for.
type AttestationData struct {
	Slot            uint64
	Index           uint64
	BeaconBlockRoot Root
	Source          Checkpoint
	Target          Checkpoint
}

// IndexedAttestation is an attestation with the validator indices of its
// signers, in ascending order, and their aggregate signature.
type IndexedAttestation struct {
	AttestingIndices []uint64
	Data             AttestationData
	Signature        [SignatureSize]byte
}

// ProposerSlashing is the evidence of a double proposal: two signed
// headers of the same proposer and slot that differ.
type ProposerSlashing struct {
	Header1 SignedBeaconBlockHeader
	Header2 SignedBeaconBlockHeader
}

// AttesterSlashing is the evidence of a double or surround vote: two
// attestations whose data are slashable together, Attestation1 the
// surrounding one for a surround vote.
type AttesterSlashing struct {
	Attestation1 IndexedAttestation
	Attestation2 IndexedAttestation
}

// Hash tree roots, as SSZ defines them for these fixed containers: each
// field is a 32-byte chunk (a uint64 little-endian, zero-padded), and the
// chunks, padded with zero chunks to a power of two, are hashed pairwise.

func uintChunk(v uint64) Root {
	var c Root
	binary.LittleEndian.PutUint64(c[:], v)
	return c
}

func hashPair(a, b Root) Root {
	var buf [64]byte
	copy(buf[:32], a[:])
	copy(buf[32:], b[:])
	return sha256.Sum256(buf[:])
}

// merkleize8 is the root of up to 8 chunks, padded with zero chunks.
func merkleize8(chunks ...Root) Root {
	var leaves [8]Root
	copy(leaves[:], chunks)
	l4 := [4]Root{hashPair(leaves[0], leaves[1]), hashPair(leaves[2], leaves[3]),
		hashPair(leaves[4], leaves[5]), hashPair(leaves[6], leaves[7])}
	return hashPair(hashPair(l4[0], l4[1]), hashPair(l4[2], l4[3]))
}

// HashTreeRoot is the checkpoint's hash_tree_root.
func (c *Checkpoint) HashTreeRoot() Root {
	return hashPair(uintChunk(c.Epoch), c.Root)
}

// HashTreeRoot is the header's hash_tree_root: the object a proposer
// signs (through SigningRoot).
func (h *BeaconBlockHeader) HashTreeRoot() Root {
	return merkleize8(uintChunk(h.Slot), uintChunk(h.ProposerIndex),
		h.ParentRoot, h.StateRoot, h.BodyRoot)
}

// HashTreeRoot is the attestation data's hash_tree_root: the object an
// attester signs (through SigningRoot).
func (d *AttestationData) HashTreeRoot() Root {
	return merkleize8(uintChunk(d.Slot), uintChunk(d.Index),
		d.BeaconBlockRoot, d.Source.HashTreeRoot(), d.Target.HashTreeRoot())
}

// SigningRoot is compute_signing_root: the hash tree root of
// SigningData(object root, domain), the message a validator signs.
func SigningRoot(objectRoot Root, domain Domain) Root {
	return hashPair(objectRoot, Root(domain))
}

// ComputeDomain is compute_domain: the domain type followed by the first
// 28 bytes of the hash tree root of ForkData(fork version, genesis
// validators root). The engine chooses the fork version and the genesis
// validators root of its network and passes the domains to the Verify
// functions.
func ComputeDomain(t DomainType, forkVersion [4]byte, genesisValidatorsRoot Root) Domain {
	var v Root
	copy(v[:], forkVersion[:])
	fdr := hashPair(v, genesisValidatorsRoot)
	var d Domain
	copy(d[:4], t[:])
	copy(d[4:], fdr[:28])
	return d
}
