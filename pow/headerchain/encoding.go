package headerchain

import (
	"bytes"
	"fmt"

	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/sideblock"
)

// HeaderSize is the size of a serialized header.
const HeaderSize = wire.MaxBlockHeaderPayload

// Bytes returns the block's encoding: the 80-byte header, then the body as
// sideblock encodes it (a transaction count and every transaction with its
// witness).
func (b *Block) Bytes() ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(int(BaseSize(b)))
	if err := b.Header.Serialize(&buf); err != nil {
		return nil, err
	}
	sb := sideblock.Block{Transactions: b.Transactions}
	if err := sb.SerializeBody(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// DecodeBlock decodes a block from Bytes' encoding. It accepts only that
// canonical encoding (sideblock.DecodeBody's rules), never panics, and
// bounds what it allocates by the input's length. Failures are
// RuleErrors with ErrBadBody wrapping sideblock's code.
func DecodeBlock(raw []byte) (*Block, error) {
	if len(raw) < HeaderSize {
		err := fmt.Errorf("block is %d bytes, shorter than a header", len(raw))
		return nil, RuleError{ErrorCode: ErrBadBody,
			Description: err.Error(), Err: sideblock.ErrBadEncoding}
	}
	var b Block
	if err := b.Header.Deserialize(bytes.NewReader(raw[:HeaderSize])); err != nil {
		return nil, RuleError{ErrorCode: ErrBadBody,
			Description: err.Error(), Err: sideblock.ErrBadEncoding}
	}
	txs, err := sideblock.DecodeBody(raw[HeaderSize:])
	if err != nil {
		return nil, RuleError{ErrorCode: ErrBadBody,
			Description: err.Error(), Err: err}
	}
	b.Transactions = txs
	return &b, nil
}
