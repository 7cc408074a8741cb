package btctest

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcjson"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/mining"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// blockVersion is the version of the blocks MineBlock builds: the BIP9 top
// bits with no deployment signalled.
const blockVersion = 0x20000000

// MineBlock builds a block on the current best block that holds a coinbase
// and then exactly txs, in the order given, solves it and submits it. The
// coinbase pays the block subsidy alone (no fees: paying less than allowed
// is valid) to MiningScript, so the harness's wallet spends it once it
// matures, and carries the BIP34 height and the segwit witness commitment
// when a transaction has a witness. Unlike a relayed transaction, a
// transaction in a block needs only to be valid, not standard, and it may
// conflict with the mempool: btcd evicts the mempool transactions that a
// connected block double-spends. txs must come parents first. It returns
// the block's hash once btcd has made the block its tip.
func (h *Harness) MineBlock(txs []*wire.MsgTx) (*chainhash.Hash, error) {
	c := h.Client()
	tipHash, tipHeight, err := c.GetBestBlock()
	if err != nil {
		return nil, err
	}
	prev, err := c.GetBlockHeader(tipHash)
	if err != nil {
		return nil, err
	}
	info, err := c.GetBlockChainInfo()
	if err != nil {
		return nil, err
	}
	if info.BestBlockHash != tipHash.String() {
		return nil, errors.New("btctest: the tip moved while building a block")
	}
	height := tipHeight + 1

	bits := h.Params.PowLimitBits
	if !h.Params.PoWNoRetargeting {
		tmpl, err := c.GetBlockTemplate(nil)
		if err != nil {
			return nil, fmt.Errorf("getblocktemplate for the target: %w", err)
		}
		if tmpl.PreviousHash != tipHash.String() {
			return nil, errors.New("btctest: the tip moved while building a block")
		}
		var b uint64
		if _, err := fmt.Sscanf(tmpl.Bits, "%x", &b); err != nil {
			return nil, fmt.Errorf("getblocktemplate bits %q: %w", tmpl.Bits, err)
		}
		bits = uint32(b)
	}

	// The timestamp must pass the median time past; it also stays after
	// the parent's, so that the harness's blocks keep time order.
	stamp := time.Now().Truncate(time.Second)
	if min := time.Unix(info.MedianTime+1, 0); stamp.Before(min) {
		stamp = min
	}
	if min := prev.Timestamp.Add(time.Second); stamp.Before(min) {
		stamp = min
	}

	coinbase, err := h.coinbaseTx(height)
	if err != nil {
		return nil, err
	}
	all := make([]*btcutil.Tx, 0, len(txs)+1)
	all = append(all, btcutil.NewTx(coinbase))
	witness := false
	for _, tx := range txs {
		all = append(all, btcutil.NewTx(tx))
		witness = witness || tx.HasWitness()
	}
	if witness {
		mining.AddWitnessCommitment(all[0], all)
		// The coinbase changed: wrap it again so that no cached hash
		// of the old one is used for the merkle root.
		all[0] = btcutil.NewTx(coinbase)
	}

	block := wire.NewMsgBlock(&wire.BlockHeader{
		Version:    blockVersion,
		PrevBlock:  *tipHash,
		MerkleRoot: blockchain.CalcMerkleRoot(all, false),
		Timestamp:  stamp,
		Bits:       bits,
	})
	for _, tx := range all {
		if err := block.AddTransaction(tx.MsgTx()); err != nil {
			return nil, err
		}
	}
	if err := solve(&block.Header); err != nil {
		return nil, err
	}
	if err := c.SubmitBlock(btcutil.NewBlock(block), nil); err != nil {
		return nil, fmt.Errorf("submitblock at height %d: %w", height, err)
	}
	hash := block.BlockHash()
	best, _, err := c.GetBestBlock()
	if err != nil {
		return nil, err
	}
	if *best != hash {
		return nil, fmt.Errorf("btctest: btcd took block %v at height %d but its tip "+
			"is %v", hash, height, best)
	}
	return &hash, nil
}

// coinbaseTx returns a coinbase for a block at height that pays the
// subsidy to MiningScript. Its script holds the height (BIP34) and a random
// extra nonce, so that a block mined again at a height after a reorg never
// repeats a coinbase of the old branch.
func (h *Harness) coinbaseTx(height int32) (*wire.MsgTx, error) {
	script, err := txscript.NewScriptBuilder().AddInt64(int64(height)).
		AddInt64(int64(rand.Uint32())).Script()
	if err != nil {
		return nil, err
	}
	tx := wire.NewMsgTx(wire.TxVersion)
	tx.AddTxIn(&wire.TxIn{
		PreviousOutPoint: *wire.NewOutPoint(&chainhash.Hash{}, wire.MaxPrevOutIndex),
		SignatureScript:  script,
		Sequence:         wire.MaxTxInSequenceNum,
	})
	tx.AddTxOut(wire.NewTxOut(blockchain.CalcBlockSubsidy(height, h.Params),
		h.MiningScript))
	return tx, nil
}

// solve finds a nonce that meets the header's target. On regtest and
// simnet about one try in two does.
func solve(header *wire.BlockHeader) error {
	target := blockchain.CompactToBig(header.Bits)
	for nonce := uint32(0); ; nonce++ {
		header.Nonce = nonce
		hash := header.BlockHash()
		if blockchain.HashToBig(&hash).Cmp(target) <= 0 {
			return nil
		}
		if nonce == math.MaxUint32 {
			return fmt.Errorf("btctest: no nonce meets target bits %08x", header.Bits)
		}
	}
}

// GenerateExcluding mines n blocks with MineBlock. Each holds every
// transaction of btcd's mempool, parents before children, except those
// exclude returns true for and their descendants in the mempool, which stay
// in the mempool. Like generate, it also leaves out a transaction that
// the next block could not hold (an input spent or missing, or a coinbase
// that is immature again after a reorg) and its descendants.
func (h *Harness) GenerateExcluding(n uint32, exclude func(*wire.MsgTx) bool) ([]*chainhash.Hash, error) {
	var all []*chainhash.Hash
	for i := uint32(0); i < n; i++ {
		txs, err := h.mempoolExcluding(exclude)
		if err != nil {
			return all, err
		}
		hash, err := h.MineBlock(txs)
		if err != nil {
			return all, err
		}
		all = append(all, hash)
	}
	return all, nil
}

// mempoolExcluding returns the mempool transactions the next block may
// hold, apart from the excluded ones and their descendants, parents first.
func (h *Harness) mempoolExcluding(exclude func(*wire.MsgTx) bool) ([]*wire.MsgTx, error) {
	c := h.Client()
	pool, err := c.GetRawMempoolVerbose()
	if err != nil {
		return nil, err
	}
	type entry struct {
		tx   *wire.MsgTx
		time int64
		deps []string
	}
	entries := make(map[string]*entry, len(pool))
	out := make(map[string]bool) // left out, with the descendants added below
	for id, v := range pool {
		hash, err := chainhash.NewHashFromStr(id)
		if err != nil {
			return nil, err
		}
		tx, err := c.GetRawTransaction(hash)
		if err != nil {
			// Gone since getrawmempool: nothing to mine.
			out[id] = true
			continue
		}
		e := &entry{tx: tx.MsgTx(), time: v.Time, deps: v.Depends}
		entries[id] = e
		if exclude != nil && exclude(e.tx) {
			out[id] = true
			continue
		}
		ok, err := h.minable(e.tx, pool)
		if err != nil {
			return nil, err
		}
		if !ok {
			out[id] = true
		}
	}
	for changed := true; changed; {
		changed = false
		for id, e := range entries {
			if out[id] {
				continue
			}
			for _, d := range e.deps {
				if _, inPool := pool[d]; !inPool || out[d] {
					out[id] = true
					changed = true
					break
				}
			}
		}
	}

	ids := make([]string, 0, len(entries))
	for id := range entries {
		if !out[id] {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := entries[ids[i]], entries[ids[j]]
		if a.time != b.time {
			return a.time < b.time
		}
		return ids[i] < ids[j]
	})
	var txs []*wire.MsgTx
	done := make(map[string]bool, len(ids))
	var visit func(id string)
	visit = func(id string) {
		if done[id] {
			return
		}
		done[id] = true
		for _, d := range entries[id].deps {
			visit(d)
		}
		txs = append(txs, entries[id].tx)
	}
	for _, id := range ids {
		visit(id)
	}
	return txs, nil
}

// minable reports whether every input of tx that no mempool transaction
// creates spends an unspent output of the best chain that is mature in the
// next block.
func (h *Harness) minable(tx *wire.MsgTx, pool map[string]btcjson.GetRawMempoolVerboseResult) (bool, error) {
	for _, in := range tx.TxIn {
		prev := in.PreviousOutPoint
		if _, inPool := pool[prev.Hash.String()]; inPool {
			continue
		}
		utxo, err := h.Client().GetTxOut(&prev.Hash, prev.Index, false)
		if err != nil {
			return false, err
		}
		if utxo == nil {
			return false, nil
		}
		if utxo.Coinbase && utxo.Confirmations < int64(h.Params.CoinbaseMaturity) {
			return false, nil
		}
	}
	return true, nil
}

// ReorgExcluding is Reorg with the new blocks mined by GenerateExcluding:
// it replaces the top depth blocks with depth+extra new ones that leave out
// the transactions exclude returns true for and their descendants, which
// stay in btcd's mempool (those of the replaced blocks return to it). It
// returns the hashes of the new blocks.
func (h *Harness) ReorgExcluding(depth, extra uint32, exclude func(*wire.MsgTx) bool) ([]*chainhash.Hash, error) {
	if err := h.invalidateTop(depth); err != nil {
		return nil, err
	}
	return h.GenerateExcluding(depth+extra, exclude)
}
