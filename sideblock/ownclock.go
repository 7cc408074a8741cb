package sideblock

import (
	"errors"
	"fmt"
	"sort"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/store"
)

// NewOwnClockChain opens the chain state of an engine whose sideblocks are
// not published on the mainchain but come from miners or proposers, with a
// clock of their own (docs/protocol.md §9.0): pow today. genesis is the
// network's first sideblock, the only one whose parent is the zero hash; it
// is trusted, and staged here if it is not yet.
//
// Such a chain has no publications. The node stages every block it
// accepts (StageOwnBody, once the engine has checked its header), and the
// batches admit staged blocks to the index (admitStaged): a block is
// admitted once its parent is, and once its coinbase's main reference is a
// block of the mainchain as the batch's mainchain block sees it. The index
// of an own-clock chain is local knowledge (which branches this node has
// seen), so the node keeps the index keys out of the state hash; the best
// chain, the UTXO set and what the blocks spent stay covered.
func NewOwnClockChain(db *store.DB, params *chainparams.Params, engine Engine, genesis *Block) (*Chain, error) {
	c, err := NewChainWithEngine(db, params, engine)
	if err != nil {
		return nil, err
	}
	c.ownClock = true
	c.genesis = genesis.BlockHash()
	c.waiting = make(map[chainhash.Hash]struct{})
	var has bool
	err = db.View(func(r store.Reader) error {
		var err error
		_, has, err = loadStaged(r, c.genesis)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !has {
		if err := c.StageOwnBody(genesis); err != nil {
			return nil, fmt.Errorf("sideblock: staging the genesis "+
				"block: %w", err)
		}
	}
	return c, nil
}

// OwnClock reports whether the chain's blocks have a clock of their own
// (NewOwnClockChain).
func (c *Chain) OwnClock() bool { return c.ownClock }

// GenesisHash returns the first block of an own-clock chain (the zero hash
// under mainstake, whose first block is the first one published).
func (c *Chain) GenesisHash() chainhash.Hash { return c.genesis }

// admitStaged admits the staged blocks of look, those still waiting, and,
// on a rescan, every staged block, to the index of an own-clock chain:
// lowest coinbase height first, and again while any block is admitted, so
// that a branch staged in one go is admitted in one batch.
func (b *batch) admitStaged(look map[chainhash.Hash]uint64, rescan bool) error {
	c := b.c
	type cand struct {
		hash   chainhash.Hash
		height int32
	}
	seen := make(map[chainhash.Hash]bool)
	var cands []cand
	add := func(h chainhash.Hash) error {
		if seen[h] {
			return nil
		}
		seen[h] = true
		s, has, err := loadStaged(b.w, h)
		if err != nil || !has {
			if _, noticed := look[h]; noticed && err == nil {
				b.unseen[h] = true
			}
			delete(c.waiting, h)
			return err
		}
		cands = append(cands, cand{h, s.lotteryHeight})
		return nil
	}
	for h := range look {
		if err := add(h); err != nil {
			return err
		}
	}
	for h := range c.waiting {
		if err := add(h); err != nil {
			return err
		}
	}
	if rescan {
		err := b.w.Iterate(keyStagedPrefix, func(k, _ []byte) error {
			var h chainhash.Hash
			copy(h[:], k[len(keyStagedPrefix)+4:])
			if seen[h] {
				return nil
			}
			_, ok, err := b.getRecord(h)
			if err != nil || ok {
				return err
			}
			return add(h)
		})
		if err != nil {
			return err
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].height != cands[j].height {
			return cands[i].height < cands[j].height
		}
		return string(cands[i].hash[:]) < string(cands[j].hash[:])
	})
	for progress := true; progress; {
		progress = false
		rest := cands[:0]
		for _, cd := range cands {
			done, err := b.admit(cd.hash)
			if err != nil {
				return err
			}
			if done {
				delete(c.waiting, cd.hash)
				progress = true
				continue
			}
			c.waiting[cd.hash] = struct{}{}
			rest = append(rest, cd)
		}
		cands = rest
	}
	return nil
}

// noMainRef is the main reference height of the genesis block, which
// names none.
const noMainRef = -1

// admit adds a staged block to the index of an own-clock chain. done is
// false when the block must wait: its parent is not admitted yet, or its
// main reference is not on the mainchain as the batch sees it (a later
// block, or a mainchain reorg, may bring it). A block whose reference is
// malformed or lower than its parent's is admitted as invalid.
func (b *batch) admit(h chainhash.Hash) (done bool, err error) {
	if _, ok, err := b.getRecord(h); err != nil || ok {
		return ok, err
	}
	s, has, err := loadStaged(b.w, h)
	if err != nil || !has {
		return true, err
	}
	r := &record{}
	r.Hash = h
	r.PrevBlock = s.header.PrevBlock
	r.MerkleRoot = s.header.MerkleRoot
	r.PubHeight = noMainRef
	var parent *record
	var refErr error
	if s.header.PrevBlock == (chainhash.Hash{}) {
		if h != b.c.genesis {
			b.infof("Staged block %v has no parent and is not the "+
				"genesis block; ignored", h)
			return true, nil
		}
	} else {
		p, ok, err := b.getRecord(s.header.PrevBlock)
		if err != nil || !ok {
			return false, err
		}
		parent = p
		r.Height = p.Height + 1
		var ref MainRef
		block, derr := s.block()
		if derr == nil {
			ref, refErr = CheckMainRef(block, p.PubHeight)
		} else {
			refErr = derr
		}
		if refErr == nil {
			on, err := b.onMainchain(ref)
			if err != nil || !on {
				return false, err
			}
			r.PubHeight, r.PubTxID = ref.Height, ref.Hash
		}
	}
	r.LotteryHeight = r.Height

	usable := false
	switch {
	case parent != nil && parent.Status.Invalid():
		r.Status = StatusInvalidAncestor
		b.res.Invalidated = append(b.res.Invalidated, h)
	case refErr != nil:
		r.Status = StatusInvalid
		b.res.Invalidated = append(b.res.Invalidated, h)
		b.res.noteInvalid(h, refErr)
		b.infof("Sideblock %v is invalid: %v", h, refErr)
	default:
		r.Status = StatusBodyStaged
		usable = true
	}
	if parent != nil {
		if err := b.w.Set(childKey(parent.Hash, h), []byte{}); err != nil {
			return false, err
		}
	}
	if err := b.putRecord(r); err != nil {
		return false, err
	}
	log.Debugf("Sideblock %v admitted at height %d (main reference %d, %v)",
		h, r.Height, r.PubHeight, r.Status)
	if !usable {
		return true, nil
	}
	ok, err := b.parentConnectable(r)
	if err != nil || !ok {
		return true, err
	}
	return true, b.markConnectable(r)
}

// CheckMainRef checks the main reference of a block of an own-clock chain
// whose parent's reference is at mainchain height parentRef (noMainRef, −1,
// for the genesis block): the coinbase must carry one (ExtractMainRef), no
// lower than the parent's. It returns the reference, or a RuleError with
// ErrBadMainRef (ErrMissingCoinbaseHeight if the height push is bad).
// Whether the reference is on the mainchain is the chain state's question:
// a reference that is not is not invalid, only not yet (or no longer)
// usable.
func CheckMainRef(block *Block, parentRef int32) (MainRef, error) {
	if len(block.Transactions) == 0 {
		return MainRef{}, ruleError(ErrNoTransactions, "block has no coinbase")
	}
	ref, err := ExtractMainRef(block.Transactions[0])
	if err != nil {
		return MainRef{}, err
	}
	if ref.Height < parentRef {
		return MainRef{}, ruleErrorf(ErrBadMainRef, "main reference %v "+
			"is below the parent's, at mainchain height %d", ref,
			parentRef)
	}
	return ref, nil
}

// onMainchain reports whether ref names a block of the mainchain as the
// batch's mainchain block sees it: at most the batch's height, with the
// hash the store holds at that height.
func (b *batch) onMainchain(ref MainRef) (bool, error) {
	if ref.Height > b.mainHeight {
		return false, nil
	}
	if id := b.w.Block(); ref.Height == id.Height {
		return ref.Hash == id.Hash, nil
	}
	got, err := b.w.HashAt(ref.Height)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return got == ref.Hash, nil
}

// mintHeight is the mainchain height whose confirmations decide which
// deposits a block mints: its lottery height under mainstake, its main
// reference under an own-clock engine (docs/protocol.md §9.0).
func (c *Chain) mintHeight(info *BlockInfo) int32 {
	if c.ownClock {
		return info.PubHeight
	}
	return info.LotteryHeight
}

// MainRefOf returns the main reference of a block of an own-clock chain as
// its index holds it; ok is false for the genesis block and under
// mainstake.
func (c *Chain) MainRefOf(info *BlockInfo) (MainRef, bool) {
	if !c.ownClock || info.PubHeight < 0 {
		return MainRef{}, false
	}
	return MainRef{Height: info.PubHeight, Hash: info.PubTxID}, true
}

// mustRecordIn reads the index record of a block that must have one.
func mustRecordIn(r store.Reader, h chainhash.Hash) (*record, error) {
	rec, ok, err := getRecord(r, h)
	if err == nil && !ok {
		err = fmt.Errorf("sideblock: index has no record of %v", h)
	}
	return rec, err
}

// OwnClockLocalPrefixes are the key prefixes an own-clock chain writes in
// batches that are local knowledge rather than chain state: its index
// records and the tree of admitted blocks, which depend on what branches
// this node has seen. A node running such a chain opens its store with
// these among store.Options.LocalPrefixes, so that the state hash covers
// only the best chain, the UTXO set and what each connected block spent.
func OwnClockLocalPrefixes() [][]byte {
	return [][]byte{
		append([]byte(nil), keyRecordPrefix...),
		append([]byte(nil), keyChildPrefix...),
	}
}

// StagedBlocks calls fn with every staged block, lowest coinbase height
// first: for an own-clock chain, every block the node holds, so that a
// header index can be rebuilt at start. fn runs inside a store read and
// must not call the Chain or the store; an error from it stops the walk
// and is returned.
func (c *Chain) StagedBlocks(fn func(*Block) error) error {
	return c.db.View(func(r store.Reader) error {
		return r.Iterate(keyStagedPrefix, func(k, _ []byte) error {
			var h chainhash.Hash
			copy(h[:], k[len(keyStagedPrefix)+4:])
			s, has, err := loadStaged(r, h)
			if err != nil || !has {
				return err
			}
			b, err := s.block()
			if err != nil {
				log.Warnf("Staged block %v does not decode: %v", h, err)
				return nil
			}
			return fn(b)
		})
	})
}

// noteInvalid records the rule a block broke, for InvalidReason.
func (res *Result) noteInvalid(h chainhash.Hash, err error) {
	if res.Reasons == nil {
		res.Reasons = make(map[chainhash.Hash]error)
	}
	res.Reasons[h] = err
}

// maxReasons bounds the rule errors a chain remembers for InvalidReason.
const maxReasons = 256

// keepReasons remembers the rule errors of a committed result. Called
// with c.mu held.
func (c *Chain) keepReasons(res *Result) {
	if res == nil || len(res.Reasons) == 0 {
		return
	}
	if c.reasons == nil || len(c.reasons)+len(res.Reasons) > maxReasons {
		c.reasons = make(map[chainhash.Hash]error)
	}
	for h, err := range res.Reasons {
		c.reasons[h] = err
	}
}

// InvalidReason returns the rule error that made a block invalid, if this
// node found it out recently (the last few hundred); nil otherwise. The
// index's status (Block) says whether a block is invalid; this says why,
// for a miner that submitted it.
func (c *Chain) InvalidReason(h chainhash.Hash) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reasons[h]
}
