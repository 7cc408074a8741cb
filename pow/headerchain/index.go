package headerchain

import (
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/sideblock"
)

// Config is what an Index needs.
type Config struct {
	// Params are the consensus and resource limits.
	Params Params

	// Chain is the network, for the body rules of sideblock.
	Chain *chainparams.Params

	// Genesis is the first block. It is trusted: no rule is checked.
	Genesis *Block

	// Difficulty says what bits a child of a block must carry.
	Difficulty Difficulty

	// Verifier checks proof of work; nil means SHA256d.
	Verifier Verifier

	// Now is the clock for the future-time limit; nil means time.Now.
	Now func() time.Time
}

// Result says what processing a block changed.
type Result struct {
	// Orphan is true if the block was kept in the orphan pool because
	// its parent is unknown.
	Orphan bool

	// Detach and Attach describe a move of the best tip: the blocks that
	// left the best chain, old tip first, and those that joined it, from
	// the fork point up to the new tip. Both are empty if the tip did
	// not move; Detach alone is empty if the tip moved forward.
	Detach []*Node
	Attach []*Node

	// Connected are the orphans whose parent arrived and that were
	// accepted; Rejected maps the hash of each that was refused to its
	// error.
	Connected []*Node
	Rejected  map[chainhash.Hash]error
}

// TipMoved reports whether the best tip changed.
func (r *Result) TipMoved() bool {
	return len(r.Attach) > 0 || len(r.Detach) > 0
}

// Index holds every valid header it has seen, their bodies, and the
// orphan blocks; and it chooses the best chain. It is safe for concurrent
// use.
type Index struct {
	cfg Config

	mu      sync.Mutex
	nodes   map[chainhash.Hash]*Node
	best    *Node
	orphans orphanPool
}

// New returns an index holding only the genesis block.
func New(cfg Config) (*Index, error) {
	if cfg.Genesis == nil || cfg.Difficulty == nil || cfg.Chain == nil ||
		cfg.Params.PowLimit == nil {
		return nil, errors.New("headerchain: Genesis, Difficulty, Chain " +
			"and Params.PowLimit are required")
	}
	if cfg.Verifier == nil {
		cfg.Verifier = SHA256d{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	g := newNode(&cfg.Genesis.Header, cfg.Genesis.BlockHash(), nil)
	g.block = cfg.Genesis
	g.linked = true
	ix := &Index{
		cfg:   cfg,
		nodes: map[chainhash.Hash]*Node{g.hash: g},
		best:  g,
	}
	ix.orphans.init(&ix.cfg.Params)
	return ix, nil
}

// Best returns the tip of the best chain.
func (ix *Index) Best() *Node {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.best
}

// Lookup returns the node of a hash, or nil.
func (ix *Index) Lookup(hash chainhash.Hash) *Node {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.nodes[hash]
}

// BlockOf returns the body of a node, or nil if the index has none.
func (ix *Index) BlockOf(n *Node) *Block {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return n.block
}

// IsInvalid reports whether the index holds a header as invalid.
func (ix *Index) IsInvalid(n *Node) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return n.invalid
}

// OrphanStats returns the number of orphans and their total base size.
func (ix *Index) OrphanStats() (count, bytes int) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return len(ix.orphans.byHash), ix.orphans.bytes
}

// IsOrphan reports whether the orphan pool holds a block.
func (ix *Index) IsOrphan(hash chainhash.Hash) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	_, ok := ix.orphans.byHash[hash]
	return ok
}

// checkTarget returns the target of bits, or ErrTargetOutOfRange.
func (ix *Index) checkTarget(bits uint32) (*big.Int, error) {
	target := blockchain.CompactToBig(bits)
	if target.Sign() <= 0 {
		return nil, ruleErrorf(ErrTargetOutOfRange,
			"bits %08x encode a target that is not positive", bits)
	}
	if target.Cmp(ix.cfg.Params.PowLimit) > 0 {
		return nil, ruleErrorf(ErrTargetOutOfRange,
			"bits %08x encode a target above the pow limit", bits)
	}
	return target, nil
}

// checkTimeNotTooNew refuses a timestamp past the future-time limit.
func (ix *Index) checkTimeNotTooNew(h *wire.BlockHeader) error {
	limit := ix.cfg.Now().Add(ix.cfg.Params.maxFuture())
	if h.Timestamp.After(limit) {
		return ruleErrorf(ErrTimeTooNew,
			"timestamp %v is more than %v past the clock (%v)",
			h.Timestamp.UTC(), ix.cfg.Params.maxFuture(),
			ix.cfg.Now().UTC().Truncate(time.Second))
	}
	return nil
}

// checkPoW runs the verifier: the only hash a header check computes.
func (ix *Index) checkPoW(h *wire.BlockHeader, hash *chainhash.Hash, height int32, target *big.Int) error {
	ok, err := ix.cfg.Verifier.CheckProofOfWork(h, hash, height, target)
	if err != nil {
		return fmt.Errorf("proof of work at height %d: %w", height, err)
	}
	if !ok {
		return ruleErrorf(ErrHighHash,
			"proof-of-work hash of %v is above the target of bits %08x",
			hash, h.Bits)
	}
	return nil
}

// checkHeader runs the header rules against the parent, cheapest first,
// so that a header is refused before its hash is computed unless it
// passes everything else: bits, timestamp against the median time past
// and the clock, then proof of work.
func (ix *Index) checkHeader(parent *Node, h *wire.BlockHeader, hash *chainhash.Hash) error {
	height := parent.height + 1
	want, err := ix.cfg.Difficulty.NextBits(parent)
	if err != nil {
		return fmt.Errorf("difficulty at height %d: %w", height, err)
	}
	if h.Bits != want {
		return ruleErrorf(ErrBadBits,
			"bits %08x at height %d, the difficulty requires %08x",
			h.Bits, height, want)
	}
	target, err := ix.checkTarget(h.Bits)
	if err != nil {
		return err
	}
	if mtp := parent.MedianTimePast(); !h.Timestamp.After(mtp) {
		return ruleErrorf(ErrTimeTooOld,
			"timestamp %v at height %d is not after the median time "+
				"past %v", h.Timestamp.UTC(), height, mtp.UTC())
	}
	if err := ix.checkTimeNotTooNew(h); err != nil {
		return err
	}
	return ix.checkPoW(h, hash, height, target)
}

// checkBody runs the body rules for a block at height: the body is well
// formed, matches the header and is not too heavy; then sideblock's sanity
// rules; then the coinbase names the height.
func (ix *Index) checkBody(b *Block, height int32) error {
	sb := &sideblock.Block{
		Header: sideblock.Header{
			PrevBlock:  b.Header.PrevBlock,
			MerkleRoot: b.Header.MerkleRoot,
		},
		Transactions: b.Transactions,
	}
	wellFormed := len(b.Transactions) > 0
	for _, tx := range b.Transactions {
		wellFormed = wellFormed && tx != nil
	}
	if wellFormed {
		if root := sideblock.CalcBlockMerkleRoot(b.Transactions); root != b.Header.MerkleRoot {
			return ruleErrorf(ErrBadMerkleRoot,
				"header merkle root %v, body commits to %v",
				b.Header.MerkleRoot, root)
		}
		if err := CheckBlockWeight(b); err != nil {
			return err
		}
	}
	if err := sideblock.CheckBlockSanity(sb, ix.cfg.Chain); err != nil {
		return RuleError{ErrorCode: ErrBadBody, Description: err.Error(), Err: err}
	}
	got, err := sideblock.ExtractCoinbaseHeight(b.Transactions[0])
	if err != nil {
		return RuleError{ErrorCode: ErrBadCoinbaseHeight,
			Description: err.Error(), Err: err}
	}
	if got != height {
		return ruleErrorf(ErrBadCoinbaseHeight,
			"coinbase claims height %d, block is at %d", got, height)
	}
	return nil
}

// marksInvalid reports whether err condemns the header.
func marksInvalid(err error) bool {
	var rerr RuleError
	return errors.As(err, &rerr) && rerr.MarksHeaderInvalid()
}

// ProcessHeader adds a header without its body, as headers-first sync
// does. The parent must be known (ErrUnknownParent). It returns the node;
// the best chain does not move until the bodies arrive.
func (ix *Index) ProcessHeader(h *wire.BlockHeader) (*Node, error) {
	hash := h.BlockHash()
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if n := ix.nodes[hash]; n != nil {
		if n.invalid {
			return nil, ruleErrorf(ErrKnownInvalid,
				"header %v is known to be invalid", hash)
		}
		return n, ruleErrorf(ErrDuplicateBlock, "header %v is known", hash)
	}
	parent := ix.nodes[h.PrevBlock]
	if parent == nil {
		return nil, ruleErrorf(ErrUnknownParent,
			"header %v: parent %v is unknown", hash, h.PrevBlock)
	}
	if parent.invalid {
		return nil, ruleErrorf(ErrKnownInvalid,
			"header %v extends invalid %v", hash, h.PrevBlock)
	}
	if err := ix.checkHeader(parent, h, &hash); err != nil {
		return nil, err
	}
	return ix.insert(newNode(h, hash, parent)), nil
}

func (ix *Index) insert(n *Node) *Node {
	ix.nodes[n.hash] = n
	n.parent.children = append(n.parent.children, n)
	return n
}

// ProcessBlock adds a block: its header (unless known) and its body. A
// block whose parent is unknown goes to the orphan pool, after checks that
// cost at most one hash; when its parent arrives it is processed as if it
// had just come. The result says how the best chain moved.
//
// Errors are RuleErrors except when a collaborator fails (the difficulty
// cannot be computed, the verifier lacks an algorithm). A failed block is
// not stored, except that a header proven invalid by its body (see
// RuleError.MarksHeaderInvalid) is remembered as invalid.
func (ix *Index) ProcessBlock(b *Block) (Result, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()

	var res Result
	oldBest := ix.best
	var linked []*Node
	n, err := ix.accept(b, &linked)
	if err != nil {
		return res, err
	}
	if n == nil {
		res.Orphan = true
		return res, nil
	}

	// Orphans waiting for the new block, and for theirs in turn.
	queue := []chainhash.Hash{n.hash}
	for len(queue) > 0 {
		parent := queue[0]
		queue = queue[1:]
		for _, o := range ix.orphans.takeChildren(parent) {
			on, err := ix.accept(o, &linked)
			if err != nil {
				if res.Rejected == nil {
					res.Rejected = make(map[chainhash.Hash]error)
				}
				res.Rejected[o.BlockHash()] = err
				continue
			}
			if on == nil {
				continue // cannot happen: its parent is indexed
			}
			res.Connected = append(res.Connected, on)
			queue = append(queue, on.hash)
		}
	}

	for _, c := range linked {
		if better(c, ix.best) {
			ix.best = c
		}
	}
	res.Detach, res.Attach = path(oldBest, ix.best)
	return res, nil
}

// accept checks and stores one block. It returns nil and no error if the
// block went to the orphan pool. Blocks that become linked (valid, with
// every ancestor's body) are appended to linked.
func (ix *Index) accept(b *Block, linked *[]*Node) (*Node, error) {
	hash := b.BlockHash()
	n := ix.nodes[hash]
	switch {
	case n != nil && n.invalid:
		return nil, ruleErrorf(ErrKnownInvalid,
			"block %v is known to be invalid", hash)
	case n != nil && n.block != nil:
		return nil, ruleErrorf(ErrDuplicateBlock, "block %v is known", hash)
	case n == nil:
		if _, ok := ix.orphans.byHash[hash]; ok {
			return nil, ruleErrorf(ErrDuplicateBlock,
				"block %v is a known orphan", hash)
		}
		parent := ix.nodes[b.Header.PrevBlock]
		if parent == nil {
			return nil, ix.addOrphan(b, hash)
		}
		if parent.invalid {
			return nil, ruleErrorf(ErrKnownInvalid,
				"block %v extends invalid %v", hash, parent.hash)
		}
		if err := ix.checkHeader(parent, &b.Header, &hash); err != nil {
			return nil, err
		}
		n = newNode(&b.Header, hash, parent)
		if err := ix.checkBody(b, n.height); err != nil {
			if marksInvalid(err) {
				n.invalid = true
				ix.insert(n)
			}
			return nil, err
		}
		ix.insert(n)
	default:
		if err := ix.checkBody(b, n.height); err != nil {
			if marksInvalid(err) {
				ix.markInvalid(n)
			}
			return nil, err
		}
	}
	n.block = b
	ix.link(n, linked)
	return n, nil
}

// link marks n linked if its parent is, and then every descendant that has
// its body.
func (ix *Index) link(n *Node, linked *[]*Node) {
	if !n.parent.linked {
		return
	}
	stack := []*Node{n}
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if c.invalid || c.block == nil || c.linked {
			continue
		}
		c.linked = true
		*linked = append(*linked, c)
		stack = append(stack, c.children...)
	}
}

// markInvalid marks n and every descendant invalid and unlinked.
func (ix *Index) markInvalid(n *Node) {
	stack := []*Node{n}
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		c.invalid = true
		c.linked = false
		stack = append(stack, c.children...)
	}
}

// Invalidate marks a block, which the chain state failed to connect, and
// all its descendants invalid for good, and moves the best chain to the
// best of what remains. The genesis block cannot be invalidated.
func (ix *Index) Invalidate(hash chainhash.Hash) (Result, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	var res Result
	n := ix.nodes[hash]
	if n == nil {
		return res, fmt.Errorf("invalidate: block %v is unknown", hash)
	}
	if n.parent == nil {
		return res, errors.New("invalidate: the genesis block is trusted")
	}
	oldBest := ix.best
	ix.markInvalid(n)
	if oldBest.invalid {
		ix.best = n.parent.Ancestor(0)
		for _, c := range ix.nodes {
			if c.linked && better(c, ix.best) {
				ix.best = c
			}
		}
	}
	res.Detach, res.Attach = path(oldBest, ix.best)
	return res, nil
}

// path returns the blocks from one tip down to the fork point with
// another (exclusive), tip first, and from the fork point (exclusive) up
// to the other, fork point side first.
func path(from, to *Node) (detach, attach []*Node) {
	a, b := from, to
	for a.height > b.height {
		detach = append(detach, a)
		a = a.parent
	}
	for b.height > a.height {
		attach = append(attach, b)
		b = b.parent
	}
	for a != b {
		detach = append(detach, a)
		attach = append(attach, b)
		a, b = a.parent, b.parent
	}
	for i, j := 0, len(attach)-1; i < j; i, j = i+1, j-1 {
		attach[i], attach[j] = attach[j], attach[i]
	}
	return detach, attach
}
