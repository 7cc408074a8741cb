package asert

import (
	"math"
	"math/big"

	"github.com/btcsuite/btcd/blockchain"
)

// Anchor is the block a run of ASERT targets is scheduled from. Every target
// after it follows from these three values, the Params, and the height and
// timestamp of the block being built on; nothing else in the chain matters.
type Anchor struct {
	// Height is the anchor block's height.
	Height uint64

	// ParentTime is the timestamp of the anchor block's parent, in Unix
	// seconds. The schedule starts there: the anchor itself is due one
	// ideal block time later.
	ParentTime int64

	// Bits is the anchor block's compact target. Its target must be
	// positive and at most the pow limit.
	Bits uint32
}

// Params are the constants of one ASERT schedule. A network that switches
// algorithms at a height uses one Params (and one Anchor) per algorithm.
type Params struct {
	// HalfLife is how far ahead of schedule, in seconds, the chain must
	// get for the target to halve (and behind, to double). aserti3-2d on
	// Bitcoin Cash uses 172800 (two days).
	HalfLife int64

	// IdealBlockTime is the scheduled time between blocks, in seconds.
	IdealBlockTime int64

	// PowLimit is the easiest target allowed. No computed target exceeds
	// it. It must be positive and fit in 256 bits.
	PowLimit *big.Int
}

const (
	// fracBits is the number of fractional bits of the fixed-point
	// exponent: the exponent is in units of 1/65536 of a half-life.
	fracBits = 16
	radix    = 1 << fracBits
	fracMask = radix - 1

	// The cubic 2^x ≈ 1 + c1·x + c2·x² + c3·x³ on 0 ≤ x < 1, scaled so that
	// with frac = x·2^16 the sum c1·frac + c2·frac² + c3·frac³ is
	// (2^x − 1)·2^64 and >> 48 gives it in 16.16 fixed point. polyRound
	// adds one half before the shift. At frac = 65535 the sum is just
	// below 2^64: it needs uint64 and overflows int64.
	polyC1    = 195766423245049
	polyC2    = 971821376
	polyC3    = 5127
	polyRound = 1 << 47

	// maxShift bounds the integer part of the exponent. The product of
	// the anchor's target (at least 1, below 2^256) and the factor (at
	// least 2^16, below 2^17) is in [2^16, 2^273), and the target is that
	// product times 2^(shifts−16): at least 2^300 for an integer part of
	// 300 or more (clamped to the pow limit), 0 for −300 or less (raised
	// to 1). Every integer part beyond ±maxShift gives the result that
	// ±maxShift gives.
	maxShift = 1024

	// fastLimit bounds |time offset − schedule| on the int64 path:
	// below 2^47 the product with 2^16 fits in int64 (BCHN asserts the
	// same bound on its inputs and stops beyond it). Beyond it the
	// exponent is computed with math/big, exactly.
	fastLimit = 1 << 47
)

// NextTarget returns the compact target (bits) of the block that builds on
// the evaluation block, the block at evalHeight with timestamp evalTime
// (Unix seconds), under the schedule of anchor a. It is aserti3-2d as BCHN
// specifies it, in integer arithmetic only:
//
//	exponent = trunc(((evalTime − a.ParentTime) − IdealBlockTime·(evalHeight − a.Height + 1))·65536 / HalfLife)
//	target   = bits_to_target(a.Bits) · 2^(exponent/65536)
//
// with 2^x on the fraction approximated by the cubic, clamped to at most
// PowLimit and at least 1, and encoded as compact bits. The result is exact
// for every input: offsets that would overflow int64 are computed with
// math/big, as an unlimited-width integer would compute them.
//
// The errors are RuleErrors: ErrBeforeAnchor for evalHeight < a.Height,
// ErrBadParams and ErrBadAnchor for parameters no target follows from.
func NextTarget(a Anchor, p *Params, evalHeight uint64, evalTime int64) (uint32, error) {
	t, err := nextTarget(a, p, evalHeight, evalTime)
	if err != nil {
		return 0, err
	}
	return blockchain.BigToCompact(t), nil
}

// CheckBits reports, as a RuleError with code ErrBadDifficulty, a header
// whose bits differ from NextTarget of its parent: parentHeight and
// parentTime are the height and timestamp of the block the header builds
// on. The bits must be equal as numbers, so the same target in another
// compact form is refused too. The other errors are those of NextTarget.
func CheckBits(a Anchor, p *Params, parentHeight uint64, parentTime int64, bits uint32) error {
	want, err := NextTarget(a, p, parentHeight, parentTime)
	if err != nil {
		return err
	}
	if bits != want {
		return ruleErrorf(ErrBadDifficulty,
			"block at height %d has bits %08x, the ASERT schedule "+
				"requires %08x (parent time %d)", parentHeight+1,
			bits, want, parentTime)
	}
	return nil
}

// CheckParams reports whether a target can be computed from a and p: p is
// not nil, HalfLife and IdealBlockTime are positive, PowLimit is positive
// and fits in 256 bits, and a.Bits encodes a target in (0, PowLimit]. A
// network checks its parameters with it once, at startup.
func CheckParams(a Anchor, p *Params) error {
	_, err := anchorTarget(a, p)
	return err
}

// ScheduleOffset returns how many seconds the evaluation block (height
// evalHeight, timestamp evalTime) is behind the anchor's schedule, negative
// when it is ahead: (evalTime − a.ParentTime) − IdealBlockTime·(evalHeight −
// a.Height + 1), the quantity whose half-lives NextTarget's exponent counts.
// It is for display (how far the chain is from schedule); values beyond the
// int64 range are returned as math.MinInt64 or math.MaxInt64. The errors
// are those of NextTarget.
func ScheduleOffset(a Anchor, p *Params, evalHeight uint64, evalTime int64) (int64, error) {
	if _, err := anchorTarget(a, p); err != nil {
		return 0, err
	}
	if evalHeight < a.Height {
		return 0, ruleErrorf(ErrBeforeAnchor,
			"height %d is below the ASERT anchor at height %d",
			evalHeight, a.Height)
	}
	d := aheadOfSchedule(a, p, evalHeight, evalTime)
	switch {
	case d.IsInt64():
		return d.Int64(), nil
	case d.Sign() < 0:
		return math.MinInt64, nil
	}
	return math.MaxInt64, nil
}

// anchorTarget checks a and p and returns the anchor's target.
func anchorTarget(a Anchor, p *Params) (*big.Int, error) {
	switch {
	case p == nil:
		return nil, ruleErrorf(ErrBadParams, "no ASERT parameters")
	case p.HalfLife <= 0:
		return nil, ruleErrorf(ErrBadParams,
			"ASERT half-life %d s is not positive", p.HalfLife)
	case p.IdealBlockTime <= 0:
		return nil, ruleErrorf(ErrBadParams,
			"ideal block time %d s is not positive", p.IdealBlockTime)
	case p.PowLimit == nil || p.PowLimit.Sign() <= 0 ||
		p.PowLimit.BitLen() > 256:
		return nil, ruleErrorf(ErrBadParams,
			"pow limit %v is not a positive 256-bit target", p.PowLimit)
	}
	ref := blockchain.CompactToBig(a.Bits)
	if ref.Sign() <= 0 || ref.Cmp(p.PowLimit) > 0 {
		return nil, ruleErrorf(ErrBadAnchor,
			"anchor bits %08x (height %d) do not encode a target in "+
				"(0, pow limit]", a.Bits, a.Height)
	}
	return ref, nil
}

// nextTarget is NextTarget before the compact encoding: the clamped target,
// in [1, PowLimit].
func nextTarget(a Anchor, p *Params, evalHeight uint64, evalTime int64) (*big.Int, error) {
	ref, err := anchorTarget(a, p)
	if err != nil {
		return nil, err
	}
	if evalHeight < a.Height {
		return nil, ruleErrorf(ErrBeforeAnchor,
			"height %d is below the ASERT anchor at height %d",
			evalHeight, a.Height)
	}
	shifts, frac := exponent(a, p, evalHeight, evalTime)
	return clamp(rawTarget(ref, shifts, frac), p.PowLimit), nil
}

// exponent returns the fixed-point exponent split into its integer part
// (floored, bounded to ±maxShift) and its fraction in [0, 65535]: exponent
// = shifts·65536 + frac. The caller has checked evalHeight >= a.Height and
// positive params.
func exponent(a Anchor, p *Params, evalHeight uint64, evalTime int64) (shifts int64, frac uint64) {
	if e, ok := exponentInt64(a, p, evalHeight, evalTime); ok {
		// >> on a signed integer is arithmetic in Go: it floors, as
		// the split into integer part and fraction needs.
		return boundShift(e >> fracBits), uint64(e) & fracMask
	}
	return exponentBig(a, p, evalHeight, evalTime)
}

// exponentInt64 computes the exponent in int64, and reports false when an
// offset is too large for that; exponentBig then computes it.
func exponentInt64(a Anchor, p *Params, evalHeight uint64, evalTime int64) (int64, bool) {
	heightOffset := evalHeight - a.Height
	if heightOffset >= 1<<31 || p.IdealBlockTime >= 1<<31 {
		return 0, false
	}
	// Below 2^31·2^31 = 2^62: no overflow.
	schedule := p.IdealBlockTime * int64(heightOffset+1)
	timeOffset, ok := sub64(evalTime, a.ParentTime)
	if !ok {
		return 0, false
	}
	ahead, ok := sub64(timeOffset, schedule)
	if !ok || ahead <= -fastLimit || ahead >= fastLimit {
		return 0, false
	}
	// Go's / truncates toward zero, as the specification requires.
	return ahead * radix / p.HalfLife, true
}

// exponentBig is exponentInt64 in math/big, for any input.
func exponentBig(a Anchor, p *Params, evalHeight uint64, evalTime int64) (int64, uint64) {
	e := aheadOfSchedule(a, p, evalHeight, evalTime)
	e.Lsh(e, fracBits)
	e.Quo(e, big.NewInt(p.HalfLife)) // Quo truncates toward zero.

	// Rsh on a negative big.Int rounds toward minus infinity, like an
	// arithmetic shift.
	whole := new(big.Int).Rsh(e, fracBits)
	frac := new(big.Int).Lsh(whole, fracBits)
	frac.Sub(e, frac)
	switch {
	case whole.Cmp(big.NewInt(maxShift)) > 0:
		return maxShift, frac.Uint64()
	case whole.Cmp(big.NewInt(-maxShift)) < 0:
		return -maxShift, frac.Uint64()
	}
	return whole.Int64(), frac.Uint64()
}

// aheadOfSchedule returns (evalTime − a.ParentTime) − IdealBlockTime ·
// (evalHeight − a.Height + 1) in math/big, exactly.
func aheadOfSchedule(a Anchor, p *Params, evalHeight uint64, evalTime int64) *big.Int {
	d := big.NewInt(evalTime)
	d.Sub(d, big.NewInt(a.ParentTime))
	schedule := new(big.Int).SetUint64(evalHeight - a.Height)
	schedule.Add(schedule, big.NewInt(1))
	schedule.Mul(schedule, big.NewInt(p.IdealBlockTime))
	return d.Sub(d, schedule)
}

// boundShift limits an integer part to ±maxShift, which changes no result.
func boundShift(s int64) int64 {
	return min(max(s, -maxShift), maxShift)
}

// sub64 returns x − y and whether it did not overflow.
func sub64(x, y int64) (int64, bool) {
	d := x - y
	// Overflow iff x and y have different signs and d's sign is not x's.
	return d, (x^y) >= 0 || (d^x) >= 0
}

// factor returns 2^(frac/65536) in 16.16 fixed point by the cubic, for frac
// in [0, 65535]: 65536 at 0, and at most 131071, so that one more unit of
// the integer part always weighs more than the whole fraction.
func factor(frac uint64) uint64 {
	poly := polyC1*frac + polyC2*frac*frac + polyC3*frac*frac*frac + polyRound
	return radix + poly>>48
}

// rawTarget returns floor(ref · factor(frac) · 2^shifts / 65536), before any
// clamping: it may be 0 or above the pow limit.
func rawTarget(ref *big.Int, shifts int64, frac uint64) *big.Int {
	t := new(big.Int).SetUint64(factor(frac))
	t.Mul(t, ref)
	if s := shifts - fracBits; s < 0 {
		t.Rsh(t, uint(-s))
	} else {
		t.Lsh(t, uint(s))
	}
	return t
}

// clamp raises a zero target to 1, the hardest one, and lowers one above
// the pow limit to the limit. It changes t in place and returns it.
func clamp(t, powLimit *big.Int) *big.Int {
	if t.Sign() == 0 {
		return t.SetInt64(1)
	}
	if t.Cmp(powLimit) > 0 {
		return t.Set(powLimit)
	}
	return t
}
