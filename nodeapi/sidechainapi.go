package nodeapi

import (
	"context"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/p2p"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// sideStatuses maps the index's block statuses to the API's.
var sideStatuses = map[sideblock.BlockStatus]api.SideBlockStatus{
	sideblock.StatusBodyMissing:     api.SideBodyMissing,
	sideblock.StatusBodyStaged:      api.SideBodyStaged,
	sideblock.StatusValid:           api.SideValid,
	sideblock.StatusInvalid:         api.SideInvalid,
	sideblock.StatusInvalidAncestor: api.SideInvalidAncestor,
}

// sideNotFound turns the chain's ErrBlockNotFound into the API's NotFound.
func sideNotFound(err error) error {
	if sideblock.IsErrorCode(err, sideblock.ErrBlockNotFound) {
		return api.Errorf(api.ErrNotFound, "%v", err)
	}
	return err
}

// sideScript decodes a sidechain address of the node's network into its
// output script.
func (b *Adapter) sideScript(field, addr string) ([]byte, error) {
	a, err := sideblock.DecodeSideAddress(addr, b.params)
	if err != nil {
		return nil, addressError(field, sidechainWord, addr, b.params)
	}
	script, err := txscript.PayToAddrScript(a)
	if err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "%s %s: the node "+
			"cannot pay this kind of address", field, addr)
	}
	return script, nil
}

// indexedScript decodes an address for the address index, which follows
// P2PKH, P2SH, P2WPKH, P2WSH and P2TR outputs only.
func (b *Adapter) indexedScript(addr string) ([]byte, error) {
	script, err := b.sideScript("address", addr)
	if err == nil && !sideblock.IsIndexedScript(script) {
		err = api.Errorf(api.ErrInvalidArgument, "address %s: the node "+
			"indexes P2PKH, P2SH, P2WPKH, P2WSH and P2TR addresses only", addr)
	}
	return script, err
}

// confirmations counts a best-chain block at height from the tip (1).
func (b *Adapter) confirmations(height int32) uint64 {
	_, tip, ok := b.sidechain.Tip()
	if !ok || tip < height {
		return 0
	}
	return uint64(tip-height) + 1
}

func (b *Adapter) SideBlock(_ context.Context, req api.SideBlockRequest) (*api.SideBlock, error) {
	chain := b.sidechain
	hash := req.Hash
	if req.ByHeight {
		h, err := chain.HashAt(int32(req.Height))
		if err != nil {
			return nil, sideNotFound(err)
		}
		hash = h
	}
	block, info, err := chain.Block(hash)
	if err != nil {
		return nil, sideNotFound(err)
	}
	out := &api.SideBlock{Hash: hash, Status: api.SideUnpublished}
	if info != nil {
		out.PrevBlock, out.MerkleRoot = info.PrevBlock, info.MerkleRoot
		out.Status = sideStatuses[info.Status]
		out.Published = true
		out.Height = uint64(info.Height)
		out.LotteryHeight, out.PubHeight, out.PubTxID = info.LotteryHeight, info.PubHeight, info.PubTxID
		out.OnBestChain = info.OnBestChain
		if info.OnBestChain {
			out.Confirmations = b.confirmations(info.Height)
		}
	} else if block != nil {
		out.PrevBlock, out.MerkleRoot = block.Header.PrevBlock, block.Header.MerkleRoot
	}
	if block != nil {
		out.HasBody = true
		out.Size = block.BodySize()
		out.TxIDs = make([]chainhash.Hash, len(block.Transactions))
		for i, tx := range block.Transactions {
			out.TxIDs[i] = tx.TxHash()
		}
		if req.Raw {
			if out.Raw, err = block.Bytes(); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func (b *Adapter) SideTransaction(_ context.Context, txid chainhash.Hash) (*api.SideTx, error) {
	out := &api.SideTx{}
	ct, ok, err := b.sidechain.ConfirmedTx(txid)
	if err != nil {
		return nil, err
	}
	if ok {
		out.Tx = ct.Tx
		out.Confirmed = true
		out.BlockHash = ct.Block.Hash
		out.BlockHeight = uint64(ct.Block.Height)
		out.LotteryHeight = ct.Block.LotteryHeight
		out.Index = ct.Index
		out.Confirmations = b.confirmations(ct.Block.Height)
		if b.notary != nil {
			out.DpowCounting = b.dpowConfs
			err := b.db.View(func(r store.Reader) error {
				var err error
				out.Notarized, err = b.covers(r, ct.Block.Height)
				return err
			})
			if err != nil {
				return nil, err
			}
		}
	} else if b.notary != nil {
		out.DpowCounting = b.dpowConfs
	}
	if tx, ok := b.pool.Get(txid); ok {
		out.InMempool = true
		if out.Tx == nil {
			out.Tx = tx
		}
	}
	if out.Tx == nil {
		return nil, api.Errorf(api.ErrNotFound, "transaction %v is neither "+
			"in the best chain nor in the mempool", txid)
	}
	return out, nil
}

func (b *Adapter) SideUnspent(_ context.Context, addr string, p api.Page) ([]api.SideUtxo, uint64, error) {
	script, err := b.indexedScript(addr)
	if err != nil {
		return nil, 0, err
	}
	var (
		coins       []sideblock.OutPointUtxo
		total       uint64
		spendHeight int32
	)
	err = b.db.View(func(r store.Reader) error {
		var err error
		if spendHeight, err = sideblock.SpendHeight(r); err != nil {
			return err
		}
		coins, total, err = sideblock.UtxosByScript(r, script, p.Offset, p.Limit, p.Reversed)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	out := make([]api.SideUtxo, len(coins))
	for i := range coins {
		c := &coins[i]
		out[i] = api.SideUtxo{
			OutPoint:      c.OutPoint,
			Value:         c.Utxo.Value,
			PkScript:      c.Utxo.PkScript,
			LotteryHeight: c.Utxo.Height,
			Coinbase:      c.Utxo.IsCoinbase,
			Spendable:     sideblock.IsSpendableAt(&c.Utxo, spendHeight),
		}
	}
	return out, total, nil
}

func (b *Adapter) SideAddressBalance(_ context.Context, addr string) (*api.SideBalance, error) {
	script, err := b.indexedScript(addr)
	if err != nil {
		return nil, err
	}
	var sb sideblock.ScriptBalance
	err = b.db.View(func(r store.Reader) error {
		h, err := sideblock.SpendHeight(r)
		if err != nil {
			return err
		}
		sb, err = sideblock.BalanceByScript(r, script, h)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &api.SideBalance{Address: addr, Total: sb.Total, Spendable: sb.Spendable,
		Immature: sb.Immature, Count: sb.Count, SpendHeight: sb.SpendHeight}, nil
}

func (b *Adapter) SendSideTransaction(_ context.Context, tx *wire.MsgTx) (chainhash.Hash, error) {
	if err := b.pool.Add(tx); err != nil {
		return chainhash.Hash{}, mempoolError(err)
	}
	txid := tx.TxHash()
	if b.peers != nil {
		b.peers.Announce(p2p.TxItem(txid))
	}
	return txid, nil
}

func (b *Adapter) SideFeeEstimate(context.Context) (*api.SideFeeEstimate, error) {
	e := b.pool.EstimateFee(sideblock.TemplateTxBytes)
	return &api.SideFeeEstimate{FeeRate: e.FeeRate, MinFeeRate: e.MinFeeRate,
		MempoolTxs: uint64(e.Count), MempoolBytes: uint64(e.Bytes), MempoolFull: e.Full}, nil
}

// mempoolRetryable are the mempool's refusals that depend on the state of
// the chain or of the pool, not on the transaction alone: it may enter
// later, or after another block (FailedPrecondition). Every other rule
// code is a transaction that can never enter (InvalidArgument).
var mempoolRetryable = map[sideblock.ErrorCode]bool{
	sideblock.ErrMissingTxOut:     true, // inputs unknown yet, or spent
	sideblock.ErrImmatureSpend:    true,
	sideblock.ErrUnfinalizedTx:    true,
	sideblock.ErrSequenceLock:     true,
	sideblock.ErrMempoolDuplicate: true,
	sideblock.ErrMempoolConflict:  true,
	sideblock.ErrMempoolFull:      true,
}

// mempoolError turns a refusal of Mempool.Add into an API error whose
// description starts with the rule's name. A store error stays as it is
// (Internal).
func mempoolError(err error) error {
	code, ok := sideblock.ErrorCodeOf(err)
	if !ok {
		return err
	}
	c := api.ErrInvalidArgument
	if mempoolRetryable[code] {
		c = api.ErrFailedPrecondition
	}
	return api.Errorf(c, "%v: %w", code, err)
}
