package lottery

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"math/rand"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// The fairness tests draw many times from random ticket sets and compare
// each ticket's wins with its share of the total weight, value × remaining
// lock. Seeds are fixed, so a run is reproducible; the significance levels
// are chosen so that a fair draw passes with a wide margin, while a draw
// that ignores the lock, favours an end of the tree or rounds the random
// number coarsely fails.

// minedHash returns the i-th block hash of a run, shaped like a mainchain
// block hash: uniform, but with its most significant 32 bits (the last
// four bytes in wire order) zero, as proof of work leaves them.
func minedHash(run string, i int) chainhash.Hash {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(i))
	h := chainhash.Hash(sha256.Sum256(append([]byte(run), b[:]...)))
	copy(h[28:], []byte{0, 0, 0, 0})
	return h
}

// chiSquareCritical returns the value a chi-square statistic with df
// degrees of freedom exceeds with probability alpha, where z is the
// standard normal quantile of 1 − alpha (Wilson–Hilferty; within 1% of
// the exact quantile for df ≥ 2 at these levels).
func chiSquareCritical(df int, z float64) float64 {
	d := float64(df)
	c := 1 - 2/(9*d) + z*math.Sqrt(2/(9*d))
	return d * c * c * c
}

// zAlpha is the normal quantile for alpha = 1e-4 (one-sided); with 40
// ticket sets, a fair draw fails a run with probability below 0.4%.
const zAlpha = 3.719

// fairnessSet builds a lottery of n tickets in one block at height conf,
// with random values and locks, in the order perm gives their TxIndex, and
// advances it to height h. It returns the lottery and the weights of the
// tickets by their position in the set (not by ID).
func fairnessSet(tb testing.TB, rng *rand.Rand, n int, perm []int) (*Lottery, []float64) {
	const conf, h = 10, 10
	p := testParams(1)
	l := New(p)
	values := make([]int64, n)
	locks := make([]int32, n)
	for i := range values {
		values[i] = 1 + rng.Int63n(50_000_000)
		locks[i] = h + 1 + rng.Int31n(500)
	}
	// The set's tickets, in the block order perm names: position k of
	// the block holds ticket perm[k].
	for k, i := range perm {
		if _, err := l.Add(Ticket{ConfHeight: conf, TxIndex: uint32(k),
			Value: values[i], Lock: locks[i]}); err != nil {
			tb.Fatal(err)
		}
	}
	if err := l.Advance(h); err != nil {
		tb.Fatal(err)
	}
	weights := make([]float64, n)
	for k, i := range perm {
		weights[i] = float64(values[i]) * float64(locks[i]-h)
		w := l.Weight(TicketID(k))
		if got := float64(w.Hi)*math.Exp2(64) + float64(w.Lo); got != weights[i] {
			tb.Fatalf("ticket %d weighs %v, want value × remaining lock %v", i, got, weights[i])
		}
	}
	return l, weights
}

// drawCounts draws after draws block hashes of run and counts the wins
// of each ticket of the set by its position in the set.
func drawCounts(tb testing.TB, l *Lottery, perm []int, run string, draws int) []float64 {
	counts := make([]float64, len(perm))
	for d := 0; d < draws; d++ {
		id, ok := l.Draw(minedHash(run, d))
		if !ok {
			tb.Fatal("no winner")
		}
		counts[perm[id]]++
	}
	return counts
}

// chiSquare returns the statistic of counts against the weights' shares of
// draws, and its degrees of freedom. Cells expected to win fewer than 5
// times are pooled into one, as the test requires.
func chiSquare(counts, weights []float64, draws int) (float64, int) {
	var total float64
	for _, w := range weights {
		total += w
	}
	var stat, poolObs, poolExp float64
	cells := 0
	for i, w := range weights {
		exp := w / total * float64(draws)
		if exp < 5 {
			poolObs += counts[i]
			poolExp += exp
			continue
		}
		stat += (counts[i] - exp) * (counts[i] - exp) / exp
		cells++
	}
	if poolExp > 0 {
		stat += (poolObs - poolExp) * (poolObs - poolExp) / poolExp
		cells++
	}
	return stat, cells - 1
}

// TestFairness: over 40 random ticket sets of 2 to 40 tickets, 20,000
// draws each, every set's win counts pass a chi-square test against the
// tickets' shares of the weight.
func TestFairness(t *testing.T) {
	rng := rand.New(rand.NewSource(20261207))
	const sets, draws = 40, 20_000
	for s := 0; s < sets; s++ {
		n := 2 + rng.Intn(39)
		perm := rng.Perm(n)
		l, weights := fairnessSet(t, rng, n, perm)
		counts := drawCounts(t, l, perm, "fairness/"+string(rune('A'+s)), draws)
		stat, df := chiSquare(counts, weights, draws)
		if df < 1 {
			continue
		}
		if crit := chiSquareCritical(df, zAlpha); stat > crit {
			t.Errorf("set %d of %d tickets: chi-square %.1f with %d degrees of "+
				"freedom exceeds %.1f (p < 1e-4): wins %v, weights %v",
				s, n, stat, df, crit, counts, weights)
		}
	}
}

// TestOrderCannotSteer: a registrant who picks where in the block their
// registration goes (first, last) gains nothing. Over 200 random sets,
// the same tickets are registered with the registrant's ticket first and
// then last in the block; in both orders its wins match its share of the
// weight (a two-sided z-test on the total over all sets), and every set's
// draws stay fair (chi-square) in both orders.
func TestOrderCannotSteer(t *testing.T) {
	const sets, draws = 200, 2_000
	for _, pos := range []string{"first", "last"} {
		rng := rand.New(rand.NewSource(7)) // the same sets for both orders
		var wins, mean, variance float64
		for s := 0; s < sets; s++ {
			n := 3 + rng.Intn(10)
			// Ticket 0 is the registrant's; the others keep their order.
			perm := make([]int, 0, n)
			if pos == "first" {
				perm = append(perm, 0)
			}
			for i := 1; i < n; i++ {
				perm = append(perm, i)
			}
			if pos == "last" {
				perm = append(perm, 0)
			}
			l, weights := fairnessSet(t, rng, n, perm)
			// The same block hashes in both orders.
			run := "order/" + string(rune('A'+s%26)) + string(rune('a'+s/26))
			counts := drawCounts(t, l, perm, run, draws)
			var total float64
			for _, w := range weights {
				total += w
			}
			share := weights[0] / total
			wins += counts[0]
			mean += share * draws
			variance += share * (1 - share) * draws
			stat, df := chiSquare(counts, weights, draws)
			if crit := chiSquareCritical(df, zAlpha+1); df >= 1 && stat > crit {
				t.Errorf("%s, set %d: chi-square %.1f with %d degrees of freedom "+
					"exceeds %.1f", pos, s, stat, df, crit)
			}
		}
		z := (wins - mean) / math.Sqrt(variance)
		t.Logf("registrant %s in the block: %.0f wins, %.1f expected, z = %.2f",
			pos, wins, mean, z)
		if math.Abs(z) > zAlpha {
			t.Errorf("registrant %s in the block: %.0f wins against %.1f "+
				"expected (z = %.2f): its place in the block steers the draw",
				pos, wins, mean, z)
		}
	}
}
