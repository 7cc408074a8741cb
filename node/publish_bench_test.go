package node_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/rpcclient"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/devnet"
)

// percentile returns the p-th percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p * float64(len(sorted)-1))
	return sorted[i]
}

// BenchmarkPublication measures, for a node that wins every draw, the time
// from btcd's notification of a new mainchain block to btcd's notification
// that its mempool accepted the node's header transaction, both received
// by the benchmark on a websocket of its own. The baseline is the bare
// round trip of sendrawtransaction for an ordinary transaction from the
// same machine, measured in the same run.
// Run it with -benchtime 1000x for a steady p99 (the README).
func BenchmarkPublication(b *testing.B) {
	net, err := devnet.New(b.TempDir(), sidenodeBinaryB(b), []devnet.NodeSpec{
		// A publisher output for thousands of headers.
		{Name: "solo", Backend: "btcd", Stake: 100_000_000, PublisherValue: 5_000_000},
	}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(net.Stop)
	node := net.Nodes[0]
	if err := node.Start(); err != nil {
		b.Fatal(err)
	}
	h := net.H
	if _, err := h.Generate(110); err != nil {
		b.Fatal(err)
	}
	if _, err := net.RegisterStakes(4000); err != nil {
		b.Fatal(err)
	}
	// Coins for the baseline's transactions: one output per iteration.
	outs := make([]*wire.TxOut, 0, b.N)
	for i := 0; i < b.N; i++ {
		outs = append(outs, wire.NewTxOut(50_000, h.MiningScript))
	}
	for len(outs) > 0 {
		n := min(len(outs), 500)
		if _, err := h.Send(outs[:n], 2); err != nil {
			b.Fatal(err)
		}
		outs = outs[n:]
	}
	if _, err := h.Generate(1); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := node.WaitContains(ctx, 0, "(this node)"); err != nil {
		b.Fatal(err)
	}

	bare := make([]time.Duration, 0, b.N)
	pub := make([]time.Duration, 0, b.N)
	// One websocket connection, as the node's own: an HTTP POST client
	// would pay a TLS handshake per call. btcd tells it of every
	// transaction its mempool accepts, so the time a header transaction
	// was accepted is taken without polling btcd, which would load the
	// very process being measured.
	conn, err := h.ConnConfig(true)
	if err != nil {
		b.Fatal(err)
	}
	accepted := make(chan time.Time, 16)
	connected := make(chan time.Time, 16)
	client, err := rpcclient.New(conn, &rpcclient.NotificationHandlers{
		OnTxAccepted: func(*chainhash.Hash, btcutil.Amount) {
			accepted <- time.Now()
		},
		OnFilteredBlockConnected: func(int32, *wire.BlockHeader, []*btcutil.Tx) {
			connected <- time.Now()
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer client.Shutdown()
	if err := client.NotifyNewTransactions(false); err != nil {
		b.Fatal(err)
	}
	if err := client.NotifyBlocks(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Baseline: one sendrawtransaction round trip.
		tx, err := h.Fund([]*wire.TxOut{wire.NewTxOut(10_000, h.MiningScript)}, 2)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := client.SendRawTransaction(tx, false); err != nil {
			b.Fatal(err)
		}
		bare = append(bare, time.Since(start))
		<-accepted

		// Mine the baseline transaction away, then time the header
		// transaction of the draw after the new block, from btcd's
		// notification of that block, sent on this connection as on the
		// node's.
		if _, err := h.Generate(1); err != nil {
			b.Fatal(err)
		}
		start = <-connected
		select {
		case at := <-accepted:
			pub = append(pub, at.Sub(start))
		case <-time.After(30 * time.Second):
			ctx2, c2 := context.WithTimeout(context.Background(), time.Second)
			var tail []string
			node.WaitLine(ctx2, 0, func(l string) bool { tail = append(tail, l); return false })
			c2()
			if len(tail) > 40 {
				tail = tail[len(tail)-40:]
			}
			b.Fatalf("block %d: no header transaction after 30s; the node's last lines:\n%s",
				i, strings.Join(tail, "\n"))
		}
	}
	b.StopTimer()

	// How many sideblocks the node built from the block's announcement
	// (a preview) rather than from the block; a preview that missed a
	// transaction of the block would be a bug.
	previewed := 0
	ctx3, c3 := context.WithTimeout(context.Background(), time.Second)
	node.WaitLine(ctx3, 0, func(l string) bool {
		if strings.Contains(l, "other transactions than its preview") {
			b.Errorf("the node's preview missed a transaction: %s", l)
		}
		if strings.Contains(l, "from the block's announcement") {
			previewed++
		}
		return false
	})
	c3()
	b.ReportMetric(float64(previewed)/float64(b.N), "previewed/op")

	sort.Slice(bare, func(i, j int) bool { return bare[i] < bare[j] })
	sort.Slice(pub, func(i, j int) bool { return pub[i] < pub[j] })
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(percentile(pub, 0.5)), "p50_ms")
	b.ReportMetric(ms(percentile(pub, 0.99)), "p99_ms")
	b.ReportMetric(ms(percentile(bare, 0.5)), "bare_p50_ms")
	b.ReportMetric(ms(percentile(bare, 0.99)), "bare_p99_ms")
	b.ReportMetric(ms(percentile(pub, 0.5))/ms(percentile(bare, 0.5)), "x_bare_p50")
	b.ReportMetric(ms(percentile(pub, 0.99))/ms(percentile(bare, 0.99)), "x_bare_p99")
}
