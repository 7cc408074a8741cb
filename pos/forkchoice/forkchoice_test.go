package forkchoice

import (
	"math/rand"
	"testing"
)

// TestErrorCodeStrings keeps errorCodeStrings complete.
func TestErrorCodeStrings(t *testing.T) {
	for c := ErrorCode(0); c < numErrorCodes; c++ {
		if errorCodeStrings[c] == "" {
			t.Errorf("code %d has no name", c)
		}
	}
	if len(errorCodeStrings) != int(numErrorCodes) {
		t.Errorf("%d names for %d codes", len(errorCodeStrings), numErrorCodes)
	}
}

var testCfg = Config{SlotsPerEpoch: 4, ProposerScoreBoost: ProposerScoreBoost}

func root(b byte) Root { return Root{b} }

func mustHead(t *testing.T, s *Store) Root {
	t.Helper()
	h, err := s.Head()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func wantCode(t *testing.T, err error, c ErrorCode) {
	t.Helper()
	if !IsErrorCode(err, c) {
		t.Fatalf("got %v, want %v", err, c)
	}
}

// chain adds blocks root(from)..root(to) each on the previous, one slot
// apart, starting on parent.
func addChain(t *testing.T, s *Store, parent Root, slot uint64, roots ...byte) {
	t.Helper()
	for _, r := range roots {
		if err := s.AddBlock(Block{Root: root(r), Parent: parent, Slot: slot}, false); err != nil {
			t.Fatal(err)
		}
		parent = root(r)
		slot++
	}
}

func TestVotesChooseHead(t *testing.T) {
	s, err := New(testCfg, root(0), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	// 0 - 1 - 2
	//   \ 3
	addChain(t, s, root(0), 1, 1, 2)
	addChain(t, s, root(0), 1, 3)
	s.SetBalances([]uint64{10, 10, 10})
	// No votes: the tie between 1 and 3 goes to the larger root.
	if h := mustHead(t, s); h != root(3) {
		t.Fatalf("head %x, want 3", h)
	}
	if err := s.ProcessAttestation(0, root(2), 1); err != nil {
		t.Fatal(err)
	}
	if h := mustHead(t, s); h != root(2) {
		t.Fatalf("head %x, want 2", h)
	}
	// Two votes for 3 beat one for 2's branch.
	for v := uint64(1); v <= 2; v++ {
		if err := s.ProcessAttestation(v, root(3), 1); err != nil {
			t.Fatal(err)
		}
	}
	if h := mustHead(t, s); h != root(3) {
		t.Fatalf("head %x, want 3", h)
	}
	// An older target epoch does not replace the latest message.
	if err := s.ProcessAttestation(1, root(2), 0); err != nil {
		t.Fatal(err)
	}
	if h := mustHead(t, s); h != root(3) {
		t.Fatalf("head %x, want 3 after a stale vote", h)
	}
	// Validator 2 equivocates: its vote stops counting; 1 vote each,
	// the tie goes to root 3 still; validator 1 moves and 2 wins.
	s.ProcessEquivocation(2)
	if err := s.ProcessAttestation(1, root(2), 2); err != nil {
		t.Fatal(err)
	}
	if h := mustHead(t, s); h != root(2) {
		t.Fatalf("head %x, want 2", h)
	}
	if w, _ := s.Weight(root(3)); w != 0 {
		t.Fatalf("equivocator's weight still counted: %d", w)
	}
	if err := s.ProcessAttestation(2, root(3), 9); err != nil {
		t.Fatal(err)
	}
	if h := mustHead(t, s); h != root(2) {
		t.Fatalf("equivocator's later vote counted")
	}
	wantCode(t, s.ProcessAttestation(1, root(99), 1), ErrUnknownBlock)
	wantCode(t, s.ProcessAttestation(3, root(2), 1), ErrUnknownValidator)
	wantCode(t, s.ProcessAttestation(1<<62, root(2), 1), ErrUnknownValidator)
}

func TestAddBlockErrors(t *testing.T) {
	s, _ := New(testCfg, root(0), 0, 0)
	addChain(t, s, root(0), 1, 1)
	wantCode(t, s.AddBlock(Block{Root: root(1), Parent: root(0), Slot: 2}, false), ErrDuplicateBlock)
	wantCode(t, s.AddBlock(Block{Root: root(2), Parent: root(9), Slot: 2}, false), ErrUnknownParent)
	wantCode(t, s.AddBlock(Block{Root: root(2), Parent: root(1), Slot: 1}, false), ErrBadSlot)
	_, err := New(Config{}, root(0), 0, 0)
	wantCode(t, err, ErrBadConfig)
	_, err = New(Config{SlotsPerEpoch: 4, ProposerScoreBoost: 101}, root(0), 0, 0)
	wantCode(t, err, ErrBadConfig)
	_, err = New(testCfg, root(0), 5, 1)
	wantCode(t, err, ErrBadCheckpoint)
}

// TestProposerBoost: a timely block of the current slot outweighs a
// branch with a little less than 40% of a slot's committee weight, only
// during its slot, and only the first timely block gets it.
func TestProposerBoost(t *testing.T) {
	s, _ := New(testCfg, root(0), 0, 0)
	bal := make([]uint64, 16)
	for i := range bal {
		bal[i] = 10
	}
	s.SetBalances(bal) // total 160, per slot 40, boost 16
	addChain(t, s, root(0), 1, 1)
	s.OnTick(2)
	for v := uint64(0); v < 1; v++ {
		if err := s.ProcessAttestation(v, root(1), 0); err != nil {
			t.Fatal(err)
		}
	}
	// Late block 2 on 0: no boost.
	if err := s.AddBlock(Block{Root: root(2), Parent: root(0), Slot: 2}, false); err != nil {
		t.Fatal(err)
	}
	if h := mustHead(t, s); h != root(1) {
		t.Fatalf("head %x, want 1", h)
	}
	// Timely block 3 on 0 in slot 2: boost 16 beats 1 vote of 10.
	if err := s.AddBlock(Block{Root: root(3), Parent: root(0), Slot: 2}, true); err != nil {
		t.Fatal(err)
	}
	// A second timely block of the slot gets nothing.
	if err := s.AddBlock(Block{Root: root(4), Parent: root(0), Slot: 2}, true); err != nil {
		t.Fatal(err)
	}
	if h := mustHead(t, s); h != root(3) {
		t.Fatalf("head %x, want the boosted 3", h)
	}
	if w, _ := s.Weight(root(3)); w != 16 {
		t.Fatalf("boosted weight %d, want 16", w)
	}
	// Two votes (20) beat the boost.
	if err := s.ProcessAttestation(1, root(1), 0); err != nil {
		t.Fatal(err)
	}
	if h := mustHead(t, s); h != root(1) {
		t.Fatalf("head %x, want 1", h)
	}
	if err := s.ProcessAttestation(1, root(2), 1); err != nil {
		t.Fatal(err)
	}
	if h := mustHead(t, s); h != root(3) {
		t.Fatalf("head %x, want 3", h)
	}
	// The slot ends: the boost goes.
	s.OnTick(3)
	if h := mustHead(t, s); h != root(2) {
		t.Fatalf("head %x, want 2 once the boost is gone", h)
	}
	if w, _ := s.Weight(root(3)); w != 0 {
		t.Fatalf("weight %d after the boost, want 0", w)
	}
	// A timely block of a past slot gets no boost.
	if err := s.AddBlock(Block{Root: root(5), Parent: root(0), Slot: 1}, true); err == nil {
		if w, _ := s.Weight(root(5)); w != 0 {
			t.Fatal("boost for a past slot")
		}
	}
}

// TestFinalizedNeverReverted: a conflicting finalized checkpoint is
// refused, and finalization prunes the other branches so that they can
// never become head.
func TestFinalizedNeverReverted(t *testing.T) {
	s, _ := New(testCfg, root(0), 0, 0)
	// 0 - 1(s1) - 2(s4) - 3(s5)
	//   \ 7(s1) - 8(s4)
	addChain(t, s, root(0), 1, 1)
	if err := s.AddBlock(Block{Root: root(2), Parent: root(1), Slot: 4}, false); err != nil {
		t.Fatal(err)
	}
	cp := Checkpoint{Epoch: 1, Root: root(2)}
	// 3's state has justified and finalized 2.
	if err := s.AddBlock(Block{Root: root(3), Parent: root(2), Slot: 5, Justified: cp, Finalized: cp}, false); err != nil {
		t.Fatal(err)
	}
	addChain(t, s, root(0), 1, 7)
	if err := s.AddBlock(Block{Root: root(8), Parent: root(7), Slot: 4}, false); err != nil {
		t.Fatal(err)
	}
	s.SetBalances([]uint64{10, 10, 10})
	for v := uint64(0); v < 3; v++ {
		if err := s.ProcessAttestation(v, root(8), 1); err != nil {
			t.Fatal(err)
		}
	}
	if h := mustHead(t, s); h != root(8) {
		t.Fatalf("head %x, want 8", h)
	}
	// Checkpoint block after its epoch's first slot.
	wantCode(t, s.UpdateCheckpoints(Checkpoint{Epoch: 1, Root: root(3)}, cp), ErrBadCheckpoint)
	if err := s.UpdateCheckpoints(cp, cp); err != nil {
		t.Fatal(err)
	}
	if s.Contains(root(7)) || s.Contains(root(8)) || s.Contains(root(0)) {
		t.Fatal("branches off the finalized block not pruned")
	}
	if s.Len() != 2 {
		t.Fatalf("%d blocks after pruning, want 2", s.Len())
	}
	if h := mustHead(t, s); h != root(3) {
		t.Fatalf("head %x, want 3", h)
	}
	// The other branch's epoch-1 block as finalized: refused, nothing
	// changes.
	wantCode(t, s.UpdateCheckpoints(cp, Checkpoint{Epoch: 1, Root: root(8)}),
		ErrConflictingFinalized)
	wantCode(t, s.UpdateCheckpoints(Checkpoint{Epoch: 2, Root: root(9)}, Checkpoint{Epoch: 2, Root: root(9)}),
		ErrConflictingFinalized)
	wantCode(t, s.UpdateCheckpoints(Checkpoint{Epoch: 2, Root: root(9)}, cp), ErrUnknownBlock)
	if s.Finalized() != cp {
		t.Fatalf("finalized moved to %v", s.Finalized())
	}
	// A block that finalized another epoch-1 block is refused.
	wantCode(t, s.AddBlock(Block{Root: root(10), Parent: root(3), Slot: 6,
		Justified: cp, Finalized: Checkpoint{Epoch: 1, Root: root(8)}}, false),
		ErrConflictingFinalized)
	// Votes for pruned blocks are refused.
	wantCode(t, s.ProcessAttestation(0, root(8), 5), ErrUnknownBlock)
	// An older finalized checkpoint is ignored.
	if err := s.UpdateCheckpoints(cp, Checkpoint{Epoch: 0, Root: root(0)}); err != nil {
		t.Fatal(err)
	}
}

// TestViability: blocks whose state has another justified checkpoint are
// passed over while a viable branch exists.
func TestViability(t *testing.T) {
	s, _ := New(testCfg, root(0), 0, 0)
	cp1 := Checkpoint{Epoch: 1, Root: root(1)}
	if err := s.AddBlock(Block{Root: root(1), Parent: root(0), Slot: 4}, false); err != nil {
		t.Fatal(err)
	}
	// 2 knows of the justification of epoch 1, 3 does not.
	if err := s.AddBlock(Block{Root: root(2), Parent: root(1), Slot: 5, Justified: cp1}, false); err != nil {
		t.Fatal(err)
	}
	if err := s.AddBlock(Block{Root: root(3), Parent: root(1), Slot: 5}, false); err != nil {
		t.Fatal(err)
	}
	s.SetBalances([]uint64{10, 10})
	for v := uint64(0); v < 2; v++ {
		if err := s.ProcessAttestation(v, root(3), 1); err != nil {
			t.Fatal(err)
		}
	}
	if h := mustHead(t, s); h != root(3) {
		t.Fatalf("head %x, want 3 while justified is genesis", h)
	}
	if err := s.UpdateCheckpoints(cp1, Checkpoint{Root: root(0)}); err != nil {
		t.Fatal(err)
	}
	if h := mustHead(t, s); h != root(2) {
		t.Fatalf("head %x, want the viable 2", h)
	}
}

// TestAgainstNaive: on random block trees, votes, balance changes,
// equivocations, slots and checkpoint moves, the proto-array's head is
// always the naive tree walk's.
func TestAgainstNaive(t *testing.T) {
	seeds := 150
	if testing.Short() {
		seeds = 30
	}
	for seed := 0; seed < seeds; seed++ {
		runRandom(t, int64(seed), 150)
	}
}

func runRandom(t *testing.T, seed int64, steps int) {
	rng := rand.New(rand.NewSource(seed))
	randRoot := func() Root {
		var r Root
		rng.Read(r[:])
		return r
	}
	anchor := randRoot()
	s, err := New(testCfg, anchor, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := newNaive(testCfg, anchor, 0, 0)
	roots := []Root{anchor}
	const validators = 24
	bal := make([]uint64, validators)
	for i := range bal {
		bal[i] = uint64(rng.Intn(3)) * 8
	}
	s.SetBalances(bal)
	n.balances = append([]uint64(nil), bal...)
	known := func() []Root {
		var out []Root
		for _, r := range roots {
			if s.Contains(r) {
				out = append(out, r)
			}
		}
		return out
	}
	// checkpointOf returns the checkpoint of epoch e on the chain of
	// root: the last block at or before e's first slot.
	checkpointOf := func(r Root, e uint64) (Checkpoint, bool) {
		for {
			b, ok := n.blocks[r]
			if !ok {
				return Checkpoint{}, false
			}
			if b.Slot <= e*testCfg.SlotsPerEpoch {
				return Checkpoint{Epoch: e, Root: r}, true
			}
			r = b.Parent
		}
	}
	for step := 0; step < steps; step++ {
		switch op := rng.Intn(20); {
		case op < 6:
			k := known()
			parent := k[rng.Intn(len(k))]
			pb := n.blocks[parent]
			b := Block{Root: randRoot(), Parent: parent,
				Slot:      pb.Slot + 1 + uint64(rng.Intn(3)),
				Justified: pb.Justified, Finalized: pb.Finalized}
			if b.Slot > n.currentSlot && rng.Intn(2) == 0 {
				s.OnTick(b.Slot)
				n.onTick(b.Slot)
			}
			if rng.Intn(3) == 0 {
				e := b.Slot / testCfg.SlotsPerEpoch
				if e > b.Justified.Epoch {
					je := b.Justified.Epoch + 1 + uint64(rng.Int63n(int64(e-b.Justified.Epoch)))
					if cp, ok := checkpointOf(parent, je); ok {
						if rng.Intn(2) == 0 && b.Justified.Epoch >= b.Finalized.Epoch {
							b.Finalized = b.Justified
						}
						b.Justified = cp
					}
				}
			}
			timely := rng.Intn(2) == 0
			if err := s.AddBlock(b, timely); err != nil {
				if IsErrorCode(err, ErrConflictingFinalized) {
					continue
				}
				t.Fatalf("seed %d step %d: %v", seed, step, err)
			}
			n.addBlock(b, timely)
			roots = append(roots, b.Root)
		case op < 12:
			v := uint64(rng.Intn(validators + 2))
			r := roots[rng.Intn(len(roots))]
			target := uint64(rng.Intn(int(n.currentSlot/testCfg.SlotsPerEpoch) + 2))
			err := s.ProcessAttestation(v, r, target)
			if v >= validators {
				wantCode(t, err, ErrUnknownValidator)
				continue
			}
			if !s.Contains(r) {
				wantCode(t, err, ErrUnknownBlock)
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			n.vote(v, r, target)
		case op < 13:
			v := uint64(rng.Intn(validators))
			s.ProcessEquivocation(v)
			n.equivocating[v] = true
		case op < 14:
			bal[rng.Intn(validators)] = uint64(rng.Intn(4)) * 8
			s.SetBalances(bal)
			n.balances = append([]uint64(nil), bal...)
		case op < 15:
			slot := n.currentSlot + uint64(rng.Intn(2))
			s.OnTick(slot)
			n.onTick(slot)
		case op < 17:
			k := known()
			b := n.blocks[k[rng.Intn(len(k))]]
			if err := s.UpdateCheckpoints(b.Justified, b.Finalized); err == nil {
				n.updateCheckpoints(b.Justified, b.Finalized)
			}
		}
		got, err := s.Head()
		if err != nil {
			t.Fatalf("seed %d step %d: %v", seed, step, err)
		}
		if want := n.head(); got != want {
			t.Fatalf("seed %d step %d: head %x, naive %x (%d blocks)",
				seed, step, got[:4], want[:4], s.Len())
		}
		if s.Len() != len(n.blocks) {
			t.Fatalf("seed %d step %d: %d blocks, naive %d", seed, step,
				s.Len(), len(n.blocks))
		}
	}
}
