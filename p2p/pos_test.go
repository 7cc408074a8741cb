package p2p

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	p2pv1 "github.com/mainstake/sidenode/proto/sidenode/p2p/v1"
)

// testPos is a PosHandler that keeps every item it receives and relays
// it through srv.
type testPos struct {
	mu    sync.Mutex
	srv   *Server
	items map[chainhash.Hash][]byte
	got   chan []byte
}

func newTestPos() *testPos {
	return &testPos{items: map[chainhash.Hash][]byte{}, got: make(chan []byte, 16)}
}

func (p *testPos) HavePosItem(h chainhash.Hash) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.items[h]
	return ok
}

func (p *testPos) PosItem(h chainhash.Hash) ([]byte, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	d, ok := p.items[h]
	return d, ok
}

func (p *testPos) ReceivePosItem(_ PeerID, data []byte) error {
	h := p.add(data)
	p.got <- data
	p.srv.Announce(PosItem(h))
	return nil
}

func (p *testPos) PosItemName(data []byte) chainhash.Hash { return PosItemHash(data) }

func (p *testPos) add(data []byte) chainhash.Hash {
	h := PosItemHash(data)
	p.mu.Lock()
	p.items[h] = append([]byte(nil), data...)
	p.mu.Unlock()
	return h
}

func posNode(t *testing.T, mod func(*Config)) (*testNode, *testPos) {
	t.Helper()
	h := newTestPos()
	n := startTestNodeWith(t, func(c *Config) {
		c.Pos = h
		if mod != nil {
			mod(c)
		}
	}, false, func(s *Server) { h.srv = s })
	return n, h
}

func receivePos(t *testing.T, ch chan []byte, want []byte, who string) {
	t.Helper()
	select {
	case got := <-ch:
		if !bytes.Equal(got, want) {
			t.Fatalf("%s received another pos item", who)
		}
	case <-time.After(wait):
		t.Fatalf("%s did not receive the pos item", who)
	}
}

// TestPosRelay announces a pos item at A; C receives the same bytes
// through B, once, and nobody gains ban score.
func TestPosRelay(t *testing.T) {
	b, bh := posNode(t, nil)
	a, ah := posNode(t, func(c *Config) { c.Connect = []string{b.addr()} })
	c, ch := posNode(t, func(c *Config) { c.Connect = []string{b.addr()} })
	connected(t, 1, a, c)
	connected(t, 2, b)

	data := append([]byte{1}, randBytes(t, 5000)...)
	h := ah.add(data)
	a.Announce(PosItem(h))
	receivePos(t, bh.got, data, "B")
	receivePos(t, ch.got, data, "C")
	select {
	case <-ah.got:
		t.Fatal("A received its own item back")
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

// TestPosUnsolicited: a PosItem nobody asked for costs ban score and does
// not reach the handler; one over MaxPosItemSize is invalid.
func TestPosUnsolicited(t *testing.T) {
	n, h := posNode(t, nil)
	r := rawSession(t, n)
	r.mustSend(&p2pv1.Message{Payload: &p2pv1.Message_PosItem{PosItem: &p2pv1.PosItem{Data: []byte{1, 2, 3}}}})
	waitFor(t, wait, "ban score for an unsolicited pos item", func() bool { return banScore(t, n) > 0 })
	select {
	case <-h.got:
		t.Fatal("the handler received an unsolicited item")
	default:
	}
	if err := (limits{maxItems: 10, maxData: 8 << 20, headerSize: 64}).validate(&p2pv1.Message{Payload: &p2pv1.Message_PosItem{PosItem: &p2pv1.PosItem{Data: make([]byte, MaxPosItemSize+1)}}}); err == nil {
		t.Fatal("an oversized pos item is valid")
	}
}

// TestPosNoHandler: a node without a PosHandler does not ask for pos items
// it is told about.
func TestPosNoHandler(t *testing.T) {
	n := newTestNode(t, nil)
	r := rawSession(t, n)
	fresh := randBytes(t, 100)
	r.mustSend(inventoryMsg([]InvItem{PosItem(PosItemHash(fresh)), TxItem(chainhash.Hash{9})}))
	wantItems(t, "getdata", r.nextGetData(), TxItem(chainhash.Hash{9}))
}
