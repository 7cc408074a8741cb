package pool

import (
	"math/big"
	"sort"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// rateBuckets is how many buckets a hashrate window has.
const rateBuckets = 60

// rate sums work over a sliding window, in buckets of window/rateBuckets.
type rate struct {
	width int64 // nanoseconds per bucket
	start [rateBuckets]int64
	work  [rateBuckets]float64
}

func (r *rate) init(window time.Duration) {
	r.width = int64(window) / rateBuckets
	if r.width <= 0 {
		r.width = 1
	}
}

func (r *rate) add(t int64, work float64) {
	slot := t / r.width
	i := int(slot % rateBuckets)
	if i < 0 {
		i += rateBuckets
	}
	if r.start[i] != slot {
		r.start[i] = slot
		r.work[i] = 0
	}
	r.work[i] += work
}

// perSecond returns the work per second over the window ending at now.
func (r *rate) perSecond(now int64) float64 {
	cur := now / r.width
	var sum float64
	for i := range r.start {
		if s := r.start[i]; s > cur-rateBuckets && s <= cur {
			sum += r.work[i]
		}
	}
	return sum / (float64(r.width*rateBuckets) / 1e9)
}

// workerStat is a worker's statistics in memory.
type workerStat struct {
	rec  workerRec
	rate rate
}

// countRate adds a share's work to the hashrate windows.
func (p *Pool) countRate(worker string, t int64, work *big.Int) {
	p.statsMu.Lock()
	defer p.statsMu.Unlock()
	p.countRateLocked(worker, t, work)
}

func (p *Pool) countRateLocked(worker string, t int64, work *big.Int) {
	w, _ := new(big.Float).SetInt(work).Float64()
	p.poolRate.add(t, w)
	st, ok := p.stats[worker]
	if !ok {
		st = &workerStat{rec: workerRec{work: new(big.Int)}}
		st.rate.init(p.cfg.HashrateWindow)
		p.stats[worker] = st
	}
	st.rate.add(t, w)
}

// WorkerStats are one worker's statistics.
type WorkerStats struct {
	Name string
	// Hashrate is the estimate in hashes per second: the work of the
	// worker's shares over the last HashrateWindow, divided by it.
	Hashrate float64
	// Accepted counts the worker's accepted shares, ever.
	Accepted uint64
	// LastShare is when its last share was accepted.
	LastShare time.Time
}

// BlockStats describe a block the pool found.
type BlockStats struct {
	Hash   chainhash.Hash
	Height int32
	// Reward is what the coinbase pays the pool, in satoshis.
	Reward int64
	Status BlockStatus
	// Confirmations when the pool last saw it in the best chain.
	Confirmations int32
	Found         time.Time
	Worker        string
}

// AccountStats are one payout script's balances, in satoshis.
type AccountStats struct {
	Payout []byte
	// Immature is credited by blocks that are still pending.
	Immature int64
	// Owed is credited by confirmed blocks and not paid yet: payable.
	Owed int64
	// Paid has been paid out.
	Paid int64
	// PPSUnfunded is PPS credit that no block has funded yet.
	PPSUnfunded int64
}

// Stats is a snapshot of the pool's statistics and books, for the API,
// the metrics and the dashboard.
type Stats struct {
	Scheme Scheme
	FeeBps uint32
	Window Window
	// Hashrate is the pool's estimate in hashes per second.
	Hashrate float64
	// Accepted counts the accepted shares, ever.
	Accepted uint64
	Workers  []WorkerStats // by name
	Blocks   []BlockStats  // oldest first
	Accounts []AccountStats

	BlocksPending, BlocksConfirmed, BlocksOrphaned int

	// PPSUnfunded is PPS credit, all accounts, that no block has funded.
	PPSUnfunded int64
	// Payouts counts the payouts recorded, and PayoutsUnsent those not
	// yet known to be sent.
	Payouts, PayoutsUnsent int
}

// Snapshot returns the pool's statistics. It reads memory only.
func (p *Pool) Snapshot() Stats {
	now := p.cfg.Now().UnixNano()
	st := Stats{Scheme: p.cfg.Scheme, FeeBps: p.cfg.FeeBps,
		Window: p.cfg.Window}
	accrued := make(map[string]int64)

	p.statsMu.Lock()
	st.Hashrate = p.poolRate.perSecond(now)
	st.Accepted = p.accepted
	for name, w := range p.stats {
		ws := WorkerStats{Name: name, Hashrate: w.rate.perSecond(now),
			Accepted: w.rec.accepted}
		if w.rec.last != 0 {
			ws.LastShare = time.Unix(0, w.rec.last)
		}
		st.Workers = append(st.Workers, ws)
	}
	p.statsMu.Unlock()
	sort.Slice(st.Workers, func(i, j int) bool {
		return st.Workers[i].Name < st.Workers[j].Name
	})

	p.mu.Lock()
	accounts := make(map[string]*AccountStats)
	acct := func(k []byte) *AccountStats {
		a, ok := accounts[string(k)]
		if !ok {
			a = &AccountStats{Payout: k}
			accounts[string(k)] = a
		}
		return a
	}
	funded := make(map[string]int64)
	for _, b := range p.blocks {
		st.Blocks = append(st.Blocks, BlockStats{Hash: b.hash,
			Height: b.height, Reward: b.reward, Status: b.status,
			Confirmations: b.confs, Found: time.Unix(0, b.found),
			Worker: b.worker})
		switch b.status {
		case BlockPending:
			st.BlocksPending++
		case BlockConfirmed:
			st.BlocksConfirmed++
		case BlockOrphaned:
			st.BlocksOrphaned++
		}
		for _, a := range b.allocs {
			ac := acct(a.payout)
			if b.status == BlockConfirmed {
				ac.Owed += a.amount - a.paid
			} else {
				ac.Immature += a.amount - a.paid
			}
			ac.Paid += a.paid
			if b.scheme == SchemePPS {
				funded[string(a.payout)] += a.amount
			}
		}
	}
	for _, po := range p.payouts {
		st.Payouts++
		if po.state != payoutSent {
			st.PayoutsUnsent++
		}
	}
	p.mu.Unlock()

	p.statsMu.Lock()
	for k, c := range p.accruedBy {
		accrued[k] = c
	}
	p.statsMu.Unlock()
	for k, c := range accrued {
		if u := c - funded[k]; u != 0 {
			acct([]byte(k)).PPSUnfunded = u
			st.PPSUnfunded += u
		}
	}
	for _, a := range accounts {
		st.Accounts = append(st.Accounts, *a)
	}
	sort.Slice(st.Accounts, func(i, j int) bool {
		return string(st.Accounts[i].Payout) < string(st.Accounts[j].Payout)
	})
	return st
}
