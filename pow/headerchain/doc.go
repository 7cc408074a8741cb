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
// these is not stored.
//
// The hash is the only slow step (a RandomX hash is milliseconds), so it
// runs without the index's lock: the cheap rules are checked under the
// lock, the lock is released for the Verifier, and retaken to store the
// header after looking again at what may have changed meanwhile (its
// parent was found invalid: ErrKnownInvalid). Other copies of a header
// that come while it is being checked (peers and miners bring a new block
// at once) wait for that check and share its outcome, so a header is
// hashed once however many bring it. Headers of different branches are
// verified at once, and queries never wait for a hash. The
// Verifier may call back into the index (AncestorID, the index as
// powhash.Seeds, to find a header's RandomX key on its own branch).
//
// Cache builds. Before a RandomX key's or an Ethash epoch's first hash the
// verifier builds a cache (about a second). A header on a branch that
// forks below the oldest key a node keeps needs one, so a flood of such
// headers could make the node build cache after cache. An optional
// Readiness (powhash.Front's Ready, or the Verifier's own) says, without
// hashing, whether a check would build one. The index asks it only for a
// header whose branch is not worth a build: with the header, the branch
// has less work than the best header chain minus Params.ColdBranchBlocks
// (6 by default) blocks' work at the parent's bits. Such a header that is
// not ready is refused with ErrColdBranch before any hash, and is not
// remembered, so it can come back once its branch has gained work. Bitcoin
// Core's headers sync holds back headers of chains with less work than
// the tip minus a margin for the same reason; here only the cache build
// is held back. In a ProcessHeaders batch, a run of connected headers
// vouches for the branch of each of its headers with the work its bits
// encode, so that a heavier branch forking far below can still be taken in
// one batch; a forged claim buys one build, after which its sender's bad
// header fails. Orphans, whose branch is unknown, are never worth a build. For a block, the body must then match the header
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
// When its parent comes it is checked again, except for that hash if it
// is at the height it claimed.
//
// Headers-first sync. BestHeader is the tip of the most-work chain of
// valid headers, bodies or not; Best, the most-work linked chain, is never
// ahead of it. Locator names the best header chain as Bitcoin's getheaders
// does (ten headers one by one from the tip, then doubling steps, genesis
// last); HeadersAfter answers such a request from our best header chain;
// NeedBodies lists the headers of that chain whose bodies are missing,
// lowest first; ProcessHeaders takes a batch, counting known headers as
// taken, and stops at the first failure.
//
// Every Node keeps a second pointer to an ancestor further back, as
// Bitcoin Core's block index does, so that Node.Ancestor takes O(log n)
// hops (about 45 on a 100,000-block chain, against up to 100,000 parent
// hops); the median time past is computed once per node.
//
// The index consumes three small interfaces: Difficulty (the bits of a
// child, from pow/asert's aserti3-2d), Verifier (the proof-of-work hash
// by height; SHA256d is built in) and the optional Readiness. FixedBits serves networks without
// retargeting. The index keeps everything in memory; storing it is the
// chain state's job.
package headerchain
