// Package sideblock defines sidechain blocks and the rules they must follow,
// independent of storage and networking.
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
// (WithdrawalBranch, VerifyWithdrawal). DESIGN.md in this directory records
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
//     spends verify exactly as on Bitcoin.
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
// # What comes next, and where
//
// This package is the core of sidechain consensus; the rest builds on it:
//
//   - A ChainState (in this package, on top of these functions) keeps the
//     tree of published headers from the mainstake watcher, fetches bodies,
//     runs CheckBlockSanity once per body and CheckConnectBlock on connect,
//     and chooses the best chain: among published headers whose bodies are
//     known and valid, the longest chain wins; at equal length the one whose
//     tip was published first. It checks that a header extends the view's
//     block and that lottery heights increase. A mainchain reorg that removes
//     a publication disconnects the sideblocks that depended on it, with
//     UndoBlock and the stored undo data.
//   - Storage (the store package) persists bodies, the UTXO set as a
//     UtxoSet, and the spent outputs of each block as its undo record, all
//     in the same atomic batch as the mainchain cursor.
//   - The mint transaction of deposits (pegbox, design §7) sits right after
//     the coinbase; its check will join CheckConnectBlock with the list of
//     deposits the block must mint.
//   - A mempool will check loose transactions with the same per-transaction
//     rules against the tip's view.
//   - Bodies travel between sidenodes peer to peer in the body encoding
//     above.
//   - Host-chain engines other than mainstake (pow, pos, notarize) replace
//     how headers are published and ordered; the body, its rules and this
//     package stay the same.
//
// The package logs under the subsystem tag SBLK; see UseLogger.
package sideblock
