package wallet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/store"
)

// More store keys: the transactions of the wallet. A history record is
// mainchain-derived (written in the block's batch, undone with it); a
// pending record is local state the wallet writes when it broadcasts.
var (
	keyHistPrefix    = []byte{KeyByte, 'h'} // + height (4) + txid → history record
	keyPendingPrefix = []byte{KeyByte, 'p'} // + txid → pending record
)

// RBFSequence is the sequence number of every input the wallet signs: it
// signals BIP125 replaceability, so that BumpFee can replace the
// transaction while it waits in the mempool. (wire.MaxTxInSequenceNum - 2
// also leaves nLockTime enforced.)
const RBFSequence = wire.MaxTxInSequenceNum - 2

// Errors that the wallet's transaction methods wrap.
var (
	// ErrNotOwnTx: the transaction is not one the wallet sent or received.
	ErrNotOwnTx = errors.New("not a transaction of this wallet")

	// ErrConfirmed: the transaction is already in a mainchain block.
	ErrConfirmed = errors.New("transaction already confirmed")

	// ErrReplacement: a replacement breaks a BIP125 rule the wallet checks.
	ErrReplacement = errors.New("invalid replacement")

	// ErrBumpRate: the fee rate BumpFee was given does not raise the fee
	// by BIP125's rules. Its errors wrap ErrReplacement too.
	ErrBumpRate = errors.New("fee rate too low to replace")
)

// WalletTx is a mainchain transaction of the wallet: one that spends its
// coins or pays its scripts.
type WalletTx struct {
	Tx *wire.MsgTx
	// Height is the block that holds it; -1 while it waits (pending).
	Height int32
	// Received is what its outputs pay the wallet, Sent what it spends of
	// the wallet's coins, in sat. Net = Received - Sent.
	Received, Sent int64
	// Fee is what it pays the miner, when every input is the wallet's
	// (known); -1 otherwise.
	Fee int64
}

// Pending reports whether the transaction waits for a block.
func (t *WalletTx) Pending() bool { return t.Height < 0 }

func histKey(height int32, txid chainhash.Hash) []byte {
	k := append([]byte(nil), keyHistPrefix...)
	k = binary.BigEndian.AppendUint32(k, uint32(height))
	return append(k, txid[:]...)
}

func pendingKey(txid chainhash.Hash) []byte {
	return append(append([]byte(nil), keyPendingPrefix...), txid[:]...)
}

// encodeWalletTx writes received, sent, fee, then the transaction.
func encodeWalletTx(t *WalletTx) ([]byte, error) {
	var b bytes.Buffer
	var hdr [24]byte
	binary.BigEndian.PutUint64(hdr[0:], uint64(t.Received))
	binary.BigEndian.PutUint64(hdr[8:], uint64(t.Sent))
	binary.BigEndian.PutUint64(hdr[16:], uint64(t.Fee))
	b.Write(hdr[:])
	if err := t.Tx.Serialize(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func decodeWalletTx(height int32, v []byte) (*WalletTx, error) {
	if len(v) < 24 {
		return nil, fmt.Errorf("wallet: corrupt transaction record")
	}
	t := &WalletTx{
		Height:   height,
		Received: int64(binary.BigEndian.Uint64(v)),
		Sent:     int64(binary.BigEndian.Uint64(v[8:])),
		Fee:      int64(binary.BigEndian.Uint64(v[16:])),
		Tx:       new(wire.MsgTx),
	}
	if err := t.Tx.Deserialize(bytes.NewReader(v[24:])); err != nil {
		return nil, fmt.Errorf("wallet: corrupt transaction record: %w", err)
	}
	return t, nil
}

// recordBlockTx writes the history record of a block's transaction that
// touches the wallet. Called from ConnectBlock with mu held.
func (w *Wallet) recordBlockTx(wr *store.Writer, height int32, tx *wire.MsgTx, spent int64, allOwn bool) error {
	var received, out int64
	for _, o := range tx.TxOut {
		out += o.Value
		if _, ok := w.scripts[string(o.PkScript)]; ok {
			received += o.Value
		}
	}
	if received == 0 && spent == 0 {
		return nil
	}
	t := &WalletTx{Tx: tx, Height: height, Received: received, Sent: spent, Fee: -1}
	if allOwn && spent >= out {
		t.Fee = spent - out
	}
	v, err := encodeWalletTx(t)
	if err != nil {
		return err
	}
	return wr.Set(histKey(height, tx.TxHash()), v)
}

// pendingState reads, in one snapshot, the wallet's coins and its pending
// transactions that are still valid: every input still one of the coins
// (a pending transaction whose coin a block spent was mined or replaced).
func (w *Wallet) pendingState() (coins []*Coin, pending []*WalletTx, tip store.BlockID, err error) {
	err = w.db.View(func(r store.Reader) error {
		if tip, err = r.Tip(); err != nil {
			return err
		}
		if err := r.Iterate(keyCoinPrefix, func(k, v []byte) error {
			c, err := decodeCoin(k, v)
			if err == nil {
				coins = append(coins, c)
			}
			return err
		}); err != nil {
			return err
		}
		return r.Iterate(keyPendingPrefix, func(_, v []byte) error {
			t, err := decodeWalletTx(-1, v)
			if err == nil {
				pending = append(pending, t)
			}
			return err
		})
	})
	if err != nil {
		return nil, nil, tip, err
	}
	own := make(map[wire.OutPoint]bool, len(coins))
	for _, c := range coins {
		own[c.OutPoint] = true
	}
	valid := pending[:0]
	for _, t := range pending {
		ok := len(t.Tx.TxIn) > 0
		for _, in := range t.Tx.TxIn {
			ok = ok && own[in.PreviousOutPoint]
		}
		if ok {
			valid = append(valid, t)
		}
	}
	sort.Slice(coins, func(i, j int) bool { return coins[i].Height < coins[j].Height })
	return coins, valid, tip, nil
}

// spentByPending returns the outpoints that the pending transactions spend.
func spentByPending(pending []*WalletTx) map[wire.OutPoint]*WalletTx {
	out := make(map[wire.OutPoint]*WalletTx)
	for _, t := range pending {
		for _, in := range t.Tx.TxIn {
			out[in.PreviousOutPoint] = t
		}
	}
	return out
}

// Sent records tx, a transaction Fund built (or BumpFee) that the node has
// broadcast, as pending: its coins stay spent, across restarts, until a
// block spends them, and its outputs to the wallet count as unconfirmed.
func (w *Wallet) Sent(tx *wire.MsgTx) error {
	coins, _, _, err := w.pendingState()
	if err != nil {
		return err
	}
	own := make(map[wire.OutPoint]*Coin, len(coins))
	for _, c := range coins {
		own[c.OutPoint] = c
	}
	t := &WalletTx{Tx: tx, Height: -1}
	var out int64
	w.mu.Lock()
	for _, o := range tx.TxOut {
		out += o.Value
		if _, ok := w.scripts[string(o.PkScript)]; ok {
			t.Received += o.Value
		}
	}
	w.mu.Unlock()
	for i, in := range tx.TxIn {
		c, ok := own[in.PreviousOutPoint]
		if !ok {
			return fmt.Errorf("%w: input %d spends %v, not a coin of the wallet",
				ErrNotOwnTx, i, in.PreviousOutPoint)
		}
		t.Sent += c.Value
	}
	t.Fee = t.Sent - out
	v, err := encodeWalletTx(t)
	if err != nil {
		return err
	}
	// A pending transaction that spends one of the same coins is the one
	// tx replaces (BumpFee): its record goes.
	_, pending, _, err := w.pendingState()
	if err != nil {
		return err
	}
	spent := spentByPending(pending)
	err = w.db.Update(func(pw *store.PlainWriter) error {
		for _, in := range tx.TxIn {
			if old, ok := spent[in.PreviousOutPoint]; ok && old.Tx.TxHash() != tx.TxHash() {
				if err := pw.Delete(pendingKey(old.Tx.TxHash())); err != nil {
					return err
				}
			}
		}
		return pw.Set(pendingKey(tx.TxHash()), v)
	})
	if err != nil {
		return err
	}
	w.mu.Lock() // never across the store write: see Wallet.mu
	for _, in := range tx.TxIn {
		delete(w.locked, in.PreviousOutPoint) // held by the record now
	}
	w.mu.Unlock()
	// The records of transactions mined since go now rather than at the
	// next start.
	return w.prunePending()
}

// prunePending deletes the pending records that are no longer valid:
// their transaction was mined, or another one spent their coins. Called
// when the wallet opens and after each send.
func (w *Wallet) prunePending() error {
	var all [][]byte
	err := w.db.View(func(r store.Reader) error {
		return r.Iterate(keyPendingPrefix, func(k, _ []byte) error {
			all = append(all, append([]byte(nil), k...))
			return nil
		})
	})
	if err != nil || len(all) == 0 {
		return err
	}
	_, valid, _, err := w.pendingState()
	if err != nil {
		return err
	}
	keep := make(map[string]bool, len(valid))
	for _, t := range valid {
		keep[string(pendingKey(t.Tx.TxHash()))] = true
	}
	return w.db.Update(func(pw *store.PlainWriter) error {
		for _, k := range all {
			if !keep[string(k)] {
				if err := pw.Delete(k); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Balances is the wallet's balance, in sat, in parts that do not overlap.
// A coin that a pending transaction of the wallet spends counts in none of
// them from the moment the transaction is sent.
type Balances struct {
	// Confirmed: coins in blocks with at least MinConf confirmations (with
	// MinConf 0, also Unconfirmed).
	Confirmed int64
	// Incoming: coins in blocks with fewer than MinConf confirmations,
	// and what transactions of the mainchain's mempool that are not the
	// wallet's own pay it (counted whatever MinConf, never spendable).
	Incoming int64
	// MempoolSeen says that Incoming counts the mempool: a backend that
	// sees one (btcd) feeds the wallet (FollowMempool). Without it
	// (neutrino) coins paying the wallet are known once in a block.
	MempoolSeen bool
	// Unconfirmed: what the wallet's pending transactions pay back to it
	// (change), 0 confirmations.
	Unconfirmed int64
	// Total = Confirmed + Incoming + Unconfirmed (Unconfirmed once).
	Total int64
	// Spendable is what Fund can spend at MinConf (at least 1): Confirmed
	// without Unconfirmed.
	Spendable int64
	// PendingSpent is the value of the coins pending transactions spend,
	// counted in none of the above.
	PendingSpent int64
	MinConf      int32
}

// Balances returns the wallet's balance at minConf confirmations; 0 counts
// the change of its pending transactions as confirmed.
func (w *Wallet) Balances(minConf int32) (*Balances, error) {
	coins, pending, tip, err := w.pendingState()
	if err != nil {
		return nil, err
	}
	spent := spentByPending(pending)
	b := &Balances{MinConf: minConf}
	w.mu.Lock()
	for _, c := range coins {
		_, busy := w.locked[c.OutPoint]
		if _, ok := spent[c.OutPoint]; ok || busy {
			b.PendingSpent += c.Value
			continue
		}
		if tip.Height-c.Height+1 >= minConf {
			b.Confirmed += c.Value
		} else {
			b.Incoming += c.Value
		}
		if tip.Height-c.Height+1 >= max(minConf, 1) {
			b.Spendable += c.Value
		}
	}
	b.Incoming += w.mempoolIncomingLocked(coins, pending)
	b.MempoolSeen = w.mempoolOn
	w.mu.Unlock()
	for _, t := range pending {
		b.Unconfirmed += t.Received
	}
	if minConf == 0 {
		b.Confirmed += b.Unconfirmed
		b.Total = b.Confirmed + b.Incoming
	} else {
		b.Total = b.Confirmed + b.Incoming + b.Unconfirmed
	}
	return b, nil
}

// Unspent is one output the wallet can spend, or will once its
// transaction is mined.
type Unspent struct {
	Coin
	// Confirmations is 0 for an output of a pending transaction.
	Confirmations int32
}

// ListUnspent returns the wallet's unspent outputs with at least minConf
// confirmations, oldest first; with minConf 0 also the outputs its pending
// transactions pay it. Coins that pending transactions spend are left out.
func (w *Wallet) ListUnspent(minConf int32) ([]Unspent, error) {
	coins, pending, tip, err := w.pendingState()
	if err != nil {
		return nil, err
	}
	spent := spentByPending(pending)
	var out []Unspent
	w.mu.Lock()
	for _, c := range coins {
		_, busy := w.locked[c.OutPoint]
		if _, ok := spent[c.OutPoint]; ok || busy {
			continue
		}
		if conf := tip.Height - c.Height + 1; conf >= minConf {
			out = append(out, Unspent{Coin: *c, Confirmations: conf})
		}
	}
	if minConf == 0 {
		for _, t := range pending {
			txid := t.Tx.TxHash()
			for i, o := range t.Tx.TxOut {
				ref, ok := w.scripts[string(o.PkScript)]
				if !ok {
					continue
				}
				out = append(out, Unspent{Coin: Coin{
					OutPoint: wire.OutPoint{Hash: txid, Index: uint32(i)},
					Value:    o.Value, Height: -1, PkScript: o.PkScript, Key: ref,
				}})
			}
		}
	}
	w.mu.Unlock()
	return out, nil
}

// Transactions returns the wallet's transactions: those in blocks, oldest
// first, then the pending ones.
func (w *Wallet) Transactions() ([]*WalletTx, error) {
	var txs []*WalletTx
	err := w.db.View(func(r store.Reader) error {
		return r.Iterate(keyHistPrefix, func(k, v []byte) error {
			if len(k) != len(keyHistPrefix)+4+32 {
				return fmt.Errorf("wallet: corrupt transaction key")
			}
			t, err := decodeWalletTx(int32(binary.BigEndian.Uint32(k[len(keyHistPrefix):])), v)
			if err == nil {
				txs = append(txs, t)
			}
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	_, pending, _, err := w.pendingState()
	if err != nil {
		return nil, err
	}
	return append(txs, pending...), nil
}

// Transaction returns the wallet's transaction txid, mined or pending;
// ErrNotOwnTx when the wallet has none.
func (w *Wallet) Transaction(txid chainhash.Hash) (*WalletTx, error) {
	txs, err := w.Transactions()
	if err != nil {
		return nil, err
	}
	// Newest first: a pending one replaced by a mined one is shown mined.
	for i := len(txs) - 1; i >= 0; i-- {
		if txs[i].Tx.TxHash() == txid {
			return txs[i], nil
		}
	}
	return nil, fmt.Errorf("%w: %v", ErrNotOwnTx, txid)
}
