package registry

import (
	"context"
	"math/rand"
	"testing"

	"github.com/protolambda/zrnt/eth2/beacon/common"
	"github.com/protolambda/zrnt/eth2/beacon/phase0"
	"github.com/protolambda/zrnt/eth2/configs"
)

// The tests in this file compare the registry with protolambda/zrnt
// v0.34.1, an independent Go implementation of the consensus
// specifications, imported only by tests: its GetChurnLimit, and its
// ProcessEpochRegistryUpdates followed by ProcessEffectiveBalanceUpdates
// (phase0) on a phase0 state holding the same validators. Units do not
// matter to these rules; the states use zrnt's gwei values.

// paramsOf is the Params a zrnt spec stands for.
func paramsOf(s *common.Spec) Params {
	return Params{
		SlotsPerEpoch:                    uint64(s.SLOTS_PER_EPOCH),
		MinDeposit:                       uint64(s.EFFECTIVE_BALANCE_INCREMENT),
		MinActivationBalance:             uint64(s.MAX_EFFECTIVE_BALANCE),
		EjectionBalance:                  uint64(s.EJECTION_BALANCE),
		EffectiveBalanceIncrement:        uint64(s.EFFECTIVE_BALANCE_INCREMENT),
		MaxEffectiveBalance:              uint64(s.MAX_EFFECTIVE_BALANCE),
		HysteresisQuotient:               uint64(s.HYSTERESIS_QUOTIENT),
		HysteresisDownwardMultiplier:     uint64(s.HYSTERESIS_DOWNWARD_MULTIPLIER),
		HysteresisUpwardMultiplier:       uint64(s.HYSTERESIS_UPWARD_MULTIPLIER),
		MinPerEpochChurnLimit:            uint64(s.MIN_PER_EPOCH_CHURN_LIMIT),
		ChurnLimitQuotient:               uint64(s.CHURN_LIMIT_QUOTIENT),
		MaxSeedLookahead:                 uint64(s.MAX_SEED_LOOKAHEAD),
		MinValidatorWithdrawabilityDelay: uint64(s.MIN_VALIDATOR_WITHDRAWABILITY_DELAY),
		ShardCommitteePeriod:             uint64(s.SHARD_COMMITTEE_PERIOD),
		EpochsPerSlashingsVector:         uint64(s.EPOCHS_PER_SLASHINGS_VECTOR),
	}
}

// TestZrntMainnet checks that Mainnet carries zrnt's phase0 mainnet values
// for every rule constant (balances in coins rather than ether).
func TestZrntMainnet(t *testing.T) {
	z := paramsOf(configs.Mainnet)
	m := Mainnet
	scale := uint64(configs.Mainnet.EFFECTIVE_BALANCE_INCREMENT) / m.EffectiveBalanceIncrement
	m.MinDeposit, m.MinActivationBalance, m.EjectionBalance, m.EffectiveBalanceIncrement, m.MaxEffectiveBalance =
		m.MinDeposit*scale, m.MinActivationBalance*scale, m.EjectionBalance*scale,
		m.EffectiveBalanceIncrement*scale, m.MaxEffectiveBalance*scale
	if z != m {
		t.Fatalf("Mainnet %+v\nzrnt    %+v", m, z)
	}
}

func TestZrntChurnLimit(t *testing.T) {
	p := paramsOf(configs.Mainnet)
	rng := rand.New(rand.NewSource(4))
	for range 10_000 {
		n := uint64(rng.Int63n(1 << 24))
		if got, want := p.ChurnLimit(n), configs.Mainnet.GetChurnLimit(n); got != want {
			t.Fatalf("ChurnLimit(%d) = %d, zrnt %d", n, got, want)
		}
	}
}

// zrntState builds a phase0 state holding s's validators at s's epoch.
func zrntState(t *testing.T, spec *common.Spec, s *State, finalized uint64) *phase0.BeaconStateView {
	zs := phase0.NewBeaconStateView(spec)
	if err := zs.SetSlot(common.Slot(s.Epoch * uint64(spec.SLOTS_PER_EPOCH))); err != nil {
		t.Fatal(err)
	}
	if err := zs.SetFinalizedCheckpoint(common.Checkpoint{Epoch: common.Epoch(finalized)}); err != nil {
		t.Fatal(err)
	}
	for i, v := range s.Validators {
		var pk common.BLSPubkey
		copy(pk[:], v.PublicKey[:])
		if err := zs.AddValidator(spec, pk, common.Root{}, common.Gwei(v.Balance)); err != nil {
			t.Fatal(err)
		}
		vals, err := zs.Validators()
		if err != nil {
			t.Fatal(err)
		}
		zv, err := vals.Validator(common.ValidatorIndex(i))
		if err != nil {
			t.Fatal(err)
		}
		if v.Slashed {
			_ = zv.MakeSlashed()
		}
		for _, err := range []error{
			zv.SetEffectiveBalance(common.Gwei(v.EffectiveBalance)),
			zv.SetActivationEligibilityEpoch(common.Epoch(v.EligibilityEpoch)),
			zv.SetActivationEpoch(common.Epoch(v.ActivationEpoch)),
			zv.SetExitEpoch(common.Epoch(v.ExitEpoch)),
			zv.SetWithdrawableEpoch(common.Epoch(v.WithdrawableEpoch)),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	return zs
}

// TestZrntEpoch runs random registries through ProcessEpoch and through
// zrnt's registry and effective balance updates, and compares every
// validator's effective balance and epochs.
func TestZrntEpoch(t *testing.T) {
	spec := *configs.Mainnet
	spec.CHURN_LIMIT_QUOTIENT = 8 // so that the churn limit varies
	spec.MIN_PER_EPOCH_CHURN_LIMIT = 2
	spec.SHARD_COMMITTEE_PERIOD = 2
	spec.MIN_VALIDATOR_WITHDRAWABILITY_DELAY = 3
	p := paramsOf(&spec)
	rng := rand.New(rand.NewSource(5))
	ctx := context.Background()
	var seen [3]int // activations, ejections, effective balance changes
	for run := range 25 {
		s := randomState(t, rng, &p, 150+rng.Intn(200))
		// Balances around the thresholds, so that hysteresis and
		// ejections happen.
		for i := range s.Validators {
			if rng.Intn(6) == 0 {
				// At the ejection balance: several ejections an epoch,
				// past the churn limit.
				s.Validators[i].EffectiveBalance = p.EjectionBalance
				s.Validators[i].Balance = p.EjectionBalance
			} else if rng.Intn(3) == 0 {
				d := uint64(rng.Int63n(int64(p.EffectiveBalanceIncrement)))
				if rng.Intn(2) == 0 {
					s.Validators[i].Balance = s.Validators[i].EffectiveBalance + d
				} else {
					s.Validators[i].Balance = s.Validators[i].EffectiveBalance - min(d, s.Validators[i].EffectiveBalance)
				}
			}
		}
		fin := s.Epoch - min(s.Epoch, uint64(rng.Intn(3)))
		zs := zrntState(t, &spec, s, fin)
		before := s.Clone()
		if err := ProcessEpoch(&p, s, fin); err != nil {
			t.Fatal(err)
		}
		epc, err := common.NewEpochsContext(&spec, zs)
		if err != nil {
			t.Fatal(err)
		}
		zvals, _ := zs.Validators()
		flats, err := common.FlattenValidators(zvals)
		if err != nil {
			t.Fatal(err)
		}
		if err := phase0.ProcessEpochRegistryUpdates(ctx, &spec, epc, flats, zs); err != nil {
			t.Fatal(err)
		}
		if zvals, err = zs.Validators(); err != nil {
			t.Fatal(err)
		}
		if flats, err = common.FlattenValidators(zvals); err != nil {
			t.Fatal(err)
		}
		if err := phase0.ProcessEffectiveBalanceUpdates(ctx, &spec, epc, flats, zs); err != nil {
			t.Fatal(err)
		}
		if zvals, err = zs.Validators(); err != nil {
			t.Fatal(err)
		}
		if flats, err = common.FlattenValidators(zvals); err != nil {
			t.Fatal(err)
		}
		for i, v := range s.Validators {
			b := before.Validators[i]
			if b.ActivationEpoch != v.ActivationEpoch {
				seen[0]++
			}
			if b.ExitEpoch != v.ExitEpoch {
				seen[1]++
			}
			if b.EffectiveBalance != v.EffectiveBalance {
				seen[2]++
			}
			f := flats[i]
			if uint64(f.EffectiveBalance) != v.EffectiveBalance ||
				uint64(f.ActivationEligibilityEpoch) != v.EligibilityEpoch ||
				uint64(f.ActivationEpoch) != v.ActivationEpoch ||
				uint64(f.ExitEpoch) != v.ExitEpoch ||
				uint64(f.WithdrawableEpoch) != v.WithdrawableEpoch {
				t.Fatalf("run %d validator %d:\nours %+v\nzrnt %+v", run, i, v, f)
			}
		}
	}
	if seen[0] == 0 || seen[1] == 0 || seen[2] == 0 {
		t.Fatalf("activations, ejections, effective balance changes: %v", seen)
	}
	t.Logf("activations, ejections, effective balance changes: %v", seen)
}
