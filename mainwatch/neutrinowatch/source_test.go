package neutrinowatch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
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

// memChain is an in-memory mainwatch.Chain that records what it is given.
type memChain struct {
	mu          sync.Mutex
	hashes      []chainhash.Hash
	txs         map[chainhash.Hash][]mainwatch.Tx
	connects    int
	disconnects int
}

func newMemChain() *memChain {
	return &memChain{txs: make(map[chainhash.Hash][]mainwatch.Tx)}
}

func (m *memChain) Tip() (mainwatch.Cursor, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(m.hashes)
	if n == 0 {
		return mainwatch.Cursor{Height: -1}, nil
	}
	return mainwatch.Cursor{Height: int32(n - 1), Hash: m.hashes[n-1]}, nil
}

func (m *memChain) HashAt(height int32) (chainhash.Hash, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if height < 0 || int(height) >= len(m.hashes) {
		return chainhash.Hash{}, fmt.Errorf("no block at %d", height)
	}
	return m.hashes[height], nil
}

func (m *memChain) ConnectBlock(_ context.Context, b *mainwatch.Block) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if int(b.Height) != len(m.hashes) {
		return fmt.Errorf("connect %d on tip %d", b.Height, len(m.hashes)-1)
	}
	if b.Height > 0 && b.Header.PrevBlock != m.hashes[b.Height-1] {
		return fmt.Errorf("block %v does not extend %v", b.Hash, m.hashes[b.Height-1])
	}
	if b.Header.BlockHash() != b.Hash {
		return fmt.Errorf("block %v carries the header of %v", b.Hash, b.Header.BlockHash())
	}
	m.hashes = append(m.hashes, b.Hash)
	m.txs[b.Hash] = b.Txs
	m.connects++
	return nil
}

func (m *memChain) DisconnectBlock(_ context.Context, tip mainwatch.Cursor) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(m.hashes)
	if n == 0 || int(tip.Height) != n-1 || m.hashes[n-1] != tip.Hash {
		return fmt.Errorf("disconnect %v: not the tip", tip)
	}
	delete(m.txs, tip.Hash)
	m.hashes = m.hashes[:n-1]
	m.disconnects++
	return nil
}

func (m *memChain) snapshot() (hashes []chainhash.Hash, connects, disconnects int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]chainhash.Hash(nil), m.hashes...), m.connects, m.disconnects
}

func (m *memChain) txsOf(hash chainhash.Hash) []mainwatch.Tx {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.txs[hash]
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

// runner is a Follower running in the background until the test ends.
type runner struct {
	f      *mainwatch.Follower
	chain  *memChain
	cancel context.CancelFunc
	done   chan error
}

func runFollower(t *testing.T, src mainwatch.Source, chain *memChain,
	watch *mainwatch.WatchList) *runner {

	ctx, cancel := context.WithCancel(context.Background())
	r := &runner{
		f:      mainwatch.NewFollower(src, chain, watch),
		chain:  chain,
		cancel: cancel,
		done:   make(chan error, 1),
	}
	go func() { r.done <- r.f.Run(ctx) }()
	t.Cleanup(r.stop)
	return r
}

func (r *runner) stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	<-r.done
	r.cancel = nil
}

// waitSynced waits until the chain's tip is btcd's tip.
func (r *runner) waitSynced(t *testing.T, h *btctest.Harness) {
	t.Helper()
	deadline := time.Now().Add(syncTimeout)
	for {
		height, hash, err := h.Tip()
		if err != nil {
			t.Fatalf("btcd tip: %v", err)
		}
		tip, _ := r.chain.Tip()
		if tip.Height == height && tip.Hash == hash {
			return
		}
		select {
		case err := <-r.done:
			t.Fatalf("follower stopped: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("not synced after %v: chain tip %v, btcd %d:%v (status %+v)",
				syncTimeout, tip, height, hash, r.f.Status())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// assertSameChain compares every applied hash with btcd's best chain.
func assertSameChain(t *testing.T, h *btctest.Harness, chain *memChain) {
	t.Helper()
	hashes, _, _ := chain.snapshot()
	height, _, err := h.Tip()
	if err != nil {
		t.Fatal(err)
	}
	if len(hashes) != int(height)+1 {
		t.Fatalf("chain has %d blocks, btcd %d", len(hashes), height+1)
	}
	for i, got := range hashes {
		want, err := h.Client().GetBlockHash(int64(i))
		if err != nil {
			t.Fatal(err)
		}
		if got != *want {
			t.Fatalf("height %d: chain has %v, btcd %v", i, got, want)
		}
	}
}

func newScript(t *testing.T, h *btctest.Harness) []byte {
	t.Helper()
	priv, err := btcec.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	addr, err := btcutil.NewAddressWitnessPubKeyHash(
		btcutil.Hash160(priv.PubKey().SerializeCompressed()), h.Params)
	if err != nil {
		t.Fatal(err)
	}
	script, err := txscript.PayToAddrScript(addr)
	if err != nil {
		t.Fatal(err)
	}
	return script
}

func generate(t *testing.T, h *btctest.Harness, n uint32) []*chainhash.Hash {
	t.Helper()
	hashes, err := h.Generate(n)
	if err != nil {
		t.Fatal(err)
	}
	return hashes
}

// TestFollowBtcd drives a Follower with the neutrino source against a real
// btcd: initial sync, a watched payment, a broadcast and its confirmation,
// and a reorg.
func TestFollowBtcd(t *testing.T) {
	h := btctest.NewForTest(t, btctest.Options{})
	const initial = 300
	generate(t, h, initial)

	start := time.Now()
	src := newSource(t, h, t.TempDir(), []string{h.P2PAddr}, nil)
	chain := newMemChain()
	watch := mainwatch.NewWatchList()
	r := runFollower(t, src, chain, watch)
	r.waitSynced(t, h)
	t.Logf("synced %d blocks from a fresh data dir in %v", initial+1,
		time.Since(start).Round(time.Millisecond))
	assertSameChain(t, h, chain)
	if _, c, d := chain.snapshot(); c != initial+1 || d != 0 {
		t.Fatalf("connects %d disconnects %d, want %d and 0", c, d, initial+1)
	}

	// Status reflects the synced tip and the one peer.
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := src.Status()
		tip, _ := chain.Tip()
		if st.Backend == "neutrino" && st.Connected && st.Peers == 1 &&
			st.Best == tip && st.Headers == tip.Height && st.Err == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status %+v, want the tip %v and one peer", st, tip)
		}
		time.Sleep(50 * time.Millisecond)
	}

	t.Run("WatchedPayment", func(t *testing.T) {
		watched, other := newScript(t, h), newScript(t, h)
		watch.AddScript(watched)
		if _, err := h.Send([]*wire.TxOut{wire.NewTxOut(40_000, other)}, 2); err != nil {
			t.Fatal(err)
		}
		pay, err := h.Send([]*wire.TxOut{wire.NewTxOut(50_000, watched)}, 2)
		if err != nil {
			t.Fatal(err)
		}
		mined := time.Now()
		blk := generate(t, h, 1)[0]
		r.waitSynced(t, h)
		t.Logf("followed a block with a watched payment in %v",
			time.Since(mined).Round(time.Millisecond))

		block, err := h.Client().GetBlock(blk)
		if err != nil {
			t.Fatal(err)
		}
		want := -1
		for i, tx := range block.Transactions {
			if tx.TxHash() == pay.TxHash() {
				want = i
			}
		}
		if want < 0 || len(block.Transactions) != 3 {
			t.Fatalf("block %v has %d transactions, payment at %d",
				blk, len(block.Transactions), want)
		}
		got := chain.txsOf(*blk)
		if len(got) != 1 || got[0].MsgTx.TxHash() != pay.TxHash() || got[0].Index != want {
			t.Fatalf("block %v delivered %+v, want %v at index %d", blk, got,
				pay.TxHash(), want)
		}

		// The next block does not touch the script and carries nothing.
		blk = generate(t, h, 1)[0]
		r.waitSynced(t, h)
		if got := chain.txsOf(*blk); len(got) != 0 {
			t.Fatalf("block %v delivered %d transactions, want none", blk, len(got))
		}
	})

	t.Run("BroadcastConfirm", func(t *testing.T) {
		tx, err := h.Fund([]*wire.TxOut{wire.NewTxOut(70_000, newScript(t, h))}, 2)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), syncTimeout)
		defer cancel()
		sent := time.Now()
		if err := r.f.Broadcast(ctx, tx); err != nil {
			t.Fatalf("broadcast: %v", err)
		}
		if d := time.Since(sent); d > 500*time.Millisecond {
			t.Errorf("broadcast took %v; it must not wait for rejects", d)
		}
		txid := tx.TxHash()
		waitMempool(t, h, txid)

		blk := generate(t, h, 1)[0]
		conf, err := r.f.Confirmed(ctx, txid, 1)
		if err != nil {
			t.Fatal(err)
		}
		if conf.BlockHash != *blk || conf.Confirmations != 1 {
			t.Fatalf("confirmation %+v, want block %v with 1 confirmation", conf, blk)
		}
	})

	t.Run("Reorg", func(t *testing.T) {
		_, _, before := chain.snapshot()
		start := time.Now()
		if _, err := h.Reorg(3, 1); err != nil {
			t.Fatal(err)
		}
		r.waitSynced(t, h)
		t.Logf("followed the reorg in %v", time.Since(start).Round(time.Millisecond))
		assertSameChain(t, h, chain)
		if _, _, d := chain.snapshot(); d-before != 3 {
			t.Fatalf("disconnected %d blocks, want 3", d-before)
		}
	})
}

func waitMempool(t *testing.T, h *btctest.Harness, txid chainhash.Hash) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		pool, err := h.Client().GetRawMempool()
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range pool {
			if *id == txid {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v never reached btcd's mempool", txid)
		}
		time.Sleep(20 * time.Millisecond)
	}
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
			err = src.Blocks(context.Background(), 1, 50, watch, func(*mainwatch.Block) error {
				return errors.New("no block can be delivered")
			})
			took := time.Since(start)
			if err == nil || took > timeout+2*time.Second {
				t.Fatalf("Blocks returned %v after %v, want an error within %v",
					err, took, timeout)
			}
			t.Logf("Blocks gave up after %v: %v", took.Round(time.Millisecond), err)
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
			start = time.Now()
			err = src.Blocks(ctx, 1, 50, watch, func(*mainwatch.Block) error { return nil })
			if !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
				t.Fatalf("Blocks returned %v after %v, want context.Canceled at once",
					err, time.Since(start))
			}
		})
	}
}
