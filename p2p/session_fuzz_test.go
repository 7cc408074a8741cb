package p2p

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"google.golang.org/protobuf/proto"

	p2pv1 "github.com/mainstake/sidenode/proto/sidenode/p2p/v1"
)

// The session fuzz target drives two handshaken sessions of one Server in
// process, without a network: each step of its input is a message from
// peer A or B, handled as the reader handles it, or the node flushing its
// announcements, or a session ending. The items are a small fixed
// universe, half of which the node has, so that sequences mix the same
// hashes.

// sessionUniverse is the fixed set of items of the fuzz target.
type sessionUniverse struct {
	blocks [6]testBlock
	txs    [6][]byte
	pegs   [4][]byte
	rounds [4][]byte
}

// universe is built once: deterministic, so seeds name the same items.
var universe = func() *sessionUniverse {
	u := new(sessionUniverse)
	sum := func(tag string, i int) []byte {
		h := sha256.Sum256([]byte(fmt.Sprintf("%s %d", tag, i)))
		return h[:]
	}
	for i := range u.blocks {
		header := append(sum("header a", i), sum("header b", i)...)
		u.blocks[i] = testBlock{header: header, body: []byte{byte(i + 1), 2, 3}}
	}
	for i := range u.txs {
		var prev chainhash.Hash
		copy(prev[:], sum("tx", i))
		tx := wire.NewMsgTx(2)
		tx.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&prev, 0), []byte{0x51}, nil))
		tx.AddTxOut(wire.NewTxOut(int64(1000+i), []byte{0x51}))
		var buf bytes.Buffer
		if err := tx.Serialize(&buf); err != nil {
			panic(err)
		}
		u.txs[i] = buf.Bytes()
	}
	for i := range u.pegs {
		u.pegs[i] = append([]byte("psbt\xff"), sum("peg", i)...)
	}
	for i := range u.rounds {
		u.rounds[i] = append([]byte{1, 2}, sum("round", i)...)
	}
	return u
}()

func (u *sessionUniverse) blockItem(i int) InvItem {
	return BlockItem(blockHash(u.blocks[i].header))
}

func (u *sessionUniverse) txItem(i int) InvItem {
	txid, err := parseTxID(u.txs[i])
	if err != nil {
		panic(err)
	}
	return TxItem(txid)
}

func (u *sessionUniverse) pegItem(i int) InvItem {
	return PegItem(PegSignaturesHash(u.pegs[i]))
}

func (u *sessionUniverse) roundItem(i int) InvItem {
	return RoundItem(RoundMessageHash(u.rounds[i]))
}

// sessionHandler is the fuzzed node: it has the first half of each kind
// of item, takes what it is sent, relays it, and finds a block whose body
// starts with 0xee invalid (MisbehaviorError, score 50), and a round
// message that starts with 0xee forged (MisbehaviorError, score 100).
type sessionHandler struct {
	mu     sync.Mutex
	srv    *Server
	blocks map[chainhash.Hash]testBlock
	txs    map[chainhash.Hash][]byte
	pegs   map[chainhash.Hash][]byte
	rounds map[chainhash.Hash][]byte
}

func newSessionHandler() *sessionHandler {
	h := &sessionHandler{blocks: make(map[chainhash.Hash]testBlock),
		txs: make(map[chainhash.Hash][]byte), pegs: make(map[chainhash.Hash][]byte),
		rounds: make(map[chainhash.Hash][]byte)}
	u := universe
	for i := 0; i < len(u.blocks)/2; i++ {
		h.blocks[u.blockItem(i).Hash] = u.blocks[i]
		h.txs[u.txItem(i).Hash] = u.txs[i]
	}
	for i := 0; i < len(u.pegs)/2; i++ {
		h.pegs[u.pegItem(i).Hash] = u.pegs[i]
		h.rounds[u.roundItem(i).Hash] = u.rounds[i]
	}
	return h
}

func (h *sessionHandler) Best() (chainhash.Hash, uint64) { return chainhash.Hash{1}, 1 }

func (h *sessionHandler) HaveBlock(hash chainhash.Hash) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.blocks[hash]
	return ok
}

func (h *sessionHandler) HaveTx(txid chainhash.Hash) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.txs[txid]
	return ok
}

func (h *sessionHandler) HavePegSignatures(hash chainhash.Hash) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.pegs[hash]
	return ok
}

func (h *sessionHandler) Block(hash chainhash.Hash) ([]byte, []byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	b, ok := h.blocks[hash]
	return b.header, b.body, ok
}

func (h *sessionHandler) Tx(txid chainhash.Hash) ([]byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	raw, ok := h.txs[txid]
	return raw, ok
}

func (h *sessionHandler) PegSignatures(hash chainhash.Hash) ([]byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	psbt, ok := h.pegs[hash]
	return psbt, ok
}

func (h *sessionHandler) ReceiveBlock(_ PeerID, header, body []byte) error {
	if body[0] == 0xee {
		return &MisbehaviorError{Score: 50, Reason: "invalid block"}
	}
	hash := blockHash(header)
	h.mu.Lock()
	h.blocks[hash] = testBlock{header: bytes.Clone(header), body: bytes.Clone(body)}
	h.mu.Unlock()
	h.srv.Announce(BlockItem(hash))
	return nil
}

func (h *sessionHandler) ReceiveTx(_ PeerID, raw []byte) error {
	txid, err := parseTxID(raw)
	if err != nil {
		return err
	}
	h.mu.Lock()
	h.txs[txid] = bytes.Clone(raw)
	h.mu.Unlock()
	h.srv.Announce(TxItem(txid))
	return nil
}

func (h *sessionHandler) ReceivePegSignatures(_ PeerID, psbt []byte) error {
	hash := PegSignaturesHash(psbt)
	h.mu.Lock()
	h.pegs[hash] = bytes.Clone(psbt)
	h.mu.Unlock()
	h.srv.Announce(PegItem(hash))
	return nil
}

func (h *sessionHandler) HaveRoundMessage(hash chainhash.Hash) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.rounds[hash]
	return ok
}

func (h *sessionHandler) RoundMessage(hash chainhash.Hash) ([]byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	raw, ok := h.rounds[hash]
	return raw, ok
}

func (h *sessionHandler) ReceiveRoundMessage(_ PeerID, raw []byte) error {
	if raw[0] == 0xee {
		return &MisbehaviorError{Score: 100, Reason: "forged round message"}
	}
	hash := RoundMessageHash(raw)
	h.mu.Lock()
	h.rounds[hash] = bytes.Clone(raw)
	h.mu.Unlock()
	h.srv.Announce(RoundItem(hash))
	return nil
}

// nopConn is a conn never used: the fuzz target drains send queues itself
// and hands received messages to handle.
type nopConn struct{}

func (nopConn) Send(*p2pv1.Message) error     { return errClosed }
func (nopConn) Recv() (*p2pv1.Message, error) { return nil, errClosed }

// Steps of the fuzz input: a selector byte, then for a message a 2-byte
// little-endian length and that many bytes of a serialized Message.
const (
	stepFromA byte = iota // a message from peer A
	stepFromB             // a message from peer B
	stepFlush             // the node sends its pending announcements
	stepEndA              // A's session ends
	stepEndB              // B's session ends
	stepStall             // the node's clock passes RequestTimeout; stalls are checked
	numSteps
)

// sessionStep is one step of a seed.
type sessionStep struct {
	op byte
	m  *p2pv1.Message
}

// encodeSession serializes seed steps as fuzz input.
func encodeSession(steps ...sessionStep) []byte {
	var out []byte
	for _, s := range steps {
		out = append(out, s.op)
		if s.op == stepFromA || s.op == stepFromB {
			b, err := proto.Marshal(s.m)
			if err != nil {
				panic(err)
			}
			out = binary.LittleEndian.AppendUint16(out, uint16(len(b)))
			out = append(out, b...)
		}
	}
	return out
}

// sessionSeeds are real exchanges between two nodes and a hostile one.
func sessionSeeds() [][]byte {
	u := universe
	a := func(m *p2pv1.Message) sessionStep { return sessionStep{stepFromA, m} }
	b := func(m *p2pv1.Message) sessionStep { return sessionStep{stepFromB, m} }
	flush := sessionStep{op: stepFlush}
	blk := func(i int) *p2pv1.Message { return blockMsg(u.blocks[i].header, u.blocks[i].body) }
	badBody := blockMsg(u.blocks[5].header, []byte{0xee, 1})
	invalid := &p2pv1.Message{Payload: &p2pv1.Message_Inventory{
		Inventory: &p2pv1.Inventory{Items: []*p2pv1.InventoryItem{{
			Type: p2pv1.InventoryType_INVENTORY_TYPE_BLOCK, Hash: []byte{1, 2}}}}}}
	return [][]byte{
		// A announces what the node lacks; it asks, A answers one
		// of each kind and cannot serve the other block.
		encodeSession(
			a(inventoryMsg([]InvItem{u.blockItem(3), u.blockItem(4), u.txItem(3), u.pegItem(2)})),
			a(blk(3)), a(txMsg(u.txs[3])), a(pegSignaturesMsg(u.pegs[2])),
			a(notFoundMsg([]InvItem{u.blockItem(4)})), flush),
		// A asks for what the node has and lacks.
		encodeSession(a(getDataMsg([]InvItem{u.blockItem(0), u.blockItem(5),
			u.txItem(1), u.txItem(4), u.pegItem(0), u.pegItem(3)}))),
		// Both announce the same block: only A is asked; A cannot
		// serve it, B announces again and is asked.
		encodeSession(
			a(inventoryMsg([]InvItem{u.blockItem(3)})),
			b(inventoryMsg([]InvItem{u.blockItem(3)})),
			a(notFoundMsg([]InvItem{u.blockItem(3)})),
			b(inventoryMsg([]InvItem{u.blockItem(3)})), b(blk(3)), flush),
		// A's session ends with items in flight; B gets them.
		encodeSession(
			a(inventoryMsg([]InvItem{u.blockItem(4), u.txItem(5)})),
			sessionStep{op: stepEndA},
			b(inventoryMsg([]InvItem{u.blockItem(4), u.txItem(5)})),
			b(blk(4)), b(txMsg(u.txs[5])), flush),
		// A hostile peer: unsolicited data, invalid messages, pings,
		// a second hello, an invalid block twice.
		encodeSession(
			a(blk(5)), a(txMsg(u.txs[4])), a(notFoundMsg([]InvItem{u.blockItem(1)})),
			a(invalid), a(pingMsg(7)), a(pongMsg(9)), a(&p2pv1.Message{}), a(invalid),
			a(&p2pv1.Message{Payload: &p2pv1.Message_Hello{Hello: &p2pv1.Hello{}}}),
			a(inventoryMsg([]InvItem{u.blockItem(5)})), a(badBody),
			b(inventoryMsg([]InvItem{u.blockItem(5)})), b(badBody), b(pingMsg(1))),
		// Relay: B sends what A then asks for.
		encodeSession(
			b(inventoryMsg([]InvItem{u.blockItem(4), u.pegItem(3)})),
			b(blk(4)), b(pegSignaturesMsg(u.pegs[3])), flush,
			a(getDataMsg([]InvItem{u.blockItem(4), u.pegItem(3)})),
			sessionStep{op: stepEndB}, flush),
		// Round messages: A announces two the node lacks and one it
		// has; it asks for the two, takes and relays one, and finds the
		// other forged; B asks for one it has and one it lacks; an
		// unsolicited one and an empty one follow.
		encodeSession(
			a(inventoryMsg([]InvItem{u.roundItem(2), u.roundItem(0), roundItem(forgedRound)})),
			a(roundMessageMsg(u.rounds[2])), a(roundMessageMsg(forgedRound)), flush,
			b(getDataMsg([]InvItem{u.roundItem(2), u.roundItem(3)})),
			b(roundMessageMsg(u.rounds[3])),
			b(&p2pv1.Message{Payload: &p2pv1.Message_RoundMessage{
				RoundMessage: &p2pv1.RoundMessage{}}})),
	}
}

// forgedRound is a round message the fuzzed node finds forged.
var forgedRound = []byte{0xee, 1, 2, 3}

func roundItem(raw []byte) InvItem { return RoundItem(RoundMessageHash(raw)) }

// sessionPeer is one fuzzed session and what its peer did.
type sessionPeer struct {
	p         *peer
	ended     bool
	announced map[InvItem]bool // items the peer announced, valid or not
}

// FuzzSession feeds two peers' arbitrary message sequences to a node's
// session handling: inventory, get-data, the answers, in-flight
// bookkeeping, relay. After every step:
//   - nothing panicked or blocked;
//   - the in-flight bookkeeping agrees: every item a session has asked
//     for is in flight from that session in the Server's map and no
//     other, and the map holds nothing for a session that ended;
//   - the per-session bookkeeping stays within its bounds;
//   - the node never misbehaves back: each message it sends passes the
//     checks a peer applies (validate), it never says Hello again, asks
//     only for items the peer announced, answers only the GetData or
//     Ping of this step, with the items it names, and announces only
//     items it can serve.
//
// With pow set the node runs the pow engine with header sync on a small
// header chain (powUniverse): peers also send GetHeaders and Headers, the
// node asks for headers and for the blocks the header chain lacks, and a
// step may pass the stall timeout. The node then also answers only the
// GetHeaders of the step with Headers, asks only for blocks that peers
// announced or its header chain holds, and its sync requests are requests
// in flight, within their per-peer bound.
func FuzzSession(f *testing.F) {
	for _, s := range sessionSeeds() {
		f.Add(s, false)
	}
	for _, s := range powSessionSeeds() {
		f.Add(s, true)
	}
	f.Add([]byte{}, false)
	f.Add([]byte{stepFlush, stepEndA, stepEndB}, false)
	f.Add([]byte{stepStall, stepFlush, stepEndA, stepStall}, true)

	f.Fuzz(func(t *testing.T, data []byte, pow bool) {
		if pow {
			playPowSession(t, data)
		} else {
			playSession(t, data)
		}
	})
}

// sessionConfig is the fuzzed node's configuration.
func sessionConfig() Config {
	return Config{Network: testNetwork, SidechainID: testSidechain, Genesis: testGenesis,
		MaxInventoryItems: 16, MaxMessageSize: 64 << 10,
		SendQueueMessages: 128, SendQueueBytes: 4 << 20,
		MsgRate: 1e9, MsgBurst: 1 << 30,
		BytesRate: 1e12}
}

// playSession plays the fuzz input data on a new mainstake node,
// checking after every step, and returns the node's handler and sessions.
func playSession(t *testing.T, data []byte) (*sessionHandler, [2]*sessionPeer) {
	h := newSessionHandler()
	cfg := sessionConfig()
	cfg.Rounds = h
	s, err := New(cfg, h, h)
	if err != nil {
		t.Fatal(err)
	}
	h.srv = s
	return h, playSteps(t, s, nil, data)
}

// powUniverse is the header chain of the pow fuzz target: genesis and
// seven blocks, of which the node has the first three.
var powUniverse = func() [][]byte {
	return newFakeChain().extend(7, 1)
}()

// powUniverseHas is how many of powUniverse the fuzzed pow node has.
const powUniverseHas = 3

// playPowSession plays the fuzz input data on a new pow node with header
// sync, checking after every step, and returns its chain and sessions.
func playPowSession(t *testing.T, data []byte) (*fakeChain, [2]*sessionPeer) {
	c := newFakeChain()
	for _, hdr := range powUniverse[:powUniverseHas] {
		if err := c.ReceiveBlock(0, hdr, fakeBody(blockHash(hdr))); err != nil {
			t.Fatal(err)
		}
	}
	cfg := sessionConfig()
	cfg.Engine = EnginePoW
	cfg.HeaderSync = c
	clk := &clock{now: time.Unix(1700000000, 0)}
	s, err := newServer(cfg, c, nil, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	c.srv = s
	return c, playSteps(t, s, clk, data)
}

// playSteps plays data on s with two new sessions, A claiming a better
// height than B; clk is s's clock under pow, nil otherwise.
func playSteps(t *testing.T, s *Server, clk *clock, data []byte) [2]*sessionPeer {
	var peers [2]*sessionPeer
	for i := range peers {
		p := s.newPeer(nopConn{}, fmt.Sprintf("127.0.0.1:%d", 40000+i), true, false)
		hello := &p2pv1.Hello{Nonce: uint64(i) + 2, BestHeight: uint64(10 - i*10)}
		if err := s.register(p, hello); err != nil {
			t.Fatal(err)
		}
		close(p.handshakeDone)
		peers[i] = &sessionPeer{p: p, announced: make(map[InvItem]bool)}
		s.syncPeerUp(p)
	}
	for _, sp := range peers {
		checkSent(t, s, sp, false, nil)
	}

	for len(data) > 0 {
		op := data[0] % numSteps
		data = data[1:]
		var in *p2pv1.Message
		var from *sessionPeer
		switch op {
		case stepFromA, stepFromB:
			if len(data) < 2 {
				return peers
			}
			n := int(binary.LittleEndian.Uint16(data))
			data = data[2:]
			if n > len(data) {
				n = len(data)
			}
			in = new(p2pv1.Message)
			if proto.Unmarshal(data[:n], in) != nil {
				in = new(p2pv1.Message) // an empty envelope
			}
			data = data[n:]
			from = peers[op-stepFromA]
			if from.ended {
				continue
			}
			if inv := in.GetInventory(); inv != nil {
				for _, pi := range inv.GetItems() {
					from.announced[fromProto(pi)] = true
				}
			}
			from.p.handle(in)
		case stepFlush:
			for _, sp := range peers {
				if !sp.ended {
					sp.p.flushInv()
				}
			}
		case stepEndA, stepEndB:
			sp := peers[op-stepEndA]
			if !sp.ended {
				sp.p.disconnect(errClosed)
			}
		case stepStall:
			if clk != nil {
				clk.add(s.cfg.RequestTimeout)
			}
			s.checkStalls()
		}
		for _, sp := range peers {
			checkSent(t, s, sp, from == sp, in)
			if sp.p.closed() && !sp.ended {
				sp.ended = true
				s.unregister(sp.p)
			}
		}
		checkInflight(t, s, peers)
	}
	return peers
}

// checkSent drains what the node queued for sp's peer and checks it.
// fromPeer says whether in, the step's message, came from that peer.
func checkSent(t *testing.T, s *Server, sp *sessionPeer, fromPeer bool, in *p2pv1.Message) {
	t.Helper()
	p := sp.p
	var asked map[InvItem]bool // what this step's GetData asked for
	if fromPeer && in.GetGetData() != nil && s.lim.validate(in) == nil {
		asked = make(map[InvItem]bool)
		for _, pi := range in.GetGetData().GetItems() {
			asked[fromProto(pi)] = true
		}
	}
	// Whether this step asked for headers.
	askedHeaders := fromPeer && in.GetGetHeaders() != nil && s.lim.validate(in) == nil
	for {
		var q queuedMsg
		select {
		case q = <-p.sendQ:
		default:
			if b := p.queuedBytes.Load(); b != 0 {
				t.Fatalf("%d bytes counted in an empty send queue", b)
			}
			return
		}
		p.queuedBytes.Add(-q.size)
		m := q.m
		if err := s.lim.validate(m); err != nil {
			t.Fatalf("node sent an invalid message %v: %v", m, err)
		}
		answer := func(it InvItem) {
			if !asked[it] {
				t.Fatalf("node sent %v, which this step did not ask for", it)
			}
		}
		switch pl := m.GetPayload().(type) {
		case *p2pv1.Message_Hello:
			t.Fatal("node sent a second hello")
		case *p2pv1.Message_GetData:
			for _, pi := range pl.GetData.GetItems() {
				it := fromProto(pi)
				if !sp.announced[it] && !inHeaderChain(s, it) {
					t.Fatalf("node asked for %v, never announced", it)
				}
				if !p.isRequested(it) {
					t.Fatalf("node asked for %v without recording it", it)
				}
			}
		case *p2pv1.Message_Inventory:
			for _, pi := range pl.Inventory.GetItems() {
				if it := fromProto(pi); s.lookup(it) == nil {
					t.Fatalf("node announced %v, which it cannot serve", it)
				}
			}
		case *p2pv1.Message_Block:
			answer(BlockItem(blockHash(pl.Block.GetHeader())))
		case *p2pv1.Message_Transaction:
			txid, err := parseTxID(pl.Transaction.GetRaw())
			if err != nil {
				t.Fatalf("node sent an undecodable tx: %v", err)
			}
			answer(TxItem(txid))
		case *p2pv1.Message_PegSignatures:
			answer(PegItem(PegSignaturesHash(pl.PegSignatures.GetPsbt())))
		case *p2pv1.Message_RoundMessage:
			answer(RoundItem(RoundMessageHash(pl.RoundMessage.GetRaw())))
		case *p2pv1.Message_NotFound:
			for _, pi := range pl.NotFound.GetItems() {
				answer(fromProto(pi))
			}
		case *p2pv1.Message_HeaderBatch:
			if !askedHeaders {
				t.Fatal("node sent headers, not in answer to a getheaders")
			}
			askedHeaders = false
		case *p2pv1.Message_GetHeaders:
			if !s.syncOn() {
				t.Fatal("node without header sync asked for headers")
			}
		case *p2pv1.Message_Ping:
			t.Fatal("node pinged outside its owner loop")
		case *p2pv1.Message_Pong:
			if !fromPeer || in.GetPing() == nil ||
				in.GetPing().GetNonce() != pl.Pong.GetNonce() {
				t.Fatalf("node sent pong %d, not in answer to a ping",
					pl.Pong.GetNonce())
			}
		}
	}
}

// checkInflight checks that the sessions' requests and the Server's
// in-flight map agree.
func checkInflight(t *testing.T, s *Server, peers [2]*sessionPeer) {
	t.Helper()
	s.inflightMu.Lock()
	inflight := make(map[InvItem]PeerID, len(s.inflight))
	for it, e := range s.inflight {
		inflight[it] = e.peer
	}
	s.inflightMu.Unlock()

	owned := 0
	for _, sp := range peers {
		p := sp.p
		p.mu.Lock()
		requested := make([]InvItem, 0, len(p.requested))
		for it := range p.requested {
			requested = append(requested, it)
		}
		pending := len(p.pendingInv)
		p.mu.Unlock()
		if sp.ended {
			for it, id := range inflight {
				if id == p.id {
					t.Fatalf("%v still in flight from ended %v", it, p.id)
				}
			}
			continue
		}
		if len(requested) > 2*p.cfg.MaxInventoryItems+maxSyncBlocksPerPeer {
			t.Fatalf("%v has %d requests in flight", p.id, len(requested))
		}
		p.mu.Lock()
		syncBodies := len(p.sync.bodies)
		for hash := range p.sync.bodies {
			if _, ok := p.requested[BlockItem(hash)]; !ok {
				t.Fatalf("sync block %v of %v is not in flight", hash, p.id)
			}
		}
		p.mu.Unlock()
		if syncBodies > maxSyncBlocksPerPeer {
			t.Fatalf("%v has %d sync blocks in flight", p.id, syncBodies)
		}
		if pending > 10*p.cfg.MaxInventoryItems {
			t.Fatalf("%v has %d pending announcements", p.id, pending)
		}
		for _, it := range requested {
			if inflight[it] != p.id {
				t.Fatalf("%v asked of %v, in flight from %v", it,
					p.id, inflight[it])
			}
		}
		owned += len(requested)
	}
	if owned != len(inflight) {
		t.Fatalf("%d items in flight, %d asked of live sessions",
			len(inflight), owned)
	}
}

// TestSessionSeeds checks that the fuzz seeds do what they say: the
// node takes what it asked for, serves what it has, and cuts off the
// hostile peer, and only it.
func TestSessionSeeds(t *testing.T) {
	u := universe
	seeds := sessionSeeds()

	h, peers := playSession(t, seeds[0])
	if !h.HaveBlock(u.blockItem(3).Hash) || !h.HaveTx(u.txItem(3).Hash) ||
		!h.HavePegSignatures(u.pegItem(2).Hash) || h.HaveBlock(u.blockItem(4).Hash) {
		t.Error("seed 0: the node did not take what it asked for")
	}
	if peers[0].p.banScore.Load() != 0 || peers[0].ended {
		t.Error("seed 0: an honest peer was held to account")
	}

	h, _ = playSession(t, seeds[2])
	if !h.HaveBlock(u.blockItem(3).Hash) {
		t.Error("seed 2: the block was not fetched from B")
	}
	h, _ = playSession(t, seeds[3])
	if !h.HaveBlock(u.blockItem(4).Hash) || !h.HaveTx(u.txItem(5).Hash) {
		t.Error("seed 3: the items in flight from A were not fetched from B")
	}

	h, peers = playSession(t, seeds[6])
	if !h.HaveRoundMessage(u.roundItem(2).Hash) || h.HaveRoundMessage(roundItem(forgedRound).Hash) {
		t.Error("seed 6: the node did not take the round message it asked " +
			"for, or took the forged one")
	}
	if !peers[0].ended || peers[1].ended || peers[1].p.banScore.Load() != scoreUnsolicited+scoreInvalid {
		t.Errorf("seed 6: A ended %v, B ended %v with score %d", peers[0].ended,
			peers[1].ended, peers[1].p.banScore.Load())
	}

	_, peers = playSession(t, seeds[4])
	if !peers[0].ended || peers[1].ended || peers[1].p.banScore.Load() != 50 {
		t.Errorf("seed 4: A ended %v, B ended %v with score %d",
			peers[0].ended, peers[1].ended, peers[1].p.banScore.Load())
	}
}

// inHeaderChain reports whether it is a block the header chain of the
// fuzzed pow node holds.
func inHeaderChain(s *Server, it InvItem) bool {
	c, ok := s.h.(*fakeChain)
	if !ok || it.Type != InvBlock {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok = c.nodes[it.Hash]
	return ok
}

// powSessionSeeds are exchanges of a pow node syncing from two peers and
// a hostile one.
func powSessionSeeds() [][]byte {
	u := powUniverse
	a := func(m *p2pv1.Message) sessionStep { return sessionStep{stepFromA, m} }
	b := func(m *p2pv1.Message) sessionStep { return sessionStep{stepFromB, m} }
	blk := func(i int) *p2pv1.Message { return blockMsg(u[i], fakeBody(blockHash(u[i]))) }
	item := func(i int) InvItem { return BlockItem(blockHash(u[i])) }
	genesis := blockHash(fakeGenesis)
	bad := fakeHeader(blockHash(u[2]), 99, badVersion)
	return [][]byte{
		// A answers the node's GetHeaders; the node asks for the four
		// blocks it lacks, spread over A and B, which serve them; B
		// asks for headers. (u[i] is the block at height i+1.)
		encodeSession(
			a(headersMsg(u)), a(blk(3)), b(blk(4)), a(blk(5)), b(blk(6)),
			sessionStep{op: stepFlush},
			b(getHeadersMsg([]chainhash.Hash{genesis}, chainhash.Hash{})),
			b(getHeadersMsg([]chainhash.Hash{blockHash(u[4])}, blockHash(u[5])))),
		// B announces the last block, whose parent the node lacks: it
		// asks for headers; B answers with headers that do not
		// connect, then with those that do; A's session ends with
		// blocks in flight and B serves them.
		encodeSession(
			b(inventoryMsg([]InvItem{item(6)})), b(blk(6)),
			b(headersMsg(u[5:])), b(headersMsg(u)),
			sessionStep{op: stepEndA},
			b(blk(3)), b(blk(4)), b(blk(5)), b(notFoundMsg([]InvItem{item(6)}))),
		// A stalls and is disconnected; B is asked for its blocks.
		encodeSession(
			a(headersMsg(u)), b(blk(4)), b(blk(6)), sessionStep{op: stepStall},
			b(blk(3)), b(blk(5)), sessionStep{op: stepStall}),
		// A hostile peer: a header that breaks a rule, headers of the
		// wrong size, a mainstake block header, an empty locator,
		// unsolicited headers.
		encodeSession(
			b(headersMsg([][]byte{u[0], u[1], u[2], bad})),
			a(headersMsg([][]byte{make([]byte, 79)})),
			a(blockMsg(make([]byte, BlockHeaderSize), []byte{1})),
			a(&p2pv1.Message{Payload: &p2pv1.Message_GetHeaders{GetHeaders: &p2pv1.GetHeaders{}}}),
			a(headersMsg(nil)), a(headersMsg(u[3:4])), a(blk(3))),
	}
}

// TestPowSessionSeeds checks that the pow fuzz seeds do what they say.
func TestPowSessionSeeds(t *testing.T) {
	seeds := powSessionSeeds()

	c, peers := playPowSession(t, seeds[0])
	if _, blocks := c.heights(); blocks != 7 {
		t.Errorf("seed 0: tip at %d, want 7", blocks)
	}
	if peers[0].p.banScore.Load() != 0 || peers[1].p.banScore.Load() != 0 {
		t.Error("seed 0: an honest peer was held to account")
	}

	// A block the node cannot take is not asked of the same peer again,
	// but of the other.
	u := powUniverse
	refused := blockMsg(u[3], []byte{0xee})
	_, peers = playPowSession(t, encodeSession(
		sessionStep{stepFromA, headersMsg(u)}, sessionStep{stepFromA, refused}))
	it := BlockItem(blockHash(u[3]))
	if peers[0].p.isRequested(it) || !peers[1].p.isRequested(it) {
		t.Errorf("refused block: asked of A %v, of B %v",
			peers[0].p.isRequested(it), peers[1].p.isRequested(it))
	}

	c, peers = playPowSession(t, seeds[1])
	if _, blocks := c.heights(); blocks != 6 {
		t.Errorf("seed 1: tip at %d, want 6", blocks)
	}
	if peers[1].p.banScore.Load() != 0 {
		t.Error("seed 1: unconnected headers cost ban score")
	}

	c, peers = playPowSession(t, seeds[2])
	if !peers[0].ended || peers[1].ended {
		t.Errorf("seed 2: A ended %v, B ended %v", peers[0].ended, peers[1].ended)
	}
	if _, blocks := c.heights(); blocks != 7 {
		t.Errorf("seed 2: tip at %d, want 7", blocks)
	}

	c, peers = playPowSession(t, seeds[3])
	if !peers[1].ended || peers[0].p.banScore.Load() != 3*scoreInvalid {
		t.Errorf("seed 3: B ended %v, A's score %d", peers[1].ended,
			peers[0].p.banScore.Load())
	}
	if headers, blocks := c.heights(); headers != 4 || blocks != 4 {
		t.Errorf("seed 3: best header %d, tip %d, want 4 and 4", headers, blocks)
	}
}
