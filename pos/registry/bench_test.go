package registry

import (
	"fmt"
	"testing"
)

// BenchmarkProcessEpoch times the registry's epoch end (registry updates
// and effective balances) over n active validators at the maximum
// effective balance, with balances that move some effective balances and
// a queue of pending activations.
func BenchmarkProcessEpoch(b *testing.B) {
	p := &Mainnet
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s := &State{Epoch: 10, Validators: make([]Validator, n)}
			for i := range s.Validators {
				s.Validators[i] = Validator{
					Balance:           p.MaxEffectiveBalance - uint64(i%7)*p.EffectiveBalanceIncrement/3,
					EffectiveBalance:  p.MaxEffectiveBalance,
					EligibilityEpoch:  0,
					ActivationEpoch:   0,
					ExitEpoch:         FarFutureEpoch,
					WithdrawableEpoch: FarFutureEpoch,
				}
				if i%50 == 0 {
					s.Validators[i].ActivationEpoch = FarFutureEpoch
				}
			}
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				c := &State{Epoch: s.Epoch, Validators: append([]Validator(nil), s.Validators...)}
				b.StartTimer()
				if err := ProcessEpoch(p, c, 9); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
