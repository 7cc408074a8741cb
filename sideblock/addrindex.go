package sideblock

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/store"
)

// The address index and the transaction index, for the node's API: the
// unspent outputs of an address (ListUnspent, balances, the node's own
// sidechain coins) and the block of a confirmed transaction
// (GetTransaction).
//
// Both are mainchain-derived state, in the 0x40 keyspace, written only
// through the batch's *store.Writer in the same places that change the
// UTXO set and the best chain: connect (after ApplyBlock) and
// disconnectTip (after UndoBlock) in forkchoice.go. A mainchain block that
// is undone therefore undoes them with everything else, and a sidechain
// reorg inside a batch updates them block by block as it updates the UTXO
// set:
//
//	0x40 'x' ‖ SHA256(pkScript) (32) ‖ lottery height (4) ‖ txid (32) ‖ vout (4)
//	                                → value (8) ‖ flags (1: coinbase)
//	0x40 'y' ‖ txid (32)            → block hash (32) ‖ position in the block (4)
//
// An 'x' entry exists exactly for each unspent output ('u' entry) whose
// script is an address (IsIndexedScript), with the output's lottery
// height, value and coinbase flag, so that an address's outputs list in
// the order they were created (oldest first) and its balance is one prefix
// scan, without a point read per output. A 'y' entry exists exactly for
// each transaction of a best-chain block, the coinbase included.
// VerifyIndexes checks both against the UTXO set and the best chain.
//
// Cost. Per sideblock connected (and the same again when it is
// disconnected): one Set per transaction (34-byte key, 36-byte value), and
// for address outputs one Set per output the block leaves unspent and one
// Delete per output from before the block that it spends (74-byte key,
// 9-byte value). Outputs created and spent inside the block cost nothing.
// Every write also costs the Writer a point read and an entry in the
// mainchain block's undo record, as every other write of the batch. For
// typical 2-in/2-out P2WPKH transactions (about 370 bytes each, witnesses
// in full) that is some 380 bytes of keys and values per transaction,
// about what the UTXO set and the undo data already write for it.
//
// Worst case. A batch is one badger transaction, which caps both its bytes
// and its number of entries (about 9.6 MB and 120,000 entries with the
// default 64 MiB memtable), and at least one block always goes through
// (MaxBatchBodyBytes). The costliest body the UTXO set alone allows is a
// 1 MB block of ~100,000 ten-byte outputs (OP_TRUE, value ~1): one 'u'
// entry per 10 body bytes. Were every output indexed, such a block would
// double that and no longer fit, and the node could never pass the
// mainchain block that publishes it. Only address scripts are indexed:
// the shortest (P2WPKH) makes a 31-byte output, so an indexed output costs
// two entries per 31 body bytes, fewer entries and fewer bytes per body
// byte than the ten-byte case; spends of indexed outputs need an input of
// at least 41 bytes for their two deletions, and a transaction at least
// 60 bytes for its 'y' entry. So no body costs a batch more with the
// indexes than the worst body without them (TestIndexWorstCaseFits).
//
// Reads: ListUnspent and balances scan a script's entries (keys and
// 9-byte values only); GetTransaction is two point reads and the body's
// decoding.
var (
	keyAddrPrefix = []byte{0x40, 'x'}
	keyTxPrefix   = []byte{0x40, 'y'}
)

const (
	addrKeyLen   = 2 + sha256.Size + 4 + chainhash.HashSize + 4
	addrValueLen = 9
	txValueLen   = chainhash.HashSize + 4
)

// scriptPrefix is the prefix of a script's entries in the address index.
func scriptPrefix(pkScript []byte) []byte {
	sum := sha256.Sum256(pkScript)
	k := make([]byte, 0, addrKeyLen)
	k = append(k, keyAddrPrefix...)
	return append(k, sum[:]...)
}

func addrKey(op wire.OutPoint, u *Utxo) []byte {
	k := scriptPrefix(u.PkScript)
	k = binary.BigEndian.AppendUint32(k, uint32(u.Height))
	k = append(k, op.Hash[:]...)
	return binary.BigEndian.AppendUint32(k, op.Index)
}

func addrValue(u *Utxo) []byte {
	v := binary.BigEndian.AppendUint64(make([]byte, 0, addrValueLen), uint64(u.Value))
	var flags byte
	if u.IsCoinbase {
		flags = 1
	}
	return append(v, flags)
}

// decodeAddrEntry decodes an address index entry of pkScript.
func decodeAddrEntry(pkScript, k, v []byte) (OutPointUtxo, error) {
	if len(k) != addrKeyLen || len(v) != addrValueLen {
		return OutPointUtxo{}, fmt.Errorf("sideblock: address index "+
			"entry of %d+%d bytes", len(k), len(v))
	}
	var e OutPointUtxo
	k = k[2+sha256.Size:]
	e.Utxo.Height = int32(binary.BigEndian.Uint32(k))
	copy(e.OutPoint.Hash[:], k[4:])
	e.OutPoint.Index = binary.BigEndian.Uint32(k[4+chainhash.HashSize:])
	e.Utxo.Value = int64(binary.BigEndian.Uint64(v))
	e.Utxo.IsCoinbase = v[8]&1 != 0
	e.Utxo.PkScript = append([]byte(nil), pkScript...)
	return e, nil
}

func txKey(txid chainhash.Hash) []byte { return hashKey(keyTxPrefix, txid) }

func txValue(block chainhash.Hash, pos int) []byte {
	v := append(make([]byte, 0, txValueLen), block[:]...)
	return binary.BigEndian.AppendUint32(v, uint32(pos))
}

// IsIndexedScript reports whether the address index follows the outputs
// of pkScript: the scripts that sidechain addresses decode to, P2PKH,
// P2SH, P2WPKH, P2WSH and P2TR. Other scripts (bare multisig, P2PK, data,
// anyone-can-spend, future witness versions) are left out, which bounds
// the index's cost per body byte (see the worst case above).
func IsIndexedScript(pkScript []byte) bool {
	return txscript.IsPayToWitnessPubKeyHash(pkScript) ||
		txscript.IsPayToTaproot(pkScript) ||
		txscript.IsPayToWitnessScriptHash(pkScript) ||
		txscript.IsPayToPubKeyHash(pkScript) ||
		txscript.IsPayToScriptHash(pkScript)
}

// ErrScriptNotIndexed is returned by UtxosByScript and BalanceByScript for
// a script that IsIndexedScript refuses: the index cannot answer for it.
var ErrScriptNotIndexed = errors.New("sideblock: the address index does " +
	"not follow this script (only P2PKH, P2SH, P2WPKH, P2WSH and P2TR)")

// OutPointUtxo is an unspent output and its outpoint.
type OutPointUtxo struct {
	OutPoint wire.OutPoint
	Utxo     Utxo
}

// UtxosByScript returns one page of the unspent outputs of the best chain
// that pay to pkScript, and their number. The outputs are in the order
// they were created: by lottery height, then by outpoint; reversed lists
// from the newest. offset counts from the start of that order, or from its
// end when reversed. A limit of 0 returns no output, only the number.
//
// It scans all of the script's index entries: O(outputs of the script),
// twice with reversed. r may be a batch Writer. A script that
// IsIndexedScript refuses is ErrScriptNotIndexed.
func UtxosByScript(r store.Reader, pkScript []byte, offset uint64, limit uint32, reversed bool) ([]OutPointUtxo, uint64, error) {
	if !IsIndexedScript(pkScript) {
		return nil, 0, ErrScriptNotIndexed
	}
	prefix := scriptPrefix(pkScript)
	count := func() (uint64, error) {
		var n uint64
		err := r.Iterate(prefix, func(_, _ []byte) error {
			n++
			return nil
		})
		return n, err
	}
	// collect returns the entries at positions [lo, hi) and the total.
	collect := func(lo, hi uint64) ([]OutPointUtxo, uint64, error) {
		out := []OutPointUtxo{}
		var n uint64
		err := r.Iterate(prefix, func(k, v []byte) error {
			if n >= lo && n < hi {
				e, err := decodeAddrEntry(pkScript, k, v)
				if err != nil {
					return err
				}
				out = append(out, e)
			}
			n++
			return nil
		})
		return out, n, err
	}

	if !reversed {
		hi := offset + uint64(limit)
		if hi < offset {
			hi = ^uint64(0)
		}
		return collect(offset, hi)
	}
	total, err := count()
	if err != nil || offset >= total || limit == 0 {
		return []OutPointUtxo{}, total, err
	}
	hi := total - offset
	lo := uint64(0)
	if hi > uint64(limit) {
		lo = hi - uint64(limit)
	}
	out, _, err := collect(lo, hi)
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, total, err
}

// ScriptBalance sums the unspent outputs of one script.
type ScriptBalance struct {
	// Total is the value of every unspent output; Count their number.
	Total int64
	Count uint64

	// Spendable is the value of the outputs a transaction may spend at
	// the spend height; Immature that of the coinbase outputs that are
	// not mature yet (Total = Spendable + Immature).
	Spendable int64
	Immature  int64

	// SpendHeight is the lottery height the balance was computed for.
	SpendHeight int32
}

// BalanceByScript sums the unspent outputs of the best chain that pay to
// pkScript, counting as spendable those IsSpendableAt spendHeight. It
// scans the script's index entries, O(outputs of the script). A script
// that IsIndexedScript refuses is ErrScriptNotIndexed.
func BalanceByScript(r store.Reader, pkScript []byte, spendHeight int32) (ScriptBalance, error) {
	b := ScriptBalance{SpendHeight: spendHeight}
	if !IsIndexedScript(pkScript) {
		return b, ErrScriptNotIndexed
	}
	err := r.Iterate(scriptPrefix(pkScript), func(k, v []byte) error {
		e, err := decodeAddrEntry(nil, k, v)
		if err != nil {
			return err
		}
		b.Total += e.Utxo.Value
		b.Count++
		if IsSpendableAt(&e.Utxo, spendHeight) {
			b.Spendable += e.Utxo.Value
		} else {
			b.Immature += e.Utxo.Value
		}
		return nil
	})
	return b, err
}

// IsSpendableAt reports whether a transaction in a block at lottery height
// spendHeight may spend u as far as coinbase maturity goes: u is not a
// coinbase output, or SideCoinbaseMaturity lottery heights have passed
// since the block that created it (the rule CheckConnectBlock applies).
func IsSpendableAt(u *Utxo, spendHeight int32) bool {
	return !u.IsCoinbase || spendHeight-u.Height >= SideCoinbaseMaturity
}

// SpendHeight returns the lottery height that a transaction sent now is
// checked at: the mainchain tip's height (the next sideblock wins the draw
// after the tip), or the sidechain tip's lottery height + 1 if that is
// higher. The mempool checks transactions at this height, so a wallet
// picks the coins that are mature at it.
func SpendHeight(r store.Reader) (int32, error) {
	main, err := r.Tip()
	if err != nil {
		return 0, err
	}
	tip, err := readTip(r)
	if err != nil {
		return 0, err
	}
	if main.Height <= tip.lotteryHeight {
		return tip.lotteryHeight + 1, nil
	}
	return main.Height, nil
}

// TxLoc is where a confirmed transaction is: its block, on the best
// chain, and its position in the block (0 for the coinbase).
type TxLoc struct {
	Block chainhash.Hash
	Index uint32
}

// TxLocation returns where a transaction of the best chain is; ok is false
// if no best-chain block holds it. r may be a batch Writer.
func TxLocation(r store.Reader, txid chainhash.Hash) (TxLoc, bool, error) {
	v, err := r.Get(txKey(txid))
	if errors.Is(err, store.ErrNotFound) {
		return TxLoc{}, false, nil
	}
	if err != nil {
		return TxLoc{}, false, err
	}
	if len(v) != txValueLen {
		return TxLoc{}, false, fmt.Errorf("sideblock: transaction index "+
			"entry of %v has %d bytes", txid, len(v))
	}
	var loc TxLoc
	copy(loc.Block[:], v)
	loc.Index = binary.BigEndian.Uint32(v[chainhash.HashSize:])
	return loc, true, nil
}

// ConfirmedTx is a transaction of the best chain, its block's index entry
// and its position in the block.
type ConfirmedTx struct {
	Tx    *wire.MsgTx
	Block BlockInfo
	Index uint32
}

// ConfirmedTx returns a transaction of the best chain, or false if no
// best-chain block holds it (it may be in the mempool: Mempool.Get).
func (c *Chain) ConfirmedTx(txid chainhash.Hash) (*ConfirmedTx, bool, error) {
	var out *ConfirmedTx
	err := c.db.View(func(r store.Reader) error {
		loc, ok, err := TxLocation(r, txid)
		if err != nil || !ok {
			return err
		}
		rec, ok, err := getRecord(r, loc.Block)
		if err == nil && !ok {
			err = fmt.Errorf("sideblock: transaction %v is indexed "+
				"in %v, which has no index record", txid, loc.Block)
		}
		if err != nil {
			return err
		}
		s, ok, err := loadStaged(r, loc.Block)
		if err == nil && !ok {
			err = fmt.Errorf("sideblock: body of best-chain block %v "+
				"is not stored", loc.Block)
		}
		if err != nil {
			return err
		}
		block, err := s.block()
		if err != nil {
			return err
		}
		if int(loc.Index) >= len(block.Transactions) ||
			block.Transactions[loc.Index].TxHash() != txid {

			return fmt.Errorf("sideblock: transaction index says %v "+
				"is transaction %d of %v; it is not", txid,
				loc.Index, loc.Block)
		}
		out = &ConfirmedTx{Tx: block.Transactions[loc.Index],
			Block: rec.BlockInfo, Index: loc.Index}
		return nil
	})
	return out, out != nil, err
}

// utxoDelta returns the net change a block makes to the UTXO set, as
// ApplyBlock makes it: the outputs the block creates that are still
// unspent after it, in block order, and the outputs from before the block
// that it spends, in input order (spent is the block's undo data).
// Outputs created and spent inside the block are in neither.
func utxoDelta(block *Block, spent []SpentOutput) (created, removed []SpentOutput, err error) {
	if len(block.Transactions) == 0 {
		return nil, nil, ruleError(ErrBadUndoData, "block has no coinbase")
	}
	height, err := ExtractCoinbaseHeight(block.Transactions[0])
	if err != nil {
		return nil, nil, ruleErrorf(ErrBadUndoData, "coinbase: %v", err)
	}
	made := make(map[wire.OutPoint]int)
	for i, tx := range block.Transactions {
		txid := tx.TxHash()
		for vout, out := range tx.TxOut {
			if isUnspendable(out.PkScript) {
				continue
			}
			op := wire.OutPoint{Hash: txid, Index: uint32(vout)}
			made[op] = len(created)
			created = append(created, SpentOutput{OutPoint: op, Utxo: Utxo{
				Value:      out.Value,
				PkScript:   out.PkScript,
				Height:     height,
				IsCoinbase: i == 0,
			}})
		}
	}
	gone := make([]bool, len(created))
	for _, s := range spent {
		if j, ok := made[s.OutPoint]; ok {
			gone[j] = true
			continue
		}
		removed = append(removed, s)
	}
	kept := created[:0]
	for j := range created {
		if !gone[j] {
			kept = append(kept, created[j])
		}
	}
	return kept, removed, nil
}

// setAddrEntry adds an output to the address index if its script is an
// address.
func setAddrEntry(w *store.Writer, o *SpentOutput) error {
	if !IsIndexedScript(o.Utxo.PkScript) {
		return nil
	}
	return w.Set(addrKey(o.OutPoint, &o.Utxo), addrValue(&o.Utxo))
}

// deleteAddrEntry removes an output from the address index.
func deleteAddrEntry(w *store.Writer, o *SpentOutput) error {
	if !IsIndexedScript(o.Utxo.PkScript) {
		return nil
	}
	return w.Delete(addrKey(o.OutPoint, &o.Utxo))
}

// indexConnected updates the indexes for a block that was just connected
// with ApplyBlock, which returned spent.
func indexConnected(w *store.Writer, hash chainhash.Hash, block *Block, spent []SpentOutput) error {
	created, removed, err := utxoDelta(block, spent)
	if err != nil {
		return err
	}
	for i := range removed {
		if err := deleteAddrEntry(w, &removed[i]); err != nil {
			return err
		}
	}
	for i := range created {
		if err := setAddrEntry(w, &created[i]); err != nil {
			return err
		}
	}
	for i, tx := range block.Transactions {
		if err := w.Set(txKey(tx.TxHash()), txValue(hash, i)); err != nil {
			return err
		}
	}
	return nil
}

// indexDisconnected updates the indexes for a block that was just
// disconnected with UndoBlock and its undo data spent.
func indexDisconnected(w *store.Writer, block *Block, spent []SpentOutput) error {
	created, removed, err := utxoDelta(block, spent)
	if err != nil {
		return err
	}
	for i := range created {
		if err := deleteAddrEntry(w, &created[i]); err != nil {
			return err
		}
	}
	for i := range removed {
		if err := setAddrEntry(w, &removed[i]); err != nil {
			return err
		}
	}
	for _, tx := range block.Transactions {
		if err := w.Delete(txKey(tx.TxHash())); err != nil {
			return err
		}
	}
	return nil
}

// VerifyIndexes recomputes the address index from the UTXO set and the
// transaction index from the bodies of the best chain, and returns an
// error that names the first differences if the stored indexes are not
// exactly those. It reads the whole UTXO set and every best-chain body:
// for tests and consistency checks, not for the hot path. r may be a
// batch Writer.
func VerifyIndexes(r store.Reader) error {
	want := make(map[string][]byte)
	err := r.Iterate(keyUtxoPrefix, func(k, v []byte) error {
		if len(k) != len(keyUtxoPrefix)+chainhash.HashSize+4 {
			return fmt.Errorf("sideblock: unspent output key %x", k)
		}
		var op wire.OutPoint
		copy(op.Hash[:], k[len(keyUtxoPrefix):])
		op.Index = binary.BigEndian.Uint32(k[len(keyUtxoPrefix)+chainhash.HashSize:])
		u, err := decodeUtxo(v)
		if err != nil {
			return err
		}
		if IsIndexedScript(u.PkScript) {
			want[string(addrKey(op, u))] = addrValue(u)
		}
		return nil
	})
	if err != nil {
		return err
	}

	tip, err := readTip(r)
	if err != nil {
		return err
	}
	for h := int32(0); h <= tip.height; h++ {
		v, err := r.Get(bestKey(h))
		if err != nil {
			return fmt.Errorf("sideblock: best chain at %d: %w", h, err)
		}
		var hash chainhash.Hash
		copy(hash[:], v)
		s, ok, err := loadStaged(r, hash)
		if err == nil && !ok {
			err = fmt.Errorf("sideblock: body of best-chain block %v "+
				"is not stored", hash)
		}
		if err != nil {
			return err
		}
		block, err := s.block()
		if err != nil {
			return err
		}
		for i, tx := range block.Transactions {
			want[string(txKey(tx.TxHash()))] = txValue(hash, i)
		}
	}

	var diffs []string
	note := func(format string, args ...any) {
		if len(diffs) < 5 {
			diffs = append(diffs, fmt.Sprintf(format, args...))
		}
	}
	got := 0
	for _, prefix := range [][]byte{keyAddrPrefix, keyTxPrefix} {
		err := r.Iterate(prefix, func(k, v []byte) error {
			got++
			w, ok := want[string(k)]
			switch {
			case !ok:
				note("extra entry %x", k)
			case !bytes.Equal(w, v):
				note("entry %x is %x, want %x", k, v, w)
			}
			delete(want, string(k))
			return nil
		})
		if err != nil {
			return err
		}
	}
	for k := range want {
		note("missing entry %x", k)
	}
	if len(diffs) > 0 || len(want) > 0 {
		return fmt.Errorf("sideblock: indexes differ from the UTXO set "+
			"and the best chain (%d entries stored, %d missing): %v",
			got, len(want), diffs)
	}
	return nil
}
