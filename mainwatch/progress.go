package mainwatch

import (
	"fmt"
	"sync"
	"time"
)

// progressLogger writes one line at most every progressInterval while the
// follower connects blocks, in the form btcd's block logger uses.
type progressLogger struct {
	name string

	mu      sync.Mutex
	target  int32
	blocks  int
	txs     int
	lastLog time.Time
}

func (p *progressLogger) start(from, to int32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.target = to
	if p.lastLog.IsZero() {
		p.lastLog = time.Now()
	}
	if to-from > 1 {
		log.Infof("%s: catching up from height %d to %d", p.name, from, to)
	}
}

func (p *progressLogger) block(height int32, hash fmt.Stringer, txs int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blocks++
	p.txs += txs
	now := time.Now()
	if height >= p.target {
		// Following the tip: every block is news.
		log.Infof("%s: connected block %d %v (%d matched transactions)",
			p.name, height, hash, txs)
	} else {
		log.Debugf("%s: connected block %d %v (%d matched transactions)",
			p.name, height, hash, txs)
	}
	elapsed := now.Sub(p.lastLog)
	if elapsed < progressInterval {
		return
	}
	unit := "blocks"
	if p.blocks == 1 {
		unit = "block"
	}
	log.Infof("Processed %d %s in the last %s (height %d, target %d, "+
		"%d matched transactions, backend %s)", p.blocks, unit,
		elapsed.Truncate(time.Second), height, p.target, p.txs, p.name)
	p.blocks, p.txs = 0, 0
	p.lastLog = now
}
