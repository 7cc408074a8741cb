package ffg

// Participation flag indices and weights of the Altair specification.
const (
	// TimelySourceFlag, TimelyTargetFlag and TimelyHeadFlag are the
	// participation flag indices: an attestation included in time voted
	// for the right source, target or head.
	TimelySourceFlag = 0
	TimelyTargetFlag = 1
	TimelyHeadFlag   = 2

	// NumFlags is the number of participation flags.
	NumFlags = 3
)

// Params are the constants of the Altair specification that
// justification, the inactivity leak and the attestation rewards depend on.
type Params struct {
	// EffectiveBalanceIncrement is EFFECTIVE_BALANCE_INCREMENT: balances
	// count in whole increments (10^9 gwei on Ethereum).
	EffectiveBalanceIncrement uint64

	// BaseRewardFactor is BASE_REWARD_FACTOR.
	BaseRewardFactor uint64

	// MinEpochsToInactivityPenalty is MIN_EPOCHS_TO_INACTIVITY_PENALTY:
	// the leak starts when the finality delay exceeds it.
	MinEpochsToInactivityPenalty uint64

	// InactivityScoreBias is INACTIVITY_SCORE_BIAS: what a missed target
	// adds to a validator's inactivity score.
	InactivityScoreBias uint64

	// InactivityScoreRecoveryRate is INACTIVITY_SCORE_RECOVERY_RATE:
	// what every score loses in an epoch outside the leak.
	InactivityScoreRecoveryRate uint64

	// InactivityPenaltyQuotient is the fork's inactivity penalty quotient
	// (INACTIVITY_PENALTY_QUOTIENT_ALTAIR, 3·2^24; Bellatrix lowered it to
	// 2^24).
	InactivityPenaltyQuotient uint64

	// FlagWeights are TIMELY_SOURCE_WEIGHT, TIMELY_TARGET_WEIGHT and
	// TIMELY_HEAD_WEIGHT, indexed by flag.
	FlagWeights [NumFlags]uint64

	// ProposerWeight is PROPOSER_WEIGHT: the proposer's share for
	// including attestations.
	ProposerWeight uint64

	// SyncRewardWeight is SYNC_REWARD_WEIGHT. The pos engine has no sync
	// committee; the weight is kept so that the others keep their
	// specification values and the weights still sum to the denominator.
	SyncRewardWeight uint64

	// WeightDenominator is WEIGHT_DENOMINATOR.
	WeightDenominator uint64
}

// Altair is the Altair mainnet preset and configuration.
var Altair = Params{
	EffectiveBalanceIncrement:    1_000_000_000,
	BaseRewardFactor:             64,
	MinEpochsToInactivityPenalty: 4,
	InactivityScoreBias:          4,
	InactivityScoreRecoveryRate:  16,
	InactivityPenaltyQuotient:    3 << 24,
	FlagWeights:                  [NumFlags]uint64{14, 26, 14},
	ProposerWeight:               8,
	SyncRewardWeight:             2,
	WeightDenominator:            64,
}

// Check reports, as a RuleError with ErrBadParams, parameters nothing can
// be computed from.
func (p *Params) Check() error {
	switch {
	case p.EffectiveBalanceIncrement == 0:
		return ruleErrorf(ErrBadParams, "effective balance increment is zero")
	case p.InactivityScoreBias == 0:
		return ruleErrorf(ErrBadParams, "inactivity score bias is zero")
	case p.InactivityPenaltyQuotient == 0:
		return ruleErrorf(ErrBadParams, "inactivity penalty quotient is zero")
	}
	sum := p.ProposerWeight + p.SyncRewardWeight
	for _, w := range p.FlagWeights {
		sum += w
	}
	if sum != p.WeightDenominator || p.ProposerWeight >= p.WeightDenominator {
		return ruleErrorf(ErrBadParams, "reward weights sum to %d, not the "+
			"weight denominator %d", sum, p.WeightDenominator)
	}
	return nil
}
