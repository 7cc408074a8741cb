package ffg

// RewardContext holds the epoch-wide totals the attestation rewards of
// Altair are computed from. Make it with NewRewardContext once per epoch;
// the per-validator functions then cost a few multiplications each.
type RewardContext struct {
	p *Params

	// activeIncrements is the total active balance in increments.
	activeIncrements uint64

	// baseRewardPerIncrement is get_base_reward_per_increment.
	baseRewardPerIncrement uint64

	// participatingIncrements are the unslashed participating balances
	// of the previous epoch per flag, in increments.
	participatingIncrements [NumFlags]uint64

	inLeak bool
}

// NewRewardContext computes the epoch's totals: totalActive is
// get_total_active_balance (at least one increment), participating the
// unslashed participating balance of the previous epoch for each flag
// (get_total_balance of get_unslashed_participating_indices, at least one
// increment each; ParticipatingBalances computes them), inLeak whether the
// state is in the inactivity leak.
func NewRewardContext(p *Params, totalActive uint64, participating [NumFlags]uint64, inLeak bool) (*RewardContext, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	if totalActive < p.EffectiveBalanceIncrement {
		return nil, ruleErrorf(ErrBadBalances, "total active balance %d "+
			"is below one effective balance increment (%d)", totalActive,
			p.EffectiveBalanceIncrement)
	}
	c := &RewardContext{p: p, inLeak: inLeak}
	c.activeIncrements = totalActive / p.EffectiveBalanceIncrement
	sq := IntegerSquareRoot(totalActive)
	c.baseRewardPerIncrement = mulDiv(p.EffectiveBalanceIncrement, p.BaseRewardFactor, sq)
	for f, bal := range participating {
		if bal > totalActive {
			return nil, ruleErrorf(ErrBadBalances, "participating balance "+
				"%d of flag %d is above the total active balance %d",
				bal, f, totalActive)
		}
		c.participatingIncrements[f] = bal / p.EffectiveBalanceIncrement
	}
	return c, nil
}

// ParticipatingBalances sums, per flag, the effective balances of the
// validators participating with it in the previous epoch (active then,
// unslashed, flag set), each total at least one increment
// (get_total_balance).
func ParticipatingBalances(p *Params, vals []Validator) [NumFlags]uint64 {
	var out [NumFlags]uint64
	for i := range vals {
		for f := range NumFlags {
			if vals[i].participating(f) {
				out[f] += vals[i].EffectiveBalance
			}
		}
	}
	for f := range out {
		out[f] = max(out[f], p.EffectiveBalanceIncrement)
	}
	return out
}

// BaseReward is get_base_reward: the validator's effective balance in
// increments times the base reward per increment.
func (c *RewardContext) BaseReward(effectiveBalance uint64) uint64 {
	return effectiveBalance / c.p.EffectiveBalanceIncrement * c.baseRewardPerIncrement
}

// FlagDelta is one validator's reward and penalty for flag f, from
// get_flag_index_deltas: an eligible validator that participated gets
// base reward · weight · participating increments / (active increments ·
// weight denominator), except in the leak, where it gets nothing; one that
// did not loses base reward · weight / weight denominator, except for the
// head flag, which is never penalised.
func (c *RewardContext) FlagDelta(v Validator, f int) (reward, penalty uint64) {
	if !v.Eligible {
		return 0, 0
	}
	base := c.BaseReward(v.EffectiveBalance)
	w := c.p.FlagWeights[f]
	if v.participating(f) {
		if c.inLeak {
			return 0, 0
		}
		num := base * w
		return mulDiv(num, c.participatingIncrements[f],
			c.activeIncrements*c.p.WeightDenominator), 0
	}
	if f == TimelyHeadFlag {
		return 0, 0
	}
	return 0, base * w / c.p.WeightDenominator
}

// Delta is a validator's reward and penalty for one epoch.
type Delta struct {
	Reward  uint64
	Penalty uint64
}

// EpochDeltas is process_rewards_and_penalties (Altair) without the
// balance updates: for each validator, the sum of its source, target and
// head deltas and its inactivity penalty. vals must carry the inactivity
// scores after UpdateInactivityScore. The caller applies each delta as the
// specification does, increase then decrease saturating at zero, and skips
// the genesis epoch.
func (c *RewardContext) EpochDeltas(vals []Validator) []Delta {
	out := make([]Delta, len(vals))
	for i := range vals {
		for f := range NumFlags {
			r, p := c.FlagDelta(vals[i], f)
			out[i].Reward += r
			out[i].Penalty += p
		}
		out[i].Penalty += c.p.InactivityPenalty(vals[i])
	}
	return out
}

// ProposerReward is the proposer's reward for including attestations
// (process_attestation, Altair): proposerRewardNumerator is the sum, over
// every attester and every flag the attestation newly sets for it, of
// base reward · flag weight; the proposer gets it divided by
// (WEIGHT_DENOMINATOR − PROPOSER_WEIGHT) · WEIGHT_DENOMINATOR /
// PROPOSER_WEIGHT. This is the inclusion reward of Altair; phase0's
// inclusion-delay reward no longer exists.
func (c *RewardContext) ProposerReward(proposerRewardNumerator uint64) uint64 {
	p := c.p
	den := (p.WeightDenominator - p.ProposerWeight) * p.WeightDenominator / p.ProposerWeight
	return proposerRewardNumerator / den
}
