// Package chain is the pos engine's core (docs/protocol.md §14.9): the
// block format, the state, the state transition per slot, per epoch and
// per block, and the block tree with LMD-GHOST fork choice and finality.
//
// A Block is a signed phase0 header (slot, proposer index, parent root,
// state root, body root) over a Body: the proposer's RANDAO reveal,
// proposer and attester slashing evidence (pos/slashing), committee
// attestations aggregated with BLS (pos/bls), and sidechain transactions
// in Bitcoin's format that are checked and connected exactly as a
// sideblock's (package sideblock) against the state's UTXO set.
//
// The State is the registry (pos/registry), the FFG checkpoints
// (pos/ffg), the RANDAO mixes (pos/selection), the participation flags,
// inactivity scores, slashings, recent block roots and latest header, and
// the sidechain height, UTXO set and a running commitment to every block's
// transactions. ProcessSlots and ProcessBlock are the transition;
// BuildBlock, AttesterDuty, AttestationData, Attest and Aggregate are what
// a validator client needs to propose and vote.
//
// Chain holds the blocks since the finalized one with the state after each
// and orders them with pos/forkchoice. It refuses what breaks a rule with
// a RuleError whose code says which, never reverts a finalized block, and
// stops (ErrConflictingFinality, then ErrStopped) when a valid block's
// state finalizes a checkpoint that conflicts with its own.
//
// The node runs it on pos networks through pos/posnet.
package chain
