// Package chainparams holds the protocol's network parameters: every number
// that the design marks "(param)", for each mainchain network sidenode runs
// on, together with the mainchain's own chaincfg.Params and the sidechain's
// address parameters.
//
// A network's parameters name its consensus engine (Engine: Mainstake, PoW
// or PoS) and, under pow, the engine's parameters (PowParams: the
// algorithm and aserti3-2d schedule by height, MainRefDepth, the
// future-time limit and the genesis time). GenesisID is the network's
// identity, which the store records and peers compare: the mainchain's
// genesis hash under mainstake, and under pow the hash of the sidechain's
// genesis block, whose coinbase commits to EngineDigest, so that two
// networks differing in any engine parameter have different genesis ids.
//
// A network may also have a dPoW notary set (NotaryParams: notary seasons
// by sidechain height, each with its keys and threshold, the notarization
// interval and depth, the mainchain confirmations a notarization needs and
// the alarm ages). It is part of the engine digest only when present, so
// that networks without one keep the digest they always had. The test
// networks dpowregtest (mainstake) and powdpowregtest (pow) carry the test
// set (five DevNotaryKey notaries, threshold 3); no other network has one.
//
// Consensus code takes a *Params and never hard-codes these values. The
// regtest and simnet values are small so that tests and the devnet exercise
// every rule within a few dozen blocks.
package chainparams
