package miner

import (
	"math/big"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// benchHeader is a header with no valid nonce in reach: its target is 0.
func benchHeader() *wire.BlockHeader {
	return &wire.BlockHeader{
		Version:    0x20000000,
		PrevBlock:  chainhash.DoubleHashH([]byte("prev")),
		MerkleRoot: chainhash.DoubleHashH([]byte("root")),
		Timestamp:  time.Unix(1_800_000_000, 0),
		Bits:       0x1d00ffff,
	}
}

var zeroTarget = newHashTarget(new(big.Int))

// naiveSearch is the loop the miner's midstate replaces: serialize the
// whole header and hash it twice for every nonce (header.BlockHash()).
func naiveSearch(h *wire.BlockHeader, target *hashTarget, start, end uint32) (uint32, bool) {
	for n := start; ; n++ {
		h.Nonce = n
		hash := h.BlockHash()
		if target.met(&hash) {
			return n, true
		}
		if n == end {
			return 0, false
		}
	}
}

func reportRate(b *testing.B, start time.Time, n int) {
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "hashes/s")
}

// BenchmarkMinerMidstate is the miner's inner loop on one core.
func BenchmarkMinerMidstate(b *testing.B) {
	m, err := newMidstate(benchHeader())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	if b.N > 0 {
		m.search(zeroTarget, 0, uint32(b.N-1))
	}
	reportRate(b, start, b.N)
}

// BenchmarkNaiveDoubleSHA256 is header.BlockHash() per nonce on one core.
func BenchmarkNaiveDoubleSHA256(b *testing.B) {
	h := benchHeader()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	if b.N > 0 {
		naiveSearch(h, zeroTarget, 0, uint32(b.N-1))
	}
	reportRate(b, start, b.N)
}

// BenchmarkMidstateSpeedup runs both loops over the same b.N nonces in one
// run and reports how many times faster the midstate loop is. The loops
// alternate in batches of 4,096 nonces, so that a change in the load of a
// shared machine falls on both alike.
func BenchmarkMidstateSpeedup(b *testing.B) {
	m, err := newMidstate(benchHeader())
	if err != nil {
		b.Fatal(err)
	}
	h := benchHeader()
	const batch = 4096
	var naive, mid time.Duration
	for done := 0; done < b.N; done += batch {
		n := batch
		if b.N-done < n {
			n = b.N - done
		}
		start, end := uint32(done), uint32(done+n-1)
		t0 := time.Now()
		naiveSearch(h, zeroTarget, start, end)
		t1 := time.Now()
		m.search(zeroTarget, start, end)
		t2 := time.Now()
		naive += t1.Sub(t0)
		mid += t2.Sub(t1)
	}
	if b.N == 0 || mid == 0 {
		return
	}
	b.ReportMetric(naive.Seconds()/mid.Seconds(), "speedup")
	b.ReportMetric(float64(b.N)/mid.Seconds(), "midstate-hashes/s")
	b.ReportMetric(float64(b.N)/naive.Seconds(), "naive-hashes/s")
}
