// Package claims is claim-based rewards for the pos engine (design §9.2,
// after Dynamo): nodes never pay rewards by themselves. The chain's
// history gives, for every ended epoch, a reward record: each validator's
// rewards minus penalties in that epoch, in satoshis, as pos/ffg computes
// them. A staker claims with a transaction carrying a claim output
// (OP_RETURN and a tagged, BLS-signed payload naming the validator, an
// epoch range and the amount); full nodes accept the claim only after a
// cooldown, when the range starts at the validator's first unclaimed epoch
// and the amount is exactly the sum of the validator's records over the
// range. The ledger (each validator's next unclaimed epoch and claimed
// total) is the only consensus state; since ranges follow each other
// without gaps or overlap, nothing is paid twice.
//
// The signature is BLS, by the validator's key (pos/bls), over the payload
// without its signature and a chain domain: every validator has that key
// already, whereas its withdrawal script may be any script. Checking that
// the claim transaction pays the amount to the validator's withdrawal
// script (pos/registry) is the engine's part.
//
// Tracker follows the chain (records and claims in order) and gives each
// validator's balance: everything earned minus everything claimed.
// Recompute builds it again from the chain's history, which a node does
// after initial block download and after a restart.
//
// Not wired: no engine produces records or includes claims yet.
// docs/protocol.md §14.8 says what it does.
package claims
