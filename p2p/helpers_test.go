package p2p

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/btcsuite/btclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	p2pv1 "github.com/mainstake/sidenode/proto/sidenode/p2p/v1"
)

// Test network parameters.
const (
	testNetwork   = "regtest"
	testSidechain = 7
)

// testGenesis is the test nodes' genesis id.
var testGenesis = chainhash.Hash{0x6e, 0x65, 0x73, 0x69, 0x73}

// TestMain turns on package logging with P2P_TEST_LOG=debug.
func TestMain(m *testing.M) {
	if lvl := os.Getenv("P2P_TEST_LOG"); lvl != "" {
		logger := btclog.NewBackend(os.Stderr).Logger("PEER")
		l, _ := btclog.LevelFromString(lvl)
		logger.SetLevel(l)
		UseLogger(logger)
	}
	os.Exit(m.Run())
}

// testBlock is a block a testHandler holds.
type testBlock struct {
	header, body []byte
}

// testHandler is an in-memory node, a Handler and a PegHandler. It stores
// what it receives and, if relay is set, announces it on.
type testHandler struct {
	mu       sync.Mutex
	srv      *Server
	blocks   map[chainhash.Hash]testBlock
	txs      map[chainhash.Hash][]byte
	pegs     map[chainhash.Hash][]byte
	height   uint64
	relay    bool
	blockErr error // returned by ReceiveBlock instead of accepting
	pegErr   error // returned by ReceivePegSignatures instead of accepting
	rounds   map[chainhash.Hash][]byte
	roundErr error // returned by ReceiveRoundMessage instead of accepting
	gotRound chan []byte

	gotBlock chan chainhash.Hash
	gotTx    chan chainhash.Hash
	gotPeg   chan []byte // every psbt ReceivePegSignatures was called with
}

func newTestHandler() *testHandler {
	return &testHandler{
		blocks:   make(map[chainhash.Hash]testBlock),
		txs:      make(map[chainhash.Hash][]byte),
		pegs:     make(map[chainhash.Hash][]byte),
		relay:    true,
		height:   42,
		gotBlock: make(chan chainhash.Hash, 64),
		gotTx:    make(chan chainhash.Hash, 64),
		gotPeg:   make(chan []byte, 64),
		rounds:   make(map[chainhash.Hash][]byte),
		gotRound: make(chan []byte, 64),
	}
}

func (h *testHandler) Best() (chainhash.Hash, uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return chainhash.Hash{1}, h.height
}

func (h *testHandler) HaveBlock(hash chainhash.Hash) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.blocks[hash]
	return ok
}

func (h *testHandler) Block(hash chainhash.Hash) ([]byte, []byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	b, ok := h.blocks[hash]
	return b.header, b.body, ok
}

func (h *testHandler) HaveTx(txid chainhash.Hash) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.txs[txid]
	return ok
}

func (h *testHandler) Tx(txid chainhash.Hash) ([]byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	raw, ok := h.txs[txid]
	return raw, ok
}

func (h *testHandler) ReceiveBlock(_ PeerID, header, body []byte) error {
	h.mu.Lock()
	if h.blockErr != nil {
		h.mu.Unlock()
		return h.blockErr
	}
	hash := blockHash(header)
	h.blocks[hash] = testBlock{header: header, body: body}
	relay := h.relay
	h.mu.Unlock()
	if relay {
		h.srv.Announce(BlockItem(hash))
	}
	h.gotBlock <- hash
	return nil
}

func (h *testHandler) ReceiveTx(_ PeerID, raw []byte) error {
	txid, err := parseTxID(raw)
	if err != nil {
		return err
	}
	h.mu.Lock()
	h.txs[txid] = raw
	relay := h.relay
	h.mu.Unlock()
	if relay {
		h.srv.Announce(TxItem(txid))
	}
	h.gotTx <- txid
	return nil
}

func (h *testHandler) HavePegSignatures(hash chainhash.Hash) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.pegs[hash]
	return ok
}

func (h *testHandler) PegSignatures(hash chainhash.Hash) ([]byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	psbt, ok := h.pegs[hash]
	return psbt, ok
}

func (h *testHandler) ReceivePegSignatures(_ PeerID, psbt []byte) error {
	// gotPeg hears of them once they are stored, so that a test that
	// heard reads them back (TestPegRelay read before the store).
	h.mu.Lock()
	if err := h.pegErr; err != nil {
		h.mu.Unlock()
		h.gotPeg <- bytes.Clone(psbt)
		return err
	}
	hash := PegSignaturesHash(psbt)
	h.pegs[hash] = psbt
	relay := h.relay
	h.mu.Unlock()
	h.gotPeg <- bytes.Clone(psbt)
	if relay {
		h.srv.Announce(PegItem(hash))
	}
	return nil
}

func (h *testHandler) HaveRoundMessage(hash chainhash.Hash) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.rounds[hash]
	return ok
}

func (h *testHandler) RoundMessage(hash chainhash.Hash) ([]byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	raw, ok := h.rounds[hash]
	return raw, ok
}

func (h *testHandler) ReceiveRoundMessage(_ PeerID, raw []byte) error {
	h.gotRound <- bytes.Clone(raw)
	h.mu.Lock()
	if h.roundErr != nil {
		h.mu.Unlock()
		return h.roundErr
	}
	hash := RoundMessageHash(raw)
	h.rounds[hash] = raw
	h.mu.Unlock()
	h.srv.Announce(RoundItem(hash))
	return nil
}

// addRound stores new random round message bytes and returns them with
// their hash.
func (h *testHandler) addRound(t testing.TB, size int) ([]byte, chainhash.Hash) {
	t.Helper()
	raw := randBytes(t, size)
	hash := RoundMessageHash(raw)
	h.mu.Lock()
	h.rounds[hash] = raw
	h.mu.Unlock()
	return raw, hash
}

// addPeg stores new random psbt bytes of the given size and returns them
// with their hash.
func (h *testHandler) addPeg(t testing.TB, size int) ([]byte, chainhash.Hash) {
	t.Helper()
	psbt := randBytes(t, size)
	hash := PegSignaturesHash(psbt)
	h.mu.Lock()
	h.pegs[hash] = psbt
	h.mu.Unlock()
	return psbt, hash
}

// addBlock stores a new random block and returns its hash.
func (h *testHandler) addBlock(t testing.TB, bodySize int) chainhash.Hash {
	t.Helper()
	header := randBytes(t, BlockHeaderSize)
	body := randBytes(t, bodySize)
	hash := blockHash(header)
	h.mu.Lock()
	h.blocks[hash] = testBlock{header: header, body: body}
	h.mu.Unlock()
	return hash
}

// addTx stores a new transaction and returns its txid.
func (h *testHandler) addTx(t testing.TB) chainhash.Hash {
	t.Helper()
	raw := testTx(t)
	txid, err := parseTxID(raw)
	if err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	h.txs[txid] = raw
	h.mu.Unlock()
	return txid
}

// testTx returns a random serialized transaction.
func testTx(t testing.TB) []byte {
	t.Helper()
	var prev chainhash.Hash
	copy(prev[:], randBytes(t, 32))
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&prev, 0), []byte{0x51}, nil))
	tx.AddTxOut(wire.NewTxOut(1000, []byte{0x51}))
	var buf bytes.Buffer
	if err := tx.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func randBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// testConfig returns a fast configuration listening on a free port.
func testConfig() Config {
	return Config{
		Listen:           []string{"127.0.0.1:0"},
		Network:          testNetwork,
		SidechainID:      testSidechain,
		Genesis:          testGenesis,
		Engine:           "mainstake",
		UserAgent:        "sidenode-test:0.1",
		HandshakeTimeout: 2 * time.Second,
		PingInterval:     200 * time.Millisecond,
		RequestTimeout:   2 * time.Second,
		RetryInterval:    50 * time.Millisecond,
		MaxRetryInterval: 400 * time.Millisecond,
		TrickleInterval:  10 * time.Millisecond,
		BanDuration:      time.Minute,
	}
}

// testNode is a started Server with its handler and reject log.
type testNode struct {
	*Server
	h *testHandler

	mu      sync.Mutex
	rejects []error

	// Counters of the Server's test hooks: ended outbound sessions of
	// the persistent loops, sessions refused to banned hosts, and
	// answered Pings.
	dials, refusedBanned, pongs atomic.Int32

	// refusedDiscouraged and evicted count inbound sessions refused or
	// closed because their address is discouraged; discouraged receives
	// the target of each session ended by misbehavior ("" for a
	// configured peer, which is not discouraged).
	refusedDiscouraged, evicted atomic.Int32
	discouraged                 chan string

	// loopsEnded receives the address of each persistent loop that
	// returns.
	loopsEnded chan string
}

// newTestNode starts a node on testConfig changed by mod, stopped at the
// end of the test.
func newTestNode(t *testing.T, mod func(*Config)) *testNode {
	t.Helper()
	return startTestNode(t, mod, false)
}

// startTestNode starts a node on testConfig changed by mod, stopped at the
// end of the test. With noPeg its Handler is no PegHandler.
func startTestNode(t *testing.T, mod func(*Config), noPeg bool) *testNode {
	t.Helper()
	return startTestNodeWith(t, mod, noPeg, nil)
}

// startTestNodeWith is startTestNode that calls before, if not nil, on
// the Server before it starts.
func startTestNodeWith(t *testing.T, mod func(*Config), noPeg bool, before func(*Server)) *testNode {
	t.Helper()
	cfg := testConfig()
	if mod != nil {
		mod(&cfg)
	}
	h := newTestHandler()
	var peg PegHandler = h
	if noPeg {
		peg = nil
	} else if cfg.Rounds == nil {
		cfg.Rounds = h
	}
	s, err := New(cfg, h, peg)
	if err != nil {
		t.Fatal(err)
	}
	h.srv = s
	n := &testNode{Server: s, h: h, loopsEnded: make(chan string, 16),
		discouraged: make(chan string, 16)}
	s.hooks.reject = func(_ *peer, err error) {
		n.mu.Lock()
		n.rejects = append(n.rejects, err)
		n.mu.Unlock()
	}
	s.hooks.dialed = func(string, bool, error) { n.dials.Add(1) }
	s.hooks.refusedBanned = func(string) { n.refusedBanned.Add(1) }
	s.hooks.pong = func(*peer) { n.pongs.Add(1) }
	s.hooks.refusedDiscouraged = func(string) { n.refusedDiscouraged.Add(1) }
	s.hooks.evicted = func(*peer) { n.evicted.Add(1) }
	s.hooks.discouraged = func(_ *peer, target string) {
		select {
		case n.discouraged <- target:
		default:
		}
	}
	s.hooks.loopEnded = func(addr string) {
		select {
		case n.loopsEnded <- addr:
		default:
		}
	}
	if before != nil {
		before(s)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	return n
}

// addr returns the node's listening address.
func (n *testNode) addr() string {
	return n.ListenAddrs()[0].String()
}

// rejected reports whether the node rejected a handshake with code c.
func (n *testNode) rejected(c ErrorCode) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, err := range n.rejects {
		if IsErrorCode(err, c) {
			return true
		}
	}
	return false
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// freeAddr returns a 127.0.0.1 address with a port that was free.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// rawPeer is a hand-driven peer on the generated client, for playing a
// hostile or broken node.
type rawPeer struct {
	t      *testing.T
	cc     *grpc.ClientConn
	cancel context.CancelFunc
	stream grpc.BidiStreamingClient[p2pv1.ExchangeRequest, p2pv1.ExchangeResponse]

	sendMu sync.Mutex
	msgs   chan *p2pv1.Message
	done   chan struct{}
	err    error // why Recv stopped, set before done closes
}

// rawOptions say how a rawPeer reads.
type rawOptions struct {
	// noPong leaves Pings unanswered.
	noPong bool
	// stopReading stops reading after the first message (the Hello).
	stopReading bool
	// from is the local IP to dial from; empty: the system's choice.
	from string
}

// dialRaw opens an Exchange stream to addr and starts reading it.
func dialRaw(t *testing.T, addr string, opts rawOptions) (*rawPeer, error) {
	t.Helper()
	dialOpts := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials())}
	if opts.from != "" {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(opts.from)}}
		dialOpts = append(dialOpts, grpc.WithContextDialer(
			func(ctx context.Context, a string) (net.Conn, error) {
				return d.DialContext(ctx, "tcp", a)
			}))
	}
	cc, err := grpc.NewClient("passthrough:///"+addr, dialOpts...)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := p2pv1.NewPeerServiceClient(cc).Exchange(ctx)
	if err != nil {
		cancel()
		_ = cc.Close()
		return nil, err
	}
	r := &rawPeer{
		t:      t,
		cc:     cc,
		cancel: cancel,
		stream: stream,
		msgs:   make(chan *p2pv1.Message, 4096),
		done:   make(chan struct{}),
	}
	t.Cleanup(r.close)
	go r.readLoop(opts)
	return r, nil
}

func (r *rawPeer) readLoop(opts rawOptions) {
	defer close(r.done)
	for n := 0; ; n++ {
		if opts.stopReading && n == 1 {
			<-r.stream.Context().Done()
			r.err = r.stream.Context().Err()
			return
		}
		resp, err := r.stream.Recv()
		if err != nil {
			r.err = err
			return
		}
		m := resp.GetMessage()
		if ping := m.GetPing(); ping != nil && !opts.noPong {
			_ = r.send(pongMsg(ping.GetNonce()))
			continue
		}
		select {
		case r.msgs <- m:
		default:
		}
	}
}

func (r *rawPeer) send(m *p2pv1.Message) error {
	r.sendMu.Lock()
	defer r.sendMu.Unlock()
	return r.stream.Send(&p2pv1.ExchangeRequest{Message: m})
}

// hello sends a valid Hello changed by mod.
func (r *rawPeer) hello(mod func(*p2pv1.Hello)) error {
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	h := &p2pv1.Hello{
		ProtocolVersion: ProtocolVersion,
		Network:         testNetwork,
		SidechainId:     testSidechain,
		Genesis:         testGenesis[:],
		Engine:          "mainstake",
		UserAgent:       "raw",
		Nonce:           binary.LittleEndian.Uint64(nonce[:]) | 1,
	}
	if mod != nil {
		mod(h)
	}
	return r.send(&p2pv1.Message{Payload: &p2pv1.Message_Hello{Hello: h}})
}

// next returns the next message of the wanted kind, skipping others.
func (r *rawPeer) next(timeout time.Duration, want func(*p2pv1.Message) bool) (*p2pv1.Message, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case m := <-r.msgs:
			if want(m) {
				return m, nil
			}
		case <-r.done:
			return nil, r.err
		case <-timer.C:
			return nil, errors.New("timeout")
		}
	}
}

// closedWithin reports whether the stream ended within timeout.
func (r *rawPeer) closedWithin(timeout time.Duration) bool {
	select {
	case <-r.done:
		return true
	case <-time.After(timeout):
		return false
	}
}

func (r *rawPeer) close() {
	r.cancel()
	_ = r.cc.Close()
	<-r.done
}
