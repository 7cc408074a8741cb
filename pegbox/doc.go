// Package pegbox owns the coins that back the sidechain on the mainchain:
// deposits in, payouts out, and the federation multisig that holds them.
//
// The pegbox is a P2WSH sorted multisig of the federation's keys with a
// threshold of ⌊2n/3⌋+1 of n. The federation is the n distinct pubkeys with
// the greatest total ticket weight at each pegbox epoch boundary. When the
// federation changes, the outgoing members move the funds to the new pegbox
// with a rotation transaction, and deposits to the previous address are
// still honoured for a grace period.
//
// A deposit is a mainchain transaction that pays a current or grace-period
// pegbox address and names the sidechain script that receives it. The
// package recognises deposits and tells the sideblock package which deposits
// a block must mint. Deposits that cannot be minted (wrong address, dust)
// are recorded so that the API can report them.
//
// For payouts, the package decides when a federation member may sign: the
// sideblock must be on the best sidechain and deep enough on both chains, no
// payout for it may exist yet, and the rate limit must allow it.
//
// What exists: the election of a federation from the stakers' weights
// (Elect), its sorted-multisig witness script and P2WSH address; the
// recognition of a deposit (ParseDeposit) with typed rule errors for every
// reason a deposit is refused; the Index, which follows the pegbox in each
// mainchain block's batch (federations per epoch, coins, accepted deposits
// in mint order, refused deposits, payouts) and is the sidechain's source of
// deposits to mint (MintSource); the deterministic builder of a sideblock's
// payout (BuildPayout), the rules that say when it may be signed
// (PayoutAllowed), and Signing, which gathers the federation's signatures
// as PSBTs (with psbtsign, shared with the notary rounds) and refuses
// signatures of other transactions; the rotation
// (BuildRotation) and fee bumps (BumpFee, Bumped). The index records every
// spend of pegbox coins with its chain facts (Spends), and the Auditor
// judges each, when asked, against the node's best sidechain: a valid
// payout, a rotation (either at some bump level), unexplained with the
// rule it breaks, or unchecked while the node lacks the body a payout
// needs; the verdicts are kept in no store key, so they are no part of the
// state hash. The federation package runs the signing rounds. Its log
// subsystem tag is PEGB.
package pegbox
