package node

import (
	"context"
	"testing"
	"time"

	"github.com/btcsuite/btcd/rpcclient"

	"github.com/mainstake/sidenode/btctest"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/store"
)

// BenchmarkResume measures how long a node that was synced to a 5,000-block
// chain takes after a restart to open its state, connect to btcd and know
// that it is synced, against the least any restart must do in the same run:
// open a websocket RPC connection to btcd and ask for its best block.
func BenchmarkResume(b *testing.B) {
	h := btctest.NewForTest(b, btctest.Options{})
	if _, err := h.Generate(5000); err != nil {
		b.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Network = "regtest"
	cfg.DataDir = b.TempDir()
	cfg.MainWatch.Backend = BackendBtcd
	cfg.Btcd.RPCHost = h.RPCAddr
	cfg.Btcd.RPCUser = h.RPCUser
	cfg.Btcd.RPCPass = h.RPCPass
	cfg.Btcd.RPCCert = h.CertPath

	resume := func(b *testing.B) {
		db, err := OpenStore(&cfg)
		if err != nil {
			b.Fatal(err)
		}
		src, err := newSource(&cfg)
		if err != nil {
			b.Fatal(err)
		}
		if err := src.Start(); err != nil {
			b.Fatal(err)
		}
		chain := &storeChain{db: db, proto: bareProtocol{}, watchSet: noWatchSet}
		f := mainwatch.NewFollower(src, chain, mainwatch.NewWatchList(), nil)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		done := make(chan error, 1)
		go func() { done <- f.Run(ctx) }()
		for !f.Status().Synced {
			select {
			case err := <-done:
				b.Fatalf("follower stopped: %v", err)
			case <-time.After(time.Millisecond):
			}
		}
		cancel()
		<-done
		_ = src.Stop()
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
	}
	// The first run syncs the chain; the timed ones resume.
	resume(b)

	var base time.Duration
	b.Run("bare-connect-getbestblock", func(b *testing.B) {
		conn, err := h.ConnConfig(true)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		for i := 0; i < b.N; i++ {
			client, err := rpcclient.New(conn, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := client.GetBestBlock(); err != nil {
				b.Fatal(err)
			}
			client.Shutdown()
			client.WaitForShutdown()
		}
		base = time.Since(start) / time.Duration(b.N)
	})
	b.Run("resume", func(b *testing.B) {
		start := time.Now()
		for i := 0; i < b.N; i++ {
			resume(b)
		}
		per := time.Since(start) / time.Duration(b.N)
		b.ReportMetric(float64(per.Microseconds())/1000, "ms/resume")
		b.ReportMetric(float64(per)/float64(base), "x_bare")
	})
}

// bareProtocol derives nothing: the benchmark times the follower and the
// store alone.
type bareProtocol struct{}

func (bareProtocol) ConnectBlock(*store.Writer, *mainwatch.Block) error { return nil }
func (bareProtocol) DisconnectBlock(int32) error                        { return nil }
func (bareProtocol) PreviewBlock(*store.Writer, *mainwatch.Block) error { return nil }
func (bareProtocol) ForgetPreview(int32) error                          { return nil }
func (bareProtocol) BeforeUndo(mainwatch.Cursor) error                  { return nil }
func (bareProtocol) Committed(*mainwatch.Block)                         {}

func noWatchSet(store.Reader) mainwatch.WatchSet { return mainwatch.WatchSets{} }
