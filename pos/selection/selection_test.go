package selection

import (
	"crypto/sha256"
	"slices"
	"testing"
)

// TestErrorCodeStrings keeps errorCodeStrings complete.
func TestErrorCodeStrings(t *testing.T) {
	for c := ErrorCode(0); c < numErrorCodes; c++ {
		if errorCodeStrings[c] == "" {
			t.Errorf("code %d has no name", int(c))
		}
	}
	if len(errorCodeStrings) != int(numErrorCodes) {
		t.Errorf("%d names for %d codes", len(errorCodeStrings), numErrorCodes)
	}
}

// TestShuffleBounds checks the specification's assertions: index below
// the list size, list size at most 2^40.
func TestShuffleBounds(t *testing.T) {
	var seed Seed
	for _, c := range []struct {
		index, count uint64
		code         ErrorCode
	}{
		{0, 0, ErrIndexOutOfRange},
		{5, 5, ErrIndexOutOfRange},
		{0, MaxListSize + 1, ErrListTooLarge},
	} {
		if _, err := ShuffledIndex(c.index, c.count, seed, 90); !IsErrorCode(err, c.code) {
			t.Errorf("ShuffledIndex(%d, %d): %v, want %v", c.index, c.count, err, c.code)
		}
		if _, err := UnshuffledIndex(c.index, c.count, seed, 90); !IsErrorCode(err, c.code) {
			t.Errorf("UnshuffledIndex(%d, %d): %v, want %v", c.index, c.count, err, c.code)
		}
	}
	// The largest list is accepted, and an index in its last chunk maps
	// back to itself.
	i, err := ShuffledIndex(MaxListSize-1, MaxListSize, seed, 10)
	if err != nil {
		t.Fatal(err)
	}
	if back, err := UnshuffledIndex(i, MaxListSize, seed, 10); err != nil || back != MaxListSize-1 {
		t.Fatalf("round trip at 2^40-1: %d, %v", back, err)
	}
	for _, n := range []int{0, 1} {
		list := identity(uint64(n))
		if err := ShuffleList(list, seed, 90); err != nil || !slices.Equal(list, identity(uint64(n))) {
			t.Errorf("ShuffleList of %d entries: %v, %v", n, list, err)
		}
	}
}

// TestZeroRounds: no rounds, no permutation.
func TestZeroRounds(t *testing.T) {
	seed := Seed{1, 2, 3}
	list := identity(1000)
	if err := ShuffleList(list, seed, 0); err != nil || !slices.Equal(list, identity(1000)) {
		t.Fatal("zero rounds permuted the list")
	}
	if i, _ := ShuffledIndex(7, 1000, seed, 0); i != 7 {
		t.Fatalf("zero rounds moved 7 to %d", i)
	}
}

// FuzzShuffleList checks, for any seed, size and round count, that the
// list form is the per-index form and that each form's inverse undoes it.
func FuzzShuffleList(f *testing.F) {
	f.Add([]byte("seed"), uint16(1000), uint8(90))
	f.Add([]byte{}, uint16(1), uint8(10))
	f.Add([]byte{0xff, 0x00, 0x7f}, uint16(257), uint8(255))
	f.Add([]byte{1}, uint16(512), uint8(1))
	f.Fuzz(func(t *testing.T, seedBytes []byte, size uint16, rounds uint8) {
		n := uint64(size%2048) + 1
		seed := Seed(sha256.Sum256(seedBytes))
		list := identity(n)
		if err := ShuffleList(list, seed, rounds); err != nil {
			t.Fatal(err)
		}
		for i := uint64(0); i < n; i += 1 + n/64 {
			j, err := ShuffledIndex(i, n, seed, rounds)
			if err != nil || list[i] != j {
				t.Fatalf("list[%d] = %d, ShuffledIndex = %d, %v", i, list[i], j, err)
			}
			back, err := UnshuffledIndex(j, n, seed, rounds)
			if err != nil || back != i {
				t.Fatalf("UnshuffledIndex(%d) = %d, want %d", j, back, i)
			}
		}
		if err := UnshuffleList(list, seed, rounds); err != nil || !slices.Equal(list, identity(n)) {
			t.Fatal("UnshuffleList does not undo ShuffleList")
		}
	})
}

func TestParamsCheck(t *testing.T) {
	for _, p := range []Params{Mainnet, Minimal} {
		if err := p.Check(); err != nil {
			t.Errorf("preset refused: %v", err)
		}
	}
	var nilParams *Params
	if err := nilParams.Check(); !IsErrorCode(err, ErrBadParams) {
		t.Errorf("nil params: %v", err)
	}
	for _, mutate := range []func(*Params){
		func(p *Params) { p.ShuffleRoundCount = 0 },
		func(p *Params) { p.SlotsPerEpoch = 0 },
		func(p *Params) { p.TargetCommitteeSize = 0 },
		func(p *Params) { p.MaxCommitteesPerSlot = 0 },
		func(p *Params) { p.MaxEffectiveBalance = 0 },
		func(p *Params) { p.EpochsPerHistoricalVector = 0 },
		func(p *Params) { p.MinSeedLookahead = p.EpochsPerHistoricalVector },
	} {
		p := Minimal
		mutate(&p)
		if err := p.Check(); !IsErrorCode(err, ErrBadParams) {
			t.Errorf("%+v accepted: %v", p, err)
		}
		if _, err := NewShuffling(0, identity(10), Seed{}, &p); !IsErrorCode(err, ErrBadParams) {
			t.Errorf("NewShuffling with %+v: %v", p, err)
		}
		if _, err := ProposerIndex(identity(10), func(uint64) uint64 { return 1 }, Seed{}, &p); !IsErrorCode(err, ErrBadParams) {
			t.Errorf("ProposerIndex with %+v: %v", p, err)
		}
		if _, err := NewMixes([32]byte{}, &p); !IsErrorCode(err, ErrBadParams) {
			t.Errorf("NewMixes with %+v: %v", p, err)
		}
	}
}

func TestCommitteeCountPerSlot(t *testing.T) {
	p := &Mainnet
	for _, c := range []struct{ active, want uint64 }{
		{0, 1}, {4095, 1}, {4096, 1}, {8192, 2}, {8191, 1},
		{64 * 4096, 64}, {1_000_000, 64},
	} {
		if got := CommitteeCountPerSlot(c.active, p); got != c.want {
			t.Errorf("%d active: %d committees per slot, want %d", c.active, got, c.want)
		}
	}
}

// TestCommitteesPartition: the committees of an epoch cover every active
// validator exactly once, in sizes that differ by at most one.
func TestCommitteesPartition(t *testing.T) {
	p := &Minimal
	active := make([]uint64, 0, 1000)
	for i := uint64(0); i < 1000; i++ {
		active = append(active, 3*i+1)
	}
	const epoch = 7
	s, err := NewShuffling(epoch, active, Seed{9}, p)
	if err != nil {
		t.Fatal(err)
	}
	if s.Epoch() != epoch || s.CommitteesPerSlot() != 4 {
		t.Fatalf("epoch %d, %d committees per slot", s.Epoch(), s.CommitteesPerSlot())
	}
	seen := make(map[uint64]bool)
	minSize, maxSize := len(active), 0
	for slot := epoch * p.SlotsPerEpoch; slot < (epoch+1)*p.SlotsPerEpoch; slot++ {
		for ci := uint64(0); ci < s.CommitteesPerSlot(); ci++ {
			c, err := s.BeaconCommittee(slot, ci)
			if err != nil {
				t.Fatal(err)
			}
			minSize, maxSize = min(minSize, len(c)), max(maxSize, len(c))
			for _, v := range c {
				if seen[v] {
					t.Fatalf("validator %d in two committees", v)
				}
				seen[v] = true
			}
		}
	}
	if len(seen) != len(active) || maxSize-minSize > 1 {
		t.Fatalf("%d of %d validators placed, sizes %d..%d", len(seen), len(active), minSize, maxSize)
	}
	if _, err := s.BeaconCommittee((epoch+1)*p.SlotsPerEpoch, 0); !IsErrorCode(err, ErrWrongEpoch) {
		t.Errorf("slot of the next epoch: %v", err)
	}
	if _, err := s.BeaconCommittee(epoch*p.SlotsPerEpoch, 4); !IsErrorCode(err, ErrIndexOutOfRange) {
		t.Errorf("committee index 4 of 4: %v", err)
	}
	if _, err := s.Committee(32, 32); !IsErrorCode(err, ErrIndexOutOfRange) {
		t.Errorf("Committee(32, 32): %v", err)
	}
	if _, err := Committee(active, Seed{9}, 3, 3, 10); !IsErrorCode(err, ErrIndexOutOfRange) {
		t.Errorf("Committee index 3 of 3: %v", err)
	}
	// The shuffling keeps its own copy.
	active[0] = 999999
	for _, v := range s.Shuffled() {
		if v == 999999 {
			t.Fatal("the shuffling aliases the caller's slice")
		}
	}
}

func TestProposerErrors(t *testing.T) {
	eb := func(uint64) uint64 { return Mainnet.MaxEffectiveBalance }
	if _, err := ProposerIndex(nil, eb, Seed{}, &Mainnet); !IsErrorCode(err, ErrNoActiveValidators) {
		t.Errorf("no active validators: %v", err)
	}
	// A validator at the maximum effective balance is accepted as soon as
	// it is drawn: the first candidate.
	active := identity(100)
	seed := Seed{5}
	got, err := ProposerIndex(active, eb, seed, &Mainnet)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := ShuffledIndex(0, 100, seed, Mainnet.ShuffleRoundCount)
	if got != active[first] {
		t.Fatalf("proposer %d, first candidate %d", got, active[first])
	}
}

// TestProposerWeighting: over many slots, a validator is chosen in
// proportion to its effective balance. The seeds are fixed, so the counts
// are too; the bounds are wide enough for any fair draw.
func TestProposerWeighting(t *testing.T) {
	p := &Minimal
	// Validators 0..9 at 32, 10..19 at 16, 20..29 at 8 (units of 10^9),
	// 30..39 at 0.
	classes := []uint64{32e9, 16e9, 8e9, 0}
	balance := func(i uint64) uint64 { return classes[i/10] }
	active := identity(40)
	counts := make([]int, 4)
	const slots = 8000
	for slot := uint64(0); slot < slots; slot++ {
		v, err := ProposerIndex(active, balance, ProposerSeed(Seed{7}, slot), p)
		if err != nil {
			t.Fatal(err)
		}
		counts[v/10]++
	}
	// Expected 32:16:8 of the slots (4571, 2286, 1143) and almost none
	// at zero balance (a zero-balance candidate passes only on random
	// byte 0).
	if counts[0] < 4200 || counts[0] > 4950 || counts[1] < 2000 || counts[1] > 2600 ||
		counts[2] < 950 || counts[2] > 1350 || counts[3] > 60 {
		t.Fatalf("proposals by balance class 32/16/8/0: %v", counts)
	}
}

// TestRandao checks the mix update against its definition and the epochs
// whose reveals a seed depends on.
func TestRandao(t *testing.T) {
	genesis := [32]byte{0xaa}
	reveal := []byte("a proposer's 96-byte signature of the epoch")
	h := sha256.Sum256(reveal)
	var want [32]byte
	for i := range want {
		want[i] = genesis[i] ^ h[i]
	}
	if got := MixReveal(genesis, reveal); got != want {
		t.Fatalf("MixReveal = %x, want %x", got, want)
	}

	p := Minimal // 64 mixes, lookahead 1
	m, err := NewMixes(genesis, &p)
	if err != nil {
		t.Fatal(err)
	}
	before := m.Clone()
	// A reveal in epoch 10 changes that epoch's mix only.
	m.Reveal(10, reveal)
	if m.Get(10) != want || m.Get(11) != genesis || m.Get(9) != genesis {
		t.Fatal("a reveal changed another epoch's mix")
	}
	if before.Get(10) != genesis {
		t.Fatal("Clone shares the ring")
	}
	// It reaches the seeds of epoch 12 onward (10 + lookahead + 1), not
	// those of epoch 11 or before.
	for e := uint64(0); e < 12; e++ {
		if m.Seed(e, DomainBeaconAttester) != before.Seed(e, DomainBeaconAttester) {
			t.Fatalf("the epoch 10 reveal changed the seed of epoch %d", e)
		}
	}
	if m.Seed(12, DomainBeaconAttester) == before.Seed(12, DomainBeaconAttester) {
		t.Fatal("the epoch 10 reveal did not change the seed of epoch 12")
	}
	if m.Seed(12, DomainBeaconAttester) != SeedFromMix(DomainBeaconAttester, 12, want) {
		t.Fatal("Seed does not hash the mix of epoch - lookahead - 1")
	}
	if m.Seed(12, DomainBeaconAttester) == m.Seed(12, DomainBeaconProposer) {
		t.Fatal("the domains give the same seed")
	}
	// EndEpoch carries the mix forward, and the ring wraps after 64
	// epochs.
	m.EndEpoch(10)
	if m.Get(11) != want || m.Get(11+64) != want {
		t.Fatal("EndEpoch did not carry the mix into epoch 11")
	}
}

// TestAssignment compares Shuffling.Assignment with a search of every
// committee of the epoch, for active sets smaller than the committee
// count (empty committees), around it and far above it.
func TestAssignment(t *testing.T) {
	for _, n := range []uint64{1, 5, 31, 32, 33, 200, 1000} {
		active := make([]uint64, n)
		for i := range active {
			active[i] = 2*uint64(i) + 5
		}
		const epoch = 11
		s, err := NewShuffling(epoch, active, Seed{byte(n)}, &Minimal)
		if err != nil {
			t.Fatal(err)
		}
		want := make(map[uint64]Assignment)
		for slot := epoch * Minimal.SlotsPerEpoch; slot < (epoch+1)*Minimal.SlotsPerEpoch; slot++ {
			for ci := uint64(0); ci < s.CommitteesPerSlot(); ci++ {
				c, err := s.BeaconCommittee(slot, ci)
				if err != nil {
					t.Fatal(err)
				}
				for p, v := range c {
					want[v] = Assignment{Slot: slot, CommitteeIndex: ci, Position: uint64(p)}
				}
			}
		}
		for _, v := range active {
			got, ok := s.Assignment(v)
			if !ok || got != want[v] {
				t.Fatalf("n=%d validator %d: %+v, %v; want %+v", n, v, got, ok, want[v])
			}
		}
		if _, ok := s.Assignment(4); ok {
			t.Fatalf("n=%d: an inactive validator has an assignment", n)
		}
	}
}
