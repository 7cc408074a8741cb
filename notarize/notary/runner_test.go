package notary

import (
	"testing"
	"time"

	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/notarize"
	"github.com/mainstake/sidenode/p2p"
)

// TestRoundsLand grows the sidechain past several notarization heights:
// five runners over relays notarize each one once their tips reach it,
// with one transaction per height, and no peer is charged anything.
func TestRoundsLand(t *testing.T) {
	tn := newTestNet(t, 100_000, 3)
	np := tn.params.Notary
	for h := int32(1); h <= 4*int32(np.NotarizationInterval)+int32(np.NotarizationDepth); h++ {
		tn.side.set(h)
		tn.step()
	}
	last := tn.main.LastNotarization()
	if last == nil || last.Height != 4*int32(np.NotarizationInterval) || last.Block != blockHash(last.Height) {
		t.Fatalf("last notarization %+v", last)
	}
	if n, _ := tn.main.count(); n != 4 {
		t.Fatalf("%d notarizations, want 4", n)
	}
	if len(tn.net.refused) != 0 {
		t.Fatalf("peers charged: %v", tn.net.refused)
	}
}

// TestRoundsWithNotariesDown notarizes with two of five notaries down (the
// threshold is 3), stalls with three down, and recovers after the
// timeout once they return.
func TestRoundsWithNotariesDown(t *testing.T) {
	tn := newTestNet(t, 100_000, 3)
	np := tn.params.Notary
	iv, depth := int32(np.NotarizationInterval), int32(np.NotarizationDepth)

	tn.setOnline(0, false)
	tn.setOnline(1, false)
	for h := int32(1); h <= iv+depth; h++ {
		tn.side.set(h)
		tn.step()
	}
	// Leader of attempt 0 at height 5 is notary 1, which is down: the
	// round restarts after the timeout with the next leader.
	for i := 0; i < 3 && tn.main.LastNotarization() == nil; i++ {
		tn.clock.add(time.Minute + time.Second)
		tn.step()
	}
	if last := tn.main.LastNotarization(); last == nil || last.Height != iv {
		t.Fatalf("with two down: last notarization %+v", last)
	}

	tn.setOnline(2, false)
	for h := iv + depth + 1; h <= 2*iv+depth; h++ {
		tn.side.set(h)
		tn.step()
	}
	for i := 0; i < 5; i++ {
		tn.clock.add(time.Minute + time.Second)
		tn.step()
	}
	if last := tn.main.LastNotarization(); last.Height != iv {
		t.Fatalf("with three down a notarization landed: %+v", last)
	}

	for i := 0; i < 3; i++ {
		tn.setOnline(i, true)
	}
	for i := 0; i < 6 && tn.main.LastNotarization().Height != 2*iv; i++ {
		tn.clock.add(time.Minute + time.Second)
		tn.step()
	}
	if last := tn.main.LastNotarization(); last.Height != 2*iv {
		t.Fatalf("after the notaries returned: last notarization %+v", last)
	}
	if len(tn.net.refused) != 0 {
		t.Fatalf("peers charged: %v", tn.net.refused)
	}
}

// TestSplit keeps each notary's outputs split: one large output becomes
// SplitCount outputs, one split in flight at a time, and the rounds then
// spend the split outputs.
func TestSplit(t *testing.T) {
	tn := newTestNet(t, 1_000_000, 1)
	for _, r := range tn.runners {
		r.cfg.SplitInterval = time.Second
	}
	tn.side.set(1)
	tn.step()
	if _, splits := tn.main.count(); splits != 5 {
		t.Fatalf("%d splits, want 5", splits)
	}
	w := tn.runners[0].cfg.Wallet.(unspentWallet).Wallet.(*wallet)
	outs, _ := w.Unspent(scriptOf(0))
	if len(outs) < DefaultSplitCount {
		t.Fatalf("%d outputs after the split", len(outs))
	}
	tn.clock.add(2 * time.Second)
	tn.step()
	if _, splits := tn.main.count(); splits != 5 {
		t.Fatalf("%d splits after a second pass, want still 5", splits)
	}
	np := tn.params.Notary
	for h := int32(2); h <= int32(np.NotarizationInterval+np.NotarizationDepth); h++ {
		tn.side.set(h)
		tn.step()
	}
	if tn.main.LastNotarization() == nil {
		t.Fatal("no notarization from split outputs")
	}
}

var _ p2p.RoundHandler = (*Relay)(nil)

// TestNoSplitDuringRound: a notary whose round is under way does not
// split, since the split could spend the output it offered; once the
// round is over it does.
func TestNoSplitDuringRound(t *testing.T) {
	tn := newTestNet(t, 1_000_000, 1)
	for i := 1; i < len(tn.runners); i++ {
		tn.setOnline(i, false) // notary 0 alone: its round cannot finish
	}
	r := tn.runners[0]
	r.cfg.SplitInterval = time.Second
	np := tn.params.Notary
	tn.side.set(int32(np.NotarizationInterval + np.NotarizationDepth))
	for i := 0; i < 3; i++ {
		tn.clock.add(2 * time.Second)
		tn.step()
	}
	if st := r.Status(); !st.Active || st.Done {
		t.Fatalf("round status %+v, want one under way", st)
	}
	if _, splits := tn.main.count(); splits != 0 {
		t.Fatalf("%d splits during a round", splits)
	}
	for i := 1; i < len(tn.runners); i++ {
		tn.setOnline(i, true)
	}
	for i := 0; i < 4 && tn.main.LastNotarization() == nil; i++ {
		tn.clock.add(time.Minute + time.Second)
		tn.step()
	}
	if tn.main.LastNotarization() == nil {
		t.Fatal("no notarization once the notaries came back")
	}
	tn.clock.add(2 * time.Second)
	tn.step()
	if _, splits := tn.main.count(); splits == 0 {
		t.Fatal("no split once the round was over")
	}
}

// TestSeasonChange runs rounds across a season change at height 20 (a
// second season of other keys, threshold 3): the notarizations below it
// are signed by the first season's notaries, those from it by the
// second's, with no restart.
func TestSeasonChange(t *testing.T) {
	params := testParams()
	np := *params.Notary
	second := chainparams.NotarySeason{StartHeight: 20, Threshold: 3}
	for i := 0; i < 5; i++ {
		var pub [33]byte
		copy(pub[:], chainparams.DevNotaryKey(5+i).PubKey().SerializeCompressed())
		second.Pubkeys = append(second.Pubkeys, pub)
	}
	np.Seasons = append(append([]chainparams.NotarySeason(nil), np.Seasons...), second)
	if err := np.Check(); err != nil {
		t.Fatal(err)
	}
	params.Notary = &np
	tn := newTestNetOn(t, params, 100_000, 3)
	for h := int32(1); h <= 30+int32(np.NotarizationDepth); h++ {
		tn.side.set(h)
		tn.step()
	}
	if last := tn.main.LastNotarization(); last == nil || last.Height != 30 {
		t.Fatalf("last notarization %+v, want height 30", last)
	}
	tn.main.mu.Lock()
	defer tn.main.mu.Unlock()
	for _, tx := range tn.main.notars {
		p, err := notarize.ParsePayload(tx.TxOut[0].PkScript, params)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		if p.Height >= 20 {
			want = 1
		}
		if p.Season != want {
			t.Fatalf("notarization of height %d in season %d, want %d", p.Height, p.Season, want)
		}
		// Every input pays a key of the season it names.
		for _, in := range tx.TxIn {
			key := in.Witness[1]
			found := false
			for _, pub := range params.Notary.Seasons[p.Season].Pubkeys {
				found = found || string(pub[:]) == string(key)
			}
			if !found {
				t.Fatalf("notarization of height %d signed by a key of no season %d notary", p.Height, p.Season)
			}
		}
	}
	if len(tn.main.notars) != 6 {
		t.Fatalf("%d notarizations, want 6 (heights 5 to 30)", len(tn.main.notars))
	}
}

// TestDoubleSpentInput spends an input of the first notarization elsewhere
// just before it reaches the mainchain: the mainchain refuses it, that
// round is over without a notarization, and the next round notarizes a
// higher block without the spent output.
func TestDoubleSpentInput(t *testing.T) {
	tn := newTestNet(t, 100_000, 3)
	var spent wire.OutPoint
	tn.main.beforeSend = func(tx *wire.MsgTx) {
		if spent == (wire.OutPoint{}) && len(tx.TxOut) > 0 && len(tx.TxOut[0].PkScript) > 0 &&
			tx.TxOut[0].PkScript[0] == txscript.OP_RETURN {
			spent = tx.TxIn[0].PreviousOutPoint
			delete(tn.main.outs, spent) // another transaction spent it
		}
	}
	np := tn.params.Notary
	iv, depth := int32(np.NotarizationInterval), int32(np.NotarizationDepth)
	for h := int32(1); h <= iv+depth; h++ {
		tn.side.set(h)
		tn.step()
	}
	if spent == (wire.OutPoint{}) {
		t.Fatal("no notarization was sent")
	}
	if last := tn.main.LastNotarization(); last != nil {
		t.Fatalf("a notarization with a double-spent input landed: %+v", last)
	}
	for h := iv + depth + 1; h <= 2*iv+depth; h++ {
		tn.side.set(h)
		tn.step()
	}
	last := tn.main.LastNotarization()
	if last == nil || last.Height != 2*iv {
		t.Fatalf("last notarization %+v, want height %d", last, 2*iv)
	}
	for _, in := range tn.main.notars[0].TxIn {
		if in.PreviousOutPoint == spent {
			t.Fatal("the next notarization spends the double-spent output")
		}
	}
}

// TestMempoolSpendsHidden runs rounds on a mainchain whose UTXO view does
// not see the spends of its mempool (btcd's gettxout): the runners must
// not offer or accept again the outputs their earlier notarizations
// spend, or every later round's transaction would be refused.
func TestMempoolSpendsHidden(t *testing.T) {
	// Each notary holds an output just above a round's input value at 2
	// sat/vB, whose change is below it, and a large one: after its first
	// round the least valuable usable output it sees is the one that
	// round spent.
	tn := newTestNet(t, 1_400, 1)
	for i := range tn.runners {
		tn.main.fund(scriptOf(i), 100_000)
		tn.main.fund(scriptOf(i), 100_000)
	}
	tn.main.hideSpends = true
	np := tn.params.Notary
	for h := int32(1); h <= 3*int32(np.NotarizationInterval)+int32(np.NotarizationDepth); h++ {
		tn.side.set(h)
		tn.step()
	}
	if n, _ := tn.main.count(); n != 3 {
		t.Fatalf("%d notarizations, want 3", n)
	}
}
