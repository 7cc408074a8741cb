package asert

import (
	"math"
	"math/big"
	"testing"

	"github.com/btcsuite/btcd/blockchain"
)

// fuzzLimits are the pow limits the fuzz target picks from: Bitcoin's
// mainnet limit, a 255-bit regtest limit that compact bits cannot hold
// exactly, the widest 256-bit limit, and a tiny one.
var fuzzLimits = []*big.Int{
	blockchain.CompactToBig(0x1d00ffff),
	new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(1)),
	new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1)),
	big.NewInt(1000),
}

// FuzzNextTarget checks the invariants of the schedule on arbitrary inputs:
//
//   - no panic; parameters are refused with ErrBadParams or ErrBadAnchor,
//     heights below the anchor with ErrBeforeAnchor;
//   - the target is in [1, PowLimit], and so is the target its bits encode;
//   - the int64 and the math/big exponent agree;
//   - a later evaluation time never lowers the target, a greater height
//     never raises it;
//   - one half-life later the exponent grows by exactly 65536 (65535 where
//     truncation toward zero crosses zero), and then the raw target
//     doubles: exactly when no bit is shifted out, else 2T or 2T+1;
//   - HalfLife/IdealBlockTime blocks later (when that divides) the raw
//     target halves: exactly floor(T/2).
//
// The seeds run as part of the ordinary suite.
func FuzzNextTarget(f *testing.F) {
	seeds := []struct {
		height       uint64
		parentTime   int64
		bits         uint32
		halfLife     int64
		ideal        int64
		heightOffset uint64
		evalTime     int64
		timeStep     int64
		limit        uint8
	}{
		{1, 0, 0x1d00ffff, 172800, 600, 1, 1200, 600, 0},
		{1, 0, 0x1a2b3c4d, 172800, 600, 1, 87600, 172800, 0},
		{1, 0, 0x01010000, 172800, 600, 1, 174000, 1, 0},
		{1, 0, 0x1802aee8, 172800, 600, 0, -1, 0, 0},
		{1, 10000, 0x1802aee8, 172800, 600, 9999, 1202, 1, 0},
		{math.MaxInt64 - 5, 2147483047, 0x1802aee8, 172800, 600, 5, 2147488147, 900, 0},
		{math.MaxUint64 - 1, math.MinInt64, 0x1802aee8, 172800, 600, 1, math.MaxInt64, math.MaxInt64, 0},
		{0, math.MaxInt64, 0x01010000, 1, 1, math.MaxUint64, math.MinInt64, 1, 2},
		{0, 0, 0x207fffff, 200, 2, 100, 0, 200, 1},
		{0, 0, 0x2100ffff, 3600, 2, 7, 100, 3600, 2},
		{0, 0, 0x0203e8, 1, 1, 3, 5, 1, 3},
		{0, 0, 0x1d00ffff, math.MaxInt64, math.MaxInt64, 1 << 40, 1 << 50, 1 << 62, 0},
		{5, 0, 0x1d00ffff, 172800, 600, 0, 0, 0, 0},
		{0, 0, 0, 172800, 600, 0, 0, 0, 0},
		{0, 0, 0x1d00ffff, 0, 600, 0, 0, 0, 0},
		{0, 0, 0x1d00ffff, 172800, -600, 0, 0, 0, 0},
	}
	for _, s := range seeds {
		f.Add(s.height, s.parentTime, s.bits, s.halfLife, s.ideal,
			s.heightOffset, s.evalTime, s.timeStep, s.limit)
	}
	f.Fuzz(func(t *testing.T, height uint64, parentTime int64, bits uint32,
		halfLife, ideal int64, heightOffset uint64, evalTime, timeStep int64,
		limit uint8) {

		a := Anchor{Height: height, ParentTime: parentTime, Bits: bits}
		p := &Params{HalfLife: halfLife, IdealBlockTime: ideal,
			PowLimit: fuzzLimits[int(limit)%len(fuzzLimits)]}
		evalHeight := height + heightOffset
		checkFuzzCase(t, a, p, evalHeight, evalTime, timeStep)
	})
}

// checked tells which of the invariants a case reached.
type checked struct {
	doubled, doubledExactly, truncated, halved bool
}

func checkFuzzCase(t *testing.T, a Anchor, p *Params, h uint64, tm, timeStep int64) (c checked) {
	target, err := nextTarget(a, p, h, tm)
	bits, bitsErr := NextTarget(a, p, h, tm)
	if (err == nil) != (bitsErr == nil) {
		t.Fatalf("nextTarget %v, NextTarget %v", err, bitsErr)
	}
	if err != nil {
		code, ok := ErrorCodeOf(err)
		switch {
		case !ok:
			t.Fatalf("untyped error %v", err)
		case code == ErrBeforeAnchor:
			if h >= a.Height {
				t.Fatalf("ErrBeforeAnchor at height %d, anchor %d", h, a.Height)
			}
		case code == ErrBadParams || code == ErrBadAnchor:
			if CheckParams(a, p) == nil {
				t.Fatalf("%v for parameters CheckParams accepts", err)
			}
		default:
			t.Fatalf("unexpected code %v", code)
		}
		return c
	}
	inRange := func(what string, x *big.Int) {
		if x.Sign() <= 0 || x.Cmp(p.PowLimit) > 0 {
			t.Fatalf("%s %x outside [1, %x]", what, x, p.PowLimit)
		}
	}
	inRange("target", target)
	inRange("bits target", blockchain.CompactToBig(bits))
	if bits != blockchain.BigToCompact(target) {
		t.Fatalf("bits %08x for target %x", bits, target)
	}
	s, frac := exponent(a, p, h, tm)
	if bs, bf := exponentBig(a, p, h, tm); bs != s || bf != frac {
		t.Fatalf("exponent %d·65536+%d, math/big %d·65536+%d", s, frac, bs, bf)
	}

	// Monotone in time.
	if timeStep < 0 {
		timeStep = -(timeStep + 1)
	}
	if later, ok := add64(tm, timeStep); ok {
		t2, _ := nextTarget(a, p, h, later)
		if t2.Cmp(target) < 0 {
			t.Fatalf("time %d→%d lowers the target %x→%x", tm, later, target, t2)
		}
		b2, _ := NextTarget(a, p, h, later)
		if blockchain.CompactToBig(b2).Cmp(blockchain.CompactToBig(bits)) < 0 {
			t.Fatalf("time %d→%d lowers the bits %08x→%08x", tm, later, bits, b2)
		}
	}
	// Monotone in height.
	if h < math.MaxUint64 {
		t2, _ := nextTarget(a, p, h+1, tm)
		if t2.Cmp(target) > 0 {
			t.Fatalf("height %d→%d raises the target %x→%x", h, h+1, target, t2)
		}
	}

	// Exact doubling and halving, away from the bounded shifts.
	if s <= -maxShift+2 || s >= maxShift-2 {
		return c
	}
	ref := blockchain.CompactToBig(a.Bits)
	raw := rawTarget(ref, s, frac)
	ahead := aheadBig(a, p, h, tm)
	if later, ok := add64(tm, p.HalfLife); ok {
		s2, f2 := exponent(a, p, h, later)
		grow := (s2-s)*radix + int64(f2) - int64(frac)
		if exactStep(ahead, p.HalfLife, +1) {
			if grow != radix {
				t.Fatalf("one half-life later the exponent grows by %d", grow)
			}
			raw2 := rawTarget(ref, s2, f2)
			twice := new(big.Int).Lsh(raw, 1)
			diff := new(big.Int).Sub(raw2, twice)
			if s >= fracBits && diff.Sign() != 0 ||
				diff.Sign() < 0 || diff.Cmp(big.NewInt(1)) > 0 {
				t.Fatalf("one half-life later %x, twice %x (shifts %d)", raw2, twice, s)
			}
			t2, _ := nextTarget(a, p, h, later)
			if twice.Cmp(p.PowLimit) <= 0 && s >= fracBits {
				if t2.Cmp(twice) != 0 {
					t.Fatalf("one half-life later target %x, want %x", t2, twice)
				}
				c.doubledExactly = true
			}
			c.doubled = true
		} else {
			if grow != radix-1 {
				t.Fatalf("one half-life later (truncation crossing zero) the exponent grows by %d", grow)
			}
			c.truncated = true
		}
	}
	if p.HalfLife%p.IdealBlockTime == 0 {
		k := uint64(p.HalfLife / p.IdealBlockTime)
		if h+k >= h && exactStep(ahead, p.HalfLife, -1) {
			s3, f3 := exponent(a, p, h+k, tm)
			if (s3-s)*radix+int64(f3)-int64(frac) != -radix {
				t.Fatalf("%d blocks later the exponent moves %d·65536+%d → %d·65536+%d", k, s, frac, s3, f3)
			}
			raw3 := rawTarget(ref, s3, f3)
			half := new(big.Int).Rsh(raw, 1)
			if raw3.Cmp(half) != 0 {
				t.Fatalf("%d blocks later %x, half of %x is %x", k, raw3, raw, half)
			}
			t3, _ := nextTarget(a, p, h+k, tm)
			if raw.Cmp(p.PowLimit) <= 0 && half.Sign() > 0 {
				if t3.Cmp(half) != 0 {
					t.Fatalf("%d blocks later target %x, want %x", k, t3, half)
				}
				c.halved = true
			}
		}
	}
	return c
}

// TestInvariantsGrid runs the fuzz invariants over a grid of evaluation
// times and heights around the schedule of two networks, and checks that
// every kind of check was reached: exact doubling, doubling with a shifted
// out bit, the truncation step across zero, and halving.
func TestInvariantsGrid(t *testing.T) {
	nets := []struct {
		a Anchor
		p *Params
	}{
		{Anchor{Height: 1, ParentTime: 0, Bits: 0x1a2b3c4d}, bchParams()},
		{Anchor{Height: 0, ParentTime: 1000, Bits: 0x2000ffff},
			&Params{HalfLife: 200, IdealBlockTime: 2, PowLimit: fuzzLimits[1]}},
	}
	var all checked
	n := 0
	for _, net := range nets {
		span := 20 * net.p.HalfLife
		for dh := uint64(0); dh < 40; dh += 3 {
			for dt := -span; dt <= span; dt += net.p.HalfLife/7 + 1 {
				tm := net.a.ParentTime + int64(dh)*net.p.IdealBlockTime + dt
				c := checkFuzzCase(t, net.a, net.p, net.a.Height+dh, tm, dt&0xff)
				all.doubled = all.doubled || c.doubled
				all.doubledExactly = all.doubledExactly || c.doubledExactly
				all.truncated = all.truncated || c.truncated
				all.halved = all.halved || c.halved
				n++
			}
		}
	}
	if !all.doubled || !all.doubledExactly || !all.truncated || !all.halved {
		t.Errorf("%d cases reached %+v", n, all)
	}
}

// aheadBig returns (evalTime − ParentTime) − IdealBlockTime·(height offset
// + 1) exactly.
func aheadBig(a Anchor, p *Params, h uint64, tm int64) *big.Int {
	d := big.NewInt(tm)
	d.Sub(d, big.NewInt(a.ParentTime))
	sched := new(big.Int).SetUint64(h - a.Height)
	sched.Add(sched, big.NewInt(1))
	sched.Mul(sched, big.NewInt(p.IdealBlockTime))
	return d.Sub(d, sched)
}

// exactStep reports whether moving ahead by dir·halfLife moves the
// truncated exponent trunc(ahead·65536/halfLife) by exactly dir·65536: it
// does unless the quotient is not whole and the step crosses zero, where
// truncation rounds the two ends in opposite directions.
func exactStep(ahead *big.Int, halfLife int64, dir int64) bool {
	num := new(big.Int).Lsh(ahead, fracBits)
	if new(big.Int).Rem(num, big.NewInt(halfLife)).Sign() == 0 {
		return true
	}
	moved := new(big.Int).Add(ahead, big.NewInt(dir*halfLife))
	return ahead.Sign() == moved.Sign() || moved.Sign() == 0
}

// add64 returns x + y and whether it did not overflow.
func add64(x, y int64) (int64, bool) {
	s := x + y
	return s, (x^y) < 0 || (s^x) >= 0
}
