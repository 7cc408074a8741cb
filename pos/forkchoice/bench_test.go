package forkchoice

import (
	"math/rand"
	"testing"
	"time"
)

// BenchmarkVotesAndHead1kBlocks applies 10,000 votes (one per validator,
// each for a random block) to a 1,000-block tree and gets the head, with
// the proto-array and with the naive tree walk of naive_test.go, in the
// same run. The tree is a random recursive tree (each block's parent
// drawn from all earlier blocks), so its depth is about a dozen: the
// naive walk sums every vote once per child it weighs, walking up from
// the voted block, and a deeper tree only makes it slower. Each iteration
// is a new round of votes with a later target epoch, so every vote moves.
// It reports the time per round of each form and their ratio
// (naive-ms/protoarray-ms).
func BenchmarkVotesAndHead1kBlocks(b *testing.B) {
	const (
		blocks     = 1000
		validators = 10_000
	)
	rng := rand.New(rand.NewSource(1))
	randRoot := func() Root {
		var r Root
		rng.Read(r[:])
		return r
	}
	anchor := randRoot()
	s, err := New(testCfg, anchor, 0, 0)
	if err != nil {
		b.Fatal(err)
	}
	n := newNaive(testCfg, anchor, 0, 0)
	roots := []Root{anchor}
	slots := map[Root]uint64{anchor: 0}
	for len(roots) < blocks {
		parent := roots[rng.Intn(len(roots))]
		blk := Block{Root: randRoot(), Parent: parent, Slot: slots[parent] + 1 + uint64(rng.Intn(3))}
		if err := s.AddBlock(blk, false); err != nil {
			b.Fatal(err)
		}
		n.addBlock(blk, false)
		slots[blk.Root] = blk.Slot
		roots = append(roots, blk.Root)
	}
	bal := make([]uint64, validators)
	for i := range bal {
		bal[i] = 32_000_000_000
	}
	s.SetBalances(bal)
	n.balances = bal
	votes := make([]Root, validators)
	var protoTime, naiveTime time.Duration
	epoch := uint64(0)
	for b.Loop() {
		epoch++
		for v := range votes {
			votes[v] = roots[rng.Intn(len(roots))]
		}
		start := time.Now()
		for v, r := range votes {
			if err := s.ProcessAttestation(uint64(v), r, epoch); err != nil {
				b.Fatal(err)
			}
		}
		got, err := s.Head()
		if err != nil {
			b.Fatal(err)
		}
		protoTime += time.Since(start)
		start = time.Now()
		for v, r := range votes {
			n.vote(uint64(v), r, epoch)
		}
		want := n.head()
		naiveTime += time.Since(start)
		if got != want {
			b.Fatalf("head %x, naive %x", got[:4], want[:4])
		}
	}
	k := float64(b.N)
	b.ReportMetric(float64(protoTime.Microseconds())/1000/k, "protoarray-ms")
	b.ReportMetric(float64(naiveTime.Microseconds())/1000/k, "naive-ms")
	b.ReportMetric(naiveTime.Seconds()/protoTime.Seconds(), "ratio")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkAttestation is the cost of recording one vote (ns/op), the
// fork choice's work per attestation; weights change only at Head.
func BenchmarkAttestation(b *testing.B) {
	s, _ := New(testCfg, root(0), 0, 0)
	addChain(&testing.T{}, s, root(0), 1, 1, 2, 3)
	s.SetBalances(make([]uint64, 100_000))
	var i uint64
	for b.Loop() {
		_ = s.ProcessAttestation(i%100_000, root(byte(i%4)), i/100_000)
		i++
	}
}

// BenchmarkHead100kValidators is Head after every one of 100,000
// validators moved its vote, on a 1,000-block tree.
func BenchmarkHead100kValidators(b *testing.B) {
	const validators = 100_000
	rng := rand.New(rand.NewSource(2))
	s, _ := New(testCfg, Root{}, 0, 0)
	roots := []Root{{}}
	slots := map[Root]uint64{{}: 0}
	for len(roots) < 1000 {
		var r Root
		rng.Read(r[:])
		parent := roots[rng.Intn(len(roots))]
		if err := s.AddBlock(Block{Root: r, Parent: parent, Slot: slots[parent] + 1}, false); err != nil {
			b.Fatal(err)
		}
		slots[r] = slots[parent] + 1
		roots = append(roots, r)
	}
	bal := make([]uint64, validators)
	for i := range bal {
		bal[i] = 32_000_000_000
	}
	s.SetBalances(bal)
	epoch := uint64(0)
	for b.Loop() {
		b.StopTimer()
		epoch++
		for v := uint64(0); v < validators; v++ {
			_ = s.ProcessAttestation(v, roots[rng.Intn(len(roots))], epoch)
		}
		b.StartTimer()
		if _, err := s.Head(); err != nil {
			b.Fatal(err)
		}
	}
}
