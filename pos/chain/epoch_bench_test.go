package chain

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/mainstake/sidenode/pos/ffg"
	"github.com/mainstake/sidenode/pos/registry"
)

// naiveEpoch is the epoch transition written as the specifications write
// it, one helper per quantity and a pass (with an index list) per helper:
// the baseline of BenchmarkEpochTransition, and the reference its test
// compares processEpoch with.
func naiveEpoch(c *Config, s *State) error {
	current := c.EpochOf(s.Slot)
	previous := current
	if previous > 0 {
		previous--
	}
	vals := s.Registry.Validators
	inc := c.Registry.EffectiveBalanceIncrement
	totalBalance := func(idx []int) uint64 {
		var t uint64
		for _, i := range idx {
			t += vals[i].EffectiveBalance
		}
		if t < inc {
			t = inc
		}
		return t
	}
	activeIndices := func(e uint64) []int {
		var out []int
		for i := range vals {
			if vals[i].IsActive(e) {
				out = append(out, i)
			}
		}
		return out
	}
	participating := func(flag int, e uint64) []int {
		part := s.PreviousParticipation
		if e == current {
			part = s.CurrentParticipation
		}
		var out []int
		for _, i := range activeIndices(e) {
			if !vals[i].Slashed && part[i]&(1<<flag) != 0 {
				out = append(out, i)
			}
		}
		return out
	}
	total := totalBalance(activeIndices(current))
	if current > 1 {
		prevRoot, _ := s.BlockRootAt(c, c.EpochStart(previous))
		curRoot, _ := s.BlockRootAt(c, c.EpochStart(current))
		st, _, err := ffg.ProcessJustification(s.FFG, current, ffg.Balances{
			TotalActive:    total,
			PreviousTarget: min(totalBalance(participating(ffg.TimelyTargetFlag, previous)), total),
			CurrentTarget:  totalBalance(participating(ffg.TimelyTargetFlag, current)),
		}, ffg.Root(prevRoot), ffg.Root(curRoot))
		if err != nil {
			return err
		}
		s.FFG = st
	}
	eligible := func() []int {
		var out []int
		for i := range vals {
			v := &vals[i]
			if v.IsActive(previous) || (v.Slashed && previous+1 < v.WithdrawableEpoch) {
				out = append(out, i)
			}
		}
		return out
	}
	view := func(i int) ffg.Validator {
		v := &vals[i]
		return ffg.Validator{EffectiveBalance: v.EffectiveBalance, Slashed: v.Slashed,
			ActivePrevious: v.IsActive(previous), Eligible: true,
			Flags: s.PreviousParticipation[i], InactivityScore: s.Inactivity[i]}
	}
	if current > 0 {
		inLeak := c.FFG.InInactivityLeak(current, s.FFG.Finalized.Epoch)
		for _, i := range eligible() {
			s.Inactivity[i] = c.FFG.UpdateInactivityScore(view(i), inLeak)
		}
		penalties := make([]uint64, len(vals))
		for _, i := range eligible() {
			penalties[i] = c.FFG.InactivityPenalty(view(i))
		}
		for i, p := range penalties {
			if p > 0 {
				if _, err := registry.Penalize(s.Registry, uint64(i), p); err != nil {
					return err
				}
			}
		}
	}
	var slashed uint64
	for _, v := range s.Slashings {
		slashed += v
	}
	adjusted := min(slashed*c.ProportionalSlashingMultiplier, total)
	for i := range vals {
		v := &vals[i]
		if v.Slashed && current+c.Registry.EpochsPerSlashingsVector/2 == v.WithdrawableEpoch {
			if _, err := registry.Penalize(s.Registry, uint64(i), v.EffectiveBalance/inc*adjusted/total*inc); err != nil {
				return err
			}
		}
	}
	if err := registry.ProcessEpoch(&c.Registry, s.Registry, s.FFG.Finalized.Epoch); err != nil {
		return err
	}
	s.Slashings[(current+1)%uint64(len(s.Slashings))] = 0
	s.Mixes.EndEpoch(current)
	n := len(s.Registry.Validators)
	s.PreviousParticipation = s.CurrentParticipation
	s.CurrentParticipation = make([]uint8, n)
	return nil
}

// bigState returns a state at the last slot of epoch 9 with n validators
// of the mainnet-like network's preset: most active at full balance, some
// queued, some slashed, participation flags and inactivity scores spread
// at random, finality 5 epochs back (so in the leak).
func bigState(t testing.TB, c *Config, n int) *State {
	s, _, err := GenesisState(c)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(int64(n)))
	max := c.Registry.MaxEffectiveBalance
	vals := make([]registry.Validator, n)
	for i := range vals {
		v := registry.Validator{
			Balance:           max - uint64(r.Intn(3))*c.Registry.EffectiveBalanceIncrement/3,
			EffectiveBalance:  max,
			ExitEpoch:         registry.FarFutureEpoch,
			WithdrawableEpoch: registry.FarFutureEpoch,
		}
		v.PublicKey[0] = byte(i)
		v.PublicKey[1] = byte(i >> 8)
		v.PublicKey[2] = byte(i >> 16)
		v.WithdrawalScript = []byte{0x51}
		switch {
		case i%50 == 1:
			v.ActivationEpoch = registry.FarFutureEpoch
			v.EligibilityEpoch = 8
		case i%997 == 2:
			v.Slashed = true
			v.ExitEpoch = 8 // exited, not yet withdrawable: still eligible
			v.WithdrawableEpoch = 9 + c.Registry.EpochsPerSlashingsVector/2
		}
		vals[i] = v
	}
	s.Registry = &registry.State{Epoch: 9, Validators: vals}
	s.PreviousParticipation = make([]uint8, n)
	s.CurrentParticipation = make([]uint8, n)
	s.Inactivity = make([]uint64, n)
	for i := 0; i < n; i++ {
		s.PreviousParticipation[i] = uint8(r.Intn(8))
		s.CurrentParticipation[i] = uint8(r.Intn(8))
		s.Inactivity[i] = uint64(r.Intn(40))
	}
	s.Slashings[3] = 100 * max
	s.Slot = c.EpochStart(10) - 1
	s.FFG.Finalized.Epoch = 4
	s.FFG.PreviousJustified.Epoch = 5
	s.FFG.CurrentJustified.Epoch = 6
	return s
}

func mainlikeConfig(t testing.TB) *Config {
	t.Helper()
	c, err := NewConfig(mainlikeParams())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestEpochMatchesNaive: processEpoch and the naive transition leave the
// same state.
func TestEpochMatchesNaive(t *testing.T) {
	c := mainlikeConfig(t)
	for _, n := range []int{1, 100, 5000} {
		a := bigState(t, c, n)
		b := a.Clone()
		if err := processEpoch(c, a); err != nil {
			t.Fatal(err)
		}
		if err := naiveEpoch(c, b); err != nil {
			t.Fatal(err)
		}
		if a.Root() != b.Root() {
			t.Fatalf("%d validators: the transitions differ", n)
		}
	}
}

// BenchmarkEpochTransition times the epoch transition at 10k, 100k and 1M
// validators, processEpoch against naiveEpoch.
func BenchmarkEpochTransition(b *testing.B) {
	c := mainlikeConfig(b)
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		s := bigState(b, c, n)
		for _, impl := range []struct {
			name string
			f    func(*Config, *State) error
		}{{"engine", processEpoch}, {"naive", naiveEpoch}} {
			b.Run(fmt.Sprintf("%d/%s", n, impl.name), func(b *testing.B) {
				for range b.N {
					b.StopTimer()
					w := s.Clone()
					b.StartTimer()
					if err := impl.f(c, w); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
