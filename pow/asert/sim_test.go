package asert

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/btcsuite/btcd/blockchain"
)

// simChain mines a simulated chain under ASERT: each block's solve time is
// exponential with mean IdealBlockTime · T_eq / T, where T is the block's
// target (its bits decoded) and T_eq = T0 / hashrate is the target at which
// the current hashrate finds blocks on schedule. Time is simulated chain
// time only; the random source is seeded, so every run is the same.
type simChain struct {
	a      Anchor
	p      *Params
	t0     *big.Float // target at which hashrate 1 is on schedule
	rng    *rand.Rand
	height uint64
	clock  float64 // the tip's time, with its fraction
	blocks []simBlock
}

// simBlock is one mined block: its parent's time, its own, and log2 of its
// target over the equilibrium target of the hashrate that mined it.
type simBlock struct {
	start, end float64
	y          float64
}

// mine extends the chain until the tip's time reaches until, with the
// given hashrate.
func (c *simChain) mine(t *testing.T, hashrate, until float64) {
	t.Helper()
	for c.clock < until {
		bits, err := NextTarget(c.a, c.p, c.height, int64(c.clock))
		if err != nil {
			t.Fatal(err)
		}
		target := new(big.Float).SetInt(blockchain.CompactToBig(bits))
		ratio, _ := new(big.Float).Quo(target, c.t0).Float64()
		ratio *= hashrate // T / T_eq
		mean := float64(c.p.IdealBlockTime) / ratio
		start := c.clock
		c.clock += c.rng.ExpFloat64() * mean
		c.height++
		c.blocks = append(c.blocks, simBlock{start: start, end: c.clock, y: math.Log2(ratio)})
	}
}

// firstWithin returns the start time of the first block that started at or
// after from and whose target was within eps (in log2) of equilibrium.
func (c *simChain) firstWithin(from, eps float64) (float64, bool) {
	for _, b := range c.blocks {
		if b.start >= from && math.Abs(b.y) <= eps {
			return b.start, true
		}
	}
	return 0, false
}

// meanBlockTime returns the mean time between the blocks that started in
// [from, to), and their number.
func (c *simChain) meanBlockTime(from, to float64) (float64, int) {
	sum, n := 0.0, 0
	for _, b := range c.blocks {
		if b.start >= from && b.start < to {
			sum += b.end - b.start
			n++
		}
	}
	return sum / float64(n), n
}

// expectedRecovery is the chain time in which ASERT brings the target from
// y0 to within eps of equilibrium (in log2 units), from the mean behaviour
// dy/dt = (1 − 2^y)/HalfLife: a chain whose target is 2^y times the
// equilibrium finds blocks 2^y times too fast and falls behind (ahead of)
// schedule by (1 − 2^y) seconds a second. Near equilibrium the distance
// halves every half-life; far from it the approach is logistic:
//
//	t = HalfLife · log2((2^−y0 − 1) / (2^−y − 1)),  y = ±eps.
func expectedRecovery(halfLife, y0, eps float64) float64 {
	y := math.Copysign(eps, y0)
	return halfLife * math.Log2((math.Exp2(-y0)-1)/(math.Exp2(-y)-1))
}

// TestSimulatedHashrateJumps mines through a hashrate that jumps 10× up and,
// later, 10× down again. After each jump the target must come within 0.2
// (in log2, block times within 15%) of the equilibrium in the chain time
// the half-life predicts (within ±30%), and the blocks mined from two to
// four half-lives after that must average the ideal block time within 10%.
func TestSimulatedHashrateJumps(t *testing.T) {
	const (
		ideal    = 60
		halfLife = 1000 * ideal // 1000 blocks
		eps      = 0.2
	)
	p := &Params{HalfLife: halfLife, IdealBlockTime: ideal,
		PowLimit: blockchain.CompactToBig(0x1d00ffff)}
	a := Anchor{Height: 100, ParentTime: 1_700_000_000, Bits: 0x1c0fffff}
	c := &simChain{
		a:      a,
		p:      p,
		t0:     new(big.Float).SetInt(blockchain.CompactToBig(a.Bits)),
		rng:    rand.New(rand.NewPCG(20201115, 172800)),
		height: a.Height,
		clock:  float64(a.ParentTime + ideal),
	}

	start := c.clock
	up := start + 2*halfLife
	down := up + 12*halfLife
	end := down + 14*halfLife
	c.mine(t, 1, up)
	c.mine(t, 10, down)
	c.mine(t, 1, end)

	for _, jump := range []struct {
		name string
		at   float64
		y0   float64
	}{
		{"10x up", up, math.Log2(10)},
		{"10x down", down, -math.Log2(10)},
	} {
		want := expectedRecovery(halfLife, jump.y0, eps)
		hit, ok := c.firstWithin(jump.at, eps)
		if !ok {
			t.Fatalf("%s: never within %.1f of equilibrium", jump.name, eps)
		}
		took := hit - jump.at
		t.Logf("%s: within %.1f after %.2f half-lives, expected %.2f",
			jump.name, eps, took/halfLife, want/halfLife)
		if took < 0.7*want || took > 1.3*want {
			t.Errorf("%s: took %.0f s of chain time, expected %.0f s ± 30%%",
				jump.name, took, want)
		}
		mean, n := c.meanBlockTime(hit+2*halfLife, hit+4*halfLife)
		t.Logf("%s: then %d blocks average %.2f s (ideal %d s)",
			jump.name, n, mean, ideal)
		if math.Abs(mean-ideal) > 0.1*ideal {
			t.Errorf("%s: blocks average %.2f s, ideal %d s", jump.name, mean, ideal)
		}
	}

	// Before the first jump the chain is on schedule from the start.
	if mean, _ := c.meanBlockTime(start, up); math.Abs(mean-ideal) > 0.1*ideal {
		t.Errorf("steady hashrate: blocks average %.2f s", mean)
	}
}
