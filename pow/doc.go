// Package pow is the proof-of-work host-chain engine: SHA-256d headers, ASERT
// difficulty, a CPU miner and a Stratum server.
//
// Under this engine, sidechain blocks have 80-byte Bitcoin-format headers
// and are mined with SHA-256d, with further algorithms that can be switched
// on at configured heights. Difficulty follows the aserti3-2d algorithm in
// integer arithmetic, from an anchor block with a configured half-life and
// ideal block time. Block weight is limited the way Bitcoin limits it.
//
// Besides validation, the package mines: a CPU miner for test networks, and
// a Stratum V1 server for external miners, with a pool that pays by PPS or
// PPLNS.
//
// The block body, state, API and peer protocol are the same as under
// mainstake; only block production and fork choice change.
//
// This package is a placeholder. The engine, the miner and the Stratum
// server come with the issue that implements the pow/ part of section 9 of
// the protocol. Its log subsystem tag is POWC.
package pow
