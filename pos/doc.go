// Package pos is the epoch proof-of-stake engine, one of the host-chain
// engines that can run the sidechain instead of mainstake.
//
// Time is divided into slots and epochs. Validators join through deposits
// and an activation queue. Each slot has a proposer, and each epoch's
// committees are chosen with the swap-or-not shuffle. Attestations drive
// Casper FFG justification and finality at two thirds of active stake, and
// LMD-GHOST chooses the head. Double proposals, double votes and surround
// votes are slashed with a correlation penalty, and the inactivity leak lets
// the chain finalise again when too many validators are offline. Rewards are
// claimed by stakers and checked by full nodes against the best chain's
// history after a cooldown; balances are recomputed from the chain rather
// than kept in a separate database.
//
// The block body, state, API and peer protocol are the same as under
// mainstake; only block production and fork choice change.
//
// This package holds no code. The engine's core is pos/chain (block
// format, state transition, block tree with fork choice and finality),
// its validator client pos/validator, and pos/posnet joins them to the
// peer protocol in the node; the leaf packages
// they use are pos/selection (the swap-or-not shuffle, committees,
// proposers and RANDAO seeds), pos/bls (BLS12-381 signatures and their
// aggregation), pos/forkchoice (LMD-GHOST over a proto-array with proposer
// boost), pos/ffg (FFG justification and finalization, the inactivity leak
// and the attestation rewards), pos/slashing (evidence of double
// proposals, double votes and surround votes), pos/slashing/protection
// (the validator client's slashing protection with EIP-3076 interchange),
// pos/registry (deposits, the activation and exit queues, effective
// balances and withdrawal) and pos/claims (rewards by claim, and balances
// recomputed from the chain). docs/protocol.md §14 says what they do.
package pos
