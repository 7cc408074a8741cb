// Package pow is the proof-of-work host-chain engine (section 9.1 of the
// protocol): SHA-256d headers, ASERT difficulty, a CPU miner and a Stratum
// server.
//
// Under this engine, sidechain blocks have 80-byte Bitcoin-format headers
// and are mined with SHA-256d, with further algorithms that can be switched
// on at configured heights. Difficulty follows the aserti3-2d algorithm in
// integer arithmetic, from an anchor block with a configured half-life and
// ideal block time. The block body, state, API and peer protocol are the
// same as under mainstake; only block production and fork choice change.
//
// The engine is built from leaf packages, each with one concern:
//
//   - pow/headerchain is the block index: the header rules (bits, median
//     time past, the future-time limit, proof of work), the body's
//     commitment and weight, fork choice by most cumulative work with a
//     lower-hash tie break, and the orphan pool. Every rule has a typed
//     error code; pow/headerchain/blocktests holds the named block trees.
//     It consumes two small interfaces, Difficulty and Verifier, so the
//     difficulty algorithm and the hash algorithms by height plug in;
//     SHA-256d is built in.
//   - pow/miner is the CPU miner, with the SHA-256 midstate.
//   - pow/powparams adapts a network's pow parameters (chainparams'
//     schedule of eras: algorithm, ASERT anchor, half-life, ideal block
//     time, pow limit) to the index: its Difficulty, with a new aserti3-2d
//     anchor and initial bits at each switch, its genesis block and its
//     parameters.
//
// A network selects the engine by its parameters (chainparams.PoW), and the
// genesis id commits to the engine and its parameters, so stores and peers
// of another engine are refused; the node refuses to start on a pow
// network until the engine is wired.
//
// ASERT, the RandomX and Ethash hashes, the wiring into the node and the
// Stratum server are still to come; none of this is wired into the node
// yet. The log subsystem tag of the engine is POWC.
package pow
