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
//   - pow/asert is aserti3-2d; pow/powhash, pow/randomx and pow/ethash are
//     the hashes by height.
//   - pow/powchain runs the engine in the node: the front door of every
//     block (the index, then the sidechain's own-clock chain state in
//     sideblock), fork choice by work, block templates, the peers' side
//     (headers-first sync) and the mining API's side.
//   - pow/pool keeps the mining pool's books: shares (durable before they
//     are acknowledged), PPLNS and PPS splits of what its blocks earn,
//     their lifecycle to maturity or orphaning, batched payouts through
//     the wallet, an audit and the statistics (log tag POOL).
//
// A network selects the engine by its parameters (chainparams.PoW), and the
// genesis id commits to the engine and its parameters, so stores and peers
// of another engine are refused. docs/protocol.md §12 describes the engine
// as the code runs it; the Stratum server is still to come. The log
// subsystem tag of pow/powchain is POWC.
package pow
