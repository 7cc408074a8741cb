// Package headerchain is the pow engine's block index: 80-byte
// Bitcoin-format headers, their bodies, the orphan pool and the choice of
// the best chain.
//
// A header (wire.BlockHeader) commits to its body through MerkleRoot, which
// is the sidechain's commitment of §6 (sideblock.CalcBlockMerkleRoot:
// SHA256d of the txid root and the withdrawal root). The block hash is
// SHA-256d of the 80 bytes whatever algorithm the proof of work uses.
//
// ProcessHeader and ProcessBlock check, cheapest first: the bits are what
// the Difficulty requires of a child of the parent (ErrBadBits) and in
// range (ErrTargetOutOfRange); the timestamp is after the median time of
// the last 11 blocks (ErrTimeTooOld) and at most MaxFutureBlockTime past
// the clock (ErrTimeTooNew); and last, the one hash: the Verifier says the
// proof of work meets the target (ErrHighHash). A header that fails any of
// these is not stored. For a block, the body must then match the header
// (ErrBadMerkleRoot), weigh at most MaxBlockWeight (ErrBlockTooHeavy), pass
// sideblock.CheckBlockSanity (ErrBadBody) and carry its height at the start
// of the coinbase (ErrBadCoinbaseHeight). Failures that follow from what
// the header commits to mark it invalid for good, with its descendants;
// the others drop the body only.
//
// Fork choice: among blocks that are valid and whose ancestors all have
// their bodies, the chain with the most cumulative work
// (blockchain.CalcWork summed from genesis); on equal work, the tip with
// the lower hash. The chain state connects what the index chooses, and
// calls Invalidate for a block it cannot connect.
//
// A block whose parent is unknown waits in a pool bounded by count and by
// bytes, which evicts the oldest first. Before it enters, it is checked
// with at most one hash: its coinbase may not claim a height more than
// MaxOrphanAhead above the tip (ErrTooFarAhead), its time and bits must be
// in range and its proof of work must meet its bits at the claimed height.
//
// The index consumes two small interfaces: Difficulty (the bits of a
// child, from pow/asert's aserti3-2d) and Verifier (the proof-of-work hash
// by height; SHA256d is built in). FixedBits serves networks without
// retargeting. The index keeps everything in memory; storing it is the
// chain state's job.
package headerchain
