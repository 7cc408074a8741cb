package p2p

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"golang.org/x/time/rate"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	p2pv1 "github.com/mainstake/sidenode/proto/sidenode/p2p/v1"
)

// Ban score added for each kind of misbehavior. At Config.BanThreshold
// (default 100) the peer is banned.
const (
	// scoreInvalid is added for a message that fails validate (among
	// them PegSignatures over MaxPegSignaturesSize), a second Hello, an
	// undecodable transaction, or a message over MaxMessageSize.
	scoreInvalid = 10

	// scoreUnsolicited is added for a Block, Transaction, PegSignatures
	// or NotFound that answers nothing this node asked for.
	scoreUnsolicited = 5

	// scoreRateLimited is added for each message over the rate limits.
	scoreRateLimited = 2
)

// knownInventoryLimit bounds the items remembered per peer.
const knownInventoryLimit = 5000

// Reasons a session ends, besides RuleErrors.
var (
	errSlowPeer    = errors.New("send queue full")
	errPingTimeout = errors.New("no pong in time")
	errMisbehaved  = errors.New("misbehaved")
	errOperatorBan = errors.New("banned by the operator")
	errEvicted     = errors.New("evicted for a new peer: discouraged")
	errClosed      = errors.New("session closed")
)

// PeerID identifies one session, unique within the process. A peer that
// reconnects gets a new PeerID.
type PeerID uint64

// String returns the id as "peer N".
func (id PeerID) String() string { return fmt.Sprintf("peer %d", uint64(id)) }

// PeerInfo describes one handshaken session.
type PeerInfo struct {
	ID PeerID

	// Addr is the peer's host:port: the address dialled for outbound
	// sessions, the remote address for inbound ones.
	Addr string

	Inbound    bool
	Persistent bool

	// UserAgent, ProtocolVersion, BestBlock and BestHeight are as the
	// peer's Hello gave them.
	UserAgent       string
	ProtocolVersion uint32
	BestBlock       chainhash.Hash
	BestHeight      uint64

	// BanScore is the score the peer has accumulated in this session.
	BanScore uint32

	ConnectedAt time.Time
}

// reqKind says why an item was asked of a peer.
type reqKind uint8

const (
	// reqInv: the peer announced it and the node lacked it, so its data
	// goes to the Handler.
	reqInv reqKind = 1 << iota

	// reqFetch: FetchBlock asked for it, so its data goes to FetchBlock.
	reqFetch

	// reqSync: header sync asked for the block, so its data goes to the
	// Handler.
	reqSync
)

// request is one item in flight from a peer.
type request struct {
	kind reqKind
	at   time.Time
}

// queuedMsg is a message in a send queue with its encoded size.
type queuedMsg struct {
	m    *p2pv1.Message
	size int64
}

// peer is one session, inbound or outbound; after the handshake the two are
// the same. Three goroutines serve it: the owner (the gRPC handler for an
// inbound session, the dialler for an outbound one) runs the handshake
// timeout, pings and inventory trickle, and tears the stream down; the
// reader receives and handles messages; the writer drains the send queue.
type peer struct {
	s          *Server
	cfg        *Config
	id         PeerID
	addr       string
	inbound    bool
	persistent bool
	c          conn
	connected  time.Time

	// remoteHost is the IP an outbound session reached, set before it
	// starts; invalid if unknown, and for an inbound session.
	remoteHost netip.Addr

	// hello is the peer's Hello; register sets it under Server.mu, and
	// nothing changes it after.
	hello         *p2pv1.Hello
	handshakeDone chan struct{}

	// helloSent is closed by the writer once this node's Hello is out,
	// so a peer refused in the handshake still learns whom it reached.
	helloSent chan struct{}

	banScore atomic.Uint32

	// sendQ is the bounded send queue; queuedBytes the bytes in it.
	// Waiters in queueWait count themselves in waiters and sleep on
	// drainCh, which the writer closes and replaces after each send.
	sendQ       chan queuedMsg
	queuedBytes atomic.Int64
	waiters     atomic.Int32

	// Receive limits (of the peer) and send limits (of this node).
	inMsgs, inBytes, outMsgs, outBytes *rate.Limiter

	known *knownInventory

	// invSignal wakes the owner when pendingInv grew.
	invSignal chan struct{}

	mu          sync.Mutex
	drainCh     chan struct{}
	requested   map[InvItem]request
	pendingInv  []InvItem
	pingNonce   uint64
	pingSent    time.Time
	closeReason error
	sync        peerSync

	// claimsEnded is set, under Server.inflightMu, when the session is
	// unregistered: from then on it claims no item (claimInflight).
	claimsEnded bool

	// ctx is cancelled, and quit closed, when the session ends.
	ctx      context.Context
	cancel   context.CancelFunc
	quit     chan struct{}
	quitOnce sync.Once
}

// newPeer returns a session on c that has not started.
func (s *Server) newPeer(c conn, addr string, inbound, persistent bool) *peer {
	cfg := &s.cfg
	ctx, cancel := context.WithCancel(context.Background())
	burstBytes := cfg.MaxMessageSize + envelopeOverhead
	return &peer{
		s:             s,
		cfg:           cfg,
		id:            PeerID(s.nextID.Add(1)),
		addr:          addr,
		inbound:       inbound,
		persistent:    persistent,
		c:             c,
		connected:     time.Now(),
		handshakeDone: make(chan struct{}),
		helloSent:     make(chan struct{}),
		sendQ:         make(chan queuedMsg, cfg.SendQueueMessages),
		inMsgs:        rate.NewLimiter(rate.Limit(cfg.MsgRate), cfg.MsgBurst),
		inBytes:       rate.NewLimiter(rate.Limit(cfg.BytesRate), burstBytes),
		outMsgs: rate.NewLimiter(rate.Limit(cfg.MsgRate/2),
			cfg.MsgBurst/2),
		outBytes: rate.NewLimiter(rate.Limit(cfg.BytesRate/2),
			burstBytes),
		known:     newKnownInventory(knownInventoryLimit),
		invSignal: make(chan struct{}, 1),
		drainCh:   make(chan struct{}),
		requested: make(map[InvItem]request),
		ctx:       ctx,
		cancel:    cancel,
		quit:      make(chan struct{}),
	}
}

// String describes the peer for log lines: "addr (inbound, peer N)".
func (p *peer) String() string {
	dir := "outbound"
	if p.inbound {
		dir = "inbound"
	}
	return fmt.Sprintf("%s (%s, %v)", p.addr, dir, p.id)
}

// info returns the PeerInfo of a handshaken peer.
func (p *peer) info() PeerInfo {
	pi := PeerInfo{
		ID:              p.id,
		Addr:            p.addr,
		Inbound:         p.inbound,
		Persistent:      p.persistent,
		UserAgent:       p.hello.GetUserAgent(),
		ProtocolVersion: p.hello.GetProtocolVersion(),
		BestHeight:      p.hello.GetBestHeight(),
		BanScore:        p.banScore.Load(),
		ConnectedAt:     p.connected,
	}
	copy(pi.BestBlock[:], p.hello.GetBestBlock())
	return pi
}

// disconnect ends the session, remembering the first reason given. It is
// safe to call from any goroutine, any number of times.
func (p *peer) disconnect(reason error) {
	p.quitOnce.Do(func() {
		p.mu.Lock()
		p.closeReason = reason
		p.mu.Unlock()
		close(p.quit)
		p.cancel()
	})
}

// reason returns why the session ended, or nil.
func (p *peer) reason() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closeReason
}

// closed reports whether the session has ended.
func (p *peer) closed() bool {
	select {
	case <-p.quit:
		return true
	default:
		return false
	}
}

// reject ends a session whose handshake failed, with a log line naming why.
func (p *peer) reject(err error) {
	if p.closed() {
		return
	}
	if IsErrorCode(err, ErrSelfConnection) {
		log.Infof("Rejecting peer %v: %v", p, err)
	} else {
		log.Warnf("Rejecting peer %v: %v", p, err)
	}
	if hook := p.s.hooks.reject; hook != nil {
		hook(p, err)
	}
	p.disconnect(err)
}

// misbehave adds score to the peer's misbehavior score. At the threshold
// the session is closed and, unless the operator configured the peer,
// its address discouraged (discourageTarget): never banned.
func (p *peer) misbehave(score uint32, format string, args ...any) {
	reason := fmt.Sprintf(format, args...)
	total := p.banScore.Add(score)
	before := total - score
	threshold := p.cfg.BanThreshold
	if before >= threshold {
		return // already disconnected
	}
	if total < threshold {
		log.Debugf("Misbehaving peer %v: %s -- misbehavior score "+
			"increased to %d", p, reason, total)
		return
	}
	target := ""
	if p.s.configured(p) {
		log.Warnf("Disconnecting configured peer %v: misbehavior score "+
			"%d reached %d: %s; not discouraged, as the operator "+
			"configured it", p, total, threshold, reason)
	} else {
		target = p.s.discourage(p.addr, reason)
		log.Warnf("Disconnecting peer %v and discouraging %s for %v: "+
			"misbehavior score %d reached %d: %s", p, target,
			p.cfg.DiscourageDuration, total, threshold, reason)
	}
	p.disconnect(fmt.Errorf("%w: %s", errMisbehaved, reason))
	if hook := p.s.hooks.discouraged; hook != nil {
		hook(p, target)
	}
}

// prepare wraps m for the send queue, or returns false if m is too large
// to send.
func (p *peer) prepare(m *p2pv1.Message) (queuedMsg, bool) {
	size := proto.Size(m) + envelopeOverhead
	if size > p.cfg.MaxMessageSize {
		log.Warnf("Not sending a %d-byte message to %v: above the "+
			"%d-byte limit", size, p, p.cfg.MaxMessageSize)
		return queuedMsg{}, false
	}
	return queuedMsg{m: m, size: int64(size)}, true
}

// fits reports whether m can be sent.
func (p *peer) fits(m *p2pv1.Message) bool {
	return proto.Size(m)+envelopeOverhead <= p.cfg.MaxMessageSize
}

// queueNow adds m to the send queue without blocking. If the queue is full
// the peer is not reading fast enough and is disconnected: the node never
// blocks on, or buffers without bound for, a slow peer.
func (p *peer) queueNow(m *p2pv1.Message) bool {
	q, ok := p.prepare(m)
	if !ok || p.closed() {
		return false
	}
	if p.queuedBytes.Add(q.size) > int64(p.cfg.SendQueueBytes) {
		p.queuedBytes.Add(-q.size)
		p.slow()
		return false
	}
	select {
	case p.sendQ <- q:
		return true
	default:
		p.queuedBytes.Add(-q.size)
		p.slow()
		return false
	}
}

// slow disconnects a peer whose send queue is full.
func (p *peer) slow() {
	log.Infof("Disconnecting slow peer %v: send queue full (%d messages, "+
		"%d bytes)", p, len(p.sendQ), p.queuedBytes.Load())
	p.disconnect(errSlowPeer)
}

// queueWait adds m to the send queue once the queue is below half its
// bounds, blocking until then, the session ends, or cancel closes. The
// reader uses it for answers, so a peer that asks faster than it reads is
// slowed down rather than disconnected; queueNow keeps the other half.
func (p *peer) queueWait(m *p2pv1.Message, cancel <-chan struct{}) bool {
	q, ok := p.prepare(m)
	if !ok {
		return false
	}
	highBytes := int64(p.cfg.SendQueueBytes / 2)
	highMsgs := cap(p.sendQ) / 2

	p.waiters.Add(1)
	defer p.waiters.Add(-1)
	for {
		p.mu.Lock()
		drained := p.drainCh
		p.mu.Unlock()

		b := p.queuedBytes.Load()
		if len(p.sendQ) < highMsgs && (b == 0 || b+q.size <= highBytes) {
			break
		}
		select {
		case <-drained:
		case <-p.quit:
			return false
		case <-cancel:
			return false
		}
	}

	p.queuedBytes.Add(q.size)
	select {
	case p.sendQ <- q:
		return true
	case <-p.quit:
	case <-cancel:
	}
	p.queuedBytes.Add(-q.size)
	return false
}

// countsAgainstRate reports whether the receiver counts m against its rate
// limits: everything except answers to its requests.
func countsAgainstRate(m *p2pv1.Message) bool {
	switch m.GetPayload().(type) {
	case *p2pv1.Message_Block, *p2pv1.Message_Transaction,
		*p2pv1.Message_PegSignatures, *p2pv1.Message_NotFound,
		*p2pv1.Message_HeaderBatch, *p2pv1.Message_PosItem,
		*p2pv1.Message_RoundMessage:
		return false
	}
	return true
}

// writeLoop sends the queued messages in order until the session ends,
// pacing those the peer rate-limits at half the peer's limits.
func (p *peer) writeLoop() {
	defer p.s.wg.Done()
	first := true
	for {
		select {
		case q := <-p.sendQ:
			if countsAgainstRate(q.m) {
				if p.outMsgs.Wait(p.ctx) != nil ||
					p.outBytes.WaitN(p.ctx, int(q.size)) != nil {
					return
				}
			}
			err := p.c.Send(q.m)
			p.queuedBytes.Add(-q.size)
			if p.waiters.Load() > 0 {
				p.mu.Lock()
				close(p.drainCh)
				p.drainCh = make(chan struct{})
				p.mu.Unlock()
			}
			if err != nil {
				if !p.closed() {
					log.Debugf("Send to %v failed: %v", p, err)
				}
				p.disconnect(err)
				return
			}
			if first {
				close(p.helloSent)
				first = false
			}
		case <-p.quit:
			return
		}
	}
}

// readLoop receives the peer's Hello, then handles messages one at a time
// until the session ends.
func (p *peer) readLoop() {
	defer p.s.wg.Done()
	if !p.readHello() {
		return
	}
	for {
		m, err := p.c.Recv()
		if err != nil {
			p.recvFailed(err)
			return
		}
		if p.closed() {
			return
		}
		p.handle(m)
	}
}

// recvFailed ends the session after Recv failed. A message over the size
// limit is misbehavior; anything else is the peer, the node or the
// connection going away.
func (p *peer) recvFailed(err error) {
	if p.closed() {
		return
	}
	switch {
	case errors.Is(err, io.EOF):
		log.Debugf("Peer %v closed the session", p)
	case p.inbound && status.Code(err) == codes.ResourceExhausted:
		// On the dialled side only gRPC's size check fails this way;
		// on the dialling side it may be the peer's own status.
		log.Infof("Peer %v sent an oversized message: %v", p, err)
		p.misbehave(scoreInvalid, "oversized message")
	default:
		log.Debugf("Receive from %v failed: %v", p, err)
	}
	p.disconnect(err)
}

// readHello receives and checks the first message, which must be a Hello,
// and registers the peer. It reports whether the handshake succeeded.
func (p *peer) readHello() bool {
	m, err := p.c.Recv()
	if err != nil {
		p.recvFailed(err)
		return false
	}
	select {
	case <-p.helloSent:
	case <-p.quit:
		return false
	}
	if err := p.s.lim.validate(m); err != nil {
		p.reject(err)
		return false
	}
	h := m.GetHello()
	if h == nil {
		p.reject(ruleError(ErrNotHello, "first message is not a hello"))
		return false
	}
	if err := p.s.checkHello(h); err != nil {
		p.reject(err)
		return false
	}
	if p.persistent {
		p.s.noteConfigured(p.addr, h.GetNonce(), p.remoteHost)
	}
	if b, banned, _ := p.s.bannedAddr(p.addr); banned {
		// Banned while the session was being set up.
		log.Infof("Closing session %v: the operator banned %s", p, b.Target)
		p.disconnect(errOperatorBan)
		return false
	}
	if err := p.s.register(p, h); err != nil {
		p.reject(err)
		return false
	}
	close(p.handshakeDone)
	log.Infof("New peer %v: %q, protocol %d, height %d", p,
		h.GetUserAgent(), h.GetProtocolVersion(), h.GetBestHeight())
	p.s.syncPeerUp(p)
	return true
}

// handle validates, rate-limits and dispatches one received message.
func (p *peer) handle(m *p2pv1.Message) {
	if err := p.s.lim.validate(m); err != nil {
		p.misbehave(scoreInvalid, "invalid message: %v", err)
		return
	}

	// Answers to this node's requests are exempt from the rate limits;
	// to know which they are, name the item a Block, Transaction or
	// PegSignatures carries. Headers answer a GetHeaders if one is
	// unanswered.
	var item InvItem
	exempt := false
	switch pl := m.GetPayload().(type) {
	case *p2pv1.Message_Block:
		item = BlockItem(blockHash(pl.Block.GetHeader()))
		exempt = p.isRequested(item)
	case *p2pv1.Message_Transaction:
		txid, err := parseTxID(pl.Transaction.GetRaw())
		if err != nil {
			p.misbehave(scoreInvalid, "invalid message: %v", err)
			return
		}
		item = TxItem(txid)
		exempt = p.isRequested(item)
	case *p2pv1.Message_PegSignatures:
		item = PegItem(PegSignaturesHash(pl.PegSignatures.GetPsbt()))
		exempt = p.isRequested(item)
	case *p2pv1.Message_PosItem:
		if p.s.pos == nil {
			item = PosItem(PosItemHash(pl.PosItem.GetData()))
		} else {
			item = PosItem(p.s.pos.PosItemName(pl.PosItem.GetData()))
		}
	case *p2pv1.Message_RoundMessage:
		item = RoundItem(RoundMessageHash(pl.RoundMessage.GetRaw()))
		exempt = p.isRequested(item)
	case *p2pv1.Message_NotFound:
		for _, pi := range pl.NotFound.GetItems() {
			if p.isRequested(fromProto(pi)) {
				exempt = true
				break
			}
		}
	case *p2pv1.Message_HeaderBatch:
		exempt = p.headersSolicited()
	}
	if !exempt && !p.allowIn(proto.Size(m)) {
		p.misbehave(scoreRateLimited, "message over the rate limit")
		return
	}

	switch pl := m.GetPayload().(type) {
	case *p2pv1.Message_Hello:
		p.misbehave(scoreInvalid, "second hello")
	case *p2pv1.Message_Inventory:
		p.onInventory(pl.Inventory.GetItems())
	case *p2pv1.Message_GetData:
		p.onGetData(pl.GetData.GetItems())
	case *p2pv1.Message_Block:
		p.onBlock(item, pl.Block.GetHeader(), pl.Block.GetBody())
	case *p2pv1.Message_Transaction:
		p.onRequested(item, func() error {
			return p.s.h.ReceiveTx(p.id, pl.Transaction.GetRaw())
		})
	case *p2pv1.Message_PegSignatures:
		p.onRequested(item, func() error {
			if p.s.peg == nil {
				return nil
			}
			return p.s.peg.ReceivePegSignatures(p.id, pl.PegSignatures.GetPsbt())
		})
	case *p2pv1.Message_PosItem:
		p.onRequested(item, func() error {
			if p.s.pos == nil {
				return nil
			}
			return p.s.pos.ReceivePosItem(p.id, pl.PosItem.GetData())
		})
	case *p2pv1.Message_RoundMessage:
		p.onRequested(item, func() error {
			if p.s.rounds == nil {
				return nil
			}
			return p.s.rounds.ReceiveRoundMessage(p.id, pl.RoundMessage.GetRaw())
		})
	case *p2pv1.Message_NotFound:
		p.onNotFound(pl.NotFound.GetItems())
	case *p2pv1.Message_GetHeaders:
		p.onGetHeaders(pl.GetHeaders)
	case *p2pv1.Message_HeaderBatch:
		p.onHeaders(pl.HeaderBatch.GetHeaders())
	case *p2pv1.Message_Ping:
		p.queueWait(pongMsg(pl.Ping.GetNonce()), nil)
	case *p2pv1.Message_Pong:
		p.mu.Lock()
		answered := p.pingNonce != 0 && pl.Pong.GetNonce() == p.pingNonce
		if answered {
			p.pingNonce = 0
		}
		p.mu.Unlock()
		if hook := p.s.hooks.pong; answered && hook != nil {
			hook(p)
		}
	}
}

// allowIn takes one message of size bytes from the receive limits.
func (p *peer) allowIn(size int) bool {
	now := time.Now()
	return p.inMsgs.AllowN(now, 1) && p.inBytes.AllowN(now, size)
}

// onInventory asks the peer for the announced items the node lacks and no
// other peer is already sending.
func (p *peer) onInventory(items []*p2pv1.InventoryItem) {
	var want []InvItem
	for _, pi := range items {
		it := fromProto(pi)
		p.known.add(it, true)
		if p.s.have(it) || p.isRequested(it) {
			continue
		}
		if !p.s.claimInflight(it, p) {
			continue
		}
		if !p.request(it, reqInv) {
			p.s.releaseInflight(it, p.id)
			continue
		}
		want = append(want, it)
	}
	if len(want) > 0 {
		p.queueWait(getDataMsg(want), nil)
	}
}

// onGetData answers each item with its Block, Transaction or
// PegSignatures, and the items the node does not have (or cannot send)
// with NotFound.
func (p *peer) onGetData(items []*p2pv1.InventoryItem) {
	var missing []InvItem
	for _, pi := range items {
		it := fromProto(pi)
		p.known.add(it, false)
		m := p.s.lookup(it)
		if m == nil || !p.fits(m) {
			missing = append(missing, it)
			continue
		}
		if !p.queueWait(m, nil) {
			return
		}
	}
	for _, c := range chunks(missing, p.cfg.MaxInventoryItems) {
		if !p.queueWait(notFoundMsg(c), nil) {
			return
		}
	}
}

// onBlock takes a block the peer sent: to FetchBlock if it asked, to the
// Handler if an announcement or header sync asked. A block nobody asked
// for is misbehavior. Under header sync the next blocks are asked for.
func (p *peer) onBlock(it InvItem, header, body []byte) {
	r, ok := p.takeRequest(it)
	if !ok {
		p.misbehave(scoreUnsolicited, "unsolicited block %v", it.Hash)
		return
	}
	p.known.add(it, false)
	p.s.deliverBlock(it.Hash, header, body)
	var err error
	if r.kind&(reqInv|reqSync) != 0 {
		err = p.s.h.ReceiveBlock(p.id, header, body)
		p.handlerResult(it, err)
	}
	p.s.releaseInflight(it, p.id)
	refused := err != nil && r.kind&reqSync != 0 &&
		!errors.Is(err, ErrHeadersDoNotConnect)
	p.s.syncBlockArrived(p, it.Hash, refused)
}

// onRequested takes an item the peer sent in answer to a GetData: a
// transaction, a PegSignatures, a PosItem or a RoundMessage. Each is named
// by its bytes, so bytes that do not hash to a requested item answer
// nothing and count as unsolicited, as for blocks. Otherwise receive hands
// the bytes to the handler that asked for them (only a node with that
// handler asks), and its refusal is scored by handlerResult.
func (p *peer) onRequested(it InvItem, receive func() error) {
	if _, ok := p.takeRequest(it); !ok {
		p.misbehave(scoreUnsolicited, "unsolicited %v %v", it.Type, it.Hash)
		return
	}
	p.known.add(it, false)
	p.handlerResult(it, receive())
	p.s.releaseInflight(it, p.id)
}

// onNotFound ends the requests the peer cannot serve.
func (p *peer) onNotFound(items []*p2pv1.InventoryItem) {
	answered := false
	for _, pi := range items {
		it := fromProto(pi)
		if _, ok := p.takeRequest(it); !ok {
			continue
		}
		answered = true
		p.s.releaseInflight(it, p.id)
		if it.Type == InvBlock {
			p.s.deliverNotFound(it.Hash, p.id)
			p.s.syncNotFound(p, it.Hash)
		}
	}
	if !answered {
		p.misbehave(scoreUnsolicited, "unsolicited notfound")
	}
}

// handlerResult turns a Handler error into ban score or a log line.
// Under header sync, a block whose parent the node lacks
// (ErrHeadersDoNotConnect) makes it ask the peer for the headers that
// lead there, rather than chase the orphan's parents one by one.
func (p *peer) handlerResult(it InvItem, err error) {
	if err == nil {
		return
	}
	var me *MisbehaviorError
	if errors.As(err, &me) {
		p.misbehave(me.Score, "%v rejected: %s", it, me.Reason)
		return
	}
	if p.s.syncOn() && errors.Is(err, ErrHeadersDoNotConnect) {
		log.Debugf("%v from %v does not connect; asking for headers",
			it, p)
		p.s.syncAskHeaders(p)
		return
	}
	log.Debugf("%v from %v not accepted: %v", it, p, err)
}

// isRequested reports whether it is in flight from the peer.
func (p *peer) isRequested(it InvItem) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.requested[it]
	return ok
}

// request records that it is asked of the peer for kind, and reports
// whether a GetData must be sent: not if it is already in flight (unless
// that request timed out), nor, for announcements, if the peer has too
// many requests in flight.
func (p *peer) request(it InvItem, kind reqKind) bool {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()

	if r, ok := p.requested[it]; ok {
		r.kind |= kind
		stale := now.Sub(r.at) >= p.cfg.RequestTimeout
		if stale {
			r.at = now
		}
		p.requested[it] = r
		return stale
	}
	limit := 2 * p.cfg.MaxInventoryItems
	if kind == reqInv && len(p.requested) >= limit {
		for k, r := range p.requested {
			if now.Sub(r.at) >= p.cfg.RequestTimeout {
				delete(p.requested, k)
			}
		}
		if len(p.requested) >= limit {
			return false
		}
	}
	p.requested[it] = request{kind: kind, at: now}
	return true
}

// takeRequest removes it from the requests in flight and returns it.
func (p *peer) takeRequest(it InvItem) (request, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.requested[it]
	delete(p.requested, it)
	return r, ok
}

// announce queues the items the peer does not know for the next
// Inventory.
func (p *peer) announce(items []InvItem) {
	limit := 10 * p.cfg.MaxInventoryItems
	added, dropped := false, 0
	p.mu.Lock()
	for _, it := range items {
		if p.known.has(it) {
			continue
		}
		if len(p.pendingInv) >= limit {
			dropped++
			continue
		}
		p.known.add(it, false)
		p.pendingInv = append(p.pendingInv, it)
		added = true
	}
	p.mu.Unlock()
	if dropped > 0 {
		log.Debugf("Dropped %d announcements to %v: too many pending",
			dropped, p)
	}
	if added {
		select {
		case p.invSignal <- struct{}{}:
		default:
		}
	}
}

// flushInv sends the pending announcements.
func (p *peer) flushInv() {
	p.mu.Lock()
	items := p.pendingInv
	p.pendingInv = nil
	p.mu.Unlock()
	for _, c := range chunks(items, p.cfg.MaxInventoryItems) {
		if !p.queueNow(inventoryMsg(c)) {
			return
		}
	}
}

// run is the owner's loop after the handshake: it pings the peer, drops it
// if a Ping goes unanswered for PingTimeout, and sends announcements at
// most once per TrickleInterval. It returns when the session ends.
func (p *peer) run() {
	ping := time.NewTicker(p.cfg.PingInterval)
	defer ping.Stop()

	var trickle <-chan time.Time
	var lastFlush time.Time
	for {
		select {
		case <-ping.C:
			p.mu.Lock()
			outstanding, sent := p.pingNonce != 0, p.pingSent
			p.mu.Unlock()
			if outstanding {
				if time.Since(sent) >= p.cfg.PingTimeout {
					log.Infof("Disconnecting peer %v: no pong "+
						"for %v", p, time.Since(sent).Round(
						time.Millisecond))
					p.disconnect(errPingTimeout)
					return
				}
				continue
			}
			nonce := rand.Uint64() | 1
			p.mu.Lock()
			p.pingNonce, p.pingSent = nonce, time.Now()
			p.mu.Unlock()
			p.queueNow(pingMsg(nonce))

		case <-p.invSignal:
			if trickle != nil {
				continue
			}
			wait := p.cfg.TrickleInterval - time.Since(lastFlush)
			if wait > 0 {
				trickle = time.After(wait)
				continue
			}
			p.flushInv()
			lastFlush = time.Now()

		case <-trickle:
			trickle = nil
			p.flushInv()
			lastFlush = time.Now()

		case <-p.quit:
			return
		case <-p.s.quit:
			return
		}
	}
}

// Message constructors.

func pingMsg(nonce uint64) *p2pv1.Message {
	return &p2pv1.Message{Payload: &p2pv1.Message_Ping{
		Ping: &p2pv1.Ping{Nonce: nonce}}}
}

func pongMsg(nonce uint64) *p2pv1.Message {
	return &p2pv1.Message{Payload: &p2pv1.Message_Pong{
		Pong: &p2pv1.Pong{Nonce: nonce}}}
}

func inventoryMsg(items []InvItem) *p2pv1.Message {
	return &p2pv1.Message{Payload: &p2pv1.Message_Inventory{
		Inventory: &p2pv1.Inventory{Items: toProtoItems(items)}}}
}

func getDataMsg(items []InvItem) *p2pv1.Message {
	return &p2pv1.Message{Payload: &p2pv1.Message_GetData{
		GetData: &p2pv1.GetData{Items: toProtoItems(items)}}}
}

func notFoundMsg(items []InvItem) *p2pv1.Message {
	return &p2pv1.Message{Payload: &p2pv1.Message_NotFound{
		NotFound: &p2pv1.NotFound{Items: toProtoItems(items)}}}
}

func blockMsg(header, body []byte) *p2pv1.Message {
	return &p2pv1.Message{Payload: &p2pv1.Message_Block{
		Block: &p2pv1.Block{Header: header, Body: body}}}
}

func txMsg(raw []byte) *p2pv1.Message {
	return &p2pv1.Message{Payload: &p2pv1.Message_Transaction{
		Transaction: &p2pv1.Transaction{Raw: raw}}}
}

func roundMessageMsg(raw []byte) *p2pv1.Message {
	return &p2pv1.Message{Payload: &p2pv1.Message_RoundMessage{
		RoundMessage: &p2pv1.RoundMessage{Raw: raw}}}
}

func pegSignaturesMsg(psbt []byte) *p2pv1.Message {
	return &p2pv1.Message{Payload: &p2pv1.Message_PegSignatures{
		PegSignatures: &p2pv1.PegSignatures{Psbt: psbt}}}
}
