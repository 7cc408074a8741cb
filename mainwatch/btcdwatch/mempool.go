package btcdwatch

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcjson"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/rpcclient"
	"github.com/btcsuite/btcd/wire"
)

// mempoolQueue is how many mempool transactions wait for the consumer;
// more are dropped (and counted once mined).
const mempoolQueue = 256

// noteMempoolTx runs in the notification handler: it decodes a
// transaction btcd's mempool accepted and btcd's filter matched, and
// queues it without waiting.
func (s *Source) noteMempoolTx(raw []byte) {
	tx := new(wire.MsgTx)
	if err := tx.Deserialize(bytes.NewReader(raw)); err != nil {
		log.Warnf("btcd sent a mempool transaction that does not decode: %v", err)
		return
	}
	select {
	case s.mempool <- tx:
	default:
		log.Debugf("Mempool transaction %v dropped: %d wait already", tx.TxHash(), mempoolQueue)
	}
}

// MempoolTxs delivers the transactions btcd's mempool accepts that its
// transaction filter matches: those that pay a script or spend an outpoint
// of the watch list (btcd sends them as relevanttxaccepted once the filter
// is loaded, after the first Blocks call). One consumer reads them;
// transactions it does not take in time are dropped.
func (s *Source) MempoolTxs() <-chan *wire.MsgTx { return s.mempool }

// InMempool reports, for each txid, whether btcd's mempool holds it:
// getrawtransaction (verbose, pipelined) finds it without a block hash.
// (btcd has no getmempoolentry, and getrawmempool lists the whole pool.)
func (s *Source) InMempool(ctx context.Context, txids []chainhash.Hash) ([]bool, error) {
	if err := s.waitReady(ctx); err != nil {
		return nil, err
	}
	futs := make([]rpcclient.FutureGetRawTransactionVerboseResult, len(txids))
	for i := range txids {
		futs[i] = s.client.GetRawTransactionVerboseAsync(&txids[i])
	}
	out := make([]bool, len(txids))
	for i, id := range txids {
		res, err := call(ctx, s, fmt.Sprintf("getrawtransaction %v", id), futs[i].Receive)
		var rpcErr *btcjson.RPCError
		switch {
		case err == nil:
			out[i] = res.BlockHash == ""
		case errors.As(err, &rpcErr) && rpcErr.Code == btcjson.ErrRPCNoTxInfo:
		default:
			return nil, err
		}
	}
	return out, nil
}

// GetRawTransaction returns a transaction btcd knows, from its mempool or,
// when btcd runs with --txindex, from a block, with the block's hash and
// its confirmations (0 in the mempool). found is false when btcd does not
// know it.
func (s *Source) GetRawTransaction(ctx context.Context, txid chainhash.Hash) (tx *wire.MsgTx,
	block *chainhash.Hash, confirmations uint64, found bool, err error) {

	if err := s.waitReady(ctx); err != nil {
		return nil, nil, 0, false, err
	}
	fut := s.client.GetRawTransactionVerboseAsync(&txid)
	res, err := call(ctx, s, fmt.Sprintf("getrawtransaction %v", txid), fut.Receive)
	var rpcErr *btcjson.RPCError
	if errors.As(err, &rpcErr) && rpcErr.Code == btcjson.ErrRPCNoTxInfo {
		return nil, nil, 0, false, nil
	}
	if err != nil {
		return nil, nil, 0, false, err
	}
	raw, err := hex.DecodeString(res.Hex)
	if err != nil {
		return nil, nil, 0, false, fmt.Errorf("getrawtransaction %v: %w", txid, err)
	}
	tx = new(wire.MsgTx)
	if err := tx.Deserialize(bytes.NewReader(raw)); err != nil {
		return nil, nil, 0, false, fmt.Errorf("getrawtransaction %v: %w", txid, err)
	}
	if tx.TxHash() != txid {
		return nil, nil, 0, false, fmt.Errorf("btcd sent transaction %v for %v", tx.TxHash(), txid)
	}
	if res.BlockHash != "" {
		if block, err = chainhash.NewHashFromStr(res.BlockHash); err != nil {
			return nil, nil, 0, false, fmt.Errorf("getrawtransaction %v: block hash: %w", txid, err)
		}
	}
	return tx, block, res.Confirmations, true, nil
}

// GetTxOut returns the output op names while btcd has it unspent
// (gettxout with the mempool: an output of a mempool transaction counts),
// and false once a block spends it, or btcd does not know it. btcd
// (v0.24.2) does not look at its mempool's spends: an output a mempool
// transaction spends is still returned.
func (s *Source) GetTxOut(ctx context.Context, op wire.OutPoint) (*wire.TxOut, bool, error) {
	if err := s.waitReady(ctx); err != nil {
		return nil, false, err
	}
	fut := s.client.GetTxOutAsync(&op.Hash, op.Index, true)
	res, err := call(ctx, s, fmt.Sprintf("gettxout %v", op), fut.Receive)
	if err != nil {
		return nil, false, err
	}
	if res == nil {
		return nil, false, nil
	}
	script, err := hex.DecodeString(res.ScriptPubKey.Hex)
	if err != nil {
		return nil, false, fmt.Errorf("gettxout %v: %w", op, err)
	}
	value, err := btcutil.NewAmount(res.Value)
	if err != nil {
		return nil, false, fmt.Errorf("gettxout %v: %w", op, err)
	}
	return wire.NewTxOut(int64(value), script), true, nil
}
