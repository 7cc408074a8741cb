package sideblock

import (
	"bytes"
	"math"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// SideCoinbaseMaturity is how many lottery heights (mainchain blocks) must
// pass before an output of a sidechain coinbase can be spent: a coinbase
// created at lottery height c is spendable in a block at lottery height
// c + SideCoinbaseMaturity or later.
//
// It is measured in mainchain blocks because the risk it covers is a
// mainchain reorg: a reorg can change the lottery winner, and with it the
// coinbase, of every sideblock whose publication it removes. The constant
// belongs in chainparams.Params; it lives here until it moves there.
const SideCoinbaseMaturity = 100

// CoinbaseScript returns a coinbase signature script: the lottery height as
// txscript.ScriptBuilder.AddInt64 pushes it (as BIP34 does for block
// heights), followed by extra bytes pushed as data if extra is not empty.
// A coinbase signature script must be 2 to 100 bytes long, so a producer at
// lottery height 0 to 16 (a one-byte push) must add extra data.
func CoinbaseScript(lotteryHeight int32, extra []byte) ([]byte, error) {
	b := txscript.NewScriptBuilder().AddInt64(int64(lotteryHeight))
	if len(extra) > 0 {
		b.AddData(extra)
	}
	return b.Script()
}

// NewCoinbaseTx returns a coinbase: one input with the null previous
// outpoint, the final sequence number and the signature script
// CoinbaseScript(lotteryHeight, extra), and the given outputs.
func NewCoinbaseTx(lotteryHeight int32, extra []byte, outputs ...*wire.TxOut) (*wire.MsgTx, error) {
	script, err := CoinbaseScript(lotteryHeight, extra)
	if err != nil {
		return nil, err
	}
	return coinbaseWithScript(script, outputs...), nil
}

// coinbaseWithScript returns a coinbase with the signature script and
// outputs.
func coinbaseWithScript(script []byte, outputs ...*wire.TxOut) *wire.MsgTx {
	tx := wire.NewMsgTx(wire.TxVersion)
	tx.AddTxIn(&wire.TxIn{
		PreviousOutPoint: *wire.NewOutPoint(&chainhash.Hash{}, math.MaxUint32),
		SignatureScript:  script,
		Sequence:         wire.MaxTxInSequenceNum,
	})
	for _, out := range outputs {
		tx.AddTxOut(out)
	}
	return tx
}

// IsCoinbase reports whether tx has the coinbase shape: exactly one input,
// which spends the null outpoint.
func IsCoinbase(tx *wire.MsgTx) bool {
	return blockchain.IsCoinBaseTx(tx)
}

// ExtractCoinbaseHeight returns the lottery height at the start of a
// coinbase's signature script. The height must be in exactly the form
// txscript.ScriptBuilder.AddInt64 produces: OP_0, OP_1 to OP_16, or the
// minimal push of a minimal script number of at most four bytes; and it
// must not be negative. Anything else is a RuleError with
// ErrMissingCoinbaseHeight.
func ExtractCoinbaseHeight(coinbase *wire.MsgTx) (int32, error) {
	if len(coinbase.TxIn) == 0 {
		return 0, ruleError(ErrMissingCoinbaseHeight,
			"coinbase has no input")
	}
	script := coinbase.TxIn[0].SignatureScript
	tok := txscript.MakeScriptTokenizer(0, script)
	if !tok.Next() {
		return 0, ruleError(ErrMissingCoinbaseHeight,
			"coinbase signature script does not start with a push")
	}
	op := tok.Opcode()
	var height int64
	switch {
	case op == txscript.OP_0:
		height = 0
	case op >= txscript.OP_1 && op <= txscript.OP_16:
		height = int64(txscript.AsSmallInt(op))
	case op >= txscript.OP_DATA_1 && op <= txscript.OP_DATA_4:
		n, err := txscript.MakeScriptNum(tok.Data(), true, 4)
		if err != nil {
			return 0, ruleErrorf(ErrMissingCoinbaseHeight,
				"coinbase height is not a minimal script "+
					"number: %v", err)
		}
		height = int64(n)
	default:
		return 0, ruleErrorf(ErrMissingCoinbaseHeight,
			"coinbase signature script starts with opcode 0x%02x, "+
				"not a height push", op)
	}
	if height < 0 || height > math.MaxInt32 {
		return 0, ruleErrorf(ErrMissingCoinbaseHeight,
			"coinbase height %d out of range", height)
	}

	// The push must be exactly what AddInt64 builds: this rejects a
	// small height pushed as data, such as OP_DATA_1 0x05 for OP_5.
	want, err := txscript.NewScriptBuilder().AddInt64(height).Script()
	if err != nil {
		return 0, ruleErrorf(ErrMissingCoinbaseHeight,
			"coinbase height %d: %v", height, err)
	}
	if !bytes.Equal(script[:tok.ByteIndex()], want) {
		return 0, ruleErrorf(ErrMissingCoinbaseHeight,
			"coinbase height %d is not minimally pushed", height)
	}
	return int32(height), nil
}
