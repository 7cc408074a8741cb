package sideblock

import (
	"encoding/binary"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// MainRefSize is the size of a main reference's push in a coinbase: the
// mainchain block's hash in internal byte order (32 bytes), then its height
// (4 bytes, big-endian).
const MainRefSize = chainhash.HashSize + 4

// MainRef is a sideblock's main reference under an engine with a clock of
// its own (docs/protocol.md §9.0): the mainchain block its coinbase names.
type MainRef struct {
	Height int32
	Hash   chainhash.Hash
}

// Bytes returns the reference's push data.
func (m MainRef) Bytes() []byte {
	b := make([]byte, 0, MainRefSize)
	b = append(b, m.Hash[:]...)
	return binary.BigEndian.AppendUint32(b, uint32(m.Height))
}

// String shows the reference as height:hash.
func (m MainRef) String() string { return fmt.Sprintf("%d:%v", m.Height, m.Hash) }

// OwnClockCoinbaseScript returns the coinbase signature script of a block
// under an engine with a clock of its own: the block's height pushed as
// CoinbaseScript pushes it, the main reference pushed as MainRefSize bytes,
// then extra pushed as data if it is not empty (the miner's extranonce
// room). The script must stay within 100 bytes; extra may be up to 55.
func OwnClockCoinbaseScript(height int32, ref MainRef, extra []byte) ([]byte, error) {
	b := txscript.NewScriptBuilder().AddInt64(int64(height)).AddData(ref.Bytes())
	if len(extra) > 0 {
		b.AddData(extra)
	}
	return b.Script()
}

// ExtractMainRef returns the main reference of a coinbase under an engine
// with a clock of its own: the push right after the height, which must be
// exactly MainRefSize bytes with a height that is not negative. Anything
// else is a RuleError with ErrBadMainRef. Bytes after it are free.
func ExtractMainRef(coinbase *wire.MsgTx) (MainRef, error) {
	if _, err := ExtractCoinbaseHeight(coinbase); err != nil {
		return MainRef{}, err
	}
	tok := txscript.MakeScriptTokenizer(0, coinbase.TxIn[0].SignatureScript)
	tok.Next() // the height, checked above
	if !tok.Next() || len(tok.Data()) != MainRefSize ||
		tok.Opcode() != txscript.OP_DATA_1+MainRefSize-1 {
		return MainRef{}, ruleErrorf(ErrBadMainRef, "coinbase does not "+
			"push a %d-byte main reference after its height", MainRefSize)
	}
	d := tok.Data()
	var ref MainRef
	copy(ref.Hash[:], d[:chainhash.HashSize])
	h := binary.BigEndian.Uint32(d[chainhash.HashSize:])
	if h > 1<<31-1 {
		return MainRef{}, ruleErrorf(ErrBadMainRef,
			"main reference height %d out of range", h)
	}
	ref.Height = int32(h)
	return ref, nil
}
