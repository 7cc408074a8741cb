package slashing

import "encoding/binary"

// The encodings are SSZ, as the specifications serialize these types:
// integers little-endian, fixed-size fields in order, and a variable-size
// field (the attesting indices, an attestation inside a slashing) as a
// 4-byte offset in the fixed part with its bytes after it. The decoders
// are strict: every length and offset must be exactly what Encode writes,
// so that decoding then encoding gives the same bytes.

// Encoded sizes of the fixed-size types.
const (
	checkpointSize          = 8 + 32
	headerSize              = 8 + 8 + 32 + 32 + 32
	SignedHeaderSize        = headerSize + SignatureSize
	ProposerSlashingSize    = 2 * SignedHeaderSize
	attestationDataSize     = 8 + 8 + 32 + 2*checkpointSize
	indexedFixedSize        = 4 + attestationDataSize + SignatureSize
	attesterSlashingFixed   = 4 + 4
	maxIndexedAttestation   = indexedFixedSize + 8*MaxValidatorsPerCommittee
	MaxAttesterSlashingSize = attesterSlashingFixed + 2*maxIndexedAttestation
)

func appendCheckpoint(b []byte, c *Checkpoint) []byte {
	b = binary.LittleEndian.AppendUint64(b, c.Epoch)
	return append(b, c.Root[:]...)
}

func appendHeader(b []byte, h *SignedBeaconBlockHeader) []byte {
	m := &h.Message
	b = binary.LittleEndian.AppendUint64(b, m.Slot)
	b = binary.LittleEndian.AppendUint64(b, m.ProposerIndex)
	b = append(b, m.ParentRoot[:]...)
	b = append(b, m.StateRoot[:]...)
	b = append(b, m.BodyRoot[:]...)
	return append(b, h.Signature[:]...)
}

func appendData(b []byte, d *AttestationData) []byte {
	b = binary.LittleEndian.AppendUint64(b, d.Slot)
	b = binary.LittleEndian.AppendUint64(b, d.Index)
	b = append(b, d.BeaconBlockRoot[:]...)
	b = appendCheckpoint(b, &d.Source)
	return appendCheckpoint(b, &d.Target)
}

func readCheckpoint(b []byte) Checkpoint {
	return Checkpoint{Epoch: binary.LittleEndian.Uint64(b), Root: Root(b[8:40])}
}

func readHeader(b []byte) SignedBeaconBlockHeader {
	var h SignedBeaconBlockHeader
	h.Message.Slot = binary.LittleEndian.Uint64(b)
	h.Message.ProposerIndex = binary.LittleEndian.Uint64(b[8:])
	h.Message.ParentRoot = Root(b[16:48])
	h.Message.StateRoot = Root(b[48:80])
	h.Message.BodyRoot = Root(b[80:112])
	h.Signature = [SignatureSize]byte(b[112:SignedHeaderSize])
	return h
}

func readData(b []byte) AttestationData {
	return AttestationData{
		Slot:            binary.LittleEndian.Uint64(b),
		Index:           binary.LittleEndian.Uint64(b[8:]),
		BeaconBlockRoot: Root(b[16:48]),
		Source:          readCheckpoint(b[48:88]),
		Target:          readCheckpoint(b[88:128]),
	}
}

// Encode returns the SSZ encoding of the signed header (208 bytes).
func (h *SignedBeaconBlockHeader) Encode() []byte {
	return appendHeader(make([]byte, 0, SignedHeaderSize), h)
}

// DecodeSignedHeader decodes a signed header of exactly SignedHeaderSize
// bytes.
func DecodeSignedHeader(b []byte) (*SignedBeaconBlockHeader, error) {
	if len(b) != SignedHeaderSize {
		return nil, ruleErrorf(ErrMalformed, "signed header of %d bytes, "+
			"want %d", len(b), SignedHeaderSize)
	}
	h := readHeader(b)
	return &h, nil
}

// Encode returns the SSZ encoding of the proposer slashing (416 bytes).
func (s *ProposerSlashing) Encode() []byte {
	b := make([]byte, 0, ProposerSlashingSize)
	b = appendHeader(b, &s.Header1)
	return appendHeader(b, &s.Header2)
}

// DecodeProposerSlashing decodes a proposer slashing of exactly
// ProposerSlashingSize bytes. It checks the encoding only;
// CheckProposerSlashing checks the rule.
func DecodeProposerSlashing(b []byte) (*ProposerSlashing, error) {
	if len(b) != ProposerSlashingSize {
		return nil, ruleErrorf(ErrMalformed, "proposer slashing of %d "+
			"bytes, want %d", len(b), ProposerSlashingSize)
	}
	return &ProposerSlashing{
		Header1: readHeader(b[:SignedHeaderSize]),
		Header2: readHeader(b[SignedHeaderSize:]),
	}, nil
}

func (a *IndexedAttestation) size() int {
	return indexedFixedSize + 8*len(a.AttestingIndices)
}

func (a *IndexedAttestation) appendTo(b []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, indexedFixedSize)
	b = appendData(b, &a.Data)
	b = append(b, a.Signature[:]...)
	for _, i := range a.AttestingIndices {
		b = binary.LittleEndian.AppendUint64(b, i)
	}
	return b
}

// Encode returns the SSZ encoding of the attestation.
func (a *IndexedAttestation) Encode() []byte {
	return a.appendTo(make([]byte, 0, a.size()))
}

// DecodeIndexedAttestation decodes an indexed attestation: the offset of
// its index list must be the fixed part's size, the list whole 8-byte
// entries, at most MaxValidatorsPerCommittee of them. Whether the indices
// are sorted is a rule, checked by CheckAttesterSlashing and
// VerifyIndexedAttestation, not by the decoder.
func DecodeIndexedAttestation(b []byte) (*IndexedAttestation, error) {
	if len(b) < indexedFixedSize {
		return nil, ruleErrorf(ErrMalformed, "indexed attestation of %d "+
			"bytes, shorter than its fixed part of %d", len(b),
			indexedFixedSize)
	}
	if off := binary.LittleEndian.Uint32(b); off != indexedFixedSize {
		return nil, ruleErrorf(ErrMalformed, "attesting indices at "+
			"offset %d, want %d", off, indexedFixedSize)
	}
	rest := len(b) - indexedFixedSize
	if rest%8 != 0 {
		return nil, ruleErrorf(ErrMalformed, "attesting indices of %d "+
			"bytes, not whole 8-byte entries", rest)
	}
	if rest/8 > MaxValidatorsPerCommittee {
		return nil, ruleErrorf(ErrMalformed, "%d attesting indices, at "+
			"most %d allowed", rest/8, MaxValidatorsPerCommittee)
	}
	a := &IndexedAttestation{
		Data:      readData(b[4 : 4+attestationDataSize]),
		Signature: [SignatureSize]byte(b[4+attestationDataSize : indexedFixedSize]),
	}
	a.AttestingIndices = make([]uint64, rest/8)
	for i := range a.AttestingIndices {
		a.AttestingIndices[i] = binary.LittleEndian.Uint64(b[indexedFixedSize+8*i:])
	}
	return a, nil
}

// Encode returns the SSZ encoding of the attester slashing.
func (s *AttesterSlashing) Encode() []byte {
	n1 := s.Attestation1.size()
	b := make([]byte, 0, attesterSlashingFixed+n1+s.Attestation2.size())
	b = binary.LittleEndian.AppendUint32(b, attesterSlashingFixed)
	b = binary.LittleEndian.AppendUint32(b, uint32(attesterSlashingFixed+n1))
	b = s.Attestation1.appendTo(b)
	return s.Attestation2.appendTo(b)
}

// DecodeAttesterSlashing decodes an attester slashing: two offsets, the
// first the fixed part's size, the second where the first attestation
// ends, then the two attestations, each decoded strictly. It checks the
// encoding only; CheckAttesterSlashing checks the rule.
func DecodeAttesterSlashing(b []byte) (*AttesterSlashing, error) {
	if len(b) < attesterSlashingFixed {
		return nil, ruleErrorf(ErrMalformed, "attester slashing of %d "+
			"bytes", len(b))
	}
	if len(b) > MaxAttesterSlashingSize {
		return nil, ruleErrorf(ErrMalformed, "attester slashing of %d "+
			"bytes, at most %d", len(b), MaxAttesterSlashingSize)
	}
	off1 := binary.LittleEndian.Uint32(b)
	off2 := binary.LittleEndian.Uint32(b[4:])
	if off1 != attesterSlashingFixed || off2 < off1 || uint64(off2) > uint64(len(b)) {
		return nil, ruleErrorf(ErrMalformed, "attestation offsets %d and "+
			"%d in %d bytes", off1, off2, len(b))
	}
	a1, err := DecodeIndexedAttestation(b[off1:off2])
	if err != nil {
		return nil, err
	}
	a2, err := DecodeIndexedAttestation(b[off2:])
	if err != nil {
		return nil, err
	}
	return &AttesterSlashing{Attestation1: *a1, Attestation2: *a2}, nil
}
