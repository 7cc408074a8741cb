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

// testNet is a devnet whose slot 0 is two seconds after it was made.
type testNet struct {
	t      *testing.T
	ctx    context.Context
	params chainparams.Params
	cfg    *chain.Config
	id     chainhash.Hash
	nodes  []*node
	wg     sync.WaitGroup
}

func newTestNet(t *testing.T, ctx context.Context) *testNet {
	tn := &testNet{t: t, ctx: ctx, params: chainparams.PosRegtestAt(time.Now().Add(2 * time.Second).Unix())}
	var err error
	if tn.cfg, err = chain.NewConfig(&tn.params); err != nil {
		t.Fatal(err)
	}
	if tn.id, err = tn.params.GenesisID(); err != nil {
		t.Fatal(err)
	}
	return tn
}

// start starts a node with the keys of the test validators ks (none: a
// follower), peered with the node started before it, and runs it until
// the context ends.
func (tn *testNet) start(ks ...int) *node {
	t := tn.t
	c, err := chain.New(tn.cfg)
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
	i := len(tn.nodes)
	n := New(Config{Chain: c, Keys: sks, Protect: openProtection(t, tn.id),
		Logf: func(f string, a ...any) { t.Logf("node %d: %s", i, fmt.Sprintf(f, a...)) }})
	pc := p2p.Config{Listen: []string{"127.0.0.1:0"}, Network: "regtest",
		SidechainID: tn.params.SidechainID, Genesis: tn.id, Engine: "pos",
		UserAgent: "posnet-test", TrickleInterval: 20 * time.Millisecond,
		RetryInterval: 50 * time.Millisecond, Pos: n}
	if i > 0 {
		pc.Connect = []string{tn.nodes[i-1].srv.ListenAddrs()[0].String()}
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
	nd := &node{chain: c, net: n, srv: srv}
	tn.nodes = append(tn.nodes, nd)
	tn.wg.Add(1)
	go func() {
		defer tn.wg.Done()
		_ = n.Run(tn.ctx)
	}()
	return nd
}

// startNodes starts a node per key list, peered in a line.
func startNodes(t *testing.T, ctx context.Context, keys [][]int) ([]*node, *sync.WaitGroup) {
	tn := newTestNet(t, ctx)
	for _, ks := range keys {
		tn.start(ks...)
	}
	return tn.nodes, &tn.wg
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

// TestLateNodeCatchesUp: a node that starts after three validators have
// finalized knows only the genesis; the first block it hears of is an
// orphan, so it asks for the parent, and so on back to genesis, then
// connects them all. It then holds the others' head and state, and with
// its validator the four finalize further.
func TestLateNodeCatchesUp(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about a minute")
	}
	ctx, cancel := context.WithCancel(context.Background())
	tn := newTestNet(t, ctx)
	defer func() { cancel(); tn.wg.Wait() }()
	for k := 0; k < 3; k++ {
		tn.start(k)
	}
	waitFinalized(t, tn.nodes, 2, 4*time.Minute)
	late := tn.start(3)
	fin := tn.nodes[0].chain.Finalized().Epoch
	waitFinalized(t, tn.nodes, fin+2, 4*time.Minute)
	if late.chain.Finalized().Epoch < fin+2 {
		t.Fatal("the late node did not catch up")
	}
	cancel()
	tn.wg.Wait()
	sameState(t, tn.nodes)
}
