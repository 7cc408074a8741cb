package posnet

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/p2p"
	"github.com/mainstake/sidenode/pos/bls"
	"github.com/mainstake/sidenode/pos/chain"
	"github.com/mainstake/sidenode/pos/slashing/protection"
	"github.com/mainstake/sidenode/store"
	"github.com/mainstake/sidenode/wallet"
)

// noBlocks is the sideblock Handler of a node that has no sideblocks.
type noBlocks struct{}

func (noBlocks) Best() (chainhash.Hash, uint64)                { return chainhash.Hash{}, 0 }
func (noBlocks) HaveBlock(chainhash.Hash) bool                 { return true }
func (noBlocks) HaveTx(chainhash.Hash) bool                    { return true }
func (noBlocks) Block(chainhash.Hash) ([]byte, []byte, bool)   { return nil, nil, false }
func (noBlocks) Tx(chainhash.Hash) ([]byte, bool)              { return nil, false }
func (noBlocks) ReceiveBlock(p2p.PeerID, []byte, []byte) error { return nil }
func (noBlocks) ReceiveTx(p2p.PeerID, []byte) error            { return nil }

func openProtection(t *testing.T, id chainhash.Hash) *protection.DB {
	st, err := store.Open("", store.Options{Network: "test", Genesis: chainhash.Hash{1},
		LocalPrefixes: [][]byte{{wallet.KeyByte}}, InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	p, err := protection.Open(st, protection.Root(id))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type node struct {
	chain *chain.Chain
	net   *Net
	srv   *p2p.Server
}

// startNodes starts a node per key index in keys (nil: a follower) on a
// devnet whose slot 0 is two seconds from now, peered in a line.
func startNodes(t *testing.T, ctx context.Context, keys [][]int) ([]*node, *sync.WaitGroup) {
	params := chainparams.PosRegtestAt(time.Now().Add(2 * time.Second).Unix())
	cfg, err := chain.NewConfig(&params)
	if err != nil {
		t.Fatal(err)
	}
	id, err := params.GenesisID()
	if err != nil {
		t.Fatal(err)
	}
	var nodes []*node
	var wg sync.WaitGroup
	for i, ks := range keys {
		c, err := chain.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var sks []*bls.SecretKey
		for _, k := range ks {
			sk, err := chain.DevValidatorKey(k)
			if err != nil {
				t.Fatal(err)
			}
			sks = append(sks, sk)
		}
		i := i
		n := New(Config{Chain: c, Keys: sks, Protect: openProtection(t, id),
			Logf: func(f string, a ...any) { t.Logf("node %d: %s", i, fmt.Sprintf(f, a...)) }})
		pc := p2p.Config{Listen: []string{"127.0.0.1:0"}, Network: "regtest",
			SidechainID: params.SidechainID, Genesis: id, Engine: "pos",
			UserAgent: "posnet-test", TrickleInterval: 20 * time.Millisecond,
			RetryInterval: 50 * time.Millisecond, Pos: n}
		if i > 0 {
			pc.Connect = []string{nodes[i-1].srv.ListenAddrs()[0].String()}
		}
		srv, err := p2p.New(pc, noBlocks{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		n.SetPeers(srv)
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = srv.Stop() })
		nodes = append(nodes, &node{chain: c, net: n, srv: srv})
	}
	for _, n := range nodes {
		wg.Add(1)
		go func(n *node) {
			defer wg.Done()
			_ = n.net.Run(ctx)
		}(n)
	}
	return nodes, &wg
}

// waitFinalized waits until every node has finalized epoch at least e,
// or fails with every node's checkpoints.
func waitFinalized(t *testing.T, nodes []*node, e uint64, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		done := true
		for _, n := range nodes {
			if n.chain.Finalized().Epoch < e {
				done = false
			}
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			for i, n := range nodes {
				r, st := n.chain.Head()
				t.Logf("node %d: head %x slot %d justified %d finalized %d stopped %v", i, r[:8],
					st.Slot, n.chain.Justified().Epoch, n.chain.Finalized().Epoch, n.chain.Stopped())
			}
			t.Fatalf("not every node finalized epoch %d within %v", e, within)
		}
		time.Sleep(100 * time.Millisecond) // polling a condition, not timing an assertion
	}
}

// sameState checks that the nodes hold the same state root at the same
// head, retrying while a block is still on its way.
func sameState(t *testing.T, nodes []*node) {
	t.Helper()
	for try := 0; ; try++ {
		r0, st0 := nodes[0].chain.Head()
		same := true
		for _, n := range nodes[1:] {
			r, st := n.chain.Head()
			if r != r0 || st.Root() != st0.Root() {
				same = false
			}
		}
		if same {
			return
		}
		if try == 50 {
			t.Fatal("the nodes hold different heads or states")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestFourNodesFinalizeOverP2P: four nodes, a validator each, on the
// peer protocol with the wall clock, finalize and agree.
func TestFourNodesFinalizeOverP2P(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about half a minute")
	}
	ctx, cancel := context.WithCancel(context.Background())
	nodes, wg := startNodes(t, ctx, [][]int{{0}, {1}, {2}, {3}})
	defer func() { cancel(); wg.Wait() }()
	waitFinalized(t, nodes, 2, 3*time.Minute)
	cancel()
	wg.Wait()
	sameState(t, nodes)
	for i, n := range nodes {
		for _, p := range n.srv.Peers() {
			if p.BanScore != 0 {
				t.Errorf("node %d: peer %s has ban score %d", i, p.Addr, p.BanScore)
			}
		}
	}
}

// TestThreeOfFourOverP2P: with validator 3 offline the others finalize.
func TestThreeOfFourOverP2P(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about a minute")
	}
	ctx, cancel := context.WithCancel(context.Background())
	nodes, wg := startNodes(t, ctx, [][]int{{0}, {1}, {2}})
	defer func() { cancel(); wg.Wait() }()
	waitFinalized(t, nodes, 2, 4*time.Minute)
	cancel()
	wg.Wait()
	sameState(t, nodes)
}
