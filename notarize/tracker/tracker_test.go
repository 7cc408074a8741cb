package tracker

import (
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/notarize"
	"github.com/mainstake/sidenode/store"
)

// A notarization counts once its transaction has MainConfirmations (2 on
// dpowregtest), and Last names it with its signers and mainchain block.
func TestCountsWithConfirmations(t *testing.T) {
	h := newHarness(t)
	h.side.grow(12)
	tx := h.ntx(h.payload(0, 10), devKeys(0, 1, 2))
	h.mine(tx)
	if h.tr.Last() != nil {
		t.Fatalf("counted with 1 confirmation: %+v", h.tr.Last())
	}
	if r := h.reportsOf(tx.TxHash()); len(r) != 1 ||
		r[0].code != notarize.ErrTooFewConfirmations || r[0].final {
		t.Fatalf("reports %+v, want one ErrTooFewConfirmations, not final", r)
	}
	h.mine()
	last := h.tr.Last()
	if last == nil || last.Height != 10 || last.Block != sideHash(0, 10) ||
		last.TxID != tx.TxHash() || last.MainHeight != 1 || last.Season != 0 {
		t.Fatalf("last %+v", last)
	}
	if len(last.Signers) != 3 || last.Signers[0] != 0 || last.Signers[2] != 2 {
		t.Fatalf("signers %v", last.Signers)
	}
	if n := h.tr.LastNotarization(); n == nil || n.Height != 10 {
		t.Fatalf("LastNotarization %+v", n)
	}
	if n := h.pendingCount(); n != 0 {
		t.Fatalf("%d pending left", n)
	}
	// The waiting reason was reported once, over two blocks.
	if r := h.reportsOf(tx.TxHash()); len(r) != 1 {
		t.Fatalf("reports %+v", r)
	}
}

// A mainchain reorg that removes a notarization's transaction takes Last
// back to the notarization before; connecting it again restores it.
func TestMainchainReorgRemovesNotarization(t *testing.T) {
	h := newHarness(t)
	h.side.grow(17)
	h.mine(h.ntx(h.payload(0, 10), devKeys(0, 1, 2)))
	h.mine()
	tx15 := h.ntx(h.payload(0, 15), devKeys(1, 2, 3))
	h.mine(tx15)
	h.mine()
	if got := h.lastHeight(); got != 15 {
		t.Fatalf("last height %d, want 15", got)
	}
	h.undo() // tx15 has 1 confirmation again: pending
	if got := h.lastHeight(); got != 10 {
		t.Fatalf("after undoing a confirmation: last height %d, want 10", got)
	}
	if n := h.pendingCount(); n != 1 {
		t.Fatalf("%d pending, want tx15's", n)
	}
	h.undo() // tx15's block is gone
	if got := h.lastHeight(); got != 10 {
		t.Fatalf("last height %d, want 10", got)
	}
	if n := h.pendingCount(); n != 0 {
		t.Fatalf("%d pending after the reorg, want 0", n)
	}
	// The other branch: without tx15, it never counts.
	h.mine()
	h.mine()
	h.mine()
	if got := h.lastHeight(); got != 10 {
		t.Fatalf("other branch: last height %d, want 10", got)
	}
	h.undo()
	h.undo()
	h.undo()
	h.undo()
	h.undo() // the block of the notarization of 10
	if h.tr.Last() != nil {
		t.Fatalf("all notarizations undone, last %+v", h.tr.Last())
	}
	// A restart after the reorg agrees.
	h.reopen()
	if h.tr.Last() != nil {
		t.Fatalf("after restart, last %+v", h.tr.Last())
	}
}

// Restore returns the last notarization after a restart, and the pending
// ones still count after it.
func TestRestartRestoresLast(t *testing.T) {
	h := newHarness(t)
	h.side.grow(17)
	tx := h.ntx(h.payload(0, 10), devKeys(2, 3, 4))
	h.mine(tx)
	h.mine()
	tx15 := h.ntx(h.payload(0, 15), devKeys(0, 1, 2))
	h.mine(tx15)
	want := *h.tr.Last()
	h.reopen()
	got := h.tr.Last()
	if got == nil || got.Height != want.Height || got.TxID != want.TxID ||
		got.Block != want.Block || got.MainHeight != want.MainHeight ||
		len(got.Signers) != len(want.Signers) {
		t.Fatalf("restored %+v, want %+v", got, want)
	}
	var restored *Record
	if err := h.db.View(func(r store.Reader) error {
		var err error
		restored, err = h.tr.Restore(r)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if restored == nil || restored.TxID != tx.TxHash() {
		t.Fatalf("Restore returned %+v", restored)
	}
	h.mine()
	if got := h.h15(); got != tx15.TxHash() {
		t.Fatalf("after restart the pending notarization did not count")
	}
}

// h15 returns the txid of the last notarization.
func (h *harness) h15() chainhash.Hash {
	if r := h.tr.Last(); r != nil {
		return r.TxID
	}
	return chainhash.Hash{}
}

// Season 1 takes effect at height 20 with no restart: its notaries count
// from there, season 0's no longer do, and season 0 still counts below.
func TestSeasonSwitch(t *testing.T) {
	h := newHarness(t)
	h.side.grow(27)
	old := h.ntx(h.payload(0, 15), devKeys(0, 1, 2))
	h.mine(old)
	h.mine()
	if got := h.lastHeight(); got != 15 {
		t.Fatalf("season 0: last height %d", got)
	}
	// Season 1's payload signed by season 0's notaries 0 to 2: 0 is no
	// notary of season 1.
	stale := h.ntx(h.payload(0, 20), devKeys(0, 1, 2))
	h.mine(stale)
	h.mine()
	if got := h.lastHeight(); got != 15 {
		t.Fatalf("season 0 keys at 20 counted: last %d", got)
	}
	if r := h.reportsOf(stale.TxHash()); len(r) != 1 ||
		r[0].code != notarize.ErrNonNotaryInput || !r[0].final {
		t.Fatalf("reports %+v, want ErrNonNotaryInput", r)
	}
	// Season 1's notaries 5, 6, 7 (indexes 2 to 4 of season 1).
	tx := h.ntx(h.payload(0, 20), devKeys(5, 6, 7))
	h.mine(tx)
	h.mine()
	last := h.tr.Last()
	if last == nil || last.Height != 20 || last.Season != 1 ||
		last.Signers[0] != 2 || last.Signers[2] != 4 {
		t.Fatalf("season 1: last %+v", last)
	}
}

// Every bad input of the list is ignored, never counted, and
// reported once with its code.
func TestBadInputsIgnored(t *testing.T) {
	h := newHarness(t)
	h.side.grow(17)
	good := h.payload(0, 10)
	data := good[2:] // the push of OP_RETURN OP_DATA_47
	shortScript, err := txscript.NullDataScript(data[:len(data)-1])
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		tx    func() *wire.MsgTx
		code  notarize.ErrorCode
		final bool
	}{
		{"too few notary inputs", func() *wire.MsgTx {
			return h.ntx(good, devKeys(0, 1))
		}, notarize.ErrTooFewNotaries, true},
		{"inputs from non-notaries", func() *wire.MsgTx {
			return h.ntx(good, devKeys(0, 1, 9))
		}, notarize.ErrNonNotaryInput, true},
		{"a notary counted twice", func() *wire.MsgTx {
			return h.ntx(good, devKeys(0, 1, 1))
		}, notarize.ErrDuplicateNotary, true},
		{"a season that does not match the height", func() *wire.MsgTx {
			return h.ntx(h.rawPayload(10, sideHash(0, 10), 1), devKeys(0, 1, 2))
		}, notarize.ErrSeasonMismatch, true},
		{"a height that is no notarization height", func() *wire.MsgTx {
			return h.ntx(h.rawPayload(12, sideHash(0, 12), 0), devKeys(0, 1, 2))
		}, notarize.ErrWrongHeight, true},
		{"height zero", func() *wire.MsgTx {
			return h.ntx(h.rawPayload(0, sideHash(0, 0), 0), devKeys(0, 1, 2))
		}, notarize.ErrWrongHeight, true},
		{"a malformed payload", func() *wire.MsgTx {
			return h.ntx(shortScript, devKeys(0, 1, 2))
		}, notarize.ErrMalformedPayload, true},
		{"not SIGHASH_ALL", func() *wire.MsgTx {
			tx := h.ntx(good, devKeys(0, 1, 2))
			prevs, _ := h.fetch.Prevouts(tx)
			h.sign(tx, prevs, devKeys(0, 1, 2), txscript.SigHashSingle)
			return tx
		}, notarize.ErrBadSigHashType, true},
		{"a forged signature", func() *wire.MsgTx {
			tx := h.ntx(good, devKeys(0, 1, 2))
			tx.TxOut[1].Value-- // the signatures no longer match
			return tx
		}, notarize.ErrBadSignature, true},
		{"an unknown block", func() *wire.MsgTx {
			return h.ntx(h.payload(0, 25), devKeys(3, 4, 5))
		}, notarize.ErrUnknownBlock, false},
		{"an orphaned block", func() *wire.MsgTx {
			return h.ntx(h.payload(1, 10), devKeys(0, 1, 2))
		}, notarize.ErrOrphanedBlock, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h.reps = nil
			tx := c.tx()
			h.mine(tx)
			h.mine()
			h.mine()
			if h.tr.Last() != nil {
				t.Fatalf("counted: %+v", h.tr.Last())
			}
			r := h.reportsOf(tx.TxHash())
			if len(r) != 1 || r[0].code != c.code || r[0].final != c.final {
				t.Fatalf("reports %+v, want one %v (final %v)", r, c.code, c.final)
			}
		})
	}
	// The two that wait are pending; the others are gone.
	if n := h.pendingCount(); n != 2 {
		t.Fatalf("%d pending, want 2", n)
	}
}

// A notarization of a block the sidechain does not have yet waits, and
// counts once the sidechain catches up: at the next mainchain block, or
// at a Recheck in an amendment of the tip.
func TestPendingUntilSidechainCatchesUp(t *testing.T) {
	for _, viaAmend := range []bool{false, true} {
		h := newHarness(t)
		h.side.grow(8)
		tx := h.ntx(h.payload(0, 10), devKeys(0, 1, 2))
		h.mine(tx)
		h.mine()
		if h.tr.Last() != nil {
			t.Fatal("counted a notarization of an unknown block")
		}
		h.side.grow(12)
		if viaAmend {
			if err := h.db.AmendTip(h.tip, h.tr.Recheck); err != nil {
				t.Fatal(err)
			}
		} else {
			h.mine()
		}
		if got := h.lastHeight(); got != 10 {
			t.Fatalf("amend %v: last height %d, want 10", viaAmend, got)
		}
		// Undoing the tip undoes what it counted (the amendment
		// with it), and the notarization waits again; the next block
		// counts it again.
		h.undo()
		if got := h.lastHeight(); got != -1 {
			t.Fatalf("amend %v: after undo, last height %d, want none", viaAmend, got)
		}
		if n := h.pendingCount(); n != 1 {
			t.Fatalf("amend %v: %d pending after undo, want 1", viaAmend, n)
		}
		h.mine()
		if got := h.lastHeight(); got != 10 {
			t.Fatalf("amend %v: last height %d, want 10", viaAmend, got)
		}
	}
}

// A notarization of a lower height that counts later never takes Last
// down, and is dropped.
func TestLastNeverMovesDown(t *testing.T) {
	h := newHarness(t)
	h.side.grow(17)
	low := h.ntx(h.payload(0, 10), devKeys(0, 1, 2))
	high := h.ntx(h.payload(0, 15), devKeys(0, 1, 2))
	h.mine(high)
	h.mine(low)
	h.mine()
	if got := h.lastHeight(); got != 15 {
		t.Fatalf("last height %d, want 15", got)
	}
	if h.tr.Last().TxID != high.TxHash() {
		t.Fatal("last is not the notarization of 15")
	}
	if n := h.pendingCount(); n != 0 {
		t.Fatalf("%d pending, want the low one dropped", n)
	}
}

// Prevouts that cannot be fetched keep the notarization pending; it counts
// once the backend answers.
func TestPrevoutsFetchedLater(t *testing.T) {
	h := newHarness(t)
	h.side.grow(12)
	tx := h.ntx(h.payload(0, 10), devKeys(0, 1, 2))
	h.fetch.down = true
	h.mine(tx)
	h.mine()
	if h.tr.Last() != nil {
		t.Fatal("counted without prevouts")
	}
	h.fetch.down = false
	h.mine()
	if got := h.lastHeight(); got != 10 {
		t.Fatalf("last height %d, want 10", got)
	}
}

// Only transactions the tracker's watch set delivers are looked at: a
// notarization that pays no notary script is not seen, on any backend,
// even when another watch made it a candidate; and the watch list gets
// every season's notary scripts.
func TestDelivery(t *testing.T) {
	h := newHarness(t)
	h.side.grow(12)
	tx := h.ntx(h.payload(0, 10), devKeys(0, 1, 2))
	tx.TxOut[1].PkScript = []byte{txscript.OP_TRUE}
	prevs, _ := h.fetch.Prevouts(tx)
	h.sign(tx, prevs, devKeys(0, 1, 2), txscript.SigHashAll)
	h.mine(tx)
	h.mine()
	h.mine()
	if h.tr.Last() != nil || len(h.reps) != 0 || h.pendingCount() != 0 {
		t.Fatalf("a notarization paying no notary script was seen")
	}

	wl := mainwatch.NewWatchList()
	h.tr.Watch(wl)
	for _, i := range []int{0, 4, 7} {
		var blk wire.MsgBlock
		out := wire.NewMsgTx(2)
		out.AddTxOut(wire.NewTxOut(1, p2wpkh(chainparams.DevNotaryKey(i))))
		blk.Transactions = []*wire.MsgTx{out}
		if txs, _ := wl.Match(&blk); len(txs) != 1 {
			t.Errorf("notary %d's script is not watched", i)
		}
	}
}

// The records round-trip.
func TestRecordCodec(t *testing.T) {
	r := &Record{Notarization: notarize.Notarization{Height: 1 << 30,
		Block: sideHash(3, 9), Season: 65535, TxID: sideHash(4, 4),
		Signers: []int{0, 7, 254}}, MainHeight: 123456, MainTime: 1_780_000_123}
	got, err := decodeRecord(encodeRecord(r))
	if err != nil {
		t.Fatal(err)
	}
	if got.Height != r.Height || got.Block != r.Block || got.Season != r.Season ||
		got.TxID != r.TxID || got.MainHeight != r.MainHeight ||
		len(got.Signers) != 3 || got.Signers[2] != 254 {
		t.Fatalf("got %+v", got)
	}
	if _, err := decodeRecord(encodeRecord(r)[:70]); err == nil {
		t.Fatal("a truncated record decoded")
	}
}

// Two nodes that see the same mainchain agree on the last notarization,
// whenever each one's sidechain caught up: one has the notarized block
// before the notarization is mined, the other only after two more blocks.
func TestNodesAgree(t *testing.T) {
	a, b := newHarness(t), newHarness(t)
	a.side.grow(17)
	b.side.grow(8)
	tx10 := a.ntx(a.payload(0, 10), devKeys(0, 1, 2))
	tx15 := a.ntx(a.payload(0, 15), devKeys(2, 3, 4))
	// b's fetcher knows the same prevouts.
	b.fetch.outs = a.fetch.outs
	blocks := [][]*wire.MsgTx{{tx10}, nil, {tx15}, nil, nil, nil}
	for i, txs := range blocks {
		if i == 3 {
			b.side.grow(17)
		}
		a.mine(txs...)
		b.mine(txs...)
		if a.tip != b.tip {
			t.Fatal("the harnesses' mainchains differ")
		}
	}
	ra, rb := a.tr.Last(), b.tr.Last()
	if ra == nil || rb == nil || ra.TxID != tx15.TxHash() || rb.TxID != ra.TxID ||
		rb.MainHeight != ra.MainHeight {
		t.Fatalf("a: %+v, b: %+v", ra, rb)
	}
}

// fundingTx pays 10,000 sat to each key's P2WPKH script, from an outpoint
// no one watches; the fetcher does not know its outputs.
func (h *harness) fundingTx(keys []*btcec.PrivateKey) *wire.MsgTx {
	h.seq++
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.HashH([]byte{byte(h.seq), 'f'})}, nil, nil))
	for _, k := range keys {
		tx.AddTxOut(wire.NewTxOut(10_000, p2wpkh(k)))
	}
	return tx
}

// spendingNtx is a notarization with the output script nOut that spends
// the outputs of fund, one per key, signed by the keys.
func (h *harness) spendingNtx(nOut []byte, fund *wire.MsgTx, keys []*btcec.PrivateKey) *wire.MsgTx {
	tx := wire.NewMsgTx(2)
	for i := range keys {
		tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: fund.TxHash(), Index: uint32(i)}, nil, nil))
	}
	tx.AddTxOut(wire.NewTxOut(0, nOut))
	tx.AddTxOut(wire.NewTxOut(int64(len(keys))*10_000-1_000, p2wpkh(keys[0])))
	h.sign(tx, fund.TxOut[:len(keys)], keys, txscript.SigHashAll)
	return tx
}

// The prevouts of a notarization come from the notary outputs the tracker
// saw created, in an earlier block or earlier in the same block, with no
// call to the fetcher; without a fetcher, a notarization spending an
// output it did not see is dropped with ErrMissingPrevout.
func TestPrevoutsFromSeenOutputs(t *testing.T) {
	h := newHarness(t)
	h.side.grow(17)
	h.fetch.down = true
	keys := devKeys(0, 1, 2)
	fund := h.fundingTx(keys)
	h.mine(fund)
	tx10 := h.spendingNtx(h.payload(0, 10), fund, keys)
	h.mine(tx10)
	h.mine()
	if got := h.lastHeight(); got != 10 {
		t.Fatalf("last height %d, want 10", got)
	}
	fund2 := h.fundingTx(devKeys(2, 3, 4))
	tx15 := h.spendingNtx(h.payload(0, 15), fund2, devKeys(2, 3, 4))
	h.mine(fund2, tx15)
	h.mine()
	if got := h.lastHeight(); got != 15 {
		t.Fatalf("same block: last height %d, want 15", got)
	}
	if h.fetch.calls != 0 {
		t.Fatalf("the fetcher was asked %d times", h.fetch.calls)
	}
	// The spent outputs are gone from the record; the change outputs
	// (to a notary's script) are in it.
	n := 0
	if err := h.db.View(func(r store.Reader) error {
		return r.Iterate(keyOutputPrefix, func(_, _ []byte) error { n++; return nil })
	}); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("%d notary outputs recorded, want the 2 changes", n)
	}

	h.tr.cfg.Prevouts = nil
	h.side.grow(22)
	unseen := h.ntx(h.payload(0, 20), devKeys(3, 4, 5))
	h.mine(unseen)
	h.mine()
	if got := h.lastHeight(); got != 15 {
		t.Fatalf("last height %d, want 15", got)
	}
	if r := h.reportsOf(unseen.TxHash()); len(r) != 1 ||
		r[0].code != notarize.ErrMissingPrevout || !r[0].final {
		t.Fatalf("reports %+v, want ErrMissingPrevout", r)
	}
}

// A fetcher that does not know an output (nil in its answer) drops the
// notarization with ErrMissingPrevout, at once or once it answers.
func TestFetcherWithoutTheOutput(t *testing.T) {
	h := newHarness(t)
	h.side.grow(17)
	tx := h.ntx(h.payload(0, 10), devKeys(0, 1, 2))
	delete(h.fetch.outs, tx.TxIn[1].PreviousOutPoint)
	h.mine(tx)
	tx15 := h.ntx(h.payload(0, 15), devKeys(0, 1, 2))
	delete(h.fetch.outs, tx15.TxIn[2].PreviousOutPoint)
	h.fetch.down = true
	h.mine(tx15)
	h.fetch.down = false
	h.mine()
	h.mine()
	if h.tr.Last() != nil || h.pendingCount() != 0 {
		t.Fatalf("last %+v, %d pending", h.tr.Last(), h.pendingCount())
	}
	for _, id := range []chainhash.Hash{tx.TxHash(), tx15.TxHash()} {
		if r := h.reportsOf(id); len(r) != 1 ||
			r[0].code != notarize.ErrMissingPrevout || !r[0].final {
			t.Fatalf("reports %+v, want ErrMissingPrevout", r)
		}
	}
}
