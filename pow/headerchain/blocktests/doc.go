// Package blocktests generates a tree of named pow blocks, each with the
// decision an index must reach: accepted (on the best chain or beside it),
// kept as an orphan, or rejected with a headerchain.ErrorCode; and the tip
// the index must have chosen after some steps. It is the pow engine's
// counterpart of sideblock/blocktests and btcd's blockchain/fullblocktests.
//
// Generate returns the steps in the order they must be processed. The
// scenarios (scenarios.go) read as a list: each builds one block with
// nextBlock(name, parent, changes...) and ends in accepted(),
// acceptedBeside(), orphaned() or rejected(code); expectTip(name) pins the
// best chain. They cover every header rule of headerchain (bits, median
// time past, the future-time limit, proof of work), the body's commitment
// and weight on both sides of the limit, fork choice by work with its tie
// break, and orphans.
//
// The blocks are valid under Config(): regtest's pow limit with fixed bits,
// SHA-256d, and a clock fixed at Now.
package blocktests
