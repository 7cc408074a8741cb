package p2p

import (
	"bytes"
	"context"
	"errors"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	p2pv1 "github.com/mainstake/sidenode/proto/sidenode/p2p/v1"
)

// wait is the hang guard for conditions that should hold within moments.
const wait = 10 * time.Second

// connected waits until each node has n peers.
func connected(t *testing.T, n int, nodes ...*testNode) {
	t.Helper()
	waitFor(t, wait, "connections", func() bool {
		for _, node := range nodes {
			if node.ConnectedCount() != n {
				return false
			}
		}
		return true
	})
}

// TestHandshake connects two nodes and checks what each knows of the other.
func TestHandshake(t *testing.T) {
	b := newTestNode(t, nil)
	a := newTestNode(t, func(c *Config) { c.Connect = []string{b.addr()} })
	connected(t, 1, a, b)

	pa, pb := a.Peers()[0], b.Peers()[0]
	if pa.Inbound || !pa.Persistent || !pb.Inbound || pb.Persistent {
		t.Fatalf("directions: a sees %+v, b sees %+v", pa, pb)
	}
	if pa.Addr != b.addr() {
		t.Fatalf("a's peer addr %s, want %s", pa.Addr, b.addr())
	}
	if pa.UserAgent != "sidenode-test:0.1" || pa.BestHeight != 42 ||
		pa.BestBlock != (chainhash.Hash{1}) ||
		pa.ProtocolVersion != ProtocolVersion {
		t.Fatalf("peer info %+v", pa)
	}

	// Pings are answered, so the session outlives several ping rounds:
	// after five answered Pings on each side it still stands.
	waitFor(t, wait, "five answered pings each way", func() bool {
		return a.pongs.Load() >= 5 && b.pongs.Load() >= 5
	})
	if a.ConnectedCount() != 1 || b.ConnectedCount() != 1 {
		t.Fatal("session dropped although pings are answered")
	}
	for _, n := range []*testNode{a, b} {
		n.mu.Lock()
		if len(n.rejects) != 0 {
			t.Errorf("rejects: %v", n.rejects)
		}
		n.mu.Unlock()
	}
}

// TestHandshakeRejects sends bad Hellos from a raw peer; each is refused
// with its code and the stream closed.
func TestHandshakeRejects(t *testing.T) {
	n := newTestNode(t, nil)
	tests := []struct {
		name  string
		first *p2pv1.Message // sent instead of a Hello if set
		mod   func(*p2pv1.Hello)
		code  ErrorCode
	}{{
		name: "network",
		mod:  func(h *p2pv1.Hello) { h.Network = "testnet3" },
		code: ErrNetworkMismatch,
	}, {
		name: "genesis",
		mod: func(h *p2pv1.Hello) {
			h.Genesis = bytes.Repeat([]byte{1}, 32)
			h.Engine = "pow"
		},
		code: ErrGenesisMismatch,
	}, {
		name: "no genesis",
		mod:  func(h *p2pv1.Hello) { h.Genesis, h.Engine = nil, "" },
		code: ErrGenesisMismatch,
	}, {
		name: "malformed genesis",
		mod:  func(h *p2pv1.Hello) { h.Genesis = []byte{1, 2, 3} },
		code: ErrBadHello,
	}, {
		name: "malformed engine",
		mod:  func(h *p2pv1.Hello) { h.Engine = strings.Repeat("x", MaxNetworkLen+1) },
		code: ErrBadHello,
	}, {
		name: "sidechain",
		mod:  func(h *p2pv1.Hello) { h.SidechainId = testSidechain + 1 },
		code: ErrSidechainMismatch,
	}, {
		name: "zero sidechain",
		mod:  func(h *p2pv1.Hello) { h.SidechainId = 0 },
		code: ErrZeroSidechain,
	}, {
		name: "version",
		mod:  func(h *p2pv1.Hello) { h.ProtocolVersion = ProtocolVersion + 1 },
		code: ErrProtocolVersion,
	}, {
		name: "version before peg signatures",
		mod:  func(h *p2pv1.Hello) { h.ProtocolVersion = 1 },
		code: ErrProtocolVersion,
	}, {
		name: "self",
		mod:  func(h *p2pv1.Hello) { h.Nonce = n.nonce },
		code: ErrSelfConnection,
	}, {
		name: "malformed",
		mod:  func(h *p2pv1.Hello) { h.BestBlock = []byte{1, 2, 3} },
		code: ErrBadHello,
	}, {
		name:  "not hello",
		first: pingMsg(1),
		code:  ErrNotHello,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := dialRaw(t, n.addr(), rawOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if tc.first != nil {
				err = r.send(tc.first)
			} else {
				err = r.hello(tc.mod)
			}
			if err != nil {
				t.Fatal(err)
			}
			if !r.closedWithin(wait) {
				t.Fatal("stream not closed")
			}
			if status.Code(r.err) != codes.FailedPrecondition {
				t.Fatalf("stream ended with %v", r.err)
			}
			if !n.rejected(tc.code) {
				t.Fatalf("no %v reject in %v", tc.code, n.rejects)
			}
			if n.ConnectedCount() != 0 {
				t.Fatal("rejected peer counted as connected")
			}
		})
	}
}

// TestHandshakeTimeout refuses a peer that never says Hello.
func TestHandshakeTimeout(t *testing.T) {
	n := newTestNode(t, func(c *Config) {
		c.HandshakeTimeout = 200 * time.Millisecond
	})
	r, err := dialRaw(t, n.addr(), rawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.next(wait, func(m *p2pv1.Message) bool {
		return m.GetHello() != nil
	}); err != nil {
		t.Fatalf("no hello from the node: %v", err)
	}
	if !r.closedWithin(wait) {
		t.Fatal("stream not closed")
	}
	if !n.rejected(ErrHandshakeTimeout) {
		t.Fatalf("no ErrHandshakeTimeout in %v", n.rejects)
	}
}

// TestMaxInbound refuses sessions beyond MaxInbound.
func TestMaxInbound(t *testing.T) {
	n := newTestNode(t, func(c *Config) { c.MaxInbound = 1 })
	r1, err := dialRaw(t, n.addr(), rawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r1.hello(nil); err != nil {
		t.Fatal(err)
	}
	connected(t, 1, n)
	r2, err := dialRaw(t, n.addr(), rawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_ = r2.hello(nil)
	if !r2.closedWithin(wait) || status.Code(r2.err) != codes.ResourceExhausted {
		t.Fatalf("second session: %v", r2.err)
	}
	if n.ConnectedCount() != 1 {
		t.Fatal("first session lost")
	}
}

// TestNetworkMismatch connects two real nodes on different networks: both
// refuse the session and never count it.
func TestNetworkMismatch(t *testing.T) {
	b := newTestNode(t, func(c *Config) { c.Network = "signet" })
	a := newTestNode(t, func(c *Config) { c.Connect = []string{b.addr()} })
	waitFor(t, wait, "rejects", func() bool {
		return a.rejected(ErrNetworkMismatch) &&
			b.rejected(ErrNetworkMismatch)
	})
	if a.ConnectedCount() != 0 || b.ConnectedCount() != 0 {
		t.Fatal("mismatched nodes connected")
	}
}

// TestGenesisMismatch connects two real nodes of one network whose genesis
// ids differ (another engine): both refuse the session with
// ErrGenesisMismatch, and neither discourages the other, since a
// misconfiguration is not misbehavior.
func TestGenesisMismatch(t *testing.T) {
	b := newTestNode(t, func(c *Config) {
		c.Genesis = chainhash.Hash{0x70, 0x6f, 0x77}
		c.Engine = "pow"
	})
	a := newTestNode(t, func(c *Config) { c.Connect = []string{b.addr()} })
	waitFor(t, wait, "rejects", func() bool {
		return a.rejected(ErrGenesisMismatch) &&
			b.rejected(ErrGenesisMismatch)
	})
	if a.ConnectedCount() != 0 || b.ConnectedCount() != 0 {
		t.Fatal("mismatched nodes connected")
	}
	if len(a.Bans()) != 0 || len(b.Bans()) != 0 {
		t.Fatalf("bans: %v, %v", a.Bans(), b.Bans())
	}
}

// TestSelfConnection points a node's --connect at itself: it detects
// that and stops redialling.
func TestSelfConnection(t *testing.T) {
	addr := freeAddr(t)
	n := newTestNode(t, func(c *Config) {
		c.Listen = []string{addr}
		c.Connect = []string{addr}
	})
	waitFor(t, wait, "self-connection reject", func() bool {
		return n.rejected(ErrSelfConnection)
	})
	// The persistent loop, the only dialler, gives up: it returns after
	// one dial.
	select {
	case got := <-n.loopsEnded:
		if got != addr {
			t.Fatalf("the loop for %s ended, want %s", got, addr)
		}
	case <-time.After(wait):
		t.Fatalf("still redialling self after %d dials", n.dials.Load())
	}
	if d := n.dials.Load(); d != 1 {
		t.Fatalf("dialled self %d times, want once", d)
	}
	if n.ConnectedCount() != 0 {
		t.Fatal("connected to self")
	}
}

// TestDuplicatePeer opens a second session claiming the nonce of a
// connected peer.
func TestDuplicatePeer(t *testing.T) {
	b := newTestNode(t, nil)
	a := newTestNode(t, func(c *Config) { c.Connect = []string{b.addr()} })
	connected(t, 1, a, b)

	r, err := dialRaw(t, b.addr(), rawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.hello(func(h *p2pv1.Hello) { h.Nonce = a.nonce }); err != nil {
		t.Fatal(err)
	}
	if !r.closedWithin(wait) {
		t.Fatal("duplicate session not closed")
	}
	if !b.rejected(ErrDuplicatePeer) {
		t.Fatalf("no ErrDuplicatePeer in %v", b.rejects)
	}
	if b.ConnectedCount() != 1 || b.Peers()[0].Inbound != true {
		t.Fatal("original session lost")
	}
}

// TestDialEachOther has two nodes dial each other: they settle on one
// session.
func TestDialEachOther(t *testing.T) {
	addrA, addrB := freeAddr(t), freeAddr(t)
	a := newTestNode(t, func(c *Config) {
		c.Listen = []string{addrA}
		c.Connect = []string{addrB}
	})
	b := newTestNode(t, func(c *Config) {
		c.Listen = []string{addrB}
		c.Connect = []string{addrA}
	})
	connected(t, 1, a, b)
	// The side whose session lost keeps redialling and is refused: once
	// it has been refused a few times, the kept session still stands.
	// (The kept session's dial has not returned, so every return is a
	// session that lost.)
	waitFor(t, wait, "refused redials", func() bool {
		return a.dials.Load()+b.dials.Load() >= 4
	})
	connected(t, 1, a, b)
	if a.Peers()[0].Inbound == b.Peers()[0].Inbound {
		t.Fatal("the two nodes kept different sessions")
	}
}

// line starts three nodes A–B–C, A and C dialling B.
func line(t *testing.T) (a, b, c *testNode) {
	b = newTestNode(t, nil)
	a = newTestNode(t, func(c *Config) { c.Connect = []string{b.addr()} })
	c = newTestNode(t, func(c *Config) { c.Connect = []string{b.addr()} })
	connected(t, 1, a, c)
	connected(t, 2, b)
	return a, b, c
}

// receive waits for a hash on ch.
func receive(t *testing.T, ch chan chainhash.Hash, want chainhash.Hash, who string) {
	t.Helper()
	select {
	case got := <-ch:
		if got != want {
			t.Fatalf("%s received %v, want %v", who, got, want)
		}
	case <-time.After(wait):
		t.Fatalf("%s did not receive %v", who, want)
	}
}

// TestRelay announces a block and a transaction at A; C receives both
// through B, which relays after accepting.
func TestRelay(t *testing.T) {
	a, b, c := line(t)

	hash := a.h.addBlock(t, 1000)
	a.Announce(BlockItem(hash))
	receive(t, b.h.gotBlock, hash, "B")
	receive(t, c.h.gotBlock, hash, "C")
	hdr, body, _ := a.h.Block(hash)
	chdr, cbody, ok := c.h.Block(hash)
	if !ok || !bytes.Equal(hdr, chdr) || !bytes.Equal(body, cbody) {
		t.Fatal("C holds a different block")
	}

	txid := a.h.addTx(t)
	a.Announce(TxItem(txid))
	receive(t, b.h.gotTx, txid, "B")
	receive(t, c.h.gotTx, txid, "C")

	// C relays back to B, which already has both: nothing more arrives,
	// and nobody misbehaved. A block that C announces afterwards is a
	// barrier: each session carries messages in order, so once it
	// reached B and, through B, A, any second copy of the first block or
	// transaction would have reached them before it.
	barrier := c.h.addBlock(t, 100)
	c.Announce(BlockItem(barrier))
	receive(t, b.h.gotBlock, barrier, "B")
	receive(t, a.h.gotBlock, barrier, "A")
	select {
	case h := <-b.h.gotBlock:
		t.Fatalf("B received %v twice", h)
	case h := <-a.h.gotBlock:
		t.Fatalf("A received %v twice or its own block", h)
	case h := <-b.h.gotTx:
		t.Fatalf("B received %v twice", h)
	case h := <-a.h.gotTx:
		t.Fatalf("A received its own transaction %v", h)
	default:
	}
	for _, n := range []*testNode{a, b, c} {
		for _, p := range n.Peers() {
			if p.BanScore != 0 {
				t.Fatalf("peer %+v has ban score", p)
			}
		}
	}
}

// TestFetchBlock fetches a block that a peer has, one no peer has, and
// one from a peer that never answers.
func TestFetchBlock(t *testing.T) {
	b := newTestNode(t, nil)
	a := newTestNode(t, func(c *Config) { c.Connect = []string{b.addr()} })
	connected(t, 1, a, b)

	hash := b.h.addBlock(t, 5000)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	header, body, err := a.FetchBlock(ctx, hash)
	if err != nil {
		t.Fatal(err)
	}
	wantHdr, wantBody, _ := b.h.Block(hash)
	if !bytes.Equal(header, wantHdr) || !bytes.Equal(body, wantBody) {
		t.Fatal("fetched a different block")
	}
	if a.h.HaveBlock(hash) {
		t.Fatal("fetched block went to ReceiveBlock")
	}

	_, _, err = a.FetchBlock(ctx, chainhash.Hash{9})
	if !errors.Is(err, ErrBlockNotFound) {
		t.Fatalf("unknown block: err %v", err)
	}

	// A raw peer that never answers GetData: the fetch ends with the
	// caller's deadline.
	d := newTestNode(t, nil)
	r, err := dialRaw(t, d.addr(), rawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.hello(nil); err != nil {
		t.Fatal(err)
	}
	connected(t, 1, d)
	short, cancel2 := context.WithTimeout(context.Background(),
		300*time.Millisecond)
	defer cancel2()
	_, _, err = d.FetchBlock(short, hash)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("silent peer: err %v", err)
	}
	if _, err := r.next(wait, func(m *p2pv1.Message) bool {
		return m.GetGetData() != nil
	}); err != nil {
		t.Fatalf("raw peer got no getdata: %v", err)
	}

	// No peers at all.
	e := newTestNode(t, nil)
	if _, _, err := e.FetchBlock(ctx, hash); !errors.Is(err, ErrBlockNotFound) {
		t.Fatalf("no peers: err %v", err)
	}
}

// TestUnsolicited sends a block nobody asked for: it is ignored and costs
// ban score.
func TestUnsolicited(t *testing.T) {
	n := newTestNode(t, nil)
	r, err := dialRaw(t, n.addr(), rawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.hello(nil); err != nil {
		t.Fatal(err)
	}
	connected(t, 1, n)
	header := randBytes(t, BlockHeaderSize)
	if err := r.send(blockMsg(header, []byte{1})); err != nil {
		t.Fatal(err)
	}
	waitFor(t, wait, "ban score", func() bool {
		p := n.Peers()
		return len(p) == 1 && p[0].BanScore == scoreUnsolicited
	})
	if n.h.HaveBlock(blockHash(header)) {
		t.Fatal("unsolicited block accepted")
	}
}

// TestOversizedMessage sends a message over MaxMessageSize.
func TestOversizedMessage(t *testing.T) {
	n := newTestNode(t, func(c *Config) { c.MaxMessageSize = 64 << 10 })
	r, err := dialRaw(t, n.addr(), rawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.hello(nil); err != nil {
		t.Fatal(err)
	}
	connected(t, 1, n)
	_ = r.send(txMsg(make([]byte, 100<<10)))
	if !r.closedWithin(wait) {
		t.Fatal("not disconnected")
	}
	waitFor(t, wait, "disconnect", func() bool { return n.ConnectedCount() == 0 })
}

// dialBanned reports whether a new raw session to addr fails to
// handshake.
func dialBanned(t *testing.T, addr string) bool {
	t.Helper()
	r, err := dialRaw(t, addr, rawOptions{})
	if err != nil {
		return true
	}
	_ = r.hello(nil)
	_, err = r.next(2*time.Second, func(m *p2pv1.Message) bool {
		return m.GetHello() != nil
	})
	return err != nil
}

// TestPersistentRedial stops a persistent peer and brings it back on the
// same address: the node redials it.
func TestPersistentRedial(t *testing.T) {
	addr := freeAddr(t)
	b := newTestNode(t, func(c *Config) { c.Listen = []string{addr} })
	a := newTestNode(t, func(c *Config) { c.Connect = []string{addr} })
	connected(t, 1, a, b)

	if err := b.Stop(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, wait, "disconnect", func() bool { return a.ConnectedCount() == 0 })
	// A few failed dials: the session that ended, then three more.
	waitFor(t, wait, "failed redials", func() bool { return a.dials.Load() >= 4 })

	b2 := newTestNode(t, func(c *Config) { c.Listen = []string{addr} })
	connected(t, 1, a, b2)
}

// TestPingTimeout drops a peer that does not answer Pings.
func TestPingTimeout(t *testing.T) {
	n := newTestNode(t, func(c *Config) {
		c.PingInterval = 50 * time.Millisecond
		c.PingTimeout = 150 * time.Millisecond
	})
	r, err := dialRaw(t, n.addr(), rawOptions{noPong: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.hello(nil); err != nil {
		t.Fatal(err)
	}
	connected(t, 1, n)
	if !r.closedWithin(wait) {
		t.Fatal("silent peer not dropped")
	}
	waitFor(t, wait, "disconnect", func() bool { return n.ConnectedCount() == 0 })
	if b := n.Bans(); len(b) != 0 {
		t.Fatalf("a silent peer is only dropped, yet %+v", b)
	}
}

// TestSlowPeer stops reading: its send queue fills and it is dropped
// rather than buffered for.
func TestSlowPeer(t *testing.T) {
	n := newTestNode(t, func(c *Config) { c.SendQueueMessages = 4 })
	r, err := dialRaw(t, n.addr(), rawOptions{stopReading: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.hello(nil); err != nil {
		t.Fatal(err)
	}
	connected(t, 1, n)
	waitFor(t, wait, "slow peer dropped", func() bool {
		items := make([]InvItem, 1000)
		for i := range items {
			copy(items[i].Hash[:], randBytes(t, 32))
			items[i].Type = InvTx
		}
		n.Announce(items...)
		return n.ConnectedCount() == 0
	})
}

// TestStartErrors checks that Start fails loudly on a taken port and that
// New refuses bad configurations.
func TestStartErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cfg := testConfig()
	cfg.Listen = []string{"127.0.0.1:0", l.Addr().String()}
	s, err := New(cfg, newTestHandler(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err == nil {
		t.Fatal("Start on a taken port succeeded")
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}

	for name, mod := range map[string]func(*Config){
		"zero sidechain": func(c *Config) { c.SidechainID = 0 },
		"no network":     func(c *Config) { c.Network = "" },
		"connect+add": func(c *Config) {
			c.Connect = []string{"127.0.0.1:1"}
			c.AddPeer = []string{"127.0.0.1:2"}
		},
		"bad addr":    func(c *Config) { c.AddPeer = []string{"nohost"} },
		"small queue": func(c *Config) { c.SendQueueBytes = 1 << 20 },
		"negative":    func(c *Config) { c.PingInterval = -1 },
	} {
		cfg := testConfig()
		mod(&cfg)
		if _, err := New(cfg, newTestHandler(), nil); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
	if _, err := New(testConfig(), nil, nil); err == nil {
		t.Error("nil handler accepted")
	}
}

// TestStopIdempotent stops a server twice, and one never started.
func TestStopIdempotent(t *testing.T) {
	s, err := New(testConfig(), newTestHandler(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); !errors.Is(err, ErrServerStopped) {
		t.Fatalf("Start after Stop: %v", err)
	}
	if _, _, err := s.FetchBlock(context.Background(), chainhash.Hash{}); !errors.Is(err, ErrServerStopped) {
		t.Fatalf("FetchBlock after Stop: %v", err)
	}
}

// TestStopNoLeak runs three connected nodes and a raw peer, stops them,
// and checks that the goroutine count returns to where it was.
func TestStopNoLeak(t *testing.T) {
	// count returns the goroutine count once it stops falling, or once
	// it is at most limit.
	count := func(limit int) int {
		n, last, stable := 0, -1, 0
		for i := 0; i < 500 && stable < 20; i++ {
			runtime.GC()
			n = runtime.NumGoroutine()
			if n <= limit {
				return n
			}
			if n == last {
				stable++
			} else {
				stable = 0
			}
			last = n
			time.Sleep(10 * time.Millisecond)
		}
		return n
	}
	// Let earlier tests' goroutines finish first.
	before := count(0)

	var servers []*Server
	start := func(mod func(*Config)) *testNode {
		cfg := testConfig()
		if mod != nil {
			mod(&cfg)
		}
		h := newTestHandler()
		s, err := New(cfg, h, h)
		if err != nil {
			t.Fatal(err)
		}
		h.srv = s
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
		servers = append(servers, s)
		return &testNode{Server: s, h: h}
	}
	b := start(nil)
	a := start(func(c *Config) { c.Connect = []string{b.addr()} })
	c := start(func(c *Config) { c.AddPeer = []string{b.addr()} })
	connected(t, 2, b)
	r, err := dialRaw(t, b.addr(), rawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_ = r.hello(nil)
	connected(t, 3, b)
	hash := a.h.addBlock(t, 100)
	a.Announce(BlockItem(hash))
	receive(t, c.h.gotBlock, hash, "C")

	for _, s := range servers {
		if err := s.Stop(); err != nil {
			t.Fatal(err)
		}
	}
	r.close()
	if after := count(before); after > before {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("%d goroutines before, %d after Stop:\n%s", before,
			after, buf)
	}
}
