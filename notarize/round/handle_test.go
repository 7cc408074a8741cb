package round

import (
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/chainparams"
)

// signed signs m as dev notary k would.
func signed(t *testing.T, net *testNet, m Message, k int) []byte {
	t.Helper()
	if err := m.Sign(chainparams.DevNotaryKey(k), net.params.SidechainID); err != nil {
		t.Fatal(err)
	}
	return m.Encode()
}

// expectRefused hands raw to notary i and checks the refusal's code and
// that it raises the ban score as the code says.
func expectRefused(t *testing.T, net *testNet, i int, raw []byte, code ErrorCode, ban bool) {
	t.Helper()
	err := net.notaries[i].Handle(raw)
	if !IsErrorCode(err, code) {
		t.Fatalf("got %v, want %v", err, code)
	}
	if (BanScore(err) > 0) != ban {
		t.Fatalf("%v: ban score %d", code, BanScore(err))
	}
}

// TestHandleForged: a message that claims to be notary 1's but is signed by
// notary 2 is refused with a ban score, and changes nothing.
func TestHandleForged(t *testing.T) {
	net := newTestNet(t, 5, 1)
	net.tip(testChain(12))
	st := net.notaries[0].Status()
	m := Message{Kind: KindAnnounce, Round: st.Round, Sender: 1,
		OutPoint: wire.OutPoint{Index: 9}, Value: 50_000}
	expectRefused(t, net, 0, signed(t, net, m, 2), ErrForged, true)
	if got := net.notaries[0].Status().Announced; got != st.Announced {
		t.Fatalf("the forged announcement was counted (%d → %d)", st.Announced, got)
	}
	garbage := signed(t, net, m, 1)
	garbage = garbage[:len(garbage)-1]
	expectRefused(t, net, 0, garbage, ErrMalformed, true)
}

// TestHandleReplayed: messages of a round two rounds back are replays
// (ban score); of the round just before, stale stragglers (none); an
// echo of a message already taken is a duplicate (none).
func TestHandleReplayed(t *testing.T) {
	net := newTestNet(t, 5, 3)
	net.tip(testChain(12))
	old := append([][]byte(nil), net.queue[0].raw) // notary 0's announcement, round 10
	net.runRound(1)
	net.tip(testChain(17))
	prev := append([][]byte(nil), net.queue[0].raw) // round 15
	net.runRound(1)
	net.tip(testChain(22))
	expectRefused(t, net, 1, old[0], ErrReplayed, true)
	expectRefused(t, net, 1, prev[0], ErrStale, false)
	if err := net.notaries[1].Handle(net.queue[0].raw); err != nil {
		t.Fatalf("the current round's announcement: %v", err)
	}
	expectRefused(t, net, 1, net.queue[0].raw, ErrDuplicate, false)
}

// TestHandleConflicting: a notary that signs two different announcements,
// or two different transaction signatures, in one attempt is caught.
func TestHandleConflicting(t *testing.T) {
	net := newTestNet(t, 5, 2)
	net.tip(testChain(12))
	id := net.notaries[0].Status().Round
	a := Message{Kind: KindAnnounce, Round: id, Sender: 1,
		OutPoint: wire.OutPoint{Hash: chainhash.Hash{1}}, Value: 50_000}
	b := a
	b.OutPoint.Index = 1
	// Notary 1's real announcement is in flight; deliver it first.
	net.settle()
	expectRefused(t, net, 0, signed(t, net, a, 1), ErrConflicting, true)
	expectRefused(t, net, 0, signed(t, net, b, 1), ErrConflicting, true)

	// Two signatures of one notary.
	net2 := newTestNet(t, 5, 1)
	net2.tip(testChain(12))
	var sig *Message
	for sig == nil && net2.step() {
		for _, p := range net2.queue {
			if m, _ := Decode(p.raw); m != nil && m.Kind == KindSignature {
				sig = m
				break
			}
		}
	}
	if sig == nil {
		t.Fatal("no signature in flight")
	}
	other := *sig
	other.TxSig = append([]byte(nil), sig.TxSig...)
	other.TxSig[len(other.TxSig)-2] ^= 1
	net2.settle()
	for i := range net2.notaries {
		if i == int(sig.Sender) {
			continue
		}
		expectRefused(t, net2, i, signed(t, net2, other, int(sig.Sender)), ErrConflicting, true)
		expectRefused(t, net2, i, sig.Encode(), ErrDuplicate, false)
	}
}

// TestHandleBadSet: an input set from a notary that does not lead the
// attempt (ban), one that breaks the input-set rule (ban), one at a fee
// rate above the receiver's maximum (no ban, not signed).
func TestHandleBadSet(t *testing.T) {
	for _, c := range []struct {
		name   string
		sender func(leader int) int
		inputs int
		rate   int64
		code   ErrorCode
		ban    bool
	}{
		{"not the leader", func(l int) int { return (l + 1) % 5 }, 3, 2, ErrNotLeader, true},
		{"two inputs", func(l int) int { return l }, 2, 2, ErrBadInputSet, true},
		{"four inputs", func(l int) int { return l }, 4, 2, ErrBadInputSet, true},
		{"51 sat/vB", func(l int) int { return l }, 3, 51, ErrFeeRate, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			net := newTestNet(t, 5, 1)
			chain := testChain(12)
			net.tip(chain)
			p := mustTarget(t, net, chain)
			id := net.notaries[0].Status().Round
			leader := Leader(p, net.params, id.Attempt)
			receiver := (leader + 2) % 5
			var set []SetInput
			for k := 0; k < c.inputs; k++ {
				n := (int(p.Height/5) + k) % 5
				set = append(set, SetInput{uint8(n), onlyOutput(t, net, n), 50_000})
			}
			sortSet(set)
			from := c.sender(leader)
			m := Message{Kind: KindInputSet, Round: id, Sender: uint8(from),
				FeeRate: c.rate, Inputs: set}
			expectRefused(t, net, receiver, signed(t, net, m, from), c.code, c.ban)
			if st := net.notaries[receiver].Status(); st.Inputs != nil {
				t.Fatal("the refused set was taken")
			}
		})
	}
}

// TestHandleBadSignatures: transaction signatures by a notary outside the
// set, of another transaction, and that do not verify.
func TestHandleBadSignatures(t *testing.T) {
	net := newTestNet(t, 5, 1)
	chain := testChain(12)
	net.tip(chain)
	p := mustTarget(t, net, chain)
	leader := Leader(p, net.params, 0)
	// Deliver until the set reaches the notaries; no notary's signature
	// has been delivered yet then.
	receiver := -1
	for receiver < 0 {
		if !net.step() {
			t.Fatal("no set")
		}
		for i := range net.notaries {
			if st := net.notaries[i].Status(); i != leader && st.Inputs != nil {
				receiver = i
			}
		}
	}
	st := net.notaries[receiver].Status()
	in := map[int]bool{}
	for _, n := range st.Inputs {
		in[n] = true
	}
	member, outsider := -1, -1
	for n := 0; n < 5; n++ {
		switch {
		case !in[n]:
			outsider = n
		case n != receiver:
			member = n
		}
	}
	sig := Message{Kind: KindSignature, Round: st.Round, Sender: uint8(outsider),
		TxID: st.TxID, TxSig: append(make([]byte, 70), 1)}
	expectRefused(t, net, receiver, signed(t, net, sig, outsider), ErrNotInSet, true)
	other := sig
	other.Sender, other.TxID = uint8(member), chainhash.Hash{1}
	expectRefused(t, net, receiver, signed(t, net, other, member), ErrWrongTx, true)
	bad := sig
	bad.Sender = uint8(member)
	expectRefused(t, net, receiver, signed(t, net, bad, member), ErrBadTxSignature, true)
	if net.notaries[receiver].Status().Signed > 1 {
		t.Fatal("a refused signature was counted")
	}
}

// sortSet orders set inputs by notary.
func sortSet(s []SetInput) {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j].Notary < s[i].Notary {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
}

// TestHandleStaleAbort: an abort that arrives after its attempt ended
// still leaves the spent output out of the round.
func TestHandleStaleAbort(t *testing.T) {
	net := newTestNet(t, 5, 1)
	net.tip(testChain(12))
	st := net.notaries[0].Status()
	old := st.Round
	net.queue = nil
	net.expire()
	net.queue = nil
	op := wire.OutPoint{Hash: chainhash.Hash{0xab}, Index: 3}
	m := Message{Kind: KindAbort, Round: old, Sender: 2, Reason: AbortSpent, OutPoint: op}
	expectRefused(t, net, 0, signed(t, net, m, 2), ErrStale, false)
	ex := net.notaries[0].Status().Excluded
	if len(ex) != 1 || ex[0] != op {
		t.Fatalf("excluded %v", ex)
	}
}
