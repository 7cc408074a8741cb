package ffg

import (
	"context"
	"math/rand"
	"testing"

	"github.com/protolambda/zrnt/eth2/beacon/altair"
	"github.com/protolambda/zrnt/eth2/beacon/common"
	"github.com/protolambda/zrnt/eth2/beacon/phase0"
	"github.com/protolambda/zrnt/eth2/configs"
	zmath "github.com/protolambda/zrnt/eth2/util/math"
	"github.com/protolambda/ztyp/view"
)

// The tests in this file compare ffg with protolambda/zrnt v0.34.1, an
// independent Go implementation of the consensus specifications, imported
// only by tests: its ProcessEpochJustification (phase0), ComputeFlagDeltas,
// ComputeInactivityPenaltyDeltas and ProcessInactivityUpdates (Altair).
// zrnt has no separate is_in_inactivity_leak or proposer-reward function
// that takes plain values; those are checked by hand in ffg_test.go.

// TestZrntParams checks that Altair is zrnt's mainnet configuration.
func TestZrntParams(t *testing.T) {
	s := configs.Mainnet
	p := Altair
	if uint64(s.EFFECTIVE_BALANCE_INCREMENT) != p.EffectiveBalanceIncrement ||
		uint64(s.BASE_REWARD_FACTOR) != p.BaseRewardFactor ||
		uint64(s.MIN_EPOCHS_TO_INACTIVITY_PENALTY) != p.MinEpochsToInactivityPenalty ||
		uint64(s.INACTIVITY_SCORE_BIAS) != p.InactivityScoreBias ||
		uint64(s.INACTIVITY_SCORE_RECOVERY_RATE) != p.InactivityScoreRecoveryRate ||
		uint64(s.INACTIVITY_PENALTY_QUOTIENT_ALTAIR) != p.InactivityPenaltyQuotient ||
		uint64(altair.TIMELY_SOURCE_WEIGHT) != p.FlagWeights[TimelySourceFlag] ||
		uint64(altair.TIMELY_TARGET_WEIGHT) != p.FlagWeights[TimelyTargetFlag] ||
		uint64(altair.TIMELY_HEAD_WEIGHT) != p.FlagWeights[TimelyHeadFlag] ||
		uint64(altair.PROPOSER_WEIGHT) != p.ProposerWeight ||
		uint64(altair.WEIGHT_DENOMINATOR) != p.WeightDenominator {
		t.Fatal("Altair differs from zrnt's mainnet configuration")
	}
}

func zcp(c Checkpoint) common.Checkpoint {
	return common.Checkpoint{Epoch: common.Epoch(c.Epoch), Root: common.Root(c.Root)}
}

// TestZrntJustification runs random epochs through both implementations
// and compares the whole state after each.
func TestZrntJustification(t *testing.T) {
	spec := configs.Mainnet
	ctx := context.Background()
	for seed := int64(0); seed < 40; seed++ {
		rng := rand.New(rand.NewSource(seed))
		zs := phase0.NewBeaconStateView(spec)
		st := State{}
		level := rng.Intn(4)
		for e := uint64(0); e < 40; e++ {
			pick := func() uint64 {
				if rng.Intn(4) < level {
					return 2000 + uint64(rng.Intn(1001))
				}
				return uint64(rng.Intn(3001))
			}
			b := Balances{TotalActive: 3000, PreviousTarget: pick(), CurrentTarget: pick()}
			var prevRoot, curRoot Root
			rng.Read(prevRoot[:])
			rng.Read(curRoot[:])
			roots, err := zs.BlockRoots()
			if err != nil {
				t.Fatal(err)
			}
			spe := uint64(spec.SLOTS_PER_EPOCH)
			if e > 0 {
				if err := roots.SetRoot(common.Slot((e-1)*spe), common.Root(prevRoot)); err != nil {
					t.Fatal(err)
				}
			}
			if err := roots.SetRoot(common.Slot(e*spe), common.Root(curRoot)); err != nil {
				t.Fatal(err)
			}
			err = phase0.ProcessEpochJustification(ctx, spec, &phase0.JustificationStakeData{
				CurrentEpoch:                  common.Epoch(e),
				TotalActiveStake:              common.Gwei(b.TotalActive),
				PrevEpochUnslashedTargetStake: common.Gwei(b.PreviousTarget),
				CurrEpochUnslashedTargetStake: common.Gwei(b.CurrentTarget),
			}, zs)
			if err != nil {
				t.Fatal(err)
			}
			st, _, err = ProcessJustification(st, e, b, prevRoot, curRoot)
			if err != nil {
				t.Fatal(err)
			}
			zb, _ := zs.JustificationBits()
			zp, _ := zs.PreviousJustifiedCheckpoint()
			zc, _ := zs.CurrentJustifiedCheckpoint()
			zf, _ := zs.FinalizedCheckpoint()
			if zb[0] != byte(st.Bits) || zp != zcp(st.PreviousJustified) ||
				zc != zcp(st.CurrentJustified) || zf != zcp(st.Finalized) {
				t.Fatalf("seed %d epoch %d: ours %+v, zrnt bits %04b %v %v %v",
					seed, e, st, zb[0], zp, zc, zf)
			}
		}
	}
}

// randomValidators makes n validators with random balances, flags,
// slashings, activity and scores.
func randomValidators(rng *rand.Rand, n int) []Validator {
	vals := make([]Validator, n)
	for i := range vals {
		v := &vals[i]
		v.EffectiveBalance = uint64(1+rng.Intn(32)) * 1e9
		v.ActivePrevious = rng.Intn(10) > 0
		v.Slashed = rng.Intn(10) == 0
		v.Eligible = v.ActivePrevious || (v.Slashed && rng.Intn(2) == 0)
		v.Flags = uint8(rng.Intn(8))
		if rng.Intn(3) == 0 {
			v.Flags = 0b111
		}
		v.InactivityScore = uint64(rng.Intn(200))
	}
	return vals
}

// zrntData builds zrnt's epoch context and attester data for vals in
// epoch currentEpoch.
func zrntData(vals []Validator, totalActive uint64, currentEpoch uint64) (*common.EpochsContext, *altair.EpochAttesterData) {
	epc := &common.EpochsContext{
		PreviousEpoch:          &common.ShufflingEpoch{Epoch: common.Epoch(currentEpoch - 1)},
		TotalActiveStake:       common.Gwei(totalActive),
		TotalActiveStakeSqRoot: common.Gwei(zmath.IntegerSquareroot(totalActive)),
	}
	data := &altair.EpochAttesterData{
		PrevEpoch: common.Epoch(currentEpoch - 1),
		CurrEpoch: common.Epoch(currentEpoch),
	}
	for i, v := range vals {
		data.Flats = append(data.Flats, common.FlatValidator{
			EffectiveBalance: common.Gwei(v.EffectiveBalance),
			Slashed:          v.Slashed,
		})
		data.PrevParticipation = append(data.PrevParticipation, altair.ParticipationFlags(v.Flags))
		if v.ActivePrevious {
			epc.PreviousEpoch.ActiveIndices = append(epc.PreviousEpoch.ActiveIndices, common.ValidatorIndex(i))
		}
		if v.Eligible {
			data.EligibleIndices = append(data.EligibleIndices, common.ValidatorIndex(i))
		}
	}
	return epc, data
}

// TestZrntRewards compares the source, target and head deltas and the
// inactivity penalties, in and out of the leak.
func TestZrntRewards(t *testing.T) {
	spec := configs.Mainnet
	ctx := context.Background()
	p := &Altair
	for seed := int64(0); seed < 60; seed++ {
		rng := rand.New(rand.NewSource(seed))
		vals := randomValidators(rng, 1+rng.Intn(300))
		var totalActive uint64
		for _, v := range vals {
			if v.ActivePrevious {
				totalActive += v.EffectiveBalance
			}
		}
		// The current epoch's active set may differ a little.
		totalActive = max(totalActive+uint64(rng.Intn(3))*1e9, p.EffectiveBalanceIncrement)
		inLeak := seed%2 == 1
		part := ParticipatingBalances(p, vals)
		c, err := NewRewardContext(p, totalActive, part, inLeak)
		if err != nil {
			t.Fatal(err)
		}
		epc, data := zrntData(vals, totalActive, 10)
		flags := []altair.ParticipationFlags{altair.TIMELY_SOURCE_FLAG, altair.TIMELY_TARGET_FLAG, altair.TIMELY_HEAD_FLAG}
		for f := range NumFlags {
			zd, err := altair.ComputeFlagDeltas(ctx, spec, epc, data, flags[f],
				common.Gwei(p.FlagWeights[f]), inLeak)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				rw, pn := c.FlagDelta(v, f)
				if uint64(zd.Rewards[i]) != rw || uint64(zd.Penalties[i]) != pn {
					t.Fatalf("seed %d flag %d validator %d %+v: ours %d/%d, zrnt %d/%d",
						seed, f, i, v, rw, pn, zd.Rewards[i], zd.Penalties[i])
				}
			}
		}
		// InactivityScores.View of zrnt v0.34.1 fails (it asserts the
		// wrong view type), so the scores go through a state.
		state := altair.NewBeaconStateView(spec)
		sv, err := state.InactivityScores()
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if err := sv.Append(view.Uint64View(v.InactivityScore)); err != nil {
				t.Fatal(err)
			}
		}
		zd, err := altair.ComputeInactivityPenaltyDeltas(ctx, spec, epc, data, sv,
			uint64(spec.INACTIVITY_PENALTY_QUOTIENT_ALTAIR))
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if got := p.InactivityPenalty(v); uint64(zd.Penalties[i]) != got {
				t.Fatalf("seed %d validator %d: inactivity penalty %d, zrnt %d",
					seed, i, got, zd.Penalties[i])
			}
		}
	}
}

// TestZrntInactivityUpdates compares the score updates through zrnt's
// ProcessInactivityUpdates on an Altair state, in and out of the leak.
func TestZrntInactivityUpdates(t *testing.T) {
	spec := configs.Mainnet
	ctx := context.Background()
	p := &Altair
	for seed := int64(0); seed < 40; seed++ {
		rng := rand.New(rand.NewSource(seed))
		vals := randomValidators(rng, 1+rng.Intn(200))
		const current = 20
		finalized := uint64(current - 2 - rng.Intn(6))
		state := altair.NewBeaconStateView(spec)
		if err := state.SetFinalizedCheckpoint(common.Checkpoint{Epoch: common.Epoch(finalized)}); err != nil {
			t.Fatal(err)
		}
		sv, err := state.InactivityScores()
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if err := sv.Append(view.Uint64View(v.InactivityScore)); err != nil {
				t.Fatal(err)
			}
		}
		_, data := zrntData(vals, 1e9, current)
		if err := altair.ProcessInactivityUpdates(ctx, spec, data, state); err != nil {
			t.Fatal(err)
		}
		sv, err = state.InactivityScores()
		if err != nil {
			t.Fatal(err)
		}
		leak := p.InInactivityLeak(current, finalized)
		if leak != (finalized+uint64(p.MinEpochsToInactivityPenalty) < current-1) {
			t.Fatalf("leak flag %v at finality delay %d", leak, current-1-finalized)
		}
		for i, v := range vals {
			z, err := sv.GetScore(common.ValidatorIndex(i))
			if err != nil {
				t.Fatal(err)
			}
			if got := p.UpdateInactivityScore(v, leak); got != z {
				t.Fatalf("seed %d validator %d %+v leak %v: score %d, zrnt %d",
					seed, i, v, leak, got, z)
			}
		}
	}
}
