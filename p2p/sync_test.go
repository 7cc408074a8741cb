package p2p

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	p2pv1 "github.com/mainstake/sidenode/proto/sidenode/p2p/v1"
)

// badVersion marks a header the fake header chain condemns.
const badVersion = 666

// fakeNode is a header in a fakeChain.
type fakeNode struct {
	header []byte
	hash   chainhash.Hash
	parent *fakeNode
	height int32
}

// fakeChain is a pow node in memory: a header tree whose best chain is the
// highest, the bodies it has, and the tip of the blocks it has from
// genesis on. It is a Handler and a HeaderSync. It condemns headers of
// version badVersion, and takes any non-empty body but those that start
// with 0xee, which it cannot take (an error that is no misbehavior).
type fakeChain struct {
	mu     sync.Mutex
	srv    *Server
	nodes  map[chainhash.Hash]*fakeNode
	chain  []*fakeNode // the best header chain, by height
	bodies map[chainhash.Hash][]byte
	tip    int32 // the height up to which the best chain has bodies

	processed int // ProcessHeaders calls
}

// fakeGenesis is every fakeChain's genesis header.
var fakeGenesis = fakeHeader(chainhash.Hash{}, 0, 1)

// fakeHeader returns an 80-byte header on parent, told apart by nonce.
func fakeHeader(parent chainhash.Hash, nonce uint32, version int32) []byte {
	h := wire.BlockHeader{Version: version, PrevBlock: parent,
		Timestamp: time.Unix(1700000000+int64(nonce), 0), Bits: 0x207fffff,
		Nonce: nonce}
	var buf bytes.Buffer
	if err := h.Serialize(&buf); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func newFakeChain() *fakeChain {
	c := &fakeChain{nodes: make(map[chainhash.Hash]*fakeNode),
		bodies: make(map[chainhash.Hash][]byte)}
	g := &fakeNode{header: fakeGenesis, hash: blockHash(fakeGenesis)}
	c.nodes[g.hash] = g
	c.chain = []*fakeNode{g}
	c.bodies[g.hash] = []byte("genesis")
	return c
}

// extend adds n blocks with bodies on the best chain, with nonces from
// seed on, and returns their headers.
func (c *fakeChain) extend(n int, seed uint32) [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out [][]byte
	for i := 0; i < n; i++ {
		parent := c.chain[len(c.chain)-1]
		hdr := fakeHeader(parent.hash, seed+uint32(i), 1)
		nd := &fakeNode{header: hdr, hash: blockHash(hdr), parent: parent,
			height: parent.height + 1}
		c.nodes[nd.hash] = nd
		c.chain = append(c.chain, nd)
		c.bodies[nd.hash] = fakeBody(nd.hash)
		out = append(out, hdr)
	}
	c.advanceLocked()
	return out
}

// fakeBody is the body of the block hash.
func fakeBody(hash chainhash.Hash) []byte {
	return append([]byte("body "), hash[:4]...)
}

// advanceLocked moves the tip up the best chain over blocks with bodies.
func (c *fakeChain) advanceLocked() {
	for int(c.tip)+1 < len(c.chain) {
		if _, ok := c.bodies[c.chain[c.tip+1].hash]; !ok {
			return
		}
		c.tip++
	}
}

// addLocked adds a header whose parent is known, making it best if it is
// higher than the best.
func (c *fakeChain) addLocked(hdr []byte, parent *fakeNode) *fakeNode {
	nd := &fakeNode{header: hdr, hash: blockHash(hdr), parent: parent,
		height: parent.height + 1}
	c.nodes[nd.hash] = nd
	if nd.height > c.chain[len(c.chain)-1].height {
		var rev []*fakeNode
		for n := nd; n != nil; n = n.parent {
			rev = append(rev, n)
		}
		c.chain = c.chain[:0]
		for i := len(rev) - 1; i >= 0; i-- {
			c.chain = append(c.chain, rev[i])
		}
		if c.tip >= nd.height {
			c.tip = nd.height - 1
		}
		for c.tip > 0 && c.bodies[c.chain[c.tip].hash] == nil {
			c.tip--
		}
		c.advanceLocked()
	}
	return nd
}

// heights returns the best header height and the tip.
func (c *fakeChain) heights() (headers, blocks int32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return int32(len(c.chain) - 1), c.tip
}

// Handler.

func (c *fakeChain) Best() (chainhash.Hash, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.chain[c.tip].hash, uint64(c.tip)
}

func (c *fakeChain) HaveBlock(hash chainhash.Hash) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.bodies[hash]
	return ok
}

func (c *fakeChain) Block(hash chainhash.Hash) ([]byte, []byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	body, ok := c.bodies[hash]
	if !ok {
		return nil, nil, false
	}
	return c.nodes[hash].header, body, true
}

func (*fakeChain) HaveTx(chainhash.Hash) bool         { return false }
func (*fakeChain) Tx(chainhash.Hash) ([]byte, bool)   { return nil, false }
func (*fakeChain) ReceiveTx(_ PeerID, _ []byte) error { return nil }
func (c *fakeChain) ReceiveBlock(_ PeerID, header, body []byte) error {
	var h wire.BlockHeader
	if err := h.Deserialize(bytes.NewReader(header)); err != nil {
		return &MisbehaviorError{Score: 100, Reason: err.Error()}
	}
	if body[0] == 0xee {
		return errors.New("cannot take the block")
	}
	hash := blockHash(header)
	c.mu.Lock()
	if _, ok := c.nodes[hash]; !ok {
		parent := c.nodes[h.PrevBlock]
		if parent == nil {
			c.mu.Unlock()
			return fmt.Errorf("block %v: %w", hash, ErrHeadersDoNotConnect)
		}
		c.addLocked(bytes.Clone(header), parent)
	}
	_, had := c.bodies[hash]
	c.bodies[hash] = bytes.Clone(body)
	c.advanceLocked()
	srv := c.srv
	c.mu.Unlock()
	if !had && srv != nil {
		srv.Announce(BlockItem(hash))
	}
	return nil
}

// HeaderSync.

func (c *fakeChain) Locator() []chainhash.Hash {
	c.mu.Lock()
	defer c.mu.Unlock()
	var loc []chainhash.Hash
	step := 1
	for i := len(c.chain) - 1; i > 0; i -= step {
		loc = append(loc, c.chain[i].hash)
		if len(loc) >= 10 {
			step *= 2
		}
	}
	return append(loc, c.chain[0].hash)
}

func (c *fakeChain) HeadersAfter(locator []chainhash.Hash, stop chainhash.Hash, max int) [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	start := int32(1)
	for _, h := range locator {
		if n := c.nodes[h]; n != nil && n.height < int32(len(c.chain)) &&
			c.chain[n.height] == n {
			start = n.height + 1
			break
		}
	}
	var out [][]byte
	for i := start; i < int32(len(c.chain)) && len(out) < max; i++ {
		out = append(out, c.chain[i].header)
		if c.chain[i].hash == stop {
			break
		}
	}
	return out
}

func (c *fakeChain) ProcessHeaders(_ PeerID, headers [][]byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.processed++
	accepted := 0
	for i, hdr := range headers {
		var h wire.BlockHeader
		if err := h.Deserialize(bytes.NewReader(hdr)); err != nil {
			return accepted, &MisbehaviorError{Score: 100, Reason: err.Error()}
		}
		hash := blockHash(hdr)
		if _, ok := c.nodes[hash]; ok {
			continue
		}
		parent := c.nodes[h.PrevBlock]
		switch {
		case parent == nil && i == 0:
			return accepted, fmt.Errorf("header %v: %w", hash,
				ErrHeadersDoNotConnect)
		case parent == nil:
			return accepted, &MisbehaviorError{Score: 20,
				Reason: "headers not in chain order"}
		case h.Version == badVersion:
			return accepted, &MisbehaviorError{Score: 100,
				Reason: "header breaks a rule"}
		}
		c.addLocked(bytes.Clone(hdr), parent)
		accepted++
	}
	return accepted, nil
}

func (c *fakeChain) NeedBodies(max int) []chainhash.Hash {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []chainhash.Hash
	for i := int(c.tip) + 1; i < len(c.chain) && len(out) < max; i++ {
		if _, ok := c.bodies[c.chain[i].hash]; !ok {
			out = append(out, c.chain[i].hash)
		}
	}
	return out
}

func (c *fakeChain) BestHeight() int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return int32(len(c.chain) - 1)
}

// clock is a test clock that moves only when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// syncNode is a started pow Server on a fakeChain.
type syncNode struct {
	*Server
	c           *fakeChain
	clock       *clock
	discouraged chan string
}

// startSyncNode starts a pow node on c, testConfig changed by mod, on a
// test clock, stopped at the end of the test.
func startSyncNode(t *testing.T, c *fakeChain, mod func(*Config)) *syncNode {
	t.Helper()
	cfg := testConfig()
	cfg.Engine = EnginePoW
	cfg.HeaderSync = c
	if mod != nil {
		mod(&cfg)
	}
	clk := &clock{now: time.Now()}
	s, err := newServer(cfg, c, nil, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	c.srv = s
	n := &syncNode{Server: s, c: c, clock: clk, discouraged: make(chan string, 16)}
	s.hooks.discouraged = func(_ *peer, target string) { n.discouraged <- target }
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	return n
}

func (n *syncNode) addr() string { return n.ListenAddrs()[0].String() }

// banScore returns the ban score of the node's only peer, or -1.
func (n *syncNode) banScore() int {
	peers := n.Peers()
	if len(peers) != 1 {
		return -1
	}
	return int(peers[0].BanScore)
}

// powHello is a rawPeer's Hello on a pow network, claiming height.
func powHello(height uint64) func(*p2pv1.Hello) {
	return func(h *p2pv1.Hello) {
		h.Engine = EnginePoW
		h.BestHeight = height
	}
}

func isGetHeaders(m *p2pv1.Message) bool { return m.GetGetHeaders() != nil }
func isHeaders(m *p2pv1.Message) bool    { return m.GetHeaderBatch() != nil }

// TestHeaderSyncCatchesUp: a node 5,000 blocks behind its peer syncs the
// headers (three GetHeaders rounds) and then every body, and ends with
// the same best block.
func TestHeaderSyncCatchesUp(t *testing.T) {
	ahead := newFakeChain()
	ahead.extend(5000, 1)
	behind := newFakeChain()
	a := startSyncNode(t, ahead, nil)
	b := startSyncNode(t, behind, func(cfg *Config) {
		cfg.Connect = []string{a.addr()}
	})
	waitFor(t, 60*time.Second, "the behind node to catch up", func() bool {
		_, blocks := behind.heights()
		return blocks == 5000
	})
	if got, _ := behind.Best(); got != ahead.chain[5000].hash {
		t.Fatal("the nodes end on different best blocks")
	}
	headers, _ := behind.heights()
	behind.mu.Lock()
	processed := behind.processed
	behind.mu.Unlock()
	if headers != 5000 || processed < 3 {
		t.Fatalf("headers %d after %d Headers messages", headers, processed)
	}
	for _, p := range b.Peers() {
		if p.BanScore != 0 {
			t.Fatalf("peer %v has ban score %d", p.ID, p.BanScore)
		}
	}
}

// TestHeaderSyncBadHeaders: headers that do not connect are answered with
// a GetHeaders and cost nothing; a header that breaks a rule costs the
// sender its connection and discourages it.
func TestHeaderSyncBadHeaders(t *testing.T) {
	n := startSyncNode(t, newFakeChain(), nil)
	r, err := dialRaw(t, n.addr(), rawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.hello(powHello(10)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.next(5*time.Second, isGetHeaders); err != nil {
		t.Fatalf("no getheaders from the node: %v", err)
	}
	genesis := blockHash(fakeGenesis)

	// An answer whose first header's parent is unknown: the node asks
	// again, and the peer is not held to account.
	stray := fakeHeader(chainhash.Hash{9}, 1, 1)
	if err := r.send(headersMsg([][]byte{stray})); err != nil {
		t.Fatal(err)
	}
	if _, err := r.next(5*time.Second, isGetHeaders); err != nil {
		t.Fatalf("no getheaders after unconnected headers: %v", err)
	}
	if s := n.banScore(); s != 0 {
		t.Fatalf("unconnected headers cost ban score %d", s)
	}

	good := fakeHeader(genesis, 1, 1)
	bad := fakeHeader(blockHash(good), 2, badVersion)
	if err := r.send(headersMsg([][]byte{good, bad})); err != nil {
		t.Fatal(err)
	}
	select {
	case target := <-n.discouraged:
		if target == "" {
			t.Fatal("the peer was not discouraged")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a peer that sent a bad header was not discouraged")
	}
	if !r.closedWithin(5 * time.Second) {
		t.Fatal("the session with the peer is still open")
	}
	if headers, _ := n.c.heights(); headers != 1 {
		t.Fatalf("best header height %d, want 1 (the good header)", headers)
	}
}

// TestHeaderSyncLimits: 2,001 headers, a locator of 102 hashes and a
// 64-byte block header on a pow network are misbehavior; a locator of
// 101 is answered.
func TestHeaderSyncLimits(t *testing.T) {
	c := newFakeChain()
	c.extend(3, 1)
	n := startSyncNode(t, c, nil)
	r, err := dialRaw(t, n.addr(), rawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.hello(powHello(0)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the handshake", func() bool { return n.banScore() == 0 })

	headers := make([][]byte, MaxHeadersPerMessage+1)
	for i := range headers {
		headers[i] = fakeHeader(chainhash.Hash{1}, uint32(i), 1)
	}
	if err := r.send(headersMsg(headers)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "score for 2,001 headers", func() bool {
		return n.banScore() == scoreInvalid
	})
	c.mu.Lock()
	processed := c.processed
	c.mu.Unlock()
	if processed != 0 {
		t.Fatal("2,001 headers reached the header chain")
	}

	locator := make([]chainhash.Hash, MaxLocatorHashes+1)
	if err := r.send(getHeadersMsg(locator, chainhash.Hash{})); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "score for a long locator", func() bool {
		return n.banScore() == 2*scoreInvalid
	})

	locator = locator[:MaxLocatorHashes]
	locator[MaxLocatorHashes-1] = blockHash(fakeGenesis)
	if err := r.send(getHeadersMsg(locator, chainhash.Hash{})); err != nil {
		t.Fatal(err)
	}
	m, err := r.next(5*time.Second, isHeaders)
	if err != nil {
		t.Fatalf("no answer to a getheaders: %v", err)
	}
	if got := len(m.GetHeaderBatch().GetHeaders()); got != 3 {
		t.Fatalf("answered %d headers, want 3", got)
	}

	if err := r.send(blockMsg(make([]byte, BlockHeaderSize), []byte{1})); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "score for a 64-byte header", func() bool {
		return n.banScore() == 3*scoreInvalid
	})
}

// TestHeaderSyncStalledPeer: a sync peer that leaves the GetHeaders
// unanswered for RequestTimeout (on the node's clock) is disconnected,
// and the node syncs from another peer.
func TestHeaderSyncStalledPeer(t *testing.T) {
	behind := newFakeChain()
	b := startSyncNode(t, behind, nil)
	r, err := dialRaw(t, b.addr(), rawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.hello(powHello(1000)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.next(5*time.Second, isGetHeaders); err != nil {
		t.Fatalf("the stalling peer was not asked for headers: %v", err)
	}

	ahead := newFakeChain()
	ahead.extend(300, 1)
	startSyncNode(t, ahead, func(cfg *Config) { cfg.Connect = []string{b.addr()} })
	waitFor(t, 10*time.Second, "the second peer", func() bool {
		return b.ConnectedCount() == 2
	})
	if got := b.checkStalls(); got != 0 {
		t.Fatalf("%d peers stalled before their time", got)
	}
	if _, blocks := behind.heights(); blocks != 0 {
		t.Fatal("synced while the sync peer stalls")
	}

	b.clock.add(b.cfg.RequestTimeout)
	if got := b.checkStalls(); got != 1 {
		t.Fatalf("%d peers disconnected for stalling, want 1", got)
	}
	if !r.closedWithin(5 * time.Second) {
		t.Fatal("the stalling peer is still connected")
	}
	waitFor(t, 30*time.Second, "the sync from the other peer", func() bool {
		_, blocks := behind.heights()
		return blocks == 300
	})
}

// TestHeaderSyncUnconnectedBlock: a block announced whose parent the node
// lacks makes it ask for headers, and it then syncs what leads there.
func TestHeaderSyncUnconnectedBlock(t *testing.T) {
	ahead := newFakeChain()
	ahead.extend(50, 1)
	behind := newFakeChain()
	a := startSyncNode(t, ahead, nil)
	b := startSyncNode(t, behind, func(cfg *Config) { cfg.Connect = []string{a.addr()} })
	waitFor(t, 30*time.Second, "the first sync", func() bool {
		_, blocks := behind.heights()
		return blocks == 50
	})
	// The ahead node gets 10 blocks, of which only the last is
	// announced; the behind node lacks its parent.
	hdrs := ahead.extend(10, 1000)
	a.Announce(BlockItem(blockHash(hdrs[len(hdrs)-1])))
	waitFor(t, 30*time.Second, "the sync of the announced block", func() bool {
		_, blocks := behind.heights()
		return blocks == 60
	})
	if s := b.Peers()[0].BanScore; s != 0 {
		t.Fatalf("ban score %d", s)
	}
}

// TestHeaderSyncConfig: header sync is for the pow engine only, whose
// Block headers have 80 bytes.
func TestHeaderSyncConfig(t *testing.T) {
	cfg := testConfig()
	cfg.HeaderSync = newFakeChain()
	if _, err := New(cfg, newTestHandler(), nil); err == nil {
		t.Fatal("header sync on a mainstake network was accepted")
	}
	cfg.Engine = EnginePoW
	s, err := New(cfg, newTestHandler(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !s.syncOn() || s.lim.headerSize != PowBlockHeaderSize {
		t.Fatalf("pow server: sync %v, header size %d", s.syncOn(), s.lim.headerSize)
	}
}

// BenchmarkHeaderSync syncs 10,000 blocks of 1 KB bodies from one peer
// over loopback, headers first, into the in-memory fakeChain, and reports
// blocks/s: the cost of the peer protocol's side of a sidechain IBD,
// without the engine's validation.
func BenchmarkHeaderSync(b *testing.B) {
	const blocks = 10000
	ahead := newFakeChain()
	ahead.extend(blocks, 1)
	ahead.mu.Lock()
	for _, nd := range ahead.chain[1:] {
		body := make([]byte, 1024)
		copy(body[1:], nd.hash[:]) // body[0] is not 0xee: taken
		ahead.bodies[nd.hash] = body
	}
	ahead.mu.Unlock()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		behind := newFakeChain()
		a := benchSyncNode(b, ahead, nil)
		b.StartTimer()
		start := time.Now()
		s := benchSyncNode(b, behind, []string{a.ListenAddrs()[0].String()})
		for {
			if _, tip := behind.heights(); tip == blocks {
				break
			}
			time.Sleep(time.Millisecond)
		}
		total += time.Since(start)
		b.StopTimer()
		_ = s.Stop()
		_ = a.Stop()
	}
	b.ReportMetric(float64(blocks*b.N)/total.Seconds(), "blocks/s")
}

// benchSyncNode starts a pow node on c dialling connect.
func benchSyncNode(b *testing.B, c *fakeChain, connect []string) *Server {
	cfg := testConfig()
	cfg.Engine = EnginePoW
	cfg.HeaderSync = c
	cfg.Connect = connect
	s, err := New(cfg, c, nil)
	if err != nil {
		b.Fatal(err)
	}
	c.mu.Lock()
	c.srv = s
	c.mu.Unlock()
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	return s
}

// TestHeaderSyncClaimOutlivesNoSession: a session's reader may still be
// handling a message when its session ends, as when the writer fails
// first or the node replaces the session with one the other node dialled:
// a block it claims then must not stay claimed by the ended session, or
// header sync skips that block, fetches the rest from other peers, and
// never comes back to it (a pow node stuck one block below its peers).
func TestHeaderSyncClaimOutlivesNoSession(t *testing.T) {
	ahead := newFakeChain()
	ahead.extend(10, 1)
	var headers [][]byte
	for _, n := range ahead.chain[1:] {
		headers = append(headers, n.header)
	}
	behind := newFakeChain()
	if _, err := behind.ProcessHeaders(0, headers); err != nil {
		t.Fatal(err)
	}
	n := startSyncNode(t, behind, func(cfg *Config) {
		// Claims must not end by timing out during the test.
		cfg.RequestTimeout = time.Hour
	})

	// The ended session: registered, then ended and unregistered by its
	// owner, and only then does its reader handle the announcement of
	// the first block, which came just before the end.
	first := ahead.chain[1].hash
	old := n.newPeer(nopConn{}, "127.0.0.1:1", true, false)
	if err := n.register(old, &p2pv1.Hello{Nonce: 77, Engine: EnginePoW}); err != nil {
		t.Fatal(err)
	}
	old.disconnect(errors.New("send failed"))
	n.unregister(old)
	old.handle(inventoryMsg([]InvItem{BlockItem(first)}))

	// A peer that has every block: the sync asks it for all ten.
	r, err := dialRaw(t, n.addr(), rawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.hello(powHello(10)); err != nil {
		t.Fatal(err)
	}
	m, err := r.next(5*time.Second, func(m *p2pv1.Message) bool { return m.GetGetData() != nil })
	if err != nil {
		t.Fatalf("no getdata: %v", err)
	}
	var asked []chainhash.Hash
	for _, it := range m.GetGetData().GetItems() {
		asked = append(asked, fromProto(it).Hash)
	}
	if len(asked) != 10 || asked[0] != first {
		t.Fatalf("the sync asked for %d blocks, from %v; want all 10, from %v",
			len(asked), asked[0], first)
	}
}
