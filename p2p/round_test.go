package p2p

import (
	"bytes"
	"testing"
	"time"
)

// receiveRound waits for the next round message a handler received and
// checks that it is want.
func receiveRound(t *testing.T, ch chan []byte, want []byte, who string) {
	t.Helper()
	select {
	case got := <-ch:
		if !bytes.Equal(got, want) {
			t.Fatalf("%s received round message %v, want %v", who,
				RoundMessageHash(got), RoundMessageHash(want))
		}
	case <-time.After(wait):
		t.Fatalf("%s did not receive round message %v", who,
			RoundMessageHash(want))
	}
}

// TestRoundRelay announces a round message at A; C receives exactly the
// same bytes through B, once, nobody's ban score moves, and a GetData for
// one the node lacks is answered NotFound.
func TestRoundRelay(t *testing.T) {
	a, b, c := line(t)

	raw, hash := a.h.addRound(t, 153)
	a.Announce(RoundItem(hash))
	receiveRound(t, b.h.gotRound, raw, "B")
	receiveRound(t, c.h.gotRound, raw, "C")
	a.Announce(RoundItem(hash))
	raw2, hash2 := a.h.addRound(t, 215)
	a.Announce(RoundItem(hash2))
	receiveRound(t, b.h.gotRound, raw2, "B")
	receiveRound(t, c.h.gotRound, raw2, "C")
	for _, n := range []*testNode{a, b, c} {
		for _, p := range n.Peers() {
			if p.BanScore != 0 {
				t.Fatalf("peer %+v has ban score", p)
			}
		}
	}

	r := rawSession(t, newTestNode(t, nil))
	missing := RoundItem(RoundMessageHash([]byte{9}))
	r.mustSend(getDataMsg([]InvItem{missing}))
	wantItems(t, "notfound", r.nextNotFound(), missing)
}

// TestRoundMisbehavior has the handler refuse a round message with a
// MisbehaviorError: its Score goes to the sender's ban score; an
// oversized one is an invalid message and never reaches the handler.
func TestRoundMisbehavior(t *testing.T) {
	n := newTestNode(t, nil)
	n.h.mu.Lock()
	n.h.roundErr = &MisbehaviorError{Score: 50, Reason: "conflicting"}
	n.h.mu.Unlock()
	r := rawSession(t, n)

	raw := randBytes(t, 146)
	it := RoundItem(RoundMessageHash(raw))
	r.mustSend(inventoryMsg([]InvItem{it}))
	wantItems(t, "getdata", r.nextGetData(), it)
	r.mustSend(roundMessageMsg(raw))
	receiveRound(t, n.h.gotRound, raw, "the node")
	waitFor(t, wait, "ban score", func() bool { return banScore(t, n) == 50 })

	big := randBytes(t, MaxRoundMessageSize+1)
	bigIt := RoundItem(RoundMessageHash(big))
	r.mustSend(inventoryMsg([]InvItem{bigIt}))
	wantItems(t, "getdata", r.nextGetData(), bigIt)
	r.mustSend(roundMessageMsg(big))
	waitFor(t, wait, "ban score", func() bool {
		return banScore(t, n) == 50+scoreInvalid
	})
	select {
	case got := <-n.h.gotRound:
		t.Fatalf("handler got %d bytes", len(got))
	default:
	}
}

// TestRoundNoHandler runs a node without Config.Rounds: announced round
// messages are not asked for, and a GetData is answered NotFound.
func TestRoundNoHandler(t *testing.T) {
	n := startTestNode(t, nil, true)
	r := rawSession(t, n)
	it := RoundItem(RoundMessageHash(randBytes(t, 100)))
	r.mustSend(inventoryMsg([]InvItem{it}))
	raw := testTx(t)
	txid, err := parseTxID(raw)
	if err != nil {
		t.Fatal(err)
	}
	r.mustSend(inventoryMsg([]InvItem{TxItem(txid), it}))
	wantItems(t, "getdata", r.nextGetData(), TxItem(txid))
	r.mustSend(getDataMsg([]InvItem{it}))
	wantItems(t, "notfound", r.nextNotFound(), it)
	if s := banScore(t, n); s != 0 {
		t.Fatalf("ban score %d", s)
	}
}
