package p2p

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	p2pv1 "github.com/mainstake/sidenode/proto/sidenode/p2p/v1"
)

// HeaderSync is the node's header chain as headers-first sync sees it
// (Config.HeaderSync, pow engine only). Its methods are called from many
// goroutines, never two at once by the sync logic, and must not wait on the
// Server.
type HeaderSync interface {
	// Locator returns a block locator of the best header chain: block
	// hashes, best first, thinning out exponentially back to genesis,
	// which comes last. Only the first MaxLocatorHashes are sent.
	Locator() []chainhash.Hash

	// HeadersAfter returns, in chain order, the 80-byte headers of the
	// best header chain that follow the first hash of locator found on
	// it (genesis if none is), up to and including stop (zero: no stop)
	// and at most max of them. It serves peers' GetHeaders.
	HeadersAfter(locator []chainhash.Hash, stop chainhash.Hash, max int) [][]byte

	// ProcessHeaders takes headers a peer sent, 80 bytes each, in the
	// order they came, and returns how many it added. The error says
	// what the headers prove: a *MisbehaviorError (errors.As) for
	// headers that break a rule that condemns them, which costs the
	// sender its Score; an error wrapping ErrHeadersDoNotConnect when the
	// first header's parent is unknown, which is no offence and makes
	// the Server ask the peer for the headers that lead there; any other
	// error is only logged. Headers the node already has are no error.
	ProcessHeaders(from PeerID, headers [][]byte) (accepted int, err error)

	// NeedBodies returns the hashes of at most max blocks of the best
	// header chain whose bodies the node lacks, lowest height first:
	// the blocks to fetch next. Blocks fetched arrive through
	// Handler.ReceiveBlock.
	NeedBodies(max int) []chainhash.Hash

	// BestHeight returns the height of the best header chain, for
	// choosing a sync peer and the progress line.
	BestHeight() int32
}

// Header sync tuning.
const (
	// maxSyncBlocksPerPeer bounds the blocks asked of one peer by the
	// sync at a time (Bitcoin Core's MAX_BLOCKS_IN_TRANSIT_PER_PEER is
	// 16). A peer is asked for more once at least syncRefill of them
	// arrived, so that one GetData asks for many blocks: GetData counts
	// against the peer's message rate limit, which the node paces itself
	// at (half of 200 messages/s by default). With 32 blocks per GetData,
	// 10,000 blocks take about 300 of them, which the rate allows in
	// about a second; with 32 in flight, 16 per GetData, they took five
	// (BenchmarkHeaderSync).
	// The peer answers within its bounded send queue, so large blocks
	// slow it down rather than pile up.
	maxSyncBlocksPerPeer = 64
	syncRefill           = maxSyncBlocksPerPeer / 2

	// maxSyncWindow bounds the blocks NeedBodies is asked for at once,
	// as Bitcoin Core's BLOCK_DOWNLOAD_WINDOW.
	maxSyncWindow = 1024

	// maxBodyMissing bounds the blocks remembered per peer as answered
	// NotFound, so the sync asks others; the set is cleared when full.
	maxBodyMissing = 4096

	// syncLogInterval and syncLogBlocks pace the progress line: at most
	// one per interval unless that many blocks arrived since the last.
	syncLogInterval = 10 * time.Second
	syncLogBlocks   = 1000

	// stallCheckInterval is how often the Server looks for sync peers
	// that stall.
	stallCheckInterval = time.Second
)

// errStalled ends a session whose peer left a sync request unanswered.
var errStalled = errors.New("stalled the sync")

// syncer is the state of headers-first sync. Its mutex serializes the
// sync's decisions; it is taken before a peer's mu, inflightMu and the
// Server's mu, never after.
type syncer struct {
	hs HeaderSync

	mu     sync.Mutex
	peer   *peer // the peer headers are synced from, or nil
	target int64 // the best height peers claimed, for the progress line
	active bool  // syncing: the caught-up line is still to come

	lastLog       time.Time
	lastLogBlocks uint64
}

// peerSync is a peer's part of the sync state, under peer.mu.
type peerSync struct {
	// headersAsked is when a GetHeaders went out that the peer has not
	// answered; zero if none.
	headersAsked time.Time

	// done: the peer answered this node's GetHeaders with less than a
	// full batch, so it has nothing more; it is not chosen as sync
	// peer again.
	done bool

	// bodies are the blocks the sync asked of the peer, with when.
	bodies map[chainhash.Hash]time.Time

	// missing are blocks the peer answered NotFound for, or sent and
	// the Handler refused.
	missing map[chainhash.Hash]bool
}

// syncOn reports whether the Server does header sync.
func (s *Server) syncOn() bool { return s.sync != nil }

// syncPeerUp starts or continues the sync after p's handshake: a peer
// whose Hello claims a better height than the best header becomes the
// sync peer if there is none.
func (s *Server) syncPeerUp(p *peer) {
	if !s.syncOn() {
		return
	}
	sy := s.sync
	sy.mu.Lock()
	defer sy.mu.Unlock()
	s.maybeSyncLocked()
	s.fetchBodiesLocked()
}

// syncPeerGone hands what p was doing for the sync to other peers.
func (s *Server) syncPeerGone(p *peer) {
	if !s.syncOn() {
		return
	}
	sy := s.sync
	sy.mu.Lock()
	defer sy.mu.Unlock()
	p.mu.Lock()
	p.sync.bodies = nil
	p.mu.Unlock()
	if sy.peer == p {
		sy.peer = nil
		log.Infof("Sync peer %v went away; syncing from another peer", p)
	}
	s.maybeSyncLocked()
	s.fetchBodiesLocked()
}

// maybeSyncLocked chooses a sync peer if there is none: one that claims
// a better height than the best header and has not said it has nothing
// more, outbound first, then by PeerID. sy.mu is held.
func (s *Server) maybeSyncLocked() {
	sy := s.sync
	if sy.peer != nil && !sy.peer.closed() {
		return
	}
	sy.peer = nil
	ours := int64(sy.hs.BestHeight())
	var best *peer
	for _, p := range s.peerList() {
		p.mu.Lock()
		done := p.sync.done
		p.mu.Unlock()
		if p.closed() || done || int64(p.hello.GetBestHeight()) <= ours {
			continue
		}
		if best == nil || (best.inbound && !p.inbound) {
			best = p
		}
	}
	if best == nil {
		return
	}
	sy.peer = best
	sy.target = max(sy.target, int64(best.hello.GetBestHeight()))
	if !sy.active {
		sy.active = true
		_, blocks := s.h.Best()
		sy.lastLog, sy.lastLogBlocks = time.Now(), blocks
		log.Infof("Syncing sidechain from peer %v: headers %d of ~%d, "+
			"blocks %d", best, ours, sy.target, blocks)
	} else {
		log.Infof("Syncing sidechain headers from peer %v (height %d)",
			best, best.hello.GetBestHeight())
	}
	s.askHeaders(best, sy.hs.Locator())
}

// askHeaders sends p a GetHeaders for what follows locator, unless one
// is already unanswered.
func (s *Server) askHeaders(p *peer, locator []chainhash.Hash) {
	if len(locator) == 0 {
		log.Errorf("Header chain gave an empty locator; not asking %v "+
			"for headers", p)
		return
	}
	if len(locator) > MaxLocatorHashes {
		locator = locator[:MaxLocatorHashes]
	}
	p.mu.Lock()
	if !p.sync.headersAsked.IsZero() {
		p.mu.Unlock()
		return
	}
	p.sync.headersAsked = s.now()
	p.mu.Unlock()
	if !p.queueNow(getHeadersMsg(locator, chainhash.Hash{})) {
		p.mu.Lock()
		p.sync.headersAsked = time.Time{}
		p.mu.Unlock()
	}
}

// syncAskHeaders asks p for the headers after the best header chain.
func (s *Server) syncAskHeaders(p *peer) {
	sy := s.sync
	sy.mu.Lock()
	defer sy.mu.Unlock()
	s.askHeaders(p, sy.hs.Locator())
}

// headersSolicited reports whether p owes this node a Headers.
func (p *peer) headersSolicited() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.sync.headersAsked.IsZero()
}

// onGetHeaders answers a peer's GetHeaders with the headers that follow
// its locator, or none if this node does no header sync.
func (p *peer) onGetHeaders(g *p2pv1.GetHeaders) {
	s := p.s
	if !s.syncOn() {
		p.queueWait(headersMsg(nil), nil)
		return
	}
	locator := make([]chainhash.Hash, len(g.GetLocator()))
	for i, b := range g.GetLocator() {
		copy(locator[i][:], b)
	}
	var stop chainhash.Hash
	copy(stop[:], g.GetStop())
	headers := s.sync.hs.HeadersAfter(locator, stop, MaxHeadersPerMessage)
	if len(headers) > MaxHeadersPerMessage {
		log.Errorf("Header chain returned %d headers, at most %d "+
			"asked; sending those", len(headers), MaxHeadersPerMessage)
		headers = headers[:MaxHeadersPerMessage]
	}
	for i, h := range headers {
		if len(h) != PowBlockHeaderSize {
			log.Errorf("Header chain returned a %d-byte header; "+
				"sending the %d before it", len(h), i)
			headers = headers[:i]
			break
		}
	}
	p.queueWait(headersMsg(headers), nil)
}

// onHeaders takes a Headers: an answer to this node's GetHeaders, or an
// announcement. The headers go to HeaderSync.ProcessHeaders; a full batch
// makes the node ask for more, and the bodies of new headers are fetched.
func (p *peer) onHeaders(headers [][]byte) {
	s := p.s
	if !s.syncOn() {
		log.Debugf("Ignoring %d headers from %v: no header sync on this "+
			"network", len(headers), p)
		return
	}
	sy := s.sync
	sy.mu.Lock()
	defer sy.mu.Unlock()

	p.mu.Lock()
	solicited := !p.sync.headersAsked.IsZero()
	p.sync.headersAsked = time.Time{}
	p.mu.Unlock()

	// done ends the sync from p: it has nothing more, or nothing usable.
	done := func() {
		if !solicited {
			return
		}
		p.mu.Lock()
		p.sync.done = true
		p.mu.Unlock()
		if sy.peer == p {
			sy.peer = nil
			s.maybeSyncLocked()
		}
	}
	defer s.logProgressLocked()

	if len(headers) == 0 {
		done()
		s.fetchBodiesLocked()
		return
	}
	accepted, err := sy.hs.ProcessHeaders(p.id, headers)
	if err != nil {
		var me *MisbehaviorError
		switch {
		case errors.As(err, &me):
			p.misbehave(me.Score, "headers rejected: %s", me.Reason)
			done()
		case errors.Is(err, ErrHeadersDoNotConnect):
			log.Debugf("Headers from %v do not connect; asking for "+
				"those before", p)
			s.askHeaders(p, sy.hs.Locator())
		default:
			log.Debugf("Headers from %v not accepted: %v", p, err)
			done()
		}
		s.fetchBodiesLocked()
		return
	}
	if accepted > 0 {
		sy.target = max(sy.target, int64(sy.hs.BestHeight()))
		// Headers this node asked for start a sync episode, with its
		// progress and caught-up lines; an announcement does not.
		if solicited && !sy.active {
			sy.active = true
			sy.lastLog = time.Time{}
		}
	}
	if len(headers) == MaxHeadersPerMessage {
		// Ask from the last header, which is on the peer's chain even
		// if that chain is not (yet) this node's best.
		last := blockHash(headers[len(headers)-1])
		s.askHeaders(p, append([]chainhash.Hash{last}, sy.hs.Locator()...))
	} else {
		done()
	}
	s.fetchBodiesLocked()
}

// syncBlockArrived continues the sync after a block came from p. A block
// the Handler refused (refused) is not asked of p again, so that a block
// the node cannot take does not go back and forth.
func (s *Server) syncBlockArrived(p *peer, hash chainhash.Hash, refused bool) {
	if !s.syncOn() {
		return
	}
	sy := s.sync
	sy.mu.Lock()
	defer sy.mu.Unlock()
	p.mu.Lock()
	delete(p.sync.bodies, hash)
	if refused {
		p.noteMissingLocked(hash)
	}
	p.mu.Unlock()
	s.fetchBodiesLocked()
	s.logProgressLocked()
}

// syncNotFound notes that p does not have the block hash the sync asked
// for, and asks another peer.
func (s *Server) syncNotFound(p *peer, hash chainhash.Hash) {
	if !s.syncOn() {
		return
	}
	sy := s.sync
	sy.mu.Lock()
	defer sy.mu.Unlock()
	p.mu.Lock()
	if _, ok := p.sync.bodies[hash]; ok {
		delete(p.sync.bodies, hash)
		p.noteMissingLocked(hash)
	}
	p.mu.Unlock()
	s.fetchBodiesLocked()
}

// noteMissingLocked records that the sync is not to ask p for hash again.
// p.mu is held.
func (p *peer) noteMissingLocked(hash chainhash.Hash) {
	if p.sync.missing == nil || len(p.sync.missing) >= maxBodyMissing {
		p.sync.missing = make(map[chainhash.Hash]bool)
	}
	p.sync.missing[hash] = true
}

// fetchBodiesLocked asks peers for the next blocks whose bodies the node
// lacks, at most maxSyncBlocksPerPeer in flight per peer (topped up once
// syncRefill are free), each block from one peer at a time, spread over
// the peers with the most room and not asked of a peer that said it does
// not have it. It
// returns how many blocks the node still lacks (up to the window). sy.mu
// is held.
func (s *Server) fetchBodiesLocked() int {
	sy := s.sync
	type slot struct {
		p    *peer
		free int
		want []InvItem
	}
	var slots []*slot
	inflight := 0
	for _, p := range s.peerList() {
		if p.closed() {
			continue
		}
		p.mu.Lock()
		n := len(p.sync.bodies)
		full := len(p.requested) >= 2*p.cfg.MaxInventoryItems
		p.mu.Unlock()
		inflight += n
		if free := maxSyncBlocksPerPeer - n; free >= syncRefill && !full {
			slots = append(slots, &slot{p: p, free: free})
		}
	}
	window := min(maxSyncWindow, inflight+len(slots)*maxSyncBlocksPerPeer+64)
	need := sy.hs.NeedBodies(window)
	if len(slots) == 0 {
		return len(need)
	}
	now := s.now()
	for _, hash := range need {
		it := BlockItem(hash)
		var pick *slot
		for _, sl := range slots {
			if sl.free == 0 || sl.p.syncMissing(hash) {
				continue
			}
			if pick == nil || sl.free > pick.free {
				pick = sl
			}
		}
		if pick == nil {
			break
		}
		if !s.claimInflight(it, pick.p) {
			continue // asked of another peer already
		}
		if !pick.p.request(it, reqSync) {
			if !pick.p.isRequested(it) {
				s.releaseInflight(it, pick.p.id)
			}
			continue
		}
		pick.p.mu.Lock()
		if pick.p.sync.bodies == nil {
			pick.p.sync.bodies = make(map[chainhash.Hash]time.Time)
		}
		pick.p.sync.bodies[hash] = now
		pick.p.mu.Unlock()
		pick.free--
		pick.want = append(pick.want, it)
	}
	for _, sl := range slots {
		if len(sl.want) > 0 {
			sl.p.queueNow(getDataMsg(sl.want))
		}
	}
	return len(need)
}

// syncMissing reports whether the peer answered NotFound for hash.
func (p *peer) syncMissing(hash chainhash.Hash) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sync.missing[hash]
}

// logProgressLocked logs the progress line while syncing, at most every
// syncLogInterval unless syncLogBlocks blocks arrived since, and the
// caught-up line once the node has every block of the best header chain
// and no peer has more headers to give. sy.mu is held.
func (s *Server) logProgressLocked() {
	sy := s.sync
	if !sy.active {
		return
	}
	headers := int64(sy.hs.BestHeight())
	_, blocks := s.h.Best()
	target := max(sy.target, headers)
	if sy.peer == nil && len(sy.hs.NeedBodies(1)) == 0 {
		sy.active = false
		if blocks < uint64(max(headers, 0)) {
			// Every body is stored, but the chain state has not
			// connected them all: it waits (a main reference the
			// mainchain lacks), or something is wrong there.
			log.Infof("Sidechain caught up with peers: headers and "+
				"blocks stored to height %d, connected to height %d",
				headers, blocks)
			return
		}
		log.Infof("Sidechain caught up with peers: headers and blocks "+
			"at height %d", blocks)
		return
	}
	now := time.Now()
	if now.Sub(sy.lastLog) < syncLogInterval &&
		blocks < sy.lastLogBlocks+syncLogBlocks {
		return
	}
	sy.lastLog, sy.lastLogBlocks = now, blocks
	from := "peers"
	if sy.peer != nil {
		from = "peer " + sy.peer.String()
	}
	pct := 100.0
	if target > 0 {
		pct = min(100, 100*float64(blocks)/float64(target))
	}
	log.Infof("Syncing sidechain from %s: headers %d of ~%d, blocks "+
		"%d (%.1f%%)", from, headers, target, blocks, pct)
}

// checkStalls disconnects the peers that left a GetHeaders or a block the
// sync asked for unanswered for RequestTimeout, so that others take their
// place, and returns how many it disconnected. The stall loop calls it
// every stallCheckInterval.
func (s *Server) checkStalls() int {
	if !s.syncOn() {
		return 0
	}
	now := s.now()
	n := 0
	for _, p := range s.peerList() {
		what := p.stalled(now, s.cfg.RequestTimeout)
		if what == "" || p.closed() {
			continue
		}
		log.Infof("Disconnecting peer %v: %s unanswered for %v; syncing "+
			"from another peer", p, what, s.cfg.RequestTimeout)
		p.disconnect(fmt.Errorf("%w: %s", errStalled, what))
		n++
	}
	return n
}

// stalled names the oldest sync request the peer has left unanswered for
// timeout, or returns "".
func (p *peer) stalled(now time.Time, timeout time.Duration) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if at := p.sync.headersAsked; !at.IsZero() && now.Sub(at) >= timeout {
		return "getheaders"
	}
	for hash, at := range p.sync.bodies {
		if now.Sub(at) >= timeout {
			return "block " + hash.String()
		}
	}
	return ""
}

// stallLoop checks for stalling sync peers until Stop.
func (s *Server) stallLoop() {
	defer s.wg.Done()
	t := time.NewTicker(stallCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.checkStalls()
		case <-s.quit:
			return
		}
	}
}

func getHeadersMsg(locator []chainhash.Hash, stop chainhash.Hash) *p2pv1.Message {
	loc := make([][]byte, len(locator))
	for i := range locator {
		loc[i] = locator[i][:]
	}
	var stopBytes []byte
	if stop != (chainhash.Hash{}) {
		stopBytes = stop[:]
	}
	return &p2pv1.Message{Payload: &p2pv1.Message_GetHeaders{
		GetHeaders: &p2pv1.GetHeaders{Locator: loc, Stop: stopBytes}}}
}

func headersMsg(headers [][]byte) *p2pv1.Message {
	return &p2pv1.Message{Payload: &p2pv1.Message_HeaderBatch{
		HeaderBatch: &p2pv1.Headers{Headers: headers}}}
}
