package ffg

import "math/bits"

// Root is a block root.
type Root [32]byte

// Checkpoint is an epoch and the root of the block at the epoch's first
// slot, or of the last block before it.
type Checkpoint struct {
	Epoch uint64
	Root  Root
}

// JustificationBitsLength is JUSTIFICATION_BITS_LENGTH: how many recent
// epochs the justification bits remember.
const JustificationBitsLength = 4

// JustificationBits are the state's justification_bits: bit i set means
// the epoch i epochs before the current one is justified (bit 0 the
// current epoch). Only the low JustificationBitsLength bits are used.
type JustificationBits uint8

// Justified reports whether the epoch epochsAgo epochs before the current
// one is marked justified.
func (b JustificationBits) Justified(epochsAgo uint) bool {
	return epochsAgo < JustificationBitsLength && b&(1<<epochsAgo) != 0
}

// all reports whether every epoch of epochsAgo is justified.
func (b JustificationBits) all(epochsAgo ...uint) bool {
	for _, e := range epochsAgo {
		if !b.Justified(e) {
			return false
		}
	}
	return true
}

// State is the part of a beacon state that justification and finalization
// read and write.
type State struct {
	Bits              JustificationBits
	PreviousJustified Checkpoint
	CurrentJustified  Checkpoint
	Finalized         Checkpoint
}

// Balances are the totals justification weighs, each as get_total_balance
// gives it (at least one effective balance increment): the total effective
// balance of the current epoch's active validators, and the effective
// balances of the unslashed validators whose attestations for the previous
// and the current epoch voted for that epoch's checkpoint (its target).
type Balances struct {
	TotalActive    uint64
	PreviousTarget uint64
	CurrentTarget  uint64
}

// Rule names the finalization rule that applied, in the specification's
// order; when several apply the last one wins, as in the specification.
type Rule int

// The four finalization rules. "k-th most recent" counts from the current
// epoch (1st) back. The source is the checkpoint finalized.
const (
	// NoFinalization: no rule applied.
	NoFinalization Rule = iota

	// Rule234: the 2nd, 3rd and 4th most recent epochs are justified and
	// the 2nd's justification used the 4th as source: the old previous
	// justified checkpoint, 3 epochs back, is finalized.
	Rule234

	// Rule23: the 2nd and 3rd most recent epochs are justified and the
	// 2nd used the 3rd as source: the old previous justified checkpoint,
	// 2 epochs back, is finalized.
	Rule23

	// Rule123: the 1st, 2nd and 3rd most recent epochs are justified and
	// the 1st used the 3rd as source: the old current justified
	// checkpoint, 2 epochs back, is finalized.
	Rule123

	// Rule12: the 1st and 2nd most recent epochs are justified and the
	// 1st used the 2nd as source: the old current justified checkpoint,
	// 1 epoch back, is finalized.
	Rule12
)

// Outcome says what ProcessJustification did.
type Outcome struct {
	// JustifiedPrevious and JustifiedCurrent say whether the previous or
	// the current epoch reached two thirds of the total active balance.
	JustifiedPrevious bool
	JustifiedCurrent  bool

	// Finalized is the rule that finalized a checkpoint, or
	// NoFinalization.
	Finalized Rule
}

// Supermajority reports whether part is at least two thirds of total:
// 3·part ≥ 2·total, in 128-bit integer arithmetic.
func Supermajority(part, total uint64) bool {
	h3, l3 := bits.Mul64(part, 3)
	h2, l2 := bits.Mul64(total, 2)
	return h3 > h2 || (h3 == h2 && l3 >= l2)
}

// ProcessJustification is process_justification_and_finalization with
// weigh_justification_and_finalization of the phase0 specification, at the
// end of currentEpoch (the epoch the state's slot is in, before the epoch
// transition). previousRoot and currentRoot are the block roots at the
// first slots of the previous and current epochs (get_block_root). It
// returns the new state; st is not modified.
//
// In the first two epochs (currentEpoch ≤ 1) nothing changes. Otherwise
// the bits shift by one epoch, the current justified checkpoint becomes
// the previous one, an epoch whose target balance is a supermajority of
// the total is justified (the current epoch winning over the previous),
// and the four rules are tried in order on the old checkpoints.
func ProcessJustification(st State, currentEpoch uint64, b Balances, previousRoot, currentRoot Root) (State, Outcome, error) {
	if err := checkJustification(st, currentEpoch, b); err != nil {
		return st, Outcome{}, err
	}
	if currentEpoch <= 1 {
		return st, Outcome{}, nil
	}
	var out Outcome
	previousEpoch := currentEpoch - 1
	oldPrevious, oldCurrent := st.PreviousJustified, st.CurrentJustified

	st.PreviousJustified = st.CurrentJustified
	st.Bits = (st.Bits << 1) & (1<<JustificationBitsLength - 1)
	if Supermajority(b.PreviousTarget, b.TotalActive) {
		st.CurrentJustified = Checkpoint{Epoch: previousEpoch, Root: previousRoot}
		st.Bits |= 1 << 1
		out.JustifiedPrevious = true
	}
	if Supermajority(b.CurrentTarget, b.TotalActive) {
		st.CurrentJustified = Checkpoint{Epoch: currentEpoch, Root: currentRoot}
		st.Bits |= 1 << 0
		out.JustifiedCurrent = true
	}

	if st.Bits.all(1, 2, 3) && oldPrevious.Epoch+3 == currentEpoch {
		st.Finalized, out.Finalized = oldPrevious, Rule234
	}
	if st.Bits.all(1, 2) && oldPrevious.Epoch+2 == currentEpoch {
		st.Finalized, out.Finalized = oldPrevious, Rule23
	}
	if st.Bits.all(0, 1, 2) && oldCurrent.Epoch+2 == currentEpoch {
		st.Finalized, out.Finalized = oldCurrent, Rule123
	}
	if st.Bits.all(0, 1) && oldCurrent.Epoch+1 == currentEpoch {
		st.Finalized, out.Finalized = oldCurrent, Rule12
	}
	return st, out, nil
}

func checkJustification(st State, currentEpoch uint64, b Balances) error {
	switch {
	case b.TotalActive == 0:
		return ruleErrorf(ErrBadBalances, "total active balance is zero")
	case b.PreviousTarget > b.TotalActive:
		return ruleErrorf(ErrBadBalances, "previous epoch target balance "+
			"%d is above the total active balance %d", b.PreviousTarget,
			b.TotalActive)
	case b.CurrentTarget > b.TotalActive:
		return ruleErrorf(ErrBadBalances, "current epoch target balance "+
			"%d is above the total active balance %d", b.CurrentTarget,
			b.TotalActive)
	case st.CurrentJustified.Epoch > currentEpoch ||
		st.PreviousJustified.Epoch > currentEpoch:
		return ruleErrorf(ErrBadState, "justified checkpoint after the "+
			"current epoch %d", currentEpoch)
	case st.Finalized.Epoch > st.CurrentJustified.Epoch:
		return ruleErrorf(ErrBadState, "finalized epoch %d is after the "+
			"current justified epoch %d", st.Finalized.Epoch,
			st.CurrentJustified.Epoch)
	}
	return nil
}
