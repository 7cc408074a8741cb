package pegbox

import (
	"bytes"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/btcsuite/btclog"

	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// fakeSide is a sidechain of the given blocks: those in best are on the
// best chain, the others published with their body missing; held says
// which bodies the node holds.
type fakeSide struct {
	blocks map[chainhash.Hash]*sideblock.Block
	best   map[chainhash.Hash]bool
	lost   map[chainhash.Hash]bool // connectable, but fork choice chose another
	held   map[chainhash.Hash]bool
	bodies int // Body calls
}

func newFakeSide() *fakeSide {
	return &fakeSide{blocks: map[chainhash.Hash]*sideblock.Block{},
		best: map[chainhash.Hash]bool{}, lost: map[chainhash.Hash]bool{},
		held: map[chainhash.Hash]bool{}}
}

func (f *fakeSide) BlockInfo(_ store.Reader, h chainhash.Hash) (*sideblock.BlockInfo, bool, error) {
	b, ok := f.blocks[h]
	if !ok {
		return nil, false, nil
	}
	info := &sideblock.BlockInfo{Hash: h, PrevBlock: b.Header.PrevBlock,
		MerkleRoot: b.Header.MerkleRoot, Height: 1, Status: sideblock.StatusBodyMissing}
	if f.best[h] {
		info.Status, info.OnBestChain, info.Connectable = sideblock.StatusValid, true, true
	}
	if f.lost[h] {
		info.Status, info.Connectable = sideblock.StatusValid, true
	}
	return info, true, nil
}

func (f *fakeSide) TipHeight(store.Reader) (int32, error) { return 1, nil }

func (f *fakeSide) Body(h chainhash.Hash) (*sideblock.Block, bool, error) {
	f.bodies++
	if !f.held[h] {
		return nil, false, nil
	}
	return f.blocks[h], true, nil
}

// add puts a block with one transaction of outputs outs on the best
// chain, its body held.
func (f *fakeSide) add(t *testing.T, outs ...*wire.TxOut) chainhash.Hash {
	t.Helper()
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: uint32(len(f.blocks))}, nil, nil))
	for _, o := range outs {
		tx.AddTxOut(o)
	}
	b := sideblock.NewBlock(chainhash.Hash{byte(len(f.blocks))}, []*wire.MsgTx{tx})
	h := b.BlockHash()
	f.blocks[h], f.best[h], f.held[h] = b, true, true
	return h
}

// withdrawalOut burns value on the sidechain for a payment of value − fee
// to dest.
func withdrawalOut(t *testing.T, value, fee int64, dest []byte) *wire.TxOut {
	t.Helper()
	script, err := sideblock.WithdrawalScript(fee, dest)
	if err != nil {
		t.Fatal(err)
	}
	return wire.NewTxOut(value, script)
}

// judged returns the auditor's verdicts on the chain's spends.
func (c *testChain) judged(a *Auditor) []Judgement {
	c.t.Helper()
	var js []Judgement
	c.view(func(r store.Reader) error {
		var err error
		js, err = a.JudgeAll(r)
		return err
	})
	return js
}

// TestUnexplainedSpends has the federation spend a pegbox coin of 300,000
// sat in every way a rule allows and in ways none does, each in a sibling
// block on the same parent (the index undoes each before the next). The
// index records every spend with its chain facts only; the auditor says
// Unexplained, with the rule broken, of every spend that is no valid
// payout, rotation or bump of one, and warns of it once. A deposit funded
// by pegbox coins is refused.
func TestUnexplainedSpends(t *testing.T) {
	c := newTestChain(t)
	p := c.p
	L := p.PegEpochLength
	privs := keys(t, 8)
	sides := newFakeSide()
	a := NewAuditor(c.x, sides)

	c.stakers = stakersOf(privs[:5])
	c.to(L - 1)
	box1 := c.pkScript(1)
	funding := deposit(t, 300_000, box1, 1)
	c.connect(funding) // height L
	coin := wire.OutPoint{Hash: funding.TxHash()}
	c.stakers = stakersOf(privs[3:])
	c.to(2*L - 1)
	box2 := c.pkScript(2)

	// A sideblock withdrawing 30,000 (29,000 paid, 1,000 fee budget) and
	// 11,000 (10,500 paid), one without withdrawals, and one whose body
	// the node lacks.
	side := sides.add(t, withdrawalOut(t, 30_000, 1_000, otherScript),
		withdrawalOut(t, 11_000, 500, sideScript))
	empty := sides.add(t, wire.NewTxOut(5_000, sideScript))
	missing := sides.add(t, withdrawalOut(t, 30_000, 1_000, otherScript),
		withdrawalOut(t, 11_000, 500, sideScript), wire.NewTxOut(1, sideScript))
	sides.best[missing], sides.held[missing] = false, false

	spendTx := func(payload opreturn.Payload, outs ...*wire.TxOut) *wire.MsgTx {
		tx := wire.NewMsgTx(2)
		tx.AddTxIn(wire.NewTxIn(&coin, nil, nil))
		if payload != nil {
			tx.AddTxOut(wire.NewTxOut(0, nullData(t, payload)))
		}
		for _, o := range outs {
			tx.AddTxOut(o)
		}
		return tx
	}
	payout := func(side chainhash.Hash, a, b, change int64) *wire.MsgTx {
		return spendTx(&opreturn.Payout{SideBlock: side}, wire.NewTxOut(a, otherScript),
			wire.NewTxOut(b, sideScript), wire.NewTxOut(change, box1))
	}

	tests := []struct {
		name     string
		tx       *wire.MsgTx
		verdict  Verdict
		code     ErrorCode // of an unexplained spend
		out      int64     // what it took out of the pegbox
		unbacked int64     // what it paid a pegbox beyond the coin
		deposits int       // accepted deposits
		refused  ErrorCode // a refused deposit's code, if any
	}{{
		// 41,000 burned, 259,000 change: the fee is the budgets' 1,500.
		name: "payout", tx: payout(side, 29_000, 10_500, 259_000), verdict: ValidPayout, out: 41_000,
	}, {
		// The same payout bumped: 20,000 more fee, 239,000 change.
		name: "bumped payout", tx: payout(side, 29_000, 10_500, 239_000), verdict: ValidPayout,
		out: 61_000,
	}, {
		name: "payout at the largest bump", tx: payout(side, 29_000, 10_500, 159_000),
		verdict: ValidPayout, out: 141_000,
	}, {
		name: "payout overpaying its fee", tx: payout(side, 29_000, 10_500, 158_999),
		verdict: Unexplained, code: ErrSpendFee, out: 141_001,
	}, {
		name: "payout of a block whose body the node lacks", tx: payout(missing, 29_000, 10_500, 259_000),
		verdict: Unchecked, out: 41_000,
	}, {
		name: "spend to an outside address", tx: spendTx(nil, wire.NewTxOut(11_000, otherScript),
			wire.NewTxOut(289_000, box1)), verdict: Unexplained, code: ErrSpendNoPayload, out: 11_000,
		refused: ErrNoDeposit,
	}, {
		name: "payout of an unknown sideblock", tx: payout(chainhash.Hash{0x51}, 29_000, 10_500, 259_000),
		verdict: Unexplained, code: ErrPayoutUnknownBlock, out: 41_000,
	}, {
		name: "payout of a sideblock without withdrawals", tx: payout(empty, 29_000, 10_500, 259_000),
		verdict: Unexplained, code: ErrPayoutUnknownBlock, out: 41_000,
	}, {
		name: "payout paying too much", tx: payout(side, 39_000, 10_500, 249_000),
		verdict: Unexplained, code: ErrPayoutMismatch, out: 51_000,
	}, {
		name: "payout with an extra output", tx: spendTx(&opreturn.Payout{SideBlock: side},
			wire.NewTxOut(29_000, otherScript), wire.NewTxOut(10_500, sideScript),
			wire.NewTxOut(11_000, otherScript), wire.NewTxOut(248_000, box1)),
		verdict: Unexplained, code: ErrPayoutMismatch, out: 52_000,
	}, {
		name: "rotation", tx: spendTx(&opreturn.Rotation{Epoch: 2}, wire.NewTxOut(299_000, box2)),
		verdict: ValidRotation, out: 1_000,
	}, {
		name: "rotation to a stranger", tx: spendTx(&opreturn.Rotation{Epoch: 2},
			wire.NewTxOut(299_000, otherScript)), verdict: Unexplained, code: ErrBadRotation, out: 300_000,
	}, {
		name: "rotation with an extra output", tx: spendTx(&opreturn.Rotation{Epoch: 2},
			wire.NewTxOut(288_000, box2), wire.NewTxOut(11_000, otherScript)),
		verdict: Unexplained, code: ErrBadRotation, out: 12_000,
	}, {
		name: "rotation to a future epoch", tx: spendTx(&opreturn.Rotation{Epoch: 3},
			wire.NewTxOut(299_000, box2)), verdict: Unexplained, code: ErrBadRotation, out: 1_000,
	}, {
		name: "rotation to its own pegbox", tx: spendTx(&opreturn.Rotation{Epoch: 1},
			wire.NewTxOut(299_000, box1)), verdict: Unexplained, code: ErrBadRotation, out: 1_000,
	}, {
		name: "rotation overpaying its fee", tx: spendTx(&opreturn.Rotation{Epoch: 2},
			wire.NewTxOut(600, box2)), verdict: Unexplained, code: ErrSpendFee, out: 299_400,
	}, {
		// The federation funds a deposit from the pegbox: refused, never
		// minted, and the coin it spent stays in the pegbox as the
		// deposit's output, so only the 11,000 sent away went out.
		name: "deposit funded by the pegbox", tx: func() *wire.MsgTx {
			tx := depositTx(t, 0, sideScript, wire.NewTxOut(289_000, box1),
				wire.NewTxOut(11_000, otherScript))
			tx.TxIn[0].PreviousOutPoint = coin
			return tx
		}(), verdict: Unexplained, code: ErrDepositSpendsPegbox, out: 11_000,
		refused: ErrDepositSpendsPegbox,
	}, {
		// Another input adds 50,000: the pegbox output beyond the
		// coin's 300,000 backs nothing.
		name: "unbacked deposit", tx: func() *wire.MsgTx {
			tx := depositTx(t, 0, sideScript, wire.NewTxOut(350_000, box1))
			tx.TxIn[0].PreviousOutPoint = coin
			tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{9}}, nil, nil))
			return tx
		}(), verdict: Unexplained, code: ErrDepositSpendsPegbox, unbacked: 50_000,
		refused: ErrDepositSpendsPegbox,
	}}
	// The alarm: a warn line on every node.
	var logged bytes.Buffer
	logger := btclog.NewBackend(&logged).Logger("PEGB")
	logger.SetLevel(btclog.LevelWarn)
	UseLogger(logger)
	t.Cleanup(DisableLog)

	before := c.balanced()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := c.connect(tc.tx)
			defer func() {
				c.disconnect()
				if f := c.balanced(); f != before {
					t.Fatalf("flows after the undo %+v, want %+v", f, before)
				}
				if js := c.judged(a); len(js) != 0 {
					t.Fatalf("spends after the undo: %+v", js)
				}
			}()
			f := c.balanced()
			if got := f.Outflow - before.Outflow; got != tc.out {
				t.Errorf("outflow %d sat, want %d", got, tc.out)
			}
			if got := f.Unbacked - before.Unbacked; got != tc.unbacked {
				t.Errorf("unbacked %d sat, want %d", got, tc.unbacked)
			}
			if len(res.Deposits) != tc.deposits {
				t.Errorf("accepted deposits %+v, want %d", res.Deposits, tc.deposits)
			}
			if tc.refused != 0 && (len(res.Refused) != 1 || res.Refused[0].Code != tc.refused) {
				t.Errorf("refused %+v, want %v", res.Refused, tc.refused)
			}
			if len(res.Spends) != 1 || res.Spends[0].TxID != tc.tx.TxHash() {
				t.Fatalf("spends %+v", res.Spends)
			}
			logged.Reset()
			s, err := a.Refresh(c.db)
			if err != nil {
				t.Fatal(err)
			}
			js := c.judged(a)
			if len(js) != 1 {
				t.Fatalf("judged %+v", js)
			}
			j := js[0]
			if j.TxID != tc.tx.TxHash() || j.Height != 2*L || j.Spent != 300_000 ||
				j.Out() != tc.out || j.Verdict != tc.verdict {
				t.Fatalf("judged %v (%v): %+v", j.Verdict, j.Err, j)
			}
			if tc.verdict == Unexplained && j.Code != tc.code {
				t.Errorf("code %v, want %v (%v)", j.Code, tc.code, j.Err)
			}
			alarm := strings.Contains(logged.String(), "[WRN] PEGB: UNEXPLAINED PEGBOX SPEND "+tc.tx.TxHash().String())
			if alarm != (tc.verdict == Unexplained) {
				t.Errorf("warn line %v for a spend judged %v: %q", alarm, tc.verdict, logged.String())
			}
			if want := map[bool]int{true: 1}[tc.verdict == Unexplained]; s.Unexplained != want ||
				(want == 1 && s.UnexplainedSat != tc.out) || a.Last() != s {
				t.Errorf("summary %+v", s)
			}
			// The alarm is raised once per spend.
			logged.Reset()
			if _, err := a.Refresh(c.db); err != nil || logged.Len() != 0 {
				t.Errorf("second refresh: %v %q", err, logged.String())
			}
		})
	}

	// refreshed checks that Refresh, which reads only the blocks since
	// its last call and judges the payouts again, says what judging every
	// spend says.
	refreshed := func(want Summary) {
		t.Helper()
		got, err := a.Refresh(c.db)
		if err != nil {
			t.Fatal(err)
		}
		if all := Summarize(c.judged(a)); got != all || got != want {
			t.Fatalf("refresh %+v, judging every spend %+v, want %+v", got, all, want)
		}
	}

	// The body arrives: the payout the node could not check is valid.
	unchecked := payout(missing, 29_000, 10_500, 259_000)
	c.connect(unchecked)
	if js := c.judged(a); js[0].Verdict != Unchecked {
		t.Fatalf("judged %+v", js[0])
	}
	refreshed(Summary{Spends: 1, Unchecked: 1, UncheckedSat: 41_000})
	sides.best[missing], sides.held[missing] = true, true
	if js := c.judged(a); js[0].Verdict != ValidPayout || js[0].Burned != 41_000 {
		t.Fatalf("with the body: %v (%v)", js[0].Verdict, js[0].Err)
	}
	refreshed(Summary{Spends: 1})
	// The body's check is cached: only whether the block is on the best
	// chain is read again.
	n := sides.bodies
	c.judged(a)
	if sides.bodies != n {
		t.Errorf("the body was read again")
	}
	// A sidechain reorg takes the block off the best chain.
	sides.best[missing] = false
	sides.held[missing] = true
	if js := c.judged(a); js[0].Verdict != Unchecked {
		t.Fatalf("off the best chain, not connectable: %v", js[0].Verdict)
	}
	sides.lost[missing] = true
	if js := c.judged(a); js[0].Verdict != Unexplained || js[0].Code != ErrPayoutUnknownBlock {
		t.Fatalf("on a branch fork choice left: %v %v", js[0].Verdict, js[0].Code)
	}
	logged.Reset()
	refreshed(Summary{Spends: 1, Unexplained: 1, UnexplainedSat: 41_000})
	if !strings.Contains(logged.String(), "UNEXPLAINED PEGBOX SPEND "+unchecked.TxHash().String()) {
		t.Errorf("no warning when a payout's block left the best chain: %q", logged.String())
	}

	// Blocks later, a spend to an outside address of the change; then a
	// reorg replaces that block with one that spends nothing.
	c.connect()
	theft := spendTx(nil, wire.NewTxOut(5_000, otherScript), wire.NewTxOut(254_000, box1))
	theft.TxIn[0].PreviousOutPoint = wire.OutPoint{Hash: unchecked.TxHash(), Index: 3}
	c.connect(theft)
	refreshed(Summary{Spends: 2, Unexplained: 2, UnexplainedSat: 41_000 + 5_000})
	c.disconnect()
	c.connect(deposit(t, 1_000, box1, 7))
	refreshed(Summary{Spends: 1, Unexplained: 1, UnexplainedSat: 41_000})
}
