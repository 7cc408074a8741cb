package sideblock

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/store"
)

// Bounds of the work one mainchain block's batch does on the sidechain.
// Every sideblock a batch connects or disconnects adds its body, its
// outputs, its undo data and the store's own undo record of all of that to
// one database transaction, which the store caps (about 9 MiB with its
// default memtable). A node that catches up after its peers sent it
// thousands of bodies would otherwise fail that mainchain block forever.
// When a batch reaches either bound, fork choice stops at a block boundary
// and resumes at the next mainchain block: the tip may then lag the best
// chain, or sit part way along a reorg, until the work is done. These are
// node policy, not consensus: two nodes with the same bodies reach the same
// tip once neither has work left.
const (
	// MaxBatchBodyBytes bounds the body bytes connected and disconnected
	// per mainchain block. The block that crosses it still completes.
	MaxBatchBodyBytes = 1_000_000

	// MaxBatchBlocks bounds the sideblocks connected and disconnected
	// per mainchain block.
	MaxBatchBlocks = 1000
)

// Result is what one mainchain block did to the sidechain.
type Result struct {
	// MainHeight is the mainchain block.
	MainHeight int32

	// Published is the header the block's publication added to the
	// index, or nil: no publication, or one that was ignored.
	Published *chainhash.Hash

	// Ignored is why the publication was ignored (a RuleError with
	// ErrUnknownParent or ErrDuplicatePublication), or nil.
	Ignored error

	// Disconnected are the blocks that left the best chain, tip first,
	// and Connected the blocks that joined it, oldest first: the net
	// change from the tip before the block to the tip after it. Blocks
	// tried and undone inside the same batch appear in neither.
	Disconnected []chainhash.Hash
	Connected    []chainhash.Hash

	// Invalidated are the headers marked StatusInvalid or
	// StatusInvalidAncestor; DroppedBodies the headers whose staged copy
	// of the body failed a check that does not condemn the header (the
	// node asks peers again; see MissingBodies).
	Invalidated   []chainhash.Hash
	DroppedBodies []chainhash.Hash

	// Reasons holds, for the blocks this batch found invalid (not their
	// descendants), the rule error each broke.
	Reasons map[chainhash.Hash]error

	// Refused are the switches of the best chain that the reorg guard
	// (SetNotarizations) refused in this batch, each with its rule error
	// (a *notarize.RuleError).
	Refused []RefusedReorg

	// Deferred tells that fork choice stopped at MaxBatchBodyBytes or
	// MaxBatchBlocks with work left; it resumes at the next mainchain
	// block.
	Deferred bool

	// NewTip is the best chain's tip after the block, and TipHeight its
	// sidechain height (−1 and the zero hash for an empty chain).
	NewTip    chainhash.Hash
	TipHeight int32
}

// Chain is the sidechain's chain state: the index of published headers,
// fork choice, the UTXO set of the best chain and the staged bodies. Every
// change to the index, the UTXO set and the best chain happens inside a
// mainchain block's store batch (ConnectMainBlock), so that the store's
// undo log rolls all of it back with the mainchain block. Bodies arrive at
// any time and are staged outside the batches (StageBody).
//
// A Chain is safe for concurrent use. Its methods that read the store use
// DB.View; none of them may be called from inside a store callback, except
// ConnectMainBlock, NewBlockTemplate and ChainTipAt, which take the
// callback's Writer or Reader.
type Chain struct {
	db       *store.DB
	params   *chainparams.Params
	engine   Engine
	deposits Deposits // nil: no deposit is ever due

	mu sync.Mutex

	// tip caches the committed tip when tipLoaded. While a batch is in
	// flight (inBatch: ConnectMainBlock ran and neither Committed nor
	// DisconnectMainBlock followed), Tip reads the store instead.
	tip       tipState
	tipLoaded bool
	inBatch   bool
	batchTip  tipState
	batchRes  *Result
	batchLogs []func() // the batch's log lines, for Committed
	gen       uint64   // bumped whenever the committed tip may change

	// notices are published headers whose body StageBody staged since a
	// batch last looked at them, with a sequence number; taken are those
	// the last batch looked at. rescan asks the next batch to look at
	// every header whose body is missing: at start, after a mainchain
	// block was undone or a batch failed.
	notices   map[chainhash.Hash]uint64
	noticeSeq uint64
	taken     map[chainhash.Hash]uint64
	rescan    bool

	// ownClock is set for an engine whose blocks are not published on
	// the mainchain (NewOwnClockChain): batches admit staged blocks to
	// the index (ownclock.go). genesis is its first block; waiting are
	// staged blocks a batch looked at and could not admit yet.
	ownClock bool
	genesis  chainhash.Hash
	waiting  map[chainhash.Hash]struct{}

	// deferred tells that the last batch left fork-choice work for
	// later (Result.Deferred): an own-clock chain, which has no
	// mainchain block to wait for, goes on in the next amendment
	// (Arrived).
	deferred bool

	// reasons are the rule errors of blocks found invalid lately
	// (InvalidReason).
	reasons map[chainhash.Hash]error

	// validated, when set, is told how long each body that fork choice
	// validated and connected took (SetValidationHook).
	validated func(time.Duration)

	// notarizations gives the last notarization that counts, for the
	// reorg guard; nil on a network without notaries.
	notarizations Notarizations
}

// NewChain opens the chain state kept in db for the network params, with
// the mainstake engine, and loads the tip into memory.
func NewChain(db *store.DB, params *chainparams.Params) (*Chain, error) {
	return NewChainWithEngine(db, params, MainstakeEngine{})
}

// NewChainWithEngine is NewChain with another consensus engine. The engine
// must stay the same for the life of a data dir: its fork-choice keys are
// stored.
func NewChainWithEngine(db *store.DB, params *chainparams.Params, engine Engine) (*Chain, error) {
	c := &Chain{
		db:      db,
		params:  params,
		engine:  engine,
		notices: make(map[chainhash.Hash]uint64),
		rescan:  true,
	}
	var tip tipState
	err := db.View(func(r store.Reader) error {
		var err error
		tip, err = readTip(r)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sideblock: loading the tip: %w", err)
	}
	c.tip, c.tipLoaded = tip, true
	log.Infof("Sidechain tip %v at height %d (engine %s)", tip.hash,
		tip.height, engine.Name())
	return c, nil
}

// SetDeposits gives the chain the mainchain deposits it must mint; call it
// before the first ConnectMainBlock. Without it no block may mint.
func (c *Chain) SetDeposits(d Deposits) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deposits = d
}

// SetValidationHook makes the chain call fn with the time it took to
// validate a sideblock body and connect it to the best chain, once for each
// body that fork choice validates and connects (not for a block reconnected
// after a reorg, which is not validated again). fn runs inside the
// mainchain block's batch with the chain locked: it must be quick and must
// not call the Chain. A nil fn removes the hook.
func (c *Chain) SetValidationHook(fn func(time.Duration)) {
	c.mu.Lock()
	c.validated = fn
	c.mu.Unlock()
}

// SetNotarizations turns the reorg guard on (guard.go): from then on, fork
// choice refuses every switch of the best chain that notarize.CheckReorg
// refuses against the last notarization n gives. Call it before the first
// ConnectMainBlock or ConnectArrived.
func (c *Chain) SetNotarizations(n Notarizations) {
	c.mu.Lock()
	c.notarizations = n
	c.mu.Unlock()
}

// Params returns the chain's network parameters.
func (c *Chain) Params() *chainparams.Params { return c.params }

// Engine returns the chain's consensus engine.
func (c *Chain) Engine() Engine { return c.engine }

// ConnectMainBlock applies mainchain block mainHeight to the sidechain,
// inside that block's store batch w: it adds the block's publication pub
// (nil if the block has none) to the index, looks at the bodies staged
// since the last block, and runs fork choice, connecting and disconnecting
// sideblocks through w. It uses only w, never other DB methods.
//
// An error is a storage or internal error: the caller must not commit the
// batch, and must call DisconnectMainBlock(mainHeight). Rule violations
// are not errors; they are in the Result. After the batch commits, the
// caller calls Committed.
func (c *Chain) ConnectMainBlock(w *store.Writer, mainHeight int32, pub *mainstake.Publication) (*Result, error) {
	if got := w.Block().Height; got != mainHeight {
		return nil, fmt.Errorf("sideblock: ConnectMainBlock(%d) in the "+
			"batch of block %d", mainHeight, got)
	}
	if pub != nil && pub.Height != mainHeight {
		return nil, fmt.Errorf("sideblock: publication of block %d "+
			"passed with block %d", pub.Height, mainHeight)
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	return c.runBatch(w, mainHeight, pub)
}

// runBatch is the batch of ConnectMainBlock and ConnectStaged, with c.mu
// held: the publication, if any, the bodies staged since the last batch,
// and fork choice.
func (c *Chain) runBatch(w *store.Writer, mainHeight int32, pub *mainstake.Publication) (*Result, error) {
	c.inBatch = true
	c.batchRes = nil
	c.batchLogs = nil
	c.gen++

	b, err := newBatch(c, w, mainHeight)
	if err != nil {
		return nil, err
	}
	if pub != nil {
		if c.ownClock {
			return nil, errors.New("sideblock: a publication passed " +
				"to an own-clock chain")
		}
		if err := b.publish(pub); err != nil {
			return nil, err
		}
	}

	// Bodies staged since the last batch, and after a restart or an
	// undone block every header still missing its body.
	look := make(map[chainhash.Hash]uint64, len(c.notices))
	for h, seq := range c.notices {
		look[h] = seq
	}
	if c.rescan {
		err := w.Iterate(keyMissingPrefix, func(k, _ []byte) error {
			var h chainhash.Hash
			copy(h[:], k[len(keyMissingPrefix):])
			if _, ok := look[h]; !ok {
				look[h] = 0
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if c.ownClock {
		if err := b.admitStaged(look, c.rescan); err != nil {
			return nil, err
		}
	} else {
		for _, h := range sortedHashes(look) {
			if err := b.bodyArrived(h); err != nil {
				return nil, err
			}
		}
	}

	if err := b.forkChoice(); err != nil {
		return nil, err
	}
	if err := b.finish(); err != nil {
		return nil, err
	}

	c.rescan = false
	c.deferred = b.res.Deferred
	c.taken = look
	c.batchTip = b.tip
	c.batchRes = b.res
	c.batchLogs = b.logs
	return b.res, nil
}

// Arrived reports whether bodies of published headers were staged since a
// batch last looked at them (or every missing body is to be looked at
// again): whether ConnectStaged may have work.
func (c *Chain) Arrived() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.notices) > 0 || c.rescan || (c.ownClock && c.deferred)
}

// ConnectStaged connects the bodies staged since the last batch without
// waiting for the next mainchain block: inside an amendment of the tip
// mainchain block (store.DB.AmendTip, whose Writer w is), it looks at
// those bodies and runs fork choice as ConnectMainBlock does, with no
// publication. The store merges what it writes into the tip block's undo
// record and state hash, so the state is the one that block's batch would
// have left had the bodies been staged before it, and undoing the block
// undoes the connection too. It uses only w.
//
// As for ConnectMainBlock, an error means the caller must not commit and
// must call DisconnectMainBlock(w.Block().Height); after the commit it
// calls Committed. The caller serializes it with the mainchain blocks'
// batches: ConnectStaged refuses to run between a ConnectMainBlock and its
// Committed or DisconnectMainBlock.
func (c *Chain) ConnectStaged(w *store.Writer) (*Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inBatch {
		return nil, errBatchInFlight
	}
	return c.runBatch(w, w.Block().Height, nil)
}

// errBatchInFlight is ConnectStaged's refusal to run while a mainchain
// block's batch is in flight.
var errBatchInFlight = errors.New("sideblock: ConnectStaged while the batch " +
	"of a mainchain block is in flight")

// ConnectArrived is ConnectStaged in its own amendment of the store's tip
// block, followed by Committed, or by DisconnectMainBlock if it failed. It
// returns nil when no body arrived since the last batch (Arrived), when
// the mainchain is empty, or, if the caller did not serialize it, when a
// mainchain block's batch is in flight (that batch or the next one takes
// the bodies up). The caller serializes it with the mainchain blocks'
// batches, as for ConnectStaged; it must not be called from inside a store
// callback.
func (c *Chain) ConnectArrived() (*Result, error) {
	if !c.Arrived() {
		return nil, nil
	}
	tip, err := c.db.Tip()
	if err != nil || tip.Height < 0 {
		return nil, err
	}
	var res *Result
	err = c.db.AmendTip(tip, func(w *store.Writer) error {
		var err error
		res, err = c.ConnectStaged(w)
		return err
	})
	if errors.Is(err, errBatchInFlight) {
		// That batch's Committed keeps the notice for the next one.
		return nil, nil
	}
	if err != nil {
		if derr := c.DisconnectMainBlock(tip.Height); derr != nil {
			return nil, fmt.Errorf("%w; and after it: %v", err, derr)
		}
		return nil, err
	}
	if err := c.Committed(); err != nil {
		return res, err
	}
	return res, nil
}

// Committed tells the chain that the batch of the last ConnectMainBlock
// was committed. It moves the tip cache to the new tip, forgets the
// notices that batch handled, writes the batch's log lines, and prunes
// staged bodies that can no longer be used (PruneStaged). Call it after every successful DB.ConnectBlock
// whose callback called ConnectMainBlock, outside any store callback.
//
// A node that never calls it stays correct: Tip then reads the store on
// every call and notices are looked at again; but staged bodies are never
// pruned.
func (c *Chain) Committed() error {
	c.mu.Lock()
	res := c.batchRes
	if c.inBatch && res != nil {
		c.tip, c.tipLoaded = c.batchTip, true
	}
	c.keepReasons(res)
	for h, seq := range c.taken {
		if c.notices[h] == seq {
			delete(c.notices, h)
		}
	}
	c.taken = nil
	c.inBatch = false
	c.batchRes = nil
	logs := c.batchLogs
	c.batchLogs = nil
	c.gen++
	c.mu.Unlock()
	for _, l := range logs {
		l()
	}
	return c.PruneStaged(res)
}

// DisconnectMainBlock tells the chain that the store undid mainchain block
// height, or that the batch of block height failed. The store's undo log
// has already restored the index, the UTXO set and the best chain; the
// chain drops its tip cache (Tip reloads it) and has the next batch look
// at every header whose body is missing. It does not touch the store.
func (c *Chain) DisconnectMainBlock(height int32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tipLoaded = false
	c.inBatch = false
	c.batchRes = nil
	c.batchLogs = nil
	c.taken = nil
	c.rescan = true
	c.gen++
	log.Debugf("Mainchain block %d undone or its batch failed: sidechain "+
		"tip will be reloaded", height)
	return nil
}

// Tip returns the best chain's tip and its sidechain height; ok is false
// for an empty chain.
func (c *Chain) Tip() (hash chainhash.Hash, height int32, ok bool) {
	t, err := c.tipState()
	if err != nil {
		log.Errorf("Reading the sidechain tip: %v", err)
		return chainhash.Hash{}, -1, false
	}
	return t.hash, t.height, t.height >= 0
}

// Minted returns how many mainchain deposits the best chain has minted:
// the deposits 0 to Minted()−1, in mint order.
func (c *Chain) Minted() (uint64, error) {
	t, err := c.tipState()
	return t.minted, err
}

// tipState returns the committed tip, from the cache when it is valid. It
// never holds c.mu while it reads the store: a batch in flight may be
// waiting for c.mu inside the store.
func (c *Chain) tipState() (tipState, error) {
	c.mu.Lock()
	if c.tipLoaded && !c.inBatch {
		t := c.tip
		c.mu.Unlock()
		return t, nil
	}
	gen := c.gen
	c.mu.Unlock()

	var t tipState
	err := c.db.View(func(r store.Reader) error {
		var err error
		t, err = readTip(r)
		return err
	})
	if err != nil {
		return emptyTip, err
	}
	c.mu.Lock()
	if !c.inBatch && c.gen == gen {
		c.tip, c.tipLoaded = t, true
	}
	c.mu.Unlock()
	return t, nil
}

// ChainTip is the best chain's tip as a store snapshot shows it.
type ChainTip struct {
	Hash          chainhash.Hash
	Height        int32  // −1: empty chain
	LotteryHeight int32  // −1: empty chain
	Minted        uint64 // deposits the best chain minted
}

// ChainTipAt returns the tip as r shows it. r may be a batch Writer.
func ChainTipAt(r store.Reader) (ChainTip, error) {
	t, err := readTip(r)
	return ChainTip{Hash: t.hash, Height: t.height, LotteryHeight: t.lotteryHeight,
		Minted: t.minted}, err
}

// UtxoValueAt returns the value of every unspent output of the best chain
// as r shows it: the sidechain's coins. It reads the whole set.
func UtxoValueAt(r store.Reader) (int64, error) {
	var sum int64
	err := r.Iterate(keyUtxoPrefix, func(k, v []byte) error {
		u, err := decodeUtxo(v)
		if err != nil {
			return err
		}
		sum += u.Value
		return nil
	})
	return sum, err
}

// Block returns a block and its index entry. info is nil if the header is
// not published (the block is only staged); block is nil if its body is
// not staged. If neither exists the error is ErrBlockNotFound.
func (c *Chain) Block(hash chainhash.Hash) (*Block, *BlockInfo, error) {
	var (
		block *Block
		info  *BlockInfo
	)
	err := c.db.View(func(r store.Reader) error {
		rec, ok, err := getRecord(r, hash)
		if err != nil {
			return err
		}
		if ok {
			info = &rec.BlockInfo
		}
		sb, ok, err := loadStaged(r, hash)
		if err != nil {
			return err
		}
		if ok {
			block, err = sb.block()
			if err != nil {
				// A stored body that does not decode is no
				// body; the chain state drops it when it
				// tries to connect it.
				block = nil
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if block == nil && info == nil {
		return nil, nil, ruleErrorf(ErrBlockNotFound, "block %v is "+
			"neither published nor staged", hash)
	}
	return block, info, nil
}

// HashAt returns the hash of the best chain's block at a sidechain height,
// or ErrBlockNotFound.
func (c *Chain) HashAt(height int32) (chainhash.Hash, error) {
	var h chainhash.Hash
	err := c.db.View(func(r store.Reader) error {
		if height < 0 {
			return store.ErrNotFound
		}
		v, err := r.Get(bestKey(height))
		if err != nil {
			return err
		}
		copy(h[:], v)
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return h, ruleErrorf(ErrBlockNotFound, "no best-chain block "+
			"at height %d", height)
	}
	return h, err
}

// MissingBodies returns the published headers whose body is missing (not
// staged, or the staged copy failed), in hash order: the node asks its
// peers for them and stages what they send. Headers known invalid are not
// listed.
func (c *Chain) MissingBodies() ([]chainhash.Hash, error) {
	var out []chainhash.Hash
	err := c.db.View(func(r store.Reader) error {
		return r.Iterate(keyMissingPrefix, func(k, _ []byte) error {
			var h chainhash.Hash
			copy(h[:], k[len(keyMissingPrefix):])
			out = append(out, h)
			return nil
		})
	})
	return out, err
}

// Utxo returns an unspent output of the best chain.
func (c *Chain) Utxo(op wire.OutPoint) (*Utxo, bool, error) {
	var (
		u  *Utxo
		ok bool
	)
	err := c.db.View(func(r store.Reader) error {
		v := &storeView{r: r}
		u, ok = v.FetchUtxo(op)
		return v.err
	})
	return u, ok, err
}

// StateHash returns SHA256 over the tip (hash and height) and every unspent
// output (outpoint, value, height, coinbase flag, script) in outpoint
// order. Two nodes on the same best chain have the same state hash,
// whatever their history of reorgs, missing bodies and restarts.
func (c *Chain) StateHash() (chainhash.Hash, error) {
	var sum chainhash.Hash
	err := c.db.View(func(r store.Reader) error {
		var err error
		sum, err = StateHashAt(r)
		return err
	})
	return sum, err
}

// StateHashAt is StateHash on a store snapshot; r may be a batch Writer.
func StateHashAt(r store.Reader) (chainhash.Hash, error) {
	var sum chainhash.Hash
	tip, err := readTip(r)
	if err != nil {
		return sum, err
	}
	h := sha256.New()
	h.Write([]byte("PMS/sidestate"))
	h.Write(tip.hash[:])
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(tip.height))
	h.Write(n[:])
	err = r.Iterate(keyUtxoPrefix, func(k, v []byte) error {
		binary.BigEndian.PutUint32(n[:], uint32(len(v)))
		h.Write(k[len(keyUtxoPrefix):])
		h.Write(n[:])
		h.Write(v)
		return nil
	})
	copy(sum[:], h.Sum(nil))
	return sum, err
}

// MissingAhead returns the published headers whose body is missing and
// that fork choice would prefer to the best chain's tip, as r shows it, in
// hash order: the bodies that would move the tip if they arrived. A
// producer that builds on the tip while one of them is missing builds on a
// parent its peers may have left already. Headers known invalid are never
// missing. O(missing headers).
func (c *Chain) MissingAhead(r store.Reader) ([]chainhash.Hash, error) {
	tip, err := readTip(r)
	if err != nil {
		return nil, err
	}
	var tipKey []byte
	if tip.height >= 0 {
		rec, ok, err := getRecord(r, tip.hash)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("sideblock: index has no record of "+
				"the tip %v", tip.hash)
		}
		tipKey = c.engine.ForkChoiceKey(&rec.BlockInfo)
	}
	var missing []chainhash.Hash
	err = r.Iterate(keyMissingPrefix, func(k, _ []byte) error {
		var h chainhash.Hash
		copy(h[:], k[len(keyMissingPrefix):])
		missing = append(missing, h)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []chainhash.Hash
	for _, h := range missing {
		rec, ok, err := getRecord(r, h)
		if err != nil {
			return nil, err
		}
		if !ok || rec.Status.Invalid() {
			continue
		}
		if tipKey == nil || bytes.Compare(c.engine.ForkChoiceKey(&rec.BlockInfo), tipKey) < 0 {
			out = append(out, h)
		}
	}
	return out, nil
}
