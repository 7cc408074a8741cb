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

	// Readiness, if set, says whether a proof-of-work check would first
	// build a cache; see Params.ColdBranchBlocks. Nil means the
	// Verifier's own Ready method if it has one (the Verifier
	// implements Readiness), else every check is taken as ready.
	Readiness Readiness

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
//
// Proof of work is checked without the lock, so that slow hashes (RandomX)
// of different headers run at once and never hold up a query.
type Index struct {
	cfg       Config
	readiness Readiness // nil: every check is ready

	mu         sync.Mutex
	nodes      map[chainhash.Hash]*Node
	best       *Node // best linked tip
	bestHeader *Node // tip of the most-work chain of valid headers
	orphans    orphanPool
	flights    map[chainhash.Hash]*flight // proof-of-work checks running
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
		cfg:        cfg,
		readiness:  cfg.Readiness,
		nodes:      map[chainhash.Hash]*Node{g.hash: g},
		best:       g,
		bestHeader: g,
		flights:    make(map[chainhash.Hash]*flight),
	}
	if ix.readiness == nil {
		ix.readiness, _ = cfg.Verifier.(Readiness)
	}
	ix.orphans.init(&ix.cfg.Params)
	return ix, nil
}

// Best returns the tip of the best chain: the most-work chain of valid
// blocks whose bodies are all there (linked). BestHeader may be ahead.
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

// headerCheck is a header that passed the rules checked under the lock,
// with what the rest of its check, made without the lock, needs.
type headerCheck struct {
	header *wire.BlockHeader
	hash   chainhash.Hash
	parent *Node
	height int32
	target *big.Int

	// askReady is set when the header's branch is not worth a cache
	// build: the Readiness is asked before the hash.
	askReady bool
}

// checkHeader runs, under the lock, the header rules against the parent
// that cost no hash, cheapest first: bits, then timestamp against the
// median time past and the clock. It decides whether the proof-of-work
// check may build a cache: claim is the work the header's branch claims
// above the parent (the header's own, or a batch's run of headers).
// verifyHeader then checks the proof of work without the lock.
func (ix *Index) checkHeader(parent *Node, h *wire.BlockHeader, hash chainhash.Hash, claim *big.Int) (*headerCheck, error) {
	height := parent.height + 1
	want, err := ix.cfg.Difficulty.NextBits(parent)
	if err != nil {
		return nil, fmt.Errorf("difficulty at height %d: %w", height, err)
	}
	if h.Bits != want {
		return nil, ruleErrorf(ErrBadBits,
			"bits %08x at height %d, the difficulty requires %08x",
			h.Bits, height, want)
	}
	target, err := ix.checkTarget(h.Bits)
	if err != nil {
		return nil, err
	}
	if mtp := parent.MedianTimePast(); !h.Timestamp.After(mtp) {
		return nil, ruleErrorf(ErrTimeTooOld,
			"timestamp %v at height %d is not after the median time "+
				"past %v", h.Timestamp.UTC(), height, mtp.UTC())
	}
	if err := ix.checkTimeNotTooNew(h); err != nil {
		return nil, err
	}
	return &headerCheck{
		header:   h,
		hash:     hash,
		parent:   parent,
		height:   height,
		target:   target,
		askReady: ix.readiness != nil && !ix.worthBuild(parent, claim),
	}, nil
}

// worthBuild reports whether a branch ending at parent, with claim more
// work, is within ColdBranchBlocks blocks' work (at the parent's bits) of
// the best header chain: worth a cache build.
func (ix *Index) worthBuild(parent *Node, claim *big.Int) bool {
	w := new(big.Int).Mul(blockchain.CalcWork(parent.header.Bits),
		big.NewInt(ix.cfg.Params.coldBranchBlocks()))
	w.Add(w, parent.workSum)
	w.Add(w, claim)
	return w.Cmp(ix.bestHeader.workSum) >= 0
}

// verifyHeader checks a header's proof of work, without the lock: the one
// hash, after asking the Readiness if its branch is not worth a cache
// build.
func (ix *Index) verifyHeader(c *headerCheck) error {
	if c.askReady {
		ready, err := ix.readiness.Ready(c.header, c.height)
		if err != nil {
			return fmt.Errorf("proof of work at height %d: %w", c.height, err)
		}
		if !ready {
			return ruleErrorf(ErrColdBranch,
				"header %v at height %d would need a cache build and "+
					"its branch has more than %d blocks' work less "+
					"than the best header chain", c.hash, c.height,
				ix.cfg.Params.coldBranchBlocks())
		}
	}
	return ix.checkPoW(c.header, &c.hash, c.height, c.target)
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
// the best chain does not move until the bodies arrive, but BestHeader
// may. A header already held is returned with ErrDuplicateBlock.
func (ix *Index) ProcessHeader(h *wire.BlockHeader) (*Node, error) {
	return ix.processHeader(h, h.BlockHash(), blockchain.CalcWork(h.Bits))
}

// ProcessHeaders adds headers in order, as a getheaders answer brings
// them, and stops at the first that fails. It returns how many it went
// through: headers[:n] are all held by the index (new ones and those it
// already had: a duplicate is no error here), and if err is not nil it is
// headers[n]'s.
//
// A run of connected headers in the batch vouches for each of its headers'
// branch: a header that would need a cache build (ErrColdBranch) is
// verified if its branch, with the rest of the run, comes within
// Params.ColdBranchBlocks of the best header chain's work. The claim is
// the work the run's bits encode, and costs the sender nothing to make;
// it buys at most one cache build, for the first header of the run that
// needs one, and if a later header then fails the batch's sender has sent
// an invalid header.
func (ix *Index) ProcessHeaders(headers []wire.BlockHeader) (int, error) {
	hashes := make([]chainhash.Hash, len(headers))
	for i := range headers {
		hashes[i] = headers[i].BlockHash()
	}
	// claims[i]: the work of headers[i] and of the connected headers
	// after it.
	claims := make([]*big.Int, len(headers))
	for i := len(headers) - 1; i >= 0; i-- {
		claims[i] = blockchain.CalcWork(headers[i].Bits)
		if i+1 < len(headers) && headers[i+1].PrevBlock == hashes[i] {
			claims[i].Add(claims[i], claims[i+1])
		}
	}
	for i := range headers {
		_, err := ix.processHeader(&headers[i], hashes[i], claims[i])
		if err != nil && !errors.Is(err, ErrDuplicateBlock) {
			return i, err
		}
	}
	return len(headers), nil
}

// processHeader checks and stores a header: the cheap rules under the
// lock, the proof of work without it (or, if another caller is checking
// the same header, that caller's outcome), and then, under the lock again,
// whatever may have changed meanwhile.
func (ix *Index) processHeader(h *wire.BlockHeader, hash chainhash.Hash, claim *big.Int) (*Node, error) {
	verifiedAt := int32(-1) // a height the proof of work is known good at
	for {
		ix.mu.Lock()
		n, c, err := ix.precheckHeader(h, hash, claim)
		if c == nil {
			ix.mu.Unlock()
			return n, err
		}
		if verifiedAt != c.height {
			f, own := ix.joinFlight(hash)
			ix.mu.Unlock()
			if !own {
				if verifiedAt, err = f.wait(); err != nil {
					return nil, err
				}
				continue
			}
			if err := ix.runFlight(f, c); err != nil {
				return nil, err
			}
			ix.mu.Lock()
		}
		n, err = ix.storeHeader(c)
		ix.mu.Unlock()
		return n, err
	}
}

// storeHeader stores, under the lock, a header whose check passed,
// looking again at what may have changed while the lock was released.
func (ix *Index) storeHeader(c *headerCheck) (*Node, error) {
	n := ix.nodes[c.hash]
	switch {
	case n != nil && n.invalid:
		return nil, ruleErrorf(ErrKnownInvalid,
			"header %v is known to be invalid", c.hash)
	case n != nil:
		return n, nil // stored meanwhile by another caller
	case c.parent.invalid: // invalidated meanwhile
		return nil, ruleErrorf(ErrKnownInvalid,
			"header %v extends invalid %v", c.hash, c.parent.hash)
	}
	return ix.insert(newNode(c.header, c.hash, c.parent)), nil
}

// flight is a proof-of-work check in progress. Another caller that needs
// the same header checked waits for it rather than hash it again: peers
// and miners often bring the same new block at once.
type flight struct {
	done    chan struct{} // closed when height and err are set
	height  int32         // the height it checked
	err     error         // its outcome
	waiters int           // callers waiting, under the index's lock
}

// joinFlight, under the lock, returns the check of hash in progress and
// false, or starts one and returns it and true; the caller that owns it
// must end it with endFlight.
func (ix *Index) joinFlight(hash chainhash.Hash) (*flight, bool) {
	if f := ix.flights[hash]; f != nil {
		f.waiters++
		return f, false
	}
	f := &flight{done: make(chan struct{})}
	ix.flights[hash] = f
	return f, true
}

// endFlight, under the lock, records the outcome of an owned check and
// wakes its waiters.
func (ix *Index) endFlight(hash chainhash.Hash, f *flight, height int32, err error) {
	f.height, f.err = height, err
	delete(ix.flights, hash)
	close(f.done)
}

// errVerifierPanicked is what the waiters of a check whose verifier
// panicked are told.
var errVerifierPanicked = errors.New("the proof-of-work verifier panicked")

// runFlight checks, without the lock, the header of a flight the caller
// owns, and ends the flight under the lock, even if the verifier panics.
func (ix *Index) runFlight(f *flight, c *headerCheck) (err error) {
	err = errVerifierPanicked
	defer func() {
		ix.mu.Lock()
		ix.endFlight(c.hash, f, c.height, err)
		ix.mu.Unlock()
	}()
	err = ix.verifyHeader(c)
	return err
}

// wait waits, without the lock, for another caller's check. It returns
// the height the proof of work was found good at, or -1 and nil if the
// waiter must look again for itself (the refusal was ErrColdBranch, which
// depends on the branch work the caller vouches for), or the error to
// refuse the header with.
func (f *flight) wait() (int32, error) {
	<-f.done
	switch {
	case f.err == nil:
		return f.height, nil
	case errors.Is(f.err, ErrColdBranch):
		return -1, nil
	}
	return -1, f.err
}

// precheckHeader runs, under the lock, what decides a header without its
// proof of work. It returns the check to finish, or a known node or an
// error.
func (ix *Index) precheckHeader(h *wire.BlockHeader, hash chainhash.Hash, claim *big.Int) (*Node, *headerCheck, error) {
	if n := ix.nodes[hash]; n != nil {
		if n.invalid {
			return nil, nil, ruleErrorf(ErrKnownInvalid,
				"header %v is known to be invalid", hash)
		}
		return n, nil, ruleErrorf(ErrDuplicateBlock, "header %v is known", hash)
	}
	parent := ix.nodes[h.PrevBlock]
	if parent == nil {
		return nil, nil, ruleErrorf(ErrUnknownParent,
			"header %v: parent %v is unknown", hash, h.PrevBlock)
	}
	if parent.invalid {
		return nil, nil, ruleErrorf(ErrKnownInvalid,
			"header %v extends invalid %v", hash, h.PrevBlock)
	}
	c, err := ix.checkHeader(parent, h, hash, claim)
	return nil, c, err
}

// insert stores a node; a valid one may become the best header.
func (ix *Index) insert(n *Node) *Node {
	ix.nodes[n.hash] = n
	n.parent.children = append(n.parent.children, n)
	if !n.invalid && better(n, ix.bestHeader) {
		ix.bestHeader = n
	}
	return n
}

// ProcessBlock adds a block: its header (unless known) and its body. A
// block whose parent is unknown goes to the orphan pool, after checks that
// cost at most one hash; when its parent arrives it is processed as if it
// had just come, without checking its proof of work again if it is at the
// height it claimed. The result says how the best chain moved: from the
// tip as it was when this call chose, to the tip it chose.
//
// Errors are RuleErrors except when a collaborator fails (the difficulty
// cannot be computed, the verifier lacks an algorithm). A failed block is
// not stored, except that a header proven invalid by its body (see
// RuleError.MarksHeaderInvalid) is remembered as invalid.
func (ix *Index) ProcessBlock(b *Block) (Result, error) {
	var res Result
	var linked []*Node
	n, err := ix.accept(b, b.BlockHash(), -1, &linked)
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
		ix.mu.Lock()
		children := ix.orphans.takeChildren(parent)
		ix.mu.Unlock()
		for _, o := range children {
			on, err := ix.accept(o.block, o.hash, o.powHeight, &linked)
			if err != nil {
				if res.Rejected == nil {
					res.Rejected = make(map[chainhash.Hash]error)
				}
				res.Rejected[o.hash] = err
				continue
			}
			if on == nil {
				continue // cannot happen: its parent is indexed
			}
			res.Connected = append(res.Connected, on)
			queue = append(queue, on.hash)
		}
	}

	ix.mu.Lock()
	defer ix.mu.Unlock()
	oldBest := ix.best
	for _, c := range linked {
		if c.linked && better(c, ix.best) {
			ix.best = c
		}
	}
	res.Detach, res.Attach = path(oldBest, ix.best)
	return res, nil
}

// accept checks and stores one block; it is called without the lock, and
// takes it for what reads or changes the index. It returns nil and no
// error if the block went to the orphan pool. Blocks that become linked
// (valid, with every ancestor's body) are appended to linked. orphanPow is
// the height the block's own coinbase claimed and its proof of work was
// verified at when it entered the orphan pool, or -1.
func (ix *Index) accept(b *Block, hash chainhash.Hash, orphanPow int32, linked *[]*Node) (*Node, error) {
	verifiedAt := orphanPow // a height the proof of work is known good at
	for {
		ix.mu.Lock()
		n := ix.nodes[hash]
		if n != nil {
			if err := ix.canAttach(n); err != nil {
				ix.mu.Unlock()
				return nil, err
			}
			height := n.height
			ix.mu.Unlock()
			bodyErr := ix.checkBody(b, height)
			ix.mu.Lock()
			n, err := ix.attachBody(n, b, bodyErr, linked)
			ix.mu.Unlock()
			return n, err
		}
		if _, ok := ix.orphans.byHash[hash]; ok {
			ix.mu.Unlock()
			return nil, ruleErrorf(ErrDuplicateBlock,
				"block %v is a known orphan", hash)
		}
		parent := ix.nodes[b.Header.PrevBlock]
		if parent == nil {
			oc, err := ix.checkOrphan(b, hash)
			ix.mu.Unlock()
			if err != nil {
				return nil, err
			}
			if verifiedAt != oc.claimed {
				if err := ix.verifyOrphan(b, hash, oc); err != nil {
					return nil, err
				}
			}
			verifiedAt, orphanPow = oc.claimed, oc.claimed
			ix.mu.Lock()
			if ix.nodes[b.Header.PrevBlock] != nil {
				// The parent came meanwhile: take the block as
				// its child.
				ix.mu.Unlock()
				continue
			}
			if _, ok := ix.orphans.byHash[hash]; ok {
				ix.mu.Unlock()
				return nil, ruleErrorf(ErrDuplicateBlock,
					"block %v is a known orphan", hash)
			}
			ix.orphans.add(b, hash, oc.size, orphanPow)
			ix.mu.Unlock()
			return nil, nil
		}
		if parent.invalid {
			ix.mu.Unlock()
			return nil, ruleErrorf(ErrKnownInvalid,
				"block %v extends invalid %v", hash, parent.hash)
		}
		c, err := ix.checkHeader(parent, &b.Header, hash,
			blockchain.CalcWork(b.Header.Bits))
		if err != nil {
			ix.mu.Unlock()
			return nil, err
		}
		switch {
		case verifiedAt == c.height:
			// Verified at this height already.
			ix.mu.Unlock()
		case orphanPow >= 0:
			// Verified at the height its coinbase claims, which is
			// not this one: a second hash would tell nothing more.
			ix.mu.Unlock()
			return nil, ruleErrorf(ErrBadCoinbaseHeight,
				"coinbase claims height %d, block is at %d",
				orphanPow, c.height)
		default:
			f, own := ix.joinFlight(hash)
			ix.mu.Unlock()
			if !own {
				if verifiedAt, err = f.wait(); err != nil {
					return nil, err
				}
				continue
			}
			if err := ix.runFlight(f, c); err != nil {
				return nil, err
			}
		}
		bodyErr := ix.checkBody(b, c.height)

		ix.mu.Lock()
		defer ix.mu.Unlock()
		if n := ix.nodes[hash]; n != nil {
			// Stored meanwhile, by a header or another copy.
			return ix.attachBody(n, b, bodyErr, linked)
		}
		if parent.invalid {
			return nil, ruleErrorf(ErrKnownInvalid,
				"block %v extends invalid %v", hash, parent.hash)
		}
		n = newNode(&b.Header, hash, parent)
		if bodyErr != nil {
			if marksInvalid(bodyErr) {
				n.invalid = true
				ix.insert(n)
			}
			return nil, bodyErr
		}
		ix.insert(n)
		n.block = b
		ix.link(n, linked)
		return n, nil
	}
}

// canAttach reports, under the lock, why a known header cannot take a
// body: it is invalid or has one.
func (ix *Index) canAttach(n *Node) error {
	if n.invalid {
		return ruleErrorf(ErrKnownInvalid,
			"block %v is known to be invalid", n.hash)
	}
	if n.block != nil {
		return ruleErrorf(ErrDuplicateBlock, "block %v is known", n.hash)
	}
	return nil
}

// attachBody gives a known header the body b, whose check (made without
// the lock) gave bodyErr; under the lock.
func (ix *Index) attachBody(n *Node, b *Block, bodyErr error, linked *[]*Node) (*Node, error) {
	if err := ix.canAttach(n); err != nil {
		return nil, err
	}
	if bodyErr != nil {
		if marksInvalid(bodyErr) {
			ix.markInvalid(n)
		}
		return nil, bodyErr
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

// markInvalid marks n and every descendant invalid and unlinked, and
// finds the best header again if it was among them. (The best linked tip
// is the caller's: only Invalidate can unlink it.)
func (ix *Index) markInvalid(n *Node) {
	stack := []*Node{n}
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		c.invalid = true
		c.linked = false
		stack = append(stack, c.children...)
	}
	if ix.bestHeader.invalid {
		ix.bestHeader = n.parent.Ancestor(0)
		for _, c := range ix.nodes {
			if !c.invalid && better(c, ix.bestHeader) {
				ix.bestHeader = c
			}
		}
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
