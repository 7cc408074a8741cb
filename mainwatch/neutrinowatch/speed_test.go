package neutrinowatch

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/mainstake/sidenode/btctest"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/mainwatch/btcdwatch"
)

// TestSyncSpeed compares a follower's catch-up over NEUTRINOWATCH_SPEED_BLOCKS
// regtest blocks on this backend with the btcd backend's pipelined getblock
// RPC. It is skipped unless the variable is set, since mining the blocks
// takes a while:
//
//	NEUTRINOWATCH_SPEED_BLOCKS=5000 go test -run SyncSpeed -v ./mainwatch/neutrinowatch/
func TestSyncSpeed(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("NEUTRINOWATCH_SPEED_BLOCKS"))
	if n <= 0 {
		t.Skip("set NEUTRINOWATCH_SPEED_BLOCKS to run")
	}
	h := btctest.NewForTest(t, btctest.Options{})
	start := time.Now()
	generate(t, h, uint32(n))
	t.Logf("mined %d blocks in %v", n, time.Since(start).Round(time.Millisecond))

	// none watches nothing, other a script no block pays, and mining the
	// script every coinbase pays, so that every block is downloaded.
	lists := []struct {
		name   string
		script []byte
	}{
		{"none", nil},
		{"other", newScript(t, h)},
		{"mining", h.MiningScript},
	}

	measure := func(t *testing.T, src mainwatch.Source, script []byte) time.Duration {
		watch := mainwatch.NewWatchList()
		if script != nil {
			watch.AddScript(script)
		}
		chain := newMemChain()
		start := time.Now()
		r := runFollower(t, src, chain, watch)
		r.waitSynced(t, h)
		took := time.Since(start)
		r.stop()
		return took
	}
	rate := func(d time.Duration) float64 { return float64(n+1) / d.Seconds() }

	btcd := make(map[string]time.Duration)
	for _, l := range lists {
		t.Run("btcd/"+l.name, func(t *testing.T) {
			cert, err := h.Cert()
			if err != nil {
				t.Fatal(err)
			}
			src, err := btcdwatch.New(btcdwatch.Config{
				Host: h.RPCAddr, User: h.RPCUser, Pass: h.RPCPass,
				Cert: cert, Params: h.Params,
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := src.Start(); err != nil {
				t.Fatal(err)
			}
			defer src.Stop()
			btcd[l.name] = measure(t, src, l.script)
			t.Logf("btcd: %d blocks in %v, %.0f blocks/s", n+1,
				btcd[l.name].Round(time.Millisecond), rate(btcd[l.name]))
		})
	}

	// The header sync is measured once, from a fresh directory; the
	// follower runs then start on the synced directory.
	dir := t.TempDir()
	t.Run("neutrino/headers", func(t *testing.T) {
		start := time.Now()
		src := newSource(t, h, dir, []string{h.P2PAddr}, nil)
		deadline := time.Now().Add(syncTimeout)
		for src.Status().Best.Height < int32(n) {
			if time.Now().After(deadline) {
				t.Fatalf("headers not synced: %+v", src.Status())
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Logf("neutrino: headers and filter headers of %d blocks in %v",
			n, time.Since(start).Round(time.Millisecond))
	})
	for _, l := range lists {
		t.Run("neutrino/"+l.name, func(t *testing.T) {
			src := newSource(t, h, dir, []string{h.P2PAddr}, nil)
			// Wait for the peer, as a running node would have it.
			deadline := time.Now().Add(syncTimeout)
			for !src.Status().Connected {
				if time.Now().After(deadline) {
					t.Fatal("no peer")
				}
				time.Sleep(5 * time.Millisecond)
			}
			took := measure(t, src, l.script)
			t.Logf("neutrino: %d blocks in %v, %.0f blocks/s (%.0f%% of btcd's)",
				n+1, took.Round(time.Millisecond), rate(took),
				100*btcd[l.name].Seconds()/took.Seconds())
		})
	}
}
