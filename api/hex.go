package api

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// parseHash parses a hash or transaction id in display order: exactly 64
// hex digits, byte-reversed as Bitcoin shows ids. Unlike
// chainhash.NewHashFromStr it accepts no shorter string. field names the
// request field in the error, and what says what it names, with its chain
// ("sidechain transaction id").
func parseHash(field, what, s string) (chainhash.Hash, error) {
	var h chainhash.Hash
	if len(s) != 2*chainhash.HashSize {
		return h, Errorf(ErrInvalidArgument, "%s is not a %s: want %d hex "+
			"digits, got %d characters", field, what, 2*chainhash.HashSize, len(s))
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return h, Errorf(ErrInvalidArgument, "%s %q is not a %s: it is not "+
			"hex", field, s, what)
	}
	for i := range b {
		h[i] = b[len(b)-1-i]
	}
	return h, nil
}

// parseOutPoint parses an outpoint written txid:vout, the txid in display
// order; chain says whose outpoint it is ("sidechain").
func parseOutPoint(field, chain, s string) (wire.OutPoint, error) {
	txid, vout, ok := strings.Cut(s, ":")
	if !ok {
		return wire.OutPoint{}, Errorf(ErrInvalidArgument,
			"%s: want a %s outpoint, txid:vout, got %q", field, chain, s)
	}
	hash, err := parseHash(field, chain+" transaction id", txid)
	if err != nil {
		return wire.OutPoint{}, err
	}
	n, err := strconv.ParseUint(vout, 10, 32)
	if err != nil {
		return wire.OutPoint{}, Errorf(ErrInvalidArgument,
			"%s: output index %q is not a number from 0 to %d",
			field, vout, uint32(1<<32-1))
	}
	return wire.OutPoint{Hash: hash, Index: uint32(n)}, nil
}

// formatOutPoint writes an outpoint as txid:vout.
func formatOutPoint(op wire.OutPoint) string {
	return op.String()
}

// parseRawTx parses a transaction in wire encoding (witnesses allowed),
// hex: exactly one transaction, no trailing bytes.
func parseRawTx(field, s string) (*wire.MsgTx, error) {
	b, err := parseHexBytes(field, s)
	if err != nil {
		return nil, err
	}
	tx := &wire.MsgTx{}
	r := bytes.NewReader(b)
	if err := tx.Deserialize(r); err != nil {
		return nil, Errorf(ErrInvalidArgument, "%s is not a transaction: "+
			"its %d bytes do not decode as one transaction in wire "+
			"encoding (with or without witnesses)", field, len(b))
	}
	if r.Len() != 0 {
		return nil, Errorf(ErrInvalidArgument, "%s has %d bytes after the "+
			"transaction", field, r.Len())
	}
	return tx, nil
}

// rawTxHex serializes a transaction, witnesses included, as hex.
func rawTxHex(tx *wire.MsgTx) (string, error) {
	var buf bytes.Buffer
	buf.Grow(tx.SerializeSize())
	if err := tx.Serialize(&buf); err != nil {
		return "", err
	}
	return hex.EncodeToString(buf.Bytes()), nil
}

// parseHexBytes decodes a request field of hex digits that must not be
// empty; field names it in the error.
func parseHexBytes(field, s string) ([]byte, error) {
	if s == "" {
		return nil, Errorf(ErrInvalidArgument, "%s is empty", field)
	}
	b, err := hex.DecodeString(s)
	var bad hex.InvalidByteError
	switch {
	case errors.As(err, &bad):
		return nil, Errorf(ErrInvalidArgument, "%s is not hex: %q at "+
			"position %d is no hex digit", field, rune(bad), strings.IndexRune(s, rune(bad)))
	case err != nil:
		return nil, Errorf(ErrInvalidArgument, "%s is not hex: it has an "+
			"odd number of digits (%d)", field, len(s))
	}
	return b, nil
}
