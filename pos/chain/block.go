package chain

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"

	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/pos/slashing"
	"github.com/mainstake/sidenode/sideblock"
)

// Root is a block or state root.
type Root = slashing.Root

// Attestation is a committee's aggregated vote: which members of the
// committee of (Data.Slot, Data.Index) signed (Bits, one per member in
// committee order, Len of them), what they voted for, and the aggregate of
// their signatures of Data under the attester domain.
type Attestation struct {
	Data      slashing.AttestationData
	Len       uint16
	Bits      []byte // ceil(Len/8) bytes, bit i of byte i/8 (LSB first)
	Signature [slashing.SignatureSize]byte
}

// Has reports whether committee member i signed.
func (a *Attestation) Has(i int) bool {
	return i < int(a.Len) && a.Bits[i/8]&(1<<(i%8)) != 0
}

// Set marks committee member i as signed.
func (a *Attestation) Set(i int) { a.Bits[i/8] |= 1 << (i % 8) }

// NewAttestation returns an attestation with no member set, for a
// committee of n.
func NewAttestation(data slashing.AttestationData, n int) *Attestation {
	return &Attestation{Data: data, Len: uint16(n), Bits: make([]byte, (n+7)/8)}
}

// Body is what a block carries besides its header.
type Body struct {
	// RandaoReveal is the proposer's signature of the block's epoch
	// under the RANDAO domain; it is mixed into the epoch's RANDAO mix.
	RandaoReveal [slashing.SignatureSize]byte

	ProposerSlashings []slashing.ProposerSlashing
	AttesterSlashings []slashing.AttesterSlashing
	Attestations      []Attestation
	VoluntaryExits    []SignedExit

	// Transactions are sidechain transactions in Bitcoin's format,
	// the first a coinbase carrying the block's height, checked and
	// connected as a sideblock's (package sideblock).
	Transactions []*wire.MsgTx
}

// Block is a pos block: a signed header (the phase0 BeaconBlockHeader:
// slot, proposer index, parent root, state root, body root) and its body.
type Block struct {
	Header slashing.SignedBeaconBlockHeader
	Body   Body
}

// Root returns the block's root, the hash tree root of its header.
func (b *Block) Root() Root { return b.Header.Message.HashTreeRoot() }

// blockVersion is the first byte of an encoded block.
const blockVersion = 1

// attestationDataSize is the encoded size of an AttestationData.
const attestationDataSize = 8 + 8 + 32 + 2*(8+32)

// MaxBlockSize bounds an encoded block: the transactions' body limit and
// room for the header, reveal, evidence and attestations.
const MaxBlockSize = sideblock.MaxBlockSize + 2_000_000

func appendData(b []byte, d *slashing.AttestationData) []byte {
	b = binary.LittleEndian.AppendUint64(b, d.Slot)
	b = binary.LittleEndian.AppendUint64(b, d.Index)
	b = append(b, d.BeaconBlockRoot[:]...)
	for _, c := range []slashing.Checkpoint{d.Source, d.Target} {
		b = binary.LittleEndian.AppendUint64(b, c.Epoch)
		b = append(b, c.Root[:]...)
	}
	return b
}

func readData(b []byte) slashing.AttestationData {
	var d slashing.AttestationData
	d.Slot = binary.LittleEndian.Uint64(b)
	d.Index = binary.LittleEndian.Uint64(b[8:])
	copy(d.BeaconBlockRoot[:], b[16:48])
	d.Source.Epoch = binary.LittleEndian.Uint64(b[48:])
	copy(d.Source.Root[:], b[56:88])
	d.Target.Epoch = binary.LittleEndian.Uint64(b[88:])
	copy(d.Target.Root[:], b[96:128])
	return d
}

// AppendEncode appends the attestation's encoding: the data (128 bytes),
// the committee size (2 bytes, big-endian), the bits and the signature.
func (a *Attestation) AppendEncode(b []byte) []byte {
	b = appendData(b, &a.Data)
	b = binary.BigEndian.AppendUint16(b, a.Len)
	b = append(b, a.Bits...)
	return append(b, a.Signature[:]...)
}

// decodeAttestation reads one attestation from the front of b and returns
// the rest.
func decodeAttestation(b []byte) (*Attestation, []byte, error) {
	if len(b) < attestationDataSize+2 {
		return nil, nil, ruleErrorf(ErrMalformed, "attestation truncated")
	}
	a := &Attestation{Data: readData(b)}
	b = b[attestationDataSize:]
	a.Len = binary.BigEndian.Uint16(b)
	b = b[2:]
	n := (int(a.Len) + 7) / 8
	if a.Len == 0 || a.Len > slashing.MaxValidatorsPerCommittee {
		return nil, nil, ruleErrorf(ErrMalformed, "attestation for a "+
			"committee of %d", a.Len)
	}
	if len(b) < n+slashing.SignatureSize {
		return nil, nil, ruleErrorf(ErrMalformed, "attestation truncated")
	}
	a.Bits = append([]byte(nil), b[:n]...)
	if extra := a.Len % 8; extra != 0 && a.Bits[n-1]>>extra != 0 {
		return nil, nil, ruleErrorf(ErrMalformed, "attestation bits set "+
			"past its committee of %d", a.Len)
	}
	copy(a.Signature[:], b[n:])
	return a, b[n+slashing.SignatureSize:], nil
}

// DecodeAttestation decodes one attestation, refusing trailing bytes.
func DecodeAttestation(b []byte) (*Attestation, error) {
	a, rest, err := decodeAttestation(b)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, ruleErrorf(ErrMalformed, "%d bytes after the attestation", len(rest))
	}
	return a, nil
}

// EncodeBody returns the body's encoding: the reveal (96 bytes), the
// proposer slashings (a count byte, then each in pos/slashing's 416-byte
// encoding), the attester slashings (a count byte, then each as a 4-byte
// big-endian length and pos/slashing's encoding), the attestations (a
// 2-byte count, then each as Attestation.AppendEncode writes it), the
// voluntary exits (a count byte, then each as epoch and validator index,
// 8 bytes big-endian each, and the signature), and last the transactions as a sideblock body (a varint count and the
// transactions in wire encoding with witnesses).
func (b *Body) Encode() ([]byte, error) {
	out := append([]byte(nil), b.RandaoReveal[:]...)
	out = append(out, byte(len(b.ProposerSlashings)))
	for i := range b.ProposerSlashings {
		out = append(out, b.ProposerSlashings[i].Encode()...)
	}
	out = append(out, byte(len(b.AttesterSlashings)))
	for i := range b.AttesterSlashings {
		e := b.AttesterSlashings[i].Encode()
		out = binary.BigEndian.AppendUint32(out, uint32(len(e)))
		out = append(out, e...)
	}
	out = binary.BigEndian.AppendUint16(out, uint16(len(b.Attestations)))
	for i := range b.Attestations {
		out = b.Attestations[i].AppendEncode(out)
	}
	out = append(out, byte(len(b.VoluntaryExits)))
	for i := range b.VoluntaryExits {
		out = appendExit(out, &b.VoluntaryExits[i])
	}
	sb := sideblock.Block{Transactions: b.Transactions}
	var buf bytes.Buffer
	if err := sb.SerializeBody(&buf); err != nil {
		return nil, err
	}
	return append(out, buf.Bytes()...), nil
}

// BodyRoot is the root a header commits its body with: SHA-256 of the
// body's encoding.
func (b *Body) BodyRoot() (Root, error) {
	e, err := b.Encode()
	if err != nil {
		return Root{}, err
	}
	return sha256.Sum256(e), nil
}

// Encode returns the block's encoding: a version byte (1), the signed
// header in pos/slashing's encoding, then the body (Body.Encode).
func (b *Block) Encode() ([]byte, error) {
	body, err := b.Body.Encode()
	if err != nil {
		return nil, err
	}
	out := append([]byte{blockVersion}, b.Header.Encode()...)
	return append(out, body...), nil
}

// DecodeBlock decodes a block. It is strict (the counts must fit their
// limits and the input, no trailing bytes, attestation bits past the
// committee unset), so that decoding then encoding gives the same bytes,
// and refuses everything else with ErrMalformed. It checks no rule.
func DecodeBlock(in []byte) (*Block, error) {
	if len(in) > MaxBlockSize {
		return nil, ruleErrorf(ErrMalformed, "block of %d bytes, max %d", len(in), MaxBlockSize)
	}
	if len(in) < 1+slashing.SignedHeaderSize+slashing.SignatureSize+4 || in[0] != blockVersion {
		return nil, ruleErrorf(ErrMalformed, "block truncated or of another version")
	}
	h, err := slashing.DecodeSignedHeader(in[1 : 1+slashing.SignedHeaderSize])
	if err != nil {
		return nil, wrapRule(ErrMalformed, err, "block header")
	}
	blk := &Block{Header: *h}
	b := in[1+slashing.SignedHeaderSize:]
	copy(blk.Body.RandaoReveal[:], b)
	b = b[slashing.SignatureSize:]

	nps := int(b[0])
	b = b[1:]
	if nps > MaxProposerSlashings || len(b) < nps*slashing.ProposerSlashingSize {
		return nil, ruleErrorf(ErrMalformed, "%d proposer slashings", nps)
	}
	for i := 0; i < nps; i++ {
		ps, err := slashing.DecodeProposerSlashing(b[:slashing.ProposerSlashingSize])
		if err != nil {
			return nil, wrapRule(ErrMalformed, err, "proposer slashing %d", i)
		}
		blk.Body.ProposerSlashings = append(blk.Body.ProposerSlashings, *ps)
		b = b[slashing.ProposerSlashingSize:]
	}
	if len(b) < 1 {
		return nil, ruleErrorf(ErrMalformed, "block truncated")
	}
	nas := int(b[0])
	b = b[1:]
	if nas > MaxAttesterSlashings {
		return nil, ruleErrorf(ErrMalformed, "%d attester slashings", nas)
	}
	for i := 0; i < nas; i++ {
		if len(b) < 4 {
			return nil, ruleErrorf(ErrMalformed, "block truncated")
		}
		n := int(binary.BigEndian.Uint32(b))
		b = b[4:]
		if n > slashing.MaxAttesterSlashingSize || n > len(b) {
			return nil, ruleErrorf(ErrMalformed, "attester slashing %d of %d bytes", i, n)
		}
		as, err := slashing.DecodeAttesterSlashing(b[:n])
		if err != nil {
			return nil, wrapRule(ErrMalformed, err, "attester slashing %d", i)
		}
		blk.Body.AttesterSlashings = append(blk.Body.AttesterSlashings, *as)
		b = b[n:]
	}
	if len(b) < 2 {
		return nil, ruleErrorf(ErrMalformed, "block truncated")
	}
	na := int(binary.BigEndian.Uint16(b))
	b = b[2:]
	if na > MaxAttestations {
		return nil, ruleErrorf(ErrMalformed, "%d attestations, max %d", na, MaxAttestations)
	}
	for i := 0; i < na; i++ {
		a, rest, err := decodeAttestation(b)
		if err != nil {
			return nil, err
		}
		blk.Body.Attestations = append(blk.Body.Attestations, *a)
		b = rest
	}
	if len(b) < 1 {
		return nil, ruleErrorf(ErrMalformed, "block truncated")
	}
	ne := int(b[0])
	b = b[1:]
	if ne > MaxVoluntaryExits || len(b) < ne*exitSize {
		return nil, ruleErrorf(ErrMalformed, "%d voluntary exits", ne)
	}
	for i := 0; i < ne; i++ {
		blk.Body.VoluntaryExits = append(blk.Body.VoluntaryExits, readExit(b))
		b = b[exitSize:]
	}
	txs, err := sideblock.DecodeBody(b)
	if err != nil {
		return nil, wrapRule(ErrMalformed, err, "transactions")
	}
	blk.Body.Transactions = txs
	return blk, nil
}
