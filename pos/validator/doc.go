// Package validator is the pos engine's validator client (docs/protocol.md
// §14.10): for the validator keys it holds, at each slot it proposes when
// one of them is the slot's proposer and attests when one of them has the
// slot as its attestation duty, through the node's pos chain (pos/chain),
// and hands what it made to gossip. Before every signature it asks the
// slashing protection (pos/slashing/protection), so that a restart or a
// second copy of the keys cannot make it sign a double proposal, a double
// vote or a surround vote.
//
// Votes it sees (its own and gossiped ones) wait in a pool, aggregated per
// attestation data, until a block includes them or they are too old.
//
// Time comes from a Clock (the wall clock in the node, an injected one in
// tests); Run waits for each slot's start to propose and a third into the
// slot to attest, as Ethereum's clients do. OnSlot and Attest do one
// slot's duties without waiting, for tests and for a caller with a clock
// of its own.
//
// The node runs it with --validator through pos/posnet.
package validator
