package feeest

import (
	"sort"
	"sync"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// Seen keeps the fee rates of the transactions the node saw in btcd's
// mempool (Mempool's snapshots), for a while after they leave it: when a
// block arrives btcd drops its transactions from the mempool, so the rates
// a block took are read from the snapshots taken before it. Its zero value
// is ready; it is safe for concurrent use.
//
// An entry is kept until SeenSnapshots snapshots in a row have not held it.
// At most MaxSeen entries are kept: when a snapshot holds more, its
// MaxSeen highest rates are kept and the rate below which entries were
// dropped is remembered (Floor then counts a block's unknown transactions
// at that cutoff).
type Seen struct {
	mu      sync.Mutex
	entries map[chainhash.Hash]seenTx
	gen     uint64
	cutoff  SatPerKVB // highest rate dropped by the bound; 0: none dropped

	lastFloor SatPerKVB
	lastKnown bool
}

type seenTx struct {
	rate SatPerKVB
	gen  uint64
}

// SeenSnapshots is how many snapshots in a row may miss an entry before
// Seen forgets it. MaxSeen bounds the entries kept.
const (
	SeenSnapshots = 12
	MaxSeen       = 200_000
)

// SeenTx is one mempool transaction of a snapshot.
type SeenTx struct {
	TxID chainhash.Hash
	MempoolTx
}

// Add records a snapshot of the mempool.
func (s *Seen) Add(pool []SeenTx) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.entries == nil {
		s.entries = make(map[chainhash.Hash]seenTx, len(pool))
	}
	s.gen++
	if len(pool) > MaxSeen {
		pool = append([]SeenTx(nil), pool...)
		sort.Slice(pool, func(i, j int) bool { return pool[i].rate() > pool[j].rate() })
		s.cutoff = max(s.cutoff, pool[MaxSeen].rate())
		pool = pool[:MaxSeen]
	}
	for _, tx := range pool {
		if tx.VSize <= 0 || tx.Fee < 0 {
			continue
		}
		s.entries[tx.TxID] = seenTx{rate: tx.rate(), gen: s.gen}
	}
	for id, e := range s.entries {
		if s.gen-e.gen >= SeenSnapshots {
			delete(s.entries, id)
		}
	}
	// Older entries that the bound leaves no room for go first.
	if over := len(s.entries) - MaxSeen; over > 0 {
		for id, e := range s.entries {
			if e.gen != s.gen {
				delete(s.entries, id)
				s.cutoff = max(s.cutoff, e.rate)
				if over--; over == 0 {
					break
				}
			}
		}
	}
}

func (tx SeenTx) rate() SatPerKVB { return SatPerKVB(tx.Fee * 1000 / tx.VSize) }

// Floor returns the lowest fee rate among the transactions of txids that
// the snapshots held, skipping those of skip (the node's own), and how
// many of them the snapshots held: none (known false) means the node
// cannot say what the block took. When the bound dropped entries, a
// transaction the snapshots do not hold may be one of them: the floor is
// then at most the rate of the highest dropped.
func (s *Seen) Floor(txids []chainhash.Hash, skip ...chainhash.Hash) (floor SatPerKVB, held int, known bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	unknown := false
	for _, id := range txids {
		if containsHash(skip, id) {
			continue
		}
		e, ok := s.entries[id]
		if !ok {
			unknown = true
			continue
		}
		if held == 0 || e.rate < floor {
			floor = e.rate
		}
		held++
	}
	if held == 0 {
		return 0, 0, false
	}
	if unknown && s.cutoff > 0 && s.cutoff < floor {
		floor = s.cutoff
	}
	return floor, held, true
}

// BlockTook records the floor of a new block's transactions (Floor), for
// LastFloor, and returns it.
func (s *Seen) BlockTook(txids []chainhash.Hash) (SatPerKVB, bool) {
	floor, _, known := s.Floor(txids)
	s.mu.Lock()
	s.lastFloor, s.lastKnown = floor, known
	s.mu.Unlock()
	return floor, known
}

// LastFloor returns the floor of the latest block recorded by BlockTook:
// known false before any, or when the snapshots held none of its
// transactions.
func (s *Seen) LastFloor() (SatPerKVB, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastFloor, s.lastKnown
}

func containsHash(hs []chainhash.Hash, h chainhash.Hash) bool {
	for _, x := range hs {
		if x == h {
			return true
		}
	}
	return false
}
