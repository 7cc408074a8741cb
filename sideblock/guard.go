package sideblock

import (
	"fmt"
	"math/big"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/notarize"
	"github.com/mainstake/sidenode/store"
)

// Notarizations gives the last notarization that counts (dPoW,
// docs/protocol.md §13), as the store reader of a batch shows it:
// notarize/tracker.Tracker is one. Reading it in the batch makes the guard
// a function of the state the batch sees, from the first batch after a
// start on, with nothing to restore first.
type Notarizations interface {
	LastNotarizationIn(r store.Reader) (*notarize.Notarization, error)
}

// RefusedReorg is a switch of the best chain that the reorg guard refused.
type RefusedReorg struct {
	// Tip is the competing chain's tip, Height its height, Fork the
	// height of the last block it shares with the best chain.
	Tip    chainhash.Hash
	Height int32
	Fork   int32

	// Work is the competing chain's cumulative work under an engine
	// that measures it (pow), nil otherwise.
	Work *big.Int

	// Err is the guard's verdict, a *notarize.RuleError.
	Err error
}

// chainWork is an engine that measures a chain's work: the pow engine.
type chainWork interface {
	ChainWork(hash chainhash.Hash) *big.Int
}

// branchView is the chain fork choice would switch to: the best chain up
// to the fork point, then the branch (attach, target first). It is the
// notarize.Chain the guard sees.
type branchView struct {
	r      store.Reader
	fork   int32
	attach []*record
	err    error
}

// BlockHashAt implements notarize.Chain.
func (v *branchView) BlockHashAt(height int32) (chainhash.Hash, bool) {
	if height < 0 {
		return chainhash.Hash{}, false
	}
	if height > v.fork {
		i := int(v.attach[0].Height - height)
		if i < 0 || i >= len(v.attach) {
			return chainhash.Hash{}, false
		}
		return v.attach[i].Hash, true
	}
	h, ok, err := BestHashAt(v.r, height)
	if err != nil && v.err == nil {
		v.err = err
	}
	return h, ok
}

// guard applies the reorg guard to a switch from the best chain to target's
// branch (attach, target first; fork the hash of the block both share). It
// returns the guard's verdict (nil: the switch may go on), or an error of
// the store.
func (b *batch) guard(attach []*record, fork chainhash.Hash) (refused error, err error) {
	n := b.c.notarizations
	if n == nil || len(attach) == 0 {
		return nil, nil
	}
	last, err := n.LastNotarizationIn(b.w)
	if err != nil || last == nil {
		return nil, err
	}
	forkHeight := attach[len(attach)-1].Height - 1
	view := &branchView{r: b.w, fork: forkHeight, attach: attach}
	verdict := notarize.CheckReorg(forkHeight, b.tip.height, view, last)
	if view.err != nil {
		return nil, view.err
	}
	return verdict, nil
}

// refuse records and logs a switch the guard refused, and takes out of the
// candidate set every block of the branch that the same verdict refuses
// as a target: each one forks at the same point, so a fork point below
// the notarized height refuses them all, and a block other than the
// notarized one at its height refuses those at or above it. A later
// notarization cannot make them acceptable (the guard never moves down
// while the mainchain stands), and a mainchain reorg that takes the
// notarization back undoes this batch, which puts them back. Each block
// taken out is charged to the batch budget (errBudget).
func (b *batch) refuse(attach []*record, verdict error) error {
	target := attach[0]
	forkHeight := attach[len(attach)-1].Height - 1
	ref := RefusedReorg{Tip: target.Hash, Height: target.Height, Fork: forkHeight,
		Err: verdict}
	work := fmt.Sprintf("length %d", target.Height+1)
	if cw, ok := b.c.engine.(chainWork); ok {
		if ref.Work = cw.ChainWork(target.Hash); ref.Work != nil {
			work = "work " + ref.Work.String()
		}
	}
	b.res.Refused = append(b.res.Refused, ref)
	code, _ := notarize.Code(verdict)
	b.warnf("Sidechain reorg refused by the notarization guard (%v): competing "+
		"tip %v at height %d (%s), forking at height %d from tip %v at "+
		"height %d: %v", code, target.Hash, target.Height, work, forkHeight,
		b.tip.hash, b.tip.height, verdict)
	below := notarize.IsErrorCode(verdict, notarize.ErrReorgBelowNotarized)
	var notarized int32
	if !below {
		last, err := b.c.notarizations.LastNotarizationIn(b.w)
		if err != nil {
			return err
		}
		notarized = last.Height
	}
	for _, r := range attach {
		if !below && r.Height < notarized {
			break // attach runs down the heights
		}
		// Each candidate taken out counts against the batch budget,
		// so that a long refused branch spreads over batches: the
		// next one finds the rest of it, refused the same way.
		if err := b.spend(0); err != nil {
			return err
		}
		if err := b.w.Delete(b.candidateKey(r)); err != nil {
			return err
		}
	}
	return nil
}

// BestChainIn is the best chain as r shows it, as a notarize.Chain (the
// notarization tracker's view of the sidechain inside a batch). A read
// error answers false: the block is not known to be there.
func BestChainIn(r store.Reader) notarize.Chain { return bestChainIn{r} }

type bestChainIn struct{ r store.Reader }

func (b bestChainIn) BlockHashAt(height int32) (chainhash.Hash, bool) {
	h, ok, err := BestHashAt(b.r, height)
	if err != nil {
		log.Errorf("Reading the best sidechain at height %d: %v", height, err)
		return chainhash.Hash{}, false
	}
	return h, ok
}
