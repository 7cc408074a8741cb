package node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/btctest"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/store"
)

// reorgTo replaces btcd's top depth blocks with depth+1 new ones, the
// first holding btcd's mempool (what the replaced blocks confirmed, where
// it is still valid) under a coinbase of its own, so that the new branch
// never repeats a block of the old one.
func reorgTo(t *testing.T, h *btctest.Harness, depth int32) {
	t.Helper()
	if err := h.Client().InvalidateBlock(mustHashAt(t, h, 1-depth)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.GenerateExcluding(1, func(*wire.MsgTx) bool { return false }); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Generate(uint32(depth)); err != nil {
		t.Fatal(err)
	}
}

// waitRefused waits until n's follower refuses a reorg, and fails if the
// follower stops instead.
func (n *diffNode) waitRefused() *mainwatch.DeepReorgError {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for {
		if st := n.follower.Status(); st.Reorg != nil {
			return st.Reorg
		}
		select {
		case err := <-n.done:
			n.done <- err // for stop
			n.t.Fatalf("%s: follower stopped instead of refusing the reorg: %v", n.name, err)
		case <-ctx.Done():
			n.t.Fatalf("%s: the reorg was never refused (status %+v)", n.name, n.follower.Status())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// compareWindow checks that n and a node synced fresh from btcd's chain,
// with the same undo depth, hold the same state hash at every height n
// holds one for (its tip and the undo window below it), and that n's
// state hash at its tip is what a full scan of its store gives.
func compareWindow(t *testing.T, h *btctest.Harness, n *diffNode, step string) {
	t.Helper()
	fresh := newDiffNode(t, h, "fresh", BackendBtcd)
	fresh.cfg.UndoDepth = n.cfg.UndoDepth
	fresh.start()
	defer fresh.stop()
	n.waitTip(h)
	fresh.waitTip(h)
	if err := n.db.VerifyStateHash(); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	tip, err := n.db.Tip()
	if err != nil {
		t.Fatal(err)
	}
	floor := max(tip.Height-n.cfg.UndoDepth, 0)
	for height := tip.Height; height >= floor; height-- {
		id, got, err := n.db.StateHash(height)
		if err != nil {
			t.Fatalf("%s: state hash at %d: %v", step, height, err)
		}
		fid, want, err := fresh.db.StateHash(height)
		if err != nil {
			t.Fatalf("%s: fresh node: state hash at %d: %v", step, height, err)
		}
		if id != fid || got != want {
			t.Fatalf("%s: state hash %v at %v, a fresh node has %v at %v",
				step, got, id, want, fid)
		}
	}
}

// TestReorgDepths follows mainchain reorgs of 1, 6 and 100 blocks and of
// the full undo window with a node whose --undodepth is 120, comparing
// its state hashes after each with a node synced fresh on the final chain;
// each replaced branch confirmed a stake registration, which the new one
// confirms again at another height. A reorg of the window + 1 is refused
// with the state intact (tip and state hash unchanged), the node running
// and reporting it, also after a restart; --resync then moves the state
// aside and syncs the final chain from scratch (docs/protocol.md §1.2).
func TestReorgDepths(t *testing.T) {
	const window = 120
	h := btctest.NewForTest(t, btctest.Options{})
	if _, err := h.Generate(300); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	d := &differential{t: t, h: h, params: &chainparams.Regtest}
	n := newDiffNode(t, h, "node", BackendBtcd)
	n.cfg.UndoDepth = window
	n.start()
	n.waitTip(h)

	for _, depth := range []int32{1, 6, 100, window} {
		d.mine(d.register(newDiffKey(t), 1_000_000))
		n.waitTip(h)
		reorgTo(t, h, depth)
		compareWindow(t, h, n, fmt.Sprintf("reorg of %d", depth))
		t.Logf("reorg of %d blocks followed, %v", depth, time.Since(start).Round(time.Millisecond))
	}

	// One block more than the window: refused, nothing undone.
	d.mine(d.register(newDiffKey(t), 1_000_000))
	n.waitTip(h)
	tip, sum, err := StateHash(n.db)
	if err != nil {
		t.Fatal(err)
	}
	// The node is down during the reorg, so that it meets only its end:
	// btcd's invalidateblock shows its chain part way back, which a live
	// node follows (as it may: each of those steps is within the window)
	// and then refuses the rest from a lower tip.
	n.stop()
	reorgTo(t, h, window+1)
	n.start()
	intact := func(step string) {
		t.Helper()
		deep := n.waitRefused()
		if deep.Depth() != window+1 || deep.Window.Depth != window ||
			deep.Tip.Height != tip.Height || deep.Tip.Hash != tip.Hash {
			t.Fatalf("%s: refused a reorg of %d blocks at %v (window %+v), want %d at %v",
				step, deep.Depth(), deep.Tip, deep.Window, window+1, tip)
		}
		id, got, err := StateHash(n.db)
		if err != nil {
			t.Fatal(err)
		}
		if id != tip || got != sum {
			t.Fatalf("%s: state %v at %v, want %v at %v", step, got, id, sum, tip)
		}
		if err := n.db.VerifyStateHash(); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if st := n.follower.Status(); st.Synced || st.Err != deep.Error() {
			t.Fatalf("%s: status %+v", step, st)
		}
	}
	intact("window + 1")
	t.Logf("reorg of %d blocks refused, %v", window+1, time.Since(start).Round(time.Millisecond))
	n.stop()
	n.start()
	intact("window + 1, after a restart")

	// --resync: the old state is moved aside, whole, and the node syncs
	// the final chain.
	n.stop()
	if err := resync(&n.cfg, time.Now()); err != nil {
		t.Fatal(err)
	}
	n.start()
	compareWindow(t, h, n, "resync")
	moved := movedState(t, &n.cfg)
	db, err := store.Open(moved, StoreOptions("regtest", *chainparams.Regtest.Main.GenesisHash))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if id, got, err := StateHash(db); err != nil || id != tip || got != sum {
		t.Fatalf("the moved state is at %v with %v (%v), want %v with %v", id, got, err, tip, sum)
	}
}

// movedState returns the one state dir that --resync moved aside.
func movedState(t *testing.T, cfg *Config) string {
	t.Helper()
	entries, err := os.ReadDir(cfg.NetworkDir())
	if err != nil {
		t.Fatal(err)
	}
	var moved []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "state.moved-") {
			moved = append(moved, e.Name())
		}
	}
	if len(moved) != 1 {
		t.Fatalf("moved state dirs %q, want one", moved)
	}
	return filepath.Join(cfg.NetworkDir(), moved[0])
}
