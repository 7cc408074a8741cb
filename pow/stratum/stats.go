package stratum

import (
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mainstake/sidenode/pow/stratum/work"
)

// rateBuckets is the number of buckets a hashrate window is cut into.
const rateBuckets = 10

// rateWindow sums accepted share difficulty over a sliding window of
// rateBuckets buckets.
type rateWindow struct {
	bucket time.Duration
	idx    [rateBuckets]int64
	sum    [rateBuckets]float64
}

func (r *rateWindow) add(now time.Time, d float64) {
	i := now.UnixNano() / int64(r.bucket)
	slot := int(i % rateBuckets)
	if r.idx[slot] != i {
		r.idx[slot], r.sum[slot] = i, 0
	}
	r.sum[slot] += d
}

// total is the difficulty accepted in the window ending at now.
func (r *rateWindow) total(now time.Time) float64 {
	i := now.UnixNano() / int64(r.bucket)
	t := 0.0
	for k := range rateBuckets {
		if r.idx[k] > i-rateBuckets && r.idx[k] <= i {
			t += r.sum[k]
		}
	}
	return t
}

// counters are the accepted and rejected shares of a worker or of the
// server.
type counters struct {
	accepted   uint64
	acceptedD  float64
	rejected   map[int]uint64
	badNTime   uint64
	blocks     uint64
	blocksFail uint64
	window     rateWindow
	lastShare  time.Time
}

func newCounters(window time.Duration) counters {
	return counters{
		rejected: make(map[int]uint64),
		window:   rateWindow{bucket: max(window/rateBuckets, time.Millisecond)},
	}
}

// workerStats are one worker's counters.
type workerStats struct {
	name    string
	address string
	conns   atomic.Int64
	// diff is the difficulty last set on a connection of the worker
	// (math.Float64bits).
	diff atomic.Uint64
	mu   sync.Mutex
	c    counters
}

// stats are the server's counters.
type stats struct {
	windowLen   time.Duration
	connections atomic.Int64
	resumed     atomic.Uint64
	height      atomic.Int64

	mu      sync.Mutex
	c       counters
	drops   map[string]uint64
	workers map[string]*workerStats
}

func newStats(window time.Duration) *stats {
	return &stats{
		windowLen: window,
		c:         newCounters(window),
		drops:     make(map[string]uint64),
		workers:   make(map[string]*workerStats),
	}
}

// worker returns the counters of a worker name, made on first use, and
// counts one more connection of it.
func (s *stats) worker(name, address string) *workerStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.workers[name]
	if !ok {
		w = &workerStats{name: name, address: address, c: newCounters(s.windowLen)}
		s.workers[name] = w
	}
	w.conns.Add(1)
	return w
}

func (s *stats) accept(w *workerStats, d float64, now time.Time) {
	w.mu.Lock()
	w.c.accepted++
	w.c.acceptedD += d
	w.c.window.add(now, d)
	w.c.lastShare = now
	w.mu.Unlock()
	s.mu.Lock()
	s.c.accepted++
	s.c.acceptedD += d
	s.c.window.add(now, d)
	s.c.lastShare = now
	s.mu.Unlock()
}

// reject counts a refused submit by code; ntime says it was refused for
// its ntime (code 20), counted apart as well.
func (s *stats) reject(w *workerStats, code work.Code, ntime bool) {
	n := uint64(0)
	if ntime {
		n = 1
	}
	if w != nil {
		w.mu.Lock()
		w.c.rejected[int(code)]++
		w.c.badNTime += n
		w.mu.Unlock()
	}
	s.mu.Lock()
	s.c.rejected[int(code)]++
	s.c.badNTime += n
	s.mu.Unlock()
}

func (s *stats) block(w *workerStats, ok bool) {
	w.mu.Lock()
	if ok {
		w.c.blocks++
	} else {
		w.c.blocksFail++
	}
	w.mu.Unlock()
	s.mu.Lock()
	if ok {
		s.c.blocks++
	} else {
		s.c.blocksFail++
	}
	s.mu.Unlock()
}

func (s *stats) dropped(reason string) {
	s.mu.Lock()
	s.drops[reason]++
	s.mu.Unlock()
}

// prune forgets workers without connections and without shares in the
// last window.
func (s *stats) prune(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, w := range s.workers {
		w.mu.Lock()
		idle := w.conns.Load() <= 0 && now.Sub(w.c.lastShare) > s.windowLen
		w.mu.Unlock()
		if idle {
			delete(s.workers, name)
		}
	}
}

// Counters are accepted and rejected shares and a hashrate estimate.
type Counters struct {
	// Accepted is the number of accepted shares and AcceptedDifficulty
	// the sum of their difficulties.
	Accepted           uint64
	AcceptedDifficulty float64

	// Rejected counts refused submits by Stratum code (20..25).
	Rejected map[int]uint64

	// RejectedNTime counts the submits refused with code 20 because
	// their ntime lies outside the job's window (work.ErrNTime); they
	// are counted in Rejected[20] too.
	RejectedNTime uint64

	// Blocks counts the blocks found that the block sink took;
	// BlocksRefused those it refused.
	Blocks        uint64
	BlocksRefused uint64

	// Hashrate is the estimate in hashes per second: the difficulty
	// accepted over the window × 2^32 / the window.
	Hashrate float64

	LastShare time.Time
}

func (c *counters) snapshot(now time.Time, window time.Duration) Counters {
	out := Counters{
		Accepted:           c.accepted,
		AcceptedDifficulty: c.acceptedD,
		Rejected:           make(map[int]uint64, len(c.rejected)),
		RejectedNTime:      c.badNTime,
		Blocks:             c.blocks,
		BlocksRefused:      c.blocksFail,
		Hashrate:           c.window.total(now) * math.Exp2(32) / window.Seconds(),
		LastShare:          c.lastShare,
	}
	for k, v := range c.rejected {
		out.Rejected[k] = v
	}
	return out
}

// WorkerSnapshot is one worker's statistics.
type WorkerSnapshot struct {
	Name        string
	Address     string
	Connections int
	// Difficulty is the difficulty in force on the worker's connection:
	// the one last set (by vardiff, d=, suggest_difficulty, or the
	// port's start) on a connection it authorized on, whether or not a
	// share came at it yet. Counters.AcceptedDifficulty / Accepted is the
	// mean difficulty of its accepted shares.
	Difficulty float64
	Counters
}

// Snapshot is the server's statistics at one time.
type Snapshot struct {
	Time time.Time

	// Connections is the number of open connections, Resumed the
	// sessions resumed since the start, Sessions the resumable ones,
	// Bans the banned addresses.
	Connections int
	Resumed     uint64
	Sessions    int
	Bans        int

	// Height is the newest job's block height, HashrateWindow the
	// window of the hashrate estimates.
	Height         int32
	HashrateWindow time.Duration

	// Counters are the server's totals.
	Counters

	// Dropped counts closed and refused connections by reason (the
	// Drop... and Refused... constants).
	Dropped map[string]uint64

	// Workers are the workers with a connection or a share in the
	// window, by name.
	Workers []WorkerSnapshot
}

// Snapshot returns the server's statistics.
func (s *Server) Snapshot() Snapshot {
	now := s.now()
	st := s.stats
	out := Snapshot{
		Time:           now,
		Connections:    int(st.connections.Load()),
		Resumed:        st.resumed.Load(),
		Height:         int32(st.height.Load()),
		HashrateWindow: st.windowLen,
	}
	s.mu.Lock()
	out.Sessions = len(s.sessions)
	out.Bans = len(s.bans)
	s.mu.Unlock()

	st.mu.Lock()
	out.Counters = st.c.snapshot(now, st.windowLen)
	out.Dropped = make(map[string]uint64, len(st.drops))
	for k, v := range st.drops {
		out.Dropped[k] = v
	}
	workers := make([]*workerStats, 0, len(st.workers))
	for _, w := range st.workers {
		workers = append(workers, w)
	}
	st.mu.Unlock()

	for _, w := range workers {
		w.mu.Lock()
		out.Workers = append(out.Workers, WorkerSnapshot{
			Name:        w.name,
			Address:     w.address,
			Connections: int(w.conns.Load()),
			Difficulty:  math.Float64frombits(w.diff.Load()),
			Counters:    w.c.snapshot(now, st.windowLen),
		})
		w.mu.Unlock()
	}
	sort.Slice(out.Workers, func(i, j int) bool { return out.Workers[i].Name < out.Workers[j].Name })
	return out
}
