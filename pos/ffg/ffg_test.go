package ffg

import (
	"math/big"
	"math/rand"
	"testing"
)

// TestErrorCodeStrings keeps errorCodeStrings complete.
func TestErrorCodeStrings(t *testing.T) {
	for c := ErrorCode(0); c < numErrorCodes; c++ {
		if errorCodeStrings[c] == "" {
			t.Errorf("code %d has no name", c)
		}
	}
	if len(errorCodeStrings) != int(numErrorCodes) {
		t.Errorf("%d names for %d codes", len(errorCodeStrings), numErrorCodes)
	}
}

func r(b byte) Root { return Root{b} }

func cp(e uint64) Checkpoint { return Checkpoint{Epoch: e, Root: r(byte(e))} }

func wantCode(t *testing.T, err error, c ErrorCode) {
	t.Helper()
	if !IsErrorCode(err, c) {
		t.Fatalf("got %v, want %v", err, c)
	}
}

const total = 300

// TestFinalizationRules runs each of the four rules at epoch 5 from a
// state that only it applies to, and the threshold of two thirds.
func TestFinalizationRules(t *testing.T) {
	tests := []struct {
		name      string
		st        State
		prev, cur uint64 // target balances
		rule      Rule
		final     Checkpoint
		bits      JustificationBits
		justified Checkpoint
	}{{
		// Epochs 3 and 2 justified before; 4 now: 2, 3, 4 justified
		// and 4 used 2 as source.
		name: "rule234",
		st: State{Bits: 0b0110, PreviousJustified: cp(2),
			CurrentJustified: cp(3), Finalized: cp(1)},
		prev: 200, cur: 0, rule: Rule234, final: cp(2),
		bits: 0b1110, justified: cp(4),
	}, {
		name: "rule23",
		st: State{Bits: 0b0010, PreviousJustified: cp(3),
			CurrentJustified: cp(3), Finalized: cp(2)},
		prev: 200, cur: 199, rule: Rule23, final: cp(3),
		bits: 0b0110, justified: cp(4),
	}, {
		name: "rule123",
		st: State{Bits: 0b0010, PreviousJustified: cp(2),
			CurrentJustified: cp(3), Finalized: cp(1)},
		prev: 200, cur: 250, rule: Rule123, final: cp(3),
		bits: 0b0111, justified: cp(5),
	}, {
		name: "rule12",
		st: State{Bits: 0b0001, PreviousJustified: cp(3),
			CurrentJustified: cp(4), Finalized: cp(3)},
		prev: 0, cur: 300, rule: Rule12, final: cp(4),
		bits: 0b0011, justified: cp(5),
	}, {
		name: "below two thirds",
		st: State{Bits: 0b0001, PreviousJustified: cp(3),
			CurrentJustified: cp(4), Finalized: cp(3)},
		prev: 199, cur: 199, rule: NoFinalization, final: cp(3),
		bits: 0b0010, justified: cp(4),
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, out, err := ProcessJustification(tc.st, 5,
				Balances{TotalActive: total, PreviousTarget: tc.prev, CurrentTarget: tc.cur},
				r(4), r(5))
			if err != nil {
				t.Fatal(err)
			}
			if out.Finalized != tc.rule || st.Finalized != tc.final {
				t.Errorf("rule %d finalized %v, want rule %d %v", out.Finalized,
					st.Finalized, tc.rule, tc.final)
			}
			if st.Bits != tc.bits {
				t.Errorf("bits %04b, want %04b", st.Bits, tc.bits)
			}
			if st.CurrentJustified != tc.justified {
				t.Errorf("justified %v, want %v", st.CurrentJustified, tc.justified)
			}
			if st.PreviousJustified != tc.st.CurrentJustified {
				t.Errorf("previous justified %v, want the old current %v",
					st.PreviousJustified, tc.st.CurrentJustified)
			}
		})
	}
}

func TestSupermajority(t *testing.T) {
	max := ^uint64(0)
	for _, tc := range []struct {
		part, total uint64
		want        bool
	}{
		{2, 3, true}, {1, 3, false}, {200, 300, true}, {199, 300, false},
		{0, 0, true}, {max, max, true}, {max/3*2 - 1, max, false},
		{max / 3 * 2, max, true},
	} {
		want := new(big.Int).Mul(new(big.Int).SetUint64(tc.part), big.NewInt(3)).Cmp(
			new(big.Int).Mul(new(big.Int).SetUint64(tc.total), big.NewInt(2))) >= 0
		if want != tc.want {
			t.Fatalf("table wrong for %d/%d", tc.part, tc.total)
		}
		if got := Supermajority(tc.part, tc.total); got != tc.want {
			t.Errorf("Supermajority(%d, %d) = %v", tc.part, tc.total, got)
		}
	}
}

func TestJustificationErrors(t *testing.T) {
	st := State{CurrentJustified: cp(2), PreviousJustified: cp(1), Finalized: cp(1)}
	_, _, err := ProcessJustification(st, 5, Balances{}, r(4), r(5))
	wantCode(t, err, ErrBadBalances)
	_, _, err = ProcessJustification(st, 5, Balances{TotalActive: 3, PreviousTarget: 4}, r(4), r(5))
	wantCode(t, err, ErrBadBalances)
	_, _, err = ProcessJustification(st, 5, Balances{TotalActive: 3, CurrentTarget: 4}, r(4), r(5))
	wantCode(t, err, ErrBadBalances)
	_, _, err = ProcessJustification(st, 1, Balances{TotalActive: 3}, r(4), r(5))
	wantCode(t, err, ErrBadState)
	bad := st
	bad.Finalized = cp(3)
	_, _, err = ProcessJustification(bad, 5, Balances{TotalActive: 3}, r(4), r(5))
	wantCode(t, err, ErrBadState)
}

// TestGenesisEpochs: nothing changes in epochs 0 and 1.
func TestGenesisEpochs(t *testing.T) {
	st := State{}
	for e := uint64(0); e <= 1; e++ {
		got, out, err := ProcessJustification(st, e, Balances{TotalActive: 3, PreviousTarget: 3, CurrentTarget: 3}, r(0), r(1))
		if err != nil || got != st || out != (Outcome{}) {
			t.Fatalf("epoch %d: %v %v %v", e, got, out, err)
		}
	}
}

// TestJustificationProperties runs random participation over many epochs:
// the finalized epoch never decreases, a checkpoint is finalized only if
// it was justified before, and the justified epochs never decrease.
func TestJustificationProperties(t *testing.T) {
	fired := map[Rule]int{}
	for seed := int64(0); seed < 200; seed++ {
		rng := rand.New(rand.NewSource(seed))
		st := State{}
		justified := map[Checkpoint]bool{{}: true}
		// Bias towards high participation so that every rule fires.
		level := rng.Intn(4)
		for e := uint64(0); e < 60; e++ {
			b := Balances{TotalActive: 3000}
			pick := func() uint64 {
				if rng.Intn(4) < level {
					return 2000 + uint64(rng.Intn(1001))
				}
				return uint64(rng.Intn(3001))
			}
			b.PreviousTarget, b.CurrentTarget = pick(), pick()
			next, out, err := ProcessJustification(st, e, b, r(byte(e-1)), r(byte(e)))
			if err != nil {
				t.Fatalf("seed %d epoch %d: %v", seed, e, err)
			}
			if next.Finalized.Epoch < st.Finalized.Epoch {
				t.Fatalf("seed %d epoch %d: finalized went back from %d to %d",
					seed, e, st.Finalized.Epoch, next.Finalized.Epoch)
			}
			if next.CurrentJustified.Epoch < st.CurrentJustified.Epoch {
				t.Fatalf("seed %d epoch %d: justified went back", seed, e)
			}
			if next.Finalized != st.Finalized && !justified[next.Finalized] {
				t.Fatalf("seed %d epoch %d: finalized %v was never justified",
					seed, e, next.Finalized)
			}
			if (out.Finalized != NoFinalization) != (next.Finalized != st.Finalized) &&
				next.Finalized != st.Finalized {
				t.Fatalf("seed %d epoch %d: outcome %v does not match", seed, e, out)
			}
			justified[next.CurrentJustified] = true
			fired[out.Finalized]++
			st = next
		}
	}
	for r := Rule234; r <= Rule12; r++ {
		if fired[r] == 0 {
			t.Errorf("rule %d never fired", r)
		}
	}
}

func TestIntegerSquareRoot(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	check := func(n uint64) {
		want := new(big.Int).Sqrt(new(big.Int).SetUint64(n)).Uint64()
		if got := IntegerSquareRoot(n); got != want {
			t.Fatalf("IntegerSquareRoot(%d) = %d, want %d", n, got, want)
		}
	}
	for n := uint64(0); n < 2000; n++ {
		check(n)
	}
	for range 10000 {
		check(rng.Uint64() >> uint(rng.Intn(64)))
	}
	check(^uint64(0))
	check(1 << 62)
}

func TestInactivityLeak(t *testing.T) {
	p := &Altair
	// Finalizing every epoch: delay 2 at most, never in the leak.
	for _, tc := range []struct {
		current, finalized uint64
		leak               bool
	}{
		{0, 0, false}, {5, 0, false}, {6, 0, true}, {6, 1, false},
		{10, 5, false}, {10, 4, true}, {3, 5, false},
	} {
		if got := p.InInactivityLeak(tc.current, tc.finalized); got != tc.leak {
			t.Errorf("leak(%d, %d) = %v", tc.current, tc.finalized, got)
		}
	}
	// Scores: a miss adds the bias; a hit takes one off; outside the
	// leak, the recovery rate comes off too.
	for _, tc := range []struct {
		v      Validator
		leak   bool
		expect uint64
	}{
		{Validator{Eligible: true, InactivityScore: 10}, true, 14},
		{Validator{Eligible: true, InactivityScore: 10}, false, 0},
		{Validator{Eligible: true, InactivityScore: 30}, false, 18},
		{Validator{Eligible: true, ActivePrevious: true, Flags: 1 << TimelyTargetFlag, InactivityScore: 10}, true, 9},
		{Validator{Eligible: true, ActivePrevious: true, Flags: 1 << TimelyTargetFlag}, true, 0},
		{Validator{Eligible: true, ActivePrevious: true, Slashed: true, Flags: 1 << TimelyTargetFlag, InactivityScore: 10}, true, 14},
		{Validator{Eligible: false, InactivityScore: 10}, true, 10},
	} {
		if got := p.UpdateInactivityScore(tc.v, tc.leak); got != tc.expect {
			t.Errorf("%+v leak %v: score %d, want %d", tc.v, tc.leak, got, tc.expect)
		}
	}
	v := Validator{Eligible: true, EffectiveBalance: 32e9, InactivityScore: 4 * 3 << 24}
	if got := p.InactivityPenalty(v); got != 32e9 {
		t.Errorf("penalty %d, want the whole balance", got)
	}
	v.ActivePrevious, v.Flags = true, 1<<TimelyTargetFlag
	if got := p.InactivityPenalty(v); got != 0 {
		t.Errorf("penalty %d for a timely target", got)
	}
}

func TestRewardErrors(t *testing.T) {
	_, err := NewRewardContext(&Altair, 1e8, [NumFlags]uint64{}, false)
	wantCode(t, err, ErrBadBalances)
	_, err = NewRewardContext(&Altair, 32e9, [NumFlags]uint64{64e9}, false)
	wantCode(t, err, ErrBadBalances)
	bad := Altair
	bad.ProposerWeight = 9
	_, err = NewRewardContext(&bad, 32e9, [NumFlags]uint64{}, false)
	wantCode(t, err, ErrBadParams)
	bad = Altair
	bad.EffectiveBalanceIncrement = 0
	wantCode(t, bad.Check(), ErrBadParams)
	bad = Altair
	bad.InactivityScoreBias = 0
	wantCode(t, bad.Check(), ErrBadParams)
	bad = Altair
	bad.InactivityPenaltyQuotient = 0
	wantCode(t, bad.Check(), ErrBadParams)
}

// TestRewardsByHand checks one small case worked out from the
// specification's formulas.
func TestRewardsByHand(t *testing.T) {
	p := &Altair
	// Four validators of 32 ETH: total 128e9, sqrt 357770 (floor),
	// base reward per increment 1e9·64/357770 = 178885, base reward
	// 32·178885 = 5724320.
	vals := []Validator{
		{EffectiveBalance: 32e9, ActivePrevious: true, Eligible: true, Flags: 0b111},
		{EffectiveBalance: 32e9, ActivePrevious: true, Eligible: true, Flags: 0b011},
		{EffectiveBalance: 32e9, ActivePrevious: true, Eligible: true, Flags: 0b001},
		{EffectiveBalance: 32e9, ActivePrevious: true, Eligible: true},
	}
	part := ParticipatingBalances(p, vals)
	if part != [NumFlags]uint64{96e9, 64e9, 32e9} {
		t.Fatalf("participating %v", part)
	}
	c, err := NewRewardContext(p, 128e9, part, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.BaseReward(32e9); got != 5724320 {
		t.Fatalf("base reward %d", got)
	}
	d := c.EpochDeltas(vals)
	// Validator 0: source 5724320·14·96/(128·64) = 939146 (floor),
	// target ·26·64/(128·64) = 1162752 (floor of 74416160·64/8192...),
	// head ·14·32/8192.
	src := 5724320 * 14 * 96 / (128 * 64)
	tgt := 5724320 * 26 * 64 / (128 * 64)
	head := 5724320 * 14 * 32 / (128 * 64)
	if d[0] != (Delta{Reward: uint64(src + tgt + head)}) {
		t.Errorf("validator 0: %+v, want reward %d", d[0], src+tgt+head)
	}
	// Validator 3 missed all: source and target penalties, no head one.
	pen := 5724320*14/64 + 5724320*26/64
	if d[3] != (Delta{Penalty: uint64(pen)}) {
		t.Errorf("validator 3: %+v, want penalty %d", d[3], pen)
	}
	// In the leak, no rewards; penalties stay.
	c, _ = NewRewardContext(p, 128e9, part, true)
	d = c.EpochDeltas(vals)
	if d[0] != (Delta{}) || d[3].Penalty != uint64(pen) {
		t.Errorf("leak: %+v %+v", d[0], d[3])
	}
	// Proposer: denominator (64−8)·64/8 = 448.
	if got := c.ProposerReward(448*5 + 447); got != 5 {
		t.Errorf("proposer reward %d", got)
	}
}
