// Package powchain runs the sidechain under the proof-of-work engine
// (docs/protocol.md §9.0, §12): it is the front door of every block that
// miners and peers bring, and the engine that orders them.
//
// A block comes in through AcceptBlock. The header index (pow/headerchain)
// checks its header against its parent (bits from the ASERT schedule,
// median time past, the future-time limit, proof of work) and its body's
// weight, merkle root and sanity, keeps orphans, and refuses what breaks a
// rule with a typed error. Every block it accepts with a body is staged in
// the sidechain's chain state (sideblock.Chain, built with
// sideblock.NewOwnClockChain), which the node then asks to connect what
// arrived: the chain state admits the block once its parent is admitted
// and its coinbase's main reference is on the mainchain, and runs fork
// choice, in an amendment of the mainchain tip's batch.
//
// Engine is the sideblock.Engine of the pow chain: fork choice by most
// cumulative work, then by the lower block hash read as a number, as the
// header index orders its tips; nobody is drawn to produce; the peg has no
// candidates (a pow network has no notary set yet, so its peg is off).
//
// BlockTemplate builds the block a miner works on (pow/miner's
// TemplateSource): on the chain state's tip, with the bits the schedule
// requires, a time after the median time past, and a main reference
// MainRefDepth blocks below the mainchain tip (never below the tip's).
//
// At start, Restore hands the index every block the store holds, lowest
// height first, so that the index and the chain state agree again.
//
// The package logs under the subsystem tag POWC; see UseLogger.
package powchain
