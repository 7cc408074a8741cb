package watchtest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/btcsuite/btcd/rpcclient"

	"github.com/mainstake/sidenode/btctest"
	"github.com/mainstake/sidenode/mainwatch"
)

// benchBlocks is the length of the chain the sync benchmarks follow.
const benchBlocks = 5000

// BenchmarkSync5000 syncs a 5,000-block regtest chain from genesis with each
// backend, and with a bare sequential getblockhash+getblock loop over one
// websocket connection as the baseline measured in the same run. Each
// backend reports blocks/s and its ratio to the baseline it is judged
// against: btcd against the bare loop, neutrino against btcd.
func BenchmarkSync5000(b *testing.B) {
	h := btctest.NewForTest(b, btctest.Options{})
	if _, err := h.Generate(benchBlocks); err != nil {
		b.Fatal(err)
	}
	unrelated := newKey(b, h).script

	var bare, full float64
	b.Run("bare-getblock", func(b *testing.B) {
		cfg, err := h.ConnConfig(true)
		if err != nil {
			b.Fatal(err)
		}
		client, err := rpcclient.New(cfg, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer client.Shutdown()
		b.ResetTimer()
		start := time.Now()
		for i := 0; i < b.N; i++ {
			for height := int64(0); height <= benchBlocks; height++ {
				hash, err := client.GetBlockHash(height)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := client.GetBlock(hash); err != nil {
					b.Fatal(err)
				}
			}
		}
		bare = rate(b, start)
	})
	b.Run("btcd", func(b *testing.B) {
		full = benchFollow(b, h, btcdBackend(), unrelated)
		b.ReportMetric(full/bare, "x_bare")
	})
	b.Run("neutrino", func(b *testing.B) {
		r := benchFollow(b, h, neutrinoBackend(), unrelated)
		b.ReportMetric(r/full, "x_btcd")
	})
	b.Run("neutrino-every-block-matches", func(b *testing.B) {
		r := benchFollow(b, h, neutrinoBackend(), h.MiningScript)
		b.ReportMetric(r/full, "x_btcd")
	})
}

// benchFollow syncs the whole chain b.N times with a fresh backend and
// chain, watching script, and returns blocks per second.
func benchFollow(b *testing.B, h *btctest.Harness, be Backend, script []byte) float64 {
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		chain := NewMemChain()
		watch := mainwatch.NewWatchList()
		watch.AddScript(script)
		src, stop := be.Start(b, h, filepath.Join(b.TempDir(), "backend"))
		f := mainwatch.NewFollower(src, chain, watch, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		done := make(chan error, 1)
		go func() { done <- f.Run(ctx) }()
		_, err := f.WaitHeight(ctx, benchBlocks)
		cancel()
		<-done
		stop()
		if err != nil {
			b.Fatalf("%s: sync: %v", be.Name, err)
		}
	}
	return rate(b, start)
}

func rate(b *testing.B, start time.Time) float64 {
	elapsed := time.Since(start)
	r := float64(b.N*(benchBlocks+1)) / elapsed.Seconds()
	b.ReportMetric(r, "blocks/s")
	return r
}
