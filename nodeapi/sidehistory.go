package nodeapi

import (
	"bytes"
	"context"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/sideblock"
)

// SideTransactions is the history of the node's own sidechain script
// (scriptHistory).
func (b *Adapter) SideTransactions(_ context.Context, blocks uint32, p api.Page) (*api.SideHistory, error) {
	_, addr, own, err := b.sideKey()
	if err != nil {
		return nil, err
	}
	return b.scriptHistory(addr.EncodeAddress(), own, blocks, p)
}

// SideAddressHistory is the history of any indexed sidechain address
// (scriptHistory); the address is checked as for SideUnspent.
func (b *Adapter) SideAddressHistory(_ context.Context, addr string, blocks uint32, p api.Page) (*api.SideHistory, error) {
	script, err := b.indexedScript(addr)
	if err != nil {
		return nil, err
	}
	return b.scriptHistory(addr, script, blocks, p)
}

// scriptHistory reads the newest blocks sideblocks of the best chain,
// oldest first, for the transactions that pay script or spend one of its
// outputs: an output of a transaction read earlier in the window, or else
// one the confirmed-transaction index finds (one index read per input of
// the window's other transactions). The caller bounds blocks.
func (b *Adapter) scriptHistory(addr string, script []byte, blocks uint32, p api.Page) (*api.SideHistory, error) {
	if b.sidechain == nil {
		return nil, api.Errorf(api.ErrUnimplemented, "the node runs without a sidechain")
	}
	h := &api.SideHistory{Address: addr}
	_, tip, ok := b.sidechain.Tip()
	if !ok {
		return h, nil
	}
	from := max(int64(tip)-int64(blocks)+1, 0)
	h.FromHeight, h.Tip = int32(from), tip
	valueTo := func(tx *wire.MsgTx, vout uint32) (int64, bool) {
		if int(vout) >= len(tx.TxOut) || !bytes.Equal(tx.TxOut[vout].PkScript, script) {
			return 0, false
		}
		return tx.TxOut[vout].Value, true
	}
	seen := make(map[chainhash.Hash]*wire.MsgTx)
	var all []api.SideWalletTx
	for height := h.FromHeight; height <= tip; height++ {
		hash, err := b.sidechain.HashAt(height)
		if err != nil {
			return nil, err
		}
		blk, _, err := b.sidechain.Block(hash)
		if err != nil {
			return nil, err
		}
		for i, tx := range blk.Transactions {
			t := api.SideWalletTx{TxID: tx.TxHash(), Height: height,
				Confirmations: uint64(tip-height) + 1, Coinbase: i == 0 && sideblock.IsCoinbase(tx)}
			for vout := range tx.TxOut {
				if v, ok := valueTo(tx, uint32(vout)); ok {
					t.Received += v
				}
			}
			if !t.Coinbase {
				for _, in := range tx.TxIn {
					prev := seen[in.PreviousOutPoint.Hash]
					if prev == nil {
						c, found, err := b.sidechain.ConfirmedTx(in.PreviousOutPoint.Hash)
						if err != nil {
							return nil, err
						}
						if !found {
							continue
						}
						prev = c.Tx
					}
					if v, ok := valueTo(prev, in.PreviousOutPoint.Index); ok {
						t.Sent += v
					}
				}
			}
			if t.Received != 0 {
				seen[t.TxID] = tx // its outputs may be spent later in the window
			}
			if t.Received != 0 || t.Sent != 0 {
				all = append(all, t)
			}
		}
	}
	h.Total = uint64(len(all))
	for _, i := range pageRange(len(all), p) {
		h.Txs = append(h.Txs, all[i])
	}
	return h, nil
}
