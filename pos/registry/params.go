package registry

import "math"

// FarFutureEpoch is FAR_FUTURE_EPOCH: an epoch that has not been set.
const FarFutureEpoch = math.MaxUint64

// MaxWithdrawalScriptLen is the longest withdrawal script a deposit may
// carry: txscript's MaxScriptSize (10,000 bytes).
const MaxWithdrawalScriptLen = 10_000

// Params are the registry's constants. Amounts are in satoshis of the
// sidechain coin; the names in capitals are those of the Ethereum phase0
// specification they follow.
type Params struct {
	// SlotsPerEpoch is SLOTS_PER_EPOCH. The registry works in epochs; the
	// value is carried so that a preset is one struct.
	SlotsPerEpoch uint64

	// MinDeposit is the smallest deposit that creates a validator. A top-up
	// of a known validator may be any positive amount.
	MinDeposit uint64

	// MinActivationBalance is the effective balance a validator needs to
	// enter the activation queue (phase0: MAX_EFFECTIVE_BALANCE).
	MinActivationBalance uint64

	// EjectionBalance is EJECTION_BALANCE: an active validator whose
	// effective balance falls to it is exited.
	EjectionBalance uint64

	// EffectiveBalanceIncrement is EFFECTIVE_BALANCE_INCREMENT.
	EffectiveBalanceIncrement uint64

	// MaxEffectiveBalance is MAX_EFFECTIVE_BALANCE.
	MaxEffectiveBalance uint64

	// HysteresisQuotient, HysteresisDownwardMultiplier and
	// HysteresisUpwardMultiplier are HYSTERESIS_QUOTIENT,
	// HYSTERESIS_DOWNWARD_MULTIPLIER and HYSTERESIS_UPWARD_MULTIPLIER.
	HysteresisQuotient           uint64
	HysteresisDownwardMultiplier uint64
	HysteresisUpwardMultiplier   uint64

	// MinPerEpochChurnLimit and ChurnLimitQuotient are
	// MIN_PER_EPOCH_CHURN_LIMIT and CHURN_LIMIT_QUOTIENT.
	MinPerEpochChurnLimit uint64
	ChurnLimitQuotient    uint64

	// MaxSeedLookahead is MAX_SEED_LOOKAHEAD: activations and exits take
	// effect at current epoch + 1 + MaxSeedLookahead.
	MaxSeedLookahead uint64

	// MinValidatorWithdrawabilityDelay is
	// MIN_VALIDATOR_WITHDRAWABILITY_DELAY: epochs from exit to withdrawal.
	MinValidatorWithdrawabilityDelay uint64

	// ShardCommitteePeriod is SHARD_COMMITTEE_PERIOD: epochs a validator
	// must have been active before it may exit voluntarily.
	ShardCommitteePeriod uint64

	// EpochsPerSlashingsVector is EPOCHS_PER_SLASHINGS_VECTOR: a slashed
	// validator is withdrawable no earlier than this many epochs after
	// the slashing.
	EpochsPerSlashingsVector uint64
}

// coin is one sidechain coin in satoshis.
const coin = 100_000_000

// Mainnet is the mainnet-like preset: the phase0 mainnet values, with one
// coin as the balance increment (Ethereum: one ether) and 32 slots per
// epoch.
var Mainnet = Params{
	SlotsPerEpoch:                    32,
	MinDeposit:                       1 * coin,
	MinActivationBalance:             32 * coin,
	EjectionBalance:                  16 * coin,
	EffectiveBalanceIncrement:        1 * coin,
	MaxEffectiveBalance:              32 * coin,
	HysteresisQuotient:               4,
	HysteresisDownwardMultiplier:     1,
	HysteresisUpwardMultiplier:       5,
	MinPerEpochChurnLimit:            4,
	ChurnLimitQuotient:               65_536,
	MaxSeedLookahead:                 4,
	MinValidatorWithdrawabilityDelay: 256,
	ShardCommitteePeriod:             256,
	EpochsPerSlashingsVector:         8_192,
}

// Devnet is the devnet preset: 8 slots per epoch and short delays, so that
// a test network activates, exits and withdraws within minutes. Balances
// are as in Mainnet.
var Devnet = Params{
	SlotsPerEpoch:                    8,
	MinDeposit:                       1 * coin,
	MinActivationBalance:             32 * coin,
	EjectionBalance:                  16 * coin,
	EffectiveBalanceIncrement:        1 * coin,
	MaxEffectiveBalance:              32 * coin,
	HysteresisQuotient:               4,
	HysteresisDownwardMultiplier:     1,
	HysteresisUpwardMultiplier:       5,
	MinPerEpochChurnLimit:            4,
	ChurnLimitQuotient:               32,
	MaxSeedLookahead:                 1,
	MinValidatorWithdrawabilityDelay: 4,
	ShardCommitteePeriod:             4,
	EpochsPerSlashingsVector:         16,
}

// Check reports, as a RuleError with ErrBadParams, parameters nothing can
// be computed from.
func (p *Params) Check() error {
	switch {
	case p.SlotsPerEpoch == 0:
		return ruleErrorf(ErrBadParams, "slots per epoch is zero")
	case p.EffectiveBalanceIncrement == 0:
		return ruleErrorf(ErrBadParams, "effective balance increment is zero")
	case p.HysteresisQuotient == 0:
		return ruleErrorf(ErrBadParams, "hysteresis quotient is zero")
	case p.ChurnLimitQuotient == 0:
		return ruleErrorf(ErrBadParams, "churn limit quotient is zero")
	case p.MinPerEpochChurnLimit == 0:
		return ruleErrorf(ErrBadParams, "minimum churn limit is zero")
	case p.MinDeposit == 0:
		return ruleErrorf(ErrBadParams, "minimum deposit is zero")
	case p.MaxEffectiveBalance == 0 || p.MaxEffectiveBalance%p.EffectiveBalanceIncrement != 0:
		return ruleErrorf(ErrBadParams, "maximum effective balance %d sat is "+
			"not a positive multiple of the increment %d sat",
			p.MaxEffectiveBalance, p.EffectiveBalanceIncrement)
	case p.MinActivationBalance == 0 || p.MinActivationBalance > p.MaxEffectiveBalance:
		return ruleErrorf(ErrBadParams, "activation balance %d sat is not in "+
			"(0, maximum effective balance %d sat]", p.MinActivationBalance,
			p.MaxEffectiveBalance)
	case p.MaxSeedLookahead > 1<<20 || p.MinValidatorWithdrawabilityDelay > 1<<32 ||
		p.EpochsPerSlashingsVector > 1<<32 || p.ShardCommitteePeriod > 1<<32:
		return ruleErrorf(ErrBadParams, "a delay in epochs is too large")
	}
	return nil
}

// ChurnLimit is get_validator_churn_limit: how many validators may be
// activated, and how many may exit, per epoch, given the number active.
func (p *Params) ChurnLimit(active uint64) uint64 {
	return max(p.MinPerEpochChurnLimit, active/p.ChurnLimitQuotient)
}

// ActivationExitEpoch is compute_activation_exit_epoch: the epoch at which
// an activation or exit decided at epoch e takes effect.
func (p *Params) ActivationExitEpoch(e uint64) uint64 {
	return e + 1 + p.MaxSeedLookahead
}
