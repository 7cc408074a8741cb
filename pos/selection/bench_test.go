package selection

import (
	"testing"
	"time"
)

const benchValidators = 1_000_000

// BenchmarkShuffleList1M shuffles a list of a million indices with the
// mainnet round count: one epoch's committees at a million validators.
func BenchmarkShuffleList1M(b *testing.B) {
	base := identity(benchValidators)
	list := make([]uint64, len(base))
	seed := Seed{1}
	b.ResetTimer()
	for b.Loop() {
		copy(list, base)
		if err := ShuffleList(list, seed, Mainnet.ShuffleRoundCount); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkShuffledIndex shows the cost of one index of a million-entry
// list in the per-index form (ns/op is per index).
func BenchmarkShuffledIndex(b *testing.B) {
	seed := Seed{1}
	var i uint64
	for b.Loop() {
		if _, err := ShuffledIndex(i%benchValidators, benchValidators, seed, Mainnet.ShuffleRoundCount); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkShuffle1MListVsIndex computes the same million-entry shuffled
// list both ways in one run: ShuffleList, then ShuffledIndex for every
// index. It reports each form's time per list and their ratio
// (index-s/list-s). The per-index pass hashes 180 times per index, so one
// iteration takes tens of seconds.
func BenchmarkShuffle1MListVsIndex(b *testing.B) {
	seed := Seed{1}
	rounds := Mainnet.ShuffleRoundCount
	var listTime, indexTime time.Duration
	list := make([]uint64, benchValidators)
	for b.Loop() {
		for i := range list {
			list[i] = uint64(i)
		}
		start := time.Now()
		if err := ShuffleList(list, seed, rounds); err != nil {
			b.Fatal(err)
		}
		listTime += time.Since(start)
		start = time.Now()
		for i := uint64(0); i < benchValidators; i++ {
			j, err := ShuffledIndex(i, benchValidators, seed, rounds)
			if err != nil || j != list[i] {
				b.Fatalf("index %d: %d, list %d, %v", i, j, list[i], err)
			}
		}
		indexTime += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(listTime.Seconds()/n, "list-s")
	b.ReportMetric(indexTime.Seconds()/n, "index-s")
	b.ReportMetric(indexTime.Seconds()/listTime.Seconds(), "ratio")
}

// BenchmarkEpochCommittees builds one mainnet epoch's committees for a
// realistic active set (100,000 validators: 32 slots × 24 committees of
// about 130) from the list shuffle, and reads every committee.
func BenchmarkEpochCommittees(b *testing.B) {
	const active = 100_000
	indices := identity(active)
	p := &Mainnet
	for b.Loop() {
		s, err := NewShuffling(3, indices, Seed{2}, p)
		if err != nil {
			b.Fatal(err)
		}
		total := 0
		for slot := 3 * p.SlotsPerEpoch; slot < 4*p.SlotsPerEpoch; slot++ {
			for ci := uint64(0); ci < s.CommitteesPerSlot(); ci++ {
				c, err := s.BeaconCommittee(slot, ci)
				if err != nil {
					b.Fatal(err)
				}
				total += len(c)
			}
		}
		if total != active {
			b.Fatalf("%d validators in committees", total)
		}
	}
}

// BenchmarkEpochProposers chooses the 32 proposers of a mainnet epoch over
// 100,000 validators at the maximum effective balance.
func BenchmarkEpochProposers(b *testing.B) {
	indices := identity(100_000)
	eb := func(uint64) uint64 { return Mainnet.MaxEffectiveBalance }
	for b.Loop() {
		if _, err := EpochProposers(3, indices, eb, Seed{3}, &Mainnet); err != nil {
			b.Fatal(err)
		}
	}
}
