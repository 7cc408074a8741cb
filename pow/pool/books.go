package pool

import (
	"fmt"
	"math/big"

	"github.com/mainstake/sidenode/store"
)

// settle splits the reward of every block that is pending and not split
// yet, oldest first. It reads the shares it needs without holding p.mu,
// so statistics and tip changes are not held up by a long window; a
// split computed while the books changed (a block orphaned or back, a
// split by another caller) is computed again.
func (p *Pool) settle() error {
	for {
		p.mu.Lock()
		var b *blockRec
		for _, x := range p.blocks {
			if !x.split && x.status == BlockPending {
				c := *x
				b = &c
				break
			}
		}
		fund, gen := p.fund, p.gen
		p.mu.Unlock()
		if b == nil {
			return nil
		}
		nb, nf, err := p.computeSplit(b, fund)
		p.mu.Lock()
		if p.gen != gen {
			// The books changed meanwhile (a prune may have moved
			// the funding cursor past shares it deleted): again.
			p.mu.Unlock()
			continue
		}
		if err != nil {
			p.mu.Unlock()
			return err
		}
		err = p.applySplitLocked(nb, nf)
		p.mu.Unlock()
		if err != nil {
			return err
		}
	}
}

// computeSplit splits one block's reward under the configured scheme,
// from the funding state fund (PPS), which it does not change. It
// returns the split block and, under PPS, the new funding state.
func (p *Pool) computeSplit(b *blockRec, fund *funding) (*blockRec, *funding, error) {
	nb := *b
	nb.split = true
	nb.scheme = p.cfg.Scheme
	var nf *funding
	var err error
	switch p.cfg.Scheme {
	case SchemePPLNS:
		nb.allocs, nb.fee, nb.from, err = p.splitPPLNS(b)
	case SchemePPS:
		nb.allocs, nf, err = p.fundPPS(fund, b.seq, b.reward)
		nb.from = b.seq
		if fund.cursor < b.seq {
			nb.from = fund.cursor
		}
		var sum int64
		for _, a := range nb.allocs {
			sum += a.amount
		}
		nb.fee = b.reward - sum
	}
	if err == nil {
		err = p.crash("split")
	}
	return &nb, nf, err
}

// applySplitLocked records a split and applies it. p.mu is held.
func (p *Pool) applySplitLocked(nb *blockRec, nf *funding) error {
	err := p.db.UpdateLocal(func(w *store.PlainWriter) error {
		if err := w.Set(seqKey(keyBlockPrefix, nb.seq),
			nb.encode()); err != nil {
			return err
		}
		if nf != nil {
			return w.Set(keyFunding, nf.encode())
		}
		return nil
	})
	if err != nil {
		return wrapError(ErrStore, err, "recording the split of block %v",
			nb.hash)
	}
	b := p.bySeq[nb.seq]
	*b = *nb
	if nf != nil {
		p.fund = nf
	}
	p.gen++
	log.Infof("Pool: block %v (height %d) split under %v: %d satoshis "+
		"to %d accounts, fee %d", b.hash, b.height, b.scheme,
		b.reward-b.fee, len(b.allocs), b.fee)
	return nil
}

// splitPPLNS computes a block's PPLNS split: the fee, and the rest over
// the window ending at the block's share, by work. It also returns the
// oldest share of the window.
func (p *Pool) splitPPLNS(b *blockRec) ([]alloc, int64, uint64, error) {
	weights := make(weightAcc)
	from := b.seq
	err := p.db.View(func(r store.Reader) error {
		return walkWindow(r, b.seq, b.netWork, p.cfg.Window, func(s *shareRec, w *big.Int) {
			weights.add(s.payout, w)
			from = s.seq
		})
	})
	if err != nil {
		return nil, 0, 0, wrapError(ErrStore, err, "reading the PPLNS "+
			"window of block %v", b.hash)
	}
	fee := pplnsFee(b.reward, p.cfg.FeeBps)
	allocs := splitProportional(b.reward-fee, weights.sorted())
	if len(allocs) == 0 {
		fee = b.reward
	}
	return allocs, fee, from, nil
}

// walkWindow calls fn with each share of the PPLNS window win ending at
// share seq, newest first, and the weight it has in the window (its
// work, or for a window in network work the part of it the window still
// holds). netWork is the network work of the block the window is for.
// The walk ends at the first share kept (see Prune).
func walkWindow(r store.Reader, seq uint64, netWork *big.Int, win Window, fn func(*shareRec, *big.Int)) error {
	if win.Shares > 0 {
		n := win.Shares
		return walkBack(r, seq, func(s *shareRec) (bool, error) {
			fn(s, s.work)
			n--
			return n > 0, nil
		})
	}
	left := windowWork(netWork, win.NetMilli)
	return walkBack(r, seq, func(s *shareRec) (bool, error) {
		take := s.work
		if take.Cmp(left) > 0 {
			take = left
		}
		fn(s, take)
		left = new(big.Int).Sub(left, take)
		return left.Sign() > 0, nil
	})
}

// fundPPS funds PPS credits from a block's reward, oldest first: the
// credits returned by orphaned blocks in the order they were returned,
// then the shares from the funding cursor up to the block's share. It
// returns the allocations (in the order funded) and the new funding
// state; what is left of reward is the block's fee.
func (p *Pool) fundPPS(f *funding, upTo uint64, reward int64) ([]alloc, *funding, error) {
	nf := &funding{cursor: f.cursor, used: f.used}
	var acc allocAcc
	budget := reward
	i := 0
	for ; i < len(f.returned) && budget > 0; i++ {
		e := f.returned[i]
		take := min(e.amount, budget)
		acc.add(e.payout, take)
		budget -= take
		if take < e.amount {
			nf.returned = append(nf.returned, alloc{payout: e.payout,
				amount: e.amount - take})
			i++
			break
		}
	}
	nf.returned = append(nf.returned, f.returned[i:]...)
	if budget > 0 && nf.cursor <= upTo {
		err := p.db.View(func(r store.Reader) error {
			return walkForward(r, nf.cursor, upTo, func(s *shareRec) (bool, error) {
				if s.seq != nf.cursor {
					return false, poolError(ErrCorrupt, "pool "+
						"share %d missing", nf.cursor)
				}
				avail := s.credit - nf.used
				take := min(avail, budget)
				if take > 0 {
					acc.add(s.payout, take)
					budget -= take
				}
				if take == avail {
					nf.cursor, nf.used = s.seq+1, 0
				} else {
					nf.used += take
				}
				return budget > 0, nil
			})
		})
		if err != nil {
			return nil, nil, wrapError(ErrStore, err, "reading the "+
				"PPS credits up to share %d", upTo)
		}
	}
	return acc.out, nf, nil
}

// orphan takes a block's credits back: under PPS they return to the
// funding queue. Only unpaid credits exist for it (a block is paid from
// only once confirmed, and confirmed blocks are final). It returns the
// orphaned block and, if it changed, the new funding state.
func orphan(b *blockRec, f *funding) (*blockRec, *funding) {
	nb := *b
	nb.status = BlockOrphaned
	nb.confs = 0
	var nf *funding
	if b.split {
		if b.scheme == SchemePPS && len(b.allocs) > 0 {
			nf = &funding{cursor: f.cursor, used: f.used,
				returned: append([]alloc(nil), f.returned...)}
			for _, a := range b.allocs {
				nf.returned = append(nf.returned, alloc{
					payout: a.payout, amount: a.amount})
			}
		}
		nb.split = false
		nb.allocs = nil
		nb.fee = 0
	}
	return &nb, nf
}

// TipChanged brings the status of the pool's blocks up to date with the
// best chain: the node calls it on each tip change. A pending block whose
// coinbase has Config.Maturity confirmations becomes confirmed (its
// credits payable); a pending block that is not in the best chain
// although the chain reached its height becomes orphaned (its credits
// taken back); an orphaned block back in the best chain becomes pending
// and is split again. Confirmed blocks are final. Every
// Config.PruneInterval it then prunes the shares nothing needs any more
// (Prune).
func (p *Pool) TipChanged(c Chain) error {
	if err := p.settle(); err != nil {
		return err
	}
	if err := p.tipChanged(c); err != nil {
		return err
	}
	if err := p.settle(); err != nil {
		return err
	}
	return p.maybePrune()
}

// tipChanged is TipChanged's work under p.mu.
func (p *Pool) tipChanged(c Chain) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	tip := c.TipHeight()
	p.tip = tip
	fund := p.fund
	var changed []*blockRec
	var fundChanged bool
	for _, b := range p.blocks {
		if b.status == BlockConfirmed {
			continue
		}
		height, confs, ok := c.InBestChain(b.hash)
		var nb *blockRec
		switch {
		case ok && b.status == BlockOrphaned:
			nb = &blockRec{}
			*nb = *b
			nb.status, nb.confs, nb.height = BlockPending, confs, height
			log.Infof("Pool: block %v is back in the best chain",
				b.hash)
		case ok && b.split && confs >= p.cfg.Maturity:
			nb = &blockRec{}
			*nb = *b
			nb.status, nb.confs = BlockConfirmed, confs
			log.Infof("Pool: block %v (height %d) confirmed: %d "+
				"satoshis payable", b.hash, height, b.reward-b.fee)
		case ok && confs != b.confs:
			nb = &blockRec{}
			*nb = *b
			nb.confs = confs
		case !ok && b.status == BlockPending && tip >= b.height:
			var nf *funding
			nb, nf = orphan(b, fund)
			if nf != nil {
				fund, fundChanged = nf, true
			}
			log.Warnf("Pool: block %v (height %d) orphaned; its "+
				"credits are taken back", b.hash, b.height)
		}
		if nb != nil {
			changed = append(changed, nb)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	err := p.db.UpdateLocal(func(w *store.PlainWriter) error {
		for _, b := range changed {
			if err := w.Set(seqKey(keyBlockPrefix, b.seq),
				b.encode()); err != nil {
				return err
			}
		}
		if fundChanged {
			return w.Set(keyFunding, fund.encode())
		}
		return nil
	})
	if err != nil {
		return wrapError(ErrStore, err, "recording block statuses")
	}
	for _, nb := range changed {
		*p.bySeq[nb.seq] = *nb
	}
	p.fund = fund
	p.gen++
	return nil
}

// String describes a block, for logs and errors.
func (b *blockRec) String() string {
	return fmt.Sprintf("block %v (height %d, share %d)", b.hash, b.height,
		b.seq)
}
