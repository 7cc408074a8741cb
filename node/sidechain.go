package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/lottery"
	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/p2p"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
	"github.com/mainstake/sidenode/wallet"
)

// Defaults of block production.
const (
	// fetchTimeout bounds the wait for a missing body from peers.
	fetchTimeout = 10 * time.Second
)

// protocol runs the ticket index and the sidechain in the mainchain block
// batches, produces a sideblock when this node wins a draw, and serves and
// fetches bodies over the peer protocol. It is the node's blockConnector
// for the protocol, and its p2p.Handler.
type protocol struct {
	params *chainparams.Params
	db     *store.DB
	index  *mainstake.Index
	chain  *sideblock.Chain
	pool   *sideblock.Mempool
	wallet *wallet.Wallet // nil without a wallet

	// feeRate is the fee rate of header transactions, sat/vbyte.
	feeRate int64

	// Set after construction, before the follower runs.
	follower *mainwatch.Follower
	peers    *p2p.Server

	// last holds what the batch in flight did, for Committed.
	last *blockWork

	wins chan *mainstake.Winner // draws this node won, for the producer

	mu    sync.Mutex
	stats Stats
}

// blockWork is what one mainchain block did.
type blockWork struct {
	block *mainwatch.Block
	stake *mainstake.BlockResult
	side  *sideblock.Result
}

// Stats counts this node's slots: draws won, headers published (broadcast),
// publications included in a mainchain block, and wins that led to none,
// with the reason of each miss.
type Stats struct {
	Won, Published, Included, Missed uint64
	MissReasons                      map[string]uint64
}

func newProtocol(params *chainparams.Params, db *store.DB, index *mainstake.Index,
	wlt *wallet.Wallet, feeRate int64) (*protocol, error) {

	chain, err := sideblock.NewChain(db, params)
	if err != nil {
		return nil, err
	}
	return &protocol{
		params:  params,
		db:      db,
		index:   index,
		chain:   chain,
		pool:    sideblock.NewMempool(chain, params, sideblock.MempoolConfig{}),
		wallet:  wlt,
		feeRate: feeRate,
		wins:    make(chan *mainstake.Winner, 1),
		stats:   Stats{MissReasons: make(map[string]uint64)},
	}, nil
}

// ConnectBlock implements blockConnector: the block's stake changes, its
// publication and the sidechain's fork choice, in the block's batch.
func (p *protocol) ConnectBlock(w *store.Writer, b *mainwatch.Block) error {
	stake, err := p.index.ConnectBlock(w, b)
	if err != nil {
		return err
	}
	side, err := p.chain.ConnectMainBlock(w, b.Height, stake.Publication)
	if err != nil {
		return err
	}
	p.last = &blockWork{block: b, stake: stake, side: side}
	return nil
}

// DisconnectBlock implements blockConnector.
func (p *protocol) DisconnectBlock(height int32) error {
	p.last = nil
	if err := p.chain.DisconnectMainBlock(height); err != nil {
		return err
	}
	return p.index.DisconnectBlock(height)
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

	if wn := work.stake.Winner; wn != nil && p.ownTicket(wn.Ticket) {
		p.mu.Lock()
		p.stats.Won++
		p.mu.Unlock()
		// Keep only the newest win: an older one is too late.
		select {
		case <-p.wins:
		default:
		}
		p.wins <- wn
	}
	if p.peers != nil {
		for _, h := range work.side.Connected {
			p.peers.Announce(p2p.BlockItem(h))
		}
	}
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
	if pub := stake.Publication; pub != nil && p.ownTicket(pub.Ticket) {
		p.mu.Lock()
		p.stats.Included++
		p.mu.Unlock()
	}
	if side.Ignored != nil {
		log.Infof("Publication in block %d ignored: %v", b.Height, side.Ignored)
	}
	for _, h := range side.Disconnected {
		log.Infof("Sideblock %v disconnected", h)
	}
	for _, h := range side.Connected {
		producer, height := "unknown", int32(-1)
		if _, info, err := p.chain.Block(h); err == nil && info != nil {
			producer = fmt.Sprintf("ticket %d", p.producerOf(info.PubHeight))
			height = info.Height
		}
		log.Infof("Sideblock %v connected (sidechain height %d, produced by %s)",
			h, height, producer)
	}
	for _, h := range side.Invalidated {
		log.Warnf("Sideblock %v is invalid", h)
	}
	if wn := stake.Winner; wn != nil {
		mine := ""
		if p.ownTicket(wn.Ticket) {
			mine = " (this node)"
		}
		log.Infof("Lottery after block %d: ticket %d wins%s (total weight %v)",
			b.Height, wn.Ticket, mine, wn.TotalWeight)
	}
}

// producerOf returns the ticket that published in the mainchain block at
// height.
func (p *protocol) producerOf(height int32) int64 {
	var id int64 = -1
	_ = p.db.View(func(r store.Reader) error {
		pub, ok, err := mainstake.PublicationAt(r, height)
		if err == nil && ok {
			id = int64(pub.Ticket)
		}
		return err
	})
	return id
}

// ownTicket reports whether this node's wallet holds the ticket's key.
func (p *protocol) ownTicket(id lottery.TicketID) bool {
	if p.wallet == nil {
		return false
	}
	var own bool
	_ = p.db.View(func(r store.Reader) error {
		t, err := mainstake.TicketByID(r, id)
		if err == nil {
			_, own = p.wallet.OwnsStakeKey(t.PubKey.SerializeCompressed())
		}
		return err
	})
	return own
}

// Stats returns a copy of the slot counters.
func (p *protocol) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.MissReasons = make(map[string]uint64, len(p.stats.MissReasons))
	for k, v := range p.stats.MissReasons {
		s.MissReasons[k] = v
	}
	return s
}

func (p *protocol) miss(reason string, err error) {
	p.mu.Lock()
	p.stats.Missed++
	p.stats.MissReasons[reason]++
	p.mu.Unlock()
	log.Warnf("Missed the slot: %s: %v", reason, err)
}

// runProducer builds and publishes a sideblock for every draw this node
// wins, until ctx is done.
func (p *protocol) runProducer(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case wn := <-p.wins:
			p.produce(ctx, wn)
		}
	}
}

// produce builds the sideblock of the draw after block wn.Height, stages
// and relays its body, and broadcasts its header transaction.
func (p *protocol) produce(ctx context.Context, wn *mainstake.Winner) {
	start := time.Now()
	if st := p.follower.Status(); st.Source.Best.Height > wn.Height {
		p.miss("late", fmt.Errorf("the mainchain is at %d already", st.Source.Best.Height))
		return
	}
	var (
		ticket *mainstake.Ticket
		block  *sideblock.Block
	)
	payTo, err := p.coinbaseScript()
	if err != nil {
		p.miss("no payout script", err)
		return
	}
	txs := p.pool.Select(sideblock.MaxBlockSize - 10_000)
	err = p.db.View(func(r store.Reader) error {
		var err error
		if ticket, err = mainstake.TicketByID(r, wn.Ticket); err != nil {
			return err
		}
		block, err = p.chain.NewBlockTemplate(r, wn.Height, payTo, txs)
		return err
	})
	if err != nil {
		p.miss("template", err)
		return
	}
	hash := block.BlockHash()
	ref, ok := p.wallet.OwnsStakeKey(ticket.PubKey.SerializeCompressed())
	if !ok {
		p.miss("no key", errors.New("the ticket's key left the wallet"))
		return
	}
	priv, err := p.wallet.Keys().PrivKey(ref)
	if err != nil {
		p.miss("no key", err)
		return
	}
	hdr := opreturn.Header{PrevBlock: block.Header.PrevBlock, MerkleRoot: block.Header.MerkleRoot}
	tx, err := mainstake.BuildHeaderTx(ticket, &hdr, p.params.SidechainID, p.feeRate, priv)
	if err != nil {
		p.miss("header tx", err)
		return
	}
	// The header goes out first: the body has until the next mainchain
	// block to reach the peers, the header transaction must be mined in
	// it.
	if err := p.follower.Broadcast(ctx, tx); err != nil {
		p.miss("broadcast", err)
		return
	}
	took := time.Since(start)
	if err := p.chain.StageOwnBody(block); err != nil {
		p.miss("stage", err)
		return
	}
	if p.peers != nil {
		p.peers.Announce(p2p.BlockItem(hash))
	}
	p.mu.Lock()
	p.stats.Published++
	p.mu.Unlock()
	log.Infof("Produced sideblock %v on %v for the draw after block %d; header tx %v "+
		"broadcast %v after the draw", hash, block.Header.PrevBlock, wn.Height,
		tx.TxHash(), took.Round(time.Microsecond))
}

// coinbaseScript is where this node's sideblock coinbases pay: the
// sidechain P2WPKH of its first sidechain key.
func (p *protocol) coinbaseScript() ([]byte, error) {
	pub, err := p.wallet.Keys().PubKey(wallet.KeyRef{Family: wallet.Side, Index: 0})
	if err != nil {
		return nil, err
	}
	addr, err := sideblock.SideP2WPKHAddress(pub, p.params)
	if err != nil {
		return nil, err
	}
	return txscript.PayToAddrScript(addr)
}

// runFetcher asks peers for the bodies of published headers this node
// lacks, after every mainchain block, until ctx is done.
func (p *protocol) runFetcher(ctx context.Context, follower *mainwatch.Follower) {
	last := int32(-1)
	for {
		tip, err := follower.WaitHeight(ctx, last+1)
		if err != nil {
			return
		}
		last = tip.Height
		missing, err := p.chain.MissingBodies()
		if err != nil {
			log.Errorf("Missing bodies: %v", err)
			continue
		}
		for _, h := range missing {
			fctx, cancel := context.WithTimeout(ctx, fetchTimeout)
			header, body, err := p.peers.FetchBlock(fctx, h)
			cancel()
			if err != nil {
				log.Debugf("Body of %v: %v", h, err)
				continue
			}
			if err := p.receive(header, body); err != nil {
				log.Infof("Body of %v from a peer: %v", h, err)
			}
		}
	}
}

// receive decodes and stages a block body a peer sent.
func (p *protocol) receive(header, body []byte) error {
	hdr, err := sideblock.ParseHeader(header)
	if err != nil {
		return err
	}
	txs, err := sideblock.DecodeBody(body)
	if err != nil {
		return err
	}
	block := &sideblock.Block{Header: hdr, Transactions: txs}
	return p.chain.StageBody(block)
}

// Best implements p2p.Handler.
func (p *protocol) Best() (chainhash.Hash, uint64) {
	hash, height, ok := p.chain.Tip()
	if !ok {
		return chainhash.Hash{}, 0
	}
	return hash, uint64(height)
}

// HaveBlock implements p2p.Handler.
func (p *protocol) HaveBlock(hash chainhash.Hash) bool {
	block, _, err := p.chain.Block(hash)
	return err == nil && block != nil
}

// Block implements p2p.Handler.
func (p *protocol) Block(hash chainhash.Hash) ([]byte, []byte, bool) {
	block, _, err := p.chain.Block(hash)
	if err != nil || block == nil {
		return nil, nil, false
	}
	hdr := block.Header.Bytes()
	var body bytes.Buffer
	if err := block.SerializeBody(&body); err != nil {
		return nil, nil, false
	}
	return hdr[:], body.Bytes(), true
}

// HaveTx implements p2p.Handler.
func (p *protocol) HaveTx(txid chainhash.Hash) bool { return p.pool.Have(txid) }

// Tx implements p2p.Handler.
func (p *protocol) Tx(txid chainhash.Hash) ([]byte, bool) {
	tx, ok := p.pool.Get(txid)
	if !ok {
		return nil, false
	}
	var buf bytes.Buffer
	if err := tx.Serialize(&buf); err != nil {
		return nil, false
	}
	return buf.Bytes(), true
}

// ReceiveBlock implements p2p.Handler: a body that fails the checks that
// need no state costs the peer ban score; one that is merely early, late
// or already known does not.
func (p *protocol) ReceiveBlock(_ p2p.PeerID, header, body []byte) error {
	err := p.receive(header, body)
	if err == nil {
		if hdr, perr := sideblock.ParseHeader(header); perr == nil {
			p.peers.Announce(p2p.BlockItem(hdr.BlockHash()))
		}
		return nil
	}
	if code, ok := sideblock.ErrorCodeOf(err); ok && code.MarksHeaderInvalid() {
		return &p2p.MisbehaviorError{Score: 20, Reason: err.Error()}
	}
	return err
}

// ReceiveTx implements p2p.Handler.
func (p *protocol) ReceiveTx(_ p2p.PeerID, raw []byte) error {
	tx := wire.NewMsgTx(2)
	if err := tx.Deserialize(bytes.NewReader(raw)); err != nil {
		return &p2p.MisbehaviorError{Score: 10, Reason: "undecodable transaction"}
	}
	if err := p.pool.Add(tx); err != nil {
		return err
	}
	p.peers.Announce(p2p.TxItem(tx.TxHash()))
	return nil
}
