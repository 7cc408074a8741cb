package p2p

import (
	"bytes"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	p2pv1 "github.com/mainstake/sidenode/proto/sidenode/p2p/v1"
)

// receivePeg waits for the next psbt a handler received and checks that it
// is want.
func receivePeg(t *testing.T, ch chan []byte, want []byte, who string) {
	t.Helper()
	select {
	case got := <-ch:
		if !bytes.Equal(got, want) {
			t.Fatalf("%s received peg signatures %v, want %v", who,
				PegSignaturesHash(got), PegSignaturesHash(want))
		}
	case <-time.After(wait):
		t.Fatalf("%s did not receive peg signatures %v", who,
			PegSignaturesHash(want))
	}
}

// noPeg fails if a handler has received peg signatures not yet taken.
func noPeg(t *testing.T, ch chan []byte, who string) {
	t.Helper()
	select {
	case got := <-ch:
		t.Fatalf("%s received peg signatures %v", who,
			PegSignaturesHash(got))
	default:
	}
}

// rawSession dials n with a raw peer and completes the handshake.
func rawSession(t *testing.T, n *testNode) *rawPeer {
	t.Helper()
	r, err := dialRaw(t, n.addr(), rawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.hello(nil); err != nil {
		t.Fatal(err)
	}
	connected(t, 1, n)
	return r
}

// mustSend sends m from the raw peer, failing the test if it cannot.
func (r *rawPeer) mustSend(m *p2pv1.Message) {
	r.t.Helper()
	if err := r.send(m); err != nil {
		r.t.Fatal(err)
	}
}

// nextItems returns the items of the next message for which items returns
// some: an Inventory, GetData or NotFound.
func (r *rawPeer) nextItems(what string,
	items func(*p2pv1.Message) []*p2pv1.InventoryItem) []InvItem {

	r.t.Helper()
	m, err := r.next(wait, func(m *p2pv1.Message) bool {
		return len(items(m)) > 0
	})
	if err != nil {
		r.t.Fatalf("no %s: %v", what, err)
	}
	var out []InvItem
	for _, pi := range items(m) {
		out = append(out, fromProto(pi))
	}
	return out
}

func (r *rawPeer) nextGetData() []InvItem {
	r.t.Helper()
	return r.nextItems("getdata", func(m *p2pv1.Message) []*p2pv1.InventoryItem {
		return m.GetGetData().GetItems()
	})
}

func (r *rawPeer) nextInventory() []InvItem {
	r.t.Helper()
	return r.nextItems("inventory", func(m *p2pv1.Message) []*p2pv1.InventoryItem {
		return m.GetInventory().GetItems()
	})
}

func (r *rawPeer) nextNotFound() []InvItem {
	r.t.Helper()
	return r.nextItems("notfound", func(m *p2pv1.Message) []*p2pv1.InventoryItem {
		return m.GetNotFound().GetItems()
	})
}

// wantItems fails unless got is exactly want.
func wantItems(t *testing.T, what string, got []InvItem, want ...InvItem) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s names %v, want %v", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s names %v, want %v", what, got, want)
		}
	}
}

// banScore returns the ban score of n's only peer.
func banScore(t *testing.T, n *testNode) uint32 {
	t.Helper()
	p := n.Peers()
	if len(p) != 1 {
		t.Fatalf("%d peers, want 1", len(p))
	}
	return p[0].BanScore
}

// TestPegRelay announces peg signatures at A; C receives exactly the same
// bytes through B, once, and announcing them again delivers nothing.
func TestPegRelay(t *testing.T) {
	a, b, c := line(t)

	psbt, hash := a.h.addPeg(t, 3000)
	a.Announce(PegItem(hash))
	receivePeg(t, b.h.gotPeg, psbt, "B")
	receivePeg(t, c.h.gotPeg, psbt, "C")
	if got, ok := c.h.PegSignatures(hash); !ok || !bytes.Equal(got, psbt) {
		t.Fatal("C holds other bytes")
	}

	// A announces them again, then new ones: the new ones are the next
	// thing B and C receive.
	a.Announce(PegItem(hash))
	psbt2, hash2 := a.h.addPeg(t, 2000)
	a.Announce(PegItem(hash2))
	receivePeg(t, b.h.gotPeg, psbt2, "B")
	receivePeg(t, c.h.gotPeg, psbt2, "C")

	// A peer announcing what C has is not asked for it: the first
	// GetData C sends it names only the item C lacks.
	r, err := dialRaw(t, c.addr(), rawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.hello(nil); err != nil {
		t.Fatal(err)
	}
	connected(t, 2, c)
	r.mustSend(inventoryMsg([]InvItem{PegItem(hash), PegItem(hash2)}))
	fresh := randBytes(t, 100)
	r.mustSend(inventoryMsg([]InvItem{PegItem(PegSignaturesHash(fresh))}))
	wantItems(t, "C's getdata", r.nextGetData(),
		PegItem(PegSignaturesHash(fresh)))
	r.mustSend(pegSignaturesMsg(fresh))
	receivePeg(t, c.h.gotPeg, fresh, "C")
	// C relays them like any other: back through B to A, once.
	receivePeg(t, b.h.gotPeg, fresh, "B")
	receivePeg(t, a.h.gotPeg, fresh, "A")

	noPeg(t, a.h.gotPeg, "A")
	noPeg(t, b.h.gotPeg, "B")
	noPeg(t, c.h.gotPeg, "C")
	for _, n := range []*testNode{a, b, c} {
		for _, p := range n.Peers() {
			if p.BanScore != 0 {
				t.Fatalf("peer %+v has ban score", p)
			}
		}
	}
}

// TestPegServe asks a node for peg signatures it has and ones it lacks.
func TestPegServe(t *testing.T) {
	n := newTestNode(t, nil)
	r := rawSession(t, n)
	psbt, hash := n.h.addPeg(t, 500)
	missing := PegItem(chainhash.Hash{7})
	r.mustSend(getDataMsg([]InvItem{PegItem(hash), missing}))
	m, err := r.next(wait, func(m *p2pv1.Message) bool {
		return m.GetPegSignatures() != nil
	})
	if err != nil {
		t.Fatalf("no peg signatures: %v", err)
	}
	if !bytes.Equal(m.GetPegSignatures().GetPsbt(), psbt) {
		t.Fatal("served other bytes")
	}
	wantItems(t, "notfound", r.nextNotFound(), missing)
}

// TestPegOversized answers a GetData with peg signatures over
// MaxPegSignaturesSize: they cost ban score for an invalid message and
// never reach the handler.
func TestPegOversized(t *testing.T) {
	n := newTestNode(t, nil)
	r := rawSession(t, n)
	big := randBytes(t, MaxPegSignaturesSize+1)
	it := PegItem(PegSignaturesHash(big))
	r.mustSend(inventoryMsg([]InvItem{it}))
	wantItems(t, "getdata", r.nextGetData(), it)
	r.mustSend(pegSignaturesMsg(big))
	waitFor(t, wait, "ban score", func() bool {
		return banScore(t, n) == scoreInvalid
	})
	noPeg(t, n.h.gotPeg, "the node")
	if n.h.HavePegSignatures(it.Hash) {
		t.Fatal("oversized peg signatures stored")
	}
}

// TestPegWrongHash answers a GetData with bytes of another hash: they
// answer nothing, cost ban score and never reach the handler; the right
// bytes still do.
func TestPegWrongHash(t *testing.T) {
	n := newTestNode(t, nil)
	r := rawSession(t, n)
	psbt := randBytes(t, 1000)
	it := PegItem(PegSignaturesHash(psbt))
	r.mustSend(inventoryMsg([]InvItem{it}))
	wantItems(t, "getdata", r.nextGetData(), it)

	other := bytes.Clone(psbt)
	other[0] ^= 1
	r.mustSend(pegSignaturesMsg(other))
	waitFor(t, wait, "ban score", func() bool {
		return banScore(t, n) == scoreUnsolicited
	})
	noPeg(t, n.h.gotPeg, "the node")

	r.mustSend(pegSignaturesMsg(psbt))
	receivePeg(t, n.h.gotPeg, psbt, "the node")
	if s := banScore(t, n); s != scoreUnsolicited {
		t.Fatalf("ban score %d after the right bytes", s)
	}

	// Sent again, nobody asked for them.
	r.mustSend(pegSignaturesMsg(psbt))
	waitFor(t, wait, "ban score", func() bool {
		return banScore(t, n) == 2*scoreUnsolicited
	})
	noPeg(t, n.h.gotPeg, "the node")
}

// TestPegMisbehavior has B's handler reject peg signatures with a
// MisbehaviorError: its Score goes to the sender's ban score.
func TestPegMisbehavior(t *testing.T) {
	b := newTestNode(t, nil)
	b.h.mu.Lock()
	b.h.pegErr = &MisbehaviorError{Score: 30, Reason: "forged signature"}
	b.h.mu.Unlock()
	a := newTestNode(t, func(c *Config) { c.Connect = []string{b.addr()} })
	connected(t, 1, a, b)

	psbt, hash := a.h.addPeg(t, 800)
	a.Announce(PegItem(hash))
	receivePeg(t, b.h.gotPeg, psbt, "B")
	waitFor(t, wait, "ban score", func() bool {
		return banScore(t, b) == 30
	})
	if b.h.HavePegSignatures(hash) {
		t.Fatal("rejected peg signatures stored")
	}
}

// TestPegNoHandler runs a node whose Handler is no PegHandler: it asks for
// no peg signatures, serves none, announces none, and nobody misbehaved.
func TestPegNoHandler(t *testing.T) {
	n := startTestNode(t, nil, true)
	r := rawSession(t, n)

	// Announced peg signatures are ignored: the first GetData names
	// only the transaction announced after them.
	peg := PegItem(PegSignaturesHash(randBytes(t, 100)))
	r.mustSend(inventoryMsg([]InvItem{peg}))
	raw := testTx(t)
	txid, err := parseTxID(raw)
	if err != nil {
		t.Fatal(err)
	}
	r.mustSend(inventoryMsg([]InvItem{TxItem(txid), peg}))
	wantItems(t, "getdata", r.nextGetData(), TxItem(txid))
	r.mustSend(txMsg(raw))
	receive(t, n.h.gotTx, txid, "the node")

	// A GetData for peg signatures, even ones the handler holds, is
	// answered NotFound.
	_, hash := n.h.addPeg(t, 100)
	r.mustSend(getDataMsg([]InvItem{PegItem(hash)}))
	wantItems(t, "notfound", r.nextNotFound(), PegItem(hash))

	// Announce drops PegItems: the next Inventory names the transaction
	// announced after them only.
	_, hash2 := n.h.addPeg(t, 100)
	n.Announce(PegItem(hash2))
	txid2 := n.h.addTx(t)
	n.Announce(PegItem(hash2), TxItem(txid2))
	wantItems(t, "inventory", r.nextInventory(), TxItem(txid2))

	if s := banScore(t, n); s != 0 {
		t.Fatalf("ban score %d", s)
	}
	noPeg(t, n.h.gotPeg, "the node")
}
