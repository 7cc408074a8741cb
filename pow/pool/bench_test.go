package pool

import (
	"fmt"
	"math/big"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkAddShare measures AddShare with many concurrent callers, each
// share durable (the store syncs every batch) before AddShare returns,
// against a baseline in the same run: the same callers appending the
// share to a slice under a mutex. The ratio of the two is in the
// baseline's log line; shares/s is reported for both.
//
//	go test ./pow/pool -run NONE -bench AddShare -benchtime 100000x
func BenchmarkAddShare(b *testing.B) {
	clk := newClock()
	shares := make([]Share, 64)
	for i := range shares {
		shares[i] = mkShare(i, 1<<20, 1<<40, 312_500_000, 100, clk.Now())
	}
	for _, callers := range []int{64, 1000} {
		for _, scheme := range []Scheme{SchemePPLNS, SchemePPS} {
			b.Run(fmt.Sprintf("baseline/callers=%d/%v", callers, scheme),
				func(b *testing.B) {
					var mu sync.Mutex
					var log []Share
					run(b, callers, func(s Share) error {
						mu.Lock()
						log = append(log, s)
						mu.Unlock()
						return nil
					}, shares)
				})
			b.Run(fmt.Sprintf("store/callers=%d/%v", callers, scheme),
				func(b *testing.B) {
					db := openStore(b, b.TempDir())
					defer db.Close()
					p, err := Open(db, Config{Scheme: scheme,
						Now: clk.Now}, nil)
					if err != nil {
						b.Fatal(err)
					}
					defer p.Close()
					run(b, callers, p.AddShare, shares)
				})
		}
	}
}

// run calls add b.N times from callers goroutines and reports shares/s
// and the 99th percentile of one call's latency.
func run(b *testing.B, callers int, add func(Share) error, shares []Share) {
	var next atomic.Int64
	var wg sync.WaitGroup
	lat := make([][]time.Duration, callers)
	b.ResetTimer()
	start := time.Now()
	for c := 0; c < callers; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				t0 := time.Now()
				if err := add(shares[i%int64(len(shares))]); err != nil {
					b.Error(err)
					return
				}
				lat[c] = append(lat[c], time.Since(t0))
			}
		}(c)
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "shares/s")
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	if len(all) > 0 {
		sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds()),
			"p99-µs")
	}
}

// BenchmarkSplitWindow measures the accountant's split of one block over
// a PPLNS window of 100,000 shares from 1,000 workers, read back from the
// store (the cost a block find adds, off the share path).
func BenchmarkSplitWindow(b *testing.B) {
	clk := newClock()
	db := openStore(b, b.TempDir())
	defer db.Close()
	p, err := Open(db, Config{Window: Window{Shares: 100_000}, Now: clk.Now},
		nil)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	var next atomic.Int64
	var wg sync.WaitGroup
	for c := 0; c < 500; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= 100_000; i = next.Add(1) {
				s := mkShare(int(i%1000), 1<<20, 1<<40, 312_500_000,
					100, clk.Now())
				if err := p.AddShare(s); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	blk := &blockRec{seq: p.lastSeq, reward: 312_500_000,
		netWork: big.NewInt(1 << 40)}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		allocs, _, _, err := p.splitPPLNS(blk)
		if err != nil || len(allocs) != 1000 {
			b.Fatalf("%d accounts, %v", len(allocs), err)
		}
	}
	b.ReportMetric(float64(100_000*b.N)/b.Elapsed().Seconds(), "shares/s")
}

// BenchmarkPrune measures one Prune that deletes b.N shares (a window of
// 1,000 shares kept), in shares deleted a second.
//
//	go test ./pow/pool -run NONE -bench Prune -benchtime 200000x
func BenchmarkPrune(b *testing.B) {
	clk := newClock()
	db := openStore(b, b.TempDir())
	defer db.Close()
	p, err := Open(db, Config{Window: Window{Shares: 1000}, HashrateWindow: time.Second,
		PruneInterval: -1, Now: clk.Now}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	var wg sync.WaitGroup
	var next atomic.Int64
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N+1000) {
				if err := p.AddShare(mkShare(w, 1<<20, 1<<40, 312_500_000, 100, clk.Now())); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	clk.add(time.Hour)
	b.ResetTimer()
	res, err := p.Prune()
	if err != nil || res.Pruned != uint64(b.N) {
		b.Fatalf("pruned %+v, %v; want %d shares", res, err, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "shares/s")
}
