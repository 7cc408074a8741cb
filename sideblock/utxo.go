package sideblock

import (
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// Utxo is an unspent sidechain output.
type Utxo struct {
	// Value is the output's value in satoshis.
	Value int64

	// PkScript is the output's script.
	PkScript []byte

	// Height is the lottery height (mainchain height) of the sideblock
	// that created the output. Lottery heights strictly increase along a
	// sidechain branch, so they serve as its block heights for coinbase
	// maturity, nLockTime and BIP68.
	Height int32

	// IsCoinbase tells whether the output was created by a coinbase.
	IsCoinbase bool
}

// UtxoView is read access to the unspent outputs as of some sideblock: the
// state a block is checked against. FetchUtxo returns the output and true if
// it exists and is unspent. The returned Utxo must not be modified.
type UtxoView interface {
	FetchUtxo(op wire.OutPoint) (*Utxo, bool)
}

// UtxoSet is a UtxoView that ApplyBlock and UndoBlock can change. The
// in-memory MemUtxoView is one; a storage-backed cache will be another.
type UtxoSet interface {
	UtxoView

	// AddUtxo adds or replaces an unspent output.
	AddUtxo(op wire.OutPoint, u *Utxo)

	// SpendUtxo removes an unspent output; removing a missing one does
	// nothing.
	SpendUtxo(op wire.OutPoint)
}

// SpentOutput is one output spent by a block, as it was before the block:
// the undo data that UndoBlock needs to restore it.
type SpentOutput struct {
	OutPoint wire.OutPoint
	Utxo     Utxo
}

// MemUtxoView is an in-memory UtxoSet. It is not safe for concurrent use.
type MemUtxoView struct {
	m map[wire.OutPoint]*Utxo
}

// Ensure MemUtxoView implements UtxoSet.
var _ UtxoSet = (*MemUtxoView)(nil)

// NewMemUtxoView returns an empty in-memory view.
func NewMemUtxoView() *MemUtxoView {
	return &MemUtxoView{m: make(map[wire.OutPoint]*Utxo)}
}

// FetchUtxo implements UtxoView.
func (v *MemUtxoView) FetchUtxo(op wire.OutPoint) (*Utxo, bool) {
	u, ok := v.m[op]
	return u, ok
}

// AddUtxo implements UtxoSet. The view keeps u; the caller must not modify
// it afterwards.
func (v *MemUtxoView) AddUtxo(op wire.OutPoint, u *Utxo) {
	v.m[op] = u
}

// SpendUtxo implements UtxoSet.
func (v *MemUtxoView) SpendUtxo(op wire.OutPoint) {
	delete(v.m, op)
}

// Len returns the number of unspent outputs.
func (v *MemUtxoView) Len() int {
	return len(v.m)
}

// ForEach calls f for every unspent output, in no particular order, until f
// returns false.
func (v *MemUtxoView) ForEach(f func(op wire.OutPoint, u *Utxo) bool) {
	for op, u := range v.m {
		if !f(op, u) {
			return
		}
	}
}

// Clone returns a copy of the view that shares the (immutable) Utxo values.
func (v *MemUtxoView) Clone() *MemUtxoView {
	c := &MemUtxoView{m: make(map[wire.OutPoint]*Utxo, len(v.m))}
	for op, u := range v.m {
		c.m[op] = u
	}
	return c
}

// isUnspendable reports whether an output never enters the UTXO set:
// OP_RETURN outputs (withdrawals and data) and scripts that can never
// succeed, as txscript.IsUnspendable decides.
func isUnspendable(pkScript []byte) bool {
	return txscript.IsUnspendable(pkScript)
}

// ApplyBlock connects a block to view: it spends every input of every
// transaction but the coinbase and adds every spendable output, stamped with
// the lottery height read from the coinbase. It returns the spent outputs in
// input order (the block's undo data, the same list CheckConnectBlock
// returns).
//
// ApplyBlock is for blocks that passed CheckBlockSanity and
// CheckConnectBlock against the same view. It still refuses to spend a
// missing output (ErrMissingTxOut) or to read a coinbase without a height
// (ErrBadUndoData); view may then be partly changed, so a caller that needs
// atomicity applies to a scratch layer and commits it on success.
func ApplyBlock(view UtxoSet, block *Block) ([]SpentOutput, error) {
	if len(block.Transactions) == 0 {
		return nil, ruleError(ErrBadUndoData, "block has no coinbase")
	}
	height, err := ExtractCoinbaseHeight(block.Transactions[0])
	if err != nil {
		return nil, ruleErrorf(ErrBadUndoData, "coinbase: %v", err)
	}
	var spent []SpentOutput
	for i, tx := range block.Transactions {
		if !createsCoins(i, tx) {
			for _, in := range tx.TxIn {
				op := in.PreviousOutPoint
				u, ok := view.FetchUtxo(op)
				if !ok {
					return spent, ruleErrorf(ErrMissingTxOut,
						"output %v spent by transaction "+
							"%d is not in the view", op, i)
				}
				spent = append(spent, SpentOutput{OutPoint: op, Utxo: *u})
				view.SpendUtxo(op)
			}
		}
		txid := tx.TxHash()
		for vout, out := range tx.TxOut {
			if isUnspendable(out.PkScript) {
				continue
			}
			view.AddUtxo(wire.OutPoint{Hash: txid, Index: uint32(vout)}, &Utxo{
				Value:      out.Value,
				PkScript:   out.PkScript,
				Height:     height,
				IsCoinbase: i == 0,
			})
		}
	}
	return spent, nil
}

// UndoBlock disconnects a block that ApplyBlock connected to view, given the
// spent outputs ApplyBlock returned: it removes the block's outputs and
// restores the spent ones, last transaction first, so that outputs created
// and spent inside the block end up absent. The undo data must hold exactly
// one entry per input of the block's non-coinbase transactions, for the
// same outpoints, or nothing is changed and the error is ErrBadUndoData.
func UndoBlock(view UtxoSet, block *Block, spent []SpentOutput) error {
	n := 0
	for i, tx := range block.Transactions {
		if createsCoins(i, tx) {
			continue
		}
		for _, in := range tx.TxIn {
			if n >= len(spent) || spent[n].OutPoint != in.PreviousOutPoint {
				return ruleErrorf(ErrBadUndoData,
					"undo data does not match input %d of "+
						"transaction %d", n, i)
			}
			n++
		}
	}
	if n != len(spent) {
		return ruleErrorf(ErrBadUndoData,
			"undo data has %d entries, block spends %d",
			len(spent), n)
	}

	for i := len(block.Transactions) - 1; i >= 0; i-- {
		tx := block.Transactions[i]
		txid := tx.TxHash()
		for vout := range tx.TxOut {
			view.SpendUtxo(wire.OutPoint{Hash: txid, Index: uint32(vout)})
		}
		if createsCoins(i, tx) {
			continue
		}
		for j := len(tx.TxIn) - 1; j >= 0; j-- {
			n--
			u := spent[n].Utxo
			view.AddUtxo(spent[n].OutPoint, &u)
		}
	}
	return nil
}
