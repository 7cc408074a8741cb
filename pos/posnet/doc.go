// Package posnet joins a node's pos chain (pos/chain) and validator client
// (pos/validator) to the peer protocol (p2p): it is the p2p.PosHandler
// that takes blocks and attestations from peers, and the validator
// client's Gossip that announces the node's own (docs/protocol.md §14.12).
//
// A PosItem is a kind byte (1 a block, 2 an attestation) and pos/chain's
// encoding; a block is named by its root, an attestation by the SHA256d of
// its bytes. What the chain accepts is kept (the last 4,096 items) to serve
// peers and announced to them, and any block the chain holds is served. A
// block whose parent has not arrived waits while the node asks its peers
// for the parent by root, and so on back to a block it holds: that is how
// a node that starts late or restarts syncs. At most 4,096 blocks or 64 MiB
// wait; when full, the waiting blocks are dropped and sync starts over
// from the next block heard of. A vote for
// a block not yet seen is dropped. An item that does not decode, or that the chain refuses
// for a rule (a wrong proposer, a bad signature, a state root that is not
// the state's), adds ban score to its sender; one that is merely late,
// early or known does not.
//
// The clock for "now" is the validator client's, with half a slot of
// tolerance for peers whose clocks run ahead.
package posnet
