package pegbox

import "github.com/mainstake/sidenode/chainparams"

// PayoutAllowed says whether the federation may sign the payout of a
// sideblock on the best sidechain now. sideDepth counts the sideblock and
// the blocks on top of it (1 for the tip); pubConfs counts the mainchain
// block that published it and those on top of it. paidInPeriod is what
// payouts paid out in the last PegRatePeriod mainchain blocks (PaidSince),
// and amount what this payout would pay out.
//
// The rate limit never stops a payout when nothing was paid in the period:
// a payout bigger than PegRateLimit waits for a quiet period instead of
// waiting for ever.
func PayoutAllowed(p *chainparams.Params, sideDepth, pubConfs int32,
	paidInPeriod, amount int64) error {

	if sideDepth < p.SideWithdrawalDepth {
		return ruleErrorf(ErrTooShallow, "the sideblock is %d deep; payouts "+
			"need %d", sideDepth, p.SideWithdrawalDepth)
	}
	if pubConfs < p.WithdrawalConfirmations {
		return ruleErrorf(ErrTooShallow, "the sideblock's publication has %d "+
			"confirmations; payouts need %d", pubConfs, p.WithdrawalConfirmations)
	}
	if paidInPeriod > 0 && paidInPeriod+amount > p.PegRateLimit {
		return ruleErrorf(ErrRateLimited, "payouts paid %d sat in the last %d "+
			"blocks; %d more would pass the limit of %d", paidInPeriod,
			p.PegRatePeriod, amount, p.PegRateLimit)
	}
	return nil
}
