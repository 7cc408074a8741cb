package wallet

import (
	"fmt"
	"sort"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/mempool"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// IncrementalRelayFee is the fee rate, in sat/vB, by which a replacement
// must pay more than the transaction it replaces, on its own size (BIP125
// rule 4, btcd's and Bitcoin Core's default).
const IncrementalRelayFee = 1

// vsize returns a transaction's virtual size in vB.
func vsize(tx *wire.MsgTx) int64 {
	return (blockchain.GetTransactionWeight(btcutil.NewTx(tx)) + 3) / 4
}

// signalsRBF reports whether a transaction signals BIP125 replaceability.
func signalsRBF(tx *wire.MsgTx) bool {
	for _, in := range tx.TxIn {
		if in.Sequence < wire.MaxTxInSequenceNum-1 {
			return true
		}
	}
	return false
}

// CheckReplacement checks repl, meant to replace old in the mempool
// (BIP125), against prevs, the outputs both spend: old signals
// replaceability; repl spends at least one of old's inputs and nothing
// prevs does not know; its absolute fee and its fee rate are higher than
// old's; and it pays at least IncrementalRelayFee sat/vB of its own size
// more. Its errors wrap ErrReplacement.
func CheckReplacement(old, repl *wire.MsgTx, prevs txscript.PrevOutputFetcher) error {
	if !signalsRBF(old) {
		return fmt.Errorf("%w: %v does not signal replaceability (BIP125)", ErrReplacement, old.TxHash())
	}
	fee := func(tx *wire.MsgTx) (int64, error) {
		var in, out int64
		for i, txIn := range tx.TxIn {
			prev := prevs.FetchPrevOutput(txIn.PreviousOutPoint)
			if prev == nil {
				return 0, fmt.Errorf("%w: input %d spends %v, not a coin of the wallet",
					ErrReplacement, i, txIn.PreviousOutPoint)
			}
			in += prev.Value
		}
		for _, o := range tx.TxOut {
			out += o.Value
		}
		return in - out, nil
	}
	oldFee, err := fee(old)
	if err != nil {
		return err
	}
	newFee, err := fee(repl)
	if err != nil {
		return err
	}
	spends := make(map[wire.OutPoint]bool)
	for _, in := range old.TxIn {
		spends[in.PreviousOutPoint] = true
	}
	conflict := false
	for _, in := range repl.TxIn {
		conflict = conflict || spends[in.PreviousOutPoint]
	}
	oldSize, newSize := vsize(old), vsize(repl)
	switch {
	case !conflict:
		return fmt.Errorf("%w: it spends none of the inputs of %v", ErrReplacement, old.TxHash())
	case newFee <= oldFee:
		return fmt.Errorf("%w: fee %d sat is not above the replaced transaction's %d sat",
			ErrReplacement, newFee, oldFee)
	case newFee*oldSize <= oldFee*newSize:
		return fmt.Errorf("%w: fee rate %d/%d sat/vB is not above the replaced transaction's %d/%d",
			ErrReplacement, newFee, newSize, oldFee, oldSize)
	case newFee-oldFee < IncrementalRelayFee*newSize:
		return fmt.Errorf("%w: it pays %d sat more, less than %d sat/vB of its %d vB",
			ErrReplacement, newFee-oldFee, IncrementalRelayFee, newSize)
	}
	return nil
}

// BumpFee builds a replacement of txid, a transaction of the wallet that
// waits for a block, paying feeRate sat/vB: the same inputs and the same
// outputs other than change, with the fee raised out of the change output.
// When the change cannot pay it (or there is none), confirmed coins of the
// wallet that no pending transaction spends are added as inputs, largest
// first, and the rest goes to a change output, new if need be (BIP125 rule
// 2: no unconfirmed input is added). Change that would be dust goes to the
// fee. It refuses a transaction that is not the wallet's (ErrNotOwnTx), one
// already in a block (ErrConfirmed), a rate that does not raise the fee by
// BIP125's rules (ErrBumpRate), and a bump the change and the confirmed
// coins cannot pay (ErrReplacement, saying how many sat are missing). The
// replacement is signed and checked with CheckTx and CheckReplacement; the
// coins it adds are held back, as Fund's are, until Sent records it in
// place of the original once it is broadcast, or Release frees them when
// it is not. It returns the original too.
func (w *Wallet) BumpFee(txid chainhash.Hash, feeRate int64) (repl, old *wire.MsgTx, err error) {
	if err := CheckFeeRate(feeRate); err != nil {
		return nil, nil, fmt.Errorf("wallet: %w", err)
	}
	t, err := w.Transaction(txid)
	if err != nil {
		return nil, nil, err
	}
	if !t.Pending() {
		return nil, nil, fmt.Errorf("%w: %v is in mainchain block %d", ErrConfirmed, txid, t.Height)
	}
	old = t.Tx
	coins, pending, tip, err := w.pendingState()
	if err != nil {
		return nil, nil, err
	}
	own := make(map[wire.OutPoint]*Coin, len(coins))
	for _, c := range coins {
		own[c.OutPoint] = c
	}
	prevs := make(map[wire.OutPoint]*wire.TxOut)
	var (
		refs []KeyRef
		have int64 // what the inputs spend, ≤ MaxAmount
	)
	repl = old.Copy()
	for i, in := range repl.TxIn {
		c, ok := own[in.PreviousOutPoint]
		if !ok {
			return nil, nil, fmt.Errorf("%w: input %d spends %v, not a coin of the wallet",
				ErrNotOwnTx, i, in.PreviousOutPoint)
		}
		if CheckAmount(c.Value) != nil || have+c.Value > MaxAmount {
			return nil, nil, fmt.Errorf("%w: %v spends more than %d sat", ErrReplacement, txid, int64(MaxAmount))
		}
		have += c.Value
		in.Witness, in.SignatureScript = nil, nil
		prevs[c.OutPoint] = wire.NewTxOut(c.Value, c.PkScript)
		refs = append(refs, c.Key)
	}

	w.issueMu.Lock() // a new change address stays the next one until issued
	defer w.issueMu.Unlock()
	change := -1
	w.mu.Lock()
	for i, o := range repl.TxOut {
		if ref, ok := w.scripts[string(o.PkScript)]; ok && ref.Family == Change {
			change = i
		}
	}
	changeRef := KeyRef{Change, w.issued[Change]}
	locked := make(map[wire.OutPoint]struct{}, len(w.locked))
	for op := range w.locked {
		locked[op] = struct{}{}
	}
	w.mu.Unlock()

	size := vsize(old) // the replacement has the same shape, before coins are added
	newFee := feeRate * size
	if newFee <= t.Fee || newFee-t.Fee < IncrementalRelayFee*size {
		return nil, nil, fmt.Errorf("%w (%w): %d sat/vB is not above the transaction's %d sat/vB "+
			"by at least %d sat/vB", ErrReplacement, ErrBumpRate, feeRate, (t.Fee+size-1)/size, IncrementalRelayFee)
	}
	// Everything but the change stays as it is.
	var keep []*wire.TxOut
	for i, o := range repl.TxOut {
		if i != change {
			keep = append(keep, o)
		}
	}
	pay, err := sumOutputs(keep)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrReplacement, err)
	}
	changeScript := []byte(nil)
	if change >= 0 {
		changeScript = repl.TxOut[change].PkScript
	} else {
		size += 31 // room for a new change output
	}
	// With feeRate ≤ MaxFeeRate and sizes bounded by the coins held in
	// memory, need() stays far below 2^63, and pay + need() too.
	added := int64(0)
	need := func() int64 { return feeRate * (size + added*p2wpkhInputVSize) }
	if have < pay+need() {
		spent := spentByPending(pending)
		// Largest first: fewest inputs.
		sort.Slice(coins, func(i, j int) bool { return coins[i].Value > coins[j].Value })
		for _, c := range coins {
			_, inFlight := spent[c.OutPoint]
			_, busy := locked[c.OutPoint]
			if _, in := prevs[c.OutPoint]; in || inFlight || busy || tip.Height-c.Height+1 < 1 {
				continue // BIP125 rule 2: confirmed coins only
			}
			if CheckAmount(c.Value) != nil || have+c.Value > MaxAmount {
				continue // not a coin the mainchain can hold
			}
			in := wire.NewTxIn(&c.OutPoint, nil, nil)
			in.Sequence = RBFSequence
			repl.AddTxIn(in)
			prevs[c.OutPoint] = wire.NewTxOut(c.Value, c.PkScript)
			refs = append(refs, c.Key)
			have += c.Value
			added++
			if have >= pay+need() {
				break
			}
		}
	}
	if short := pay + need() - have; short > 0 {
		return nil, nil, fmt.Errorf("%w: %d sat short: the change and the wallet's confirmed coins "+
			"no pending send spends do not pay %d sat at %d sat/vB", ErrReplacement, short, need(), feeRate)
	}
	newChange := false
	if change < 0 {
		if _, changeScript, err = w.keys.P2WPKH(changeRef); err != nil {
			return nil, nil, err
		}
		newChange = true
	}
	repl.TxOut = keep
	changeOut := wire.NewTxOut(have-pay-need(), changeScript)
	useChange := !mempool.IsDust(changeOut, mempool.DefaultMinRelayTxFee)
	if useChange {
		if change < 0 {
			change = len(keep)
		}
		// The change keeps its place among the outputs.
		repl.TxOut = append(append(append([]*wire.TxOut(nil), keep[:change]...), changeOut), keep[change:]...)
	}
	if len(repl.TxOut) == 0 {
		return nil, nil, fmt.Errorf("%w: nothing would be left to pay", ErrReplacement)
	}
	if err := w.sign(repl, prevs, refs); err != nil {
		return nil, nil, err
	}
	fetcher := txscript.NewMultiPrevOutFetcher(prevs)
	if err := CheckTx(repl, fetcher); err != nil {
		return nil, nil, fmt.Errorf("wallet: the replacement fails its check: %w", err)
	}
	if err := CheckReplacement(old, repl, fetcher); err != nil {
		return nil, nil, err
	}
	// The coins added are held back from Fund and other bumps until the
	// replacement is sent (Sent) or given up (Release), as Fund's are; one
	// that another send took meanwhile fails the bump.
	var taken []wire.OutPoint
	w.mu.Lock()
	for _, in := range repl.TxIn[len(old.TxIn):] {
		if _, busy := w.locked[in.PreviousOutPoint]; busy {
			for _, op := range taken {
				delete(w.locked, op)
			}
			w.mu.Unlock()
			return nil, nil, fmt.Errorf("%w: coin %v was taken by another send meanwhile: "+
				"try again", ErrReplacement, in.PreviousOutPoint)
		}
		w.locked[in.PreviousOutPoint] = struct{}{}
		taken = append(taken, in.PreviousOutPoint)
	}
	w.mu.Unlock()
	if newChange && useChange {
		if err := w.issue(changeRef); err != nil {
			w.Release(repl)
			return nil, nil, err
		}
	}
	return repl, old, nil
}
