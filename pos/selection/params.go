package selection

// Params are the constants of the Ethereum consensus specifications that
// selection depends on. Mainnet and Minimal are the two presets the
// specifications publish; a network may choose its own (devnet uses 8 slots
// per epoch), as long as Check accepts them.
type Params struct {
	// ShuffleRoundCount is SHUFFLE_ROUND_COUNT: the number of swap-or-not
	// rounds (90 on mainnet, 10 in the minimal preset).
	ShuffleRoundCount uint8

	// SlotsPerEpoch is SLOTS_PER_EPOCH.
	SlotsPerEpoch uint64

	// TargetCommitteeSize is TARGET_COMMITTEE_SIZE: the committee size
	// below which an epoch gets fewer committees per slot.
	TargetCommitteeSize uint64

	// MaxCommitteesPerSlot is MAX_COMMITTEES_PER_SLOT.
	MaxCommitteesPerSlot uint64

	// MaxEffectiveBalance is MAX_EFFECTIVE_BALANCE in the chain's base unit
	// (gwei on Ethereum): a validator at this effective balance is always
	// accepted as proposer once it is drawn.
	MaxEffectiveBalance uint64

	// EpochsPerHistoricalVector is EPOCHS_PER_HISTORICAL_VECTOR: the
	// length of the ring of RANDAO mixes.
	EpochsPerHistoricalVector uint64

	// MinSeedLookahead is MIN_SEED_LOOKAHEAD: an epoch's seed comes from
	// the mix at the end of the epoch MinSeedLookahead+1 before it.
	MinSeedLookahead uint64
}

// Mainnet is the phase0 mainnet preset.
var Mainnet = Params{
	ShuffleRoundCount:         90,
	SlotsPerEpoch:             32,
	TargetCommitteeSize:       128,
	MaxCommitteesPerSlot:      64,
	MaxEffectiveBalance:       32_000_000_000,
	EpochsPerHistoricalVector: 65536,
	MinSeedLookahead:          1,
}

// Minimal is the phase0 minimal preset, the one the specifications' tests
// use for small states.
var Minimal = Params{
	ShuffleRoundCount:         10,
	SlotsPerEpoch:             8,
	TargetCommitteeSize:       4,
	MaxCommitteesPerSlot:      4,
	MaxEffectiveBalance:       32_000_000_000,
	EpochsPerHistoricalVector: 64,
	MinSeedLookahead:          1,
}

// Check reports, as a RuleError with ErrBadParams, the first parameter that
// nothing can be computed from.
func (p *Params) Check() error {
	switch {
	case p == nil:
		return ruleErrorf(ErrBadParams, "no selection parameters")
	case p.ShuffleRoundCount == 0:
		return ruleErrorf(ErrBadParams, "shuffle round count is 0")
	case p.SlotsPerEpoch == 0:
		return ruleErrorf(ErrBadParams, "slots per epoch is 0")
	case p.TargetCommitteeSize == 0:
		return ruleErrorf(ErrBadParams, "target committee size is 0")
	case p.MaxCommitteesPerSlot == 0:
		return ruleErrorf(ErrBadParams, "max committees per slot is 0")
	case p.MaxEffectiveBalance == 0:
		return ruleErrorf(ErrBadParams, "max effective balance is 0")
	case p.EpochsPerHistoricalVector == 0:
		return ruleErrorf(ErrBadParams, "epochs per historical vector is 0")
	case p.MinSeedLookahead >= p.EpochsPerHistoricalVector:
		return ruleErrorf(ErrBadParams, "min seed lookahead %d is not below "+
			"epochs per historical vector %d", p.MinSeedLookahead,
			p.EpochsPerHistoricalVector)
	}
	return nil
}
