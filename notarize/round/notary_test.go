package round

import (
	"testing"

	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/notarize"
)

// fee returns what tx pays: its inputs' values from the UTXO set less its
// outputs'.
func (net *testNet) fee(tx *wire.MsgTx) int64 {
	var in, out int64
	for _, i := range tx.TxIn {
		in += net.utxo.outs[i.PreviousOutPoint].Value
	}
	for _, o := range tx.TxOut {
		out += o.Value
	}
	return in - out
}

// TestRoundCompletes: 5 notaries, all online, notarize the block at height
// 10 of a chain whose tip is 12, in one attempt; the transaction counts by
// notarize.Check (btcd's script engine on every input), pays the fee rule's
// fee, and every notary broadcast it.
func TestRoundCompletes(t *testing.T) {
	net := newTestNet(t, 5, 2)
	chain := testChain(12)
	net.tip(chain)
	tx, timeouts := net.runRound(1)
	if timeouts != 0 {
		t.Fatalf("%d timeouts with every notary online", timeouts)
	}
	n := net.check(tx, chain)
	if n.Height != 10 || n.Block != chain[10] || len(n.Signers) != 3 {
		t.Fatalf("notarization %+v", n)
	}
	p := mustTarget(t, net, chain)
	fee, shares, err := Shares(p, net.params, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := net.fee(tx); got != fee {
		t.Fatalf("fee %d, the fee rule says %d", got, fee)
	}
	for i, in := range tx.TxIn {
		if tx.TxOut[1+i].Value != net.utxo.outs[in.PreviousOutPoint].Value-shares[i] {
			t.Fatalf("input %d's change is not its value less its share", i)
		}
		if string(tx.TxOut[1+i].PkScript) != string(net.utxo.outs[in.PreviousOutPoint].PkScript) {
			t.Fatalf("input %d's change does not go back to its notary", i)
		}
	}
	if w := weightOf(tx); w/4 > 0 {
		t.Logf("notarization of 3 inputs: %d vbytes, fee %d sat at 2 sat/vB", (w+3)/4, fee)
	}
	for i := range net.notaries {
		if len(net.sent[i]) != 1 || net.sent[i][0].TxHash() != tx.TxHash() {
			t.Fatalf("notary %d broadcast %d transactions", i, len(net.sent[i]))
		}
	}
	// A second tip in the same round changes nothing; the next interval
	// starts the next round.
	net.tip(testChain(13))
	net.settle()
	if _, ok := net.final(); !ok {
		t.Fatal("the same round restarted")
	}
	chain2 := testChain(17)
	net.tip(chain2)
	tx2, _ := net.runRound(1)
	if got := net.check(tx2, chain2); got.Height != 15 {
		t.Fatalf("next round notarized height %d", got.Height)
	}
}

// TestRoundOneDown: whichever notary is offline, the other four complete
// the round, after one timeout at most (when the offline one leads the
// first attempt).
func TestRoundOneDown(t *testing.T) {
	for down := 0; down < 5; down++ {
		net := newTestNet(t, 5, 1)
		net.online[down] = false
		chain := testChain(12)
		net.tip(chain)
		tx, timeouts := net.runRound(3)
		p := mustTarget(t, net, chain)
		firstLeader := Leader(p, net.params, 0)
		if want := map[bool]int{true: 1, false: 0}[down == firstLeader]; timeouts != want {
			t.Errorf("notary %d down (first leader %d): %d timeouts", down, firstLeader, timeouts)
		}
		for _, s := range net.check(tx, chain).Signers {
			if s == down {
				t.Fatalf("the offline notary %d signed", down)
			}
		}
	}
}

// TestRoundThreeDownStalls: with 3 of 5 offline the two left cannot reach
// the threshold: attempt after attempt times out, nothing is broadcast.
// When one returns, the round restarts with the three that answer and
// completes.
func TestRoundThreeDownStalls(t *testing.T) {
	net := newTestNet(t, 5, 1)
	for _, d := range []int{1, 2, 4} {
		net.online[d] = false
	}
	chain := testChain(12)
	net.tip(chain)
	for a := 0; a < 6; a++ {
		net.settle()
		net.expire()
	}
	net.settle()
	for _, i := range []int{0, 3} {
		st := net.notaries[i].Status()
		if st.Final != nil || st.Round.Attempt != 6 || len(net.sent[i]) != 0 {
			t.Fatalf("notary %d: attempt %d, final %v, %d broadcast", i,
				st.Round.Attempt, st.Final != nil, len(net.sent[i]))
		}
	}

	// Notary 2 comes back and starts the round at attempt 0; the others
	// tell it where the round is, and the three complete it.
	net.online[2] = true
	net.notaries[2].Tip(chain, 12, nil)
	tx, timeouts := net.runRound(5)
	if timeouts != 0 {
		// Attempt 6 is led by notary 3, which is online.
		t.Fatalf("%d timeouts after the return: the straggler was not told "+
			"where the round is", timeouts)
	}
	signers := net.check(tx, chain).Signers
	if len(signers) != 3 || signers[0] != 0 || signers[1] != 2 || signers[2] != 3 {
		t.Fatalf("signers %v, want the three online", signers)
	}
	if net.refused[ErrStale] == 0 {
		t.Fatal("the returning notary's first announcement was not stale")
	}
}

// TestRoundSpentBeforeSet: an input spent elsewhere before the leader
// fixes the set is left out by the leader, without a restart.
func TestRoundSpentBeforeSet(t *testing.T) {
	net := newTestNet(t, 5, 1)
	chain := testChain(12)
	net.tip(chain)
	// The announcements are in flight; notary 0's output is spent.
	spent := onlyOutput(t, net, 0)
	delete(net.utxo.outs, spent)
	tx, timeouts := net.runRound(2)
	if timeouts != 0 {
		t.Fatalf("%d timeouts", timeouts)
	}
	for _, in := range tx.TxIn {
		if in.PreviousOutPoint == spent {
			t.Fatal("the spent input is in the notarization")
		}
	}
	for i, nt := range net.notaries {
		if a := nt.Status().Round.Attempt; a != 0 {
			t.Fatalf("notary %d at attempt %d: the set named the spent input", i, a)
		}
	}
	net.check(tx, chain)
}

// TestRoundSpentAfterSet: an input spent elsewhere once the set is fixed
// makes the other notaries abort the attempt; the next one is fixed
// without it, and completes.
func TestRoundSpentAfterSet(t *testing.T) {
	net := newTestNet(t, 5, 1)
	chain := testChain(12)
	net.tip(chain)
	// Deliver until the leader's input set is in flight.
	var set *Message
	for set == nil {
		if !net.step() {
			t.Fatal("no input set")
		}
		for _, p := range net.queue {
			if m, _ := Decode(p.raw); m != nil && m.Kind == KindInputSet {
				set = m
			}
		}
	}
	victim := set.Inputs[0]
	if int(victim.Notary) == int(set.Sender) {
		victim = set.Inputs[1]
	}
	delete(net.utxo.outs, victim.OutPoint)
	tx, timeouts := net.runRound(2)
	if timeouts != 0 {
		t.Fatalf("%d timeouts: the abort did not restart the round", timeouts)
	}
	for _, in := range tx.TxIn {
		if in.PreviousOutPoint == victim.OutPoint {
			t.Fatal("the spent input is in the notarization")
		}
	}
	signers := net.check(tx, chain).Signers
	for _, s := range signers {
		if s == int(victim.Notary) {
			t.Fatalf("notary %d, whose only output is spent, signed", victim.Notary)
		}
	}
	st := net.notaries[int(set.Sender)].Status()
	if st.Round.Attempt != 1 || len(st.Excluded) != 1 || st.Excluded[0] != victim.OutPoint {
		t.Fatalf("leader: attempt %d, excluded %v", st.Round.Attempt, st.Excluded)
	}
}

// onlyOutput returns notary i's one output.
func onlyOutput(t *testing.T, net *testNet, i int) wire.OutPoint {
	t.Helper()
	outs, _ := (&testWallet{chainparams.DevNotaryKey(i), net.utxo}).Unspent(scriptOf(chainparams.DevNotaryKey(i)))
	if len(outs) != 1 {
		t.Fatalf("notary %d has %d outputs", i, len(outs))
	}
	return outs[0].OutPoint
}

// TestRoundSettledElsewhere: a stalled round stops restarting once the
// node learns that a notarization of its height counts (finished by other
// notaries, seen on the mainchain).
func TestRoundSettledElsewhere(t *testing.T) {
	net := newTestNet(t, 5, 1)
	for _, d := range []int{1, 2, 4} {
		net.online[d] = false
	}
	chain := testChain(12)
	net.tip(chain)
	net.settle()
	net.expire()
	net.settle()
	last := &notarize.Notarization{Height: 10, Block: chain[10]}
	for _, i := range []int{0, 3} {
		net.notaries[i].Tip(chain, 12, last)
	}
	for a := 0; a < 3; a++ {
		net.expire()
		net.settle()
	}
	for _, i := range []int{0, 3} {
		if a := net.notaries[i].Status().Round.Attempt; a != 1 {
			t.Fatalf("notary %d went on to attempt %d after the round was settled", i, a)
		}
	}
}
