package mainwatch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

const (
	// pollInterval bounds how long a missed tip notification can delay
	// the follower.
	pollInterval = 5 * time.Second

	// minBackoff and maxBackoff bound the wait after a backend error.
	minBackoff = 250 * time.Millisecond
	maxBackoff = 30 * time.Second

	// progressInterval is how often a long sync logs progress.
	progressInterval = 10 * time.Second
)

// ChainError wraps an error returned by the consumer's Chain. It ends Run:
// the consumer's state could not be read or written, and retrying would
// not help.
type ChainError struct{ Err error }

func (e *ChainError) Error() string { return "mainchain state: " + e.Err.Error() }
func (e *ChainError) Unwrap() error { return e.Err }

// DeepReorgError is a reorg the follower refuses: the source's best chain
// forks from the chain below the chain's undo window, so following it would
// undo blocks one by one until the first one that cannot be undone, and
// leave the state half rolled back. The follower undoes nothing; Run does
// not return it but keeps running without following, reports it in
// Status.Reorg and Status.Err, and checks again at every new tip of the
// source: it follows again once the source's best chain forks within the
// window (the source went back to a branch the chain can reach).
type DeepReorgError struct {
	// Tip is the chain's tip, where its state stays.
	Tip Cursor
	// Best is the source's best block.
	Best Cursor
	// Fork is the height of the last block both chains share.
	Fork int32
	// Window is the chain's undo window.
	Window UndoWindow
}

// Depth is the number of the chain's blocks the reorg would undo.
func (e *DeepReorgError) Depth() int32 { return e.Tip.Height - e.Fork }

func (e *DeepReorgError) Error() string {
	window := fmt.Sprintf("it can undo %d blocks, down to height %d",
		max(e.Tip.Height-e.Window.Floor+1, 0), e.Window.Floor)
	if e.Window.Depth > 0 {
		window += fmt.Sprintf(", with an undo depth of %d", e.Window.Depth)
	}
	msg := fmt.Sprintf("mainchain reorg of %d blocks refused: the backend's "+
		"best chain (tip %v) forks from this node's at height %d, below "+
		"the undo window (%s); nothing was undone, the state stays at "+
		"its tip %v, and the node does not follow the mainchain until "+
		"the backend's best chain forks within the window again",
		e.Depth(), e.Best, e.Fork, window, e.Tip)
	if e.Window.Advice != "" {
		msg += ". " + e.Window.Advice
	}
	return msg
}

// errStale means the backend's chain changed under a catch-up; the follower
// starts its next round from the fork point.
var errStale = errors.New("backend chain changed during catch-up")

// Confirmation reports where a broadcast transaction was mined.
type Confirmation struct {
	Height        int32
	BlockHash     chainhash.Hash
	Confirmations int32
}

// Status is the follower's view of its sync state.
type Status struct {
	Source SourceStatus
	Tip    Cursor
	Synced bool
	Err    string

	// Reorg is the reorg the follower refuses to follow, nil while it
	// follows. Err holds its message then.
	Reorg *DeepReorgError
}

// Follower moves a Chain onto the best chain of a Source and keeps it
// there. Create it with NewFollower and call Run.
type Follower struct {
	src     Source
	chain   Chain
	preview Previewer // nil: previews are not shown
	watch   *WatchList

	mu      sync.Mutex
	tip     Cursor
	synced  bool
	lastErr string
	refused *DeepReorgError
	pending map[chainhash.Hash]*pendingTx

	// checkFork makes the next round search for the fork point even when
	// the chain is behind the source; set at start and after a stale
	// catch-up. Only Run's goroutine uses it.
	checkFork bool
	changed   chan struct{} // closed and replaced when tip or confirmations move
	progress  progressLogger
}

type pendingTx struct {
	tx   *wire.MsgTx
	conf *Confirmation // nil while unconfirmed
}

// NewFollower returns a Follower of src that drives chain and matches watch.
// Previews of blocks go to pv, the chain's previewer, or nowhere when pv is
// nil.
func NewFollower(src Source, chain Chain, watch *WatchList, pv Previewer) *Follower {
	return &Follower{
		src:       src,
		chain:     chain,
		preview:   pv,
		watch:     watch,
		tip:       Cursor{Height: -1},
		pending:   make(map[chainhash.Hash]*pendingTx),
		changed:   make(chan struct{}),
		checkFork: true,
		progress:  progressLogger{name: src.Name()},
	}
}

// WatchList returns the list the follower matches blocks against.
func (f *Follower) WatchList() *WatchList { return f.watch }

// Run follows the source until ctx is done, when it returns ctx's error, or
// until the Chain fails, when it returns a *ChainError. Backend errors are
// logged and retried with backoff.
func (f *Follower) Run(ctx context.Context) error {
	tip, err := f.chain.Tip()
	if err != nil {
		return &ChainError{err}
	}
	f.setTip(tip, false)
	log.Infof("%s: resuming from %v", f.src.Name(), tip)

	backoff := minBackoff
	stale := 0
	for {
		err := f.syncOnce(ctx)
		var (
			chainErr *ChainError
			deep     *DeepReorgError
		)
		if errors.Is(err, errStale) {
			// The backend reorganized under us: start again from the
			// fork point at once, unless it keeps happening.
			f.checkFork = true
			if stale++; stale <= 3 {
				continue
			}
		} else {
			stale = 0
		}
		switch {
		case errors.As(err, &chainErr):
			return err
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.As(err, &deep):
			// Nothing was undone. Check again when the source
			// moves, without backoff: each check is cheap, and a
			// source that went back to our branch is followed at
			// once.
			f.checkFork = true
			f.setRefused(deep)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-f.src.TipChanged():
			case <-time.After(pollInterval):
			}
			continue
		case err != nil:
			f.checkFork = true
			f.setErr(err)
			log.Warnf("%s: %v; retrying in %v", f.src.Name(), err, backoff)
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return ctx.Err()
			}
			backoff = min(backoff*2, maxBackoff)
			continue
		}
		backoff = minBackoff
		f.setErr(nil)
		f.rebroadcast(ctx)

		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-f.src.TipChanged():
		case <-time.After(pollInterval):
		}
	}
}

// syncOnce brings the chain to the source's current best block.
func (f *Follower) syncOnce(ctx context.Context) error {
	best, err := f.src.Best(ctx)
	if err != nil {
		return fmt.Errorf("best block: %w", err)
	}
	tip, err := f.chain.Tip()
	if err != nil {
		return &ChainError{err}
	}
	if tip == best {
		f.setTip(tip, true)
		return nil
	}

	// A chain behind the source normally just extends: skip the fork
	// search, whose getblockhash costs a round trip per block, and let the
	// linkage check in connect catch a fork (errStale), after which the
	// next round searches.
	fork := tip.Height
	if f.checkFork || best.Height <= tip.Height {
		if fork, err = f.forkPoint(ctx, tip, best); err != nil {
			return err
		}
		f.checkFork = false
	}
	if fork < tip.Height {
		// Refuse a reorg deeper than the chain can undo before
		// undoing anything.
		win, err := f.chain.UndoWindow()
		if err != nil {
			return &ChainError{fmt.Errorf("undo window: %w", err)}
		}
		if fork+1 < win.Floor {
			return &DeepReorgError{Tip: tip, Best: best, Fork: fork, Window: win}
		}
	}
	for tip.Height > fork {
		if tip, err = f.disconnect(ctx, tip); err != nil {
			return err
		}
	}
	f.setTip(tip, best.Height <= tip.Height)
	if best.Height <= tip.Height {
		return nil
	}

	f.progress.start(tip.Height, best.Height)
	err = f.src.Blocks(ctx, tip.Height+1, best.Height, f.watch, func(b *Block) error {
		return f.connect(ctx, b)
	})
	if err != nil {
		return err
	}
	// Synced if the source has not moved on meanwhile; if it has, the
	// next round catches up.
	f.mu.Lock()
	tip = f.tip
	f.mu.Unlock()
	f.setTip(tip, tip == best)
	return nil
}

// forkSteps is how many heights forkPoint compares one by one, from the
// top, before it bisects: most reorgs are a block or two deep.
const forkSteps = 8

// forkPoint returns the height of the last block the chain shares with the
// source's best chain. It compares the top forkSteps heights one by one,
// then bisects: two chains that share a block share every block below it,
// since each block commits to its parent. A reorg of any depth costs
// O(log height) round trips, so the depth is known before anything is
// undone.
func (f *Follower) forkPoint(ctx context.Context, tip, best Cursor) (int32, error) {
	same := func(h int32) (bool, error) {
		ours, err := f.chain.HashAt(h)
		if err != nil {
			return false, &ChainError{fmt.Errorf("hash at %d: %w", h, err)}
		}
		theirs, err := f.src.HashAt(ctx, h)
		if err != nil {
			return false, fmt.Errorf("hash at %d: %w", h, err)
		}
		return ours == theirs, nil
	}
	top := min(tip.Height, best.Height)
	h := top
	for ; h >= 0 && h > top-forkSteps; h-- {
		ok, err := same(h)
		if err != nil {
			return 0, err
		}
		if ok {
			return h, nil
		}
	}
	if h >= 0 {
		// The fork is at or below h, and h+1 differs: bisect, with
		// lo shared and hi not.
		ok, err := same(0)
		if err != nil {
			return 0, err
		}
		if ok {
			lo, hi := int32(0), h+1
			for hi-lo > 1 {
				mid := lo + (hi-lo)/2
				if ok, err = same(mid); err != nil {
					return 0, err
				}
				if ok {
					lo = mid
				} else {
					hi = mid
				}
			}
			return lo, nil
		}
	}
	if tip.Height >= 0 {
		// Not even genesis matches: this chain belongs to another network.
		ours, _ := f.chain.HashAt(0)
		theirs, _ := f.src.HashAt(ctx, 0)
		return 0, &ChainError{fmt.Errorf("genesis %v of the stored chain "+
			"differs from the backend's %v: wrong network", ours, theirs)}
	}
	return -1, nil
}

// disconnect undoes the chain's tip block and returns the new tip.
func (f *Follower) disconnect(ctx context.Context, tip Cursor) (Cursor, error) {
	if err := f.chain.DisconnectBlock(ctx, tip); err != nil {
		return tip, &ChainError{fmt.Errorf("disconnect %v: %w", tip, err)}
	}
	log.Infof("%s: disconnected block %v", f.src.Name(), tip)
	newTip, err := f.chain.Tip()
	if err != nil {
		return tip, &ChainError{err}
	}

	f.mu.Lock()
	for _, p := range f.pending {
		if p.conf != nil && p.conf.Height >= tip.Height {
			p.conf = nil
		}
	}
	f.tip = newTip
	f.synced = false
	f.notifyLocked()
	f.mu.Unlock()
	return newTip, nil
}

func (f *Follower) connect(ctx context.Context, b *Block) error {
	f.mu.Lock()
	prev := f.tip
	f.mu.Unlock()
	if prev.Height >= 0 && (b.Header.PrevBlock != prev.Hash || b.Height != prev.Height+1) {
		return errStale
	}
	if b.Preview {
		if f.preview != nil {
			if err := f.preview.PreviewBlock(ctx, b); err != nil {
				return &ChainError{fmt.Errorf("preview %v: %w", b.Cursor(), err)}
			}
		}
		return nil
	}
	if err := f.chain.ConnectBlock(ctx, b); err != nil {
		return &ChainError{fmt.Errorf("connect %v: %w", b.Cursor(), err)}
	}

	f.mu.Lock()
	for _, txid := range b.Seen {
		if p, ok := f.pending[txid]; ok {
			p.conf = &Confirmation{Height: b.Height, BlockHash: b.Hash}
		}
	}
	f.tip = b.Cursor()
	f.notifyLocked()
	f.mu.Unlock()

	f.progress.block(b.Height, b.Hash, len(b.Txs))
	return nil
}

func (f *Follower) setTip(tip Cursor, synced bool) {
	f.mu.Lock()
	if synced && !f.synced {
		log.Infof("%s: synced to mainchain tip %v", f.src.Name(), tip)
	}
	f.tip = tip
	f.synced = synced
	f.notifyLocked()
	f.mu.Unlock()
}

// setRefused records a refused reorg, logged as an error when it is new:
// the first one, or one to another best block of the source.
func (f *Follower) setRefused(e *DeepReorgError) {
	f.mu.Lock()
	prev := f.refused
	f.refused = e
	f.lastErr = e.Error()
	f.synced = false
	f.tip = e.Tip
	f.notifyLocked()
	f.mu.Unlock()
	if prev == nil || prev.Best != e.Best || prev.Tip != e.Tip {
		log.Errorf("%s: %v", f.src.Name(), e)
	} else {
		log.Debugf("%s: still refusing the reorg to %v", f.src.Name(), e.Best)
	}
}

func (f *Follower) setErr(err error) {
	f.mu.Lock()
	if f.refused != nil && err == nil {
		log.Infof("%s: following the mainchain again: the backend's best "+
			"chain forks within the undo window", f.src.Name())
	}
	f.refused = nil
	if err == nil {
		f.lastErr = ""
	} else {
		f.lastErr = err.Error()
		f.synced = false
	}
	f.mu.Unlock()
}

func (f *Follower) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// Tip returns the last block the follower connected.
func (f *Follower) Tip() Cursor {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tip
}

// Status reports the follower's and the source's sync state.
func (f *Follower) Status() Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return Status{
		Source: f.src.Status(),
		Tip:    f.tip,
		Synced: f.synced,
		Err:    f.lastErr,
		Reorg:  f.refused,
	}
}

// WaitHeight blocks until the follower's tip reaches height or ctx is done.
func (f *Follower) WaitHeight(ctx context.Context, height int32) (Cursor, error) {
	for {
		f.mu.Lock()
		tip, ch := f.tip, f.changed
		f.mu.Unlock()
		if tip.Height >= height {
			return tip, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return tip, ctx.Err()
		}
	}
}

// Broadcast sends tx to the mainchain network and tracks it until
// Forget: its confirmation is reported by Confirmed, and it is sent again
// after every new block while it is unconfirmed. The returned error is the
// backend's verdict on the first send; for a light client it may be nil for
// a transaction a peer later rejects.
func (f *Follower) Broadcast(ctx context.Context, tx *wire.MsgTx) error {
	f.watch.addTx(tx)
	f.mu.Lock()
	f.pending[tx.TxHash()] = &pendingTx{tx: tx}
	f.mu.Unlock()
	if err := f.src.SendTx(ctx, tx); err != nil {
		f.Forget(tx.TxHash())
		return err
	}
	return nil
}

// Forget stops tracking a broadcast transaction.
func (f *Follower) Forget(txid chainhash.Hash) {
	f.watch.removeTx(txid)
	f.mu.Lock()
	delete(f.pending, txid)
	f.mu.Unlock()
}

// Confirmed waits until the broadcast transaction txid has numConfs
// confirmations on the followed chain, or ctx is done.
func (f *Follower) Confirmed(ctx context.Context, txid chainhash.Hash, numConfs int32) (*Confirmation, error) {
	for {
		f.mu.Lock()
		p, ok := f.pending[txid]
		var conf *Confirmation
		if ok && p.conf != nil && f.tip.Height-p.conf.Height+1 >= numConfs {
			c := *p.conf
			c.Confirmations = f.tip.Height - p.conf.Height + 1
			conf = &c
		}
		ch := f.changed
		f.mu.Unlock()
		if !ok {
			return nil, fmt.Errorf("transaction %v is not tracked", txid)
		}
		if conf != nil {
			return conf, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// rebroadcast sends the tracked unconfirmed transactions again.
func (f *Follower) rebroadcast(ctx context.Context) {
	f.mu.Lock()
	var txs []*wire.MsgTx
	for _, p := range f.pending {
		if p.conf == nil {
			txs = append(txs, p.tx)
		}
	}
	f.mu.Unlock()
	for _, tx := range txs {
		if err := f.src.SendTx(ctx, tx); err != nil {
			log.Debugf("%s: rebroadcast %v: %v", f.src.Name(), tx.TxHash(), err)
		}
	}
}
