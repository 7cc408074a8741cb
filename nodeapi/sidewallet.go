package nodeapi

import (
	"bytes"
	"context"
	"math"
	"sync"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/p2p"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// The node's sidechain coins are the outputs that pay to the P2WPKH of its
// first sidechain key, where its coinbases pay (wallet.Wallet.SideKey).
// There is no sidechain wallet: the address index (sideblock.UtxosByScript)
// lists the coins, and SendSide and PegOut spend the mature ones that no
// mempool transaction spends, oldest first.

// Bounds of SendSide.
const (
	// sideDust is the smallest change output SendSide makes; less goes
	// to the fee.
	sideDust = 546

	// maxSideInputs bounds the coins one payment spends, so that it stays
	// under the mempool's MaxTxSize (149 bytes an input).
	maxSideInputs = 600

	// maxSideFeeRate refuses absurd fee rates (sat/kB).
	maxSideFeeRate = 100_000_000

	// Sizes in bytes, witnesses in full as the sidechain counts them:
	// a P2WPKH input (outpoint, empty script, sequence; witness count,
	// a DER signature of at most 71 bytes with its sighash byte, a
	// compressed key) and the transaction's fixed part (version,
	// segwit marker and flag, lock time).
	p2wpkhInputSize = 32 + 4 + 1 + 4 + 1 + 1 + 72 + 1 + 33
	txFixedSize     = 4 + 2 + 4
)

// sideSendMu makes SendSide and PegOut one payment at a time, so that two
// payments never pick the same coins.
var sideSendMu sync.Mutex

// sideKey returns the node's sidechain key, its address and its script
// (wallet.Wallet.SideKey).
func (b *Adapter) sideKey() (*btcec.PrivateKey, btcutil.Address, []byte, error) {
	if b.wallet == nil {
		return nil, nil, nil, errNoWallet
	}
	return b.wallet.SideKey(b.params.Side)
}

// sideCoins returns every unspent output that pays to script, oldest
// first, and the lottery height a transaction sent now is checked at.
func (b *Adapter) sideCoins(script []byte) ([]sideblock.OutPointUtxo, int32, error) {
	var (
		coins       []sideblock.OutPointUtxo
		spendHeight int32
	)
	err := b.db.View(func(r store.Reader) error {
		var err error
		if spendHeight, err = sideblock.SpendHeight(r); err != nil {
			return err
		}
		coins, _, err = sideblock.UtxosByScript(r, script, 0, math.MaxUint32, false)
		return err
	})
	return coins, spendHeight, err
}

func (b *Adapter) SideAddress(context.Context) (string, error) {
	_, addr, _, err := b.sideKey()
	if err != nil {
		return "", err
	}
	return addr.EncodeAddress(), nil
}

func (b *Adapter) SideBalance(context.Context) (*api.SideBalance, error) {
	_, addr, script, err := b.sideKey()
	if err != nil {
		return nil, err
	}
	coins, spendHeight, err := b.sideCoins(script)
	if err != nil {
		return nil, err
	}
	bal := &api.SideBalance{Address: addr.EncodeAddress(), SpendHeight: spendHeight,
		Count: uint64(len(coins))}
	// The mempool is asked outside the store snapshot: its methods must
	// not run inside a store callback.
	for i := range coins {
		c := &coins[i]
		bal.Total += c.Utxo.Value
		_, pending := b.pool.SpentBy(c.OutPoint)
		switch {
		case !sideblock.IsSpendableAt(&c.Utxo, spendHeight):
			bal.Immature += c.Utxo.Value
		case pending:
			bal.Pending += c.Utxo.Value
		default:
			bal.Spendable += c.Utxo.Value
		}
	}
	bal.Incoming = sideIncoming(b.pool.Paying(script), script, coins)
	return bal, nil
}

// sideIncoming sums what the mempool transactions txs (oldest first) pay
// the sidechain script own, leaving out those that spend an output of own,
// confirmed (coins) or in an earlier one of txs: the node's own sends,
// whose change is part of the coins they spend.
func sideIncoming(txs []*wire.MsgTx, own []byte, coins []sideblock.OutPointUtxo) int64 {
	mine := make(map[wire.OutPoint]struct{}, len(coins))
	for i := range coins {
		mine[coins[i].OutPoint] = struct{}{}
	}
	var sum int64
	for _, tx := range txs {
		spendsOwn := false
		for _, in := range tx.TxIn {
			if _, ok := mine[in.PreviousOutPoint]; ok {
				spendsOwn = true
				break
			}
		}
		txid := tx.TxHash()
		for i, o := range tx.TxOut {
			if !bytes.Equal(o.PkScript, own) {
				continue
			}
			mine[wire.OutPoint{Hash: txid, Index: uint32(i)}] = struct{}{}
			if !spendsOwn {
				sum += o.Value
			}
		}
	}
	return sum
}

func (b *Adapter) SendSide(_ context.Context, to string, amount, feeRate int64) (chainhash.Hash, error) {
	if err := checkAmount("amount_sat", amount); err != nil {
		return chainhash.Hash{}, err
	}
	priv, _, script, err := b.sideKey()
	if err != nil {
		return chainhash.Hash{}, err
	}
	dest, err := b.sideScript("to_address", to)
	if err != nil {
		return chainhash.Hash{}, err
	}
	tx, feeRate, err := b.spendSide(priv, script, dest, amount, feeRate)
	if err != nil {
		return chainhash.Hash{}, err
	}
	txid := tx.TxHash()
	log.Infof("Sidechain payment %v: %d sat to %s at %d sat/kB", txid, amount, to, feeRate)
	return txid, nil
}

// spendSide pays amount to the output script dest from the node's
// sidechain coins (key's P2WPKH outputs, whose script is own) at feeRate
// sat/kB, 0 meaning the mempool's estimate, with buildSideSpend: output 0
// pays dest. It adds the transaction to the mempool and announces it to
// the peers, and returns it with the fee rate it paid. SendSide and PegOut
// both pay through it.
func (b *Adapter) spendSide(key *btcec.PrivateKey, own, dest []byte, amount, feeRate int64) (*wire.MsgTx, int64, error) {
	pool := b.pool
	if feeRate == 0 {
		feeRate = pool.EstimateFee(sideblock.TemplateTxBytes).FeeRate
	}
	if min := pool.MinFeeRate(); feeRate < min || feeRate > maxSideFeeRate {
		return nil, 0, api.Errorf(api.ErrInvalidArgument,
			"fee_rate_sat_kb %d is not between the mempool's minimum %d "+
				"and %d", feeRate, min, int64(maxSideFeeRate))
	}

	sideSendMu.Lock()
	defer sideSendMu.Unlock()
	coins, spendHeight, err := b.sideCoins(own)
	if err != nil {
		return nil, 0, err
	}
	tx, err := buildSideSpend(coins, spendHeight, func(op wire.OutPoint) bool {
		_, ok := pool.SpentBy(op)
		return ok
	}, key, own, dest, amount, feeRate)
	if err != nil {
		return nil, 0, err
	}
	if err := pool.Add(tx); err != nil {
		return nil, 0, mempoolError(err)
	}
	if b.peers != nil {
		b.peers.Announce(p2p.TxItem(tx.TxHash()))
	}
	return tx, feeRate, nil
}

// sideTxSize is the size of a transaction with n P2WPKH inputs and outputs
// with the given scripts, at most what it is once signed.
func sideTxSize(n int, scripts ...[]byte) int {
	size := txFixedSize + wire.VarIntSerializeSize(uint64(n)) +
		wire.VarIntSerializeSize(uint64(len(scripts))) + n*p2wpkhInputSize
	for _, s := range scripts {
		size += 8 + wire.VarIntSerializeSize(uint64(len(s))) + len(s)
	}
	return size
}

// sideFee is the fee of size bytes at rate sat/kB, rounded up, so that
// the mempool's rate (fee × 1000 / size, rounded down) is at least rate.
func sideFee(size int, rate int64) int64 {
	return (int64(size)*rate + 999) / 1000
}

// buildSideSpend pays amount to dest from coins (P2WPKH outputs of key,
// whose script is own), oldest first, skipping those not mature at
// spendHeight, those inPool says a mempool transaction spends, and those
// worth no more than their input costs at feeRate; the
// change goes back to own unless it is below sideDust (or what spending
// it would cost), and then to the fee. It signs every input.
func buildSideSpend(coins []sideblock.OutPointUtxo, spendHeight int32, inPool func(wire.OutPoint) bool,
	key *btcec.PrivateKey, own, dest []byte, amount, feeRate int64) (*wire.MsgTx, error) {

	return buildSideSpendTo(coins, spendHeight, inPool, key, own,
		[]*wire.TxOut{wire.NewTxOut(amount, dest)}, feeRate)
}

// buildSideSpendTo is buildSideSpend paying every output of outs, in
// order, then the change.
func buildSideSpendTo(coins []sideblock.OutPointUtxo, spendHeight int32, inPool func(wire.OutPoint) bool,
	key *btcec.PrivateKey, own []byte, outs []*wire.TxOut, feeRate int64) (*wire.MsgTx, error) {

	var amount int64
	dests := make([][]byte, len(outs))
	for i, o := range outs {
		amount += o.Value
		dests[i] = o.PkScript
	}
	withOwn := append(append([][]byte(nil), dests...), own)
	dust := max(int64(sideDust), sideFee(p2wpkhInputSize, feeRate))
	var (
		picked             []*sideblock.OutPointUtxo
		total              int64
		spendable, pending int64
		immature           int64
		change             int64 = -1
	)
	for i := range coins {
		c := &coins[i]
		switch {
		case !sideblock.IsSpendableAt(&c.Utxo, spendHeight):
			immature += c.Utxo.Value
			continue
		case inPool(c.OutPoint):
			pending += c.Utxo.Value
			continue
		}
		spendable += c.Utxo.Value
		if c.Utxo.Value <= sideFee(p2wpkhInputSize, feeRate) {
			continue // costs more to spend than it brings (fee-only coinbases)
		}
		if change >= 0 {
			continue // counting the rest for the error only
		}
		if len(picked) == maxSideInputs {
			return nil, api.Errorf(api.ErrFailedPrecondition, "paying %d sat "+
				"needs more than %d of the node's sidechain coins: send "+
				"less at a time", amount, maxSideInputs)
		}
		picked = append(picked, c)
		total += c.Utxo.Value
		n := len(picked)
		withChange := total - amount - sideFee(sideTxSize(n, withOwn...), feeRate)
		without := total - amount - sideFee(sideTxSize(n, dests...), feeRate)
		switch {
		case withChange >= dust:
			change = withChange
		case without >= 0:
			change = 0 // what is left goes to the fee
		}
	}
	if change < 0 {
		return nil, api.Errorf(api.ErrFailedPrecondition, "the node's "+
			"sidechain coins cannot pay %d sat and the fee at %d sat/kB: "+
			"%d sat spendable at lottery height %d (%d immature, %d spent "+
			"by mempool transactions)", amount, feeRate, spendable,
			spendHeight, immature, pending)
	}

	tx := wire.NewMsgTx(2)
	prevs := make(map[wire.OutPoint]*wire.TxOut, len(picked))
	for _, c := range picked {
		tx.AddTxIn(wire.NewTxIn(&c.OutPoint, nil, nil))
		prevs[c.OutPoint] = wire.NewTxOut(c.Utxo.Value, c.Utxo.PkScript)
	}
	for _, o := range outs {
		tx.AddTxOut(wire.NewTxOut(o.Value, o.PkScript))
	}
	if change > 0 {
		tx.AddTxOut(wire.NewTxOut(change, own))
	}
	hashes := txscript.NewTxSigHashes(tx, txscript.NewMultiPrevOutFetcher(prevs))
	for i, c := range picked {
		w, err := txscript.WitnessSignature(tx, hashes, i, c.Utxo.Value,
			c.Utxo.PkScript, txscript.SigHashAll, key, true)
		if err != nil {
			return nil, err
		}
		tx.TxIn[i].Witness = w
	}
	return tx, nil
}
