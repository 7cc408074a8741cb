// Package tracker keeps the notarizations that count (protocol §13.6): it
// follows the mainchain blocks the node connects and decides, with
// notarize.Check, which notarizations of this sidechain count, and which
// one is the last, the one the reorg guard (notarize.CheckReorg) protects.
//
// A Tracker is one of the node's block connectors: ConnectBlock runs
// inside each mainchain block's store batch, and the store's undo log
// takes back what it wrote when the block is disconnected (DisconnectBlock
// then reads the last notarization from the store again). For each block:
//
//   - Of the block's candidates, it looks at those its watch set delivers
//     (mainwatch.Deliver): transactions that pay the P2WPKH script of a
//     notary of any season (the rounds' change outputs do; Watch adds the
//     scripts to the node's watch list), so that nodes on either backend
//     see the same transactions. Each updates the tracker's record of
//     notary outputs (outputs to a notary's script not yet seen spent).
//     A transaction that carries an `N` payload of this sidechain
//     (notarize.FindPayload) is kept as pending with its prevouts: from
//     that record, and for inputs it lacks (outputs created before the
//     node followed the mainchain) through PrevoutFetcher. So the
//     rounds' notarizations, whose inputs are earlier notarizations'
//     change or funding outputs the tracker saw, need no fetch.
//   - Every pending notarization is then checked (Recheck) with its
//     confirmations at this block and the node's sidechain (a
//     notarize.Chain). One that counts becomes the last notarization if
//     it notarizes a greater height; one whose block the sidechain does
//     not have yet, or has another block at that height, or that lacks
//     confirmations, or whose prevouts could not be fetched yet, stays
//     pending and is checked again at the next block, or when the node
//     calls Recheck in an amendment of the tip after the sidechain moved.
//     Any other verdict drops it. Pending notarizations at or below the
//     last notarization's height are dropped, since they can never
//     supersede it.
//
// A double-spent notary input simply never confirms: the tracker sees only
// transactions in mainchain blocks. A mainchain reorg that removes a
// notarization's transaction, or one of its confirmations, takes the last
// notarization back with the blocks.
//
// Each reason a notarization does not count is logged once per transaction
// and code (the notarize.ErrorCode of Check), and handed to Config.Report.
//
// The keys (first byte KeyByte) are local state, left out of the state
// hash: what counts depends on this node's sidechain view, which under an
// engine with a clock of its own is itself local, and on when the node saw
// the sidechain's blocks relative to the mainchain's. Nodes that saw the
// same mainchain and the same sidechain agree on the last notarization
// once each has checked its pending ones against the same sidechain.
//
// Restore reads the last notarization at startup, before the node accepts
// any sidechain reorg; the reorg guard reads it in the batch it runs in
// (LastNotarizationIn), and the API in its snapshot (LastIn). The node
// builds a tracker on every network with notaries (node/notarize.go). Log
// tag: DPOW.
package tracker
