package mainwatch

import (
	"sync"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// WatchList is the set of scripts, outpoints and transaction ids whose
// blocks a backend must deliver. It is safe for concurrent use.
//
// The list is not the protocol's watch set: that one is a function of the
// chain (WatchSet, Deliver). The list is kept a superset of it: the
// consumers add what their state watches, and, since the list never
// drops an item while the node runs, it still covers the state after an
// undo. Local items join it too: the wallet's scripts and coins, and the
// transactions the node broadcasts. A backend uses the list to choose the
// blocks it downloads and the transactions it hands on (MatchTxs); the
// consumer then picks the protocol's transactions out of those with
// Deliver.
//
// Every matchable item has a script that BIP158 basic filters contain (an
// output script, or the previous output script of an input), so a light
// client that fetches the blocks whose filter matches Scripts finds every
// block with a candidate.
//
// The list numbers its additions (Version), and keeps the latest of them
// (AdditionsSince), so that a backend can keep a filter of its own, such as
// btcd's transaction filter, a superset of the list.
type WatchList struct {
	mu        sync.RWMutex
	scripts   map[string]struct{}
	outpoints map[wire.OutPoint][]byte
	txids     map[chainhash.Hash]watchedTx

	// filterScripts caches Scripts' de-duplicated answer; nil when a
	// change may have added or removed a script.
	filterScripts [][]byte

	// version counts the additions; added holds the latest of them,
	// numbered version−len(added)+1 to version.
	version uint64
	added   []Addition

	// changed is signalled, without blocking, after additions.
	changed chan struct{}
}

// watchedTx is a watched transaction's output scripts, which filters find
// it by, and the outpoints it spends, which btcd's filter finds it by.
type watchedTx struct {
	scripts [][]byte
	spends  []wire.OutPoint
}

// Addition is one item added to a WatchList: a script, or an outpoint
// when Script is nil. A watched transaction is added as the outpoints it
// spends: a transaction that spends one of them is delivered, and the
// list's own matching then picks the watched one out.
type Addition struct {
	Script   []byte
	OutPoint wire.OutPoint
}

// maxAdditions bounds the additions a list keeps. A consumer that falls
// further behind starts again from Snapshot.
const maxAdditions = 1 << 16

// NewWatchList returns an empty list.
func NewWatchList() *WatchList {
	return &WatchList{
		scripts:   make(map[string]struct{}),
		outpoints: make(map[wire.OutPoint][]byte),
		txids:     make(map[chainhash.Hash]watchedTx),
		changed:   make(chan struct{}, 1),
	}
}

// Changed is signalled, without blocking the writer, after the list gains
// items; one signal may stand for many additions. One reader takes them:
// the backend that keeps a filter of its own up to the list.
func (w *WatchList) Changed() <-chan struct{} { return w.changed }

// addedLocked numbers a new addition. The caller holds mu for writing.
func (w *WatchList) addedLocked(a Addition) {
	w.version++
	if len(w.added) >= maxAdditions {
		n := copy(w.added, w.added[len(w.added)/2:])
		w.added = w.added[:n]
	}
	w.added = append(w.added, a)
	select {
	case w.changed <- struct{}{}:
	default:
	}
}

// Version returns how many additions the list has had.
func (w *WatchList) Version() uint64 {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.version
}

// AdditionsSince returns the additions after version v and the version
// they reach. ok is false when the list no longer keeps all of them; the
// caller then starts from Snapshot.
func (w *WatchList) AdditionsSince(v uint64) (adds []Addition, now uint64, ok bool) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	first := w.version - uint64(len(w.added)) // the version before added[0]
	if v < first || v > w.version {
		return nil, w.version, false
	}
	return append([]Addition(nil), w.added[v-first:]...), w.version, true
}

// Snapshot returns everything the list watches, as additions, and the
// version it reaches.
func (w *WatchList) Snapshot() ([]Addition, uint64) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	out := make([]Addition, 0, len(w.scripts)+len(w.outpoints))
	for s := range w.scripts {
		out = append(out, Addition{Script: []byte(s)})
	}
	for op := range w.outpoints {
		out = append(out, Addition{OutPoint: op})
	}
	for _, t := range w.txids {
		for _, op := range t.spends {
			out = append(out, Addition{OutPoint: op})
		}
	}
	return out, w.version
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
	if _, ok := w.scripts[string(pkScript)]; !ok {
		w.scripts[string(pkScript)] = struct{}{}
		w.filterScripts = nil
		w.addedLocked(Addition{Script: append([]byte(nil), pkScript...)})
	}
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
	if _, ok := w.outpoints[op]; !ok {
		w.addedLocked(Addition{OutPoint: op})
	}
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
	var t watchedTx
	for _, out := range tx.TxOut {
		if filterable(out.PkScript) {
			t.scripts = append(t.scripts, out.PkScript)
		}
	}
	for _, in := range tx.TxIn {
		t.spends = append(t.spends, in.PreviousOutPoint)
	}
	txid := tx.TxHash()
	w.mu.Lock()
	if _, ok := w.txids[txid]; !ok {
		for _, op := range t.spends {
			w.addedLocked(Addition{OutPoint: op})
		}
	}
	w.txids[txid] = t
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
	for _, t := range w.txids {
		for _, s := range t.scripts {
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

// Match returns the transactions of block that are candidates for
// delivery (MatchTxs), and the ids of watched transactions the block
// contains.
func (w *WatchList) Match(block *wire.MsgBlock) ([]Tx, []chainhash.Hash) {
	txs, seen, _ := w.MatchTxs(block.Transactions)
	return txs, seen
}

// MatchTxs returns the candidates among txList, a block's transactions in
// block order or the part of them that a backend's own filter sent: the
// transactions that pay a listed script, spend a listed outpoint, or spend
// an output of an earlier candidate of txList, whatever that output pays.
// Each Tx's Index is its position in txList. It also returns the ids of
// watched transactions among them, and whether the candidates are closed:
// every output of every candidate that can be spent pays a listed script.
//
// Because the list is kept a superset of the protocol's watch set, the
// candidates of a block include every transaction that Deliver delivers
// from it. When txList is what a filter that held the list sent, and that
// filter also matches the spends of outputs paying its scripts (as btcd's
// does), closed means that the filter sent every candidate of the whole
// block.
//
// Matching changes nothing on the list: an output is watched across
// blocks only when a consumer adds it.
func (w *WatchList) MatchTxs(txList []*wire.MsgTx) (txs []Tx, seen []chainhash.Hash, closed bool) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	closed = true
	var made map[chainhash.Hash]struct{} // candidates so far, by id
	for i, tx := range txList {
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
			if _, ok := made[in.PreviousOutPoint.Hash]; ok {
				matched = true
				break
			}
		}
		if !matched {
			for _, out := range tx.TxOut {
				if _, ok := w.scripts[string(out.PkScript)]; ok {
					matched = true
					break
				}
			}
		}
		if !matched {
			continue
		}
		txs = append(txs, Tx{Index: i, MsgTx: tx})
		if made == nil {
			made = make(map[chainhash.Hash]struct{})
		}
		made[txid] = struct{}{}
		for _, out := range tx.TxOut {
			if txscript.IsUnspendable(out.PkScript) {
				continue
			}
			if _, ok := w.scripts[string(out.PkScript)]; !ok {
				closed = false
			}
		}
	}
	return txs, seen, closed
}
