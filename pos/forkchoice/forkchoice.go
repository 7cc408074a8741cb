package forkchoice

import (
	"bytes"
	"math/bits"
)

// Root is a block root.
type Root [32]byte

// Checkpoint is an epoch and the root of the block at the epoch's first
// slot, or of the last block before it.
type Checkpoint struct {
	Epoch uint64
	Root  Root
}

// ProposerScoreBoost is PROPOSER_SCORE_BOOST of the specifications: a
// timely block of the current slot weighs, besides its votes, this
// percentage of one slot's committee weight (the total active balance
// divided by the slots per epoch).
const ProposerScoreBoost = 40

// Config holds the constants the fork choice depends on.
type Config struct {
	// SlotsPerEpoch is SLOTS_PER_EPOCH; checkpoint blocks must be at or
	// before their epoch's first slot.
	SlotsPerEpoch uint64

	// ProposerScoreBoost is the boost in percent of one slot's committee
	// weight (PROPOSER_SCORE_BOOST, 40 in the specifications). Zero
	// disables the boost.
	ProposerScoreBoost uint64
}

// Block is what the fork choice needs to know of a block: its root, its
// parent, its slot, and the justified and finalized checkpoints of the
// state after it.
type Block struct {
	Root      Root
	Parent    Root
	Slot      uint64
	Justified Checkpoint
	Finalized Checkpoint
}

const none = -1

// node is a block in the proto-array. Nodes are kept in insertion order,
// so a node's parent always comes before it: one backward pass over the
// array visits every child before its parent.
type node struct {
	root           Root
	parent         int
	slot           uint64
	justifiedEpoch uint64
	finalized      Checkpoint
	weight         uint64

	// bestChild and bestDescendant are the child and the leaf (or
	// viable block) the head search takes from here; none if no child
	// leads to a viable head. They are valid only when gen equals the
	// store's generation: the pass that computed them.
	bestChild      int
	bestDescendant int
	gen            uint64
}

// vote is a validator's latest message: the block it voted for last and
// the target epoch of that vote (next), and the block its balance is
// counted in now (current), which Head moves to next.
type vote struct {
	current    Root
	hasCurrent bool
	next       Root
	nextEpoch  uint64
	hasNext    bool
}

// Store is the LMD-GHOST fork choice over a proto-array. It is not safe for
// concurrent use; the engine calls it from one goroutine.
type Store struct {
	cfg Config

	nodes   []node
	indices map[Root]int

	justified Checkpoint
	finalized Checkpoint

	votes        []vote
	equivocating map[uint64]bool

	// balances are the effective balances Head counts votes with next;
	// applied are those it counted them with last.
	balances []uint64
	applied  []uint64

	currentSlot uint64
	boostRoot   Root
	hasBoost    bool

	// appliedBoost is the boost Head added to a node's weight last time,
	// removed at the next Head.
	appliedBoostRoot  Root
	appliedBoostScore uint64

	gen    uint64
	deltas []int64
}

// New returns a fork choice whose only block is anchor, normally the
// genesis block or the last finalized block, which is both the justified
// and the finalized checkpoint at its epoch.
func New(cfg Config, anchor Root, anchorSlot uint64, anchorEpoch uint64) (*Store, error) {
	if cfg.SlotsPerEpoch == 0 {
		return nil, ruleErrorf(ErrBadConfig, "slots per epoch is zero")
	}
	if cfg.ProposerScoreBoost > 100 {
		return nil, ruleErrorf(ErrBadConfig, "proposer score boost %d%% "+
			"is above 100%%", cfg.ProposerScoreBoost)
	}
	if hi, lo := bits.Mul64(anchorEpoch, cfg.SlotsPerEpoch); hi != 0 || anchorSlot > lo {
		return nil, ruleErrorf(ErrBadCheckpoint, "anchor block at slot %d "+
			"is after the first slot of its epoch %d", anchorSlot,
			anchorEpoch)
	}
	cp := Checkpoint{Epoch: anchorEpoch, Root: anchor}
	s := &Store{
		cfg:          cfg,
		indices:      map[Root]int{anchor: 0},
		justified:    cp,
		finalized:    cp,
		equivocating: make(map[uint64]bool),
		currentSlot:  anchorSlot,
	}
	s.nodes = append(s.nodes, node{
		root:           anchor,
		parent:         none,
		slot:           anchorSlot,
		justifiedEpoch: anchorEpoch,
		finalized:      cp,
		bestChild:      none,
		bestDescendant: none,
	})
	return s, nil
}

// Justified returns the store's justified checkpoint.
func (s *Store) Justified() Checkpoint { return s.justified }

// Finalized returns the store's finalized checkpoint.
func (s *Store) Finalized() Checkpoint { return s.finalized }

// Len returns the number of blocks the store holds.
func (s *Store) Len() int { return len(s.nodes) }

// Contains reports whether the store holds root.
func (s *Store) Contains(root Root) bool {
	_, ok := s.indices[root]
	return ok
}

// Weight returns the weight Head last computed for root: the balances of
// the votes for it and its descendants, plus the proposer boost if root is
// the boosted block or one of its ancestors.
func (s *Store) Weight(root Root) (uint64, bool) {
	i, ok := s.indices[root]
	if !ok {
		return 0, false
	}
	return s.nodes[i].weight, true
}

// OnTick tells the store the current slot. A new slot ends the previous
// slot's proposer boost (the specification's on_tick).
func (s *Store) OnTick(slot uint64) {
	if slot > s.currentSlot {
		s.currentSlot = slot
		s.hasBoost = false
		s.boostRoot = Root{}
	}
}

// AddBlock adds a block whose parent the store holds. timely says whether
// it arrived before the attesting interval of its slot (the engine's clock
// decides); the first timely block of the current slot gets the proposer
// boost until the slot ends. A block whose finalized checkpoint is at the
// store's finalized epoch with another root is refused with
// ErrConflictingFinalized, except at epoch 0, where genesis states carry
// checkpoints with a zero root. The block's own checkpoints only decide whether
// it is viable for head; the store's checkpoints move with
// UpdateCheckpoints.
func (s *Store) AddBlock(b Block, timely bool) error {
	if _, ok := s.indices[b.Root]; ok {
		return ruleErrorf(ErrDuplicateBlock, "block %x is already known",
			b.Root[:8])
	}
	p, ok := s.indices[b.Parent]
	if !ok {
		return ruleErrorf(ErrUnknownParent, "parent %x of block %x is "+
			"not known (or does not descend from the finalized block)",
			b.Parent[:8], b.Root[:8])
	}
	if b.Slot <= s.nodes[p].slot {
		return ruleErrorf(ErrBadSlot, "block %x at slot %d is not after "+
			"its parent's slot %d", b.Root[:8], b.Slot, s.nodes[p].slot)
	}
	if b.Finalized.Epoch == s.finalized.Epoch && b.Finalized.Epoch != 0 &&
		b.Finalized.Root != s.finalized.Root {
		return ruleErrorf(ErrConflictingFinalized, "block %x finalizes "+
			"%x at epoch %d, where %x is finalized", b.Root[:8],
			b.Finalized.Root[:8], b.Finalized.Epoch, s.finalized.Root[:8])
	}
	s.indices[b.Root] = len(s.nodes)
	s.nodes = append(s.nodes, node{
		root:           b.Root,
		parent:         p,
		slot:           b.Slot,
		justifiedEpoch: b.Justified.Epoch,
		finalized:      b.Finalized,
		bestChild:      none,
		bestDescendant: none,
	})
	if timely && b.Slot == s.currentSlot && !s.hasBoost {
		s.boostRoot, s.hasBoost = b.Root, true
	}
	return nil
}

// ProcessAttestation records validator's vote for root with the vote's
// target epoch, if it is the validator's first vote or its target epoch is
// later than that of the vote held (update_latest_messages). Votes of
// validators known to have equivocated are ignored. The engine checks the
// attestation itself (signature, committee, slot); the store only refuses
// a root it does not hold, with ErrUnknownBlock, and a validator index
// SetBalances gave no balance for, with ErrUnknownValidator (so that no
// index makes the vote table grow beyond the registry). The weights change
// at the next Head.
func (s *Store) ProcessAttestation(validator uint64, root Root, targetEpoch uint64) error {
	if validator >= uint64(len(s.balances)) {
		return ruleErrorf(ErrUnknownValidator, "vote of validator %d, "+
			"beyond the %d validators with balances", validator,
			len(s.balances))
	}
	if _, ok := s.indices[root]; !ok {
		return ruleErrorf(ErrUnknownBlock, "vote of validator %d for "+
			"unknown block %x", validator, root[:8])
	}
	if s.equivocating[validator] {
		return nil
	}
	for uint64(len(s.votes)) <= validator {
		s.votes = append(s.votes, vote{})
	}
	v := &s.votes[validator]
	if !v.hasNext || targetEpoch > v.nextEpoch {
		v.next, v.nextEpoch, v.hasNext = root, targetEpoch, true
	}
	return nil
}

// ProcessEquivocation marks validators as equivocating (from an attester
// slashing): their votes stop counting at the next Head, and later votes
// of theirs are ignored, for good.
func (s *Store) ProcessEquivocation(validators ...uint64) {
	for _, v := range validators {
		s.equivocating[v] = true
	}
}

// SetBalances sets the effective balances that votes count with from the
// next Head on: those of the justified checkpoint's state, zero for a
// validator that is not active, with an entry for every validator index
// that may vote (ProcessAttestation refuses the others). The slice is
// copied. The proposer boost is
// ProposerScoreBoost percent of their sum divided by the slots per epoch.
func (s *Store) SetBalances(balances []uint64) {
	s.balances = append(s.balances[:0:0], balances...)
}

// UpdateCheckpoints moves the store's justified and finalized checkpoints
// forward (update_checkpoints): a checkpoint at an epoch not above the one
// held is ignored, except that a finalized checkpoint at the held epoch
// with another root is refused with ErrConflictingFinalized. A new
// finalized checkpoint must name a block the store holds, which therefore
// descends from the finalized block held; the store then prunes every
// block that does not descend from it. A new justified checkpoint must
// name a block the store holds that descends from the finalized block, at
// an epoch not below the finalized one (ErrBadCheckpoint). Nothing changes
// when an error is returned.
func (s *Store) UpdateCheckpoints(justified, finalized Checkpoint) error {
	newFinal := s.finalized
	switch {
	case finalized.Epoch == s.finalized.Epoch && finalized.Root != s.finalized.Root:
		return ruleErrorf(ErrConflictingFinalized, "finalized checkpoint "+
			"%x at epoch %d conflicts with %x, finalized already",
			finalized.Root[:8], finalized.Epoch, s.finalized.Root[:8])
	case finalized.Epoch > s.finalized.Epoch:
		i, ok := s.indices[finalized.Root]
		if !ok {
			return ruleErrorf(ErrConflictingFinalized, "finalized "+
				"checkpoint %x at epoch %d is not a known descendant "+
				"of the finalized block %x", finalized.Root[:8],
				finalized.Epoch, s.finalized.Root[:8])
		}
		if err := s.checkCheckpointSlot(i, finalized); err != nil {
			return err
		}
		newFinal = finalized
	}
	newJust := s.justified
	if justified.Epoch > s.justified.Epoch {
		i, ok := s.indices[justified.Root]
		if !ok {
			return ruleErrorf(ErrUnknownBlock, "justified checkpoint "+
				"%x at epoch %d is not known", justified.Root[:8],
				justified.Epoch)
		}
		if err := s.checkCheckpointSlot(i, justified); err != nil {
			return err
		}
		newJust = justified
	}
	if newJust.Epoch < newFinal.Epoch {
		return ruleErrorf(ErrBadCheckpoint, "justified epoch %d is below "+
			"the finalized epoch %d", newJust.Epoch, newFinal.Epoch)
	}
	if !s.descends(s.indices[newJust.Root], s.indices[newFinal.Root]) {
		return ruleErrorf(ErrBadCheckpoint, "justified checkpoint %x does "+
			"not descend from the finalized block %x", newJust.Root[:8],
			newFinal.Root[:8])
	}
	s.justified = newJust
	if newFinal != s.finalized {
		s.finalized = newFinal
		s.prune()
	}
	return nil
}

func (s *Store) checkCheckpointSlot(i int, cp Checkpoint) error {
	hi, lo := bits.Mul64(cp.Epoch, s.cfg.SlotsPerEpoch)
	if hi == 0 && s.nodes[i].slot > lo {
		return ruleErrorf(ErrBadCheckpoint, "checkpoint block %x at slot "+
			"%d is after the first slot %d of epoch %d", cp.Root[:8],
			s.nodes[i].slot, lo, cp.Epoch)
	}
	return nil
}

// descends reports whether node i is node anc or one of its descendants.
func (s *Store) descends(i, anc int) bool {
	for i > anc {
		i = s.nodes[i].parent
	}
	return i == anc
}

// prune keeps the finalized block and its descendants, in order, and drops
// every other block. A descendant comes after its ancestor in the array,
// so one forward pass finds them all. The weights of the kept blocks are
// unchanged: no vote for a dropped block was counted in them.
func (s *Store) prune() {
	fin := s.indices[s.finalized.Root]
	remap := make([]int, len(s.nodes))
	kept := s.nodes[:0:0]
	for i := range s.nodes {
		remap[i] = none
		n := s.nodes[i]
		switch {
		case i == fin:
			n.parent = none
		case i < fin || n.parent == none || remap[n.parent] == none:
			continue
		default:
			n.parent = remap[n.parent]
		}
		remap[i] = len(kept)
		kept = append(kept, n)
	}
	// Best children may point at dropped blocks; the next Head
	// recomputes them all.
	for i := range kept {
		kept[i].bestChild, kept[i].bestDescendant = none, none
	}
	s.nodes = kept
	s.indices = make(map[Root]int, len(kept))
	for i := range kept {
		s.indices[kept[i].root] = i
	}
}

// Head moves every changed vote to its new block, applies the resulting
// weight changes and the proposer boost in one backward pass over the
// blocks, and returns the head: the best descendant of the justified
// block, or the justified block itself when no descendant is viable.
func (s *Store) Head() (Root, error) {
	if err := s.applyDeltas(); err != nil {
		return Root{}, err
	}
	j := s.indices[s.justified.Root]
	if d := s.nodes[j].bestDescendant; d != none && s.nodes[j].gen == s.gen {
		return s.nodes[d].root, nil
	}
	return s.justified.Root, nil
}

// computeDeltas moves each validator's balance from the block it counts in
// to the block of its latest vote, with the balance it counts with now, and
// takes equivocating validators' balances away. It is one pass over the
// validators; the result is a weight change per block, not yet carried to
// the ancestors.
func (s *Store) computeDeltas() {
	if cap(s.deltas) < len(s.nodes) {
		s.deltas = make([]int64, len(s.nodes))
	}
	s.deltas = s.deltas[:len(s.nodes)]
	clear(s.deltas)
	for vi := range s.votes {
		v := &s.votes[vi]
		if !v.hasCurrent && !v.hasNext {
			continue
		}
		oldBal := balanceAt(s.applied, vi)
		if s.equivocating[uint64(vi)] {
			if v.hasCurrent {
				if i, ok := s.indices[v.current]; ok {
					s.deltas[i] -= int64(oldBal)
				}
			}
			*v = vote{}
			continue
		}
		newBal := balanceAt(s.balances, vi)
		if v.hasCurrent == v.hasNext && v.current == v.next && oldBal == newBal {
			continue
		}
		if v.hasCurrent {
			if i, ok := s.indices[v.current]; ok {
				s.deltas[i] -= int64(oldBal)
			}
		}
		if v.hasNext {
			if i, ok := s.indices[v.next]; ok {
				s.deltas[i] += int64(newBal)
			}
		}
		v.current, v.hasCurrent = v.next, v.hasNext
	}
}

func balanceAt(b []uint64, i int) uint64 {
	if i < len(b) {
		return b[i]
	}
	return 0
}

// boostScore is the proposer boost: ProposerScoreBoost percent of the
// total balance divided by the slots per epoch (get_proposer_score).
func (s *Store) boostScore() uint64 {
	var total uint64
	for _, b := range s.balances {
		total += b
	}
	return total / s.cfg.SlotsPerEpoch * s.cfg.ProposerScoreBoost / 100
}

// applyDeltas computes the vote deltas, swaps the proposer boost, and
// makes the one backward pass that adds each block's delta to its weight,
// carries it to its parent's delta, and offers the block to its parent as
// best child. A parent comes before its children in the array, so when
// the pass reaches a block every child of it has its final weight and best
// descendant: the best child a block gets is the best of all its children
// in this pass (gen marks what this pass set; older values are ignored).
func (s *Store) applyDeltas() error {
	s.computeDeltas()
	if s.appliedBoostScore != 0 {
		if i, ok := s.indices[s.appliedBoostRoot]; ok {
			s.deltas[i] -= int64(s.appliedBoostScore)
		}
		s.appliedBoostScore = 0
	}
	if s.hasBoost {
		if i, ok := s.indices[s.boostRoot]; ok {
			score := s.boostScore()
			s.deltas[i] += int64(score)
			s.appliedBoostRoot, s.appliedBoostScore = s.boostRoot, score
		}
	}
	s.applied = append(s.applied[:0], s.balances...)

	s.gen++
	for i := len(s.nodes) - 1; i >= 0; i-- {
		n := &s.nodes[i]
		d := s.deltas[i]
		if d < 0 && uint64(-d) > n.weight {
			return ruleErrorf(ErrWeightUnderflow, "block %x of weight %d "+
				"would lose %d", n.root[:8], n.weight, -d)
		}
		n.weight = uint64(int64(n.weight) + d)
		if n.gen != s.gen {
			n.bestChild, n.bestDescendant, n.gen = none, none, s.gen
		}
		if n.parent == none {
			continue
		}
		s.deltas[n.parent] += d
		if n.bestChild == none && !s.viable(n) {
			continue
		}
		desc := n.bestDescendant
		if desc == none {
			desc = i
		}
		p := &s.nodes[n.parent]
		if p.gen != s.gen || p.bestChild == none || s.better(i, p.bestChild) {
			p.bestChild, p.bestDescendant, p.gen = i, desc, s.gen
		}
	}
	return nil
}

// better reports whether node a beats node b as a best child: more weight,
// or the same weight and the larger root.
func (s *Store) better(a, b int) bool {
	na, nb := &s.nodes[a], &s.nodes[b]
	if na.weight != nb.weight {
		return na.weight > nb.weight
	}
	return bytes.Compare(na.root[:], nb.root[:]) > 0
}

// viable is node_is_viable_for_head: the block's state has the store's
// justified epoch and finalized checkpoint, or the store's checkpoint is
// still at the genesis epoch. Every block the store holds descends from
// the finalized block (pruning drops the others).
func (s *Store) viable(n *node) bool {
	okJust := s.justified.Epoch == 0 || n.justifiedEpoch == s.justified.Epoch
	okFin := s.finalized.Epoch == 0 || n.finalized == s.finalized
	return okJust && okFin
}
