package claims

// Params are the claim rules' constants.
type Params struct {
	// Cooldown is how many epochs must have ended after the last epoch a
	// claim covers before the claim is valid: a claim for epochs up to t
	// is valid in a block of epoch e when e > t + Cooldown.
	Cooldown uint64

	// MaxClaimRange bounds the epochs one claim may cover, and so the
	// records one claim's validation reads.
	MaxClaimRange uint64
}

// Devnet is the devnet preset: a claim is valid 4 epochs (32 slots of one
// second) after its last epoch.
var Devnet = Params{Cooldown: 4, MaxClaimRange: 1024}

// Mainnet is the mainnet-like preset: 256 epochs of 32 slots of 12 s
// (about 27 hours), the phase0 SHARD_COMMITTEE_PERIOD, and at most 8,192
// epochs (about 36 days) per claim.
var Mainnet = Params{Cooldown: 256, MaxClaimRange: 8192}

// Check reports, as a RuleError with ErrBadParams, parameters nothing can
// be checked with.
func (p *Params) Check() error {
	switch {
	case p.MaxClaimRange == 0 || p.MaxClaimRange > 1<<20:
		return ruleErrorf(ErrBadParams, "maximum claim range of %d epochs "+
			"is not between 1 and 2^20", p.MaxClaimRange)
	case p.Cooldown > 1<<32:
		return ruleErrorf(ErrBadParams, "cooldown of %d epochs is above "+
			"2^32", p.Cooldown)
	}
	return nil
}
