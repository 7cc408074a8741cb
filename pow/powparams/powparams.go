package powparams

import (
	"errors"
	"fmt"
	"math/big"
	"sync"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/pow/asert"
	hc "github.com/mainstake/sidenode/pow/headerchain"
)

// maxCachedAnchors bounds the cache of anchor parent times; it is emptied
// when full.
const maxCachedAnchors = 4096

// Difficulty is the headerchain.Difficulty of a network's pow schedule. It
// is safe for concurrent use.
type Difficulty struct {
	p *chainparams.PowParams

	mu sync.Mutex
	// anchorTime maps the hash of a block at or above its era's
	// FromHeight to the anchor parent time of that era on its chain, so
	// that a chain's next block finds it from its grandparent without
	// walking back to the anchor.
	anchorTime map[chainhash.Hash]int64
}

var _ hc.Difficulty = (*Difficulty)(nil)

// New returns the Difficulty of the schedule p, which must pass Check and,
// era by era, asert.CheckParams.
func New(p *chainparams.PowParams) (*Difficulty, error) {
	if p == nil {
		return nil, errors.New("no pow parameters")
	}
	if err := p.Check(); err != nil {
		return nil, err
	}
	for i, era := range p.Schedule {
		anchor := asert.Anchor{Height: uint64(era.FromHeight), Bits: era.Bits}
		if err := asert.CheckParams(anchor, asertParams(era)); err != nil {
			return nil, fmt.Errorf("pow era %d: %w", i, err)
		}
	}
	return &Difficulty{p: p, anchorTime: make(map[chainhash.Hash]int64)}, nil
}

// NextBits returns the bits a child of parent must carry: the era's
// initial bits if the child is the era's first block, else aserti3-2d's
// target from the era's anchor and parent. Its errors are asert's
// configuration errors, which Check rules out.
func (d *Difficulty) NextBits(parent *hc.Node) (uint32, error) {
	height := parent.Height() + 1
	era, ok := d.p.EraAt(height)
	if !ok {
		return 0, fmt.Errorf("no pow era at height %d", height)
	}
	if height == era.FromHeight {
		return era.Bits, nil
	}
	anchor := asert.Anchor{
		Height:     uint64(era.FromHeight),
		ParentTime: d.anchorParentTime(parent, era),
		Bits:       era.Bits,
	}
	return asert.NextTarget(anchor, asertParams(era), uint64(parent.Height()),
		parent.Timestamp().Unix())
}

// CheckBits refuses, as a headerchain RuleError with code ErrBadBits that
// wraps asert's ErrBadDifficulty, a child of parent whose bits are not
// NextBits(parent).
func (d *Difficulty) CheckBits(parent *hc.Node, bits uint32) error {
	height := parent.Height() + 1
	era, ok := d.p.EraAt(height)
	if !ok {
		return fmt.Errorf("no pow era at height %d", height)
	}
	var err error
	if height == era.FromHeight {
		if bits != era.Bits {
			return hc.RuleError{ErrorCode: hc.ErrBadBits,
				Description: fmt.Sprintf("bits %08x at height %d, "+
					"the first block of a %v era must carry "+
					"%08x", bits, height, era.Algorithm, era.Bits)}
		}
		return nil
	}
	anchor := asert.Anchor{
		Height:     uint64(era.FromHeight),
		ParentTime: d.anchorParentTime(parent, era),
		Bits:       era.Bits,
	}
	err = asert.CheckBits(anchor, asertParams(era), uint64(parent.Height()),
		parent.Timestamp().Unix(), bits)
	if asert.IsErrorCode(err, asert.ErrBadDifficulty) {
		return hc.RuleError{ErrorCode: hc.ErrBadBits,
			Description: err.Error(), Err: err}
	}
	return err
}

// anchorParentTime returns the anchor parent time of era on the chain of
// parent, a block at or above the era's FromHeight.
func (d *Difficulty) anchorParentTime(parent *hc.Node, era chainparams.PowEra) int64 {
	if era.AnchorParentTime != 0 {
		return era.AnchorParentTime
	}
	hash := parent.Hash()
	d.mu.Lock()
	defer d.mu.Unlock()
	if t, ok := d.anchorTime[hash]; ok {
		return t
	}
	var t int64
	gp := parent.Parent()
	cached := false
	if parent.Height() > era.FromHeight {
		t, cached = d.anchorTime[gp.Hash()]
	}
	if !cached {
		t = parent.Ancestor(era.FromHeight - 1).Timestamp().Unix()
	}
	if len(d.anchorTime) >= maxCachedAnchors {
		clear(d.anchorTime)
	}
	d.anchorTime[hash] = t
	return t
}

func asertParams(era chainparams.PowEra) *asert.Params {
	return &asert.Params{
		HalfLife:       era.HalfLife,
		IdealBlockTime: era.IdealBlockTime,
		PowLimit:       era.PowLimit,
	}
}

// Genesis returns the genesis block of the pow network p.
func Genesis(p *chainparams.Params) (*hc.Block, error) {
	h, coinbase, err := p.PowGenesis()
	if err != nil {
		return nil, err
	}
	return &hc.Block{Header: *h, Transactions: []*wire.MsgTx{coinbase}}, nil
}

// IndexParams returns the header index's consensus parameters for the pow
// network p: the easiest pow limit of any era (each era's own limit is
// enforced by its difficulty, which never exceeds it) and the future-time
// limit.
func IndexParams(p *chainparams.PowParams) hc.Params {
	limit := new(big.Int)
	for _, e := range p.Schedule {
		if e.PowLimit != nil && e.PowLimit.Cmp(limit) > 0 {
			limit.Set(e.PowLimit)
		}
	}
	return hc.Params{PowLimit: limit, MaxFutureBlockTime: p.MaxFutureBlockTime}
}

// ScheduleOffset returns how many seconds parent, the tip, is behind the
// schedule of the era of its child (negative: ahead), as
// asert.ScheduleOffset counts it: 0 when the child starts an era, whose
// schedule has not begun.
func (d *Difficulty) ScheduleOffset(parent *hc.Node) (int64, error) {
	height := parent.Height() + 1
	era, ok := d.p.EraAt(height)
	if !ok {
		return 0, fmt.Errorf("no pow era at height %d", height)
	}
	if height == era.FromHeight {
		return 0, nil
	}
	anchor := asert.Anchor{
		Height:     uint64(era.FromHeight),
		ParentTime: d.anchorParentTime(parent, era),
		Bits:       era.Bits,
	}
	return asert.ScheduleOffset(anchor, asertParams(era), uint64(parent.Height()),
		parent.Timestamp().Unix())
}
