package pool

import (
	"math/big"
	"time"

	"github.com/mainstake/sidenode/store"
)

// pruneMargin is how much the network difficulty may rise before a PPLNS
// window in network work reaches shares that a prune removed: Prune keeps
// the window a block found by the newest share would have at pruneMargin
// times that share's network work.
const pruneMargin = 4

// pruneChunk is how many shares one store transaction of a prune deletes.
const pruneChunk = 10_000

// PruneResult describes what one Prune did.
type PruneResult struct {
	// First is the first share the store keeps after the prune (every
	// share below it is gone); Pruned how many shares this prune
	// deleted.
	First, Pruned uint64
	// Skipped is true when the prune left the shares as they were
	// because a block was still waiting for its split.
	Skipped bool
}

// Prune deletes the shares that nothing can need any more. It keeps every
// share from the lowest of:
//
//   - the first share of the PPLNS window (Config.Window) that a block
//     found by the newest share would have, a window in network work
//     taken at pruneMargin (4) times the newest share's network work;
//   - the first share each block that is not confirmed read when it was
//     split (its PPLNS window, or the PPS funding cursor it began at),
//     for pending blocks and for orphaned blocks while the tip last seen
//     by TipChanged is less than Config.Maturity above their height (they
//     may come back and be split again);
//   - the PPS funding cursor (shares whose credit is not fully funded),
//     moved first past the shares with no credit at all;
//   - the first share of the hashrate window (Config.HashrateWindow
//     before the clock's now), which a restart reads back.
//
// The newest share is always kept. A block still waiting for its split
// makes Prune do nothing (Skipped). TipChanged calls Prune every
// Config.PruneInterval.
func (p *Pool) Prune() (PruneResult, error) {
	p.pruneMu.Lock()
	defer p.pruneMu.Unlock()
	var res PruneResult
	if err := p.settle(); err != nil {
		return res, err
	}
	now := p.cfg.Now()

	// The newest share, then the books as they are.
	p.commitMu.Lock()
	last := p.lastSeq
	p.commitMu.Unlock()
	p.mu.Lock()
	tip := p.tip
	keep := last + 1
	for _, b := range p.blocks {
		switch {
		case b.status == BlockConfirmed:
			continue
		case b.status == BlockPending && !b.split:
			res.Skipped = true
		case b.status == BlockOrphaned && tip >= b.height+p.cfg.Maturity:
			continue
		}
		keep = min(keep, max(b.from, 1))
	}
	fund := p.fund
	gen := p.gen
	p.mu.Unlock()

	var first uint64
	err := p.db.View(func(r store.Reader) error {
		var err error
		if first, err = firstShare(r); err != nil {
			return err
		}
		if res.Skipped || last < first {
			return nil
		}
		from, err := p.recentFrom(r, last, now)
		if err != nil {
			return err
		}
		keep = min(keep, from)
		return nil
	})
	res.First = first
	if err != nil {
		return res, wrapError(ErrStore, err, "reading the shares to prune")
	}
	if res.Skipped || last < first {
		return res, nil
	}

	// The PPS funding cursor: shares that carry no credit need no
	// funding, so the cursor moves past them.
	cursor := fund.cursor
	if fund.used == 0 && cursor < keep {
		err := p.db.View(func(r store.Reader) error {
			return walkForward(r, cursor, keep-1, func(s *shareRec) (bool, error) {
				if s.seq != cursor || s.credit != 0 {
					return false, nil
				}
				cursor++
				return true, nil
			})
		})
		if err != nil {
			return res, wrapError(ErrStore, err, "reading the PPS credits "+
				"to prune")
		}
	}
	p.mu.Lock()
	if cursor > fund.cursor && p.gen == gen {
		nf := &funding{cursor: cursor, returned: fund.returned}
		err := p.db.UpdateLocal(func(w *store.PlainWriter) error {
			return w.Set(keyFunding, nf.encode())
		})
		if err != nil {
			p.mu.Unlock()
			return res, wrapError(ErrStore, err, "recording the PPS "+
				"funding cursor")
		}
		p.fund = nf
		p.gen++
	}
	keep = min(keep, p.fund.cursor)
	p.mu.Unlock()

	// Delete, a chunk per transaction, each moving the first share kept.
	for first < keep {
		end := min(keep, first+pruneChunk)
		err := p.db.UpdateLocal(func(w *store.PlainWriter) error {
			for s := first; s < end; s++ {
				if err := w.Delete(seqKey(keySharePrefix, s)); err != nil {
					return err
				}
			}
			return w.Set(keyFirstShare, be64(end))
		})
		if err != nil {
			return res, wrapError(ErrStore, err, "pruning shares %d to %d",
				first, end-1)
		}
		res.Pruned += end - first
		first = end
		res.First = first
	}
	if res.Pruned > 0 {
		log.Infof("Pool: pruned %d shares; the first share kept is %d of %d",
			res.Pruned, first, last)
	}
	return res, nil
}

// recentFrom returns the first share that the next block's PPLNS window
// (with the margin) or the hashrate window ending at now may read, walking
// back from the newest share last.
func (p *Pool) recentFrom(r store.Reader, last uint64, now time.Time) (uint64, error) {
	win := p.cfg.Window
	from := last
	if win.Shares > 0 && last >= win.Shares {
		from = last - win.Shares + 1
	} else if win.Shares > 0 {
		from = 1
	}
	since := now.Add(-p.cfg.HashrateWindow).UnixNano()
	var left *big.Int
	oldest := last + 1
	err := walkBack(r, last, func(s *shareRec) (bool, error) {
		if win.Shares == 0 {
			if left == nil {
				nw := new(big.Int).Mul(s.netWork, big.NewInt(pruneMargin))
				left = windowWork(nw, win.NetMilli)
			}
			if left.Sign() > 0 {
				left.Sub(left, s.work)
				from = s.seq
			}
		}
		if s.time >= since {
			oldest = s.seq
		}
		return (left != nil && left.Sign() > 0) || s.time >= since, nil
	})
	if err != nil {
		return 0, err
	}
	return min(from, oldest), nil
}

// maybePrune prunes when Config.PruneInterval has passed since the last
// prune (or since Open).
func (p *Pool) maybePrune() error {
	if p.cfg.PruneInterval < 0 {
		return nil
	}
	now := p.cfg.Now().UnixNano()
	p.mu.Lock()
	due := now-p.lastPrune >= int64(p.cfg.PruneInterval)
	if due {
		p.lastPrune = now
	}
	p.mu.Unlock()
	if !due {
		return nil
	}
	_, err := p.Prune()
	return err
}
