package notarize

// CheckReorg is the reorg guard (design §9.3; Komodo's komodo_checkpoint):
// it decides whether the node's best sidechain may switch to newChain,
// given the last notarization that counts. forkHeight is the height of the
// last block the current chain and newChain share; oldTipHeight is the
// current chain's tip height (for a chain that only grows, forkHeight ==
// oldTipHeight). newChain must answer for every height up to its tip.
//
// With no notarization (last nil) every switch passes. Otherwise, with H
// the notarized height:
//
//   - ErrReorgBelowNotarized: the current chain reaches H (oldTipHeight ≥
//     H) and the fork point lies below it (forkHeight < H). The switch
//     would disconnect the notarized block or one of its ancestors,
//     whatever the new chain holds.
//   - ErrReorgConflictsNotarized: newChain has a block at H and it is not
//     the notarized block.
//
// A switch that leaves the chain below H passes when the current chain is
// below H too: that only happens when something other than fork choice
// took the chain below H (under mainstake, a mainchain reorg that removed
// the publications), and then the guard only keeps the chain from coming
// back with another block at H. The competing chain's work does not enter:
// no amount of work overrides a notarization.
func CheckReorg(forkHeight, oldTipHeight int32, newChain Chain, last *Notarization) error {
	if last == nil {
		return nil
	}
	h := last.Height
	if oldTipHeight >= h && forkHeight < h {
		return ruleErrorf(ErrReorgBelowNotarized, "the new chain forks "+
			"at height %d, below the notarized height %d (block %v)",
			forkHeight, h, last.Block)
	}
	if got, ok := newChain.BlockHashAt(h); ok && got != last.Block {
		return ruleErrorf(ErrReorgConflictsNotarized, "the new chain has "+
			"block %v at the notarized height %d, not the notarized %v",
			got, h, last.Block)
	}
	return nil
}
