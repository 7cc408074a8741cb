package mainwatch_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/mainwatch/watchtest"
)

// fakeSource serves a chain of synthetic headers that a test can reorganize
// at any moment, including in the middle of Blocks.
type fakeSource struct {
	mu      sync.Mutex
	headers []wire.BlockHeader
	tip     chan struct{}

	// failures makes the next n calls fail.
	failures int
	// hashAts counts HashAt calls.
	hashAts int
	// during runs once inside Blocks, after the block at duringAt.
	during   func()
	duringAt int32
}

func newFakeSource(n int, branch uint32) *fakeSource {
	s := &fakeSource{tip: make(chan struct{}, 1)}
	s.extend(n, branch)
	return s
}

func (s *fakeSource) extend(n int, branch uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < n; i++ {
		var prev chainhash.Hash
		if len(s.headers) > 0 {
			prev = s.headers[len(s.headers)-1].BlockHash()
		}
		s.headers = append(s.headers, wire.BlockHeader{
			Version:   1,
			PrevBlock: prev,
			Timestamp: time.Unix(int64(1_600_000_000+len(s.headers)), 0),
			Nonce:     branch,
		})
	}
	select {
	case s.tip <- struct{}{}:
	default:
	}
}

// reorg replaces the top depth headers with depth+extra on another branch.
func (s *fakeSource) reorg(depth, extra int, branch uint32) {
	s.mu.Lock()
	s.headers = s.headers[:len(s.headers)-depth]
	s.mu.Unlock()
	s.extend(depth+extra, branch)
}

func (s *fakeSource) fail() error {
	if s.failures > 0 {
		s.failures--
		return errors.New("backend unavailable")
	}
	return nil
}

func (s *fakeSource) Name() string { return "fake" }

func (s *fakeSource) Best(context.Context) (mainwatch.Cursor, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail(); err != nil {
		return mainwatch.Cursor{}, err
	}
	n := len(s.headers)
	return mainwatch.Cursor{Height: int32(n - 1), Hash: s.headers[n-1].BlockHash()}, nil
}

func (s *fakeSource) HashAt(_ context.Context, h int32) (chainhash.Hash, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hashAts++
	if err := s.fail(); err != nil {
		return chainhash.Hash{}, err
	}
	if int(h) >= len(s.headers) {
		return chainhash.Hash{}, fmt.Errorf("height %d out of range", h)
	}
	return s.headers[h].BlockHash(), nil
}

func (s *fakeSource) Blocks(ctx context.Context, from, to int32, _ *mainwatch.WatchList,
	fn func(*mainwatch.Block) error) error {

	for h := from; h <= to; h++ {
		s.mu.Lock()
		if int(h) >= len(s.headers) {
			s.mu.Unlock()
			return fmt.Errorf("height %d out of range", h)
		}
		hdr := s.headers[h]
		during := s.during
		if h == s.duringAt {
			s.during = nil
		}
		s.mu.Unlock()
		if err := fn(&mainwatch.Block{Height: h, Hash: hdr.BlockHash(), Header: hdr}); err != nil {
			return err
		}
		if h == s.duringAt && during != nil {
			during()
		}
	}
	return nil
}

func (s *fakeSource) TipChanged() <-chan struct{}               { return s.tip }
func (s *fakeSource) SendTx(context.Context, *wire.MsgTx) error { return nil }
func (s *fakeSource) Status() mainwatch.SourceStatus            { return mainwatch.SourceStatus{} }

func (s *fakeSource) hashes() []chainhash.Hash {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]chainhash.Hash, len(s.headers))
	for i := range s.headers {
		out[i] = s.headers[i].BlockHash()
	}
	return out
}

// run starts a follower; the returned channel yields Run's result.
func run(t *testing.T, src mainwatch.Source, chain mainwatch.Chain) (*mainwatch.Follower, <-chan error) {
	f := mainwatch.NewFollower(src, chain, mainwatch.NewWatchList(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	finished := make(chan struct{})
	go func() {
		done <- f.Run(ctx)
		close(finished)
	}()
	t.Cleanup(func() {
		cancel()
		<-finished
	})
	return f, done
}

func waitEqual(t *testing.T, src *fakeSource, chain *watchtest.MemChain) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		want, got := src.hashes(), chain.Hashes()
		if fmt.Sprint(want) == fmt.Sprint(got) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("chain has %d blocks, source %d; never equal", len(got), len(want))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestReorgDuringCatchUp reorganizes the source while the follower is in
// the middle of connecting blocks: the follower must notice that the next
// block no longer links and start again from the fork point.
func TestReorgDuringCatchUp(t *testing.T) {
	src := newFakeSource(200, 0)
	src.duringAt = 120
	src.during = func() { src.reorg(150, 10, 1) }
	chain := watchtest.NewMemChain()
	run(t, src, chain)
	waitEqual(t, src, chain)
	if _, d := chain.Counts(); d != 121-50 {
		t.Fatalf("disconnected %d blocks, want %d", d, 121-50)
	}
}

// TestBackendErrorsRetried makes the source fail repeatedly: the follower
// retries and gets there.
func TestBackendErrorsRetried(t *testing.T) {
	src := newFakeSource(50, 0)
	src.failures = 3
	chain := watchtest.NewMemChain()
	run(t, src, chain)
	waitEqual(t, src, chain)
}

// TestWrongNetwork gives the follower a chain whose genesis is not the
// source's: it must stop with a ChainError rather than resync over it.
func TestWrongNetwork(t *testing.T) {
	other := newFakeSource(10, 7)
	chain := watchtest.NewMemChain()
	ctx, cancel := context.WithCancel(context.Background())
	first := mainwatch.NewFollower(other, chain, mainwatch.NewWatchList(), nil)
	stopped := make(chan struct{})
	go func() {
		_ = first.Run(ctx)
		close(stopped)
	}()
	waitEqual(t, other, chain)
	cancel()
	<-stopped

	src := newFakeSource(10, 0)
	_, done2 := run(t, src, chain)
	select {
	case err := <-done2:
		var chainErr *mainwatch.ChainError
		if !errors.As(err, &chainErr) {
			t.Fatalf("Run returned %v, want a ChainError", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("follower kept running on another network's chain")
	}
	if c, d := chain.Counts(); d != 0 || c != 10 {
		t.Fatalf("chain changed: %d connects, %d disconnects", c, d)
	}
}

// failingChain refuses to connect blocks, as a full disk would.
type failingChain struct{ *watchtest.MemChain }

func (failingChain) ConnectBlock(context.Context, *mainwatch.Block) error {
	return errors.New("disk full")
}

func TestChainErrorStopsRun(t *testing.T) {
	src := newFakeSource(5, 0)
	_, done := run(t, src, failingChain{watchtest.NewMemChain()})
	select {
	case err := <-done:
		var chainErr *mainwatch.ChainError
		if !errors.As(err, &chainErr) {
			t.Fatalf("Run returned %v, want a ChainError", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not stop on a chain error")
	}
}

// waitRefused waits until the follower refuses a reorg.
func waitRefused(t *testing.T, f *mainwatch.Follower, done <-chan error) *mainwatch.DeepReorgError {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if st := f.Status(); st.Reorg != nil {
			return st.Reorg
		}
		select {
		case err := <-done:
			t.Fatalf("Run returned %v instead of refusing the reorg", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the follower never refused the reorg")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestReorgUndoWindow follows reorgs against a chain with an undo window
// of 50 blocks: one of exactly 50 blocks is followed; one of 51 is refused
// before anything is undone, the follower keeps running and reports it,
// and follows again once the source returns to a branch within the window.
func TestReorgUndoWindow(t *testing.T) {
	const depth = 50
	src := newFakeSource(300, 0)
	chain := watchtest.NewMemChain()
	chain.Depth = depth
	f, done := run(t, src, chain)
	waitEqual(t, src, chain)

	src.reorg(depth, 10, 1)
	waitEqual(t, src, chain)
	if _, d := chain.Counts(); d != depth {
		t.Fatalf("disconnected %d blocks, want %d", d, depth)
	}

	before := chain.Hashes()
	tip := f.Tip()
	src.reorg(depth+1, 1, 2)
	deep := waitRefused(t, f, done)
	if deep.Depth() != depth+1 || deep.Tip != tip || deep.Window.Depth != depth {
		t.Fatalf("refused a reorg of depth %d at %v (window %+v), want %d at %v",
			deep.Depth(), deep.Tip, deep.Window, depth+1, tip)
	}
	t.Log(deep)
	if _, d := chain.Counts(); d != depth {
		t.Fatalf("disconnected %d blocks after the refusal, want none", d-depth)
	}
	if fmt.Sprint(chain.Hashes()) != fmt.Sprint(before) {
		t.Fatal("the chain changed")
	}
	if st := f.Status(); st.Synced || st.Err == "" || st.Tip != tip {
		t.Fatalf("status %+v, want not synced, at %v, with the refusal", st, tip)
	}

	// The source goes back to the branch the chain holds, and on.
	src.reorg(depth+2, -1, 1)
	src.extend(1, 1)
	waitEqual(t, src, chain)
	// The refusal is cleared when the round that followed ends.
	deadline := time.Now().Add(20 * time.Second)
	for st := f.Status(); st.Reorg != nil || st.Err != ""; st = f.Status() {
		if time.Now().After(deadline) {
			t.Fatalf("status %+v after the source came back", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, d := chain.Counts(); d != depth {
		t.Fatalf("disconnected %d blocks, want none more", d-depth)
	}
}

// TestForkSearchBisects reorganizes 1,500 blocks of a 3,000-block chain:
// the follower finds the fork point in a few dozen lookups, not one per
// block, and follows the reorg.
func TestForkSearchBisects(t *testing.T) {
	src := newFakeSource(3000, 0)
	chain := watchtest.NewMemChain()
	f, _ := run(t, src, chain)
	waitEqual(t, src, chain)
	// Wait for the round to end, so that its lookups are not counted.
	deadline := time.Now().Add(20 * time.Second)
	for !f.Status().Synced {
		if time.Now().After(deadline) {
			t.Fatal("never synced")
		}
		time.Sleep(5 * time.Millisecond)
	}
	src.mu.Lock()
	before := src.hashAts
	src.mu.Unlock()
	src.reorg(1500, 1, 1)
	waitEqual(t, src, chain)
	src.mu.Lock()
	n := src.hashAts - before
	src.mu.Unlock()
	if _, d := chain.Counts(); d != 1500 {
		t.Fatalf("disconnected %d blocks, want 1500", d)
	}
	if n > 40 {
		t.Fatalf("%d HashAt calls to find a fork 1,500 blocks deep", n)
	}
	t.Logf("%d HashAt calls", n)
}
