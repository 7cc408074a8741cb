// Package blocktests generates a tree of named sidechain blocks, each with
// the decision a validator must reach: accepted, or rejected with a
// sideblock.ErrorCode. It is the sidechain's counterpart of btcd's
// blockchain/fullblocktests.
//
// Generate returns the blocks in the order they must be processed. Each
// block names its parent through its header, so the tree has forks, and a
// validator must move its UTXO view between branches to follow them. The
// scenarios (scenarios.go) read as a list: every step builds one block with
// nextBlock(name, parent, changes...) and ends in accepted() or
// rejected(code). Together they break every block rule of package sideblock
// at least once, and sit on both sides of every boundary that has one.
//
// The blocks are valid on Params(), regtest with a coinbase subsidy, and
// with the mainchain deposits of Deposits, all due from lottery height
// MintHeight: a validator mints them with CheckMint. The sideblock
// package's TestFullBlocks runs them against MemUtxoView; a chain state can
// run them against its own storage.
package blocktests
