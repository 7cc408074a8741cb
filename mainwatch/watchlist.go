package mainwatch

import (
	"sync"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// WatchList is the set of scripts, outpoints and transaction ids whose
// transactions a backend must deliver. It is safe for concurrent use.
//
// A transaction matches when one of its outputs pays a watched script, one of
// its inputs spends a watched outpoint, or its id is watched. Matching is a
// pure function of the block and the list, so both backends deliver the same
// transactions. Within one block, the outputs of a matching transaction that
// pay a watched script become watched outpoints before the next transaction
// is matched, so a spend in the same block is seen too; they stay watched.
//
// Every matchable item has a script that BIP158 basic filters contain (an
// output script, or the previous output script of an input), so a light
// client that fetches the blocks whose filter matches Scripts finds every
// match.
type WatchList struct {
	mu        sync.RWMutex
	scripts   map[string]struct{}
	outpoints map[wire.OutPoint][]byte
	txids     map[chainhash.Hash][][]byte

	// filterScripts caches Scripts' de-duplicated answer; nil when a
	// change may have added or removed a script.
	filterScripts [][]byte
}

// NewWatchList returns an empty list.
func NewWatchList() *WatchList {
	return &WatchList{
		scripts:   make(map[string]struct{}),
		outpoints: make(map[wire.OutPoint][]byte),
		txids:     make(map[chainhash.Hash][][]byte),
	}
}

// filterable reports whether BIP158 basic filters include pkScript.
func filterable(pkScript []byte) bool {
	return len(pkScript) > 0 && pkScript[0] != txscript.OP_RETURN
}

// AddScript watches outputs paying pkScript.
func (w *WatchList) AddScript(pkScript []byte) {
	if !filterable(pkScript) {
		return
	}
	w.mu.Lock()
	w.scripts[string(pkScript)] = struct{}{}
	w.filterScripts = nil
	w.mu.Unlock()
}

// RemoveScript stops watching pkScript.
func (w *WatchList) RemoveScript(pkScript []byte) {
	w.mu.Lock()
	delete(w.scripts, string(pkScript))
	w.filterScripts = nil
	w.mu.Unlock()
}

// AddOutPoint watches spends of op, whose output pays pkScript.
func (w *WatchList) AddOutPoint(op wire.OutPoint, pkScript []byte) {
	w.mu.Lock()
	w.outpoints[op] = pkScript
	w.filterScripts = nil
	w.mu.Unlock()
}

// RemoveOutPoint stops watching spends of op.
func (w *WatchList) RemoveOutPoint(op wire.OutPoint) {
	w.mu.Lock()
	delete(w.outpoints, op)
	w.filterScripts = nil
	w.mu.Unlock()
}

// addTx watches the transaction tx by id, until removeTx. Its output scripts
// let filters find it.
func (w *WatchList) addTx(tx *wire.MsgTx) {
	var scripts [][]byte
	for _, out := range tx.TxOut {
		if filterable(out.PkScript) {
			scripts = append(scripts, out.PkScript)
		}
	}
	w.mu.Lock()
	w.txids[tx.TxHash()] = scripts
	w.filterScripts = nil
	w.mu.Unlock()
}

func (w *WatchList) removeTx(txid chainhash.Hash) {
	w.mu.Lock()
	delete(w.txids, txid)
	w.filterScripts = nil
	w.mu.Unlock()
}

// Scripts returns every distinct script a block filter must be matched
// against. The caller must not modify the result.
func (w *WatchList) Scripts() [][]byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.filterScripts != nil {
		return w.filterScripts
	}
	set := make(map[string]struct{}, len(w.scripts))
	for s := range w.scripts {
		set[s] = struct{}{}
	}
	for _, s := range w.outpoints {
		if filterable(s) {
			set[string(s)] = struct{}{}
		}
	}
	for _, ss := range w.txids {
		for _, s := range ss {
			set[string(s)] = struct{}{}
		}
	}
	out := make([][]byte, 0, len(set))
	for s := range set {
		out = append(out, []byte(s))
	}
	w.filterScripts = out
	return out
}

// Empty reports whether nothing is watched.
func (w *WatchList) Empty() bool {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return len(w.scripts) == 0 && len(w.outpoints) == 0 && len(w.txids) == 0
}

// Match returns the transactions of block that match the list, and the ids
// of watched transactions the block contains.
func (w *WatchList) Match(block *wire.MsgBlock) ([]Tx, []chainhash.Hash) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var (
		txs  []Tx
		seen []chainhash.Hash
	)
	for i, tx := range block.Transactions {
		txid := tx.TxHash()
		if _, ok := w.txids[txid]; ok {
			seen = append(seen, txid)
		}
		matched := false
		for _, in := range tx.TxIn {
			if _, ok := w.outpoints[in.PreviousOutPoint]; ok {
				matched = true
				break
			}
		}
		for vout, out := range tx.TxOut {
			if _, ok := w.scripts[string(out.PkScript)]; ok {
				matched = true
				op := wire.OutPoint{Hash: txid, Index: uint32(vout)}
				w.outpoints[op] = out.PkScript
			}
		}
		if matched {
			txs = append(txs, Tx{Index: i, MsgTx: tx})
		}
	}
	return txs, seen
}
