package notary

import (
	"testing"

	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/notarize/round"
	"github.com/mainstake/sidenode/p2p"
)

// countingAnnouncer counts announcements.
type countingAnnouncer struct{ items []p2p.InvItem }

func (a *countingAnnouncer) Announce(items ...p2p.InvItem) { a.items = append(a.items, items...) }

// refusingLocal refuses every message with code.
type refusingLocal struct {
	code round.ErrorCode
	got  int
}

func (l *refusingLocal) Handle([]byte) error {
	l.got++
	return &round.RuleError{ErrorCode: l.code, Description: l.code.String()}
}

func newTestRelay(t *testing.T, tip int32) (*Relay, *countingAnnouncer) {
	t.Helper()
	r, err := NewRelay(RelayConfig{Params: testParams(), TipHeight: func() int32 { return tip }})
	if err != nil {
		t.Fatal(err)
	}
	a := &countingAnnouncer{}
	r.SetPeers(a)
	return r, a
}

// signed returns message m signed by notary sender.
func signed(t testing.TB, m round.Message) []byte {
	t.Helper()
	if err := m.Sign(chainparams.DevNotaryKey(int(m.Sender)), testParams().SidechainID); err != nil {
		t.Fatal(err)
	}
	return m.Encode()
}

func announce(height uint32, attempt uint32, sender uint8, value int64) round.Message {
	return round.Message{Kind: round.KindAnnounce,
		Round:  round.RoundID{Height: height, Block: blockHash(int32(height)), Attempt: attempt},
		Sender: sender, OutPoint: wire.OutPoint{Index: uint32(value)}, Value: value}
}

func score(err error) uint32 {
	if me, ok := err.(*p2p.MisbehaviorError); ok {
		return me.Score
	}
	return 0
}

// TestRelayScores checks what each kind of message costs the peer that
// delivered it, and what is passed on.
func TestRelayScores(t *testing.T) {
	r, a := newTestRelay(t, 12) // target 10: window 5 to 20
	good := signed(t, announce(10, 0, 1, 5000))
	if err := r.ReceiveRoundMessage(1, good); err != nil {
		t.Fatalf("authentic message: %v", err)
	}
	if len(a.items) != 1 || !r.HaveRoundMessage(p2p.RoundMessageHash(good)) {
		t.Fatal("authentic message not kept and passed on")
	}
	// The same bytes again, from anyone: free and not passed on again.
	for _, from := range []p2p.PeerID{1, 2} {
		if err := r.ReceiveRoundMessage(from, good); err != nil {
			t.Fatalf("duplicate: %v", err)
		}
	}
	// Another announcement of the same slot: free from another peer
	// (an honest relayer may have seen only it), 50 from the peer that
	// delivered the first; passed on by neither.
	other := signed(t, announce(10, 0, 1, 6000))
	if err := r.ReceiveRoundMessage(2, other); err != nil {
		t.Fatalf("conflict through another peer: %v", err)
	}
	other2 := signed(t, announce(10, 0, 1, 7000))
	if err := r.ReceiveRoundMessage(1, other2); score(err) != round.ErrConflicting.BanScore() {
		t.Fatalf("conflict from the same peer: %v", err)
	}
	if len(a.items) != 1 {
		t.Fatalf("%d announcements, want 1", len(a.items))
	}

	// Forged: notary 2's message signed by notary 3's key.
	m := announce(10, 0, 2, 5000)
	if err := m.Sign(chainparams.DevNotaryKey(3), testParams().SidechainID); err != nil {
		t.Fatal(err)
	}
	if err := r.ReceiveRoundMessage(3, m.Encode()); score(err) != 100 {
		t.Fatalf("forged: %v", err)
	}
	if err := r.ReceiveRoundMessage(3, []byte{1, 9, 9}); score(err) != 100 {
		t.Fatalf("malformed: %v", err)
	}
	newer := append([]byte{2}, good[1:]...)
	if err := r.ReceiveRoundMessage(3, newer); err != nil {
		t.Fatalf("another version: %v", err)
	}
	// An input set from a notary that does not lead the attempt: the
	// leader of attempt 0 at height 10 is notary 2.
	set := round.Message{Kind: round.KindInputSet, Round: round.RoundID{Height: 10,
		Block: blockHash(10)}, Sender: 4, FeeRate: 2,
		Inputs: []round.SetInput{{Notary: 4, Value: 5000}}}
	if err := r.ReceiveRoundMessage(3, signed(t, set)); score(err) != 100 {
		t.Fatalf("input set of a non-leader: %v", err)
	}
	// Rounds outside the window: free, not passed on.
	for _, h := range []uint32{25, 50} {
		if err := r.ReceiveRoundMessage(4, signed(t, announce(h, 0, 1, 5000))); err != nil {
			t.Fatalf("height %d: %v", h, err)
		}
	}
	if len(a.items) != 1 {
		t.Fatalf("%d announcements, want 1", len(a.items))
	}
}

// TestRelayLocalRefusal hands messages to a runner that refuses them: a
// refusal with a ban score is the signer's doing, not the relayer's, and
// the message goes no further; one without is passed on.
func TestRelayLocalRefusal(t *testing.T) {
	r, a := newTestRelay(t, 12)
	l := &refusingLocal{code: round.ErrBadTxSignature}
	r.SetLocal(l)
	if err := r.ReceiveRoundMessage(1, signed(t, announce(10, 0, 1, 5000))); err != nil {
		t.Fatalf("relayer charged: %v", err)
	}
	if l.got != 1 || len(a.items) != 0 {
		t.Fatalf("handled %d, announced %d", l.got, len(a.items))
	}
	l.code = round.ErrStale
	if err := r.ReceiveRoundMessage(1, signed(t, announce(10, 0, 2, 5000))); err != nil {
		t.Fatal(err)
	}
	if len(a.items) != 1 {
		t.Fatalf("stale message not passed on: %d", len(a.items))
	}
}

// FuzzRelay feeds arbitrary bytes, and real messages with bytes
// changed, to a relay through two peers: it never panics, charges only
// what round scores, and an authentic message in the window costs
// nothing the first time a peer delivers it.
func FuzzRelay(f *testing.F) {
	f.Add(signed(f, announce(10, 0, 1, 5000)), false)
	f.Add(signed(f, round.Message{Kind: round.KindInputSet, Round: round.RoundID{Height: 10,
		Block: blockHash(10)}, Sender: 2, FeeRate: 2,
		Inputs: []round.SetInput{{Notary: 2, Value: 5000}, {Notary: 3, Value: 6000},
			{Notary: 4, Value: 7000}}}), true)
	f.Add(signed(f, round.Message{Kind: round.KindSignature, Round: round.RoundID{Height: 10,
		Block: blockHash(10), Attempt: 1}, Sender: 3, TxSig: make([]byte, 71)}), false)
	f.Add(signed(f, round.Message{Kind: round.KindAbort, Round: round.RoundID{Height: 15,
		Block: blockHash(15)}, Sender: 0, Reason: round.AbortSpent}), true)
	f.Add([]byte{}, false)
	f.Fuzz(func(t *testing.T, raw []byte, twice bool) {
		r, _ := newTestRelay(t, 12)
		err := r.ReceiveRoundMessage(1, raw)
		if err != nil && score(err) == 0 {
			t.Fatalf("error without a score: %v", err)
		}
		m, derr := round.Decode(raw)
		if derr == nil {
			if _, verr := m.Verify(testParams()); verr == nil && err != nil &&
				m.Kind != round.KindInputSet {
				t.Fatalf("authentic message charged: %v", err)
			}
		}
		if twice {
			if err2 := r.ReceiveRoundMessage(2, raw); err == nil && err2 != nil {
				t.Fatalf("second delivery charged: %v", err2)
			}
		}
	})
}
