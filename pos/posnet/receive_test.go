package posnet

import (
	"errors"
	"runtime"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/p2p"
	"github.com/mainstake/sidenode/pos/chain"
)

type announced struct{ items []p2p.InvItem }

func (a *announced) Announce(items ...p2p.InvItem) { a.items = append(a.items, items...) }
func (a *announced) RequestPos(chainhash.Hash)     {}

// TestReceiveBadItems: what does not decode or breaks a rule costs the
// sender ban score and is neither kept nor announced; what is merely
// known or waiting costs nothing.
func TestReceiveBadItems(t *testing.T) {
	params := chainparams.PosRegtestAt(1)
	cfg, err := chain.NewConfig(&params)
	if err != nil {
		t.Fatal(err)
	}
	c, err := chain.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n := New(Config{Chain: c})
	ann := &announced{}
	n.SetPeers(ann)
	_, st := c.Head()
	// A valid block of slot 1 by its proposer (the clock is far past
	// slot 1, so nothing is from the future).
	probe := st.Clone()
	if err := chain.ProcessSlots(cfg, probe, 1); err != nil {
		t.Fatal(err)
	}
	p, err := probe.Proposer(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	key, err := chain.DevValidatorKey(int(p))
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := chain.BuildBlock(cfg, st, 1, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	good, err := encodeBlock(b)
	if err != nil {
		t.Fatal(err)
	}
	forged := append([]byte(nil), good...)
	forged[len(forged)-1] ^= 1 // the last transaction byte: another body root
	wantBan := func(name string, data []byte) {
		t.Helper()
		var me *p2p.MisbehaviorError
		if err := n.ReceivePosItem(0, data); !errors.As(err, &me) || me.Score == 0 {
			t.Errorf("%s: %v, want misbehavior", name, err)
		}
		if n.HavePosItem(n.PosItemName(data)) {
			t.Errorf("%s: kept", name)
		}
	}
	wantBan("unknown kind", []byte{9, 1, 2})
	wantBan("truncated block", good[:100])
	wantBan("block with another body", forged)
	wantBan("truncated vote", []byte{KindAttestation, 1, 2, 3})
	if len(ann.items) != 0 {
		t.Fatalf("announced %v", ann.items)
	}

	if err := n.ReceivePosItem(0, good); err != nil {
		t.Fatalf("good block: %v", err)
	}
	if !n.HavePosItem(chainhash.Hash(b.Root())) || len(ann.items) != 1 {
		t.Fatal("the good block is not kept and announced under its root")
	}
	if err := n.ReceivePosItem(0, good); err != nil {
		t.Fatalf("the same block again: %v", err)
	}
}

// TestOrphanBound: blocks whose parents never come wait at most
// maxOrphans at once; the next one starts the pool over, and each new
// parent is asked for.
func TestOrphanBound(t *testing.T) {
	params := chainparams.PosRegtestAt(1)
	cfg, err := chain.NewConfig(&params)
	if err != nil {
		t.Fatal(err)
	}
	c, err := chain.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n := New(Config{Chain: c})
	req := &counting{}
	n.SetPeers(req)
	_, st := c.Head()
	probe := st.Clone()
	if err := chain.ProcessSlots(cfg, probe, 1); err != nil {
		t.Fatal(err)
	}
	p, _ := probe.Proposer(cfg, 1)
	key, _ := chain.DevValidatorKey(int(p))
	b, _, err := chain.BuildBlock(cfg, st, 1, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i <= maxOrphans; i++ {
		o := *b
		o.Header.Message.ParentRoot[0] = byte(i)
		o.Header.Message.ParentRoot[1] = byte(i >> 8)
		o.Header.Message.ParentRoot[2] = 1
		if err := n.acceptBlock(&o, []byte{1}); err != nil {
			t.Fatal(err)
		}
		if n.nOrphan > maxOrphans {
			t.Fatalf("%d orphans wait", n.nOrphan)
		}
	}
	if n.nOrphan != 1 {
		t.Fatalf("%d orphans after the pool filled and started over, want 1", n.nOrphan)
	}
	req.wait(maxOrphans + 1)
}

// counting counts RequestPos calls.
type counting struct {
	announced
	mu sync.Mutex
	n  int
}

func (c *counting) RequestPos(chainhash.Hash) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
}

// wait waits until n requests were made (they are made on goroutines).
func (c *counting) wait(n int) {
	for {
		c.mu.Lock()
		got := c.n
		c.mu.Unlock()
		if got >= n {
			return
		}
		runtime.Gosched()
	}
}
