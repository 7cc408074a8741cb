package pegbox

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// Keys, all written in the batch of the mainchain block they derive from,
// so that a reorg undoes them with the block:
//
//	0x50 'f' ‖ epoch (4)            → federation: n (1) ‖ n compressed keys
//	0x50 'c' ‖ outpoint (36)        → pegbox coin: value (8) ‖ height (4) ‖ pkScript
//	0x50 'n'                        → number of accepted deposits (8)
//	0x50 'm' ‖ seq (8)              → accepted deposit seq (see depositRecord)
//	0x50 'r' ‖ height (4) ‖ idx (4) → refused deposit: code (1) ‖ depositRecord
//	0x50 'R' ‖ height (4) ‖ idx (4) → its outputs that paid a pegbox (see encodeOutputs)
//	0x50 'p' ‖ sideblock hash       → payout: txid (32) ‖ height (4) ‖ raw tx
//	0x50 'P' ‖ txid                 → the sideblock hash the payout pays
//	0x50 'q' ‖ height (4)           → satoshis payouts in the block paid out (8)
//	0x50 't' ‖ txid                 → 'a' ‖ seq (8), or 'r' ‖ height (4) ‖ idx (4)
//	0x50 'z'                        → flows: accepted (8) ‖ unbacked (8) ‖ outflow (8)
//	0x50 'l'                        → height of the last block that spent pegbox coins (4)
//	0x50 'o' ‖ height (4) ‖ idx (4) → rotation: txid (32) ‖ epoch (4) ‖ spent (8) ‖ moved (8)
//	0x50 's' ‖ height (4) ‖ idx (4) → spend of pegbox coins (see encodeSpend)
//
// An outpoint is its txid in internal order then its index, big-endian.
var (
	keyFederationPrefix = []byte{0x50, 'f'}
	keyCoinPrefix       = []byte{0x50, 'c'}
	keyDepositCount     = []byte{0x50, 'n'}
	keyDepositPrefix    = []byte{0x50, 'm'}
	keyRefusedPrefix    = []byte{0x50, 'r'}
	keyRefusedOutPrefix = []byte{0x50, 'R'}
	keyPayoutPrefix     = []byte{0x50, 'p'}
	keyPayoutTxPrefix   = []byte{0x50, 'P'}
	keyPaidPrefix       = []byte{0x50, 'q'}
	keyDepositTxPrefix  = []byte{0x50, 't'}
	keyFlows            = []byte{0x50, 'z'}
	keyLastSpend        = []byte{0x50, 'l'}
	keyRotationPrefix   = []byte{0x50, 'o'}
	keySpendPrefix      = []byte{0x50, 's'}
)

// Flows are the pegbox's running totals since the first federation, in
// satoshis: what came in as accepted deposits, what came in backing
// nothing (refused deposits, payments without a payload, outputs beside a
// deposit, what a spend of pegbox coins paid back to a pegbox beyond the
// coins it spent), and what went out (what spends of pegbox coins did not
// return as change: payouts' payments and their fees). The pegbox's
// balance is always Accepted + Unbacked − Outflow.
type Flows struct {
	Accepted, Unbacked, Outflow int64
}

// FlowsAt returns the running totals.
func FlowsAt(r store.Reader) (Flows, error) {
	v, err := r.Get(keyFlows)
	if store.IsErrorCode(err, store.ErrNotFound) {
		return Flows{}, nil
	}
	if err != nil {
		return Flows{}, err
	}
	if len(v) != 24 {
		return Flows{}, fmt.Errorf("pegbox: flows record of %d bytes", len(v))
	}
	return Flows{
		Accepted: int64(binary.BigEndian.Uint64(v)),
		Unbacked: int64(binary.BigEndian.Uint64(v[8:])),
		Outflow:  int64(binary.BigEndian.Uint64(v[16:])),
	}, nil
}

func (f Flows) encode() []byte {
	v := binary.BigEndian.AppendUint64(nil, uint64(f.Accepted))
	v = binary.BigEndian.AppendUint64(v, uint64(f.Unbacked))
	return binary.BigEndian.AppendUint64(v, uint64(f.Outflow))
}

// Index follows the pegbox on the mainchain, in the batch of each block:
// the federation of every epoch, the pegbox's coins, the deposits it
// accepted, in mainchain order, with the ones it refused and why, and the
// payouts of sideblocks. It keeps the WatchList watching the pegbox scripts
// and coins, so that both mainchain backends deliver every transaction that
// pays or spends them.
type Index struct {
	params *chainparams.Params
	watch  *mainwatch.WatchList

	mu      sync.Mutex
	watched map[string]bool // pegbox scripts on the watch list
}

// Stakers gives the stakers and their weights after the block being
// connected, as the batch r shows them: the candidates of the sidechain's
// engine (sideblock.Engine is one). The Index asks only at an epoch
// boundary.
type Stakers interface {
	Candidates(r store.Reader) ([]Staker, error)
}

// StakerList is a fixed list of stakers, for tests and tools.
type StakerList []Staker

// Candidates implements Stakers.
func (l StakerList) Candidates(store.Reader) ([]Staker, error) { return l, nil }

// DepositRecord is an accepted or refused deposit.
type DepositRecord struct {
	Deposit
	Height  int32 // the block that confirmed it
	TxIndex uint32
	Seq     uint64 // accepted deposits: position in mint order, from 0
}

// Refused is a deposit the pegbox will never mint, and why.
type Refused struct {
	DepositRecord
	Code ErrorCode
	Err  error
	// PegboxOutputs are the transaction's outputs that paid a pegbox of
	// its block, in output order: the coins it brought into the pegbox,
	// as the block confirmed them, whether or not the pegbox still holds
	// them. A refusal whose payload names no output (its OutPoint index
	// is wire.MaxPrevOutIndex) is about these.
	PegboxOutputs []Coin
}

// Payout is a payout of a sideblock's withdrawals seen on the mainchain.
type Payout struct {
	SideBlock chainhash.Hash
	TxID      chainhash.Hash
	Height    int32
	Tx        *wire.MsgTx // nil in records written before it was kept
	Paid      int64       // what left the pegbox, fees aside; in BlockResult only
}

// BlockResult is what a mainchain block did to the pegbox.
type BlockResult struct {
	Elected   *Federation // the federation of the next epoch, at a boundary
	Deposits  []DepositRecord
	Refused   []Refused
	Spent     []Coin // pegbox coins the block spent
	Payouts   []Payout
	Rotations []RotationRecord
	// Spends are the block's spends of pegbox coins, as the chain shows
	// them; whether each is allowed is for the Auditor to say.
	Spends []Spend
}

// RotationRecord is a rotation seen on the mainchain: a spend of pegbox
// coins with an 'R' payload.
type RotationRecord struct {
	TxID    chainhash.Hash
	Height  int32
	TxIndex uint32
	Epoch   uint32 // the epoch its payload names
	Spent   int64  // the pegbox coins it spent
	Moved   int64  // what it paid back to a pegbox
}

// NewIndex returns the index over db and puts the pegbox scripts and coins
// of the state back on watch.
func NewIndex(db *store.DB, params *chainparams.Params, watch *mainwatch.WatchList) (*Index, error) {
	x := &Index{params: params, watch: watch, watched: make(map[string]bool)}
	err := db.View(func(r store.Reader) error {
		if err := x.watchFederations(r); err != nil {
			return err
		}
		return r.Iterate(keyCoinPrefix, func(k, v []byte) error {
			c, err := decodeCoin(k, v)
			if err != nil {
				return err
			}
			watch.AddOutPoint(c.OutPoint, c.PkScript)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("pegbox: %w", err)
	}
	return x, nil
}

// EpochOf returns the pegbox epoch of a mainchain height.
func (x *Index) EpochOf(height int32) uint32 {
	if height < 0 {
		return 0
	}
	return uint32(height / x.params.PegEpochLength)
}

// ConnectBlock applies block b in its batch w.
func (x *Index) ConnectBlock(w *store.Writer, b *mainwatch.Block, stakers Stakers) (*BlockResult, error) {
	res := &BlockResult{}
	boxes, err := x.pegboxesAt(w, b.Height)
	if err != nil {
		return nil, err
	}
	count, err := depositCount(w)
	if err != nil {
		return nil, err
	}
	flows, err := FlowsAt(w)
	if err != nil {
		return nil, err
	}
	before := flows
	for _, tx := range b.Txs {
		if err := x.connectTx(w, b.Height, tx, boxes, &count, &flows, res); err != nil {
			return nil, err
		}
	}
	if err := w.Set(keyDepositCount, binary.BigEndian.AppendUint64(nil, count)); err != nil {
		return nil, err
	}
	if flows != before {
		if err := w.Set(keyFlows, flows.encode()); err != nil {
			return nil, err
		}
	}

	// The last block of an epoch elects the next epoch's federation from
	// the weights after it. With no staker, the federation carries over.
	if L := x.params.PegEpochLength; b.Height%L == L-1 {
		next := x.EpochOf(b.Height) + 1
		list, err := stakers.Candidates(w)
		if err != nil {
			return nil, err
		}
		fed, err := Elect(next, list, x.params.FederationSize)
		switch {
		case IsErrorCode(err, ErrNoStakers):
			prev, ok, err := FederationAt(w, next-1)
			if err != nil {
				return nil, err
			}
			if ok {
				fed = &Federation{Epoch: next, Keys: prev.Keys, Threshold: prev.Threshold}
			}
		case err != nil:
			return nil, err
		}
		if fed != nil {
			if err := w.Set(federationKey(next), encodeFederation(fed)); err != nil {
				return nil, err
			}
			res.Elected = fed
		}
	}
	// A new federation's pegbox goes on the watch list now.
	if err := x.watchPegboxes(w, b.Height+1); err != nil {
		return nil, err
	}
	return res, nil
}

func (x *Index) connectTx(w *store.Writer, height int32, tx mainwatch.Tx,
	boxes ScriptSet, count *uint64, flows *Flows, res *BlockResult) error {

	msg := tx.MsgTx
	txid := msg.TxHash()
	sp := Spend{TxID: txid, Height: height, TxIndex: uint32(tx.Index), Tx: msg}
	for _, in := range msg.TxIn {
		c, ok, err := CoinAt(w, in.PreviousOutPoint)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := w.Delete(coinKey(in.PreviousOutPoint)); err != nil {
			return err
		}
		res.Spent = append(res.Spent, *c)
		sp.Coins = append(sp.Coins, *c)
		sp.Spent += c.Value
	}
	spent := len(sp.Coins) > 0
	if spent {
		if _, p, err := opreturn.FindInTx(msg, x.params.SidechainID); err == nil {
			if po, ok := p.(*opreturn.Payout); ok {
				// The first payout of a sideblock is the one that counts.
				key := append(append([]byte(nil), keyPayoutPrefix...), po.SideBlock[:]...)
				if _, err := w.Get(key); store.IsErrorCode(err, store.ErrNotFound) {
					p, err := x.recordPayout(w, key, po.SideBlock, msg, height, boxes)
					if err != nil {
						return err
					}
					res.Payouts = append(res.Payouts, *p)
				} else if err != nil {
					return err
				}
			}
		}
	}

	dep, depErr := ParseDeposit(msg, x.params.SidechainID, boxes, x.params.DustLimit)
	// A deposit brings coins into the pegbox from outside: one funded by
	// pegbox coins, which only the federation can sign, is refused.
	if spent && depErr == nil {
		depErr = ruleErrorf(ErrDepositSpendsPegbox, "deposit %v spends %d "+
			"pegbox coins of %d sat: a deposit brings coins into the pegbox "+
			"from outside", dep.OutPoint, len(sp.Coins), sp.Spent)
	}

	// Every output that pays a pegbox is the federation's coin, whatever
	// the transaction says. It is an accepted deposit, change of a spend
	// of pegbox coins, or backs nothing.
	var (
		change int64
		paid   []Coin // the outputs that pay a pegbox
	)
	for i, out := range msg.TxOut {
		if !boxes.IsPegbox(out.PkScript) {
			continue
		}
		switch {
		case depErr == nil && dep.OutPoint.Index == uint32(i):
			flows.Accepted += out.Value
		case spent:
			change += out.Value
		default:
			flows.Unbacked += out.Value
		}
		c := Coin{OutPoint: wire.OutPoint{Hash: txid, Index: uint32(i)},
			Value: out.Value, PkScript: out.PkScript, Height: height}
		if err := w.Set(coinKey(c.OutPoint), encodeCoin(&c)); err != nil {
			return err
		}
		x.watch.AddOutPoint(c.OutPoint, c.PkScript)
		paid = append(paid, c)
	}
	if spent {
		// What a spend pays back to a pegbox counts as change up to the
		// pegbox coins it spent; anything beyond came from its other
		// inputs and backs nothing.
		sp.Returned = min(change, sp.Spent)
		flows.Unbacked += change - sp.Returned
		flows.Outflow += sp.Spent - sp.Returned
		if err := w.Set(keyLastSpend, binary.BigEndian.AppendUint32(nil, uint32(height))); err != nil {
			return err
		}
		v, err := encodeSpend(&sp)
		if err != nil {
			return err
		}
		if err := w.Set(spendKey(height, sp.TxIndex), v); err != nil {
			return err
		}
		if _, p, err := opreturn.FindInTx(msg, x.params.SidechainID); err == nil {
			if ro, ok := p.(*opreturn.Rotation); ok {
				rec := RotationRecord{TxID: txid, Height: height, TxIndex: uint32(tx.Index),
					Epoch: ro.Epoch, Spent: sp.Spent, Moved: sp.Returned}
				if err := w.Set(rotationKey(height, rec.TxIndex), rec.encode()); err != nil {
					return err
				}
				res.Rotations = append(res.Rotations, rec)
				log.Infof("Rotation %v to the epoch %d pegbox in block %d moved %d "+
					"of %d sat", txid, ro.Epoch, height, sp.Returned, sp.Spent)
			}
		}
		res.Spends = append(res.Spends, sp)
	}

	err := depErr
	switch {
	case err == nil:
		rec := DepositRecord{Deposit: *dep, Height: height, TxIndex: uint32(tx.Index), Seq: *count}
		if err := w.Set(depositKey(*count), encodeDeposit(&rec)); err != nil {
			return err
		}
		ref := binary.BigEndian.AppendUint64([]byte{'a'}, *count)
		if err := w.Set(depositTxKey(txid), ref); err != nil {
			return err
		}
		*count++
		res.Deposits = append(res.Deposits, rec)
	case IsErrorCode(err, ErrNoDeposit):
	default:
		rec := DepositRecord{Height: height, TxIndex: uint32(tx.Index)}
		if dep != nil {
			rec.Deposit = *dep
		} else {
			rec.OutPoint = wire.OutPoint{Hash: txid, Index: wire.MaxPrevOutIndex}
		}
		code := refusedCode(err)
		key := refusedKey(height, uint32(tx.Index))
		v := append([]byte{byte(code)}, encodeDeposit(&rec)...)
		if err := w.Set(key, v); err != nil {
			return err
		}
		// The outputs that paid a pegbox are kept with the refusal: the
		// coins they made go once the federation spends them, and the
		// depositor still needs to see which of their outputs the
		// refusal concerns.
		if len(paid) > 0 {
			outKey := append(append([]byte(nil), keyRefusedOutPrefix...), key[len(keyRefusedPrefix):]...)
			if err := w.Set(outKey, encodeOutputs(paid)); err != nil {
				return err
			}
		}
		ref := append([]byte{'r'}, key[len(keyRefusedPrefix):]...)
		if err := w.Set(depositTxKey(txid), ref); err != nil {
			return err
		}
		res.Refused = append(res.Refused, Refused{DepositRecord: rec, Code: code, Err: err,
			PegboxOutputs: paid})
		// A refused deposit is never minted: the depositor needs to
		// know, so the line names the output, its amount and why.
		switch {
		case dep != nil:
			log.Warnf("Refused deposit %v of %d sat in mainchain "+
				"block %d: %v", rec.OutPoint, rec.Value, height, err)
		case len(paid) > 0:
			log.Warnf("Refused deposit %v of %d sat (pegbox outputs of "+
				"the tx: %d) in mainchain block %d: %v", paid[0].OutPoint,
				paid[0].Value, len(paid), height, err)
		default:
			log.Warnf("Refused deposit in tx %v in mainchain block %d: %v",
				txid, height, err)
		}
	}
	return nil
}

// encodeOutputs: for each output, vout (4) ‖ value (8) ‖ len(pkScript)
// (2) ‖ pkScript. The txid and height are the refusal's.
func encodeOutputs(coins []Coin) []byte {
	var v []byte
	for _, c := range coins {
		v = binary.BigEndian.AppendUint32(v, c.OutPoint.Index)
		v = binary.BigEndian.AppendUint64(v, uint64(c.Value))
		v = binary.BigEndian.AppendUint16(v, uint16(len(c.PkScript)))
		v = append(v, c.PkScript...)
	}
	return v
}

func decodeOutputs(txid chainhash.Hash, height int32, v []byte) ([]Coin, error) {
	var out []Coin
	for len(v) > 0 {
		if len(v) < 14 || len(v) < 14+int(binary.BigEndian.Uint16(v[12:])) {
			return nil, fmt.Errorf("pegbox: refused deposit's outputs record ends in %d bytes", len(v))
		}
		n := int(binary.BigEndian.Uint16(v[12:]))
		out = append(out, Coin{
			OutPoint: wire.OutPoint{Hash: txid, Index: binary.BigEndian.Uint32(v)},
			Value:    int64(binary.BigEndian.Uint64(v[4:])),
			PkScript: append([]byte(nil), v[14:14+n]...),
			Height:   height,
		})
		v = v[14+n:]
	}
	return out, nil
}

// recordPayout writes the first payout of a sideblock: its record, its
// txid's entry, and what it paid out in the block's total for the rate
// limit. What it paid out is every output that is neither the OP_RETURN
// nor change to a pegbox.
func (x *Index) recordPayout(w *store.Writer, key []byte, side chainhash.Hash,
	tx *wire.MsgTx, height int32, boxes ScriptSet) (*Payout, error) {

	txid := tx.TxHash()
	var raw bytes.Buffer
	if err := tx.Serialize(&raw); err != nil {
		return nil, err
	}
	v := binary.BigEndian.AppendUint32(append([]byte(nil), txid[:]...), uint32(height))
	if err := w.Set(key, append(v, raw.Bytes()...)); err != nil {
		return nil, err
	}
	if err := w.Set(append(append([]byte(nil), keyPayoutTxPrefix...), txid[:]...), side[:]); err != nil {
		return nil, err
	}
	var paid int64
	for _, out := range tx.TxOut {
		if !opreturn.IsOpReturn(out.PkScript) && !boxes.IsPegbox(out.PkScript) {
			paid += out.Value
		}
	}
	total, err := PaidAt(w, height)
	if err != nil {
		return nil, err
	}
	if err := w.Set(paidKey(height), binary.BigEndian.AppendUint64(nil, uint64(total+paid))); err != nil {
		return nil, err
	}
	return &Payout{SideBlock: side, TxID: txid, Height: height, Tx: tx, Paid: paid}, nil
}

func rotationKey(height int32, idx uint32) []byte {
	k := binary.BigEndian.AppendUint32(append([]byte(nil), keyRotationPrefix...), uint32(height))
	return binary.BigEndian.AppendUint32(k, idx)
}

func (r *RotationRecord) encode() []byte {
	v := append([]byte(nil), r.TxID[:]...)
	v = binary.BigEndian.AppendUint32(v, r.Epoch)
	v = binary.BigEndian.AppendUint64(v, uint64(r.Spent))
	return binary.BigEndian.AppendUint64(v, uint64(r.Moved))
}

// Rotations returns the rotations seen on the best chain, oldest first.
func Rotations(r store.Reader) ([]RotationRecord, error) {
	var out []RotationRecord
	err := r.Iterate(keyRotationPrefix, func(k, v []byte) error {
		if len(k) != len(keyRotationPrefix)+8 || len(v) != 52 {
			return fmt.Errorf("pegbox: rotation record of %d bytes", len(v))
		}
		rec := RotationRecord{
			Height:  int32(binary.BigEndian.Uint32(k[len(keyRotationPrefix):])),
			TxIndex: binary.BigEndian.Uint32(k[len(keyRotationPrefix)+4:]),
			Epoch:   binary.BigEndian.Uint32(v[32:]),
			Spent:   int64(binary.BigEndian.Uint64(v[36:])),
			Moved:   int64(binary.BigEndian.Uint64(v[44:])),
		}
		copy(rec.TxID[:], v[:32])
		out = append(out, rec)
		return nil
	})
	return out, err
}

// LastSpendHeight returns the height of the last block that spent pegbox
// coins, or -1 if none did.
func LastSpendHeight(r store.Reader) (int32, error) {
	v, err := r.Get(keyLastSpend)
	if store.IsErrorCode(err, store.ErrNotFound) {
		return -1, nil
	}
	if err != nil {
		return 0, err
	}
	if len(v) != 4 {
		return 0, fmt.Errorf("pegbox: last spend record of %d bytes", len(v))
	}
	return int32(binary.BigEndian.Uint32(v)), nil
}

func paidKey(height int32) []byte {
	return binary.BigEndian.AppendUint32(append([]byte(nil), keyPaidPrefix...), uint32(height))
}

// PaidAt returns what the payouts in the block at height paid out.
func PaidAt(r store.Reader, height int32) (int64, error) {
	v, err := r.Get(paidKey(height))
	if store.IsErrorCode(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("pegbox: paid record of %d bytes", len(v))
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

// PaidSince returns what payouts paid out in the blocks after height from,
// up to and including height to.
func PaidSince(r store.Reader, from, to int32) (int64, error) {
	var sum int64
	for h := max(from+1, 0); h <= to; h++ {
		v, err := PaidAt(r, h)
		if err != nil {
			return 0, err
		}
		sum += v
	}
	return sum, nil
}

// PayoutByTx returns the payout whose transaction is txid.
func PayoutByTx(r store.Reader, txid chainhash.Hash) (*Payout, bool, error) {
	v, err := r.Get(append(append([]byte(nil), keyPayoutTxPrefix...), txid[:]...))
	if store.IsErrorCode(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var side chainhash.Hash
	copy(side[:], v)
	return PayoutOf(r, side)
}

// refusedCode is the pegbox code of a refusal; a payload the opreturn
// package cannot parse is ErrNoDeposit.
func refusedCode(err error) ErrorCode {
	var re *RuleError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ErrNoDeposit
}

// DisconnectBlock runs after the store undid the block at height: the
// watch list keeps the scripts and outpoints it had (a superset of the
// watch set costs only candidates), and Rewatch puts back what the undo
// restored.
func (x *Index) DisconnectBlock(height int32) error { return nil }

// watchPegboxes puts the pegbox scripts that accept deposits at height on
// the watch list.
func (x *Index) watchPegboxes(r store.Reader, height int32) error {
	boxes, err := x.pegboxesAt(r, height)
	if err != nil {
		return err
	}
	x.watchScripts(boxes)
	return nil
}

// PegboxesAt returns the pegbox scripts that accept deposits in the block
// at height: the current epoch's, and the previous epoch's during the
// grace period.
func (x *Index) PegboxesAt(r store.Reader, height int32) (ScriptSet, error) {
	return x.pegboxesAt(r, height)
}

func (x *Index) pegboxesAt(r store.Reader, height int32) (ScriptSet, error) {
	var set ScriptSet
	epoch := x.EpochOf(height)
	add := func(e uint32) error {
		fed, ok, err := FederationAt(r, e)
		if err != nil || !ok {
			return err
		}
		s, err := fed.PkScript(x.params.Main)
		if err != nil {
			return err
		}
		if !set.IsPegbox(s) {
			set = append(set, s)
		}
		return nil
	}
	if err := add(epoch); err != nil {
		return nil, err
	}
	start := int32(epoch) * x.params.PegEpochLength
	if epoch > 0 && height < start+x.params.PegGraceBlocks {
		if err := add(epoch - 1); err != nil {
			return nil, err
		}
	}
	return set, nil
}

// FederationAt returns the federation of epoch, if one was elected.
func FederationAt(r store.Reader, epoch uint32) (*Federation, bool, error) {
	v, err := r.Get(federationKey(epoch))
	if store.IsErrorCode(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	fed, err := decodeFederation(epoch, v)
	if err != nil {
		return nil, false, err
	}
	return fed, true, nil
}

// FederationOfCoin returns the federation whose pegbox holds coin c: the
// federation of the epoch of the block that confirmed it, or of the epoch
// before during its grace period.
func (x *Index) FederationOfCoin(r store.Reader, c Coin) (*Federation, bool, error) {
	epoch := x.EpochOf(c.Height)
	for _, e := range []uint32{epoch, epoch - 1} {
		if e > epoch {
			break // epoch 0 has no epoch before it
		}
		fed, ok, err := FederationAt(r, e)
		if err != nil {
			return nil, false, err
		}
		if !ok {
			continue
		}
		script, err := fed.PkScript(x.params.Main)
		if err != nil {
			return nil, false, err
		}
		if bytes.Equal(script, c.PkScript) {
			return fed, true, nil
		}
	}
	return nil, false, nil
}

// Coins returns the pegbox's coins, in SortCoins order.
func Coins(r store.Reader) ([]Coin, error) {
	var coins []Coin
	err := r.Iterate(keyCoinPrefix, func(k, v []byte) error {
		c, err := decodeCoin(k, v)
		if err != nil {
			return err
		}
		coins = append(coins, *c)
		return nil
	})
	SortCoins(coins)
	return coins, err
}

// DepositCount returns the number of accepted deposits.
func DepositCount(r store.Reader) (uint64, error) { return depositCount(r) }

func depositCount(r store.Reader) (uint64, error) {
	v, err := r.Get(keyDepositCount)
	if store.IsErrorCode(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("pegbox: deposit count of %d bytes", len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

// DepositAt returns accepted deposit seq.
func DepositAt(r store.Reader, seq uint64) (*DepositRecord, error) {
	v, err := r.Get(depositKey(seq))
	if err != nil {
		return nil, err
	}
	rec, err := decodeDeposit(v)
	if err != nil {
		return nil, err
	}
	rec.Seq = seq
	return rec, nil
}

// MaturedBy returns how many accepted deposits the sideblock built on the
// lottery of mainchain block h must have minted, counting its branch's: the
// deposits confirmed at heights up to h − DepositConfirmations + 1. It
// searches the mint order, which is height order, in O(log n) reads.
func (x *Index) MaturedBy(r store.Reader, h int32) (uint64, error) {
	limit := h - x.params.DepositConfirmations + 1
	n, err := depositCount(r)
	if err != nil {
		return 0, err
	}
	lo, hi := uint64(0), n // the first deposit above limit is in [lo, hi]
	for lo < hi {
		mid := lo + (hi-lo)/2
		rec, err := DepositAt(r, mid)
		if err != nil {
			return 0, err
		}
		if rec.Height <= limit {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// PayoutOf returns the payout of a sideblock seen on the mainchain.
func PayoutOf(r store.Reader, side chainhash.Hash) (*Payout, bool, error) {
	v, err := r.Get(append(append([]byte(nil), keyPayoutPrefix...), side[:]...))
	if store.IsErrorCode(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if len(v) < 36 {
		return nil, false, fmt.Errorf("pegbox: payout record of %d bytes", len(v))
	}
	p := &Payout{SideBlock: side, Height: int32(binary.BigEndian.Uint32(v[32:]))}
	copy(p.TxID[:], v[:32])
	if len(v) > 36 {
		var tx wire.MsgTx
		if err := tx.Deserialize(bytes.NewReader(v[36:])); err != nil {
			return nil, false, fmt.Errorf("pegbox: payout record: %w", err)
		}
		p.Tx = &tx
	}
	return p, true, nil
}

// RefusedDeposits returns every refused deposit, in mainchain order, with
// the outputs by which each paid a pegbox.
func RefusedDeposits(r store.Reader) ([]Refused, error) {
	var out []Refused
	at := make(map[string]int) // height ‖ idx → position in out
	err := r.Iterate(keyRefusedPrefix, func(k, v []byte) error {
		ref, err := decodeRefused(v)
		if err != nil {
			return err
		}
		at[string(k[len(keyRefusedPrefix):])] = len(out)
		out = append(out, *ref)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = r.Iterate(keyRefusedOutPrefix, func(k, v []byte) error {
		i, ok := at[string(k[len(keyRefusedOutPrefix):])]
		if !ok {
			return fmt.Errorf("pegbox: outputs of refused deposit %x without its record", k)
		}
		outs, err := decodeOutputs(out[i].OutPoint.Hash, out[i].Height, v)
		out[i].PegboxOutputs = outs
		return err
	})
	return out, err
}

// refusedAt reads the refused deposit at height ‖ idx (suffix) with its
// pegbox outputs.
func refusedAt(r store.Reader, suffix []byte) (*Refused, error) {
	v, err := r.Get(append(append([]byte(nil), keyRefusedPrefix...), suffix...))
	if err != nil {
		return nil, err
	}
	ref, err := decodeRefused(v)
	if err != nil {
		return nil, err
	}
	v, err = r.Get(append(append([]byte(nil), keyRefusedOutPrefix...), suffix...))
	switch {
	case store.IsErrorCode(err, store.ErrNotFound):
		return ref, nil
	case err != nil:
		return nil, err
	}
	ref.PegboxOutputs, err = decodeOutputs(ref.OutPoint.Hash, ref.Height, v)
	return ref, err
}

func decodeRefused(v []byte) (*Refused, error) {
	if len(v) < 1 {
		return nil, fmt.Errorf("pegbox: empty refused deposit record")
	}
	rec, err := decodeDeposit(v[1:])
	if err != nil {
		return nil, err
	}
	code := ErrorCode(v[0])
	return &Refused{DepositRecord: *rec, Code: code, Err: ruleErrorf(code, "%v", code)}, nil
}

func depositTxKey(txid chainhash.Hash) []byte {
	return append(append([]byte(nil), keyDepositTxPrefix...), txid[:]...)
}

// DepositByTx returns the deposit of a mainchain transaction: accepted, or
// refused, or neither (ok false) when the index met no deposit in it.
func DepositByTx(r store.Reader, txid chainhash.Hash) (acc *DepositRecord, ref *Refused, ok bool, err error) {
	v, err := r.Get(depositTxKey(txid))
	if store.IsErrorCode(err, store.ErrNotFound) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, err
	}
	switch {
	case len(v) == 9 && v[0] == 'a':
		acc, err = DepositAt(r, binary.BigEndian.Uint64(v[1:]))
		return acc, nil, err == nil, err
	case len(v) == 9 && v[0] == 'r':
		ref, err = refusedAt(r, v[1:])
		if err != nil {
			return nil, nil, false, err
		}
		return nil, ref, true, nil
	}
	return nil, nil, false, fmt.Errorf("pegbox: deposit index entry of %d bytes", len(v))
}

func federationKey(epoch uint32) []byte {
	return binary.BigEndian.AppendUint32(append([]byte(nil), keyFederationPrefix...), epoch)
}

func encodeFederation(f *Federation) []byte {
	v := []byte{byte(len(f.Keys))}
	for _, k := range f.Keys {
		v = append(v, k.SerializeCompressed()...)
	}
	return v
}

func decodeFederation(epoch uint32, v []byte) (*Federation, error) {
	if len(v) < 1 || len(v) != 1+33*int(v[0]) {
		return nil, fmt.Errorf("pegbox: federation record of %d bytes", len(v))
	}
	keys := make([]*btcec.PublicKey, v[0])
	for i := range keys {
		k, err := btcec.ParsePubKey(v[1+33*i : 1+33*(i+1)])
		if err != nil {
			return nil, fmt.Errorf("pegbox: federation key %d: %w", i, err)
		}
		keys[i] = k
	}
	return NewFederation(epoch, keys)
}

func outpointBytes(op wire.OutPoint) []byte {
	return binary.BigEndian.AppendUint32(append([]byte(nil), op.Hash[:]...), op.Index)
}

func coinKey(op wire.OutPoint) []byte {
	return append(append([]byte(nil), keyCoinPrefix...), outpointBytes(op)...)
}

// CoinAt returns the pegbox coin at op, if op is one.
func CoinAt(r store.Reader, op wire.OutPoint) (*Coin, bool, error) {
	k := coinKey(op)
	v, err := r.Get(k)
	if store.IsErrorCode(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	c, err := decodeCoin(k, v)
	return c, err == nil, err
}

func encodeCoin(c *Coin) []byte {
	v := binary.BigEndian.AppendUint64(nil, uint64(c.Value))
	v = binary.BigEndian.AppendUint32(v, uint32(c.Height))
	return append(v, c.PkScript...)
}

func decodeCoin(k, v []byte) (*Coin, error) {
	if len(k) != len(keyCoinPrefix)+36 || len(v) < 12 {
		return nil, fmt.Errorf("pegbox: coin record of %d/%d bytes", len(k), len(v))
	}
	c := &Coin{
		Value:    int64(binary.BigEndian.Uint64(v)),
		Height:   int32(binary.BigEndian.Uint32(v[8:])),
		PkScript: append([]byte(nil), v[12:]...),
	}
	copy(c.OutPoint.Hash[:], k[len(keyCoinPrefix):])
	c.OutPoint.Index = binary.BigEndian.Uint32(k[len(keyCoinPrefix)+32:])
	return c, nil
}

func depositKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(nil), keyDepositPrefix...), seq)
}

func refusedKey(height int32, idx uint32) []byte {
	k := binary.BigEndian.AppendUint32(append([]byte(nil), keyRefusedPrefix...), uint32(height))
	return binary.BigEndian.AppendUint32(k, idx)
}

// encodeDeposit: outpoint (36) ‖ value (8) ‖ height (4) ‖ tx index (4) ‖
// len(pkScript) (1) ‖ pkScript ‖ side script.
func encodeDeposit(d *DepositRecord) []byte {
	v := outpointBytes(d.OutPoint)
	v = binary.BigEndian.AppendUint64(v, uint64(d.Value))
	v = binary.BigEndian.AppendUint32(v, uint32(d.Height))
	v = binary.BigEndian.AppendUint32(v, d.TxIndex)
	v = append(v, byte(len(d.PkScript)))
	v = append(v, d.PkScript...)
	return append(v, d.SideScript...)
}

func decodeDeposit(v []byte) (*DepositRecord, error) {
	const fixed = 36 + 8 + 4 + 4 + 1
	if len(v) < fixed || len(v) < fixed+int(v[fixed-1]) {
		return nil, fmt.Errorf("pegbox: deposit record of %d bytes", len(v))
	}
	d := &DepositRecord{}
	copy(d.OutPoint.Hash[:], v)
	d.OutPoint.Index = binary.BigEndian.Uint32(v[32:])
	d.Value = int64(binary.BigEndian.Uint64(v[36:]))
	d.Height = int32(binary.BigEndian.Uint32(v[44:]))
	d.TxIndex = binary.BigEndian.Uint32(v[48:])
	n := int(v[fixed-1])
	d.PkScript = append([]byte(nil), v[fixed:fixed+n]...)
	d.SideScript = append([]byte(nil), v[fixed+n:]...)
	return d, nil
}

// MintSource returns the index as the sidechain's source of deposits to
// mint: deposit seq mints its value to its sidechain script.
func (x *Index) MintSource() sideblock.Deposits { return mintSource{x} }

type mintSource struct{ x *Index }

func (m mintSource) MaturedBy(r store.Reader, lotteryHeight int32) (uint64, error) {
	return m.x.MaturedBy(r, lotteryHeight)
}

func (m mintSource) DepositAt(r store.Reader, seq uint64) (sideblock.Deposit, error) {
	rec, err := DepositAt(r, seq)
	if err != nil {
		return sideblock.Deposit{}, err
	}
	return sideblock.Deposit{Seq: seq, Value: rec.Value, PkScript: rec.SideScript}, nil
}
