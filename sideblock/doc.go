// Package sideblock defines sidechain blocks, the rules they must follow,
// and the chain state that orders them: the index of published headers,
// fork choice, the UTXO set in the store, block templates and the mempool.
//
// # Headers and bodies
//
// A sidechain header (Header) is 64 bytes: the previous block's hash
// followed by a merkle root. The header is what a lottery winner publishes
// on the mainchain in an `H` OP_RETURN; its SHA256d identifies the block.
// The first block's previous hash is zero.
//
// A body is a list of Bitcoin-format transactions (wire.MsgTx). It is
// encoded as a varint count followed by each transaction in wire's witness
// encoding; Block.Serialize writes the header and then the body. DecodeBody
// and DecodeBlock accept only canonical encodings of at most MaxBlockSize
// bytes and MaxBlockTxs transactions, and never panic.
//
// The merkle root commits to the body twice over:
//
//	hashMerkleRoot = SHA256d(txRoot ‖ withdrawalRoot)
//
// txRoot is Bitcoin's merkle root of the txids (CalcTxRoot). withdrawalRoot
// (WithdrawalRoot) is a Bitcoin-style merkle root over the block's
// withdrawals, the outputs that burn sidechain coins to be paid out on the
// mainchain, or zero if there are none. A withdrawal is proven from a
// published header alone with its branch and the block's txRoot
// (WithdrawalBranch, VerifyWithdrawal). Section 6 of docs/protocol.md records
// the encodings chosen.
//
// # Validation
//
// Validation has two layers, as in btcd's blockchain package:
//
//   - CheckBlockSanity needs no state: the body matches the header, the
//     coinbase comes first and only first and names a lottery height, every
//     transaction passes blockchain.CheckTransactionSanity, the block is not
//     too big and has not too many sigops, and every withdrawal output is
//     well formed.
//   - CheckConnectBlock checks the block against the unspent outputs after
//     its parent (a UtxoView) and the mainchain height of the lottery it won:
//     the coinbase height, inputs that exist and are unspent, coinbase
//     maturity, lock times, amounts, the coinbase's pay (fees plus
//     SideSubsidy) and, last, every input's scripts with btcd's txscript
//     engine under txscript.StandardVerifyFlags, so segwit v0 and taproot
//     spends verify exactly as on Bitcoin. The inputs' scripts are spread
//     over the CPUs, one engine per input; the error reported is always
//     the first failing input's in block order.
//
// Every failure is a RuleError whose ErrorCode names the rule. A code's
// MarksHeaderInvalid tells a chain state whether the failure condemns the
// header (the body it commits to breaks a rule) or only this copy of the
// body (it does not match the header, or its witnesses, which the header
// does not commit to, were changed on the way).
//
// Lottery heights serve as the sidechain's block heights: they strictly
// increase along a branch, since a header can only extend one published
// earlier. Utxo.Height is the lottery height of the block that created the
// output, and coinbase maturity (SideCoinbaseMaturity), nLockTime and BIP68
// relative locks count in them. The sidechain has no clock: time-based
// locks never pass.
//
// # Applying blocks
//
// ApplyBlock spends a block's inputs and adds its outputs to a UtxoSet and
// returns the spent outputs; UndoBlock takes them back. MemUtxoView is the
// in-memory UtxoSet used by tests and as a scratch layer.
//
// # Chain state
//
// Chain (chain.go, forkchoice.go, index.go) keeps the sidechain's state in
// the store: the index of published headers, the UTXO set of the best
// chain, the outputs each connected block spent (its undo data) and the
// best chain itself. All of it is mainchain-derived state: it changes only
// inside a mainchain block's store batch (ConnectMainBlock, with the
// batch's *store.Writer), or inside an amendment of the tip block when a
// body arrives between blocks (ConnectStaged, below), so the store's undo
// log, keyed by mainchain block, rolls every sidechain change back when a
// mainchain block is undone, and a crash leaves the state of some mainchain
// block boundary, amendments included or not, each whole.
//
// Bodies arrive at any time (the node's own production, peers), so they
// are staged outside the batches: StageBody checks CheckBlockSanity and
// writes the block with DB.Update, without undo, under its own key prefix,
// keyed by block hash. The batches read staged bodies but never write
// them. Bodies of headers not published yet are bounded by a window of
// lottery heights around the mainchain tip and a cap per lottery height;
// bodies of published headers are always taken.
//
// At each mainchain block, ConnectMainBlock:
//
//  1. adds the block's publication, if any, to the index: the header's
//     sidechain height (0 on the zero hash, else its parent's + 1), its
//     lottery height (the publication's mainchain height − 1, which its
//     coinbase must carry), the publication's height and txid, and its
//     status (body missing, staged, valid, invalid, invalid ancestor). A
//     publication whose parent is not published is ignored with
//     ErrUnknownParent, a repeated one with ErrDuplicatePublication;
//  2. looks at the bodies staged since the last block;
//  3. runs fork choice, btcd-style: the candidates are the published
//     headers that, with all their ancestors, have usable bodies and are
//     not known invalid, kept in the store in the engine's fork-choice
//     order (longest first, then earliest publication). If the best
//     candidate is not the tip, the chain disconnects to the fork point
//     with the stored undo data and connects the branch block by block
//     with CheckBlockSanity and CheckConnectBlock against the store-backed
//     UTXO set, whose reads see the batch's own writes. A block that fails
//     a rule its header commits to (ErrorCode.MarksHeaderInvalid) is marked
//     invalid with all its descendants; any other failure drops only that
//     copy of the body (a good copy may come later, see MissingBodies).
//     Then it tries the next best candidate, all in the same batch. The
//     work is O(length of the branches above the fork point), bounded per
//     mainchain block by MaxBatchBlocks and MaxBatchBodyBytes. On a
//     network with notaries (SetNotarizations, guard.go), every switch
//     first goes through notarize.CheckReorg against the last
//     notarization as the batch's store shows it: a refused branch is
//     logged, reported in Result.Refused and leaves the candidates.
//
// A body that arrives after the block that published its header does not
// wait for the next block. ConnectArrived (ConnectStaged inside
// store.DB.AmendTip, then Committed) runs steps 2 and 3 above in an
// amendment of the tip mainchain block: the store merges what it writes
// into that block's undo record and state hash, in one transaction. The
// body then connects at once when its parent is connected, with its staged
// descendants, and the state is the one the block's batch would have left
// had the body been staged before it, in everything the state hash
// covers. What the node validated on the way (blocks of a branch the
// body's branch beats stay StatusValid, or StatusInvalid, once looked at)
// is local state, out of the state hash (index.go); undoing the block
// undoes the connection. Arrived says whether there is anything to look at. The node
// serializes amendments with the blocks' batches and calls ConnectArrived
// after each body a peer sends. MissingAhead lists the published headers
// whose missing body would move the tip, for a producer that must not
// build on a stale tip.
//
// After the batch commits, the node calls Committed, which moves the
// in-memory tip and prunes staged bodies nobody can use; after a mainchain
// block is undone or a batch fails, DisconnectMainBlock, which drops the
// cache. StateHash hashes the tip and the UTXO set by a full scan, for
// tests; the node's state hash, which operators compare, is the store's
// (docs/protocol.md §1.5) and covers the header index as well, but not
// the headers' status, the missing set or the candidates, which are local.
//
// NewBlockTemplate builds a block on the tip from loose transactions;
// Mempool (mempool.go) keeps them, checked with the same block rules
// against the tip, ordered by fee rate with parents first, bounded in
// size. Engine (engine.go) is the seam to the consensus engine: who may
// produce at a height, how a block is sealed, and the fork-choice order;
// MainstakeEngine is mainstake's; NewOwnClockChain (ownclock.go) runs an
// engine whose blocks are mined rather than published, with the
// admission of staged blocks by main reference. docs/protocol.md §6 records the
// decisions.
//
// # What comes next, and where
//
//   - The mint transaction of deposits (pegbox, design §7) sits right after
//     the coinbase; its check will join CheckConnectBlock with the list of
//     deposits the block must mint.
//   - Bodies travel between sidenodes peer to peer in the body encoding
//     above; the peer layer stages them with StageBody, connects them with
//     ConnectArrived and asks for MissingBodies.
//   - Host-chain engines other than mainstake (pow, pos, notarize) replace
//     how headers are published and ordered through Engine; the body, its
//     rules and this package stay the same.
//
// The package logs under the subsystem tag SBLK; see UseLogger.
package sideblock
