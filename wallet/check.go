package wallet

import (
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// MaxFeeRate is the highest mainchain fee rate, in sat/vB, the wallet pays
// and the API accepts: Bitcoin Core's default -maxfeerate for
// sendrawtransaction (0.1 BTC/kvB). A higher rate is almost certainly a
// typing mistake, and keeping rates this low keeps every fee the wallet
// computes (rate × size) far from overflowing.
const MaxFeeRate = 10_000

// MaxAmount is the highest amount, in satoshis, of one output or of a sum
// of outputs: 21 million BTC (btcutil.MaxSatoshi), as btcd's sanity rules
// have it.
const MaxAmount = btcutil.MaxSatoshi

// Errors that Fund's and CheckTx's errors wrap.
var (
	// ErrFeeRate: the fee rate is not between 1 and MaxFeeRate sat/vB.
	ErrFeeRate = errors.New("fee rate out of range")

	// ErrAmount: an output value is negative, or a value or the sum of
	// the values is above MaxAmount.
	ErrAmount = errors.New("amount out of range")

	// ErrInvalidTx: the transaction fails btcd's sanity rules, spends an
	// output it was not given, pays more than it spends, or an input's
	// script does not verify.
	ErrInvalidTx = errors.New("invalid transaction")
)

// CheckFeeRate returns an error wrapping ErrFeeRate unless rate (sat/vB)
// is between 1 and MaxFeeRate.
func CheckFeeRate(rate int64) error {
	if rate < 1 || rate > MaxFeeRate {
		return fmt.Errorf("%w: %d sat/vB is not between 1 and %d sat/vB",
			ErrFeeRate, rate, int64(MaxFeeRate))
	}
	return nil
}

// CheckAmount returns an error wrapping ErrAmount unless value (sat) is
// between 0 and MaxAmount.
func CheckAmount(value int64) error {
	if value < 0 || value > MaxAmount {
		return fmt.Errorf("%w: %d sat is not between 0 and %d sat",
			ErrAmount, value, int64(MaxAmount))
	}
	return nil
}

// sumOutputs returns the sum of the values of outs, each checked with
// CheckAmount, failing with ErrAmount when the sum is above MaxAmount (so
// it never overflows).
func sumOutputs(outs []*wire.TxOut) (int64, error) {
	var sum int64
	for i, o := range outs {
		if err := CheckAmount(o.Value); err != nil {
			return 0, fmt.Errorf("output %d: %w", i, err)
		}
		sum += o.Value // both ≤ MaxAmount: no overflow
		if sum > MaxAmount {
			return 0, fmt.Errorf("%w: the outputs add up to more than %d sat",
				ErrAmount, int64(MaxAmount))
		}
	}
	return sum, nil
}

// CheckTx checks a signed mainchain transaction before the node broadcasts
// it: btcd's sanity rules (blockchain.CheckTransactionSanity: at least one
// input and one output, every value and their sum within 21 million BTC,
// no duplicate inputs), every input's previous output known to prevs and
// within range, the inputs worth at least the outputs, and every input's
// script run by btcd's script engine with the standard verify flags
// against the real previous outputs. Its errors wrap ErrInvalidTx.
func CheckTx(tx *wire.MsgTx, prevs txscript.PrevOutputFetcher) error {
	if tx == nil || prevs == nil {
		return fmt.Errorf("%w: no transaction or no previous outputs", ErrInvalidTx)
	}
	if err := blockchain.CheckTransactionSanity(btcutil.NewTx(tx)); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidTx, err)
	}
	var in int64
	for i, txIn := range tx.TxIn {
		prev := prevs.FetchPrevOutput(txIn.PreviousOutPoint)
		if prev == nil {
			return fmt.Errorf("%w: input %d spends %v, an output the node does not know",
				ErrInvalidTx, i, txIn.PreviousOutPoint)
		}
		if err := CheckAmount(prev.Value); err != nil {
			return fmt.Errorf("%w: input %d: %v", ErrInvalidTx, i, err)
		}
		in += prev.Value
		if in > MaxAmount {
			return fmt.Errorf("%w: the inputs add up to more than %d sat",
				ErrInvalidTx, int64(MaxAmount))
		}
	}
	out, err := sumOutputs(tx.TxOut) // sanity has bounded them already
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidTx, err)
	}
	if in < out {
		return fmt.Errorf("%w: the outputs pay %d sat, the inputs spend %d sat",
			ErrInvalidTx, out, in)
	}
	hashes := txscript.NewTxSigHashes(tx, prevs)
	for i, txIn := range tx.TxIn {
		prev := prevs.FetchPrevOutput(txIn.PreviousOutPoint)
		vm, err := txscript.NewEngine(prev.PkScript, tx, i,
			txscript.StandardVerifyFlags, nil, hashes, prev.Value, prevs)
		if err == nil {
			err = vm.Execute()
		}
		if err != nil {
			return fmt.Errorf("%w: input %d: %v", ErrInvalidTx, i, err)
		}
	}
	return nil
}

// PrevOuts returns the previous outputs of tx's inputs, every one of which
// must be one of the wallet's coins: the real outputs CheckTx checks a
// transaction Fund built against.
func (w *Wallet) PrevOuts(tx *wire.MsgTx) (txscript.PrevOutputFetcher, error) {
	coins, err := w.Coins()
	if err != nil {
		return nil, err
	}
	own := make(map[wire.OutPoint]*Coin, len(coins))
	for _, c := range coins {
		own[c.OutPoint] = c
	}
	prevs := make(map[wire.OutPoint]*wire.TxOut, len(tx.TxIn))
	for i, in := range tx.TxIn {
		c, ok := own[in.PreviousOutPoint]
		if !ok {
			return nil, fmt.Errorf("%w: input %d spends %v, not a coin of the wallet",
				ErrInvalidTx, i, in.PreviousOutPoint)
		}
		prevs[c.OutPoint] = wire.NewTxOut(c.Value, c.PkScript)
	}
	return txscript.NewMultiPrevOutFetcher(prevs), nil
}
