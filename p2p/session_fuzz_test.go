package p2p

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sync"
	"testing"

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

// sessionHandler is the fuzzed node: it has the first half of each kind
// of item, takes what it is sent, relays it, and finds a block whose body
// starts with 0xee invalid (MisbehaviorError, score 50).
type sessionHandler struct {
	mu     sync.Mutex
	srv    *Server
	blocks map[chainhash.Hash]testBlock
	txs    map[chainhash.Hash][]byte
	pegs   map[chainhash.Hash][]byte
}

func newSessionHandler() *sessionHandler {
	h := &sessionHandler{blocks: make(map[chainhash.Hash]testBlock),
		txs: make(map[chainhash.Hash][]byte), pegs: make(map[chainhash.Hash][]byte)}
	u := universe
	for i := 0; i < len(u.blocks)/2; i++ {
		h.blocks[u.blockItem(i).Hash] = u.blocks[i]
		h.txs[u.txItem(i).Hash] = u.txs[i]
	}
	for i := 0; i < len(u.pegs)/2; i++ {
		h.pegs[u.pegItem(i).Hash] = u.pegs[i]
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
	}
}

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
func FuzzSession(f *testing.F) {
	for _, s := range sessionSeeds() {
		f.Add(s)
	}
	f.Add([]byte{})
	f.Add([]byte{stepFlush, stepEndA, stepEndB})

	f.Fuzz(func(t *testing.T, data []byte) { playSession(t, data) })
}

// playSession plays the fuzz input data on a new node, checking after
// every step, and returns the node's handler and sessions.
func playSession(t *testing.T, data []byte) (*sessionHandler, [2]*sessionPeer) {
	cfg := Config{Network: testNetwork, SidechainID: testSidechain, Genesis: testGenesis,
		MaxInventoryItems: 16, MaxMessageSize: 64 << 10,
		SendQueueMessages: 128, SendQueueBytes: 4 << 20,
		MsgRate: 1e9, MsgBurst: 1 << 30,
		BytesRate: 1e12}
	h := newSessionHandler()
	s, err := New(cfg, h, h)
	if err != nil {
		t.Fatal(err)
	}
	h.srv = s
	var peers [2]*sessionPeer
	for i := range peers {
		p := s.newPeer(nopConn{}, fmt.Sprintf("127.0.0.1:%d", 40000+i), true, false)
		if err := s.register(p, &p2pv1.Hello{Nonce: uint64(i) + 2}); err != nil {
			t.Fatal(err)
		}
		close(p.handshakeDone)
		peers[i] = &sessionPeer{p: p, announced: make(map[InvItem]bool)}
	}

	for len(data) > 0 {
		op := data[0] % numSteps
		data = data[1:]
		var in *p2pv1.Message
		var from *sessionPeer
		switch op {
		case stepFromA, stepFromB:
			if len(data) < 2 {
				return h, peers
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
	return h, peers
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
				if !sp.announced[it] {
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
		case *p2pv1.Message_NotFound:
			for _, pi := range pl.NotFound.GetItems() {
				answer(fromProto(pi))
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
		if len(requested) > 2*p.cfg.MaxInventoryItems {
			t.Fatalf("%v has %d requests in flight", p.id, len(requested))
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

	_, peers = playSession(t, seeds[4])
	if !peers[0].ended || peers[1].ended || peers[1].p.banScore.Load() != 50 {
		t.Errorf("seed 4: A ended %v, B ended %v with score %d",
			peers[0].ended, peers[1].ended, peers[1].p.banScore.Load())
	}
}
