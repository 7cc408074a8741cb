package node

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/alarms"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/federation"
	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/metrics"
	"github.com/mainstake/sidenode/p2p"
	"github.com/mainstake/sidenode/pegbox"
	"github.com/mainstake/sidenode/pow/powchain"
	"github.com/mainstake/sidenode/producer"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// protocol runs the ticket index, the pegbox index and the sidechain in the
// mainchain block batches, and hands the draws to the producer and the
// blocks to the federation's rounds. It is the node's blockConnector for
// the protocol.
type protocol struct {
	params *chainparams.Params
	db     *store.DB
	index  *mainstake.Index
	pegbox *pegbox.Index
	audit  *pegbox.Auditor // verdicts on pegbox spends, refreshed after each block
	chain  *sideblock.Chain
	pool   *sideblock.Mempool

	// pow is the pow engine's front door and header index; nil under
	// mainstake. Under pow the ticket index still follows the
	// mainchain, but its draws and publications order nothing.
	pow *powchain.Chain

	// producer is this node's production and its slots. Set after
	// construction, before the follower runs, like the fields below.
	producer *producer.Producer
	peers    *p2p.Server
	fed      *federation.Signer // the pegbox federation's signing rounds
	metrics  *metrics.Metrics   // nil without --prometheus.listen
	alarms   *alarms.Monitor    // nil until set; evaluates after each block

	// last holds what the batch in flight did, for Committed.
	last *blockWork

	// previewStake and previewSide say how far the preview's batch went,
	// for ForgetPreview.
	previewStake, previewSide bool

	// undoFrom is the best sidechain before a mainchain undo, tip first.
	undoFrom []chainhash.Hash

	// refusedReorgs counts the sidechain reorgs the notarization guard
	// refused since the node started (sideblock.Result.Refused).
	refusedReorgs atomic.Uint64
}

// blockWork is what one mainchain block did.
type blockWork struct {
	block *mainwatch.Block
	stake *mainstake.BlockResult
	side  *sideblock.Result
	peg   *pegbox.BlockResult
	made  *producer.Production // this node's sideblock for the draw after the block
}

func newProtocol(params *chainparams.Params, db *store.DB, index *mainstake.Index,
	peg *pegbox.Index, mineFull bool) (*protocol, error) {

	var (
		chain *sideblock.Chain
		pc    *powchain.Chain
		err   error
	)
	switch params.Engine {
	case chainparams.PoW:
		pc, err = powchain.New(powchain.Config{Params: params, DB: db,
			MiningRandomXFull: mineFull})
		if err != nil {
			return nil, err
		}
		chain = pc.Side()
	default:
		// The engine reads the tickets' weights for the peg's
		// elections.
		chain, err = sideblock.NewChainWithEngine(db, params,
			sideblock.MainstakeEngine{Weights: index})
		if err != nil {
			return nil, err
		}
	}
	chain.SetDeposits(peg.MintSource())
	var poolCfg sideblock.MempoolConfig
	if pc != nil {
		// New transactions may make a better template.
		poolCfg.Added = func(*wire.MsgTx) { pc.MempoolGrew() }
	}
	pool := sideblock.NewMempool(chain, params, poolCfg)
	return &protocol{
		params: params,
		db:     db,
		index:  index,
		pegbox: peg,
		audit:  pegbox.NewAuditor(peg, pegbox.BestSidechain(chain)),
		chain:  chain,
		pool:   pool,
		pow:    pc,
		// A producer without a wallet produces nothing; Run gives the
		// protocol the node's own.
		producer: producer.New(producer.Env{Params: params, Chain: chain, Mempool: pool}),
	}, nil
}

// ConnectBlock implements blockConnector: the block's stake changes, the
// pegbox's (which elect a federation from the weights after the stake
// changes), its publication and the sidechain's fork choice, in the block's
// batch.
func (p *protocol) ConnectBlock(w *store.Writer, b *mainwatch.Block) error {
	work, err := p.connect(w, b, false)
	if err != nil {
		return err
	}
	p.last = work
	return nil
}

// PreviewBlock implements previewer. It runs the block's batch on the
// preview as far as production needs: when the draw after the block goes
// to one of this node's tickets, it builds the sideblock, and signs and
// broadcasts its header, from the preview, while getblock is still on its
// way. ConnectBlock of the block itself then takes that production instead
// of building another.
//
// The production is the one the block would give: the batch is a function
// of the block's matched transactions, and the mainchain backend previews
// only blocks for which its filter delivered all of them. ConnectBlock
// checks that the block matches the same transactions, and warns if not.
func (p *protocol) PreviewBlock(w *store.Writer, b *mainwatch.Block) error {
	p.producer.Previewed(b, nil)
	if !p.producer.Enabled() {
		return nil // it produces nothing
	}
	p.previewStake = true
	work, err := p.connect(w, b, true)
	if err != nil || work == nil || work.made == nil {
		return err
	}
	p.producer.Previewed(b, work.made)
	return nil
}

// ForgetPreview implements previewer: it drops what the preview's batch
// left in memory, as for a batch that failed, and keeps the production.
func (p *protocol) ForgetPreview(height int32) error {
	stake, side := p.previewStake, p.previewSide
	p.previewStake, p.previewSide = false, false
	if side {
		if err := p.chain.DisconnectMainBlock(height); err != nil {
			return err
		}
	}
	if stake {
		return p.index.DisconnectBlock(height)
	}
	return nil
}

// observeValidation hands the time a sideblock's validation took to the
// metrics, but not in a preview's batch (previewStake is set from its
// start to ForgetPreview), whose work the block's own batch does again.
func (p *protocol) observeValidation(d time.Duration) {
	if !p.previewStake {
		p.metrics.ObserveValidation(d)
	}
}

// connect runs the block in the batch w and produces when the draw after
// it goes to this node. A preview stops after the draw unless this node
// won it; a block takes the production of its preview.
func (p *protocol) connect(w *store.Writer, b *mainwatch.Block, preview bool) (*blockWork, error) {
	stake, err := p.index.ConnectBlock(w, b)
	if err != nil {
		return nil, err
	}
	wn, pub := stake.Winner, stake.Publication
	if p.pow != nil {
		// Under pow nobody is drawn and nothing is published: miners
		// bring the sideblocks (AcceptBlock), and the batch admits
		// those whose main reference it now sees.
		wn, pub = nil, nil
	}
	if preview {
		if wn == nil {
			return nil, nil
		}
		own, err := p.producer.Mine(w, b.Height)
		if err != nil || !own {
			return nil, err
		}
	}
	// The pegbox's elections take their candidates from the sidechain's
	// engine: the tickets' keys and weights after the stake changes.
	peg, err := p.pegbox.ConnectBlock(w, b, p.chain.Engine())
	if err != nil {
		return nil, err
	}
	p.previewSide = preview
	side, err := p.chain.ConnectMainBlock(w, b.Height, pub)
	if err != nil {
		return nil, err
	}
	work := &blockWork{block: b, stake: stake, side: side, peg: peg}
	if wn != nil {
		if !preview {
			work.made = p.producer.TakePreview(b, wn.Ticket)
		}
		if work.made == nil {
			if work.made, err = p.producer.Produce(w, b); err != nil {
				return nil, err
			}
		}
	}
	return work, nil
}

// DisconnectBlock implements blockConnector.
func (p *protocol) DisconnectBlock(height int32) error {
	p.last = nil
	if p.pow != nil {
		p.pow.TipMoved() // the undo may have moved the sidechain's tip
	}
	p.producer.Undone(height)
	if err := p.chain.DisconnectMainBlock(height); err != nil {
		return err
	}
	if err := p.pegbox.DisconnectBlock(height); err != nil {
		return err
	}
	if err := p.index.DisconnectBlock(height); err != nil {
		return err
	}
	p.returnUndone(height)
	return nil
}

// maxUndoneSideblocks bounds how far back BeforeUndo looks: how many
// sideblocks one mainchain undo can take off the best chain with their
// transactions going back to the mempool.
const maxUndoneSideblocks = 64

// BeforeUndo notes the best sidechain, from the tip back, before the store
// undoes a mainchain block: the undo may take the records of the blocks
// it disconnects with it. A store error stops the undo.
func (p *protocol) BeforeUndo(mainwatch.Cursor) error {
	p.undoFrom = p.undoFrom[:0]
	hash, _, ok := p.chain.Tip()
	if !ok {
		return nil
	}
	err := p.db.View(func(r store.Reader) error {
		for len(p.undoFrom) < maxUndoneSideblocks {
			info, found, err := sideblock.BlockInfoAt(r, hash)
			if err != nil || !found {
				return err
			}
			p.undoFrom = append(p.undoFrom, hash)
			if info.PrevBlock == (chainhash.Hash{}) {
				return nil
			}
			hash = info.PrevBlock
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("the best sidechain before a mainchain undo: %w", err)
	}
	return nil
}

// returnUndone hands the transactions of the sideblocks that the undone
// mainchain block took off the best chain back to the mempool, as a
// sidechain reorg does, and has the mempool drop what spends their
// outputs. Without it a withdrawal in such a sideblock would vanish: its
// coins go back to their owner, and nothing would send it again. Blocks
// whose body is no longer staged are skipped.
func (p *protocol) returnUndone(height int32) {
	old := p.undoFrom
	p.undoFrom = nil
	res := &sideblock.Result{MainHeight: height}
	err := p.db.View(func(r store.Reader) error {
		for _, hash := range old {
			info, found, err := sideblock.BlockInfoAt(r, hash)
			if err != nil {
				return err
			}
			if found && info.OnBestChain {
				return nil // the fork point
			}
			res.Disconnected = append(res.Disconnected, hash)
		}
		return nil
	})
	if err != nil {
		log.Errorf("Mempool after undoing block %d: %v", height, err)
		return
	}
	if len(res.Disconnected) == 0 {
		return
	}
	log.Infof("Mainchain block %d undone: %d sideblocks left the best chain; "+
		"their transactions go back to the mempool", height, len(res.Disconnected))
	if err := p.pool.ProcessResult(res); err != nil {
		log.Errorf("Mempool after undoing block %d: %v", height, err)
	}
}

// Committed runs after the block's batch is on disk: it reports what the
// block did, updates the mempool and hands a won draw to the producer.
func (p *protocol) Committed(b *mainwatch.Block) {
	work := p.last
	p.last = nil
	if work == nil || work.block != b {
		return
	}
	if err := p.chain.Committed(); err != nil {
		log.Errorf("Sidechain after block %d: %v", b.Height, err)
	}
	if err := p.pool.ProcessResult(work.side); err != nil {
		log.Errorf("Mempool after block %d: %v", b.Height, err)
	}
	p.report(work)
	p.refreshAudit()
	if p.fed != nil {
		p.fed.BlockCommitted()
	}
	// The producer decides the draw the block closes before the alarms
	// read its slot counts.
	p.producer.Committed(b, work.stake.Publication != nil, work.made)
	if p.alarms != nil {
		p.alarms.BlockCommitted()
	}
	if p.peers != nil {
		for _, h := range work.side.Connected {
			p.peers.Announce(p2p.BlockItem(h))
		}
	}
	if p.pow != nil {
		// A new mainchain block moves the templates' main reference as
		// a new sidechain tip moves their parent: the cached template is
		// stale either way, and miners take a new one.
		p.pow.TipMoved()
	}
}

// refreshAudit judges the pegbox's spends against the best sidechain
// after the block: each unexplained spend raises the alarm (a warn line,
// the metrics' gauges) on every node. It reads the spends of the new
// block and judges the payouts again (pegbox.Auditor.Refresh).
func (p *protocol) refreshAudit() {
	if _, err := p.audit.Refresh(p.db); err != nil {
		log.Errorf("Pegbox audit: %v", err)
	}
}

// connectArrived connects the bodies staged since the last batch in an
// amendment of the tip block, and does with the result what Committed does
// with a block's: the mempool, the log, the peers, and the producer, which
// may be waiting for such a body. It reports whether the sidechain changed.
func (p *protocol) connectArrived() (bool, error) {
	side, err := p.chain.ConnectArrived()
	if err != nil || side == nil {
		return false, err
	}
	if err := p.pool.ProcessResult(side); err != nil {
		log.Errorf("Mempool after sideblock bodies arrived: %v", err)
	}
	p.reportSide(side)
	if p.peers != nil {
		for _, h := range side.Connected {
			p.peers.Announce(p2p.BlockItem(h))
		}
	}
	changed := len(side.Connected)+len(side.Disconnected)+len(side.Invalidated) > 0
	if changed {
		log.Infof("Sidechain tip %v at height %d: bodies that arrived after "+
			"mainchain block %d connected without waiting for the next one",
			side.NewTip, side.TipHeight, side.MainHeight)
		p.producer.TipMoved()
		if p.pow != nil {
			p.pow.TipMoved() // miners take a new template
		}
		if p.alarms != nil {
			p.alarms.BlockCommitted() // the sidechain's tip moved
		}
	}
	return changed, nil
}

func (p *protocol) report(work *blockWork) {
	b, stake, side := work.block, work.stake, work.side
	for _, id := range stake.NewTickets {
		log.Infof("New ticket %d in block %d", id, b.Height)
	}
	for _, r := range stake.Rejected {
		log.Infof("Stake registration %v in block %d rejected: %v", r.TxID, b.Height, r.Err)
	}
	for _, id := range stake.Ended {
		log.Infof("Ticket %d: publisher chain ended in block %d", id, b.Height)
	}
	for _, ig := range stake.Ignored {
		log.Infof("Header tx %v of ticket %d ignored: %v", ig.TxID, ig.Ticket, ig.Reason)
	}
	if peg := work.peg; peg != nil {
		if f := peg.Elected; f != nil {
			addr, err := f.Address(p.params.Main)
			if err == nil {
				log.Infof("Pegbox epoch %d: federation of %d, %d to sign, at %v",
					f.Epoch, len(f.Keys), f.Threshold, addr)
			}
		}
		for _, d := range peg.Deposits {
			log.Infof("Deposit %d: %v of %d sat in block %d", d.Seq, d.OutPoint,
				d.Value, d.Height)
		}
		for _, po := range peg.Payouts {
			log.Infof("Payout %v of sideblock %v in block %d", po.TxID, po.SideBlock, po.Height)
		}
	}
	if side.Ignored != nil {
		log.Infof("Publication in block %d ignored: %v", b.Height, side.Ignored)
	}
	p.reportSide(side)
	if wn := stake.Winner; wn != nil {
		mine := ""
		own, err := p.ownDraw(b.Height)
		if err != nil {
			log.Errorf("Lottery after block %d: %v", b.Height, err)
		}
		if own {
			mine = " (this node)"
		}
		log.Infof("Lottery after block %d: ticket %d wins%s (total weight %v)",
			b.Height, wn.Ticket, mine, wn.TotalWeight)
	}
}

// reportSide logs the sidechain's changes.
func (p *protocol) reportSide(side *sideblock.Result) {
	p.refusedReorgs.Add(uint64(len(side.Refused)))
	for _, h := range side.Disconnected {
		log.Infof("Sideblock %v disconnected", h)
	}
	if p.pow != nil {
		p.reportPow(side)
		return
	}
	for _, h := range side.Connected {
		by, height := "unknown", int32(-1)
		_, info, err := p.chain.Block(h)
		if err == nil && info != nil {
			var id int64
			id, err = p.producerOf(info.PubHeight)
			by, height = fmt.Sprintf("ticket %d", id), info.Height
		}
		if err != nil {
			log.Errorf("Sideblock %v: %v", h, err)
		}
		log.Infof("Sideblock %v connected (sidechain height %d, produced by %s)",
			h, height, by)
	}
	for _, h := range side.Invalidated {
		log.Warnf("Sideblock %v is invalid", h)
	}
}

// reportPow logs a pow chain's connections: each block with its main
// reference, or one line for a batch of many (a sync, a long reorg).
func (p *protocol) reportPow(side *sideblock.Result) {
	if n := len(side.Connected); n > 10 {
		log.Infof("Connected %d sideblocks; tip %v at height %d", n,
			side.NewTip, side.TipHeight)
	} else {
		// The index records alone, in one read: the bodies are not
		// needed for the log line.
		err := p.db.View(func(r store.Reader) error {
			for _, h := range side.Connected {
				info, ok, err := sideblock.BlockInfoAt(r, h)
				if err != nil || !ok {
					return err
				}
				ref, _ := p.chain.MainRefOf(info)
				log.Infof("Sideblock %v connected (sidechain height %d, "+
					"main reference %d)", h, info.Height, ref.Height)
			}
			return nil
		})
		if err != nil {
			log.Errorf("Connected sideblocks: %v", err)
		}
	}
	for _, h := range side.Invalidated {
		log.Warnf("Sideblock %v is invalid", h)
	}
}

// producerOf returns the ticket that published in the mainchain block at
// height, -1 if none did.
func (p *protocol) producerOf(height int32) (int64, error) {
	var id int64 = -1
	err := p.db.View(func(r store.Reader) error {
		pub, ok, err := mainstake.PublicationAt(r, height)
		if err == nil && ok {
			id = int64(pub.Ticket)
		}
		return err
	})
	return id, err
}

// ownDraw reports whether the draw after the block at height is this
// node's.
func (p *protocol) ownDraw(height int32) (bool, error) {
	var own bool
	err := p.db.View(func(r store.Reader) error {
		var err error
		own, err = p.producer.Mine(r, height)
		return err
	})
	return own, err
}
