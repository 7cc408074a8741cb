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
// This package is a placeholder. Deposits, federation selection, rotation
// and payout signing come with the issues that implement sections 7 and 8
// of the protocol. Its log subsystem tag is PEGB.
package pegbox
