package sidepeer

import (
	"bytes"
	"context"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/p2p"
	"github.com/mainstake/sidenode/sideblock"
)

// fetchTimeout bounds the wait for a missing body from peers.
const fetchTimeout = 10 * time.Second

// Ban scores of what peers send.
const (
	// badBodyScore is the cost of a body that condemns its header.
	badBodyScore = 20

	// badTxScore is the cost of bytes that are no transaction.
	badTxScore = 10
)

// Chain is the sidechain: its tip, its blocks and the staging of bodies.
type Chain interface {
	Tip() (hash chainhash.Hash, height int32, ok bool)
	Block(hash chainhash.Hash) (*sideblock.Block, *sideblock.BlockInfo, error)
	StageBody(block *sideblock.Block) error
	MissingBodies() ([]chainhash.Hash, error)
}

// Mempool is the sidechain's mempool.
type Mempool interface {
	Have(txid chainhash.Hash) bool
	Get(txid chainhash.Hash) (*wire.MsgTx, bool)
	Add(tx *wire.MsgTx) error
}

// Peers relays to the node's peers and fetches from them; *p2p.Server is
// one.
type Peers interface {
	Announce(items ...p2p.InvItem)
	FetchBlock(ctx context.Context, hash chainhash.Hash) (header, body []byte, err error)
}

// Tips tells when the mainchain tip moves; *mainwatch.Follower is one.
type Tips interface {
	WaitHeight(ctx context.Context, height int32) (mainwatch.Cursor, error)
}

// Handler is the node's p2p.Handler: of a mainstake network (New), or of
// a pow network (NewPow), where blocks go to and come from the pow engine
// instead of chain.
type Handler struct {
	chain Chain     // nil under pow
	pow   PowBlocks // nil under mainstake
	pool  Mempool
	peers Peers // set before the peers start
}

var _ p2p.Handler = (*Handler)(nil)

// New returns the handler of chain and pool.
func New(chain Chain, pool Mempool) *Handler {
	return &Handler{chain: chain, pool: pool}
}

// SetPeers sets the peers the handler relays to and fetches from: the
// server that the handler itself serves, so it is set once the server
// exists, before it starts.
func (h *Handler) SetPeers(p Peers) { h.peers = p }

// RunFetcher asks peers for the bodies of published headers this node
// lacks, after every mainchain block, until ctx is done.
func (h *Handler) RunFetcher(ctx context.Context, tips Tips) {
	if h.pow != nil {
		return // header sync fetches the bodies
	}
	last := int32(-1)
	for {
		tip, err := tips.WaitHeight(ctx, last+1)
		if err != nil {
			return
		}
		last = tip.Height
		missing, err := h.chain.MissingBodies()
		if err != nil {
			log.Errorf("Missing bodies: %v", err)
			continue
		}
		h.FetchBodies(ctx, missing)
	}
}

// FetchBodies asks peers for the bodies of the blocks hashes, one after
// the other, waiting at most fetchTimeout for each, and stages what they
// send. The producer calls it for the bodies it lacks ahead of its tip
// (producer.BodyFetcher).
func (h *Handler) FetchBodies(ctx context.Context, hashes []chainhash.Hash) {
	for _, hash := range hashes {
		if ctx.Err() != nil {
			return
		}
		fctx, cancel := context.WithTimeout(ctx, fetchTimeout)
		header, body, err := h.peers.FetchBlock(fctx, hash)
		cancel()
		if err != nil {
			log.Debugf("Body of %v: %v", hash, err)
			continue
		}
		if err := h.receive(header, body); err != nil {
			log.Infof("Body of %v from a peer: %v", hash, err)
		}
	}
}

// receive decodes and stages a block body a peer sent; under pow it hands
// the block to the engine.
func (h *Handler) receive(header, body []byte) error {
	if h.pow != nil {
		return h.receivePow(header, body)
	}
	hdr, err := sideblock.ParseHeader(header)
	if err != nil {
		return err
	}
	txs, err := sideblock.DecodeBody(body)
	if err != nil {
		return err
	}
	return h.chain.StageBody(&sideblock.Block{Header: hdr, Transactions: txs})
}

// Best implements p2p.Handler.
func (h *Handler) Best() (chainhash.Hash, uint64) {
	var hash chainhash.Hash
	var height int32
	var ok bool
	if h.pow != nil {
		hash, height, ok = h.pow.Tip()
	} else {
		hash, height, ok = h.chain.Tip()
	}
	if !ok {
		return chainhash.Hash{}, 0
	}
	return hash, uint64(height)
}

// body returns the body of block hash, nil if the node has none. The peer
// protocol's handler has no error to return: a store error is logged, and
// the peer is told the node lacks the block.
func (h *Handler) body(hash chainhash.Hash) *sideblock.Block {
	block, _, err := h.chain.Block(hash)
	if err != nil && !sideblock.IsErrorCode(err, sideblock.ErrBlockNotFound) {
		log.Errorf("Sideblock %v for a peer: %v", hash, err)
	}
	if err != nil {
		return nil
	}
	return block
}

// HaveBlock implements p2p.Handler.
func (h *Handler) HaveBlock(hash chainhash.Hash) bool {
	if h.pow != nil {
		return h.pow.HaveBlock(hash)
	}
	return h.body(hash) != nil
}

// Block implements p2p.Handler: under pow, the engine's block with its
// 80-byte header.
func (h *Handler) Block(hash chainhash.Hash) ([]byte, []byte, bool) {
	if h.pow != nil {
		return h.pow.Block(hash)
	}
	block := h.body(hash)
	if block == nil {
		return nil, nil, false
	}
	hdr := block.Header.Bytes()
	var body bytes.Buffer
	if err := block.SerializeBody(&body); err != nil {
		log.Errorf("Sideblock %v for a peer: %v", hash, err)
		return nil, nil, false
	}
	return hdr[:], body.Bytes(), true
}

// HaveTx implements p2p.Handler.
func (h *Handler) HaveTx(txid chainhash.Hash) bool { return h.pool.Have(txid) }

// Tx implements p2p.Handler.
func (h *Handler) Tx(txid chainhash.Hash) ([]byte, bool) {
	tx, ok := h.pool.Get(txid)
	if !ok {
		return nil, false
	}
	var buf bytes.Buffer
	if err := tx.Serialize(&buf); err != nil {
		log.Errorf("Transaction %v for a peer: %v", txid, err)
		return nil, false
	}
	return buf.Bytes(), true
}

// ReceiveBlock implements p2p.Handler: a body that fails the checks that
// need no state costs the peer ban score; one that is merely early, late
// or already known does not. Under pow the block goes to the engine's
// AcceptBlock, and what its error costs is said at PowBlocks; an accepted
// block is announced to the other peers.
func (h *Handler) ReceiveBlock(_ p2p.PeerID, header, body []byte) error {
	if h.pow != nil {
		return h.receivePow(header, body)
	}
	err := h.receive(header, body)
	if err == nil {
		if hdr, perr := sideblock.ParseHeader(header); perr == nil {
			h.peers.Announce(p2p.BlockItem(hdr.BlockHash()))
		}
		return nil
	}
	if code, ok := sideblock.ErrorCodeOf(err); ok && code.MarksHeaderInvalid() {
		return &p2p.MisbehaviorError{Score: badBodyScore, Reason: err.Error()}
	}
	return err
}

// ReceiveTx implements p2p.Handler.
func (h *Handler) ReceiveTx(_ p2p.PeerID, raw []byte) error {
	tx := wire.NewMsgTx(2)
	if err := tx.Deserialize(bytes.NewReader(raw)); err != nil {
		return &p2p.MisbehaviorError{Score: badTxScore, Reason: "undecodable transaction"}
	}
	if err := h.pool.Add(tx); err != nil {
		return err
	}
	h.peers.Announce(p2p.TxItem(tx.TxHash()))
	return nil
}
