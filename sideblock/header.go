package sideblock

import (
	"bytes"
	"fmt"
	"io"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// HeaderSize is the size of a serialized sidechain header: hashPrevBlock
// (32 bytes) followed by hashMerkleRoot (32 bytes).
const HeaderSize = 2 * chainhash.HashSize

// PowHeaderSize is the size of a header under the pow engine: Bitcoin's
// 80-byte block header (version, PrevBlock, MerkleRoot, time, bits,
// nonce), serialized by wire.BlockHeader.
const PowHeaderSize = wire.MaxBlockHeaderPayload

// PowSeal is what a pow header adds to PrevBlock and MerkleRoot: the fields
// of Bitcoin's header that proof of work commits to.
type PowSeal struct {
	Version   int32
	Timestamp time.Time
	Bits      uint32
	Nonce     uint32
}

// Header is a sidechain block header. Under mainstake it is what a lottery
// winner publishes on the mainchain, in the body of an `H` OP_RETURN (64
// bytes, Pow nil). Under the pow engine it is Bitcoin's 80-byte header
// (Pow set), and its hash is Bitcoin's block hash.
type Header struct {
	// PrevBlock is the hash of the parent sideblock, or all zeros for the
	// first sideblock.
	PrevBlock chainhash.Hash

	// MerkleRoot is SHA256d(txRoot ‖ withdrawalRoot); see
	// HeaderMerkleRoot.
	MerkleRoot chainhash.Hash

	// Pow is the rest of an 80-byte pow header; nil under mainstake.
	Pow *PowSeal
}

// NewPowHeader returns the sidechain header of a Bitcoin-format header.
func NewPowHeader(h *wire.BlockHeader) Header {
	return Header{
		PrevBlock:  h.PrevBlock,
		MerkleRoot: h.MerkleRoot,
		Pow: &PowSeal{Version: h.Version, Timestamp: h.Timestamp,
			Bits: h.Bits, Nonce: h.Nonce},
	}
}

// Wire returns a pow header as wire.BlockHeader, or nil for a 64-byte
// header.
func (h *Header) Wire() *wire.BlockHeader {
	if h.Pow == nil {
		return nil
	}
	return &wire.BlockHeader{
		Version:    h.Pow.Version,
		PrevBlock:  h.PrevBlock,
		MerkleRoot: h.MerkleRoot,
		Timestamp:  h.Pow.Timestamp,
		Bits:       h.Pow.Bits,
		Nonce:      h.Pow.Nonce,
	}
}

// Size returns the serialized size: HeaderSize, or PowHeaderSize for a pow
// header.
func (h *Header) Size() int {
	if h.Pow != nil {
		return PowHeaderSize
	}
	return HeaderSize
}

// Encode returns the serialized header: 64 bytes, or Bitcoin's 80 for a
// pow header.
func (h *Header) Encode() []byte {
	if w := h.Wire(); w != nil {
		var buf bytes.Buffer
		buf.Grow(PowHeaderSize)
		_ = w.Serialize(&buf) // a bytes.Buffer does not fail
		return buf.Bytes()
	}
	b := h.Bytes()
	return b[:]
}

// Bytes returns the 64-byte serialization of the header: PrevBlock then
// MerkleRoot, each in internal byte order. For a pow header it is the
// 64-byte part alone; Encode gives the whole header.
func (h *Header) Bytes() [HeaderSize]byte {
	var b [HeaderSize]byte
	copy(b[:chainhash.HashSize], h.PrevBlock[:])
	copy(b[chainhash.HashSize:], h.MerkleRoot[:])
	return b
}

// BlockHash returns the block's identifier: SHA256d of the serialized
// header, in internal byte order (String shows it reversed, as Bitcoin
// shows block hashes).
func (h *Header) BlockHash() chainhash.Hash {
	if w := h.Wire(); w != nil {
		return w.BlockHash()
	}
	b := h.Bytes()
	return chainhash.DoubleHashH(b[:])
}

// Serialize writes the header (Encode) to w.
func (h *Header) Serialize(w io.Writer) error {
	_, err := w.Write(h.Encode())
	return err
}

// Deserialize reads exactly HeaderSize bytes from r into h. A short read is
// a RuleError with ErrBadEncoding.
func (h *Header) Deserialize(r io.Reader) error {
	var b [HeaderSize]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return ruleErrorf(ErrBadEncoding, "reading header: %v", err)
	}
	copy(h.PrevBlock[:], b[:chainhash.HashSize])
	copy(h.MerkleRoot[:], b[chainhash.HashSize:])
	return nil
}

// ParseHeader decodes a header from exactly HeaderSize bytes; any other
// length is a RuleError with ErrBadEncoding.
func ParseHeader(b []byte) (Header, error) {
	var h Header
	if len(b) != HeaderSize {
		return h, ruleErrorf(ErrBadEncoding,
			"header is %d bytes, want %d", len(b), HeaderSize)
	}
	copy(h.PrevBlock[:], b[:chainhash.HashSize])
	copy(h.MerkleRoot[:], b[chainhash.HashSize:])
	return h, nil
}

// ParsePowHeader decodes an 80-byte pow header; any other length is a
// RuleError with ErrBadEncoding.
func ParsePowHeader(b []byte) (Header, error) {
	if len(b) != PowHeaderSize {
		return Header{}, ruleErrorf(ErrBadEncoding,
			"pow header is %d bytes, want %d", len(b), PowHeaderSize)
	}
	var w wire.BlockHeader
	if err := w.Deserialize(bytes.NewReader(b)); err != nil {
		return Header{}, ruleErrorf(ErrBadEncoding, "pow header: %v", err)
	}
	return NewPowHeader(&w), nil
}

// ParseHeaderOf decodes a header of the engine's size: ParsePowHeader when
// pow is true, else ParseHeader.
func ParseHeaderOf(b []byte, pow bool) (Header, error) {
	if pow {
		return ParsePowHeader(b)
	}
	return ParseHeader(b)
}

// String returns the block hash and the parent's, for logs.
func (h *Header) String() string {
	return fmt.Sprintf("%v (prev %v)", h.BlockHash(), h.PrevBlock)
}
