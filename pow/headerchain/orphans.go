package headerchain

import (
	"fmt"
	"math/big"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/sideblock"
)

// orphan is a block whose parent is unknown.
type orphan struct {
	block *Block
	hash  chainhash.Hash
	size  int
	seq   uint64 // arrival order

	// powHeight is the height its proof of work was verified at: the
	// height its coinbase claims. When the parent comes and the block
	// is at that height, the check is not repeated.
	powHeight int32
}

// orphanPool holds orphans, bounded by count and bytes; adding one beyond
// a bound evicts the oldest. Guarded by the index's lock.
type orphanPool struct {
	params   *Params
	byHash   map[chainhash.Hash]*orphan
	byParent map[chainhash.Hash][]*orphan
	fifo     []*orphan // arrival order; removed entries are skipped
	bytes    int
	seq      uint64
}

func (p *orphanPool) init(params *Params) {
	p.params = params
	p.byHash = make(map[chainhash.Hash]*orphan)
	p.byParent = make(map[chainhash.Hash][]*orphan)
}

func (p *orphanPool) add(b *Block, hash chainhash.Hash, size int, powHeight int32) {
	p.seq++
	o := &orphan{block: b, hash: hash, size: size, seq: p.seq,
		powHeight: powHeight}
	p.byHash[hash] = o
	prev := b.Header.PrevBlock
	p.byParent[prev] = append(p.byParent[prev], o)
	p.fifo = append(p.fifo, o)
	p.bytes += size
	for len(p.byHash) > p.params.maxOrphans() ||
		p.bytes > p.params.maxOrphanBytes() {
		p.evictOldest()
	}
}

func (p *orphanPool) evictOldest() {
	for len(p.fifo) > 0 {
		o := p.fifo[0]
		p.fifo[0] = nil
		p.fifo = p.fifo[1:]
		if p.byHash[o.hash] == o {
			p.remove(o)
			return
		}
	}
}

func (p *orphanPool) remove(o *orphan) {
	delete(p.byHash, o.hash)
	p.bytes -= o.size
	prev := o.block.Header.PrevBlock
	sibs := p.byParent[prev]
	for i, s := range sibs {
		if s == o {
			sibs = append(sibs[:i], sibs[i+1:]...)
			break
		}
	}
	if len(sibs) == 0 {
		delete(p.byParent, prev)
	} else {
		p.byParent[prev] = sibs
	}
	if len(p.byHash) == 0 {
		p.fifo = nil // drop the skipped entries
	}
}

// takeChildren removes and returns the orphans whose parent is hash, in
// arrival order.
func (p *orphanPool) takeChildren(hash chainhash.Hash) []*orphan {
	sibs := append([]*orphan(nil), p.byParent[hash]...)
	for _, o := range sibs {
		p.remove(o)
	}
	return sibs
}

// orphanCheck is an orphan that passed the checks made under the lock.
type orphanCheck struct {
	claimed int32
	target  *big.Int
	size    int
}

// checkOrphan checks, under the lock, what can be checked of a block
// without its parent, cheapest first: its coinbase claims a height not too
// far above the best tip, its time is not too far in the future, its bits
// are in range and it fits the pool. Its proof of work at the claimed
// height is checked next, without the lock (verifyOrphan); then it joins
// the pool. All of it is checked again when the parent arrives, except
// the proof of work if the block is at the height it claimed.
func (ix *Index) checkOrphan(b *Block, hash chainhash.Hash) (*orphanCheck, error) {
	if len(b.Transactions) == 0 || b.Transactions[0] == nil {
		return nil, ruleErrorf(ErrBadCoinbaseHeight,
			"orphan %v has no coinbase", hash)
	}
	claimed, err := sideblock.ExtractCoinbaseHeight(b.Transactions[0])
	if err != nil {
		return nil, RuleError{ErrorCode: ErrBadCoinbaseHeight,
			Description: err.Error(), Err: err}
	}
	limit := int64(ix.best.height) + int64(ix.cfg.Params.maxOrphanAhead())
	if int64(claimed) > limit {
		return nil, ruleErrorf(ErrTooFarAhead,
			"orphan %v claims height %d, more than %d above the tip "+
				"at %d", hash, claimed, ix.cfg.Params.maxOrphanAhead(),
			ix.best.height)
	}
	if err := ix.checkTimeNotTooNew(&b.Header); err != nil {
		return nil, err
	}
	target, err := ix.checkTarget(b.Header.Bits)
	if err != nil {
		return nil, err
	}
	size := BaseSize(b)
	if size > uint64(ix.cfg.Params.maxOrphanBytes()) {
		return nil, ruleErrorf(ErrOrphanTooBig,
			"orphan %v is %d bytes, the pool holds %d", hash, size,
			ix.cfg.Params.maxOrphanBytes())
	}
	return &orphanCheck{claimed: claimed, target: target, size: int(size)}, nil
}

// verifyOrphan checks an orphan's proof of work at the height it claims,
// without the lock. Its branch is unknown, so it is never worth a cache
// build: a header that is not ready is ErrColdBranch.
func (ix *Index) verifyOrphan(b *Block, hash chainhash.Hash, c *orphanCheck) error {
	if ix.readiness != nil {
		ready, err := ix.readiness.Ready(&b.Header, c.claimed)
		if err != nil {
			return fmt.Errorf("proof of work at height %d: %w", c.claimed, err)
		}
		if !ready {
			return ruleErrorf(ErrColdBranch,
				"orphan %v would need a cache build at height %d "+
					"and its branch is unknown", hash, c.claimed)
		}
	}
	return ix.checkPoW(&b.Header, &hash, c.claimed, c.target)
}
