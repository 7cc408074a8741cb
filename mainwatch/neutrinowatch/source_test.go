package neutrinowatch

import (
	"context"
	"errors"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/btcsuite/btclog"

	"github.com/mainstake/sidenode/btctest"
	"github.com/mainstake/sidenode/mainwatch"
)

// syncTimeout bounds how long the follower may take to reach btcd's tip.
const syncTimeout = 2 * time.Minute

func TestMain(m *testing.M) {
	// NEUTRINOWATCH_DEBUG=1 shows this package's and neutrino's logs.
	if os.Getenv("NEUTRINOWATCH_DEBUG") != "" {
		backend := btclog.NewBackend(os.Stderr)
		l := backend.Logger("NWCH")
		l.SetLevel(btclog.LevelDebug)
		UseLogger(l)
		mainwatch.UseLogger(l)
		n := backend.Logger("NTRN")
		n.SetLevel(btclog.LevelDebug)
		NeutrinoUseLogger(n)
	}
	os.Exit(m.Run())
}

// newSource starts a neutrino source on dir that connects to peers only,
// and stops it when the test ends.
func newSource(t *testing.T, h *btctest.Harness, dir string, peers []string,
	edit func(*Config)) *Source {

	t.Helper()
	cfg := Config{DataDir: dir, Params: h.Params, ConnectPeers: peers}
	if edit != nil {
		edit(&cfg)
	}
	src, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := src.Stop(); err != nil {
			t.Errorf("stop source: %v", err)
		}
	})
	if err := src.Start(); err != nil {
		t.Fatal(err)
	}
	return src
}

func generate(t *testing.T, h *btctest.Harness, n uint32) []*chainhash.Hash {
	t.Helper()
	hashes, err := h.Generate(n)
	if err != nil {
		t.Fatal(err)
	}
	return hashes
}

// TestBlocksBounded checks that Blocks gives up within the query timeout
// when no peer serves filters: first with no peer at all, then with a peer
// that completes the handshake and answers nothing.
func TestBlocksBounded(t *testing.T) {
	h := btctest.NewForTest(t, btctest.Options{})
	generate(t, h, 50)
	dir := t.TempDir()

	// Sync the headers and filter headers, then stop.
	func() {
		src := newSource(t, h, dir, []string{h.P2PAddr}, nil)
		deadline := time.Now().Add(syncTimeout)
		for src.Status().Best.Height < 50 {
			if time.Now().After(deadline) {
				t.Fatalf("headers not synced: %+v", src.Status())
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err := src.Stop(); err != nil {
			t.Fatal(err)
		}
	}()

	stall := newStallPeer(t, h)
	deadPort, err := btctest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		peer      string
		connected bool
	}{
		{"NoPeer", "127.0.0.1:" + strconv.Itoa(deadPort), false},
		{"StallingPeer", stall.addr, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			const timeout = 3 * time.Second
			src := newSource(t, h, dir, []string{c.peer}, func(cfg *Config) {
				cfg.QueryTimeout = timeout
			})
			deadline := time.Now().Add(10 * time.Second)
			for c.connected && !src.Status().Connected {
				if time.Now().After(deadline) {
					t.Fatalf("no connection to %s: %+v", c.peer, src.Status())
				}
				time.Sleep(10 * time.Millisecond)
			}
			best, err := src.Best(context.Background())
			if err != nil || best.Height != 50 {
				t.Fatalf("best %v %v, want the synced height 50", best, err)
			}
			watch := mainwatch.NewWatchList()
			watch.AddScript(h.MiningScript)
			start := time.Now()
			err = returns(t, func() error {
				return src.Blocks(context.Background(), 1, 50, watch, func(*mainwatch.Block) error {
					return errors.New("no block can be delivered")
				})
			})
			if err == nil {
				t.Fatal("Blocks returned no error without a peer that answers")
			}
			t.Logf("Blocks gave up after %v: %v", time.Since(start).Round(time.Millisecond), err)
			if st := src.Status(); st.Err == "" || st.Connected != c.connected {
				t.Errorf("status %+v, want the failure reported and "+
					"connected %v", st, c.connected)
			}
			if err := src.SendTx(context.Background(), wire.NewMsgTx(2)); c.connected == (err != nil) {
				t.Errorf("SendTx with connected %v: %v", c.connected, err)
			}

			// A cancelled context ends Blocks at once.
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				time.Sleep(200 * time.Millisecond)
				cancel()
			}()
			err = returns(t, func() error {
				return src.Blocks(ctx, 1, 50, watch, func(*mainwatch.Block) error { return nil })
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Blocks returned %v, want context.Canceled", err)
			}
		})
	}
}

// returns runs fn and fails the test if it hangs: the bound is far above
// any timeout fn is configured with, so only a hang trips it.
func returns(t *testing.T, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		t.Fatal("call hung for a minute")
		return nil
	}
}
