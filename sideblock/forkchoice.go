package sideblock

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/store"
)

// batch is the chain state's work inside one mainchain block's store
// batch. Everything it writes goes through w, so the store's undo record of
// the mainchain block covers it.
type batch struct {
	c          *Chain
	w          *store.Writer
	view       *storeView
	mainHeight int32
	res        *Result

	start tipState // the tip before the batch
	tip   tipState // the tip now

	bodyBytes int // connected and disconnected in this batch
	blocks    int

	// logs are the batch's log lines, written when it commits
	// (Chain.Committed): a batch that fails logs nothing, and the lines
	// cost nothing before the node's own header goes out.
	logs []func()
}

func (b *batch) infof(format string, args ...any) {
	b.logs = append(b.logs, func() { log.Infof(format, args...) })
}

func (b *batch) warnf(format string, args ...any) {
	b.logs = append(b.logs, func() { log.Warnf(format, args...) })
}

// errBudget stops fork choice at MaxBatchBodyBytes or MaxBatchBlocks.
var errBudget = errors.New("sideblock: batch budget reached")

// Batch bounds; tests lower them.
var (
	maxBatchBodyBytes = MaxBatchBodyBytes
	maxBatchBlocks    = MaxBatchBlocks
)

func newBatch(c *Chain, w *store.Writer, mainHeight int32) (*batch, error) {
	tip, err := readTip(w)
	if err != nil {
		return nil, err
	}
	return &batch{
		c:          c,
		w:          w,
		view:       &storeView{r: w, w: w},
		mainHeight: mainHeight,
		res:        &Result{MainHeight: mainHeight},
		start:      tip,
		tip:        tip,
	}, nil
}

func (b *batch) getRecord(h chainhash.Hash) (*record, bool, error) {
	return getRecord(b.w, h)
}

func (b *batch) mustRecord(h chainhash.Hash) (*record, error) {
	r, ok, err := getRecord(b.w, h)
	if err == nil && !ok {
		err = fmt.Errorf("sideblock: index has no record of %v", h)
	}
	return r, err
}

// putRecord writes a new index entry: both parts.
func (b *batch) putRecord(r *record) error {
	if err := b.w.Set(recordKey(r.Hash), r.encodeHeader()); err != nil {
		return err
	}
	return b.putProgress(r)
}

// putProgress writes what changes of an entry after its publication: the
// local part only (the header and its publication never change).
func (b *batch) putProgress(r *record) error {
	return b.w.Set(progressKey(r.Hash), r.encodeProgress())
}

func (b *batch) candidateKey(r *record) []byte {
	k := append([]byte(nil), keyCandidatePrefix...)
	k = append(k, b.c.engine.ForkChoiceKey(&r.BlockInfo)...)
	return append(k, r.Hash[:]...)
}

func (b *batch) children(h chainhash.Hash) ([]chainhash.Hash, error) {
	var out []chainhash.Hash
	prefix := hashKey(keyChildPrefix, h)
	err := b.w.Iterate(prefix, func(k, _ []byte) error {
		var c chainhash.Hash
		copy(c[:], k[len(prefix):])
		out = append(out, c)
		return nil
	})
	return out, err
}

// parentConnectable reports whether a header's parent is connectable (the
// zero hash always is).
func (b *batch) parentConnectable(r *record) (bool, error) {
	if r.PrevBlock == (chainhash.Hash{}) {
		return true, nil
	}
	p, err := b.mustRecord(r.PrevBlock)
	if err != nil {
		return false, err
	}
	return p.Connectable, nil
}

// publish adds a publication to the index.
func (b *batch) publish(pub *mainstake.Publication) error {
	hdr := Header{PrevBlock: pub.Header.PrevBlock, MerkleRoot: pub.Header.MerkleRoot}
	hash := hdr.BlockHash()
	if _, ok, err := b.getRecord(hash); err != nil || ok {
		if ok {
			b.res.Ignored = ruleErrorf(ErrDuplicatePublication,
				"block %v (tx %v) is already published", hash, pub.TxID)
			b.infof("Publication of sideblock %v in mainchain block %d "+
				"ignored: already published", hash, b.mainHeight)
		}
		return err
	}

	r := &record{}
	r.Hash = hash
	r.PrevBlock = hdr.PrevBlock
	r.MerkleRoot = hdr.MerkleRoot
	r.LotteryHeight = b.c.engine.ProductionHeight(b.mainHeight)
	r.PubHeight = b.mainHeight
	r.PubTxID = pub.TxID
	parentBad := false
	if hdr.PrevBlock != (chainhash.Hash{}) {
		p, ok, err := b.getRecord(hdr.PrevBlock)
		if err != nil {
			return err
		}
		if !ok {
			b.res.Ignored = ruleErrorf(ErrUnknownParent, "block %v "+
				"(tx %v) extends %v, which is not published",
				hash, pub.TxID, hdr.PrevBlock)
			b.infof("Publication of sideblock %v in mainchain block %d "+
				"ignored: unknown parent %v", hash, b.mainHeight,
				hdr.PrevBlock)
			return nil
		}
		r.Height = p.Height + 1
		parentBad = p.Status.Invalid()
		if err := b.w.Set(childKey(p.Hash, hash), []byte{}); err != nil {
			return err
		}
	}

	var usable bool
	switch {
	case parentBad:
		r.Status = StatusInvalidAncestor
		b.res.Invalidated = append(b.res.Invalidated, hash)
	default:
		_, has, err := loadStaged(b.w, hash)
		if err != nil {
			return err
		}
		if has {
			r.Status = StatusBodyStaged
			usable = true
		} else {
			r.Status = StatusBodyMissing
			if err := b.w.Set(missingKey(hash), []byte{}); err != nil {
				return err
			}
		}
	}
	if err := b.putRecord(r); err != nil {
		return err
	}
	b.res.Published = &hash
	b.infof("Sideblock %v published in mainchain block %d (height %d, "+
		"lottery height %d, %v)", hash, b.mainHeight, r.Height,
		r.LotteryHeight, r.Status)
	if !usable {
		return nil
	}
	ok, err := b.parentConnectable(r)
	if err != nil || !ok {
		return err
	}
	return b.markConnectable(r)
}

// bodyArrived looks at a header whose body may have been staged since the
// index said it was missing.
func (b *batch) bodyArrived(h chainhash.Hash) error {
	r, ok, err := b.getRecord(h)
	if err != nil || !ok || r.Status != StatusBodyMissing {
		return err
	}
	s, has, err := loadStaged(b.w, h)
	if err != nil || !has || s.digest() == r.badBody {
		return err
	}
	r.Status = StatusBodyStaged
	if err := b.w.Delete(missingKey(h)); err != nil {
		return err
	}
	if err := b.putProgress(r); err != nil {
		return err
	}
	log.Debugf("Body of sideblock %v is staged", h)
	ok, err = b.parentConnectable(r)
	if err != nil || !ok {
		return err
	}
	return b.markConnectable(r)
}

// markConnectable marks a header whose parent is connectable, and every
// descendant that has become connectable with it, as candidates. O(size of
// the subtree that becomes connectable).
func (b *batch) markConnectable(root *record) error {
	stack := []*record{root}
	for len(stack) > 0 {
		r := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if r.Connectable || !r.Status.hasBody() {
			continue
		}
		r.Connectable = true
		if err := b.putProgress(r); err != nil {
			return err
		}
		if err := b.w.Set(b.candidateKey(r), []byte{}); err != nil {
			return err
		}
		kids, err := b.children(r.Hash)
		if err != nil {
			return err
		}
		for _, k := range kids {
			kr, err := b.mustRecord(k)
			if err != nil {
				return err
			}
			stack = append(stack, kr)
		}
	}
	return nil
}

// unmarkConnectable removes a header and its connectable descendants from
// the candidates.
func (b *batch) unmarkConnectable(root *record) error {
	stack := []*record{root}
	for len(stack) > 0 {
		r := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if !r.Connectable {
			continue
		}
		r.Connectable = false
		if err := b.putProgress(r); err != nil {
			return err
		}
		if err := b.w.Delete(b.candidateKey(r)); err != nil {
			return err
		}
		kids, err := b.children(r.Hash)
		if err != nil {
			return err
		}
		for _, k := range kids {
			kr, err := b.mustRecord(k)
			if err != nil {
				return err
			}
			stack = append(stack, kr)
		}
	}
	return nil
}

// invalidate marks a header invalid and its descendants as having an
// invalid ancestor, and removes them from the candidates and the missing
// set. O(size of the subtree).
func (b *batch) invalidate(root *record) error {
	root.Status = StatusInvalid
	stack := []*record{root}
	for len(stack) > 0 {
		r := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if r.Connectable {
			if err := b.w.Delete(b.candidateKey(r)); err != nil {
				return err
			}
			r.Connectable = false
		}
		if err := b.w.Delete(missingKey(r.Hash)); err != nil {
			return err
		}
		if r != root {
			r.Status = StatusInvalidAncestor
		}
		if err := b.putProgress(r); err != nil {
			return err
		}
		b.res.Invalidated = append(b.res.Invalidated, r.Hash)
		kids, err := b.children(r.Hash)
		if err != nil {
			return err
		}
		for _, k := range kids {
			kr, err := b.mustRecord(k)
			if err != nil {
				return err
			}
			if kr.Status != StatusInvalidAncestor {
				stack = append(stack, kr)
			}
		}
	}
	return nil
}

// dropBody handles a staged copy that failed a check that does not condemn
// the header: the header goes back to missing its body, with the copy's
// digest remembered so that the same copy is not tried again, and leaves
// the candidates with its descendants.
func (b *batch) dropBody(r *record, digest [32]byte) error {
	r.Status = StatusBodyMissing
	r.badBody = digest
	if err := b.w.Set(missingKey(r.Hash), []byte{}); err != nil {
		return err
	}
	if err := b.putProgress(r); err != nil {
		return err
	}
	b.res.DroppedBodies = append(b.res.DroppedBodies, r.Hash)
	if !r.Connectable {
		return nil
	}
	return b.unmarkConnectable(r)
}

// bestCandidate returns the first candidate in fork-choice order.
func (b *batch) bestCandidate() (chainhash.Hash, bool, error) {
	var (
		best  chainhash.Hash
		found bool
	)
	err := b.w.Iterate(keyCandidatePrefix, func(k, _ []byte) error {
		copy(best[:], k[len(k)-chainhash.HashSize:])
		found = true
		return store.ErrStopIteration
	})
	return best, found, err
}

// forkChoice moves the best chain to the best candidate, and again to the
// next best after a block of the way fails, until the tip is the best
// candidate or the batch budget is spent. Every failure removes at least
// one candidate for good, so the loop ends.
func (b *batch) forkChoice() error {
	for {
		best, ok, err := b.bestCandidate()
		if err != nil {
			return err
		}
		if !ok {
			// Connected blocks stay candidates, so only an empty
			// chain has none.
			if b.tip.height >= 0 {
				return fmt.Errorf("sideblock: tip %v is not a "+
					"candidate", b.tip.hash)
			}
			return nil
		}
		if best == b.tip.hash {
			return nil
		}
		attach, fork, err := b.branch(best)
		if err != nil {
			return err
		}
		refused, err := b.guard(attach, fork)
		if err != nil {
			return err
		}
		if refused != nil {
			// The branch leaves the candidates: the loop goes on
			// with the next best.
			err = b.refuse(attach, refused)
		} else {
			err = b.reorgTo(attach, fork)
		}
		if errors.Is(err, errBudget) {
			b.res.Deferred = true
			b.infof("Sidechain fork choice deferred to the next "+
				"mainchain block at tip %v (height %d): %d blocks, "+
				"%d body bytes done", b.tip.hash, b.tip.height,
				b.blocks, b.bodyBytes)
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// spend charges the batch budget before a block is connected or
// disconnected. At least one block always goes through.
func (b *batch) spend(bodyBytes int) error {
	if b.blocks > 0 && (b.blocks >= maxBatchBlocks || b.bodyBytes >= maxBatchBodyBytes) {
		return errBudget
	}
	b.blocks++
	b.bodyBytes += bodyBytes
	return nil
}

// branch returns target's branch off the best chain, target first, and
// the fork point: the last block of the best chain it descends from (the
// zero hash when it shares none). O(length of the branch).
func (b *batch) branch(target chainhash.Hash) (attach []*record, fork chainhash.Hash, err error) {
	fork = target
	for fork != (chainhash.Hash{}) {
		r, err := b.mustRecord(fork)
		if err != nil {
			return nil, fork, err
		}
		if r.OnBestChain {
			break
		}
		attach = append(attach, r)
		fork = r.PrevBlock
	}
	return attach, fork, nil
}

// reorgTo disconnects the best chain down to the fork point and connects
// the branch attach (target first) up to its target. A block that fails
// stops it with a nil error: the caller picks the next candidate.
// O(length of both branches above the fork point).
func (b *batch) reorgTo(attach []*record, fork chainhash.Hash) error {
	for b.tip.hash != fork {
		if b.tip.height < 0 {
			return fmt.Errorf("sideblock: fork point %v is not on "+
				"the best chain", fork)
		}
		if err := b.disconnectTip(); err != nil {
			return err
		}
	}
	for i := len(attach) - 1; i >= 0; i-- {
		failed, err := b.connect(attach[i])
		if err != nil || failed {
			return err
		}
	}
	return nil
}

// connect connects one block on the tip. failed reports a block that
// broke a rule; the index has been updated for it.
func (b *batch) connect(r *record) (failed bool, err error) {
	start := time.Now()
	validate := r.Status != StatusValid
	s, has, err := loadStaged(b.w, r.Hash)
	if err != nil {
		return false, err
	}
	if !has {
		// Pruned, or never there after an undone mainchain block:
		// missing again.
		b.warnf("Body of sideblock %v is gone; asking peers again", r.Hash)
		return true, b.dropBody(r, r.badBody)
	}
	if err := b.spend(len(s.body)); err != nil {
		return false, err
	}
	digest := s.digest()
	block, ruleErr := s.block()
	if ruleErr == nil && validate {
		ruleErr = CheckBlockSanity(block, b.c.params)
		if ruleErr == nil {
			var due []Deposit
			due, err = DueDeposits(b.w, b.c.deposits, b.tip.minted, b.c.mintHeight(&r.BlockInfo))
			if err != nil {
				return false, err
			}
			ruleErr = CheckMint(block, due)
		}
		if ruleErr == nil {
			_, _, ruleErr = CheckConnectBlock(block, r.LotteryHeight,
				b.view, b.c.params)
			if b.view.err != nil {
				return false, b.view.err
			}
		}
	}
	if ruleErr != nil {
		code, ok := ErrorCodeOf(ruleErr)
		if !ok {
			return false, ruleErr
		}
		if code.MarksHeaderInvalid() {
			b.infof("Sideblock %v is invalid: %v", r.Hash, ruleErr)
			b.res.noteInvalid(r.Hash, ruleErr)
			return true, b.invalidate(r)
		}
		b.infof("Staged copy of sideblock %v dropped: %v", r.Hash, ruleErr)
		return true, b.dropBody(r, digest)
	}

	spent, err := ApplyBlock(b.view, block)
	if b.view.err != nil {
		return false, b.view.err
	}
	if err != nil {
		return false, fmt.Errorf("sideblock: applying valid block %v: %w",
			r.Hash, err)
	}
	if err := b.w.Set(spentKey(r.Hash), encodeSpent(spent)); err != nil {
		return false, err
	}
	if err := indexConnected(b.w, r.Hash, block, spent); err != nil {
		return false, err
	}
	if err := b.w.Set(bestKey(r.Height), r.Hash[:]); err != nil {
		return false, err
	}
	if len(BlockWithdrawals(block.Transactions)) > 0 {
		if err := b.w.Set(withdrawKey(r.Height), r.Hash[:]); err != nil {
			return false, err
		}
	}
	r.Status = StatusValid
	r.OnBestChain = true
	if err := b.putProgress(r); err != nil {
		return false, err
	}
	b.tip = tipState{hash: r.Hash, height: r.Height, lotteryHeight: r.LotteryHeight,
		minted: b.tip.minted + mintedBy(block)}
	if err := b.w.Set(keyTip, b.tip.encode()); err != nil {
		return false, err
	}
	if fn := b.c.validated; fn != nil && validate {
		fn(time.Since(start))
	}
	log.Debugf("Connected sideblock %v at height %d (lottery height %d, "+
		"%d transactions)", r.Hash, r.Height, r.LotteryHeight,
		len(block.Transactions))
	return false, nil
}

// disconnectTip takes the tip block off the best chain with its stored
// undo data.
func (b *batch) disconnectTip() error {
	r, err := b.mustRecord(b.tip.hash)
	if err != nil {
		return err
	}
	s, has, err := loadStaged(b.w, r.Hash)
	if err != nil {
		return err
	}
	if !has {
		return fmt.Errorf("sideblock: body of best-chain block %v is "+
			"not stored; cannot disconnect it", r.Hash)
	}
	if err := b.spend(len(s.body)); err != nil {
		return err
	}
	block, err := s.block()
	if err != nil {
		return fmt.Errorf("sideblock: body of best-chain block %v: %w",
			r.Hash, err)
	}
	raw, err := b.w.Get(spentKey(r.Hash))
	if err != nil {
		return fmt.Errorf("sideblock: undo data of %v: %w", r.Hash, err)
	}
	spent, err := decodeSpent(raw)
	if err != nil {
		return err
	}
	if err := UndoBlock(b.view, block, spent); err != nil {
		return fmt.Errorf("sideblock: undoing %v: %w", r.Hash, err)
	}
	if b.view.err != nil {
		return b.view.err
	}
	if err := indexDisconnected(b.w, block, spent); err != nil {
		return err
	}
	for _, k := range [][]byte{spentKey(r.Hash), bestKey(r.Height), withdrawKey(r.Height)} {
		if err := b.w.Delete(k); err != nil {
			return err
		}
	}
	r.OnBestChain = false
	if err := b.putProgress(r); err != nil {
		return err
	}

	if r.PrevBlock == (chainhash.Hash{}) {
		b.tip = emptyTip
		if err := b.w.Delete(keyTip); err != nil {
			return err
		}
	} else {
		p, err := b.mustRecord(r.PrevBlock)
		if err != nil {
			return err
		}
		b.tip = tipState{hash: p.Hash, height: p.Height, lotteryHeight: p.LotteryHeight,
			minted: b.tip.minted - mintedBy(block)}
		if err := b.w.Set(keyTip, b.tip.encode()); err != nil {
			return err
		}
	}
	log.Debugf("Disconnected sideblock %v at height %d", r.Hash, r.Height)
	return nil
}

// finish fills in the net change of the best chain: from the tip before
// the batch back to the first block still on the best chain (the fork
// point), and from the tip now back to it.
func (b *batch) finish() error {
	fork := b.start.hash
	for fork != (chainhash.Hash{}) {
		r, err := b.mustRecord(fork)
		if err != nil {
			return err
		}
		if r.OnBestChain {
			break
		}
		b.res.Disconnected = append(b.res.Disconnected, fork)
		fork = r.PrevBlock
	}
	var connected []chainhash.Hash
	for h := b.tip.hash; h != fork; {
		r, err := b.mustRecord(h)
		if err != nil {
			return err
		}
		connected = append(connected, h)
		h = r.PrevBlock
	}
	for i := len(connected) - 1; i >= 0; i-- {
		b.res.Connected = append(b.res.Connected, connected[i])
	}
	b.res.NewTip = b.tip.hash
	b.res.TipHeight = b.tip.height
	if len(b.res.Disconnected) > 0 || len(b.res.Connected) > 0 {
		b.infof("Sidechain tip %v at height %d after mainchain block "+
			"%d (%d connected, %d disconnected)", b.tip.hash,
			b.tip.height, b.mainHeight, len(b.res.Connected),
			len(b.res.Disconnected))
	}
	return nil
}

// sortedHashes returns a map's keys in byte order, so that a batch does
// the same work in the same order on every run.
func sortedHashes(m map[chainhash.Hash]uint64) []chainhash.Hash {
	out := make([]chainhash.Hash, 0, len(m))
	for h := range m {
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool {
		return bytes.Compare(out[i][:], out[j][:]) < 0
	})
	return out
}
