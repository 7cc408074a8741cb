package mainwatch

import (
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// WatchSet is the protocol's watch set as the state after a block defines
// it: the scripts and outpoints whose transactions the next block
// delivers. Implementations read the consumer's state; an error means the
// state could not be read.
type WatchSet interface {
	WatchesScript(pkScript []byte) (bool, error)
	WatchesOutPoint(op wire.OutPoint) (bool, error)
}

// WatchSets is the union of several watch sets.
type WatchSets []WatchSet

// WatchesScript implements WatchSet.
func (ws WatchSets) WatchesScript(pkScript []byte) (bool, error) {
	for _, w := range ws {
		if ok, err := w.WatchesScript(pkScript); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// WatchesOutPoint implements WatchSet.
func (ws WatchSets) WatchesOutPoint(op wire.OutPoint) (bool, error) {
	for _, w := range ws {
		if ok, err := w.WatchesOutPoint(op); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// Deliver returns the transactions of a block that the protocol delivers,
// given set, the watch set of the state after the block's parent, and txs,
// the block's candidates in block order (MatchTxs with a list that holds
// set, or all of the block's transactions). A transaction is delivered
// when
//
//  1. one of its outputs pays a script of set, or
//  2. one of its inputs spends an outpoint of set, or
//  3. one of its inputs spends an output of a transaction delivered
//     earlier in the same block, whatever that output pays.
//
// The answer is a function of the block and set alone, so every node that
// holds the same state delivers the same transactions, whatever its
// backend or history. Each Tx keeps its Index.
func Deliver(txs []Tx, set WatchSet) ([]Tx, error) {
	var (
		out  []Tx
		made map[chainhash.Hash]struct{}
	)
	for _, tx := range txs {
		ok, err := delivers(tx.MsgTx, set, made)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		out = append(out, tx)
		if made == nil {
			made = make(map[chainhash.Hash]struct{})
		}
		made[tx.MsgTx.TxHash()] = struct{}{}
	}
	return out, nil
}

func delivers(tx *wire.MsgTx, set WatchSet, made map[chainhash.Hash]struct{}) (bool, error) {
	for _, in := range tx.TxIn {
		if _, ok := made[in.PreviousOutPoint.Hash]; ok {
			return true, nil
		}
	}
	for _, in := range tx.TxIn {
		if ok, err := set.WatchesOutPoint(in.PreviousOutPoint); ok || err != nil {
			return ok, err
		}
	}
	for _, out := range tx.TxOut {
		if ok, err := set.WatchesScript(out.PkScript); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}
