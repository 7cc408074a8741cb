// Package federation runs this node's part in the pegbox federation's
// signing rounds.
//
// After every mainchain block (Signer.BlockCommitted), a member builds the
// payout of the oldest best-chain sideblock whose withdrawals are unpaid
// and may be paid (pegbox.PayoutAllowed), or the rotation of an old
// epoch's coins, exactly as every other member builds it; it signs it with
// its stake key (pegbox.Signing), sends its signatures to its peers as a
// PSBT, and broadcasts the spend once the signatures it gathered reach the
// threshold. One spend is in flight at a time, and a spend that stays
// unconfirmed is bumped (pegbox.BumpFee) as every member bumps it. Every
// node, member or not, keeps and relays the packets that spend the
// pegbox's coins: Signer is the node's p2p.PegHandler.
//
// The rules of what may be paid and how a spend is built and signed are
// pegbox's; this package only decides when, and talks to peers and the
// mainchain. New takes an Env of the components it reads, each a small
// interface.
package federation
