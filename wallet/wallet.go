package wallet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/mempool"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/store"
)

// LookAhead is how many unissued addresses per family the wallet watches.
const LookAhead = 20

// KeyByte is the first byte of every store key the wallet writes. All of
// it is local state, which the node leaves out of the state hash: each
// node has its own wallet, or none.
const KeyByte byte = 0x20

// Store keys. Coins are mainchain-derived (written in block batches);
// the issued-address counters are not.
var (
	keyCoinPrefix   = []byte{KeyByte, 'c'} // + outpoint → coin record
	keyIssuedPrefix = []byte{KeyByte, 'i'} // + family → next unissued index
)

// Coin is a mainchain output the wallet can spend.
type Coin struct {
	OutPoint wire.OutPoint
	Value    int64
	Height   int32
	PkScript []byte
	Key      KeyRef
}

func coinKey(op wire.OutPoint) []byte {
	k := append([]byte(nil), keyCoinPrefix...)
	k = append(k, op.Hash[:]...)
	return binary.BigEndian.AppendUint32(k, op.Index)
}

func (c *Coin) encode() []byte {
	b := make([]byte, 0, 20+len(c.PkScript))
	b = binary.BigEndian.AppendUint64(b, uint64(c.Value))
	b = binary.BigEndian.AppendUint32(b, uint32(c.Height))
	b = binary.BigEndian.AppendUint32(b, uint32(c.Key.Family))
	b = binary.BigEndian.AppendUint32(b, c.Key.Index)
	return append(b, c.PkScript...)
}

func decodeCoin(key, val []byte) (*Coin, error) {
	if len(key) != len(keyCoinPrefix)+36 || len(val) < 20 {
		return nil, fmt.Errorf("wallet: corrupt coin record")
	}
	c := &Coin{
		Value:    int64(binary.BigEndian.Uint64(val)),
		Height:   int32(binary.BigEndian.Uint32(val[8:])),
		Key:      KeyRef{Family(binary.BigEndian.Uint32(val[12:])), binary.BigEndian.Uint32(val[16:])},
		PkScript: append([]byte(nil), val[20:]...),
	}
	copy(c.OutPoint.Hash[:], key[len(keyCoinPrefix):])
	c.OutPoint.Index = binary.BigEndian.Uint32(key[len(keyCoinPrefix)+32:])
	return c, nil
}

// Wallet tracks and spends the node's mainchain coins.
type Wallet struct {
	keys   *Keyring
	db     *store.DB
	watch  *mainwatch.WatchList
	params *chaincfg.Params

	// Lock order: issueMu, then the store's writer (db.Update, or the
	// block batch ConnectBlock runs in), then mu. mu is never held across
	// a store write: ConnectBlock takes mu inside the store's block
	// batch, so a db.Update made with mu held would wait for the batch
	// while the batch waits for mu.
	issueMu sync.Mutex // serializes address issuance and Fund
	mu      sync.Mutex
	scripts map[string]KeyRef
	notary  map[string]KeyRef   // the notary keys' scripts (notary.go); fixed once blocks connect
	imports []*btcec.PrivateKey // ImportNotaryKey's keys, Notary indexes NotaryKeys and up
	issued  [numFamilies]uint32
	locked  map[wire.OutPoint]struct{} // spent by transactions not yet mined
	stakes  map[wire.OutPoint]struct{} // stake outputs the node withdraws (WatchStake)

	// The mainchain mempool's transactions that pay the wallet, local and
	// in memory only (mempool.go); mempoolOn while FollowMempool runs.
	mempool       map[chainhash.Hash]*mempoolTx
	mempoolInputs int
	mempoolOn     bool
}

// New opens the wallet on db and watches its scripts.
func New(keys *Keyring, db *store.DB, watch *mainwatch.WatchList, params *chaincfg.Params) (*Wallet, error) {
	w := &Wallet{
		keys:    keys,
		db:      db,
		watch:   watch,
		params:  params,
		scripts: make(map[string]KeyRef),
		locked:  make(map[wire.OutPoint]struct{}),
		stakes:  make(map[wire.OutPoint]struct{}),
	}
	err := db.View(func(r store.Reader) error {
		for f := Family(0); f < numFamilies; f++ {
			v, err := r.Get(append(append([]byte(nil), keyIssuedPrefix...), byte(f)))
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if len(v) != 4 {
				return fmt.Errorf("wallet: corrupt address counter")
			}
			w.issued[f] = binary.BigEndian.Uint32(v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, f := range []Family{Receive, Change} {
		if err := w.extend(f); err != nil {
			return nil, err
		}
	}
	// Spends of the coins name no script in the block; the list finds
	// them by outpoint.
	coins, err := w.Coins()
	if err != nil {
		return nil, err
	}
	for _, c := range coins {
		watch.AddOutPoint(c.OutPoint, c.PkScript)
	}
	if w.notary, err = notaryScripts(keys); err != nil {
		return nil, err
	}
	if err := w.watchNotary(); err != nil {
		return nil, err
	}
	if err := w.loadStakeWatches(); err != nil {
		return nil, err
	}
	return w, w.prunePending()
}

// extend watches the family's scripts up to issued+LookAhead. Called with
// mu held or before the wallet is shared.
func (w *Wallet) extend(f Family) error {
	for i := uint32(0); i < w.issued[f]+LookAhead; i++ {
		ref := KeyRef{f, i}
		_, script, err := w.keys.P2WPKH(ref)
		if err != nil {
			return err
		}
		if _, ok := w.scripts[string(script)]; ok {
			continue
		}
		w.scripts[string(script)] = ref
		w.watch.AddScript(script)
	}
	return nil
}

// NewAddress issues the next unused address of a family (Receive or
// Change).
func (w *Wallet) NewAddress(f Family) (btcutil.Address, error) {
	w.issueMu.Lock()
	defer w.issueMu.Unlock()
	w.mu.Lock()
	ref := KeyRef{f, w.issued[f]}
	w.mu.Unlock()
	addr, _, err := w.keys.P2WPKH(ref)
	if err != nil {
		return nil, err
	}
	return addr, w.issue(ref)
}

// issue marks ref as issued: its family's counter moves past it, on disk
// then in memory, and the look-ahead window follows. Called with issueMu
// held and mu not held.
func (w *Wallet) issue(ref KeyRef) error {
	next := binary.BigEndian.AppendUint32(nil, ref.Index+1)
	err := w.db.Update(func(pw *store.PlainWriter) error {
		return pw.Set(append(append([]byte(nil), keyIssuedPrefix...), byte(ref.Family)), next)
	})
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.issued[ref.Family] = ref.Index + 1
	return w.extend(ref.Family)
}

// CurrentAddress returns the newest issued address of a family, issuing the
// first one if there is none.
func (w *Wallet) CurrentAddress(f Family) (btcutil.Address, error) {
	w.mu.Lock()
	issued := w.issued[f]
	w.mu.Unlock()
	if issued == 0 {
		return w.NewAddress(f)
	}
	addr, _, err := w.keys.P2WPKH(KeyRef{f, issued - 1})
	return addr, err
}

// ConnectBlock updates the wallet's coins for a connected mainchain block.
// It runs inside the block's store batch, and is given every candidate of
// the block (mainwatch.WatchList.MatchTxs), not only the protocol's
// transactions: the list holds the wallet's scripts and coins.
func (w *Wallet) ConnectBlock(wr *store.Writer, b *mainwatch.Block) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, tx := range b.Txs {
		var spent int64
		allOwn := true
		for _, in := range tx.MsgTx.TxIn {
			k := coinKey(in.PreviousOutPoint)
			if v, err := wr.Get(k); err == nil {
				if c, err := decodeCoin(k, v); err == nil {
					spent += c.Value
				}
				if err := wr.Delete(k); err != nil {
					return err
				}
				delete(w.locked, in.PreviousOutPoint)
				log.Debugf("Coin %v spent in mainchain block %d",
					in.PreviousOutPoint, b.Height)
			} else if errors.Is(err, store.ErrNotFound) {
				allOwn = false
			} else {
				return err
			}
		}
		if err := w.recordBlockTx(wr, b.Height, tx.MsgTx, spent, allOwn); err != nil {
			return err
		}
		if err := w.recordStakeSpend(wr, b.Height, tx.MsgTx); err != nil {
			return err
		}
		txid := tx.MsgTx.TxHash()
		// Mined: no longer incoming from the mempool. (Memory only: a
		// batch that fails stops the node.)
		w.dropMempoolLocked(txid)
		for _, c := range paidTo(tx.MsgTx, txid, w.scripts, b.Height) {
			if err := wr.Set(coinKey(c.OutPoint), c.encode()); err != nil {
				return err
			}
			w.watch.AddOutPoint(c.OutPoint, c.PkScript)
			log.Infof("Received %d sat in %v (mainchain block %d, %v key)",
				c.Value, c.OutPoint, b.Height, c.Key.Family)
		}
	}
	return w.connectNotary(wr, b)
}

// paidTo returns the outputs of tx (whose id is txid) that pay one of
// scripts, as coins mined at height.
func paidTo(tx *wire.MsgTx, txid chainhash.Hash, scripts map[string]KeyRef, height int32) []Coin {
	var coins []Coin
	for vout, out := range tx.TxOut {
		ref, ok := scripts[string(out.PkScript)]
		if !ok {
			continue
		}
		coins = append(coins, Coin{
			OutPoint: wire.OutPoint{Hash: txid, Index: uint32(vout)},
			Value:    out.Value,
			Height:   height,
			PkScript: out.PkScript,
			Key:      ref,
		})
	}
	return coins
}

// Coins returns the wallet's coins, oldest first.
func (w *Wallet) Coins() ([]*Coin, error) {
	var coins []*Coin
	err := w.db.View(func(r store.Reader) error {
		return r.Iterate(keyCoinPrefix, func(k, v []byte) error {
			c, err := decodeCoin(k, v)
			if err != nil {
				return err
			}
			coins = append(coins, c)
			return nil
		})
	})
	sort.Slice(coins, func(i, j int) bool { return coins[i].Height < coins[j].Height })
	return coins, err
}

// Balance returns the total value of coins with at least minConf
// confirmations at the store's tip, leaving out the coins the wallet has
// spent in transactions not mined yet (Balances gives the parts).
func (w *Wallet) Balance(minConf int32) (int64, error) {
	b, err := w.Balances(minConf)
	if err != nil {
		return 0, err
	}
	return b.Confirmed, nil
}

// p2wpkhInputVSize is the virtual size a signed P2WPKH input adds.
const p2wpkhInputVSize = 68

// Fund builds a signed transaction paying outs at feeRate sat/vB from coins
// with at least minConf confirmations, with change to a new change address
// when it is above dust. The spent coins are held back until a block spends
// them or Release frees them.
//
// feeRate must be between 1 and MaxFeeRate (else an error wrapping
// ErrFeeRate), every output value between 0 and MaxAmount and their sum at
// most MaxAmount (else ErrAmount). The transaction is checked with CheckTx
// against the coins it spends before Fund returns it.
func (w *Wallet) Fund(outs []*wire.TxOut, feeRate int64, minConf int32) (*wire.MsgTx, error) {
	if err := CheckFeeRate(feeRate); err != nil {
		return nil, fmt.Errorf("wallet: %w", err)
	}
	want, err := sumOutputs(outs)
	if err != nil {
		return nil, fmt.Errorf("wallet: %w", err)
	}
	coins, pending, tip, err := w.pendingState()
	if err != nil {
		return nil, err
	}
	spent := spentByPending(pending)
	// Largest first: fewest inputs.
	sort.Slice(coins, func(i, j int) bool { return coins[i].Value > coins[j].Value })

	w.issueMu.Lock() // the change address stays the next one until issued
	defer w.issueMu.Unlock()
	w.mu.Lock()
	locked := true
	defer func() {
		if locked {
			w.mu.Unlock()
		}
	}()

	tx := wire.NewMsgTx(2)
	for _, o := range outs {
		tx.AddTxOut(o)
	}
	var (
		have  int64
		prevs = make(map[wire.OutPoint]*wire.TxOut)
		refs  []KeyRef
	)
	changeRef := KeyRef{Change, w.issued[Change]}
	_, changeScript, err := w.keys.P2WPKH(changeRef)
	if err != nil {
		return nil, err
	}
	// With feeRate ≤ MaxFeeRate and sizes bounded by the coins and outputs
	// held in memory, fee() stays far below 2^63, and want + fee() too
	// (want ≤ MaxAmount).
	baseSize := int64(blockchain.GetTransactionWeight(btcutil.NewTx(tx))+3)/4 + 31
	fee := func() int64 { return feeRate * (baseSize + int64(len(tx.TxIn))*p2wpkhInputVSize) }
	for _, c := range coins {
		_, inFlight := spent[c.OutPoint]
		if _, busy := w.locked[c.OutPoint]; busy || inFlight || tip.Height-c.Height+1 < max(minConf, 1) {
			continue
		}
		if CheckAmount(c.Value) != nil || have+c.Value > MaxAmount {
			continue // not a coin the mainchain can hold
		}
		in := wire.NewTxIn(&c.OutPoint, nil, nil)
		in.Sequence = RBFSequence
		tx.AddTxIn(in)
		prevs[c.OutPoint] = wire.NewTxOut(c.Value, c.PkScript)
		refs = append(refs, c.Key)
		have += c.Value
		if have >= want+fee() {
			break
		}
	}
	if need := want + fee(); len(tx.TxIn) == 0 || have < need {
		return nil, fmt.Errorf("wallet: %d sat spendable with %d confirmations, need %d",
			have, minConf, need)
	}
	changeOut := wire.NewTxOut(have-want-fee(), changeScript)
	useChange := !mempool.IsDust(changeOut, mempool.DefaultMinRelayTxFee)
	if useChange {
		tx.AddTxOut(changeOut)
	}
	if err := w.sign(tx, prevs, refs); err != nil {
		return nil, err
	}
	if err := CheckTx(tx, txscript.NewMultiPrevOutFetcher(prevs)); err != nil {
		return nil, fmt.Errorf("wallet: the transaction it built fails its check: %w", err)
	}
	for op := range prevs {
		w.locked[op] = struct{}{}
	}
	locked = false
	w.mu.Unlock()
	if useChange {
		if err := w.issue(changeRef); err != nil {
			w.Release(tx)
			return nil, err
		}
	}
	return tx, nil
}

// sign signs every input of tx, spending prevs with keys refs (in input
// order).
func (w *Wallet) sign(tx *wire.MsgTx, prevs map[wire.OutPoint]*wire.TxOut, refs []KeyRef) error {
	fetcher := txscript.NewMultiPrevOutFetcher(prevs)
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	for i, in := range tx.TxIn {
		prev := prevs[in.PreviousOutPoint]
		priv, err := w.keys.PrivKey(refs[i])
		if err != nil {
			return err
		}
		wit, err := txscript.WitnessSignature(tx, hashes, i, prev.Value,
			prev.PkScript, txscript.SigHashAll, priv, true)
		if err != nil {
			return err
		}
		in.Witness = wit
	}
	return nil
}

// Release frees the coins a funded transaction that will not be broadcast
// holds back.
func (w *Wallet) Release(tx *wire.MsgTx) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, in := range tx.TxIn {
		delete(w.locked, in.PreviousOutPoint)
	}
}

// FundingPSBT exports outs as an unfunded PSBT (base64), for an outside
// wallet to add inputs and change, sign and broadcast.
func FundingPSBT(outs []*wire.TxOut) (string, error) {
	packet, err := psbt.New(nil, outs, 2, 0, nil)
	if err != nil {
		return "", err
	}
	return packet.B64Encode()
}

// DisconnectBlock is called after the store undid the block at height; the
// undo log has already restored the coins, and the wallet keeps nothing of
// a block in memory.
func (w *Wallet) DisconnectBlock(int32) error { return nil }

// Keys returns the wallet's keyring.
func (w *Wallet) Keys() *Keyring { return w.keys }

// SideKey returns the node's sidechain key (the first key of the Side
// family), its P2WPKH address on the sidechain network side and that
// address's script. The node's sideblock coinbases pay it and its
// sidechain payments spend from it, so the coins one creates are the coins
// the other spends.
func (w *Wallet) SideKey(side *chaincfg.Params) (*btcec.PrivateKey, btcutil.Address, []byte, error) {
	ref := KeyRef{Side, 0}
	priv, err := w.keys.PrivKey(ref)
	if err != nil {
		return nil, nil, nil, err
	}
	addr, err := btcutil.NewAddressWitnessPubKeyHash(
		btcutil.Hash160(priv.PubKey().SerializeCompressed()), side)
	if err != nil {
		return nil, nil, nil, err
	}
	script, err := txscript.PayToAddrScript(addr)
	return priv, addr, script, err
}

// StakeKey returns the i-th stake key's public key.
func (w *Wallet) StakeKey(i uint32) (KeyRef, error) {
	ref := KeyRef{Stake, i}
	_, err := w.keys.PubKey(ref)
	return ref, err
}

// OwnsStakeKey reports whether pub is one of the wallet's first LookAhead
// stake keys beyond those issued, and which.
func (w *Wallet) OwnsStakeKey(pub []byte) (KeyRef, bool) {
	w.mu.Lock()
	n := w.issued[Stake] + LookAhead
	w.mu.Unlock()
	for i := uint32(0); i < n; i++ {
		ref := KeyRef{Stake, i}
		k, err := w.keys.PubKey(ref)
		if err == nil && string(k.SerializeCompressed()) == string(pub) {
			return ref, true
		}
	}
	return KeyRef{}, false
}

// Rewatch puts the coins and notary coins among keys, the keys an undo
// gave back their values, on the watch list again, reading r, the state
// after the undo.
func (w *Wallet) Rewatch(r store.Reader, keys [][]byte) error {
	err := store.EachPresent(r, keys, keyCoinPrefix, func(k, v []byte) error {
		c, err := decodeCoin(k, v)
		if err != nil {
			return err
		}
		w.watch.AddOutPoint(c.OutPoint, c.PkScript)
		return nil
	})
	if err != nil {
		return err
	}
	return store.EachPresent(r, keys, keyNotaryCoinPrefix, func(k, v []byte) error {
		c, err := decodeNotaryCoin(k, v)
		if err != nil {
			return err
		}
		w.watch.AddOutPoint(c.OutPoint, c.PkScript)
		return nil
	})
}
