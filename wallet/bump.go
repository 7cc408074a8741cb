package wallet

import (
	"fmt"

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
// waits for a block, paying feeRate sat/vB: the same inputs and outputs,
// with the fee raised out of the change output (dropped if it falls to
// dust). It refuses a transaction that is not the wallet's (ErrNotOwnTx),
// one already in a block (ErrConfirmed), a rate that does not raise the
// fee by BIP125's rules, and a transaction without change to take the fee
// from. The replacement is signed and checked with CheckTx and
// CheckReplacement; once it is broadcast, Sent records it in place of the
// original. It returns the original too.
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
	coins, _, _, err := w.pendingState()
	if err != nil {
		return nil, nil, err
	}
	own := make(map[wire.OutPoint]*Coin, len(coins))
	for _, c := range coins {
		own[c.OutPoint] = c
	}
	prevs := make(map[wire.OutPoint]*wire.TxOut)
	var refs []KeyRef
	repl = old.Copy()
	for i, in := range repl.TxIn {
		c, ok := own[in.PreviousOutPoint]
		if !ok {
			return nil, nil, fmt.Errorf("%w: input %d spends %v, not a coin of the wallet",
				ErrNotOwnTx, i, in.PreviousOutPoint)
		}
		in.Witness, in.SignatureScript = nil, nil
		prevs[c.OutPoint] = wire.NewTxOut(c.Value, c.PkScript)
		refs = append(refs, c.Key)
	}
	change := -1
	w.mu.Lock()
	for i, o := range repl.TxOut {
		if ref, ok := w.scripts[string(o.PkScript)]; ok && ref.Family == Change {
			change = i
		}
	}
	w.mu.Unlock()
	if change < 0 {
		return nil, nil, fmt.Errorf("%w: %v has no change output to take a higher fee from",
			ErrReplacement, txid)
	}
	size := vsize(old) // the replacement has the same shape
	newFee := feeRate * size
	if newFee <= t.Fee || newFee-t.Fee < IncrementalRelayFee*size {
		return nil, nil, fmt.Errorf("%w (%w): %d sat/vB is not above the transaction's %d sat/vB "+
			"by at least %d sat/vB", ErrReplacement, ErrBumpRate, feeRate, (t.Fee+size-1)/size, IncrementalRelayFee)
	}
	extra := newFee - t.Fee
	if repl.TxOut[change].Value < extra {
		return nil, nil, fmt.Errorf("%w: the change, %d sat, cannot pay %d sat more fee",
			ErrReplacement, repl.TxOut[change].Value, extra)
	}
	repl.TxOut[change].Value -= extra
	if mempool.IsDust(repl.TxOut[change], mempool.DefaultMinRelayTxFee) {
		repl.TxOut = append(repl.TxOut[:change], repl.TxOut[change+1:]...)
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
	return repl, old, nil
}
