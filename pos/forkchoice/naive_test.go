package forkchoice

import "bytes"

// naive is the reference fork choice: the specification's get_head written
// as a walk of the tree, with every weight summed afresh over all latest
// messages (get_weight, get_ancestor by parent pointers). It follows the
// same rules as Store: latest message by target epoch, equivocating
// validators ignored, the proposer boost on the first timely block of the
// current slot, viability by the block's checkpoints, and a block leads to
// a viable head when it or a descendant is viable.
type naive struct {
	cfg          Config
	blocks       map[Root]Block
	children     map[Root][]Root
	justified    Checkpoint
	finalized    Checkpoint
	votes        map[uint64]Checkpoint // root and target epoch
	equivocating map[uint64]bool
	balances     []uint64
	currentSlot  uint64
	boost        *Root
}

func newNaive(cfg Config, anchor Root, slot, epoch uint64) *naive {
	cp := Checkpoint{Epoch: epoch, Root: anchor}
	return &naive{
		cfg:          cfg,
		blocks:       map[Root]Block{anchor: {Root: anchor, Slot: slot, Justified: cp, Finalized: cp}},
		children:     map[Root][]Root{},
		justified:    cp,
		finalized:    cp,
		votes:        map[uint64]Checkpoint{},
		equivocating: map[uint64]bool{},
		currentSlot:  slot,
	}
}

func (n *naive) onTick(slot uint64) {
	if slot > n.currentSlot {
		n.currentSlot = slot
		n.boost = nil
	}
}

func (n *naive) addBlock(b Block, timely bool) {
	n.blocks[b.Root] = b
	n.children[b.Parent] = append(n.children[b.Parent], b.Root)
	if timely && b.Slot == n.currentSlot && n.boost == nil {
		r := b.Root
		n.boost = &r
	}
}

func (n *naive) vote(v uint64, root Root, target uint64) {
	if n.equivocating[v] {
		return
	}
	if old, ok := n.votes[v]; !ok || target > old.Epoch {
		n.votes[v] = Checkpoint{Epoch: target, Root: root}
	}
}

// isAncestor reports whether anc is root or one of its ancestors.
func (n *naive) isAncestor(anc, root Root) bool {
	for {
		if root == anc {
			return true
		}
		b, ok := n.blocks[root]
		if !ok || root == n.finalized.Root {
			return false
		}
		root = b.Parent
	}
}

func (n *naive) weight(root Root) uint64 {
	var w uint64
	for v, m := range n.votes {
		if n.equivocating[v] || !n.isAncestor(root, m.Root) {
			continue
		}
		if v < uint64(len(n.balances)) {
			w += n.balances[v]
		}
	}
	if n.boost != nil && n.isAncestor(root, *n.boost) {
		var total uint64
		for _, b := range n.balances {
			total += b
		}
		w += total / n.cfg.SlotsPerEpoch * n.cfg.ProposerScoreBoost / 100
	}
	return w
}

func (n *naive) viable(root Root) bool {
	b := n.blocks[root]
	return (n.justified.Epoch == 0 || b.Justified.Epoch == n.justified.Epoch) &&
		(n.finalized.Epoch == 0 || b.Finalized == n.finalized)
}

func (n *naive) leadsToViable(root Root) bool {
	if n.viable(root) {
		return true
	}
	for _, c := range n.children[root] {
		if n.leadsToViable(c) {
			return true
		}
	}
	return false
}

func (n *naive) head() Root {
	head := n.justified.Root
	for {
		var best *Root
		var bestW uint64
		for _, c := range n.children[head] {
			if !n.leadsToViable(c) {
				continue
			}
			w := n.weight(c)
			if best == nil || w > bestW || (w == bestW && bytes.Compare(c[:], best[:]) > 0) {
				c := c
				best, bestW = &c, w
			}
		}
		if best == nil {
			return head
		}
		head = *best
	}
}

// updateCheckpoints mirrors Store.UpdateCheckpoints for valid updates (the
// tests only give it those) and prunes the same way.
func (n *naive) updateCheckpoints(j, f Checkpoint) {
	if j.Epoch > n.justified.Epoch {
		n.justified = j
	}
	if f.Epoch > n.finalized.Epoch {
		n.finalized = f
		keep := map[Root]bool{}
		var walk func(Root)
		walk = func(r Root) {
			keep[r] = true
			for _, c := range n.children[r] {
				walk(c)
			}
		}
		walk(f.Root)
		for r := range n.blocks {
			if !keep[r] {
				delete(n.blocks, r)
				delete(n.children, r)
			}
		}
		// Votes for dropped blocks stay: they count nowhere, and a
		// later vote must still beat their target epoch.
	}
}
