package node

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/lottery"
	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/nodeapi"
	"github.com/mainstake/sidenode/pegbox"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
	"github.com/mainstake/sidenode/wallet"
)

// Keys of the mainchain-derived state the node itself keeps. Every other
// subsystem's derived state is written in the same ConnectBlock batch, under
// its own prefix, so that one undo record rolls all of it back.
var (
	// keyBlockPrefix + height (4 bytes, big-endian) → blockRecord.
	keyBlockPrefix = []byte{0x10, 'b'}

	// keyDigest → SHA256d over the previous digest, the block hash and
	// the ids of the block's delivered transactions: a running commitment
	// to everything the node has taken from the mainchain.
	keyDigest = []byte{0x10, 'd'}

	// keyRules → the version of the rules that derived the state (4
	// bytes, big-endian), written with the genesis block.
	keyRules = []byte{0x10, 'v'}
)

// rulesVersion numbers the rules that derive the state from the chain. A
// release that changes what any block derives, such as which transactions
// a block delivers (docs/protocol.md §1.3), raises it, and a data dir
// derived under other rules must be synced again: its state could differ
// from a fresh node's.
//
//	1  the delivery rule of §1.3 (before it, a block delivered what the
//	   node's watch list happened to match, and no version was kept)
//	2  the pegbox index records every spend of pegbox coins, refuses a
//	   deposit funded by pegbox coins, and counts a spend's pegbox change
//	   beyond the coins it spent as unbacked (§10)
//	3  what this node found out about a published header's body (its
//	   status, the missing set, the fork-choice candidates) is local, out
//	   of the state hash; the covered header record holds the header and
//	   its publication only (§1.5)
//	4  a refused deposit's record keeps the outputs by which its
//	   transaction paid a pegbox (key 0x50 'R', §10), which outlive the
//	   coins they made; and stake registrations of the cold-owner form (a
//	   68-byte 'S' payload: the stake locked to an owner key hash, the
//	   publisher outputs to the hot key) make tickets (§3); before, they
//	   were ignored
const rulesVersion = 4

// checkRules refuses a data dir whose state was derived under other rules
// than this program's, naming what to do.
func checkRules(db *store.DB, dir string) error {
	tip, err := db.Tip()
	if err != nil || tip.Height < 0 {
		return err
	}
	var got uint32
	err = db.View(func(r store.Reader) error {
		v, err := r.Get(keyRules)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil
		case err != nil:
			return err
		case len(v) != 4:
			return fmt.Errorf("rules version record of %d bytes", len(v))
		}
		got = binary.BigEndian.Uint32(v)
		return nil
	})
	if err != nil {
		return err
	}
	if got != rulesVersion {
		return fmt.Errorf("the state in %s was derived under rules version %d, "+
			"this sidenode derives it under version %d (docs/protocol.md §1.3): "+
			"start it once with --resync, which moves that directory aside "+
			"and syncs the mainchain from scratch", dir, got, rulesVersion)
	}
	return nil
}

func blockKey(height int32) []byte {
	k := make([]byte, len(keyBlockPrefix)+4)
	copy(k, keyBlockPrefix)
	binary.BigEndian.PutUint32(k[len(keyBlockPrefix):], uint32(height))
	return k
}

// blockRecord encodes a connected block: its hash, then for each delivered
// transaction its index in the block (4 bytes) and its id.
func blockRecord(b *mainwatch.Block) []byte {
	rec := make([]byte, 0, 32+len(b.Txs)*36)
	rec = append(rec, b.Hash[:]...)
	for _, tx := range b.Txs {
		rec = binary.BigEndian.AppendUint32(rec, uint32(tx.Index))
		txid := tx.MsgTx.TxHash()
		rec = append(rec, txid[:]...)
	}
	return rec
}

// blockConnector is a subsystem that derives state from mainchain blocks.
// ConnectBlock runs inside the block's store batch; the store's undo log
// rolls its writes back, and DisconnectBlock lets it drop what it keeps in
// memory for the undone block at height (also after a batch that failed).
type blockConnector interface {
	ConnectBlock(w *store.Writer, b *mainwatch.Block) error
	DisconnectBlock(height int32) error
}

// protocolConnector is the connector of the protocol's state (tickets,
// draws, sidechain, peg). Besides connecting blocks it acts on previews:
// PreviewBlock runs in a batch that is never committed, and ForgetPreview
// then drops what it left in memory. BeforeUndo shows it the state just
// before the store undoes the block at tip, and Committed tells it that a
// block's batch is on disk, to act on it outside the batch.
type protocolConnector interface {
	blockConnector
	PreviewBlock(w *store.Writer, b *mainwatch.Block) error
	ForgetPreview(height int32) error
	BeforeUndo(tip mainwatch.Cursor) error
	Committed(b *mainwatch.Block)
}

// watchSetFunc returns the protocol's watch set for a block, in the state
// r reads: the state after the block's parent.
type watchSetFunc func(r store.Reader) mainwatch.WatchSet

// rewatchFunc puts what the state r reads (after an undo) watches among
// keys, the keys the undo gave back their values, on the watch list again.
type rewatchFunc func(r store.Reader, keys [][]byte) error

// protocolWatchSet is the protocol's watch set (docs/protocol.md §1.3):
// the ticket index's and the pegbox index's.
func protocolWatchSet(index *mainstake.Index, peg *pegbox.Index) watchSetFunc {
	return func(r store.Reader) mainwatch.WatchSet {
		return mainwatch.WatchSets{index.WatchSet(r), peg.WatchSet(r)}
	}
}

// errPreview ends the batch of a preview, so that nothing of it is written.
var errPreview = errors.New("preview: not to be written")

// storeChain is the mainwatch.Chain of a running node: the store's cursor
// and undo log, and the subsystems that derive state from each block.
//
// A block comes from the backend with its candidates (transactions the
// watch list matched). The protocol is given the transactions that
// mainwatch.Deliver picks from them with the protocol's watch set of the
// state before the block, a function of the chain alone; the wallet, a
// local subsystem, is given every candidate.
type storeChain struct {
	db *store.DB

	// mu serializes the mainchain blocks' batches (and previews and
	// undos) with the amendments that connect bodies arriving between
	// them (connectArrived), and what each does once committed.
	mu sync.Mutex

	watchSet watchSetFunc
	proto    protocolConnector
	wallet   blockConnector // nil without a wallet
	stakes   stakeWatcher   // the wallet again; nil without one
	rewatch  []rewatchFunc

	// notary is the notarization tracker (docs/protocol.md §13.6), nil
	// on a network without notaries. It runs in each block's batch after
	// the protocol, and in an amendment after sideblock bodies that
	// arrived moved the sidechain.
	notary *notary

	// The parts newStoreChain built, for the node's wiring.
	index    *mainstake.Index
	peg      *pegbox.Index
	protocol *protocol

	// events tells the API's subscriptions about changes.
	events *nodeapi.Events
}

// newStoreChain builds the node's chain on db: the ticket index, the pegbox
// index and the protocol over them, and wlt (nil without a wallet), all
// keeping watch a superset of what their state watches. mineFull makes a
// pow chain's templates hash RandomX in full mode (--mine without
// --minerandomxlight).
func newStoreChain(params *chainparams.Params, db *store.DB, watch *mainwatch.WatchList,
	wlt *wallet.Wallet, mineFull bool) (*storeChain, error) {

	index, err := mainstake.NewIndex(db, params, watch)
	if err != nil {
		return nil, err
	}
	peg, err := pegbox.NewIndex(db, params, watch)
	if err != nil {
		return nil, err
	}
	proto, err := newProtocol(params, db, index, peg, mineFull)
	if err != nil {
		return nil, err
	}
	c := &storeChain{
		db:       db,
		watchSet: protocolWatchSet(index, peg),
		proto:    proto,
		index:    index,
		peg:      peg,
		protocol: proto,
		rewatch:  []rewatchFunc{index.Rewatch, peg.Rewatch},
		events:   new(nodeapi.Events),
	}
	if c.notary, err = newNotary(params, db, watch, proto.chain, &proto.refusedReorgs); err != nil {
		return nil, err
	}
	if wlt != nil {
		c.wallet, c.stakes = wlt, wlt
		c.rewatch = append(c.rewatch, wlt.Rewatch)
		err := db.View(func(r store.Reader) error {
			ts, err := mainstake.Tickets(r)
			if err != nil {
				return err
			}
			return c.watchOwnStakes(ts)
		})
		if err != nil {
			return nil, err
		}
	}
	return c, nil
}

// stakeWatcher is the wallet's part in following its stakes: it watches
// the stake outputs of its tickets, so that it sees their withdrawal
// whoever sends it.
type stakeWatcher interface {
	OwnsStakeKey(pub []byte) (wallet.KeyRef, bool)
	WatchOwnStake(op wire.OutPoint, pkScript []byte)
}

// watchOwnStakes has the wallet watch the stake outputs of the tickets
// among ts that are its own (their publisher key is the wallet's: a
// plain ticket's stake key, or a cold-owner ticket's hot key).
func (c *storeChain) watchOwnStakes(ts []*mainstake.Ticket) error {
	for _, t := range ts {
		if _, ok := c.stakes.OwnsStakeKey(t.PubKey.SerializeCompressed()); !ok {
			continue
		}
		// The stake output's own script: a cold-owner ticket's stake
		// is locked to its owner key, whose spend is watched all the
		// same.
		script, err := t.StakePkScript()
		if err != nil {
			return err
		}
		c.stakes.WatchOwnStake(t.Stake, script)
	}
	return nil
}

var (
	_ mainwatch.Chain     = (*storeChain)(nil)
	_ mainwatch.Previewer = (*storeChain)(nil)
)

// Tip implements mainwatch.Chain.
func (c *storeChain) Tip() (mainwatch.Cursor, error) {
	id, err := c.db.Tip()
	if err != nil {
		return mainwatch.Cursor{}, err
	}
	return mainwatch.Cursor{Height: id.Height, Hash: id.Hash}, nil
}

// HashAt implements mainwatch.Chain.
func (c *storeChain) HashAt(height int32) (chainhash.Hash, error) {
	return c.db.HashAt(height)
}

// undoAdvice ends the message of a refused deep reorg: what the operator
// can do (docs/protocol.md §1.2).
const undoAdvice = "To resync this node from scratch, restart sidenode " +
	"with --resync: it moves the state dir aside (renamed with the time, " +
	"never deleted) and syncs the mainchain again. --undodepth sets the " +
	"window for deeper reorgs in the future"

// UndoWindow implements mainwatch.Chain with the store's undo records.
func (c *storeChain) UndoWindow() (mainwatch.UndoWindow, error) {
	floor, err := c.db.UndoFloor()
	if err != nil {
		return mainwatch.UndoWindow{}, err
	}
	return mainwatch.UndoWindow{Floor: floor, Depth: c.db.UndoDepth(),
		Advice: undoAdvice}, nil
}

// delivered returns b with the transactions the protocol delivers from
// its candidates, reading the watch set in r.
func (c *storeChain) delivered(r store.Reader, b *mainwatch.Block) (*mainwatch.Block, error) {
	txs, err := mainwatch.Deliver(b.Txs, c.watchSet(r))
	if err != nil {
		return nil, err
	}
	d := *b
	d.Txs = txs
	return &d, nil
}

// ConnectBlock implements mainwatch.Chain: the block's record, the running
// digest, every subsystem's state and the cursor move in one atomic batch.
func (c *storeChain) ConnectBlock(_ context.Context, b *mainwatch.Block) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := store.BlockID{Height: b.Height, Hash: b.Hash}
	var d *mainwatch.Block
	err := c.db.ConnectBlock(id, b.Header.PrevBlock, func(w *store.Writer) error {
		var err error
		if d, err = c.delivered(w, b); err != nil {
			return err
		}
		prev, err := w.Get(keyDigest)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		rec := blockRecord(d)
		digest := chainhash.DoubleHashH(append(append([]byte(nil), prev...), rec...))
		if err := w.Set(blockKey(b.Height), rec); err != nil {
			return err
		}
		if err := w.Set(keyDigest, digest[:]); err != nil {
			return err
		}
		if b.Height == 0 {
			v := binary.BigEndian.AppendUint32(nil, rulesVersion)
			if err := w.Set(keyRules, v); err != nil {
				return err
			}
		}
		if c.wallet != nil {
			if err := c.wallet.ConnectBlock(w, b); err != nil {
				return err
			}
		}
		if err := c.proto.ConnectBlock(w, d); err != nil {
			return err
		}
		if c.notary != nil {
			// After the protocol, so that it sees the sidechain
			// the block's batch left.
			return c.notary.tracker.ConnectBlock(w, b)
		}
		return nil
	})
	if err != nil {
		// Nothing was written: let the subsystems forget the block.
		if derr := c.forget(b.Height); derr != nil {
			return fmt.Errorf("%w; and after it: %v", err, derr)
		}
		return err
	}
	// Committed hands the block's work on; its new tickets are read
	// first.
	var newTickets []lottery.TicketID
	if c.protocol != nil && c.protocol.last != nil && c.protocol.last.stake != nil {
		newTickets = c.protocol.last.stake.NewTickets
	}
	c.proto.Committed(d)
	if c.stakes != nil && len(newTickets) > 0 {
		if err := c.watchNewStakes(newTickets); err != nil {
			return err
		}
	}
	c.events.Notify()
	return nil
}

// watchNewStakes has the wallet watch the stakes of the tickets ids, the
// ones the last block registered.
func (c *storeChain) watchNewStakes(ids []lottery.TicketID) error {
	ts := make([]*mainstake.Ticket, 0, len(ids))
	err := c.db.View(func(r store.Reader) error {
		for _, id := range ids {
			t, err := mainstake.TicketByID(r, id)
			if err != nil {
				return err
			}
			ts = append(ts, t)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return c.watchOwnStakes(ts)
}

// forget lets the subsystems drop what they keep in memory for the block
// at height, newest subsystem first.
func (c *storeChain) forget(height int32) error {
	if c.notary != nil {
		if err := c.notary.tracker.DisconnectBlock(height); err != nil {
			return err
		}
	}
	if err := c.proto.DisconnectBlock(height); err != nil {
		return err
	}
	if c.wallet != nil {
		return c.wallet.DisconnectBlock(height)
	}
	return nil
}

// PreviewBlock implements mainwatch.Previewer: the protocol runs the
// block's batch on the preview, the batch is thrown away, and the protocol
// forgets it. A batch that fails is only logged: the block itself follows.
// Failing to forget leaves memory unlike the store, which only a restart
// repairs, so that error stops the node.
func (c *storeChain) PreviewBlock(_ context.Context, b *mainwatch.Block) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := store.BlockID{Height: b.Height, Hash: b.Hash}
	err := c.db.ConnectBlock(id, b.Header.PrevBlock, func(w *store.Writer) error {
		d, err := c.delivered(w, b)
		if err != nil {
			return err
		}
		if err := c.proto.PreviewBlock(w, d); err != nil {
			return err
		}
		return errPreview
	})
	if !errors.Is(err, errPreview) {
		log.Debugf("Preview of block %v: %v", id, err)
	}
	if err := c.proto.ForgetPreview(b.Height); err != nil {
		return fmt.Errorf("after the preview of block %v: %w", id, err)
	}
	return nil
}

// DisconnectBlock implements mainwatch.Chain through the store's undo log.
// What the restored state watches goes back on the watch list, so that
// the list covers the state even when a restart rebuilt it from a later
// one.
func (c *storeChain) DisconnectBlock(_ context.Context, tip mainwatch.Cursor) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := store.BlockID{Height: tip.Height, Hash: tip.Hash}
	restored, err := c.db.RestoredKeys(id)
	if err != nil {
		return err
	}
	if err := c.events.BeforeUndo(c.db, tip); err != nil {
		return err
	}
	if err := c.proto.BeforeUndo(tip); err != nil {
		return err
	}
	if _, err := c.db.DisconnectBlock(id); err != nil {
		return err
	}
	defer c.events.Notify()
	if err := c.forget(tip.Height); err != nil {
		return err
	}
	return c.db.View(func(r store.Reader) error {
		for _, rewatch := range c.rewatch {
			if err := rewatch(r, restored); err != nil {
				return err
			}
		}
		return nil
	})
}

// connectArrived connects the bodies staged since the last batch at once,
// without waiting for the next mainchain block: in an amendment of the tip
// block (sideblock.Chain.ConnectArrived, store.DB.AmendTip), serialized
// with the blocks' batches. A storage error is logged: the next block's
// batch takes the bodies up.
//
// Under an engine with a clock of its own, fork choice deferred by the
// batch budget (a long sync, a deep sidechain reorg) goes on at once, one
// amendment after another, letting mainchain blocks in between.
func (c *storeChain) connectArrived() {
	p := c.protocol
	for p != nil && p.chain.Arrived() {
		if !c.connectArrivedOnce(p) {
			return
		}
	}
}

// connectArrivedOnce runs one amendment; false when it failed or did
// nothing.
func (c *storeChain) connectArrivedOnce(p *protocol) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	changed, err := p.connectArrived()
	if err != nil {
		log.Errorf("Connecting sideblock bodies that arrived: %v", err)
		return false
	}
	if changed && c.notary != nil {
		c.recheckNotarizations()
	}
	if changed {
		c.events.Notify()
	}
	return changed
}

// recheckNotarizations checks the pending notarizations again, in an
// amendment of the tip block, after the sidechain moved between mainchain
// blocks (docs/protocol.md §13.6). A failure is logged: the next block's
// batch checks them again.
func (c *storeChain) recheckNotarizations() {
	tip, err := c.db.Tip()
	if err != nil || tip.Height < 0 {
		return
	}
	err = c.db.AmendTip(tip, c.notary.tracker.Recheck)
	if err != nil {
		log.Errorf("Checking notarizations after the sidechain moved: %v", err)
		if derr := c.notary.tracker.DisconnectBlock(tip.Height); derr != nil {
			log.Errorf("Reading the last notarization again: %v", derr)
		}
	}
}

// arrivingChain is the sidechain as the peers' handler sees it: a body it
// stages is connected at once when it can be (arrived).
type arrivingChain struct {
	*sideblock.Chain
	arrived func()
}

// StageBody stages the body, then connects what arrived.
func (a arrivingChain) StageBody(block *sideblock.Block) error {
	err := a.Chain.StageBody(block)
	a.arrived()
	return err
}
