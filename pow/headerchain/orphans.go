package headerchain

import (
	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/sideblock"
)

// orphan is a block whose parent is unknown.
type orphan struct {
	block *Block
	hash  chainhash.Hash
	size  int
	seq   uint64 // arrival order
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

func (p *orphanPool) add(b *Block, hash chainhash.Hash, size int) {
	p.seq++
	o := &orphan{block: b, hash: hash, size: size, seq: p.seq}
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
func (p *orphanPool) takeChildren(hash chainhash.Hash) []*Block {
	sibs := p.byParent[hash]
	out := make([]*Block, 0, len(sibs))
	for _, o := range append([]*orphan(nil), sibs...) {
		p.remove(o)
		out = append(out, o.block)
	}
	return out
}

// addOrphan checks what can be checked of a block without its parent, at
// most one hash, cheapest first: its coinbase claims a height not too far
// above the best tip, its time is not too far in the future, its bits are
// in range and its proof of work meets them at the claimed height. Then
// it joins the pool. All of it is checked again when the parent arrives.
func (ix *Index) addOrphan(b *Block, hash chainhash.Hash) error {
	if len(b.Transactions) == 0 || b.Transactions[0] == nil {
		return ruleErrorf(ErrBadCoinbaseHeight,
			"orphan %v has no coinbase", hash)
	}
	claimed, err := sideblock.ExtractCoinbaseHeight(b.Transactions[0])
	if err != nil {
		return RuleError{ErrorCode: ErrBadCoinbaseHeight,
			Description: err.Error(), Err: err}
	}
	limit := int64(ix.best.height) + int64(ix.cfg.Params.maxOrphanAhead())
	if int64(claimed) > limit {
		return ruleErrorf(ErrTooFarAhead,
			"orphan %v claims height %d, more than %d above the tip "+
				"at %d", hash, claimed, ix.cfg.Params.maxOrphanAhead(),
			ix.best.height)
	}
	if err := ix.checkTimeNotTooNew(&b.Header); err != nil {
		return err
	}
	target, err := ix.checkTarget(b.Header.Bits)
	if err != nil {
		return err
	}
	size := BaseSize(b)
	if size > uint64(ix.cfg.Params.maxOrphanBytes()) {
		return ruleErrorf(ErrOrphanTooBig,
			"orphan %v is %d bytes, the pool holds %d", hash, size,
			ix.cfg.Params.maxOrphanBytes())
	}
	if err := ix.checkPoW(&b.Header, &hash, claimed, target); err != nil {
		return err
	}
	ix.orphans.add(b, hash, int(size))
	return nil
}
