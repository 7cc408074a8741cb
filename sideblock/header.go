package sideblock

import (
	"fmt"
	"io"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// HeaderSize is the size of a serialized sidechain header: hashPrevBlock
// (32 bytes) followed by hashMerkleRoot (32 bytes).
const HeaderSize = 2 * chainhash.HashSize

// Header is a sidechain block header. It is what a lottery winner publishes
// on the mainchain, in the body of an `H` OP_RETURN.
type Header struct {
	// PrevBlock is the hash of the parent sideblock, or all zeros for the
	// first sideblock.
	PrevBlock chainhash.Hash

	// MerkleRoot is SHA256d(txRoot ‖ withdrawalRoot); see
	// HeaderMerkleRoot.
	MerkleRoot chainhash.Hash
}

// Bytes returns the 64-byte serialization of the header: PrevBlock then
// MerkleRoot, each in internal byte order.
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
	b := h.Bytes()
	return chainhash.DoubleHashH(b[:])
}

// Serialize writes the 64-byte header to w.
func (h *Header) Serialize(w io.Writer) error {
	b := h.Bytes()
	_, err := w.Write(b[:])
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

// String returns the block hash and the parent's, for logs.
func (h *Header) String() string {
	return fmt.Sprintf("%v (prev %v)", h.BlockHash(), h.PrevBlock)
}
