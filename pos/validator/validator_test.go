package validator

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/pos/bls"
	"github.com/mainstake/sidenode/pos/chain"
	"github.com/mainstake/sidenode/pos/slashing/protection"
	"github.com/mainstake/sidenode/store"
	"github.com/mainstake/sidenode/wallet"
)

// bus delivers every block and vote to every other node at once.
type bus struct {
	t       testing.TB
	mu      sync.Mutex
	nodes   []*chain.Chain
	clients []*Client
	blocks  int
}

type sender struct {
	b    *bus
	from int
}

func (s sender) BroadcastBlock(blk *chain.Block) {
	s.b.mu.Lock()
	s.b.blocks++
	s.b.mu.Unlock()
	for i, n := range s.b.nodes {
		if i == s.from {
			continue
		}
		if _, err := n.AcceptBlock(blk, blk.Header.Message.Slot); err != nil {
			s.b.t.Errorf("node %d refuses node %d's block: %v", i, s.from, err)
		}
	}
}

func (s sender) BroadcastAttestation(a *chain.Attestation) {
	for i, n := range s.b.nodes {
		if i == s.from {
			continue
		}
		if _, err := n.AcceptAttestation(a, a.Data.Slot); err != nil {
			s.b.t.Errorf("node %d refuses node %d's vote: %v", i, s.from, err)
			continue
		}
		s.b.clients[i].AddAttestation(a)
	}
}

func openProtection(t testing.TB, cfg *chain.Config) *protection.DB {
	t.Helper()
	st, err := store.Open("", store.Options{Network: "test", Genesis: chainhash.Hash{1},
		LocalPrefixes: [][]byte{{wallet.KeyByte}}, InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	id, err := cfg.Net.GenesisID()
	if err != nil {
		t.Fatal(err)
	}
	p, err := protection.Open(st, protection.Root(id))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// newNet returns one node and client per online dev validator.
func newNet(t testing.TB, online []bool) *bus {
	cfg, err := chain.NewConfig(&chainparams.PosRegtest)
	if err != nil {
		t.Fatal(err)
	}
	b := &bus{t: t}
	for i, on := range online {
		if !on {
			continue
		}
		n, err := chain.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		k, err := chain.DevValidatorKey(i)
		if err != nil {
			t.Fatal(err)
		}
		b.clients = append(b.clients, New(n, sender{b, len(b.nodes)}, openProtection(t, cfg), []*bls.SecretKey{k}, t.Logf))
		b.nodes = append(b.nodes, n)
	}
	return b
}

// run does the duties of slots 1 to last: every client proposes, then
// every client attests.
func (b *bus) run(last uint64) {
	for s := uint64(1); s <= last; s++ {
		for i, c := range b.clients {
			if _, err := c.Propose(s); err != nil {
				b.t.Fatalf("slot %d client %d: %v", s, i, err)
			}
		}
		for i, c := range b.clients {
			if _, err := c.Attest(s); err != nil {
				b.t.Fatalf("slot %d client %d: %v", s, i, err)
			}
		}
	}
}

func (b *bus) agree() {
	r0, st0 := b.nodes[0].Head()
	for i, n := range b.nodes[1:] {
		if r, st := n.Head(); r != r0 || st.Root() != st0.Root() {
			b.t.Fatalf("node %d disagrees with node 0", i+1)
		}
	}
}

// TestClientsFinalize: four clients, one key each, over gossip, finalize
// and agree on the head and state root.
func TestClientsFinalize(t *testing.T) {
	b := newNet(t, []bool{true, true, true, true})
	b.run(5 * 8)
	b.agree()
	if fin := b.nodes[0].Finalized(); fin.Epoch < 2 {
		t.Fatalf("finalized epoch %d", fin.Epoch)
	}
	var st Stats
	for _, c := range b.clients {
		s := c.Stats()
		st.Proposed += s.Proposed
		st.Attested += s.Attested
		st.Refused += s.Refused
	}
	if st.Proposed != 40 || st.Attested != 4*5 || st.Refused != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestThreeClientsFinalize: three of the four validators still finalize.
func TestThreeClientsFinalize(t *testing.T) {
	b := newNet(t, []bool{true, true, false, true})
	b.run(8 * 8)
	b.agree()
	if fin := b.nodes[0].Finalized(); fin.Epoch < 4 {
		t.Fatalf("finalized epoch %d", fin.Epoch)
	}
}

// TestProtectionRefusesSecondProposal: a client whose protection recorded
// a block at a slot (a copy of the keys, a restart) refuses to sign
// another one there.
func TestProtectionRefusesSecondProposal(t *testing.T) {
	b := newNet(t, []bool{true, true, true, true})
	b.run(1)
	// The proposer of slot 1 proposes again on a chain that has not seen
	// its block, with the same protection records.
	var who int
	for i, c := range b.clients {
		if c.Stats().Proposed == 1 {
			who = i
		}
	}
	cfg := b.nodes[0].Config()
	fresh, err := chain.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := b.clients[who]
	copyClient := New(fresh, sender{&bus{t: t}, 0}, c.protect, c.keys, t.Logf)
	if _, err := copyClient.Propose(1); err == nil {
		t.Fatal("a second block of slot 1 was signed")
	}
	if copyClient.Stats().Refused != 1 || copyClient.Stats().Proposed != 0 {
		t.Fatalf("stats %+v", copyClient.Stats())
	}
}

// fakeClock advances by what Run waits for: no test sleeps.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	onWait func(time.Time)
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.now = c.now.Add(d)
	now := c.now
	c.mu.Unlock()
	c.onWait(now)
	ch := make(chan time.Time, 1)
	ch <- now
	return ch
}

// TestRunByClock: one client holding all four keys, run by a clock, does
// every slot's duties and finalizes.
func TestRunByClock(t *testing.T) {
	cfg, err := chain.NewConfig(&chainparams.PosRegtest)
	if err != nil {
		t.Fatal(err)
	}
	n, err := chain.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var keys []*bls.SecretKey
	for i := 0; i < 4; i++ {
		k, err := chain.DevValidatorKey(i)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	b := &bus{t: t, nodes: []*chain.Chain{n}}
	c := New(n, sender{b, 0}, openProtection(t, cfg), keys, nil)
	b.clients = []*Client{c}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pp := cfg.Net.Pos
	clock := &fakeClock{now: pp.SlotStart(0).Add(pp.SlotDuration / 2)}
	clock.onWait = func(now time.Time) {
		if s, _ := pp.SlotAt(now); s > 5*8 {
			cancel()
		}
	}
	if err := c.Run(ctx, clock); err != context.Canceled {
		t.Fatalf("Run: %v", err)
	}
	if fin := n.Finalized(); fin.Epoch < 2 {
		t.Fatalf("finalized epoch %d", fin.Epoch)
	}
	if c.Stats().Proposed < 39 {
		t.Fatalf("stats %+v", c.Stats())
	}
}
