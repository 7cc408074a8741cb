package feeest

import (
	"context"
	"fmt"
	"sort"

	"github.com/btcsuite/btcd/btcjson"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// BlockVSize is the virtual size of the next block that NextBlockRate
// fills: btcd's default --blockmaxweight of 3,000,000 weight units, three
// quarters of the consensus maximum. Mainnet miners fill up to 4,000,000,
// so a rate that makes the first three quarters of a block makes it with
// room to spare for what arrives before the block is found.
const BlockVSize = 3_000_000 / 4

// MempoolTx is one mempool transaction as NextBlockRate ranks it.
type MempoolTx struct {
	Fee   int64 // sat
	VSize int64 // virtual bytes
}

// NextBlockRate returns the fee rate a transaction of ownVSize virtual
// bytes needs to be ranked into the first blockVSize virtual bytes of the
// next block, with the transactions of pool ranked by fee rate (fee ×
// 1000 / vsize, btcd's FeePerKB), highest first: one sat/kvB above the
// rate of the transaction at which the block is full. It returns 0 when
// the whole pool fits with room for ownVSize: then any rate the network
// relays makes the block. Entries without a positive size are skipped.
func NextBlockRate(pool []MempoolTx, blockVSize, ownVSize int64) SatPerKVB {
	type ranked struct {
		rate  int64
		vsize int64
	}
	txs := make([]ranked, 0, len(pool))
	for _, tx := range pool {
		if tx.VSize <= 0 || tx.Fee < 0 {
			continue
		}
		txs = append(txs, ranked{tx.Fee * 1000 / tx.VSize, tx.VSize})
	}
	sort.Slice(txs, func(i, j int) bool { return txs[i].rate > txs[j].rate })
	room := blockVSize - ownVSize
	var used int64
	for _, tx := range txs {
		used += tx.vsize
		if used > room {
			return SatPerKVB(tx.rate + 1)
		}
	}
	return 0
}

// RawMempool is btcd's verbose mempool; *rpcclient.Client and
// btcdwatch.Source serve it.
type RawMempool interface {
	RawMempoolVerbose(ctx context.Context) (map[string]btcjson.GetRawMempoolVerboseResult, error)
}

// Mempool is the Source of a btcd backend: it ranks btcd's mempool (see
// NextBlockRate).
type Mempool struct {
	Pool RawMempool

	// OwnVSize is the virtual size of the transaction the estimate is
	// for (a header transaction with a few wallet inputs).
	OwnVSize int64

	// Seen, when set, keeps each snapshot's rates by transaction id, for
	// the rates the next blocks take (Seen.Floor).
	Seen *Seen
}

// NextBlockRate implements Source.
func (m *Mempool) NextBlockRate(ctx context.Context) (SatPerKVB, error) {
	raw, err := m.Pool.RawMempoolVerbose(ctx)
	if err != nil {
		return 0, err
	}
	pool := make([]MempoolTx, 0, len(raw))
	var seen []SeenTx
	if m.Seen != nil {
		seen = make([]SeenTx, 0, len(raw))
	}
	for txid, e := range raw {
		vsize := int64(e.Vsize)
		if vsize <= 0 {
			vsize = int64(e.Size)
		}
		fee, err := btcutil.NewAmount(e.Fee)
		if err != nil || fee < 0 {
			return 0, fmt.Errorf("btcd's mempool entry %s has fee %v BTC: %v", txid, e.Fee, err)
		}
		pool = append(pool, MempoolTx{Fee: int64(fee), VSize: vsize})
		if m.Seen != nil {
			if id, err := chainhash.NewHashFromStr(txid); err == nil {
				seen = append(seen, SeenTx{TxID: *id, MempoolTx: pool[len(pool)-1]})
			}
		}
	}
	if m.Seen != nil {
		m.Seen.Add(seen)
	}
	return NextBlockRate(pool, BlockVSize, m.OwnVSize), nil
}
