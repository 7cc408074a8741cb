package p2p

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	grpcpeer "google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	p2pv1 "github.com/mainstake/sidenode/proto/sidenode/p2p/v1"
)

// Handler is the node as the peer protocol sees it. The Server calls it
// from many goroutines at once (one reader per peer), so it must be safe
// for concurrent use. Its methods must not wait on the Server (FetchBlock):
// the reader that called them is the one that would receive the answer.
// A Handler that also implements PegHandler takes part in the gossip of
// federation signatures.
type Handler interface {
	// Best returns the node's best sideblock, for Hello. A zero hash
	// is sent as "no block".
	Best() (hash chainhash.Hash, height uint64)

	// HaveBlock and HaveTx report whether the node already has an item,
	// so the Server asks peers only for what it lacks.
	HaveBlock(hash chainhash.Hash) bool
	HaveTx(txid chainhash.Hash) bool

	// Block and Tx return an item to serve a peer's GetData; ok false
	// answers NotFound. header must be the engine's: 64 bytes, or 80
	// under pow (Config.Engine EnginePoW).
	Block(hash chainhash.Hash) (header, body []byte, ok bool)
	Tx(txid chainhash.Hash) (raw []byte, ok bool)

	// ReceiveBlock and ReceiveTx take an item a peer announced, or
	// header sync asked for, and then sent at the node's request. The
	// header (of the engine's size) hashes to the requested hash and raw
	// decodes to the announced txid; nothing else is checked. A returned
	// *MisbehaviorError (errors.As) adds its Score to the sender's ban
	// score; under header sync, an error wrapping ErrHeadersDoNotConnect
	// makes the Server ask the peer for headers; other errors are only
	// logged. To relay an item it accepted, the node calls
	// Server.Announce. The slices must not be modified.
	ReceiveBlock(from PeerID, header, body []byte) error
	ReceiveTx(from PeerID, raw []byte) error
}

// PegHandler is implemented by a Handler that takes part in the gossip of
// federation signatures: PegSignatures, a serialized PSBT named by
// PegSignaturesHash. New detects it with a type assertion on the Handler,
// and its methods are called like the Handler's. A node whose Handler does
// not implement it neither asks for nor relays PegSignatures: it ignores
// their announcements, answers GetData for them with NotFound, and its
// Announce drops PegItems.
type PegHandler interface {
	// HavePegSignatures reports whether the node already has the
	// PegSignatures named hash, so the Server asks peers only for what
	// it lacks.
	HavePegSignatures(hash chainhash.Hash) bool

	// PegSignatures returns the psbt bytes named hash to serve a peer's
	// GetData; ok false answers NotFound.
	PegSignatures(hash chainhash.Hash) (psbt []byte, ok bool)

	// ReceivePegSignatures takes a PegSignatures a peer announced and
	// then sent at the node's request. psbt has 1 to
	// MaxPegSignaturesSize bytes and hashes to the announced hash;
	// nothing else is checked. A returned *MisbehaviorError adds its
	// Score to the sender's ban score; other errors are only logged. To
	// relay it, the node keeps it where PegSignatures finds it and calls
	// Server.Announce(PegItem(hash)). The slice must not be modified.
	ReceivePegSignatures(from PeerID, psbt []byte) error
}

// PosHandler takes part in the gossip of a pos engine's blocks and
// attestations: PosItems, named by PosItemHash, relayed like
// transactions. Config.Pos sets it; without one the node neither asks for
// nor relays PosItems, and Announce drops PosItems.
type PosHandler interface {
	// HavePosItem reports whether the node already has the item named
	// hash.
	HavePosItem(hash chainhash.Hash) bool

	// PosItem returns the data named hash to serve a peer's GetData; ok
	// false answers NotFound.
	PosItem(hash chainhash.Hash) (data []byte, ok bool)

	// ReceivePosItem takes a PosItem a peer announced and then sent at
	// the node's request: 1 to MaxPosItemSize bytes that hash to the
	// announced hash; nothing else is checked. A returned
	// *MisbehaviorError adds its Score to the sender's ban score; other
	// errors are only logged. To relay it, the node keeps it where
	// PosItem finds it and calls Server.Announce(PosItem(hash)).
	ReceivePosItem(from PeerID, data []byte) error

	// PosItemName returns the name of a PosItem's data: PosItemHash,
	// or another hash the handler chooses (the pos engine names blocks
	// by their root, so that a node can ask for a block it has only
	// seen as a parent, with RequestPos). The Server names every PosItem
	// it serves, receives or is asked for with it.
	PosItemName(data []byte) chainhash.Hash
}

// RequestPos asks every peer for the PosItem named hash (a block the node
// lacks); the answers reach PosHandler.ReceivePosItem. It does nothing
// without a PosHandler.
func (s *Server) RequestPos(hash chainhash.Hash) {
	if s.pos == nil {
		return
	}
	it := PosItem(hash)
	for _, p := range s.peerList() {
		if p.request(it, reqInv) {
			p.queueWait(getDataMsg([]InvItem{it}), p.s.quit)
		}
	}
}

// testHooks lets tests watch the Server. Set before Start; nil fields are
// skipped.
type testHooks struct {
	// reject is called when a handshake fails.
	reject func(p *peer, err error)

	// dialed is called each time a persistent loop's outbound session
	// to addr ends, or fails to start.
	dialed func(addr string, handshook bool, reason error)

	// loopEnded is called when the persistent loop for addr returns.
	loopEnded func(addr string)

	// refusedBanned is called when a session from a banned address is
	// refused, or a banned persistent address is not dialled.
	refusedBanned func(addr string)

	// discouraged is called when misbehavior ends a session: with the
	// target discouraged, or "" for a configured peer, which is not.
	discouraged func(p *peer, target string)

	// refusedDiscouraged is called when an inbound session from a
	// discouraged address is refused for want of spare room; evicted
	// when one is closed to make room for another.
	refusedDiscouraged func(addr string)
	evicted            func(p *peer)

	// pong is called when a peer answers this node's Ping.
	pong func(p *peer)
}

// inflight is an item asked of some peer, so others are not asked too.
type inflight struct {
	peer    PeerID
	expires time.Time
}

// RoundHandler is the node's part in the gossip of notarization round
// messages (Config.Rounds): RoundMessage, the raw bytes of one signed
// message of a round (PROTOCOL §13.5), named by RoundMessageHash.
type RoundHandler interface {
	// HaveRoundMessage reports whether the node already has, or does not
	// want, the RoundMessage named hash, so the Server asks peers only
	// for what it lacks.
	HaveRoundMessage(hash chainhash.Hash) bool

	// RoundMessage returns the raw bytes named hash to serve a peer's
	// GetData; ok false answers NotFound.
	RoundMessage(hash chainhash.Hash) (raw []byte, ok bool)

	// ReceiveRoundMessage takes a RoundMessage a peer announced and
	// then sent at the node's request. raw has 1 to MaxRoundMessageSize
	// bytes and hashes to the announced hash; nothing else is checked.
	// A returned *MisbehaviorError adds its Score to the sender's ban
	// score; other errors are only logged. To relay it, the node keeps
	// it where RoundMessage finds it and calls
	// Server.Announce(RoundItem(hash)). The slice must not be modified.
	ReceiveRoundMessage(from PeerID, raw []byte) error
}

// Server runs the peer protocol: it accepts and dials peers, keeps one
// session per peer, relays inventory and fetches blocks. Create it with
// New, then Start and Stop it once.
type Server struct {
	cfg      Config
	h        Handler
	peg      PegHandler // h, if it implements PegHandler
	pos      PosHandler // Config.Pos
	rounds   RoundHandler
	lim      limits
	nonce    uint64
	grpc     *grpc.Server
	dialOpts []grpc.DialOption
	hooks    testHooks

	// ctx is cancelled and quit closed by Stop; wg counts every
	// goroutine the Server starts or hosts.
	ctx      context.Context
	cancel   context.CancelFunc
	quit     chan struct{}
	wg       sync.WaitGroup
	stopOnce sync.Once

	nextID atomic.Uint64

	mu        sync.Mutex
	started   bool
	stopping  bool
	listeners []net.Listener
	peers     map[PeerID]*peer // handshaken sessions
	byNonce   map[uint64]*peer // the same, by the peer's Hello nonce
	inbound   map[*peer]bool   // inbound sessions, handshaken or not

	// configuredNodes holds, per persistent address, the Hello nonce
	// of the node last reached there and the IP it was reached at, so
	// that its inbound sessions are known as a configured peer's too.
	configuredNodes map[string]configuredNode

	// configuredHosts are the IP hosts, other than loopback ones, of
	// the Connect and AddPeer addresses: an inbound session from one is
	// taken to be that configured peer and is never discouraged.
	configuredHosts map[netip.Addr]bool

	// banMu guards bans, and banChanged, which is closed and replaced
	// when a ban is lifted, so persistent loops waiting on it recheck.
	// It is never held while taking mu.
	banMu      sync.Mutex
	bans       banList
	banChanged chan struct{}

	// fileMu serializes Ban and Unban, so that the ban file they write
	// follows the order of the changes. It is taken before banMu, and
	// held while writing, banMu not.
	fileMu sync.Mutex

	// now is the clock of the bans: time.Now, or a test's.
	now func() time.Time

	inflightMu      sync.Mutex
	inflight        map[InvItem]inflight
	inflightSweepAt int

	fetchMu  sync.Mutex
	fetchers map[chainhash.Hash]map[*fetcher]struct{}

	// sync is the header sync, nil without Config.HeaderSync.
	sync *syncer
}

// New returns a Server for cfg that serves h, and peg, when it is not nil,
// in the gossip of federation signatures. It checks cfg and fills in
// defaults; it neither listens nor dials until Start.
func New(cfg Config, h Handler, peg PegHandler) (*Server, error) {
	return newServer(cfg, h, peg, time.Now)
}

// newServer is New with the clock of the bans.
func newServer(cfg Config, h Handler, peg PegHandler, now func() time.Time) (*Server, error) {
	if h == nil {
		return nil, errors.New("p2p: nil handler")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg: cfg,
		h:   h,
		lim: limits{
			maxItems:   cfg.MaxInventoryItems,
			maxData:    cfg.MaxMessageSize,
			headerSize: cfg.headerSize(),
		},
		nonce:           rand.Uint64() | 1,
		ctx:             ctx,
		cancel:          cancel,
		quit:            make(chan struct{}),
		peers:           make(map[PeerID]*peer),
		byNonce:         make(map[uint64]*peer),
		inbound:         make(map[*peer]bool),
		configuredNodes: make(map[string]configuredNode),
		configuredHosts: configuredHosts(cfg),
		bans:            newBanList(),
		banChanged:      make(chan struct{}),
		now:             now,
		inflight:        make(map[InvItem]inflight),
		inflightSweepAt: 1024,
		fetchers:        make(map[chainhash.Hash]map[*fetcher]struct{}),
		peg:             peg,
		pos:             cfg.Pos,
		rounds:          cfg.Rounds,
	}
	if cfg.HeaderSync != nil {
		s.sync = &syncer{hs: cfg.HeaderSync}
	}

	s.grpc = grpc.NewServer(
		grpc.MaxRecvMsgSize(cfg.MaxMessageSize),
		grpc.MaxSendMsgSize(cfg.MaxMessageSize),
		// One Exchange stream per connection; a little slack for a
		// stream that is ending while the next opens.
		grpc.MaxConcurrentStreams(4),
		grpc.ConnectionTimeout(cfg.HandshakeTimeout),
		// A connection without a session (never opened one, or its
		// session ended) is closed soon.
		grpc.KeepaliveParams(keepalive.ServerParameters{
			MaxConnectionIdle: 2 * cfg.HandshakeTimeout,
		}),
	)
	p2pv1.RegisterPeerServiceServer(s.grpc, service{s: s})
	s.loadBans()

	s.dialOpts = []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(cfg.MaxMessageSize),
			grpc.MaxCallSendMsgSize(cfg.MaxMessageSize),
		),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.DefaultConfig,
			MinConnectTimeout: cfg.HandshakeTimeout,
		}),
		grpc.WithUserAgent(cfg.UserAgent),
	}
	return s, nil
}

// Start listens on every Config.Listen address and starts dialling the
// persistent peers. It fails, having listened nowhere, if any address
// cannot be listened on; the Server is then only good for Stop. Start may
// be called once.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return ErrServerStopped
	}
	if s.started {
		return ErrAlreadyStarted
	}
	s.started = true

	for _, addr := range s.cfg.Listen {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			for _, l := range s.listeners {
				_ = l.Close()
			}
			s.listeners = nil
			return fmt.Errorf("p2p: listen on %s: %w", addr, err)
		}
		s.listeners = append(s.listeners, l)
	}
	for _, l := range s.listeners {
		log.Infof("Peer server listening on %s", l.Addr())
		s.wg.Add(1)
		go func(l net.Listener) {
			defer s.wg.Done()
			err := s.grpc.Serve(banListener{Listener: l, s: s})
			if err != nil && !s.isStopping() {
				log.Errorf("Peer server on %s failed: %v",
					l.Addr(), err)
			}
		}(l)
	}

	if s.syncOn() {
		s.wg.Add(1)
		go s.stallLoop()
	}
	seen := make(map[string]bool)
	for _, addr := range append(s.cfg.Connect, s.cfg.AddPeer...) {
		if seen[addr] {
			continue
		}
		seen[addr] = true
		s.wg.Add(1)
		go s.persistentLoop(addr)
	}
	return nil
}

// Stop closes every session and listener and waits for every goroutine of
// the Server to end, including Handler calls in progress. It may be called
// any number of times, before or after Start.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		s.stopping = true
		s.mu.Unlock()

		close(s.quit)
		s.cancel()
		s.grpc.Stop()
		s.wg.Wait()
		log.Infof("Peer server stopped")
	})
	return nil
}

// isStopping reports whether Stop was called.
func (s *Server) isStopping() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopping
}

// running reports whether the Server is started and not stopped.
func (s *Server) running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started && !s.stopping
}

// ListenAddrs returns the addresses the Server listens on, with the ports
// chosen for port 0. It is empty before Start.
func (s *Server) ListenAddrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	addrs := make([]net.Addr, len(s.listeners))
	for i, l := range s.listeners {
		addrs[i] = l.Addr()
	}
	return addrs
}

// Peers returns the handshaken sessions, ordered by PeerID.
func (s *Server) Peers() []PeerInfo {
	peers := s.peerList()
	infos := make([]PeerInfo, len(peers))
	for i, p := range peers {
		infos[i] = p.info()
	}
	return infos
}

// ConnectedCount returns the number of handshaken sessions.
func (s *Server) ConnectedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.peers)
}

// Announce tells every peer about items, except the peers known to have
// them already. The node calls it after accepting a block, transaction or
// PegSignatures, whether from a peer or its own, once it can serve the item.
// PegItems are dropped unless the Handler is a PegHandler, RoundItems
// unless Config.Rounds is set. Announcements
// are batched: a peer gets at most one Inventory per TrickleInterval.
func (s *Server) Announce(items ...InvItem) {
	valid := items[:0:0]
	for _, it := range items {
		switch {
		case it.Type == InvBlock, it.Type == InvTx,
			it.Type == InvPegSignatures && s.peg != nil,
			it.Type == InvPos && s.pos != nil,
			it.Type == InvRoundMessage && s.rounds != nil:
			valid = append(valid, it)
		}
	}
	if len(valid) == 0 {
		return
	}
	for _, p := range s.peerList() {
		p.announce(valid)
	}
}

// peerList returns the handshaken peers ordered by PeerID.
func (s *Server) peerList() []*peer {
	s.mu.Lock()
	peers := make([]*peer, 0, len(s.peers))
	for _, p := range s.peers {
		peers = append(peers, p)
	}
	s.mu.Unlock()
	sort.Slice(peers, func(i, j int) bool { return peers[i].id < peers[j].id })
	return peers
}

// helloMsg returns this node's Hello.
func (s *Server) helloMsg() *p2pv1.Message {
	best, height := s.h.Best()
	var bestBytes []byte
	if best != (chainhash.Hash{}) {
		bestBytes = best[:]
	}
	return &p2pv1.Message{Payload: &p2pv1.Message_Hello{Hello: &p2pv1.Hello{
		ProtocolVersion: ProtocolVersion,
		Network:         s.cfg.Network,
		SidechainId:     s.cfg.SidechainID,
		BestBlock:       bestBytes,
		BestHeight:      height,
		UserAgent:       s.cfg.UserAgent,
		Nonce:           s.nonce,
		Genesis:         s.cfg.Genesis[:],
		Engine:          s.cfg.Engine,
	}}}
}

// checkHello checks what a peer's Hello says against this node.
func (s *Server) checkHello(h *p2pv1.Hello) error {
	switch {
	case h.GetProtocolVersion() != ProtocolVersion:
		return ruleErrorf(ErrProtocolVersion, "protocol version %d, "+
			"this node speaks %d", h.GetProtocolVersion(),
			ProtocolVersion)
	case h.GetNetwork() != s.cfg.Network:
		return ruleErrorf(ErrNetworkMismatch, "network %q, this node "+
			"is on %q", h.GetNetwork(), s.cfg.Network)
	case !bytes.Equal(h.GetGenesis(), s.cfg.Genesis[:]):
		return genesisMismatch(h, s.cfg.Genesis, s.cfg.Engine)
	case h.GetSidechainId() == 0:
		return ruleError(ErrZeroSidechain, "sidechain id 0")
	case h.GetSidechainId() != s.cfg.SidechainID:
		return ruleErrorf(ErrSidechainMismatch, "sidechain id %d, this "+
			"node follows %d", h.GetSidechainId(), s.cfg.SidechainID)
	case h.GetNonce() == s.nonce:
		return ruleError(ErrSelfConnection, "connected to self")
	}
	return nil
}

// genesisMismatch returns the ErrGenesisMismatch of a Hello h whose
// genesis is not this node's, naming both genesis ids and both engines.
func genesisMismatch(h *p2pv1.Hello, genesis chainhash.Hash, engine string) error {
	if len(h.GetGenesis()) == 0 {
		return ruleErrorf(ErrGenesisMismatch, "the peer names no "+
			"genesis id (a sidenode from before the handshake "+
			"carried it); this node's genesis is %v (%s engine)",
			genesis, engine)
	}
	var theirs chainhash.Hash
	copy(theirs[:], h.GetGenesis())
	peerEngine := h.GetEngine()
	if peerEngine == "" {
		peerEngine = "unnamed"
	}
	return ruleErrorf(ErrGenesisMismatch, "genesis %v (%s engine), this "+
		"node's genesis is %v (%s engine): the peer runs another "+
		"network, engine or engine parameters; check --network on "+
		"both nodes", theirs, peerEngine, genesis, engine)
}

// register adds a handshaken peer whose Hello is h. A second session with
// the same node (same nonce) is refused, except that when two nodes dial
// each other at once, both keep the session dialled by the node with the
// lower nonce. An inbound session replaces the one this node dialled only
// if it comes from the IP that one reached: a nonce proves nothing, and
// otherwise anyone who heard a peer's nonce could cut the node off it.
func (s *Server) register(p *peer, h *p2pv1.Hello) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return ErrServerStopped
	}
	if p.closed() {
		return errClosed
	}
	nonce := h.GetNonce()
	if old := s.byNonce[nonce]; old != nil {
		newDialer, oldDialer := s.nonce, nonce
		if p.inbound {
			newDialer, oldDialer = nonce, s.nonce
		}
		if old.inbound == p.inbound || newDialer > oldDialer {
			return ruleErrorf(ErrDuplicatePeer, "already connected "+
				"to this node as %v", old)
		}
		if p.inbound && (!old.remoteHost.IsValid() ||
			addrHost(p.addr) != old.remoteHost) {
			return ruleErrorf(ErrDuplicatePeer, "already connected "+
				"to this node as %v, reached at another IP", old)
		}
		log.Infof("Replacing session %v with %v: both nodes dialled; "+
			"the lower nonce's session stays", old, p)
		old.disconnect(ruleErrorf(ErrDuplicatePeer, "replaced by %v", p))
		delete(s.peers, old.id)
	}
	p.hello = h
	s.peers[p.id] = p
	s.byNonce[nonce] = p
	return nil
}

// unregister removes an ended session and whatever it had in flight.
func (s *Server) unregister(p *peer) {
	s.mu.Lock()
	if s.peers[p.id] == p {
		delete(s.peers, p.id)
	}
	if p.hello != nil && s.byNonce[p.hello.GetNonce()] == p {
		delete(s.byNonce, p.hello.GetNonce())
	}
	s.mu.Unlock()
	s.releaseAllInflight(p)
	if p.hello != nil {
		s.syncPeerGone(p)
	}
}

// runSession runs the session p to its end: it sends the Hello, starts
// the reader and writer, waits HandshakeTimeout for the handshake, then
// serves the peer until the session or the Server ends. It returns whether
// the handshake succeeded and why the session ended. The caller tears the
// stream down afterwards, which ends the reader and writer.
func (s *Server) runSession(p *peer) (handshook bool, reason error) {
	defer func() {
		p.disconnect(ErrServerStopped)
		s.unregister(p)
		reason = p.reason()
		if handshook {
			log.Infof("Peer %v disconnected: %v", p, reason)
		}
	}()

	if !p.queueNow(s.helloMsg()) {
		return false, nil
	}
	s.wg.Add(2)
	go p.writeLoop()
	go p.readLoop()

	timer := time.NewTimer(s.cfg.HandshakeTimeout)
	defer timer.Stop()
	select {
	case <-p.handshakeDone:
	case <-timer.C:
		select {
		case <-p.handshakeDone:
		default:
			p.reject(ruleErrorf(ErrHandshakeTimeout, "no hello "+
				"within %v", s.cfg.HandshakeTimeout))
			return false, nil
		}
	case <-p.quit:
		return false, nil
	case <-s.quit:
		return false, nil
	}
	p.run()
	return true, nil
}

// service is the gRPC PeerService: the dialled side of sessions.
type service struct {
	p2pv1.UnimplementedPeerServiceServer
	s *Server
}

// Exchange runs an inbound session on the stream.
func (svc service) Exchange(stream p2pv1.PeerService_ExchangeServer) error {
	s := svc.s
	addr := "unknown"
	if pr, ok := grpcpeer.FromContext(stream.Context()); ok && pr.Addr != nil {
		addr = pr.Addr.String()
	}
	if b, ok, _ := s.bannedAddr(addr); ok {
		log.Debugf("Refusing session from %s: banned until %v", addr,
			b.Until.Format(time.RFC3339))
		if hook := s.hooks.refusedBanned; hook != nil {
			hook(addr)
		}
		return status.Error(codes.PermissionDenied, "banned")
	}
	discouraged := s.isDiscouraged(addr)

	s.mu.Lock()
	var evict *peer
	switch {
	case s.stopping:
		s.mu.Unlock()
		return status.Error(codes.Unavailable, "shutting down")
	case discouraged && len(s.inbound)+1 >= s.cfg.MaxInbound:
		// A discouraged address gets a session only while the last
		// slot stays free for others.
		s.mu.Unlock()
		log.Debugf("Refusing session from discouraged %s: %d of %d "+
			"inbound slots taken", addr, len(s.inbound),
			s.cfg.MaxInbound)
		if hook := s.hooks.refusedDiscouraged; hook != nil {
			hook(addr)
		}
		return status.Error(codes.ResourceExhausted, "too many peers")
	case len(s.inbound) >= s.cfg.MaxInbound:
		evict = s.evictionCandidateLocked()
		if evict == nil {
			s.mu.Unlock()
			log.Debugf("Refusing session from %s: %d inbound peers",
				addr, s.cfg.MaxInbound)
			return status.Error(codes.ResourceExhausted, "too many peers")
		}
		delete(s.inbound, evict)
	}
	p := s.newPeer(serverConn{stream: stream}, addr, true, false)
	s.inbound[p] = true
	s.wg.Add(1)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.inbound, p)
		s.mu.Unlock()
		s.wg.Done()
	}()
	if evict != nil {
		log.Infof("Evicting discouraged peer %v to make room for %s",
			evict, addr)
		evict.disconnect(errEvicted)
		if hook := s.hooks.evicted; hook != nil {
			hook(evict)
		}
	}

	_, reason := s.runSession(p)
	var rerr RuleError
	if errors.As(reason, &rerr) {
		return status.Error(codes.FailedPrecondition, rerr.Error())
	}
	return nil
}

// evictionCandidateLocked returns the inbound session to close for a new
// one when every slot is taken: the newest of those from discouraged
// addresses, or nil if there is none. s.mu is held.
func (s *Server) evictionCandidateLocked() *peer {
	var cand *peer
	for p := range s.inbound {
		if p.closed() || !s.isDiscouraged(p.addr) {
			continue
		}
		if cand == nil || p.id > cand.id {
			cand = p
		}
	}
	return cand
}

// persistentLoop keeps a session with addr: it dials, runs the session,
// and redials with exponential backoff, until Stop. It gives up only on an
// address that turns out to be this node. While the operator bans addr it
// does not dial; a configured address is never discouraged.
func (s *Server) persistentLoop(addr string) {
	defer s.wg.Done()
	if hook := s.hooks.loopEnded; hook != nil {
		defer hook(addr)
	}
	backoff := s.cfg.RetryInterval
	for {
		if b, ok, changed := s.bannedAddr(addr); ok {
			log.Infof("Not dialling configured peer %s: the operator "+
				"banned %s until %v", addr, b.Target,
				b.Until.Format(time.RFC3339))
			if hook := s.hooks.refusedBanned; hook != nil {
				hook(addr)
			}
			if !s.waitUnban(b.Until, changed) {
				return
			}
			continue
		}

		handshook, reason := s.dialSession(addr)
		if hook := s.hooks.dialed; hook != nil {
			hook(addr, handshook, reason)
		}
		if s.isStopping() {
			return
		}
		if IsErrorCode(reason, ErrSelfConnection) {
			log.Warnf("Not redialling %s: it is this node", addr)
			return
		}
		if errors.Is(reason, errOperatorBan) {
			continue // wait for the ban to end
		}
		// A session ended by misbehavior counts as a failed attempt,
		// so a configured peer that keeps misbehaving is redialled
		// ever more slowly.
		failed := !handshook || errors.Is(reason, errMisbehaved)
		if !failed {
			backoff = s.cfg.RetryInterval
		}
		// Up to a quarter either way, so nodes that dial each other do
		// not stay in step.
		wait := time.Duration(float64(backoff) * (0.75 + rand.Float64()/2))
		log.Debugf("Redialling %s in %v", addr, wait.Round(time.Millisecond))
		if !s.sleep(wait) {
			return
		}
		if failed {
			backoff = min(2*backoff, s.cfg.MaxRetryInterval)
		}
	}
}

// dialSession dials addr and runs one outbound session to its end.
func (s *Server) dialSession(addr string) (handshook bool, reason error) {
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	cc, err := grpc.NewClient("passthrough:///"+addr, s.dialOpts...)
	if err != nil {
		log.Warnf("Cannot dial %s: %v", addr, err)
		return false, err
	}
	defer func() { _ = cc.Close() }()

	stream, err := p2pv1.NewPeerServiceClient(cc).Exchange(ctx)
	if err != nil {
		log.Debugf("Cannot connect to %s: %v", addr, err)
		return false, err
	}
	p := s.newPeer(clientConn{stream: stream}, addr, false, true)
	// The IP actually reached, for a persistent address given by name.
	if pr, ok := grpcpeer.FromContext(stream.Context()); ok && pr.Addr != nil {
		p.remoteHost = addrHost(pr.Addr.String())
	}
	return s.runSession(p)
}

// sleep waits d or until Stop, and reports whether the Server still runs.
func (s *Server) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.quit:
		return false
	}
}

// waitUnban waits until a ban ends at until, or changed closes (a ban was
// lifted), or Stop, and reports whether the Server still runs.
func (s *Server) waitUnban(until time.Time, changed <-chan struct{}) bool {
	t := time.NewTimer(until.Sub(s.now()))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-changed:
		return true
	case <-s.quit:
		return false
	}
}

// configuredHosts returns the IP hosts of cfg's persistent addresses that
// are not loopback addresses.
func configuredHosts(cfg Config) map[netip.Addr]bool {
	hosts := make(map[netip.Addr]bool)
	for _, addr := range append(append([]string{}, cfg.Connect...), cfg.AddPeer...) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			continue
		}
		if a, err := netip.ParseAddr(host); err == nil && !perConnection(addr) {
			hosts[a.Unmap().WithZone("")] = true
		}
	}
	return hosts
}

// configuredNode is the node last reached at a persistent address.
type configuredNode struct {
	nonce uint64     // its Hello nonce
	host  netip.Addr // the IP it was reached at; invalid if unknown
}

// noteConfigured records that the node reached at the persistent address
// addr, at the IP host (invalid if unknown), says nonce in its Hello.
func (s *Server) noteConfigured(addr string, nonce uint64, host netip.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.configuredNodes[addr] = configuredNode{nonce: nonce, host: host}
}

// configured reports whether the operator configured p: a persistent
// session, an inbound one from the host of a persistent address that is
// not a loopback address, or an inbound one that says the Hello nonce of
// the node last reached at a persistent address and comes from the IP it
// was reached at. A nonce proves nothing (any node that connected to that
// peer heard it), so the IP must match too.
func (s *Server) configured(p *peer) bool {
	if p.persistent {
		return true
	}
	host := addrHost(p.addr)
	if !host.IsValid() {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.configuredHosts[host] {
		return true
	}
	if p.hello == nil {
		return false
	}
	for _, n := range s.configuredNodes {
		if n.nonce == p.hello.GetNonce() && n.host == host {
			return true
		}
	}
	return false
}

// addrHost returns the IP of the "host:port" address addr, IPv4-mapped
// addresses as IPv4, or the invalid Addr if its host is no IP.
func addrHost(addr string) netip.Addr {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return netip.Addr{}
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}

// bannedAddr returns the operator's ban that the session address addr
// falls under, if any, and the channel that closes when a ban is lifted.
func (s *Server) bannedAddr(addr string) (Ban, bool, <-chan struct{}) {
	s.banMu.Lock()
	defer s.banMu.Unlock()
	b, ok := s.bans.banned(addr, s.now())
	return b, ok, s.banChanged
}

// isDiscouraged reports whether misbehavior discouraged addr.
func (s *Server) isDiscouraged(addr string) bool {
	s.banMu.Lock()
	defer s.banMu.Unlock()
	return s.bans.isDiscouraged(addr, s.now())
}

// discourage discourages what misbehavior on a session with addr is held
// against (discourageTarget) for DiscourageDuration, and returns it.
func (s *Server) discourage(addr, reason string) string {
	t := discourageTarget(addr)
	now := s.now()
	s.banMu.Lock()
	defer s.banMu.Unlock()
	s.bans.discourage(t, reason, now, now.Add(s.cfg.DiscourageDuration))
	return t.String()
}

// Bans returns the operator's bans and the discouraged addresses in force,
// bans first, each kind ordered by target.
func (s *Server) Bans() []Ban {
	s.banMu.Lock()
	defer s.banMu.Unlock()
	return s.bans.list(s.now())
}

// Ban bans target for d, or Config.BanDuration when d is 0, and closes the
// sessions it covers: no session with it is accepted or dialled, not even
// a configured peer's, until the ban ends or Unban lifts it. target is an
// IP, a subnet, a host name, or one of those with a port (Ban.Target);
// reason is the operator's note. Banning a target again sets its end anew.
// With a Config.BanFile the ban takes effect once it is written there.
// The error wraps ErrBanTarget, ErrBanDuration, ErrBanReason,
// ErrTooManyBans or ErrBanFile.
func (s *Server) Ban(target string, d time.Duration, reason string) (Ban, error) {
	t, err := parseBanTarget(target)
	if err != nil {
		return Ban{}, err
	}
	if d == 0 {
		d = s.cfg.BanDuration
	}
	if d < time.Second || d > MaxBanDuration {
		return Ban{}, fmt.Errorf("%w: %v is not between 1s and %v",
			ErrBanDuration, d, MaxBanDuration)
	}
	if len(reason) > MaxBanReasonLen {
		return Ban{}, fmt.Errorf("%w: %d bytes, at most %d",
			ErrBanReason, len(reason), MaxBanReasonLen)
	}
	key := t.String()
	s.fileMu.Lock()
	defer s.fileMu.Unlock()
	now := s.now()
	b := Ban{Target: key, Kind: Banned, Created: now, Until: now.Add(d),
		Reason: reason}
	s.banMu.Lock()
	s.bans.expire(now)
	if _, ok := s.bans.bans[key]; !ok && len(s.bans.bans) >= maxBans {
		s.banMu.Unlock()
		return Ban{}, fmt.Errorf("%w: %d bans already; lift some, or "+
			"ban a subnet", ErrTooManyBans, maxBans)
	}
	kept := s.bans.operatorBans(key)
	s.banMu.Unlock()
	if err := s.saveBans(append(kept, b)); err != nil {
		return Ban{}, err
	}
	s.banMu.Lock()
	s.bans.bans[key] = b
	s.bans.targets[key] = t
	s.banMu.Unlock()
	log.Infof("Operator banned %s until %v: %s", key,
		b.Until.Format(time.RFC3339), reason)

	s.mu.Lock()
	var hit []*peer
	for p := range s.inbound {
		if t.matches(p.addr) {
			hit = append(hit, p)
		}
	}
	for _, p := range s.peers {
		if !p.inbound && t.matches(p.addr) {
			hit = append(hit, p)
		}
	}
	s.mu.Unlock()
	for _, p := range hit {
		log.Infof("Disconnecting peer %v: the operator banned %s", p, key)
		p.disconnect(errOperatorBan)
	}
	return b, nil
}

// Unban lifts the operator's ban and the discouragement of target, given
// as Bans lists it or in any spelling that parses the same. It returns
// what it lifted, and an error wrapping ErrNotBanned if there was
// nothing. A persistent address it frees is dialled again at once. With
// a Config.BanFile a ban is lifted once the file is written without it;
// the error then may wrap ErrBanFile.
func (s *Server) Unban(target string) ([]Ban, error) {
	t, err := parseBanTarget(target)
	if err != nil {
		return nil, err
	}
	key := t.String()
	s.fileMu.Lock()
	defer s.fileMu.Unlock()
	now := s.now()
	s.banMu.Lock()
	s.bans.expire(now)
	if _, ok := s.bans.bans[key]; ok {
		kept := s.bans.operatorBans(key)
		s.banMu.Unlock()
		if err := s.saveBans(kept); err != nil {
			return nil, err
		}
		s.banMu.Lock()
	}
	var lifted []Ban
	if b, ok := s.bans.bans[key]; ok {
		lifted = append(lifted, b)
		delete(s.bans.bans, key)
		delete(s.bans.targets, key)
	}
	if b, ok := s.bans.discouraged[key]; ok {
		lifted = append(lifted, b)
		delete(s.bans.discouraged, key)
	}
	if len(lifted) > 0 {
		close(s.banChanged)
		s.banChanged = make(chan struct{})
	}
	s.banMu.Unlock()
	if len(lifted) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNotBanned, key)
	}
	log.Infof("Operator lifted the ban or discouragement of %s", key)
	return lifted, nil
}

// loadBans loads the operator's bans from Config.BanFile, if any, with a
// warning for a file that could not be used.
func (s *Server) loadBans() {
	path := s.cfg.BanFile
	if path == "" {
		return
	}
	got := loadBanFile(path, s.now())
	for k, b := range got.bans {
		t, _ := parseBanTarget(b.Target)
		s.bans.bans[k] = b
		s.bans.targets[k] = t
	}
	if got.expired > 0 {
		log.Infof("Dropped %d bans that ended while the node was down, "+
			"from %s", got.expired, path)
	}
	if len(got.bans) > 0 {
		log.Infof("Loaded %d bans from %s", len(got.bans), path)
	}
	if got.problem == "" {
		return
	}
	if got.movedTo == "" {
		log.Warnf("Ban file %s: %s. Its bans are not in force; the "+
			"next ban or unban replaces it", path, got.problem)
		return
	}
	log.Warnf("Ban file %s: %s. Moved it aside to %s; %d bans from it "+
		"are in force, the rest are not: check the file and ban again "+
		"what is missing", path, got.problem, got.movedTo, len(got.bans))
	if len(got.bans) == 0 {
		return
	}
	if err := s.saveBans(s.bans.operatorBans("")); err != nil {
		log.Warnf("The %d bans kept from %s are in force until the "+
			"node stops: %v", len(got.bans), got.movedTo, err)
	}
}

// saveBans writes bans, the operator's, to Config.BanFile, if any.
func (s *Server) saveBans(bans []Ban) error {
	if s.cfg.BanFile == "" {
		return nil
	}
	if err := writeBanFile(s.cfg.BanFile, bans); err != nil {
		return fmt.Errorf("%w %s: %v", ErrBanFile, s.cfg.BanFile, err)
	}
	return nil
}

// banListener drops connections from banned addresses as they are
// accepted.
type banListener struct {
	net.Listener
	s *Server
}

// Accept returns the next connection from an address that is not banned.
func (l banListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := c.RemoteAddr().String()
		if _, banned, _ := l.s.bannedAddr(addr); banned {
			log.Debugf("Dropping connection from banned %s", addr)
			_ = c.Close()
			if hook := l.s.hooks.refusedBanned; hook != nil {
				hook(addr)
			}
			continue
		}
		return c, nil
	}
}

// have reports whether the node has it, or does not want it: true for
// PegSignatures when the Handler is no PegHandler, and for RoundMessages
// without Config.Rounds.
func (s *Server) have(it InvItem) bool {
	switch it.Type {
	case InvBlock:
		return s.h.HaveBlock(it.Hash)
	case InvTx:
		return s.h.HaveTx(it.Hash)
	case InvPegSignatures:
		return s.peg == nil || s.peg.HavePegSignatures(it.Hash)
	case InvPos:
		return s.pos == nil || s.pos.HavePosItem(it.Hash)
	case InvRoundMessage:
		return s.rounds == nil || s.rounds.HaveRoundMessage(it.Hash)
	}
	return true
}

// lookup returns the message that serves it, or nil if the node lacks it.
func (s *Server) lookup(it InvItem) *p2pv1.Message {
	switch it.Type {
	case InvBlock:
		header, body, ok := s.h.Block(it.Hash)
		if !ok {
			return nil
		}
		if len(header) != s.lim.headerSize || len(body) == 0 ||
			blockHash(header) != it.Hash {
			log.Errorf("Handler returned a malformed block for %v "+
				"(%d-byte header, %d-byte body, or another "+
				"hash); answering notfound", it.Hash,
				len(header), len(body))
			return nil
		}
		return blockMsg(header, body)
	case InvTx:
		raw, ok := s.h.Tx(it.Hash)
		if !ok || len(raw) == 0 {
			return nil
		}
		return txMsg(raw)
	case InvPegSignatures:
		if s.peg == nil {
			return nil
		}
		psbt, ok := s.peg.PegSignatures(it.Hash)
		if !ok {
			return nil
		}
		if len(psbt) == 0 || len(psbt) > MaxPegSignaturesSize ||
			PegSignaturesHash(psbt) != it.Hash {
			log.Errorf("Handler returned malformed peg signatures "+
				"for %v (%d bytes, or another hash); answering "+
				"notfound", it.Hash, len(psbt))
			return nil
		}
		return pegSignaturesMsg(psbt)
	case InvPos:
		if s.pos == nil {
			return nil
		}
		data, ok := s.pos.PosItem(it.Hash)
		if !ok {
			return nil
		}
		if len(data) == 0 || len(data) > MaxPosItemSize ||
			s.pos.PosItemName(data) != it.Hash {
			log.Errorf("Handler returned a malformed pos item for "+
				"%v (%d bytes, or another hash); answering "+
				"notfound", it.Hash, len(data))
			return nil
		}
		return &p2pv1.Message{Payload: &p2pv1.Message_PosItem{
			PosItem: &p2pv1.PosItem{Data: data}}}
	case InvRoundMessage:
		if s.rounds == nil {
			return nil
		}
		raw, ok := s.rounds.RoundMessage(it.Hash)
		if !ok {
			return nil
		}
		if len(raw) == 0 || len(raw) > MaxRoundMessageSize ||
			RoundMessageHash(raw) != it.Hash {
			log.Errorf("Handler returned a malformed round message "+
				"for %v (%d bytes, or another hash); answering "+
				"notfound", it.Hash, len(raw))
			return nil
		}
		return roundMessageMsg(raw)
	}
	return nil
}

// claimInflight records that it is being asked of p, and reports false
// if another peer is already asked for it and has not timed out, or if
// p's session has been unregistered: its reader may still be handling a
// message, and a claim it made now would hold the item for
// RequestTimeout with nobody to ask (releaseAllInflight).
func (s *Server) claimInflight(it InvItem, p *peer) bool {
	now := time.Now()
	s.inflightMu.Lock()
	defer s.inflightMu.Unlock()
	if p.claimsEnded {
		return false
	}
	id := p.id
	if e, ok := s.inflight[it]; ok && e.peer != id && now.Before(e.expires) {
		return false
	}
	if len(s.inflight) >= s.inflightSweepAt {
		for k, e := range s.inflight {
			if !now.Before(e.expires) {
				delete(s.inflight, k)
			}
		}
		s.inflightSweepAt = max(1024, 2*len(s.inflight))
	}
	s.inflight[it] = inflight{peer: id, expires: now.Add(s.cfg.RequestTimeout)}
	return true
}

// releaseAllInflight forgets every item asked of p, whether or not it is
// still among p's requests, and ends p's claims: an ended session answers
// nothing, and what it was asked for goes to other peers at once.
func (s *Server) releaseAllInflight(p *peer) {
	s.inflightMu.Lock()
	defer s.inflightMu.Unlock()
	p.claimsEnded = true
	for it, e := range s.inflight {
		if e.peer == p.id {
			delete(s.inflight, it)
		}
	}
}

// releaseInflight forgets that it is asked of peer id.
func (s *Server) releaseInflight(it InvItem, id PeerID) {
	s.inflightMu.Lock()
	defer s.inflightMu.Unlock()
	if e, ok := s.inflight[it]; ok && e.peer == id {
		delete(s.inflight, it)
	}
}
