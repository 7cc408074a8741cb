// Package sideblock defines sidechain blocks and chooses the best sidechain.
//
// A sidechain header is 64 bytes: the previous block's hash followed by a
// merkle root. The header is what a lottery winner publishes on the
// mainchain; its hash (SHA256d) identifies the block. The merkle root
// commits to both the block's transactions and its withdrawals, so a
// withdrawal can be proven from a published header alone.
//
// A block body is a list of Bitcoin-format transactions. The package checks
// a body against its header and validates it under the sidechain's own
// parameters: the coinbase names the lottery height it won and pays fees to
// the producer, the mint transaction that follows it carries exactly the
// deposits that are due, and every other transaction must spend existing
// sidechain outputs with valid scripts (segwit v0 and taproot), checked with
// btcd's txscript engine.
//
// Fork choice considers only published headers whose bodies are known and
// valid. The longest such chain wins, and between chains of equal length the
// one whose tip was published first. A mainchain reorg that removes a
// publication disconnects the sideblocks that depended on it.
//
// This package is a placeholder. Headers, bodies, validation and fork choice
// come with the issue that implements section 6 of the protocol. Its log
// subsystem tag is SBLK.
package sideblock
