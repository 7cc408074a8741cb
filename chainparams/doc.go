// Package chainparams holds the protocol's network parameters: every number
// that the design marks "(param)", for each mainchain network sidenode runs
// on, together with the mainchain's own chaincfg.Params and the sidechain's
// address parameters.
//
// Consensus code takes a *Params and never hard-codes these values. The
// regtest and simnet values are small so that tests and the devnet exercise
// every rule within a few dozen blocks.
package chainparams
