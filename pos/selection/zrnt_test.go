package selection

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/protolambda/zrnt/eth2/beacon/common"
	"github.com/protolambda/zrnt/eth2/configs"
)

// The tests in this file compare selection with protolambda/zrnt, an
// independent Go implementation of the consensus specifications, imported
// only by tests. Note zrnt's names for the list forms: its UnshuffleList is
// what the specification's committees use (our ShuffleList), and its
// ShuffleList is our UnshuffleList.

type zrntPreset struct {
	name string
	spec *common.Spec
	p    *Params
}

func zrntPresets() []zrntPreset {
	return []zrntPreset{
		{"mainnet", configs.Mainnet, &Mainnet},
		{"minimal", configs.Minimal, &Minimal},
	}
}

// TestZrntParams checks that our presets are zrnt's.
func TestZrntParams(t *testing.T) {
	for _, z := range zrntPresets() {
		s, p := z.spec, z.p
		if uint64(s.SHUFFLE_ROUND_COUNT) != uint64(p.ShuffleRoundCount) ||
			uint64(s.SLOTS_PER_EPOCH) != p.SlotsPerEpoch ||
			uint64(s.TARGET_COMMITTEE_SIZE) != p.TargetCommitteeSize ||
			uint64(s.MAX_COMMITTEES_PER_SLOT) != p.MaxCommitteesPerSlot ||
			uint64(s.MAX_EFFECTIVE_BALANCE) != p.MaxEffectiveBalance ||
			uint64(s.EPOCHS_PER_HISTORICAL_VECTOR) != p.EpochsPerHistoricalVector ||
			uint64(s.MIN_SEED_LOOKAHEAD) != p.MinSeedLookahead {
			t.Errorf("%s: our preset %+v differs from zrnt's", z.name, *p)
		}
	}
}

func randomSeed(r *rand.Rand) Seed {
	var s Seed
	for i := range s {
		s[i] = byte(r.Uint32())
	}
	return s
}

// differentialCounts are list sizes around the 256-position hash chunks
// and the pair ranges' edges, then random ones.
func differentialCounts(r *rand.Rand) []uint64 {
	counts := []uint64{1, 2, 3, 4, 5, 31, 32, 33, 255, 256, 257, 511, 512, 513, 1000, 1023}
	for range 8 {
		counts = append(counts, 1+r.Uint64N(3000))
	}
	return counts
}

// TestZrntShuffle compares ShuffledIndex, UnshuffledIndex, ShuffleList and
// UnshuffleList with zrnt's PermuteIndex, UnshuffleIndex, UnshuffleList and
// ShuffleList for random seeds, list sizes and round counts.
func TestZrntShuffle(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 18))
	for _, n := range differentialCounts(r) {
		seed := randomSeed(r)
		for _, rounds := range []uint8{90, 10, uint8(r.UintN(256))} {
			list := identity(n)
			if err := ShuffleList(list, seed, rounds); err != nil {
				t.Fatal(err)
			}
			zl := make([]common.ValidatorIndex, n)
			for i := range zl {
				zl[i] = common.ValidatorIndex(i)
			}
			common.UnshuffleList(rounds, zl, common.Root(seed))
			inv := identity(n)
			if err := UnshuffleList(inv, seed, rounds); err != nil {
				t.Fatal(err)
			}
			zinv := make([]common.ValidatorIndex, n)
			for i := range zinv {
				zinv[i] = common.ValidatorIndex(i)
			}
			common.ShuffleList(rounds, zinv, common.Root(seed))
			if !slices.Equal(list, toUint64(zl)) {
				t.Fatalf("n=%d rounds=%d: ShuffleList differs from zrnt", n, rounds)
			}
			if !slices.Equal(inv, toUint64(zinv)) {
				t.Fatalf("n=%d rounds=%d: UnshuffleList differs from zrnt", n, rounds)
			}
			// Every index of small lists, a sample of large ones: each
			// costs two hashes per round.
			for k := uint64(0); k < min(n, 64); k++ {
				i := k
				if n > 64 {
					i = r.Uint64N(n)
				}
				got, err := ShuffledIndex(i, n, seed, rounds)
				want := common.PermuteIndex(rounds, common.ValidatorIndex(i), n, common.Root(seed))
				if err != nil || got != uint64(want) {
					t.Fatalf("n=%d rounds=%d: ShuffledIndex(%d) = %d, %v; zrnt %d", n, rounds, i, got, err, want)
				}
				got, err = UnshuffledIndex(i, n, seed, rounds)
				want = common.UnpermuteIndex(rounds, common.ValidatorIndex(i), n, common.Root(seed))
				if err != nil || got != uint64(want) {
					t.Fatalf("n=%d rounds=%d: UnshuffledIndex(%d) = %d, %v; zrnt %d", n, rounds, i, got, err, want)
				}
			}
		}
	}
}

// zrntRegistry serves effective balances to zrnt's ComputeProposerIndex.
// Only Validator is implemented; zrnt calls nothing else there.
type zrntRegistry struct {
	common.ValidatorRegistry
	balances []uint64
}

func (z zrntRegistry) Validator(i common.ValidatorIndex) (common.Validator, error) {
	return zrntValidator{balance: z.balances[i]}, nil
}

type zrntValidator struct {
	common.Validator
	balance uint64
}

func (z zrntValidator) EffectiveBalance() (common.Gwei, error) {
	return common.Gwei(z.balance), nil
}

// randomRegistry returns n effective balances, whole units as the specs
// keep them (multiples of 10^9 up to the maximum, some at zero), and a
// random ascending subset of the indices as the active ones.
func randomRegistry(r *rand.Rand, n int, p *Params) ([]uint64, []uint64) {
	balances := make([]uint64, n)
	var active []uint64
	for i := range balances {
		switch r.UintN(4) {
		case 0:
			balances[i] = p.MaxEffectiveBalance
		case 1:
			balances[i] = 0
		default:
			balances[i] = r.Uint64N(p.MaxEffectiveBalance/1e9+1) * 1e9
		}
		if r.UintN(5) != 0 {
			active = append(active, uint64(i))
		}
	}
	if len(active) == 0 {
		active = append(active, 0)
	}
	return balances, active
}

// TestZrntProposer compares ProposerIndex and EpochProposers with zrnt's
// ComputeProposerIndex for random balances, active sets and seeds, with
// both presets.
func TestZrntProposer(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 18))
	for _, z := range zrntPresets() {
		for trial := range 40 {
			balances, active := randomRegistry(r, 1+r.IntN(300), z.p)
			if trial%10 == 0 {
				// Low balances everywhere: many candidates are refused
				// before one is accepted.
				for i := range balances {
					balances[i] = r.Uint64N(2) * 1e9
				}
			}
			zactive := make([]common.ValidatorIndex, len(active))
			for i, v := range active {
				zactive[i] = common.ValidatorIndex(v)
			}
			reg := zrntRegistry{balances: balances}
			eb := func(i uint64) uint64 { return balances[i] }
			seed := randomSeed(r)
			got, err := ProposerIndex(active, eb, seed, z.p)
			want, zerr := common.ComputeProposerIndex(z.spec, reg, zactive, common.Root(seed))
			if err != nil || zerr != nil || got != uint64(want) {
				t.Fatalf("%s trial %d: ProposerIndex = %d, %v; zrnt %d, %v", z.name, trial, got, err, want, zerr)
			}
			if trial%8 != 0 {
				continue
			}
			epoch := r.Uint64N(1000)
			props, err := EpochProposers(epoch, active, eb, seed, z.p)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range props {
				slot := epoch*z.p.SlotsPerEpoch + uint64(i)
				ps := ProposerSeed(seed, slot)
				want, zerr := common.ComputeProposerIndex(z.spec, reg, zactive, common.Root(ps))
				if zerr != nil || v != uint64(want) {
					t.Fatalf("%s trial %d slot %d: proposer %d, zrnt %d, %v", z.name, trial, slot, v, want, zerr)
				}
			}
		}
	}
}

// zrntMixes serves our ring to zrnt's GetSeed.
type zrntMixes struct{ m *Mixes }

func (z zrntMixes) GetRandomMix(e common.Epoch) (common.Root, error) {
	return common.Root(z.m.Get(uint64(e))), nil
}

func (z zrntMixes) SetRandomMix(common.Epoch, common.Root) error { panic("unused") }

// TestZrntSeed compares Mixes.Seed with zrnt's GetSeed over a ring filled
// by reveals, for both domains and epochs near 0 (whose mix index wraps)
// and far on.
func TestZrntSeed(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 18))
	for _, z := range zrntPresets() {
		m, err := NewMixes(randomSeed(r), z.p)
		if err != nil {
			t.Fatal(err)
		}
		for e := uint64(0); e < 3*z.p.EpochsPerHistoricalVector && e < 300; e++ {
			for range 3 {
				reveal := make([]byte, 96)
				for i := range reveal {
					reveal[i] = byte(r.Uint32())
				}
				m.Reveal(e, reveal)
			}
			m.EndEpoch(e)
		}
		for _, epoch := range []uint64{0, 1, 2, 5, 63, 64, 65, 100, 299, 300, 1 << 40} {
			for _, d := range []DomainType{DomainBeaconProposer, DomainBeaconAttester} {
				got := m.Seed(epoch, d)
				want, err := common.GetSeed(z.spec, zrntMixes{m}, common.Epoch(epoch), common.BLSDomainType(d))
				if err != nil || got != Seed(want) {
					t.Fatalf("%s epoch %d domain %x: seed %x, zrnt %x, %v", z.name, epoch, d, got, want, err)
				}
			}
		}
	}
}

// TestZrntCommittees compares every committee of Shuffling (one list
// shuffle) and of Committee (one index at a time) with zrnt's
// NewShufflingEpoch, across active set sizes that give one committee per
// slot up to the maximum.
func TestZrntCommittees(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 18))
	for _, z := range zrntPresets() {
		sizes := []int{1, 7, int(z.p.SlotsPerEpoch * z.p.TargetCommitteeSize), 3000}
		if z.name == "minimal" {
			sizes = append(sizes, 200)
		}
		for _, n := range sizes {
			_, active := randomRegistry(r, n+n/4, z.p)
			epoch := r.Uint64N(1 << 20)
			seed := randomSeed(r)
			bounded := make([]common.BoundedIndex, len(active))
			for i, v := range active {
				bounded[i] = common.BoundedIndex{Index: common.ValidatorIndex(v),
					Activation: 0, Exit: common.FAR_FUTURE_EPOCH}
			}
			zs := common.NewShufflingEpoch(z.spec, bounded, common.Root(seed), common.Epoch(epoch))
			s, err := NewShuffling(epoch, active, seed, z.p)
			if err != nil {
				t.Fatal(err)
			}
			cps := CommitteeCountPerSlot(uint64(len(active)), z.p)
			if cps != common.CommitteeCount(z.spec, uint64(len(active))) || cps != s.CommitteesPerSlot() {
				t.Fatalf("%s n=%d: %d committees per slot, zrnt %d", z.name, len(active), cps,
					common.CommitteeCount(z.spec, uint64(len(active))))
			}
			for slot := range z.p.SlotsPerEpoch {
				for ci := range cps {
					got, err := s.BeaconCommittee(epoch*z.p.SlotsPerEpoch+slot, ci)
					if err != nil {
						t.Fatal(err)
					}
					want := zs.Committees[slot][ci]
					if !slices.Equal(got, toUint64(want)) {
						t.Fatalf("%s n=%d slot %d committee %d: %v, zrnt %v", z.name, len(active), slot, ci, got, want)
					}
					ref, err := Committee(active, seed, slot*cps+ci, cps*z.p.SlotsPerEpoch, z.p.ShuffleRoundCount)
					if err != nil || !slices.Equal(ref, got) {
						t.Fatalf("%s n=%d slot %d committee %d: Committee %v, %v; Shuffling %v", z.name, len(active), slot, ci, ref, err, got)
					}
				}
			}
		}
	}
}

func toUint64(v []common.ValidatorIndex) []uint64 {
	out := make([]uint64, len(v))
	for i, x := range v {
		out[i] = uint64(x)
	}
	return out
}
