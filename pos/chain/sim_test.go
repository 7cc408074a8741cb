package chain

import (
	"testing"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/pos/bls"
)

// testConfig returns posregtest's configuration.
func testConfig(t testing.TB) *Config {
	t.Helper()
	c, err := NewConfig(&chainparams.PosRegtest)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// devKeys returns the four dev validators' keys.
func devKeys(t testing.TB) []*bls.SecretKey {
	t.Helper()
	keys := make([]*bls.SecretKey, chainparams.DevValidatorCount)
	for i := range keys {
		k, err := DevValidatorKey(i)
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = k
	}
	return keys
}

// sim runs validators, each with its own Chain (a node), over slots, in
// lockstep: every block and attestation reaches every node in the slot it
// is made. online says which validators take part.
type sim struct {
	t      testing.TB
	cfg    *Config
	keys   []*bls.SecretKey
	nodes  []*Chain
	online []bool
	pool   []*Attestation
	slot   uint64
	exits  []SignedExit // for the next block
}

func newSim(t testing.TB, online []bool) *sim {
	cfg := testConfig(t)
	s := &sim{t: t, cfg: cfg, keys: devKeys(t), online: online}
	for range s.keys {
		c, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		s.nodes = append(s.nodes, c)
	}
	return s
}

// aggregated groups the pool by attestation data and aggregates each
// group.
func (s *sim) aggregated() []*Attestation {
	groups := map[[32]byte][]*Attestation{}
	var order [][32]byte
	for _, a := range s.pool {
		k := a.Data.HashTreeRoot()
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], a)
	}
	var out []*Attestation
	for _, k := range order {
		if agg, ok := Aggregate(groups[k]); ok {
			out = append(out, agg)
		}
	}
	return out
}

// step runs the next slot: the proposer (if online) builds on its node's
// head and every node takes the block; then every online validator whose
// duty is this slot attests to its node's head, and every node takes the
// vote.
func (s *sim) step() {
	s.slot++
	slot := s.slot
	for _, n := range s.nodes {
		if err := n.OnTick(slot); err != nil {
			s.t.Fatal(err)
		}
	}
	_, head := s.nodes[0].Head()
	probe := head.Clone()
	if err := ProcessSlots(s.cfg, probe, slot); err != nil {
		s.t.Fatal(err)
	}
	proposer, err := probe.Proposer(s.cfg, slot)
	if err != nil {
		s.t.Fatal(err)
	}
	if s.online[proposer] {
		_, st := s.nodes[proposer].Head()
		b, _, err := BuildBlock(s.cfg, st, slot, s.keys[proposer], &Proposal{Attestations: s.aggregated(), VoluntaryExits: s.exits})
		if err != nil {
			s.t.Fatalf("slot %d: build: %v", slot, err)
		}
		for i, n := range s.nodes {
			if _, err := n.AcceptBlock(b, slot); err != nil {
				s.t.Fatalf("slot %d: node %d refuses the block: %v", slot, i, err)
			}
		}
		s.exits = nil
	}
	var fresh []*Attestation
	for v := range s.keys {
		if !s.online[v] {
			continue
		}
		root, st := s.nodes[v].Head()
		d, ok, err := AttesterDuty(s.cfg, probe, uint64(v), s.cfg.EpochOf(slot))
		if err != nil {
			s.t.Fatal(err)
		}
		if !ok || d.Slot != slot {
			continue
		}
		data, err := AttestationData(s.cfg, st, root, slot, d.Committee)
		if err != nil {
			s.t.Fatal(err)
		}
		a := Attest(s.cfg, d, data, s.keys[v])
		for i, n := range s.nodes {
			if _, err := n.AcceptAttestation(a, slot); err != nil {
				s.t.Fatalf("slot %d: node %d refuses validator %d's vote: %v", slot, i, v, err)
			}
		}
		fresh = append(fresh, a)
	}
	// Votes older than an epoch can no longer be included.
	keep := s.pool[:0]
	for _, a := range s.pool {
		if a.Data.Slot+s.cfg.SlotsPerEpoch() > slot {
			keep = append(keep, a)
		}
	}
	s.pool = append(keep, fresh...)
}

// agree checks that every node has the same head and state root.
func (s *sim) agree() {
	r0, st0 := s.nodes[0].Head()
	for i, n := range s.nodes[1:] {
		r, st := n.Head()
		if r != r0 || st.Root() != st0.Root() {
			s.t.Fatalf("node %d head %x state %x, node 0 head %x state %x", i+1, r[:8], st.Root(), r0[:8], st0.Root())
		}
	}
}

// TestFourValidatorsFinalize runs four validators for six epochs: the
// chain justifies and finalizes, and every node holds the same head and
// state.
func TestFourValidatorsFinalize(t *testing.T) {
	s := newSim(t, []bool{true, true, true, true})
	for i := 0; i < 6*8; i++ {
		s.step()
	}
	s.agree()
	fin := s.nodes[0].Finalized()
	if fin.Epoch < 3 {
		t.Fatalf("finalized epoch %d after 6 epochs, justified %d", fin.Epoch, s.nodes[0].Justified().Epoch)
	}
	_, st := s.nodes[0].Head()
	if st.Height == 0 || st.Utxo.Len() == 0 {
		t.Fatalf("height %d, %d utxos", st.Height, st.Utxo.Len())
	}
}

// TestThreeOfFourFinalize: with one validator offline (a quarter of the
// stake, below a third) the chain still finalizes. A vote made in the
// last slot of an epoch is included in the next, so with three voters an
// epoch is often justified one epoch late: finality advances by two every
// other epoch.
func TestThreeOfFourFinalize(t *testing.T) {
	s := newSim(t, []bool{true, false, true, true})
	for i := 0; i < 8*8; i++ {
		s.step()
	}
	s.agree()
	if fin := s.nodes[0].Finalized(); fin.Epoch < 4 {
		t.Fatalf("finalized epoch %d after 8 epochs", fin.Epoch)
	}
}

// TestTwoOfFourNoFinality: with half the stake offline nothing is
// justified after genesis, and after four epochs without finality the
// leak raises the offline validators' inactivity scores and takes their
// stake.
func TestTwoOfFourNoFinality(t *testing.T) {
	s := newSim(t, []bool{true, false, true, false})
	for i := 0; i < 8*8; i++ {
		s.step()
	}
	s.agree()
	if fin := s.nodes[0].Finalized(); fin.Epoch != 0 {
		t.Fatalf("finalized epoch %d with half the stake offline", fin.Epoch)
	}
	_, st := s.nodes[0].Head()
	if st.Inactivity[1] == 0 || st.Inactivity[0] != 0 {
		t.Fatalf("inactivity scores %v", st.Inactivity)
	}
	if st.Registry.Validators[1].Balance >= st.Registry.Validators[0].Balance {
		t.Fatalf("offline balance %d, online %d", st.Registry.Validators[1].Balance, st.Registry.Validators[0].Balance)
	}
}

// mainlikeParams returns the posmainlike network.
func mainlikeParams() *chainparams.Params { return &chainparams.PosMainlike }

// TestLeakThenRecovery: with two of four validators offline nothing is
// finalized for seven epochs and the leak raises the absent validators'
// scores; when they return, finality recovers.
func TestLeakThenRecovery(t *testing.T) {
	s := newSim(t, []bool{true, false, true, false})
	for i := 0; i < 7*8+1; i++ {
		s.step()
	}
	if fin := s.nodes[0].Finalized(); fin.Epoch != 0 {
		t.Fatalf("finalized epoch %d with half the stake offline", fin.Epoch)
	}
	_, st := s.nodes[0].Head()
	if !s.cfg.FFG.InInactivityLeak(s.cfg.EpochOf(s.slot), st.FFG.Finalized.Epoch) || st.Inactivity[1] == 0 {
		t.Fatalf("not in the leak at epoch %d (scores %v)", s.cfg.EpochOf(s.slot), st.Inactivity)
	}
	s.online[1], s.online[3] = true, true
	for i := 0; i < 4*8; i++ {
		s.step()
	}
	s.agree()
	if fin := s.nodes[0].Finalized(); fin.Epoch < 8 {
		t.Fatalf("finalized epoch %d four epochs after the others returned", fin.Epoch)
	}
}
