package ffg

import "math/bits"

// FinalityDelay is get_finality_delay: how many epochs the previous epoch
// is past the finalized one, for a state in currentEpoch (the previous
// epoch of epoch 0 is 0).
func FinalityDelay(currentEpoch, finalizedEpoch uint64) uint64 {
	prev := currentEpoch
	if prev > 0 {
		prev--
	}
	if finalizedEpoch >= prev {
		return 0
	}
	return prev - finalizedEpoch
}

// InInactivityLeak is is_in_inactivity_leak: the finality delay is above
// MinEpochsToInactivityPenalty (4): with the chain finalizing every epoch
// the delay is 2, so the leak starts after four epochs without finality.
func (p *Params) InInactivityLeak(currentEpoch, finalizedEpoch uint64) bool {
	return FinalityDelay(currentEpoch, finalizedEpoch) > p.MinEpochsToInactivityPenalty
}

// Validator is what the epoch's reward and inactivity rules read of one
// validator.
type Validator struct {
	// EffectiveBalance is the validator's effective balance.
	EffectiveBalance uint64

	// Slashed says whether the validator has been slashed.
	Slashed bool

	// ActivePrevious says whether the validator was active in the
	// previous epoch.
	ActivePrevious bool

	// Eligible is get_eligible_validator_indices: active in the previous
	// epoch, or slashed and not yet withdrawable. Rewards, penalties and
	// inactivity scores apply to eligible validators only.
	Eligible bool

	// Flags are the validator's participation flags for the previous
	// epoch: bit TimelySourceFlag, TimelyTargetFlag, TimelyHeadFlag.
	Flags uint8

	// InactivityScore is the validator's inactivity score.
	InactivityScore uint64
}

// Has reports whether v has participation flag f.
func (v *Validator) Has(f int) bool { return v.Flags&(1<<f) != 0 }

// participating reports whether v counts as participating with flag f in
// the previous epoch: active then, not slashed, and the flag set
// (get_unslashed_participating_indices).
func (v *Validator) participating(f int) bool {
	return v.ActivePrevious && !v.Slashed && v.Has(f)
}

// UpdateInactivityScore is the per-validator step of
// process_inactivity_updates (Altair), for an epoch after the genesis
// epoch: a validator that participated with the right target loses one
// point, any other eligible one gains InactivityScoreBias; then, outside
// the leak, every eligible score loses InactivityScoreRecoveryRate, never
// going below zero. A validator that is not eligible keeps its score.
func (p *Params) UpdateInactivityScore(v Validator, inLeak bool) uint64 {
	s := v.InactivityScore
	if !v.Eligible {
		return s
	}
	if v.participating(TimelyTargetFlag) {
		s -= min(1, s)
	} else {
		s += p.InactivityScoreBias
	}
	if !inLeak {
		s -= min(p.InactivityScoreRecoveryRate, s)
	}
	return s
}

// InactivityPenalty is the per-validator penalty of
// get_inactivity_penalty_deltas (Altair): an eligible validator that did
// not participate with the right target loses effective balance ·
// inactivity score / (InactivityScoreBias · InactivityPenaltyQuotient),
// in or out of the leak (the score is what keeps it small outside one).
// The score used is the one after UpdateInactivityScore, which the
// specification runs first.
func (p *Params) InactivityPenalty(v Validator) uint64 {
	if !v.Eligible || v.participating(TimelyTargetFlag) {
		return 0
	}
	return mulDiv(v.EffectiveBalance, v.InactivityScore,
		p.InactivityScoreBias*p.InactivityPenaltyQuotient)
}

// mulDiv returns a·b/c for c > 0, saturating at 2^64-1.
func mulDiv(a, b, c uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	if hi >= c {
		return ^uint64(0)
	}
	q, _ := bits.Div64(hi, lo, c)
	return q
}

// IntegerSquareRoot is integer_squareroot: the largest x with x·x ≤ n.
func IntegerSquareRoot(n uint64) uint64 {
	if n == 0 {
		return 0
	}
	// Newton's method from above, as the specification does, starting
	// from a value at least the root and small enough not to overflow.
	x := uint64(1) << ((bits.Len64(n) + 1) / 2)
	for {
		y := (x + n/x) / 2
		if y >= x {
			return x
		}
		x = y
	}
}
