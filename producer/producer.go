package producer

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/feeest"
	"github.com/mainstake/sidenode/lottery"
	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/p2p"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
	"github.com/mainstake/sidenode/wallet"
)

// Chain is the sidechain as production uses it: its consensus engine, its
// templates and the staging of the bodies this node builds.
type Chain interface {
	Engine() sideblock.Engine
	NewBlockTemplate(r store.Reader, lotteryHeight int32, payTo []byte,
		txs []*wire.MsgTx) (*sideblock.Block, error)
	StageOwnBody(block *sideblock.Block) error
	MissingAhead(r store.Reader) ([]chainhash.Hash, error)
}

// Snapshots reads the store outside a batch; *store.DB is one.
type Snapshots interface {
	View(fn func(r store.Reader) error) error
}

// BodyFetcher asks the sidechain's peers for the bodies of published
// headers and stages what they send; *sidepeer.Handler is one.
type BodyFetcher interface {
	FetchBodies(ctx context.Context, hashes []chainhash.Hash)
}

// Mempool gives the transactions of a template.
type Mempool interface {
	Select(maxBytes int) []*wire.MsgTx
}

// Wallet holds this node's stake keys and its sidechain key.
type Wallet interface {
	OwnsStakeKey(pub []byte) (wallet.KeyRef, bool)
	Keys() *wallet.Keyring
	SideKey(side *chaincfg.Params) (*btcec.PrivateKey, btcutil.Address, []byte, error)
}

// Follower is the mainchain follower: how far the backend is, and the
// broadcast of header transactions.
type Follower interface {
	Status() mainwatch.Status
	Broadcast(ctx context.Context, tx *wire.MsgTx) error
	// Forget stops the rebroadcast of a header transaction that a
	// replacement took the place of.
	Forget(txid chainhash.Hash)
}

// Announcer tells the sidechain's peers about a new body.
type Announcer interface {
	Announce(items ...p2p.InvItem)
}

// Observer takes the time from a block's announcement to the mainchain
// node's acceptance of the header produced for the draw after it.
type Observer interface {
	ObservePublication(d time.Duration)
}

// BlockFloor gives the lowest fee rate among a block's transactions that
// the node saw in the mainchain node's mempool; *feeest.Seen is one.
type BlockFloor interface {
	Floor(txids []chainhash.Hash, skip ...chainhash.Hash) (floor feeest.SatPerKVB, held int, known bool)
}

// Env lists the components production uses.
type Env struct {
	Params   *chainparams.Params
	Chain    Chain
	Mempool  Mempool
	Wallet   Wallet
	Follower Follower

	// FeeRate is the configured fee rate of header transactions,
	// sat/vbyte: Fees' fallback, and the rate at which TopUpHeaders
	// counts headers.
	FeeRate int64

	// Fees gives the rate the next mainchain block needs (nil: FeeRate,
	// always). Funds pays what the publisher output cannot and tops it up
	// (nil: the publisher output alone pays).
	Fees  FeeRates
	Funds Funds

	// MaxHeaderFee caps the fee of one header transaction, sat, and
	// MaxDayFee the fees of the header transactions of the last 24 hours,
	// sat (0: no cap). A replacement's fee takes the place of the fee of
	// the transaction it replaces.
	MaxHeaderFee int64
	MaxDayFee    int64

	// DayFeesFile, when set, keeps the header fees of the last 24 hours
	// across restarts, for MaxDayFee.
	DayFeesFile string

	// TopUpHeaders: when a header would leave the publisher output with
	// fewer than this many headers' worth (at FeeRate), the header adds
	// wallet coins to bring it to twice as many (0: only what the fee
	// needs).
	TopUpHeaders int64

	// RebidInterval is how often a producer asks again for the rate the
	// next block needs while it waits for that block, and replaces its
	// header transaction when that rate has risen (0:
	// DefaultRebidInterval; negative: never).
	RebidInterval time.Duration

	// MempoolChanged, when set, receives when the mainchain node's
	// mempool changed: the rebid then asks again at once, at most once
	// per MinRebidGap, rather than waiting for RebidInterval.
	MempoolChanged <-chan struct{}

	// Seen, when set, tells the fee rates the next block took, to
	// explain a header it left out (MissFeeTooLow, MissNotIncluded);
	// nil (neutrino): such a miss is MissNotMined.
	Seen BlockFloor

	// Now is the clock of the day's fee cap; nil means time.Now.
	Now func() time.Time

	// DB and Bodies let production wait for a published body ahead of
	// the tip (see Produce): DB reads the state after the batch, Bodies
	// fetches the body from peers (nil: the node only waits). Without DB
	// production never waits.
	DB     Snapshots
	Bodies BodyFetcher

	// BodyWait bounds that wait, from the batch's commit; 0 means
	// DefaultBodyWait.
	BodyWait time.Duration

	// After makes the wait's timer; nil means time.After. Tests inject
	// their own.
	After func(d time.Duration) <-chan time.Time
}

// DefaultBodyWait is how long production waits, at most, for a published
// body ahead of the tip before it builds on the tip it has. The header
// must be mined in the next mainchain block: a few seconds leave it most of
// a block interval.
const DefaultBodyWait = 3 * time.Second

// Producer builds and publishes a sideblock when one of this node's
// tickets wins a draw, and keeps the Ledger of its slots.
//
// The block connector of the node calls Produce inside the batch of the
// block the draw followed, and Committed once the batch is on disk;
// Undone when a block is undone or its batch failed. Production asks the
// chain's engine who may produce at the draw's height and how to seal the
// block.
type Producer struct {
	env Env

	// Set before the follower runs.
	ctx      context.Context
	peers    Announcer // nil: nothing is announced
	observer Observer  // nil: nothing is observed

	// previewed is the production made from the preview of a block, for
	// the block's own batch.
	previewed *previewed

	// tipMoved wakes a production that waits for a body ahead of the tip
	// (TipMoved).
	tipMoved chan struct{}

	// build builds, seals and signs a deferred production's sideblock on
	// the tip r shows; tests replace it. waiting, if set, is told each
	// time a deferred production starts to wait (tests).
	build   func(r store.Reader, made *Production) (MissReason, error)
	waiting func()

	slots Ledger

	// days is the fees paid in the last 24 hours (Env.MaxDayFee).
	days dayFees

	// mu guards lastSent, the header transaction last sent for each
	// ticket, and rebidStop, closed when the next mainchain block (or
	// an undo) ends the wait of the current production's rebid.
	mu        sync.Mutex
	lastSent  map[lottery.TicketID]*bid
	rebidStop chan struct{}
}

// New returns a producer over env's components.
func New(env Env) *Producer {
	p := &Producer{env: env, ctx: context.Background(),
		tipMoved: make(chan struct{}, 1), lastSent: make(map[lottery.TicketID]*bid)}
	if p.env.Fees == nil {
		p.env.Fees = feeest.Fixed(feeest.FromSatPerVB(max(env.FeeRate, 1)))
	}
	p.build = p.buildOn
	p.days.file = env.DayFeesFile
	p.days.entries = loadDayFees(env.DayFeesFile, p.now())
	return p
}

// TipMoved tells the producer that the sidechain's tip may have moved
// between mainchain blocks (a body arrived and connected), so that a
// production waiting for a body ahead of the tip looks again. It never
// blocks.
func (p *Producer) TipMoved() {
	select {
	case p.tipMoved <- struct{}{}:
	default:
	}
}

// SetContext sets the context that bounds the broadcasts of header
// transactions.
func (p *Producer) SetContext(ctx context.Context) { p.ctx = ctx }

// SetPeers sets the peers that new bodies are announced to.
func (p *Producer) SetPeers(a Announcer) { p.peers = a }

// SetObserver sets what takes the publication times.
func (p *Producer) SetObserver(o Observer) { p.observer = o }

// Stats returns this node's slot counts on the best chain.
func (p *Producer) Stats() Stats { return p.slots.Stats() }

// MissReason returns why this node missed the draw after block height,
// and whether it is a missed draw of this node (since it started).
func (p *Producer) MissReason(height int32) (MissReason, bool) {
	return p.slots.Reason(height)
}

// RecentOutcomes returns the outcomes of this node's latest n decided
// draws, oldest first: true for a miss.
func (p *Producer) RecentOutcomes(n int) []bool { return p.slots.Recent(n) }

// LastLeftOut returns the latest of this node's headers that went out in
// time and that the next block left out: its rate and the lowest rate
// that block took among the transactions the node saw (floorKnown false
// when it cannot tell); ok false when there is none since the node
// started.
func (p *Producer) LastLeftOut() (rate, floor feeest.SatPerKVB, floorKnown, ok bool) {
	return p.slots.LastLeftOut()
}

// Production is a sideblock this node built for a draw it won, and the
// header transaction that publishes it.
type Production struct {
	height   int32 // the draw's: after mainchain block height
	mainHash chainhash.Hash
	ticket   lottery.TicketID
	block    *sideblock.Block
	tx       *wire.MsgTx
	bid      *bid      // tx and what it pays; the rebid replaces it
	start    time.Time // the block's announcement, or when production began

	// previewed says that the sideblock was built from the block's
	// preview, before the block itself arrived.
	previewed bool

	// await lists the published bodies ahead of the tip that the batch
	// lacked: the sideblock is built after the commit, once they are
	// connected or Env.BodyWait has passed (produceLate). ref and tk are
	// what the build needs then.
	await []chainhash.Hash
	ref   wallet.KeyRef
	tk    *mainstake.Ticket

	// done closes when the broadcast has its answer: err, with the
	// stage it failed at, or sentAt, when the mainchain node accepted tx.
	done   chan struct{}
	err    error
	failed MissReason
	sentAt time.Time
}

// headerSendWait bounds how long the batch of a block that this node
// produced for waits, before its commit, for the mainchain node's answer
// to the header transaction.
const headerSendWait = 100 * time.Millisecond

// lowPublisherHeaders is how few headers a publisher output must have left
// before production warns that it runs out.
const lowPublisherHeaders = 50

// Mine reports whether the engine gives the draw after block height, as
// r shows it, to one of this node's keys.
func (p *Producer) Mine(r store.Reader, height int32) (bool, error) {
	_, _, ok, err := p.mine(r, height)
	return ok, err
}

// mine returns who may produce at height, and this node's key for it.
func (p *Producer) mine(r store.Reader, height int32) (*sideblock.Producer, wallet.KeyRef, bool, error) {
	if p.env.Wallet == nil {
		return nil, wallet.KeyRef{}, false, nil
	}
	who, ok, err := p.env.Chain.Engine().Producer(r, height)
	if err != nil {
		return nil, wallet.KeyRef{}, false, fmt.Errorf("the producer of height %d: %w", height, err)
	}
	if !ok {
		return nil, wallet.KeyRef{}, false, nil
	}
	ref, own := p.env.Wallet.OwnsStakeKey(who.PubKey)
	return who, ref, own, nil
}

// Produce runs inside the batch w of block b: when the engine gives the
// draw after it to one of this node's keys, it builds the sideblock on the
// tip the batch has just set, seals it, signs the header transaction and
// broadcasts it before the batch commits. It waits for the mainchain
// node's answer, at most headerSendWait, so that the commit's disk write
// does not compete with the mainchain node while it accepts the header. It
// returns nil when the draw is not this node's. A failure is in the
// production, for Committed; an error is the store's, and fails the
// batch.
//
// Broadcasting before the commit is safe: the body is staged first, on
// disk (Chain.StageOwnBody, which does not wait for the batch), so a node
// killed after the broadcast, before or after the commit, holds the body
// of the header that gets mined, connects it when it restarts and serves
// it to its peers. The draw is a function of the mainchain, so a node that
// fails to commit and restarts in time draws the same winner again; at
// worst its second header transaction is refused as a double spend of the
// publisher output.
//
// When the batch's state lacks the body of a published header that fork
// choice would put ahead of the tip (sideblock.Chain.MissingAhead), the
// tip is stale: building on it would likely waste the slot. Production
// then builds nothing in the batch; after the commit it asks peers for
// those bodies (Env.Bodies), waits until the tip has taken them up (the
// node calls TipMoved when a body connects between mainchain blocks), at
// most Env.BodyWait, and builds on the tip it has then (produceLate). If
// the wait runs out it builds on the older tip all the same, so that a
// withheld body cannot stall the sidechain, and counts the slot in
// Stats.StaleParent; if the mainchain moves past the draw's block first, it
// gives the slot up as MissParentBody.
func (p *Producer) Produce(w *store.Writer, b *mainwatch.Block) (*Production, error) {
	who, ref, own, err := p.mine(w, b.Height)
	if err != nil || !own {
		return nil, err
	}
	if len(who.ID) != 8 {
		return nil, fmt.Errorf("the producer of height %d has id %x, not a ticket's",
			b.Height, who.ID)
	}
	id := lottery.TicketID(binary.BigEndian.Uint64(who.ID))
	ticket, err := mainstake.TicketByID(w, id)
	if err != nil {
		return nil, fmt.Errorf("the winner of the draw after block %d, ticket %d: %w",
			b.Height, id, err)
	}
	made := &Production{height: b.Height, mainHash: b.Hash, ticket: id, start: b.Announced,
		done: make(chan struct{}), ref: ref, tk: ticket}
	if made.start.IsZero() {
		made.start = time.Now()
	}
	fail := func(reason MissReason, err error) (*Production, error) {
		made.failed, made.err = reason, err
		close(made.done)
		return made, nil
	}
	if reason, err := behind(b, p.env.Follower.Status().Source.Best.Height); err != nil {
		return fail(reason, err)
	}
	if !ticket.Live() {
		return fail(MissChainEnded, fmt.Errorf("ticket %d's publisher chain ended "+
			"in block %d", id, ticket.End))
	}
	if ok, err := p.deferForBodies(w, made); err != nil {
		return nil, err
	} else if ok {
		return made, nil // built after the commit: produceLate
	}
	if reason, err := p.build(w, made); err != nil {
		return fail(reason, err)
	}
	p.send(made)
	return made, nil
}

// behind tells whether production for the draw after block b comes too
// late, the backend's best block at best: MissNotSynced when the node met
// b while catching up (no announcement named it, or the backend is more
// than one block past it), MissLate when the next block was found after
// the node learned of b as the tip.
func behind(b *mainwatch.Block, best int32) (MissReason, error) {
	switch {
	case best <= b.Height:
		return MissNone, nil
	case b.Announced.IsZero() || best > b.Height+1:
		return MissNotSynced, fmt.Errorf("the node connected block %d while "+
			"catching up: the mainchain is at %d", b.Height, best)
	default:
		return MissLate, fmt.Errorf("the mainchain is at %d already", best)
	}
}

// send stages the body of the sideblock built (stageOwn), then broadcasts
// its header transaction and waits for the mainchain node's answer, at
// most headerSendWait; made.done closes with the answer. It runs inside
// the batch of the draw's block.
func (p *Producer) send(made *Production) {
	if err := p.stageOwn(made); err != nil {
		made.failed, made.err = MissStage, err
		close(made.done)
		return
	}
	tx := made.tx
	go func() {
		if err := p.env.Follower.Broadcast(p.ctx, tx); err != nil {
			made.failed, made.err = MissBroadcast, err
			p.releaseBid(made.bid)
		} else {
			made.sentAt = time.Now()
			p.sent(made.height, made.bid)
		}
		close(made.done)
	}()
	timer := time.NewTimer(headerSendWait)
	select {
	case <-made.done:
	case <-timer.C:
	}
	timer.Stop()
}

// deferForBodies looks, in the batch's state r, for published bodies that
// would move the tip the sideblock is to be built on. If some are missing
// and the producer can wait (Env.DB), it marks made to be built after the
// commit (produceLate) and reports true.
func (p *Producer) deferForBodies(r store.Reader, made *Production) (bool, error) {
	if p.env.DB == nil {
		return false, nil
	}
	missing, err := p.env.Chain.MissingAhead(r)
	if err != nil || len(missing) == 0 {
		return false, err
	}
	made.await = missing
	log.Infof("The draw after block %d is this node's, but %d published "+
		"sideblock bodies ahead of the tip are missing: fetching them, "+
		"waiting up to %v before building", made.height, len(missing), p.bodyWait())
	return true, nil
}

func (p *Producer) bodyWait() time.Duration {
	if p.env.BodyWait > 0 {
		return p.env.BodyWait
	}
	return DefaultBodyWait
}

// buildOn builds made's sideblock on the tip as r shows it, seals it and
// signs its header transaction, into made.block and made.tx. It returns
// the reason of a failure.
func (p *Producer) buildOn(r store.Reader, made *Production) (MissReason, error) {
	_, _, payTo, err := p.env.Wallet.SideKey(p.env.Params.Side)
	if err != nil {
		return MissNoPayout, err
	}
	block, err := p.env.Chain.NewBlockTemplate(r, made.height, payTo,
		p.env.Mempool.Select(sideblock.TemplateTxBytes))
	if err != nil {
		return MissTemplate, err
	}
	priv, err := p.env.Wallet.Keys().PrivKey(made.ref)
	if err != nil {
		return MissNoKey, err
	}
	seal, err := p.env.Chain.Engine().Seal(p.ctx, block)
	if err != nil {
		return MissSeal, err
	}
	hdr, err := sideblock.ParseHeader(seal)
	if err != nil {
		return MissSeal, err
	}
	ticket := made.tk
	_ = priv // the key signs in fundHeader; asking for it here keeps MissNoKey first
	needed := p.env.Fees.Rate()
	b, err := p.fundHeader(made.height, ticket, opreturn.Header{PrevBlock: hdr.PrevBlock,
		MerkleRoot: hdr.MerkleRoot}, p.pendingBid(ticket), needed.Rate, true)
	switch {
	case errors.Is(err, ErrFeeCap):
		return MissFeeCap, err
	case errors.Is(err, ErrNoFunds), mainstake.IsErrorCode(err, mainstake.ErrPublisherExhausted):
		return MissNoFunds, err
	case err != nil:
		return MissHeaderTx, err
	}
	made.block, made.tx, made.bid = block, b.tx, b
	if left, worth := b.tx.TxOut[1].Value, p.headerWorth(); left/worth < lowPublisherHeaders {
		log.Warnf("Ticket %d's publisher output has %d sat left, enough for about "+
			"%d more headers at --publish.feerate; the wallet adds to it when it "+
			"cannot pay a header (wallet balance permitting)", made.ticket, left, left/worth)
	}
	return MissNone, nil
}

// produceLate finishes a production whose batch lacked published bodies
// ahead of the tip: it asks peers for them (Env.Bodies) and waits until
// the tip has taken them up (TipMoved wakes it), or Env.BodyWait has
// passed, or the mainchain has moved past the draw's block. Then it builds
// on the tip, broadcasts the header transaction and publishes as Committed
// does; or, if the mainchain moved on, it gives the slot up as
// MissParentBody.
func (p *Producer) produceLate(made *Production) {
	finish := func(reason MissReason, err error) {
		made.failed, made.err = reason, err
		close(made.done)
		p.publish(made)
	}
	after := p.env.After
	if after == nil {
		after = time.After
	}
	deadline := after(p.bodyWait())
	if p.env.Bodies != nil {
		go p.env.Bodies.FetchBodies(p.ctx, made.await)
	}
	stale := false
wait:
	for {
		var (
			missing []chainhash.Hash
			moved   bool
		)
		err := p.env.DB.View(func(r store.Reader) error {
			tip, err := r.Tip()
			if err != nil {
				return err
			}
			if tip.Height != made.height ||
				p.env.Follower.Status().Source.Best.Height > made.height {
				moved = true
				return nil
			}
			if h, err := r.HashAt(made.height); err != nil || h != made.mainHash {
				moved = true
				return nil
			}
			missing, err = p.env.Chain.MissingAhead(r)
			return err
		})
		switch {
		case err != nil:
			finish(MissStore, err)
			return
		case moved:
			finish(MissParentBody, fmt.Errorf("the mainchain moved past block %d "+
				"while %d sideblock bodies ahead of the tip were missing",
				made.height, len(made.await)))
			return
		case len(missing) == 0:
			break wait
		}
		if p.waiting != nil {
			p.waiting()
		}
		select {
		case <-p.tipMoved:
		case <-deadline:
			stale = true
			break wait
		case <-p.ctx.Done():
			finish(MissLate, p.ctx.Err())
			return
		}
	}
	if stale {
		p.slots.StaleParent(made.height)
		log.Warnf("Waited %v for sideblock bodies ahead of the tip for the draw "+
			"after block %d; building on the tip without them", p.bodyWait(), made.height)
	}
	var (
		reason MissReason
		err    error
	)
	verr := p.env.DB.View(func(r store.Reader) error {
		reason, err = p.build(r, made)
		return nil
	})
	if verr != nil {
		finish(MissStore, verr)
		return
	}
	if err != nil {
		finish(reason, err)
		return
	}
	if err := p.stageOwn(made); err != nil {
		finish(MissStage, err)
		return
	}
	if err := p.env.Follower.Broadcast(p.ctx, made.tx); err != nil {
		p.releaseBid(made.bid)
		finish(MissBroadcast, err)
		return
	}
	made.sentAt = time.Now()
	p.sent(made.height, made.bid)
	close(made.done)
	p.publish(made)
}

// previewed is a production made from a block's preview.
type previewed struct {
	hash  chainhash.Hash
	txids []chainhash.Hash // the preview's matched transactions
	made  *Production
}

// Previewed keeps the production made in the batch of block b's preview
// (nil: none), for the block's own batch to take.
func (p *Producer) Previewed(b *mainwatch.Block, made *Production) {
	if made == nil {
		p.previewed = nil
		return
	}
	made.previewed = true
	p.previewed = &previewed{hash: b.Hash, txids: txids(b), made: made}
}

// TakePreview returns the production made from block b's preview, if any,
// when its draw went to ticket as the block's batch says.
func (p *Producer) TakePreview(b *mainwatch.Block, ticket lottery.TicketID) *Production {
	pv := p.previewed
	p.previewed = nil
	if pv == nil || pv.hash != b.Hash {
		return nil
	}
	if !slices.Equal(pv.txids, txids(b)) || pv.made.ticket != ticket {
		// The backend's filter missed a transaction: the header
		// already sent may not be valid. The slot goes as it goes.
		log.Warnf("Block %d matches other transactions than its preview "+
			"did; the header transaction sent for the draw after it was "+
			"built from the preview", b.Height)
		if pv.made.ticket != ticket {
			return nil
		}
	}
	return pv.made
}

// txids returns the ids of a block's matched transactions, in order.
func txids(b *mainwatch.Block) []chainhash.Hash {
	out := make([]chainhash.Hash, len(b.Txs))
	for i, tx := range b.Txs {
		out[i] = tx.MsgTx.TxHash()
	}
	return out
}

// Committed runs once the batch of block b is on disk: published says
// whether the block holds a publication that counted, which decides the
// draw after its parent; made is this node's production for the draw
// after b, if it won it. The draw is won once, however often a reorg
// connects the block again. Committed then finishes the production
// (publish).
func (p *Producer) Committed(b *mainwatch.Block, published bool, made *Production) {
	p.stopRebid()
	p.slots.Decided(b.Height-1, published, p.nextBlock(b, published))
	if reason, missed := p.slots.Reason(b.Height - 1); missed {
		log.Warnf("Missed the slot of the draw after block %d: %v", b.Height-1, reason)
	}
	if made != nil {
		p.slots.Won(b.Height, made.ticket)
		if made.await != nil {
			go p.produceLate(made)
			return
		}
		p.publish(made)
	}
}

// nextBlock returns what the node knows of block b, which decides the draw
// after its parent, to explain a miss of that draw: when the node learned
// of b, the fee rates b took (Env.Seen, from b's transaction ids), and
// whether b ended the winning ticket's publisher chain (Env.DB).
func (p *Producer) nextBlock(b *mainwatch.Block, published bool) NextBlock {
	next := NextBlock{Learned: b.Announced}
	id, own := p.slots.Ticket(b.Height - 1)
	if published || !own {
		return next
	}
	if p.env.Seen != nil && b.TxIDs != nil {
		seen, txids := p.env.Seen, b.TxIDs
		next.Floor = func(skip []chainhash.Hash) (feeest.SatPerKVB, bool) {
			floor, _, known := seen.Floor(txids, skip...)
			return floor, known
		}
	}
	if p.env.DB != nil {
		err := p.env.DB.View(func(r store.Reader) error {
			tk, err := mainstake.TicketByID(r, id)
			if err != nil {
				return err
			}
			next.Ended = !tk.Live() && tk.End <= b.Height
			return nil
		})
		if err != nil {
			log.Warnf("Ticket %d, the winner of the draw after block %d: %v",
				id, b.Height-1, err)
		}
	}
	return next
}

// Undone forgets what the block at height decided: the store undid it, or
// its batch failed. It drops a preview's production too.
func (p *Producer) Undone(height int32) {
	p.stopRebid()
	p.previewed = nil
	p.slots.Undone(height)
}

// stageOwn stores the body of the sideblock built, before its header
// transaction is broadcast: a header whose body nobody holds is a lost
// slot. The same body is staged already when a reorg connected the draw's
// block again and the node built the same sideblock: that is no failure.
func (p *Producer) stageOwn(made *Production) error {
	err := p.env.Chain.StageOwnBody(made.block)
	if err != nil && !sideblock.IsErrorCode(err, sideblock.ErrBodyKnown) {
		return err
	}
	return nil
}

// publish finishes a production after its batch committed: it waits for
// the header's broadcast (the body was staged before it), then announces
// the body to peers. The header goes out first: it must be mined in the
// next mainchain block, while the body only has to reach the peers before
// that block.
//
// What publish finds goes to the slot ledger; whether the slot counts is
// for the next mainchain block to say (Committed).
func (p *Producer) publish(made *Production) {
	<-made.done
	if err := made.err; err != nil {
		p.slots.Produced(made.height, false, made.failed)
		log.Warnf("Could not produce for the draw after block %d; %v: %v",
			made.height, made.failed, err)
		return
	}
	took := made.sentAt.Sub(made.start)
	if p.observer != nil {
		p.observer.ObservePublication(took)
	}
	hash := made.block.BlockHash()
	p.slots.Produced(made.height, true, MissNone)
	if made.bid != nil {
		p.slots.Sent(made.height, made.tx.TxHash(), made.bid.rate(), made.sentAt)
	} else {
		p.slots.Sent(made.height, made.tx.TxHash(), 0, made.sentAt)
	}
	if p.peers != nil {
		p.peers.Announce(p2p.BlockItem(hash))
	}
	from := ""
	if made.previewed {
		from = ", built from the block's announcement"
	}
	fee := ""
	if made.bid != nil {
		fee = fmt.Sprintf("; fee %d sat, %v", made.bid.fee, made.bid.rate())
	}
	log.Infof("Produced sideblock %v on %v for the draw after block %d; header tx %v "+
		"accepted by the mainchain node %v after the block was announced%s%s", hash,
		made.block.Header.PrevBlock, made.height, made.tx.TxHash(),
		took.Round(time.Microsecond), from, fee)
	p.startRebid(made)
}

// Enabled reports whether the node can produce at all: it has a wallet.
func (p *Producer) Enabled() bool { return p.env.Wallet != nil }
