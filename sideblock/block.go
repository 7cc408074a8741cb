package sideblock

import (
	"bytes"
	"io"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

const (
	// MaxBlockSize is the largest serialized body a block may have: the
	// transaction count and every transaction in wire witness encoding.
	// Witness bytes count in full; there is no weight discount. Decoding
	// refuses longer input before reading a byte of it.
	MaxBlockSize = 1_000_000

	// MinTxSize is the size of the smallest transaction that can pass
	// CheckBlockSanity: one input with an empty script, one output with
	// an empty script, no witness (4 + 1 + 41 + 1 + 9 + 4 bytes).
	MinTxSize = 60

	// MaxBlockTxs is the most transactions a valid block can hold:
	// MaxBlockSize / MinTxSize. Decoding refuses a larger count before
	// allocating anything for it.
	MaxBlockTxs = MaxBlockSize / MinTxSize

	// MaxBlockSigOpsCost is the largest total signature operation cost
	// of a block, counted as btcd's blockchain.GetSigOpCost counts it
	// (legacy and P2SH sigops ×4, witness v0 sigops ×1; tapscript has its
	// own per-input budget). It bounds the time validation can take.
	MaxBlockSigOpsCost = 80_000
)

// Block is a sidechain block: a header and the body it commits to.
// Transactions must not be nil; tx[0] is the coinbase.
type Block struct {
	Header       Header
	Transactions []*wire.MsgTx
}

// NewBlock assembles a block on prev from txs, with the merkle root that
// commits to them (CalcBlockMerkleRoot). It does not validate anything.
func NewBlock(prev chainhash.Hash, txs []*wire.MsgTx) *Block {
	return &Block{
		Header: Header{
			PrevBlock:  prev,
			MerkleRoot: CalcBlockMerkleRoot(txs),
		},
		Transactions: txs,
	}
}

// BlockHash returns the hash of the block's header.
func (b *Block) BlockHash() chainhash.Hash {
	return b.Header.BlockHash()
}

// BodySize returns the size of the serialized body, as SerializeBody writes
// it.
func (b *Block) BodySize() int {
	n := wire.VarIntSerializeSize(uint64(len(b.Transactions)))
	for _, tx := range b.Transactions {
		n += tx.SerializeSize()
	}
	return n
}

// SerializeBody writes the body: a varint transaction count, then each
// transaction in wire witness encoding (wire.MsgTx.Serialize). This is the
// encoding of bodies on the wire and in storage.
func (b *Block) SerializeBody(w io.Writer) error {
	if err := wire.WriteVarInt(w, 0, uint64(len(b.Transactions))); err != nil {
		return err
	}
	for _, tx := range b.Transactions {
		if err := tx.Serialize(w); err != nil {
			return err
		}
	}
	return nil
}

// Serialize writes the whole block: the 64-byte header, then the body.
func (b *Block) Serialize(w io.Writer) error {
	if err := b.Header.Serialize(w); err != nil {
		return err
	}
	return b.SerializeBody(w)
}

// Bytes returns the serialized block (header then body).
func (b *Block) Bytes() ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(HeaderSize + b.BodySize())
	if err := b.Serialize(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// BodyBytes returns the serialized body.
func (b *Block) BodyBytes() ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(b.BodySize())
	if err := b.SerializeBody(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// DecodeBody decodes a serialized body. It accepts only the canonical
// encoding, so that a decoded body serializes back to the same bytes, and
// it never panics. Every failure is a RuleError: ErrBlockTooBig for input
// longer than MaxBlockSize, ErrBadEncoding otherwise.
//
// Allocation is bounded: the input is at most MaxBlockSize bytes, the
// transaction count at most MaxBlockTxs and at most one per MinTxSize
// remaining bytes before the slice is made. Inside a transaction, btcd's
// wire caps each count by its own per-message limits (32 MB messages), so a
// hostile count can make wire allocate up to about a hundred megabytes
// before the read fails at the end of the input; nothing is retained.
func DecodeBody(body []byte) ([]*wire.MsgTx, error) {
	if len(body) > MaxBlockSize {
		return nil, ruleErrorf(ErrBlockTooBig,
			"body is %d bytes, max %d", len(body), MaxBlockSize)
	}
	r := bytes.NewReader(body)
	count, err := wire.ReadVarInt(r, 0)
	if err != nil {
		return nil, ruleErrorf(ErrBadEncoding,
			"reading transaction count: %v", err)
	}
	if count > MaxBlockTxs || count > uint64(r.Len()/MinTxSize) {
		return nil, ruleErrorf(ErrBadEncoding,
			"transaction count %d too large for %d remaining bytes "+
				"(max %d)", count, r.Len(), MaxBlockTxs)
	}
	txs := make([]*wire.MsgTx, 0, count)
	for i := uint64(0); i < count; i++ {
		before := r.Len()
		tx := new(wire.MsgTx)
		if err := tx.Deserialize(r); err != nil {
			return nil, ruleErrorf(ErrBadEncoding,
				"reading transaction %d: %v", i, err)
		}
		// Canonical bodies only: a decoded body must re-encode to its
		// bytes. wire already refuses non-canonical varints and a
		// witness marker without witness data; comparing sizes keeps
		// the guarantee if wire ever relaxes.
		if read := before - r.Len(); read != tx.SerializeSize() {
			return nil, ruleErrorf(ErrBadEncoding,
				"transaction %d is not canonically encoded "+
					"(%d bytes read, %d when serialized)", i,
				read, tx.SerializeSize())
		}
		txs = append(txs, tx)
	}
	if r.Len() != 0 {
		return nil, ruleErrorf(ErrBadEncoding,
			"%d trailing bytes after %d transactions", r.Len(), count)
	}
	return txs, nil
}

// DecodeBlock decodes a serialized block: a 64-byte header followed by a
// body (see DecodeBody). It neither checks that the body matches the header
// nor validates anything; that is CheckBlockSanity's job.
func DecodeBlock(b []byte) (*Block, error) {
	if len(b) < HeaderSize {
		return nil, ruleErrorf(ErrBadEncoding,
			"block is %d bytes, shorter than a header", len(b))
	}
	h, err := ParseHeader(b[:HeaderSize])
	if err != nil {
		return nil, err
	}
	txs, err := DecodeBody(b[HeaderSize:])
	if err != nil {
		return nil, err
	}
	return &Block{Header: h, Transactions: txs}, nil
}

// utilTxs wraps the block's transactions so that each txid is computed
// once.
func utilTxs(txs []*wire.MsgTx) []*btcutil.Tx {
	out := make([]*btcutil.Tx, len(txs))
	for i, tx := range txs {
		out[i] = btcutil.NewTx(tx)
		out[i].SetIndex(i)
	}
	return out
}
