package p2p

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
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
	// answers NotFound. header must be the 64-byte header.
	Block(hash chainhash.Hash) (header, body []byte, ok bool)
	Tx(txid chainhash.Hash) (raw []byte, ok bool)

	// ReceiveBlock and ReceiveTx take an item a peer announced and then
	// sent at the node's request. The header hashes to the announced
	// hash and raw decodes to the announced txid; nothing else is
	// checked. A returned *MisbehaviorError (errors.As) adds its Score to
	// the sender's ban score; other errors are only logged. To relay an
	// item it accepted, the node calls Server.Announce. The slices must
	// not be modified.
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

	// refusedBanned is called when a session from a banned host is
	// refused.
	refusedBanned func(addr string)

	// pong is called when a peer answers this node's Ping.
	pong func(p *peer)
}

// inflight is an item asked of some peer, so others are not asked too.
type inflight struct {
	peer    PeerID
	expires time.Time
}

// Server runs the peer protocol: it accepts and dials peers, keeps one
// session per peer, relays inventory and fetches blocks. Create it with
// New, then Start and Stop it once.
type Server struct {
	cfg      Config
	h        Handler
	peg      PegHandler // h, if it implements PegHandler
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
	inbound   int              // inbound sessions, handshaken or not

	banMu sync.Mutex
	bans  map[string]time.Time // host -> end of ban

	inflightMu      sync.Mutex
	inflight        map[InvItem]inflight
	inflightSweepAt int

	fetchMu  sync.Mutex
	fetchers map[chainhash.Hash]map[*fetcher]struct{}
}

// New returns a Server for cfg that serves h, and peg, when it is not nil,
// in the gossip of federation signatures. It checks cfg and fills in
// defaults; it neither listens nor dials until Start.
func New(cfg Config, h Handler, peg PegHandler) (*Server, error) {
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
			maxItems: cfg.MaxInventoryItems,
			maxData:  cfg.MaxMessageSize,
		},
		nonce:           rand.Uint64() | 1,
		ctx:             ctx,
		cancel:          cancel,
		quit:            make(chan struct{}),
		peers:           make(map[PeerID]*peer),
		byNonce:         make(map[uint64]*peer),
		bans:            make(map[string]time.Time),
		inflight:        make(map[InvItem]inflight),
		inflightSweepAt: 1024,
		fetchers:        make(map[chainhash.Hash]map[*fetcher]struct{}),
		peg:             peg,
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
// PegItems are dropped unless the Handler is a PegHandler. Announcements
// are batched: a peer gets at most one Inventory per TrickleInterval.
func (s *Server) Announce(items ...InvItem) {
	valid := items[:0:0]
	for _, it := range items {
		switch {
		case it.Type == InvBlock, it.Type == InvTx,
			it.Type == InvPegSignatures && s.peg != nil:
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

// register adds a handshaken peer whose Hello is h. A second session with the same node
// (same nonce) is refused, except that when two nodes dial each other at
// once, both keep the session dialled by the node with the lower nonce.
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
	for _, it := range p.requestedItems() {
		s.releaseInflight(it, p.id)
	}
}

// runSession runs one session on c to its end: it sends the Hello, starts
// the reader and writer, waits HandshakeTimeout for the handshake, then
// serves the peer until the session or the Server ends. It returns whether
// the handshake succeeded and why the session ended. The caller tears the
// stream down afterwards, which ends the reader and writer.
func (s *Server) runSession(c conn, addr string, inbound,
	persistent bool) (handshook bool, reason error) {

	p := s.newPeer(c, addr, inbound, persistent)
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
	if s.isBanned(hostOf(addr)) {
		log.Debugf("Refusing session from banned %s", addr)
		if hook := s.hooks.refusedBanned; hook != nil {
			hook(addr)
		}
		return status.Error(codes.PermissionDenied, "banned")
	}

	s.mu.Lock()
	switch {
	case s.stopping:
		s.mu.Unlock()
		return status.Error(codes.Unavailable, "shutting down")
	case s.inbound >= s.cfg.MaxInbound:
		s.mu.Unlock()
		log.Debugf("Refusing session from %s: %d inbound peers", addr,
			s.cfg.MaxInbound)
		return status.Error(codes.ResourceExhausted, "too many peers")
	}
	s.inbound++
	s.wg.Add(1)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inbound--
		s.mu.Unlock()
		s.wg.Done()
	}()

	_, reason := s.runSession(serverConn{stream: stream}, addr, true, false)
	var rerr RuleError
	if errors.As(reason, &rerr) {
		return status.Error(codes.FailedPrecondition, rerr.Error())
	}
	return nil
}

// persistentLoop keeps a session with addr: it dials, runs the session,
// and redials with exponential backoff, until Stop. It gives up only on an
// address that turns out to be this node.
func (s *Server) persistentLoop(addr string) {
	defer s.wg.Done()
	if hook := s.hooks.loopEnded; hook != nil {
		defer hook(addr)
	}
	backoff := s.cfg.RetryInterval
	for {
		if wait := s.banRemaining(hostOf(addr)); wait > 0 {
			log.Infof("Not dialling banned peer %s for %v", addr,
				wait.Round(time.Second))
			if !s.sleep(wait) {
				return
			}
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
		if handshook {
			backoff = s.cfg.RetryInterval
		}
		// Up to a quarter either way, so nodes that dial each other do
		// not stay in step.
		wait := time.Duration(float64(backoff) * (0.75 + rand.Float64()/2))
		log.Debugf("Redialling %s in %v", addr, wait.Round(time.Millisecond))
		if !s.sleep(wait) {
			return
		}
		if !handshook {
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
	return s.runSession(clientConn{stream: stream}, addr, false, true)
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

// ban bans host for BanDuration.
func (s *Server) ban(host string) {
	s.banMu.Lock()
	defer s.banMu.Unlock()
	s.bans[host] = time.Now().Add(s.cfg.BanDuration)
}

// banRemaining returns how long host stays banned, 0 if it is not.
func (s *Server) banRemaining(host string) time.Duration {
	s.banMu.Lock()
	defer s.banMu.Unlock()
	end, ok := s.bans[host]
	if !ok {
		return 0
	}
	left := time.Until(end)
	if left <= 0 {
		delete(s.bans, host)
		return 0
	}
	return left
}

// isBanned reports whether host is banned.
func (s *Server) isBanned(host string) bool {
	return s.banRemaining(host) > 0
}

// hostOf returns the host part of a host:port address, or addr itself.
func hostOf(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}

// banListener drops connections from banned hosts as they are accepted.
type banListener struct {
	net.Listener
	s *Server
}

// Accept returns the next connection from a host that is not banned.
func (l banListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.s.isBanned(hostOf(c.RemoteAddr().String())) {
			log.Debugf("Dropping connection from banned %s",
				c.RemoteAddr())
			_ = c.Close()
			if hook := l.s.hooks.refusedBanned; hook != nil {
				hook(c.RemoteAddr().String())
			}
			continue
		}
		return c, nil
	}
}

// have reports whether the node has it, or does not want it: true for
// PegSignatures when the Handler is no PegHandler.
func (s *Server) have(it InvItem) bool {
	switch it.Type {
	case InvBlock:
		return s.h.HaveBlock(it.Hash)
	case InvTx:
		return s.h.HaveTx(it.Hash)
	case InvPegSignatures:
		return s.peg == nil || s.peg.HavePegSignatures(it.Hash)
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
		if len(header) != BlockHeaderSize || len(body) == 0 ||
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
	}
	return nil
}

// claimInflight records that it is being asked of peer id, and reports
// false if another peer is already asked for it and has not timed out.
func (s *Server) claimInflight(it InvItem, id PeerID) bool {
	now := time.Now()
	s.inflightMu.Lock()
	defer s.inflightMu.Unlock()
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

// releaseInflight forgets that it is asked of peer id.
func (s *Server) releaseInflight(it InvItem, id PeerID) {
	s.inflightMu.Lock()
	defer s.inflightMu.Unlock()
	if e, ok := s.inflight[it]; ok && e.peer == id {
		delete(s.inflight, it)
	}
}
