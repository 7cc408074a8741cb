package producer

import (
	"errors"
	"time"

	"github.com/btcsuite/btcd/wire"
)

// releaseBid frees the coins a header transaction that was not sent took
// from the wallet, unless a transaction sent before holds them too.
func (p *Producer) releaseBid(b *bid) {
	if b == nil || p.env.Funds == nil || len(b.coins) == 0 {
		return
	}
	p.mu.Lock()
	last := p.lastSent[b.ticket.ID]
	p.mu.Unlock()
	free := b.coins
	if last != nil {
		held := make(map[wire.OutPoint]bool, len(last.coins))
		for _, c := range last.coins {
			held[c.OutPoint] = true
		}
		free = nil
		for _, c := range b.coins {
			if !held[c.OutPoint] {
				free = append(free, c)
			}
		}
	}
	p.env.Funds.ReleaseCoins(free)
}

// startRebid starts the replacement loop of a production whose header
// transaction went out (rebid), unless rebids are off or the fee rate is
// fixed. The next mainchain block, or an undo, stops it (stopRebid).
func (p *Producer) startRebid(made *Production) {
	if p.env.RebidInterval < 0 || made.bid == nil {
		return
	}
	if !p.hasSource() {
		return
	}
	stop := make(chan struct{})
	p.mu.Lock()
	if p.rebidStop != nil {
		close(p.rebidStop)
	}
	p.rebidStop = stop
	p.mu.Unlock()
	go p.rebid(made, stop)
}

// hasSource reports whether the fee rates come from an estimate that can
// change (not a fixed rate).
func (p *Producer) hasSource() bool {
	type sourced interface{ HasSource() bool }
	s, ok := p.env.Fees.(sourced)
	return !ok || s.HasSource()
}

// stopRebid ends the wait of the current production's rebid.
func (p *Producer) stopRebid() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rebidStop != nil {
		close(p.rebidStop)
		p.rebidStop = nil
	}
}

// MinRebidGap is the least time between two rebid looks that mempool
// changes trigger (Env.MempoolChanged).
const MinRebidGap = time.Second

func (p *Producer) rebidInterval() time.Duration {
	if p.env.RebidInterval > 0 {
		return p.env.RebidInterval
	}
	return DefaultRebidInterval
}

// rebid waits for the next mainchain block after made's draw. It asks for
// the rate that block needs at once, then every RebidInterval and whenever
// the mempool changed (Env.MempoolChanged, at most once per MinRebidGap);
// when the rate has risen above what made's header transaction pays, it replaces
// the transaction (BIP125: the same publication and inputs, a higher fee
// and fee rate by the relay increment, within the caps) and tells the
// follower to forget the one replaced. It returns when stop closes, the
// mainchain moves past the draw's block, or the producer's context ends.
func (p *Producer) rebid(made *Production, stop <-chan struct{}) {
	after := p.env.After
	if after == nil {
		after = time.After
	}
	var (
		lastErr error
		last    time.Time
	)
	for first := true; ; first = false {
		if !first {
			select {
			case <-stop:
				return
			case <-p.ctx.Done():
				return
			case <-after(p.rebidInterval()):
			case <-p.env.MempoolChanged:
				// A flood of mempool changes asks at most once
				// per MinRebidGap.
				if gap := MinRebidGap - time.Since(last); gap > 0 {
					select {
					case <-stop:
						return
					case <-p.ctx.Done():
						return
					case <-after(gap):
					}
				}
			}
		}
		last = time.Now()
		est := p.env.Fees.Refresh(p.ctx)
		select {
		case <-stop:
			return
		default:
		}
		if p.env.Follower.Status().Source.Best.Height > made.height {
			return
		}
		cur := made.bid
		if est.Rate <= cur.rate() {
			log.Debugf("Rebid for the draw after block %d: the next block needs %v; "+
				"header tx %v pays %v", made.height, est.Rate, cur.tx.TxHash(), cur.rate())
			continue
		}
		next, err := p.fundHeader(made.height, cur.ticket, cur.hdr, cur, est.Rate, false)
		if err != nil {
			if lastErr == nil || !errors.Is(err, ErrFeeCap) || lastErr.Error() != err.Error() {
				log.Warnf("Cannot replace header tx %v for the draw after block %d: %v",
					cur.tx.TxHash(), made.height, err)
			}
			lastErr = err
			log.Debugf("Rebid for the draw after block %d: the next block needs %v; "+
				"header tx %v pays %v", made.height, est.Rate, cur.tx.TxHash(), cur.rate())
			continue
		}
		select {
		case <-stop:
			p.releaseBid(next)
			return
		default:
		}
		if err := p.env.Follower.Broadcast(p.ctx, next.tx); err != nil {
			log.Warnf("The mainchain node refused the replacement %v of header tx %v "+
				"for the draw after block %d: %v", next.tx.TxHash(), cur.tx.TxHash(),
				made.height, err)
			p.releaseBid(next)
			log.Debugf("Rebid for the draw after block %d: the next block needs %v; "+
				"header tx %v pays %v", made.height, est.Rate, cur.tx.TxHash(), cur.rate())
			continue
		}
		lastErr = nil
		p.env.Follower.Forget(cur.tx.TxHash())
		p.sent(made.height, next)
		p.slots.Sent(made.height, next.tx.TxHash(), next.rate(), time.Now())
		made.bid, made.tx = next, next.tx
		log.Infof("Replaced header tx %v (fee %d sat, %v) by %v (fee %d sat, %v) for the "+
			"draw after block %d: the next block needs %v", cur.tx.TxHash(), cur.fee,
			cur.rate(), next.tx.TxHash(), next.fee, next.rate(), made.height, est.Rate)
		log.Debugf("Rebid for the draw after block %d: the next block needs %v; "+
			"header tx %v pays %v", made.height, est.Rate, next.tx.TxHash(), next.rate())
	}
}
