package powchain

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/pow/miner"
	"github.com/mainstake/sidenode/pow/powhash"
	"github.com/mainstake/sidenode/pow/powparams"
	"github.com/mainstake/sidenode/pow/randomx"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// BlockVersion is the version of the headers BlockTemplate builds.
const BlockVersion = 0x20000000

// Mempool gives the transactions a template takes, best first, within a
// size; *sideblock.Mempool is one.
type Mempool interface {
	Select(maxBytes int) []*wire.MsgTx
}

// Config is what a Chain needs.
type Config struct {
	// Params is the network; its engine must be PoW.
	Params *chainparams.Params

	// DB is the node's store; the chain state lives in it.
	DB *store.DB

	// Verifier checks proof of work; nil means SHA-256d for a network
	// that mines SHA-256d alone, and otherwise powhash's verifiers by
	// height (RandomX in light mode).
	Verifier headerchain.Verifier

	// Now is the clock for the future-time limit and templates; nil
	// means time.Now.
	Now func() time.Time

	// RandomXSchedule is the RandomX key rotation of the default
	// Verifier; zero means Monero's (randomx.MoneroSchedule: a new key
	// every 2048 blocks, 64 blocks after the epoch's boundary). Tests
	// set short epochs to cross key switches in a few blocks.
	RandomXSchedule randomx.Schedule

	// MiningRandomXFull makes BlockTemplate's PowValue hash RandomX in
	// full mode (a 2 GiB dataset per key, built on first use, about ten
	// times the hashes per second of light mode), as a miner should; the
	// node's verification stays in light mode. False mines in light
	// mode: small machines and tests.
	MiningRandomXFull bool
}

// Chain is the pow sidechain's front door and engine. It is safe for
// concurrent use.
type Chain struct {
	params *chainparams.Params
	db     *store.DB
	index  *headerchain.Index
	diff   *powparams.Difficulty
	side   *sideblock.Chain
	front  *powhash.Front // the default Verifier's, nil for SHA-256d alone

	// mineFront hashes templates: front, or with MiningRandomXFull a
	// front of its own in RandomX's full mode.
	mineFront *powhash.Front
	now       func() time.Time

	// connect, set by SetConnector, connects what was staged (the
	// node's serialized sideblock.Chain.ConnectArrived).
	mu      sync.Mutex
	connect func()
	pool    Mempool
	payout  []byte    // what MiningTemplate's coinbases pay
	cached  *Template // MiningTemplate's, until the template changes

	changes changes
}

// New builds the header index and the chain state of a pow network.
// Restore must run before the node follows the mainchain.
func New(cfg Config) (*Chain, error) {
	p := cfg.Params
	if p == nil || p.Engine != chainparams.PoW || p.Pow == nil {
		return nil, errors.New("powchain: the network does not run the pow engine")
	}
	diff, err := powparams.New(p.Pow)
	if err != nil {
		return nil, err
	}
	genesis, err := powparams.Genesis(p)
	if err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	verifier := cfg.Verifier
	var seeds *lateSeeds
	var front *powhash.Front
	if verifier == nil && !onlySHA256d(p.Pow) {
		var fv frontVerifier
		if fv, seeds, err = newFront(p, cfg.RandomXSchedule, randomx.Config{}); err != nil {
			return nil, err
		}
		verifier, front = fv, fv.front
	}
	index, err := headerchain.New(headerchain.Config{
		Params:     powparams.IndexParams(p.Pow),
		Chain:      p,
		Genesis:    genesis,
		Difficulty: diff,
		Verifier:   verifier,
		Now:        now,
	})
	if err != nil {
		return nil, err
	}
	if seeds != nil {
		seeds.index = index
	}
	mineFront := front
	if front != nil && cfg.MiningRandomXFull {
		mf, mseeds, err := newFront(p, cfg.RandomXSchedule, randomx.Config{Full: true})
		if err != nil {
			return nil, err
		}
		mseeds.index = index
		mineFront = mf.front
	}
	c := &Chain{params: p, db: cfg.DB, index: index, diff: diff, now: now,
		front: front, mineFront: mineFront}
	side, err := sideblock.NewOwnClockChain(cfg.DB, p, Engine{index: index},
		sideBlock(genesis))
	if err != nil {
		return nil, err
	}
	c.side = side
	return c, nil
}

// Side returns the chain state.
func (c *Chain) Side() *sideblock.Chain { return c.side }

// Index returns the header index.
func (c *Chain) Index() *headerchain.Index { return c.index }

// SetConnector sets what AcceptBlock calls after it staged blocks: the
// node's serialized ConnectArrived. Without it the next mainchain block's
// batch takes them up.
func (c *Chain) SetConnector(connect func()) {
	c.mu.Lock()
	c.connect = connect
	c.mu.Unlock()
}

// SetMempool sets where templates take their transactions from.
func (c *Chain) SetMempool(pool Mempool) {
	c.mu.Lock()
	c.pool = pool
	c.mu.Unlock()
}

// sideBlock returns the chain state's form of a block.
func sideBlock(b *headerchain.Block) *sideblock.Block {
	return &sideblock.Block{Header: sideblock.NewPowHeader(&b.Header),
		Transactions: b.Transactions}
}

// Restore hands the header index every block the store holds, lowest
// height first. A block the index refuses (the rules of this build
// changed, or the store was damaged) is logged and left out.
func (c *Chain) Restore() error {
	start := time.Now()
	var n, refused int
	last := time.Now()
	err := c.side.StagedBlocks(func(b *sideblock.Block) error {
		if b.Header.Pow == nil {
			return nil
		}
		hb := &headerchain.Block{Header: *b.Header.Wire(), Transactions: b.Transactions}
		if hb.BlockHash() == c.side.GenesisHash() {
			return nil
		}
		if _, err := c.index.ProcessBlock(hb); err != nil {
			if _, ok := headerchain.ErrorCodeOf(err); !ok || !errors.Is(err, headerchain.ErrDuplicateBlock) {
				refused++
				log.Warnf("Stored block %v is refused by the header "+
					"index: %v", hb.BlockHash(), err)
			}
			return nil
		}
		n++
		if time.Since(last) > 10*time.Second {
			last = time.Now()
			log.Infof("Loading stored sideblocks: %d so far", n)
		}
		return nil
	})
	if err != nil {
		return err
	}
	best := c.index.Best()
	log.Infof("Loaded %d stored sideblocks (%d refused) in %v; best "+
		"header %v at height %d", n, refused,
		time.Since(start).Round(time.Millisecond), best.Hash(), best.Height())
	return nil
}

// AcceptBlock takes a block from a miner or a peer. It returns the hashes
// of the blocks it stored (the block, and orphans it linked), which the
// caller announces to peers; none if the block went to the orphan pool. A
// rule violation is a headerchain.RuleError (or a sideblock.RuleError from
// staging); a known block is headerchain.ErrDuplicateBlock.
func (c *Chain) AcceptBlock(b *headerchain.Block) ([]chainhash.Hash, error) {
	hash := b.BlockHash()
	res, err := c.index.ProcessBlock(b)
	if err != nil {
		return nil, err
	}
	if res.Orphan {
		log.Debugf("Sideblock %v is an orphan (parent %v unknown)", hash,
			b.Header.PrevBlock)
		return nil, nil
	}
	stored := []*headerchain.Block{b}
	for _, n := range res.Connected {
		if ob := c.index.BlockOf(n); ob != nil {
			stored = append(stored, ob)
		}
	}
	var hashes []chainhash.Hash
	for _, sb := range stored {
		err := c.side.StageOwnBody(sideBlock(sb))
		if err != nil && !sideblock.IsErrorCode(err, sideblock.ErrBodyKnown) {
			return hashes, err
		}
		hashes = append(hashes, sb.BlockHash())
	}
	c.mu.Lock()
	connect := c.connect
	c.mu.Unlock()
	if connect != nil {
		connect()
	}
	return hashes, nil
}

// Block returns a block the node holds, for peers and the API.
func (c *Chain) Block(hash chainhash.Hash) (*headerchain.Block, bool) {
	n := c.index.Lookup(hash)
	if n == nil {
		return nil, false
	}
	b := c.index.BlockOf(n)
	return b, b != nil
}

// BlockTemplate implements miner.TemplateSource: a block on the chain
// state's tip that pays payout.
func (c *Chain) BlockTemplate(payout []byte) (*miner.Template, error) {
	c.mu.Lock()
	pool := c.pool
	c.mu.Unlock()
	var txs []*wire.MsgTx
	if pool != nil {
		txs = pool.Select(sideblock.TemplateTxBytes)
	}
	var tmpl *miner.Template
	err := c.db.View(func(r store.Reader) error {
		tip, err := sideblock.ChainTipAt(r)
		if err != nil {
			return err
		}
		if tip.Height < 0 {
			return errors.New("powchain: the genesis block is not " +
				"connected yet (the mainchain is still syncing)")
		}
		parent := c.index.Lookup(tip.Hash)
		if parent == nil {
			return fmt.Errorf("powchain: tip %v is not in the header "+
				"index", tip.Hash)
		}
		ref, err := c.mainRef(r, tip.Hash)
		if err != nil {
			return err
		}
		block, err := c.side.NewOwnClockTemplate(r, ref, payout, nil, txs)
		if err != nil {
			return err
		}
		bits, err := c.diff.NextBits(parent)
		if err != nil {
			return err
		}
		minTime := parent.MedianTimePast().Add(time.Second)
		if now := c.now().Truncate(time.Second); now.After(minTime) {
			minTime = now
		}
		tmpl = &miner.Template{
			Header: wire.BlockHeader{Version: BlockVersion,
				PrevBlock: tip.Hash, Bits: bits, Timestamp: minTime},
			Coinbase:     block.Transactions[0],
			Transactions: block.Transactions[1:],
		}
		height := parent.Height() + 1
		if era, ok := c.params.Pow.EraAt(height); ok && era.Algorithm != chainparams.SHA256d {
			if c.mineFront == nil {
				return fmt.Errorf("powchain: height %d mines %v, which "+
					"this node's verifier cannot hash for a miner",
					height, era.Algorithm)
			}
			front := c.mineFront
			tmpl.PowValue = func(h *wire.BlockHeader) (*big.Int, error) {
				v, _, err := front.PowValue(h, height)
				return v, err
			}
		}
		return nil
	})
	return tmpl, err
}

// mainRef picks the main reference of a block on tip: MainRefDepth blocks
// below the mainchain tip r shows, and never below the tip's own.
func (c *Chain) mainRef(r store.Reader, tip chainhash.Hash) (sideblock.MainRef, error) {
	mainTip, err := r.Tip()
	if err != nil {
		return sideblock.MainRef{}, err
	}
	h := mainTip.Height - c.params.Pow.MainRefDepth
	if h < 0 {
		return sideblock.MainRef{}, fmt.Errorf("powchain: the mainchain "+
			"has %d blocks, fewer than the main reference depth %d",
			mainTip.Height+1, c.params.Pow.MainRefDepth)
	}
	// In r: a Chain method would open a store read inside this one.
	info, found, err := sideblock.BlockInfoAt(r, tip)
	if err != nil {
		return sideblock.MainRef{}, err
	}
	if !found {
		return sideblock.MainRef{}, fmt.Errorf("powchain: tip %v has no "+
			"index record", tip)
	}
	if ref, ok := c.side.MainRefOf(info); ok && ref.Height > h {
		h = ref.Height
	}
	hash, err := r.HashAt(h)
	if err != nil {
		return sideblock.MainRef{}, err
	}
	return sideblock.MainRef{Height: h, Hash: hash}, nil
}

// Engine is the sideblock.Engine of a pow chain.
type Engine struct {
	index *headerchain.Index
}

var _ sideblock.Engine = Engine{}

// Name implements sideblock.Engine.
func (Engine) Name() string { return "pow" }

// ProductionHeight implements sideblock.Engine; a pow chain has no
// publications, so it is never asked.
func (Engine) ProductionHeight(pubHeight int32) int32 { return pubHeight }

// Producer implements sideblock.Engine: anyone may mine, nobody is drawn.
func (Engine) Producer(store.Reader, int32) (*sideblock.Producer, bool, error) {
	return nil, false, nil
}

// errMined is Seal's answer: pow blocks are sealed by mining.
var errMined = errors.New("powchain: pow blocks are sealed by mining, not by the producer")

// Seal implements sideblock.Engine.
func (Engine) Seal(context.Context, *sideblock.Block) ([]byte, error) {
	return nil, errMined
}

// Candidates implements sideblock.Engine: none. The pow engine's
// federation is the notary set of the season (docs/protocol.md §9.0),
// which this network does not have, so its peg is off.
func (Engine) Candidates(store.Reader) ([]sideblock.Candidate, error) {
	return nil, nil
}

// workKeyLen is the room for cumulative work in a fork-choice key: 40
// bytes, far above any sum of 256-bit works; a larger sum saturates.
const workKeyLen = 40

// ForkChoiceKey implements sideblock.Engine: the cumulative work,
// inverted so that more work sorts first (workKeyLen bytes), then the block hash
// as a big-endian number, so that at equal work the lower hash read as a
// number sorts first, as the header index orders tips. A block the index
// does not hold sorts last.
func (e Engine) ForkChoiceKey(info *sideblock.BlockInfo) []byte {
	k := make([]byte, workKeyLen+chainhash.HashSize)
	work := new(big.Int)
	if n := e.index.Lookup(info.Hash); n != nil {
		work = n.WorkSum()
	}
	if work.BitLen() > 8*workKeyLen {
		work.Lsh(big.NewInt(1), 8*workKeyLen)
		work.Sub(work, big.NewInt(1))
	}
	work.FillBytes(k[:workKeyLen])
	for i := range k[:workKeyLen] {
		k[i] = ^k[i]
	}
	for i := 0; i < chainhash.HashSize; i++ {
		k[workKeyLen+i] = info.Hash[chainhash.HashSize-1-i]
	}
	return k
}

// ChainWork returns the cumulative work of a block the header index holds,
// or nil: the chain state names it when the reorg guard refuses a chain
// (sideblock.RefusedReorg).
func (e Engine) ChainWork(hash chainhash.Hash) *big.Int {
	if n := e.index.Lookup(hash); n != nil {
		return n.WorkSum()
	}
	return nil
}

// Work returns the cumulative work of a block the index holds, or nil.
func (c *Chain) Work(hash chainhash.Hash) *big.Int {
	if n := c.index.Lookup(hash); n != nil {
		return n.WorkSum()
	}
	return nil
}
