package powchain

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/pow/miner"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// mempoolSignalEvery bounds how often mempool growth changes the template
// (TemplateChanged): a new tip changes it at once, new transactions within
// this time of the last such change once when it is up, so that a stream
// of them does not keep miners restarting.
const mempoolSignalEvery = 100 * time.Millisecond

// changes is the template-changed signal: a channel closed and replaced at
// each change.
type changes struct {
	mu          sync.Mutex
	ch          chan struct{}
	lastMempool time.Time
	pending     bool // a signal for the mempool is scheduled
}

func (s *changes) current() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

func (s *changes) fire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
	}
	s.ch = make(chan struct{})
}

// TemplateChanged returns a channel that is closed when the template on
// the tip changes: a new tip (TipMoved), or transactions that pay more
// (MempoolGrew).
func (c *Chain) TemplateChanged() <-chan struct{} { return c.changes.current() }

// TipMoved tells the chain that the chain state's tip moved: templates on
// the old tip are stale.
func (c *Chain) TipMoved() {
	c.dropTemplate()
	c.changes.fire()
}

// MempoolGrew tells the chain that the mempool took a transaction: the
// template changes at once, unless it changed for the mempool less than
// mempoolSignalEvery ago; then it changes when that time is up, once for
// all the transactions that came meanwhile.
func (c *Chain) MempoolGrew() {
	c.changes.mu.Lock()
	now := c.now()
	wait := mempoolSignalEvery - now.Sub(c.changes.lastMempool)
	if wait <= 0 {
		c.changes.lastMempool = now
		c.changes.mu.Unlock()
		c.dropTemplate()
		c.changes.fire()
		return
	}
	if c.changes.pending {
		c.changes.mu.Unlock()
		return
	}
	c.changes.pending = true
	c.changes.mu.Unlock()
	time.AfterFunc(wait, func() {
		c.changes.mu.Lock()
		c.changes.pending = false
		c.changes.lastMempool = c.now()
		c.changes.mu.Unlock()
		c.dropTemplate()
		c.changes.fire()
	})
}

// Template is a block template with what an outside miner needs besides
// the block: each transaction's fee, the height and the earliest time.
type Template struct {
	*miner.Template
	Height  int32
	MinTime time.Time
	Fees    []int64 // of Template.Transactions, in order
}

// SetPayout sets the script that the coinbases of MiningTemplate pay.
func (c *Chain) SetPayout(script []byte) {
	c.mu.Lock()
	c.payout = script
	c.cached = nil
	c.mu.Unlock()
}

func (c *Chain) dropTemplate() {
	c.mu.Lock()
	c.cached = nil
	c.mu.Unlock()
}

// errNoPayout is MiningTemplate's refusal without a payout script.
var errNoPayout = errors.New("powchain: no payout for templates: start the " +
	"node with --mineaddr, or with a wallet")

// MiningTemplate returns the template on the tip for outside miners,
// kept until TemplateChanged fires; its Timestamp is the clock's.
func (c *Chain) MiningTemplate() (*Template, error) {
	c.mu.Lock()
	payout, cached := c.payout, c.cached
	c.mu.Unlock()
	if cached != nil {
		t := *cached
		tmpl := *cached.Template
		tmpl.Header.Timestamp = c.now().Truncate(time.Second)
		if tmpl.Header.Timestamp.Before(t.MinTime) {
			tmpl.Header.Timestamp = t.MinTime
		}
		t.Template = &tmpl
		return &t, nil
	}
	if payout == nil {
		return nil, errNoPayout
	}
	mt, err := c.BlockTemplate(payout)
	if err != nil {
		return nil, err
	}
	parent := c.index.Lookup(mt.Header.PrevBlock)
	if parent == nil {
		return nil, fmt.Errorf("powchain: tip %v left the header index", mt.Header.PrevBlock)
	}
	fees, err := c.fees(mt.Transactions)
	if err != nil {
		return nil, err
	}
	t := &Template{Template: mt, Height: parent.Height() + 1,
		MinTime: parent.MedianTimePast().Add(time.Second), Fees: fees}
	c.mu.Lock()
	c.cached = t
	c.mu.Unlock()
	return t, nil
}

// fees returns each transaction's fee: its inputs, from the chain state's
// UTXO set or an earlier transaction of the list, less its outputs.
func (c *Chain) fees(txs []*wire.MsgTx) ([]int64, error) {
	outs := make(map[wire.OutPoint]int64)
	fees := make([]int64, len(txs))
	for i, tx := range txs {
		var in int64
		for _, txIn := range tx.TxIn {
			if v, ok := outs[txIn.PreviousOutPoint]; ok {
				in += v
				continue
			}
			u, ok, err := c.side.Utxo(txIn.PreviousOutPoint)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, fmt.Errorf("powchain: template transaction %v "+
					"spends %v, which is gone", tx.TxHash(), txIn.PreviousOutPoint)
			}
			in += u.Value
		}
		var out int64
		txid := tx.TxHash()
		for j, o := range tx.TxOut {
			out += o.Value
			outs[wire.OutPoint{Hash: txid, Index: uint32(j)}] = o.Value
		}
		fees[i] = in - out
	}
	return fees, nil
}

// ErrUndecided is SubmitBlock's answer for a block it keeps without
// judging it in full: its parent is unknown (an orphan), or its main
// reference is not on this node's mainchain (yet).
var ErrUndecided = errors.New("powchain: block kept undecided")

// SubmitBlock takes a block from an outside miner, in the encoding of
// headerchain.Block.Bytes: nil when it is valid (on the best chain or a
// valid branch), ErrUndecided, or the rule error that refuses it (a
// headerchain.RuleError, or a sideblock.RuleError found when it was
// connected). The caller announces an accepted block.
func (c *Chain) SubmitBlock(raw []byte) (*headerchain.Block, error) {
	b, err := headerchain.DecodeBlock(raw)
	if err != nil {
		return nil, err
	}
	stored, err := c.AcceptBlock(b)
	if err != nil {
		return b, err
	}
	if len(stored) == 0 {
		return b, fmt.Errorf("%w: parent %v unknown", ErrUndecided, b.Header.PrevBlock)
	}
	hash := b.BlockHash()
	if reason := c.side.InvalidReason(hash); reason != nil {
		return b, reason
	}
	var (
		info  *sideblock.BlockInfo
		found bool
	)
	err = c.db.View(func(r store.Reader) error {
		var err error
		info, found, err = sideblock.BlockInfoAt(r, hash)
		return err
	})
	switch {
	case err != nil:
		return b, err
	case !found:
		return b, fmt.Errorf("%w: its main reference is not on this node's "+
			"mainchain yet", ErrUndecided)
	case info.Status.Invalid():
		return b, sideblock.RuleError{ErrorCode: sideblock.ErrKnownInvalid,
			Description: fmt.Sprintf("block %v is %v", hash, info.Status)}
	}
	return b, nil
}

// Info is the pow chain's state for miners and the dashboard.
type Info struct {
	Recent         []*headerchain.Node // best chain, tip first
	TxCounts       []int
	NextBits       uint32
	ScheduleOffset int64
}

// MiningInfo returns up to recent blocks of the best chain, tip first,
// the next block's bits and how far the tip is behind its schedule.
func (c *Chain) MiningInfo(recent int) (*Info, error) {
	tipHash, _, ok := c.side.Tip()
	if !ok {
		return nil, errors.New("powchain: the genesis block is not connected yet")
	}
	tip := c.index.Lookup(tipHash)
	if tip == nil {
		return nil, fmt.Errorf("powchain: tip %v is not in the header index", tipHash)
	}
	info := &Info{}
	for n := tip; n != nil && len(info.Recent) < recent; n = n.Parent() {
		info.Recent = append(info.Recent, n)
		count := 0
		if b := c.index.BlockOf(n); b != nil {
			count = len(b.Transactions)
		}
		info.TxCounts = append(info.TxCounts, count)
	}
	var err error
	if info.NextBits, err = c.diff.NextBits(tip); err != nil {
		return nil, err
	}
	if info.ScheduleOffset, err = c.diff.ScheduleOffset(tip); err != nil {
		return nil, err
	}
	return info, nil
}
