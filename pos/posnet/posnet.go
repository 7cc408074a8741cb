package posnet

import (
	"context"
	"errors"
	"sync"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/p2p"
	"github.com/mainstake/sidenode/pos/bls"
	"github.com/mainstake/sidenode/pos/chain"
	"github.com/mainstake/sidenode/pos/slashing"
	"github.com/mainstake/sidenode/pos/validator"
)

// The kinds of a PosItem.
const (
	KindBlock       byte = 1
	KindAttestation byte = 2
)

// Bounds of what a Net keeps.
const (
	maxItems       = 4096
	maxOrphans     = 4096
	maxOrphanBytes = 64 << 20
)

// scoreInvalid is the ban score of an item that breaks a rule.
const scoreInvalid = 50

// Announcer relays items to peers and asks them for blocks;
// *p2p.Server is one.
type Announcer interface {
	Announce(items ...p2p.InvItem)
	RequestPos(hash chainhash.Hash)
}

// Config configures a Net.
type Config struct {
	Chain *chain.Chain

	// Keys are the validator keys of this node; none: the node only
	// follows. Protect is their slashing protection (needed with keys).
	Keys    []*bls.SecretKey
	Protect validator.Protector

	Clock validator.Clock
	Logf  func(format string, args ...any)
}

// Net is the pos engine's side of the peer protocol for one node.
type Net struct {
	cfg    Config
	chain  *chain.Chain
	client *validator.Client

	mu      sync.Mutex
	peers   Announcer
	items   map[chainhash.Hash][]byte
	order   []chainhash.Hash
	orphans map[chain.Root][]orphan
	nOrphan int
	nBytes  int
}

// orphan is a block waiting for its parent, with its encoded size.
type orphan struct {
	b    *chain.Block
	size int
}

// New returns a Net for cfg.
func New(cfg Config) *Net {
	if cfg.Clock == nil {
		cfg.Clock = validator.WallClock{}
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	n := &Net{cfg: cfg, chain: cfg.Chain, items: map[chainhash.Hash][]byte{},
		orphans: map[chain.Root][]orphan{}}
	if len(cfg.Keys) > 0 {
		n.client = validator.New(cfg.Chain, n, cfg.Protect, cfg.Keys, cfg.Logf)
	}
	return n
}

// SetPeers sets where the Net announces; call it before Run.
func (n *Net) SetPeers(a Announcer) {
	n.mu.Lock()
	n.peers = a
	n.mu.Unlock()
}

// Client returns the validator client, nil without keys.
func (n *Net) Client() *validator.Client { return n.client }

// now returns the clock's slot, half a slot ahead.
func (n *Net) now() uint64 {
	pp := n.chain.Config().Net.Pos
	s, _ := pp.SlotAt(n.cfg.Clock.Now().Add(pp.SlotDuration / 2))
	return s
}

// PosItemName implements p2p.PosHandler: a block is named by its root,
// so that a node can ask for a parent it lacks; an attestation (or
// anything else) by PosItemHash.
func (n *Net) PosItemName(data []byte) chainhash.Hash {
	if len(data) >= 1+1+slashing.SignedHeaderSize && data[0] == KindBlock {
		if h, err := slashing.DecodeSignedHeader(data[2 : 2+slashing.SignedHeaderSize]); err == nil {
			return chainhash.Hash(h.Message.HashTreeRoot())
		}
	}
	return p2p.PosItemHash(data)
}

// keep stores an item and announces it.
func (n *Net) keep(data []byte) {
	h := n.PosItemName(data)
	n.mu.Lock()
	if _, ok := n.items[h]; !ok {
		n.items[h] = data
		n.order = append(n.order, h)
		if len(n.order) > maxItems {
			delete(n.items, n.order[0])
			n.order = n.order[1:]
		}
	}
	peers := n.peers
	n.mu.Unlock()
	if peers != nil {
		peers.Announce(p2p.PosItem(h))
	}
}

// HavePosItem implements p2p.PosHandler: a kept item, or a block the
// chain holds.
func (n *Net) HavePosItem(h chainhash.Hash) bool {
	n.mu.Lock()
	_, ok := n.items[h]
	n.mu.Unlock()
	if ok {
		return true
	}
	_, ok = n.chain.Block(chain.Root(h))
	return ok
}

// PosItem implements p2p.PosHandler: a kept item, or a block the chain
// holds (which serves peers that sync from further back).
func (n *Net) PosItem(h chainhash.Hash) ([]byte, bool) {
	n.mu.Lock()
	d, ok := n.items[h]
	n.mu.Unlock()
	if ok {
		return d, true
	}
	b, ok := n.chain.Block(chain.Root(h))
	if !ok {
		return nil, false
	}
	d, err := encodeBlock(b)
	return d, err == nil
}

func encodeBlock(b *chain.Block) ([]byte, error) {
	e, err := b.Encode()
	if err != nil {
		return nil, err
	}
	return append([]byte{KindBlock}, e...), nil
}

// BroadcastBlock implements validator.Gossip.
func (n *Net) BroadcastBlock(b *chain.Block) {
	d, err := encodeBlock(b)
	if err != nil {
		n.cfg.Logf("Cannot encode own block: %v", err)
		return
	}
	n.keep(d)
}

// BroadcastAttestation implements validator.Gossip.
func (n *Net) BroadcastAttestation(a *chain.Attestation) {
	n.keep(a.AppendEncode([]byte{KindAttestation}))
}

// misbehaving reports whether err says the sender broke a rule (as
// opposed to an item that is late, early, known or waiting for another).
func misbehaving(err error) bool {
	code, ok := chain.ErrorCodeOf(err)
	if !ok {
		return false
	}
	switch code {
	case chain.ErrDuplicateBlock, chain.ErrUnknownParent, chain.ErrFutureSlot,
		chain.ErrNotDescendant, chain.ErrUnknownBlockRoot, chain.ErrStopped,
		chain.ErrConflictingFinality:
		return false
	}
	return true
}

// ReceivePosItem implements p2p.PosHandler.
func (n *Net) ReceivePosItem(from p2p.PeerID, data []byte) error {
	switch data[0] {
	case KindBlock:
		b, err := chain.DecodeBlock(data[1:])
		if err != nil {
			return &p2p.MisbehaviorError{Score: scoreInvalid, Reason: err.Error()}
		}
		return n.acceptBlock(b, data)
	case KindAttestation:
		a, err := chain.DecodeAttestation(data[1:])
		if err != nil {
			return &p2p.MisbehaviorError{Score: scoreInvalid, Reason: err.Error()}
		}
		if _, err := n.chain.AcceptAttestation(a, n.now()); err != nil {
			if misbehaving(err) {
				return &p2p.MisbehaviorError{Score: scoreInvalid, Reason: err.Error()}
			}
			return nil
		}
		if n.client != nil {
			n.client.AddAttestation(a)
		}
		n.keep(data)
		return nil
	}
	return &p2p.MisbehaviorError{Score: scoreInvalid, Reason: "unknown pos item kind"}
}

// acceptBlock takes a block and then the orphans waiting for it.
func (n *Net) acceptBlock(b *chain.Block, data []byte) error {
	root, err := n.chain.AcceptBlock(b, n.now())
	switch {
	case chain.IsErrorCode(err, chain.ErrUnknownParent):
		p := b.Header.Message.ParentRoot
		n.mu.Lock()
		_, asked := n.orphans[p]
		size := len(data)
		if n.nOrphan == maxOrphans || n.nBytes+size > maxOrphanBytes {
			// Full: start over rather than stop syncing for good;
			// the next block brings the branch back.
			n.orphans = map[chain.Root][]orphan{}
			n.nOrphan, n.nBytes, asked = 0, 0, false
		}
		n.orphans[p] = append(n.orphans[p], orphan{b, size})
		n.nOrphan++
		n.nBytes += size
		peers := n.peers
		n.mu.Unlock()
		if !asked && peers != nil {
			// Sync backwards: ask for the parent, which may be an
			// orphan in turn, until a block attaches.
			go peers.RequestPos(chainhash.Hash(p))
		}
		return nil
	case chain.IsErrorCode(err, chain.ErrStopped), chain.IsErrorCode(err, chain.ErrConflictingFinality):
		n.cfg.Logf("The pos chain stopped: %v", err)
		return err
	case err != nil:
		if misbehaving(err) {
			return &p2p.MisbehaviorError{Score: scoreInvalid, Reason: err.Error()}
		}
		return nil
	}
	if data == nil {
		if data, err = encodeBlock(b); err != nil {
			return err
		}
	}
	n.keep(data)
	n.mu.Lock()
	waiting := n.orphans[root]
	delete(n.orphans, root)
	n.nOrphan -= len(waiting)
	for _, o := range waiting {
		n.nBytes -= o.size
	}
	n.mu.Unlock()
	for _, o := range waiting {
		_ = n.acceptBlock(o.b, nil)
	}
	return nil
}

// Run follows the clock until ctx ends: the validator client's duties
// with keys, else a tick of the fork choice at each slot.
func (n *Net) Run(ctx context.Context) error {
	if n.client != nil {
		return n.client.Run(ctx, n.cfg.Clock)
	}
	pp := n.chain.Config().Net.Pos
	for {
		s, _ := pp.SlotAt(n.cfg.Clock.Now())
		d := pp.SlotStart(s + 1).Sub(n.cfg.Clock.Now())
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-n.cfg.Clock.After(d):
		}
		if err := n.chain.OnTick(s + 1); err != nil && !errors.Is(err, context.Canceled) {
			n.cfg.Logf("Slot %d: %v", s+1, err)
		}
	}
}
