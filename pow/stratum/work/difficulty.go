package work

import (
	"math"
	"math/big"
)

// diff1 is the target of Stratum difficulty 1 (bdiff, as cpuminer and
// cgminer use it): 0xffff shifted left by 208 bits.
var diff1 = new(big.Int).Lsh(big.NewInt(0xffff), 208)

// maxTarget is the largest target: 2^256-1, any hash meets it.
var maxTarget = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))

// Diff1Target returns the target of difficulty 1.
func Diff1Target() *big.Int { return new(big.Int).Set(diff1) }

// TargetFromDifficulty returns the share target of Stratum difficulty d:
// the target of difficulty 1 divided by d, rounded down, kept within
// [1, 2^256-1]. A difficulty below 1 makes a target above difficulty 1's
// (a regtest-easy target); zero, a negative difficulty or NaN makes
// 2^256-1, which any hash meets.
func TargetFromDifficulty(d float64) *big.Int {
	if !(d > 0) {
		return new(big.Int).Set(maxTarget)
	}
	if math.IsInf(d, 1) {
		return big.NewInt(1)
	}
	q := new(big.Float).SetPrec(256).SetInt(diff1)
	q.Quo(q, new(big.Float).SetPrec(256).SetFloat64(d))
	t, _ := q.Int(nil)
	if t.Sign() <= 0 {
		return big.NewInt(1)
	}
	if t.Cmp(maxTarget) > 0 {
		return t.Set(maxTarget)
	}
	return t
}

// DifficultyFromTarget returns the Stratum difficulty of target t: the
// target of difficulty 1 divided by t. A target that is nil, zero or
// negative has difficulty +Inf.
func DifficultyFromTarget(t *big.Int) float64 {
	if t == nil || t.Sign() <= 0 {
		return math.Inf(1)
	}
	q := new(big.Float).SetPrec(64).SetInt(diff1)
	q.Quo(q, new(big.Float).SetPrec(64).SetInt(t))
	d, _ := q.Float64()
	return d
}
