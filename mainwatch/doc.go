// Package mainwatch follows the Bitcoin mainchain for the sidenode.
//
// Everything the sidechain derives from Bitcoin (tickets, publications,
// deposits, payouts) depends on seeing every mainchain block exactly once, in
// order, and on undoing blocks that a reorg removes. mainwatch owns that.
//
// The consumer's view of the mainchain is a Chain: its tip, the hashes it has
// applied, and two operations, ConnectBlock and DisconnectBlock, that the
// consumer makes atomic and durable (the node implements them on top of the
// store's undo log). A Follower moves a Chain onto the best chain of a
// Source:
//
//   - it compares the Chain's tip with the Source's block at that height and
//     walks back to the fork point when they differ, disconnecting the
//     consumer's blocks one by one, newest first;
//   - it then connects the Source's blocks from the fork point up, checking
//     that each one links to the tip it extends;
//   - it waits for the Source to announce a new tip, or polls, and repeats.
//
// Before it disconnects anything the follower asks the Chain for its undo
// window (Chain.UndoWindow). A reorg whose fork point lies below it is
// refused with a DeepReorgError: nothing is undone, the follower keeps
// running without following, reports the refusal in its Status, and follows
// again when the Source's best chain forks within the window.
//
// Because the Chain itself is the persisted cursor, a restart resumes exactly
// where the node stopped, and a reorg that happened while the node was down
// is undone the same way as a live one. Errors from the Source are retried
// with backoff; an error from the Chain ends Run, since it means the
// consumer's state could not be written.
//
// A Source is a mainchain backend. Two exist:
//
//   - btcdwatch: a btcd full node over RPC, with websocket block
//     notifications and pipelined getblock catch-up;
//   - neutrinowatch: an embedded neutrino light client that matches BIP158
//     filters against the WatchList and downloads only matching blocks.
//
// The WatchList holds the scripts and outpoints the protocol cares about.
// Both backends deliver exactly the transactions it matches, so nodes on
// either backend derive the same state. The conformance suite in
// mainwatch/watchtest runs the same tests against both.
//
// A backend may also deliver a preview of a block before the block itself:
// its matched transactions, known sooner than the block (btcd sends them
// with the block's announcement when its transaction filter mirrors the
// WatchList). The follower shows a preview only to a Chain that implements
// Previewer, which must leave its state as it was; the block itself follows
// and is connected as usual. The node uses previews to build and publish
// its sideblock while getblock would still be on its way.
package mainwatch
