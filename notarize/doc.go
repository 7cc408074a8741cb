// Package notarize implements delayed proof-of-work (dPoW): it anchors the
// sidechain to Bitcoin through notarizations signed by a notary set.
//
// The notary set is a list of pubkeys per season, fixed in the network
// parameters together with the height at which each season starts. At a
// fixed interval, the notaries write a notarization transaction to the
// mainchain, signed by at least a threshold of distinct notaries, that names
// a sidechain block, its height and a merkle root of the blocks it covers.
//
// Once a block is notarized, the node refuses any reorg below it.
// Confirmations are reported dPoW-style: 0 while unconfirmed, 1 while
// confirmed but not notarized, and the raw count once notarized, always with
// the raw count alongside.
//
// This package is a placeholder. The notarization format, the notary logic
// and the reorg guard come with the issue that implements the notarize/ part
// of section 9 of the protocol. Its log subsystem tag is DPOW.
package notarize
