// Package forkchoice is the pos engine's LMD-GHOST fork choice: which
// block is the head, given the blocks, each validator's latest vote, the
// justified and finalized checkpoints and the proposer boost, as the
// Ethereum consensus specifications' fork choice defines it, computed over
// a proto-array rather than by walking the tree.
//
// Blocks. A Store holds the blocks descending from the finalized block,
// in the order they were added, so that a block always comes after its
// parent (AddBlock refuses an unknown parent, a known root and a slot not
// above the parent's). Each block carries the justified and finalized
// checkpoints of the state after it, which decide whether it is viable
// for head: its justified epoch is the store's and its finalized
// checkpoint is the store's (either store checkpoint at epoch 0 accepts
// any). A block leads to a viable head when it or a descendant is viable.
//
// Votes. ProcessAttestation keeps each validator's latest message: a vote
// replaces the one held when its target epoch is later
// (update_latest_messages); a block the store does not hold, or a
// validator index the balances do not cover, is refused. ProcessEquivocation marks validators that were
// slashed for double or surround votes; their votes stop counting and later
// ones are ignored. SetBalances gives the effective balances of the
// justified state that votes count with.
//
// Head. Head turns the changed votes into weight changes per block (one
// pass over the validators: the old balance leaves the block a vote
// counted in, the current balance joins the block it counts in now), adds
// the proposer boost, and makes one backward pass over the blocks: each
// block adds its change to its weight, passes it on to its parent, and is
// offered to its parent as best child (more weight, then the larger root,
// among children that lead to a viable head), carrying its best
// descendant. A parent comes before its children, so every child has its
// final weight before the parent is reached. The head is the justified
// block's best descendant, or the justified block itself. Nothing walks
// the tree per vote: an attestation costs a slice write, and Head costs
// one pass over the validators whose vote or balance changed plus one pass
// over the blocks.
//
// Proposer boost. The first block of the current slot that arrives
// timely (the engine's clock decides, before the slot's attesting
// interval) weighs, besides its votes, ProposerScoreBoost (the
// specifications' PROPOSER_SCORE_BOOST, 40) percent of one slot's
// committee weight, the total of the balances divided by the slots per
// epoch; the boost counts for the block and its ancestors until OnTick
// enters a later slot.
//
// Finality. UpdateCheckpoints moves the justified and finalized
// checkpoints forward. A finalized checkpoint at the finalized epoch with
// another root, or at a later epoch on a block the store does not hold
// (every block it holds descends from the finalized one), is refused with
// ErrConflictingFinalized, as is a block whose state finalized another
// block at the store's finalized epoch: a finalized block is never
// reverted, and the engine must stop rather than follow such a chain.
// Finalizing a block prunes every block that does not descend from it.
//
// Errors are RuleErrors with codes (error.go). The package is pure: no
// clock, no logging, no storage; a Store is used from one goroutine. The
// engine that will call it is not written yet. Tests compare the head with
// a naive tree walk of the specification's get_head on random block trees,
// votes, balances, equivocations, slots and checkpoint moves; a benchmark
// measures both on 10,000 votes and 1,000 blocks.
package forkchoice
