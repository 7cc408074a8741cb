package chain

import (
	"sync"

	"github.com/mainstake/sidenode/pos/ffg"
	"github.com/mainstake/sidenode/pos/forkchoice"
)

// node is a block the chain holds, with the state after it.
type node struct {
	block *Block
	state *State
}

// Chain is the pos block tree: every block accepted since the finalized
// one, the state after each, and LMD-GHOST fork choice over them
// (pos/forkchoice). It is safe for concurrent use.
type Chain struct {
	cfg *Config

	mu        sync.Mutex
	nodes     map[Root]*node
	genesis   Root
	fc        *forkchoice.Store
	head      Root
	finalized ffg.Checkpoint
	justified ffg.Checkpoint
	stopped   error

	// past holds the blocks of the finalized chain that fork choice no
	// longer holds (the finalized block's ancestors), to serve peers
	// that sync from genesis.
	past map[Root]*Block

	// checkpointStates caches states advanced to an epoch's first slot,
	// by (block root, epoch), for checking gossiped attestations.
	checkpointStates map[checkpointKey]*State
}

type checkpointKey struct {
	root  Root
	epoch uint64
}

// New returns a chain holding only the genesis block of cfg's network.
func New(cfg *Config) (*Chain, error) {
	st, g, err := GenesisState(cfg)
	if err != nil {
		return nil, err
	}
	root := g.Root()
	fc, err := forkchoice.New(cfg.ForkChoice, forkchoice.Root(root), 0, 0)
	if err != nil {
		return nil, err
	}
	c := &Chain{
		cfg:              cfg,
		nodes:            map[Root]*node{root: {block: g, state: st}},
		genesis:          root,
		fc:               fc,
		head:             root,
		finalized:        ffg.Checkpoint{Root: ffg.Root(root)},
		justified:        ffg.Checkpoint{Root: ffg.Root(root)},
		checkpointStates: map[checkpointKey]*State{},
		past:             map[Root]*Block{},
	}
	c.setBalances(st)
	return c, nil
}

// Config returns the chain's configuration.
func (c *Chain) Config() *Config { return c.cfg }

// Genesis returns the genesis block's root.
func (c *Chain) Genesis() Root { return c.genesis }

// setBalances gives the fork choice the effective balances of the
// validators active in st's epoch.
func (c *Chain) setBalances(st *State) {
	epoch := st.Epoch(c.cfg)
	bal := make([]uint64, len(st.Registry.Validators))
	for i := range st.Registry.Validators {
		v := &st.Registry.Validators[i]
		if v.IsActive(epoch) && !v.Slashed {
			bal[i] = v.EffectiveBalance
		}
	}
	c.fc.SetBalances(bal)
}

// Head returns the head block's root and the state after it. The state
// is the chain's: callers must Clone it before changing it.
func (c *Chain) Head() (Root, *State) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.head, c.nodes[c.head].state
}

// Finalized and Justified return the chain's checkpoints.
func (c *Chain) Finalized() ffg.Checkpoint {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.finalized
}

// Justified returns the chain's justified checkpoint.
func (c *Chain) Justified() ffg.Checkpoint {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.justified
}

// Block returns a block the chain holds.
func (c *Chain) Block(root Root) (*Block, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n, ok := c.nodes[root]; ok {
		return n.block, true
	}
	b, ok := c.past[root]
	return b, ok
}

// Stopped returns the error that stopped the chain, or nil.
func (c *Chain) Stopped() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopped
}

// OnTick tells the fork choice the clock's slot (the proposer boost ends
// with its slot) and recomputes the head.
func (c *Chain) OnTick(slot uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fc.OnTick(slot)
	return c.updateHead()
}

func (c *Chain) updateHead() error {
	h, err := c.fc.Head()
	if err != nil {
		return err
	}
	c.head = Root(h)
	return nil
}

// isAncestor reports whether anc is b or one of its ancestors.
func (c *Chain) isAncestor(anc, b Root) bool {
	for {
		if b == anc {
			return true
		}
		n, ok := c.nodes[b]
		if !ok || b == c.genesis {
			return false
		}
		b = n.block.Header.Message.ParentRoot
	}
}

// AcceptBlock checks b against its parent's state and adds it to the tree,
// at clock slot now. In order: the chain has not stopped (ErrStopped), b
// is new (ErrDuplicateBlock), not from a future slot (ErrFutureSlot), its
// parent is held (ErrUnknownParent), it is after the finalized block and
// descends from it (ErrNotDescendant), and the state transition accepts it
// (ProcessSlots and ProcessBlock with signatures, then ErrBadStateRoot).
// The block's attestations then count as fork-choice votes and its
// attester slashings as equivocations; the chain's checkpoints move with
// the state's, and the head is recomputed.
//
// A block whose state finalizes a checkpoint that conflicts with the
// chain's finalized one (another root at the same epoch, or a later one
// not descending from it) stops the chain: it returns
// ErrConflictingFinality now and ErrStopped from then on. A finalized
// block is never reverted.
func (c *Chain) AcceptBlock(b *Block, now uint64) (Root, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	root := b.Root()
	if c.stopped != nil {
		return root, wrapRule(ErrStopped, c.stopped, "chain stopped")
	}
	h := &b.Header.Message
	if _, ok := c.nodes[root]; ok {
		return root, ruleErrorf(ErrDuplicateBlock, "block %x already held", root[:8])
	}
	if h.Slot > now {
		return root, ruleErrorf(ErrFutureSlot, "block of slot %d at slot %d", h.Slot, now)
	}
	parent, ok := c.nodes[h.ParentRoot]
	if !ok {
		return root, ruleErrorf(ErrUnknownParent, "parent %x of block %x unknown", h.ParentRoot[:8], root[:8])
	}
	finSlot := c.cfg.EpochStart(c.finalized.Epoch)
	if h.Slot <= finSlot || !c.isAncestor(Root(c.finalized.Root), h.ParentRoot) {
		return root, ruleErrorf(ErrNotDescendant, "block at slot %d does not extend the finalized block of epoch %d",
			h.Slot, c.finalized.Epoch)
	}
	st := parent.state.Clone()
	if err := ProcessSlots(c.cfg, st, h.Slot); err != nil {
		return root, err
	}
	if err := ProcessBlock(c.cfg, st, b, VerifySignatures); err != nil {
		return root, err
	}
	if st.Root() != h.StateRoot {
		return root, ruleErrorf(ErrBadStateRoot, "header's state root is not the state's after the block")
	}

	fin := c.anchored(st.FFG.Finalized)
	just := c.anchored(st.FFG.CurrentJustified)
	if fin.Epoch > 0 {
		conflict := (fin.Epoch == c.finalized.Epoch && fin.Root != c.finalized.Root) ||
			(fin.Epoch > c.finalized.Epoch && !c.isAncestor(Root(c.finalized.Root), Root(fin.Root)))
		if conflict {
			c.stopped = ruleErrorf(ErrConflictingFinality, "block %x finalizes epoch %d at %x, "+
				"this chain finalized epoch %d at %x", root[:8], fin.Epoch, fin.Root[:8],
				c.finalized.Epoch, c.finalized.Root[:8])
			return root, c.stopped
		}
	}

	err := c.fc.AddBlock(forkchoice.Block{
		Root:      forkchoice.Root(root),
		Parent:    forkchoice.Root(h.ParentRoot),
		Slot:      h.Slot,
		Justified: forkchoice.Checkpoint{Epoch: just.Epoch, Root: forkchoice.Root(just.Root)},
		Finalized: forkchoice.Checkpoint{Epoch: fin.Epoch, Root: forkchoice.Root(fin.Root)},
	}, h.Slot == now)
	if err != nil {
		return root, err
	}
	c.nodes[root] = &node{block: b, state: st}

	for i := range b.Body.Attestations {
		a := &b.Body.Attestations[i]
		idx, err := AttestingIndices(c.cfg, st, a)
		if err != nil {
			continue
		}
		c.vote(idx, a)
	}
	for i := range b.Body.AttesterSlashings {
		as := &b.Body.AttesterSlashings[i]
		for _, v := range intersect(as.Attestation1.AttestingIndices, as.Attestation2.AttestingIndices) {
			c.fc.ProcessEquivocation(v)
		}
	}
	if err := c.moveCheckpoints(st); err != nil {
		return root, err
	}
	return root, c.updateHead()
}

// anchored returns cp with the genesis root in place of the zero root
// that genesis states carry for epoch 0.
func (c *Chain) anchored(cp ffg.Checkpoint) ffg.Checkpoint {
	if cp.Root == (ffg.Root{}) {
		cp.Root = ffg.Root(c.genesis)
	}
	return cp
}

// vote counts an attestation's attesters as fork-choice votes for its
// head, when the chain holds it.
func (c *Chain) vote(idx []uint64, a *Attestation) {
	if !c.fc.Contains(forkchoice.Root(a.Data.BeaconBlockRoot)) {
		return
	}
	for _, v := range idx {
		_ = c.fc.ProcessAttestation(v, forkchoice.Root(a.Data.BeaconBlockRoot), a.Data.Target.Epoch)
	}
}

func intersect(a, b []uint64) []uint64 {
	in := make(map[uint64]bool, len(a))
	for _, v := range a {
		in[v] = true
	}
	var out []uint64
	for _, v := range b {
		if in[v] {
			out = append(out, v)
		}
	}
	return out
}

// moveCheckpoints moves the chain's justified and finalized checkpoints
// forward to st's, and on a new finalized checkpoint forgets every block
// that does not descend from it.
func (c *Chain) moveCheckpoints(st *State) error {
	j, f := c.anchored(st.FFG.CurrentJustified), c.anchored(st.FFG.Finalized)
	if j.Epoch <= c.justified.Epoch && f.Epoch <= c.finalized.Epoch {
		return nil
	}
	if j.Epoch > c.justified.Epoch {
		c.justified = j
		c.setBalances(st)
	}
	err := c.fc.UpdateCheckpoints(
		forkchoice.Checkpoint{Epoch: c.justified.Epoch, Root: forkchoice.Root(c.justified.Root)},
		forkchoice.Checkpoint{Epoch: f.Epoch, Root: forkchoice.Root(f.Root)})
	if err != nil {
		return err
	}
	if f.Epoch > c.finalized.Epoch {
		c.finalized = f
		for r := Root(f.Root); ; {
			n, ok := c.nodes[r]
			if !ok || r == c.genesis {
				break
			}
			r = n.block.Header.Message.ParentRoot
			if p, ok := c.nodes[r]; ok {
				c.past[r] = p.block
			}
		}
		for r := range c.nodes {
			if !c.fc.Contains(forkchoice.Root(r)) {
				delete(c.nodes, r)
			}
		}
		for k := range c.checkpointStates {
			if k.epoch < f.Epoch {
				delete(c.checkpointStates, k)
			}
		}
	}
	return nil
}

// AcceptAttestation checks a gossiped attestation at clock slot now and
// counts it as fork-choice votes. In order: the chain has not stopped
// (ErrStopped), the vote is not for a future slot (ErrFutureSlot), its
// head and target blocks are held (ErrUnknownBlockRoot), the committee and
// bits fit (AttestingIndices, against the head block's state advanced to
// the target epoch), and the aggregate signature verifies
// (ErrBadAttestationSignature). It returns the attesting validators.
func (c *Chain) AcceptAttestation(a *Attestation, now uint64) ([]uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped != nil {
		return nil, wrapRule(ErrStopped, c.stopped, "chain stopped")
	}
	d := &a.Data
	if d.Slot > now || d.Target.Epoch > c.cfg.EpochOf(now) {
		return nil, ruleErrorf(ErrFutureSlot, "vote for slot %d at slot %d", d.Slot, now)
	}
	head, ok := c.nodes[d.BeaconBlockRoot]
	if !ok || !c.fc.Contains(forkchoice.Root(d.BeaconBlockRoot)) {
		return nil, ruleErrorf(ErrUnknownBlockRoot, "vote for unknown block %x", d.BeaconBlockRoot[:8])
	}
	if _, ok := c.nodes[d.Target.Root]; !ok {
		return nil, ruleErrorf(ErrUnknownBlockRoot, "vote for unknown target %x", d.Target.Root[:8])
	}
	if head.block.Header.Message.Slot > d.Slot {
		return nil, ruleErrorf(ErrBadAttestation, "vote at slot %d for a block of slot %d",
			d.Slot, head.block.Header.Message.Slot)
	}
	st, err := c.checkpointState(d.BeaconBlockRoot, head.state, d.Target.Epoch)
	if err != nil {
		return nil, err
	}
	idx, err := AttestingIndices(c.cfg, st, a)
	if err != nil {
		return nil, err
	}
	if err := verifyAggregate(c.cfg, st, a, idx); err != nil {
		return nil, err
	}
	c.vote(idx, a)
	return idx, nil
}

// checkpointState returns the state after block root advanced to the
// first slot of epoch (or the block's own state if it is in epoch or
// later), cached.
func (c *Chain) checkpointState(root Root, st *State, epoch uint64) (*State, error) {
	start := c.cfg.EpochStart(epoch)
	if st.Slot >= start {
		return st, nil
	}
	k := checkpointKey{root, epoch}
	if cs, ok := c.checkpointStates[k]; ok {
		return cs, nil
	}
	cs := st.Clone()
	if err := ProcessSlots(c.cfg, cs, start); err != nil {
		return nil, err
	}
	c.checkpointStates[k] = cs
	return cs, nil
}
