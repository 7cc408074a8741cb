// Package withdraw owns withdrawal requests and their proofs.
//
// A sidechain output with the withdrawal script burns its value and asks the
// federation to pay it, less the output's declared mainchain fee budget, to
// a mainchain scriptPubKey. The package encodes and parses that script, lists
// a block's withdrawals in transaction order, and builds the withdrawal
// merkle tree whose root goes into the sideblock header.
//
// A withdrawal proof is the withdrawal's branch in that tree together with
// the block's transaction root. With the published header, anyone who
// follows the mainchain can check that a payout transaction pays exactly the
// withdrawals of one sideblock, in order; the package exposes that check.
//
// The withdrawal script, the leaves, the tree and the branches live in
// sideblock, which validates blocks with them. This package holds the
// payout check (VerifyPayout) with typed rule errors. Tracking each
// withdrawal's stage and the peg commands are not built yet. Its log
// subsystem tag is WDRW.
package withdraw
