package btctest

import (
	"errors"
	"fmt"
	"sync"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// coin is an output that pays the mining script.
type coin struct {
	value    int64
	height   int32
	coinbase bool
}

// wallet tracks the outputs paying the harness's mining address by scanning
// the best chain, and spends them. It rescans from scratch when the block it
// last scanned left the best chain.
type wallet struct {
	h *Harness

	mu          sync.Mutex
	scanned     int32
	scannedHash chainhash.Hash
	coins       map[wire.OutPoint]coin
	pending     map[wire.OutPoint]struct{}
}

func newWallet(h *Harness) *wallet {
	return &wallet{
		h:       h,
		scanned: -1,
		coins:   make(map[wire.OutPoint]coin),
		pending: make(map[wire.OutPoint]struct{}),
	}
}

// sync brings the coin set up to the best chain. Called with mu held.
func (w *wallet) sync() error {
	c := w.h.Client()
	tipHash, tip, err := c.GetBestBlock()
	if err != nil {
		return err
	}
	if w.scanned >= 0 {
		hash, err := c.GetBlockHash(int64(w.scanned))
		if err != nil || *hash != w.scannedHash {
			w.scanned = -1
			w.coins = make(map[wire.OutPoint]coin)
		}
	}
	for height := w.scanned + 1; height <= tip; height++ {
		hash, err := c.GetBlockHash(int64(height))
		if err != nil {
			return err
		}
		block, err := c.GetBlock(hash)
		if err != nil {
			return err
		}
		if block.Header.PrevBlock != w.scannedHash && height > 0 {
			// The chain moved under us; start again next time.
			w.scanned = -1
			w.coins = make(map[wire.OutPoint]coin)
			return errors.New("btctest: chain changed during wallet scan")
		}
		for i, tx := range block.Transactions {
			for _, in := range tx.TxIn {
				delete(w.coins, in.PreviousOutPoint)
				delete(w.pending, in.PreviousOutPoint)
			}
			txid := tx.TxHash()
			for vout, out := range tx.TxOut {
				if out.Value > 0 && string(out.PkScript) == string(w.h.MiningScript) {
					w.coins[wire.OutPoint{Hash: txid, Index: uint32(vout)}] = coin{
						value: out.Value, height: height, coinbase: i == 0,
					}
				}
			}
		}
		w.scanned, w.scannedHash = height, *hash
	}
	_ = tipHash
	return nil
}

// Send builds a transaction paying outs, funded from mature coins of the
// mining address with change back to it, signs it at feeRate sat/vbyte and
// broadcasts it. It returns the broadcast transaction.
func (h *Harness) Send(outs []*wire.TxOut, feeRate int64) (*wire.MsgTx, error) {
	tx, err := h.Fund(outs, feeRate)
	if err != nil {
		return nil, err
	}
	if _, err := h.Client().SendRawTransaction(tx, true); err != nil {
		h.wallet.unlock(tx)
		return nil, fmt.Errorf("sendrawtransaction: %w", err)
	}
	return tx, nil
}

// Fund builds and signs a transaction paying outs without broadcasting it.
// The coins it spends are held back from later calls until a block spends
// them or Unlock releases them.
func (h *Harness) Fund(outs []*wire.TxOut, feeRate int64) (*wire.MsgTx, error) {
	w := h.wallet
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.sync(); err != nil {
		return nil, err
	}
	var want int64
	for _, o := range outs {
		want += o.Value
	}
	tipHeight := w.scanned
	maturity := int32(h.Params.CoinbaseMaturity)

	fee := feeRate * 200
	for attempt := 0; attempt < 3; attempt++ {
		tx := wire.NewMsgTx(2)
		prevs := make(map[wire.OutPoint]*wire.TxOut)
		var have int64
		for op, c := range w.coins {
			if have >= want+fee {
				break
			}
			if _, busy := w.pending[op]; busy {
				continue
			}
			if c.coinbase && tipHeight+1-c.height < maturity {
				continue
			}
			tx.AddTxIn(wire.NewTxIn(&op, nil, nil))
			prevs[op] = wire.NewTxOut(c.value, h.MiningScript)
			have += c.value
		}
		if have < want+fee {
			return nil, fmt.Errorf("btctest: mature coins %d sat, need %d",
				have, want+fee)
		}
		for _, o := range outs {
			tx.AddTxOut(o)
		}
		change := have - want - fee
		if change >= 1000 {
			tx.AddTxOut(wire.NewTxOut(change, h.MiningScript))
		}
		if err := h.signInputs(tx, prevs); err != nil {
			return nil, err
		}
		vsize := (blockchain.GetTransactionWeight(btcutil.NewTx(tx)) + 3) / 4
		if need := vsize * feeRate; need > fee {
			fee = need
			continue
		}
		for op := range prevs {
			w.pending[op] = struct{}{}
		}
		return tx, nil
	}
	return nil, errors.New("btctest: fee did not converge")
}

// Unlock releases the coins a funded transaction holds.
func (h *Harness) Unlock(tx *wire.MsgTx) { h.wallet.unlock(tx) }

func (w *wallet) unlock(tx *wire.MsgTx) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, in := range tx.TxIn {
		delete(w.pending, in.PreviousOutPoint)
	}
}

// signInputs signs every input of tx, which must all spend P2WPKH outputs of
// the mining key listed in prevs.
func (h *Harness) signInputs(tx *wire.MsgTx, prevs map[wire.OutPoint]*wire.TxOut) error {
	fetcher := txscript.NewMultiPrevOutFetcher(prevs)
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	for i, in := range tx.TxIn {
		prev := prevs[in.PreviousOutPoint]
		wit, err := txscript.WitnessSignature(tx, hashes, i, prev.Value,
			prev.PkScript, txscript.SigHashAll, h.MiningKey, true)
		if err != nil {
			return err
		}
		in.Witness = wit
	}
	return nil
}

// SendToScript pays amount to pkScript and returns the transaction and the
// index of the paying output.
func (h *Harness) SendToScript(pkScript []byte, amount int64) (*wire.MsgTx, uint32, error) {
	tx, err := h.Send([]*wire.TxOut{wire.NewTxOut(amount, pkScript)}, 2)
	if err != nil {
		return nil, 0, err
	}
	return tx, 0, nil
}

// DoubleSpend builds and signs, without broadcasting it, a transaction that
// spends every input of tx, which must all spend outputs paying the mining
// address, and pays their value less a fee at feeRate sat/vbyte back to
// the mining address. It conflicts with tx: mined with MineBlock, it
// evicts tx from btcd's mempool, or, after a reorg that took tx out of the
// best chain, keeps it out for good. tx may be confirmed when DoubleSpend
// is called.
func (h *Harness) DoubleSpend(tx *wire.MsgTx, feeRate int64) (*wire.MsgTx, error) {
	out := wire.NewMsgTx(2)
	prevs := make(map[wire.OutPoint]*wire.TxOut)
	var have int64
	for _, in := range tx.TxIn {
		op := in.PreviousOutPoint
		prev, err := h.Client().GetRawTransaction(&op.Hash)
		if err != nil {
			return nil, fmt.Errorf("input %v of %v: %w", op, tx.TxHash(), err)
		}
		outs := prev.MsgTx().TxOut
		if int(op.Index) >= len(outs) ||
			string(outs[op.Index].PkScript) != string(h.MiningScript) {
			return nil, fmt.Errorf("btctest: input %v of %v does not spend the "+
				"mining address", op, tx.TxHash())
		}
		out.AddTxIn(wire.NewTxIn(&op, nil, nil))
		prevs[op] = outs[op.Index]
		have += outs[op.Index].Value
	}
	out.AddTxOut(wire.NewTxOut(have, h.MiningScript))
	// Sign once to learn the size, then again with the fee taken off.
	if err := h.signInputs(out, prevs); err != nil {
		return nil, err
	}
	vsize := (blockchain.GetTransactionWeight(btcutil.NewTx(out)) + 3) / 4
	out.TxOut[0].Value = have - vsize*feeRate
	if out.TxOut[0].Value <= 0 {
		return nil, fmt.Errorf("btctest: inputs of %d sat cannot pay the fee", have)
	}
	if err := h.signInputs(out, prevs); err != nil {
		return nil, err
	}
	return out, nil
}
