// Package producer holds what this node does when it wins a draw: it
// builds the sideblock, has the chain's engine seal it, publishes the seal
// in a header transaction, stages the body and announces it (Producer),
// and it counts its slots (Ledger).
//
// Production asks the engine (sideblock.Engine) who may produce at the
// draw's height (Producer) and produces when the node's wallet holds that
// key; it seals the block with Engine.Seal. It runs inside the batch of the
// block the draw followed and broadcasts before the commit (Produce), and
// finishes after the commit (Committed). A block's preview may produce
// first (Previewed, TakePreview); the block's own batch then takes that
// production instead of building another.
//
// Production does not build on a stale tip: when a published header that
// fork choice would put ahead of the tip lacks its body, it fetches the
// body from peers and waits for it (Env.BodyWait), then builds on the tip
// that body gave (Produce, produceLate).
//
// A slot is a draw after mainchain block h whose winner is one of this
// node's tickets. The Ledger keeps one entry per such draw height on the
// best chain, and derives every count from those entries: a draw is won
// once, whatever reorgs connect its block again; it is included when block
// h+1 holds its counted publication, missed when block h+1 holds none, and
// pending until block h+1 arrives. So for the best chain Won = Included +
// Missed + the draws still pending (at most the tip's). Undoing block h
// takes its draw's entry away, and sends the draw of h-1 back to pending.
//
// A miss has exactly one reason (MissReason), which Verdict gives from
// what the ledger recorded and what block h+1 says (NextBlock): the
// publisher chain ended in h+1; else why this node's production failed
// (MissLate and MissNotSynced among them: the next block was found before
// production, or the node met the draw's block while catching up); else
// MissLate when the header was not out before the node learned of h+1;
// else the fee rates decide: MissFeeTooLow when every transaction of h+1
// that the node saw in the mainchain node's mempool (Env.Seen) paid more
// than the header's last rate, MissNotIncluded when one paid no more, and
// MissNotMined when the node cannot tell. Reasons are values, not text
// taken from an error.
package producer
