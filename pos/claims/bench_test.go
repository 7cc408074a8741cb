package claims

import "testing"

// BenchmarkValidate times one claim's validation over a mainnet range of
// 8,192 epochs (the record sums and the BLS signature check).
func BenchmarkValidate(b *testing.B) {
	k := newKeyring(b, 1)
	p := &Mainnet
	tr, err := NewTracker(p, k, domain)
	if err != nil {
		b.Fatal(err)
	}
	n := p.MaxClaimRange + p.Cooldown + 1
	for e := range n {
		if err := tr.AddRecord(EpochRecord{Epoch: e, Deltas: []int64{int64(e % 5)}}); err != nil {
			b.Fatal(err)
		}
	}
	var sum uint64
	for e := range p.MaxClaimRange {
		sum += e % 5
	}
	c := signed(k, 0, 0, p.MaxClaimRange-1, sum)
	b.ResetTimer()
	for range b.N {
		if _, err := Validate(p, &tr.ledger, tr, k, c, tr.Epoch(), domain); err != nil {
			b.Fatal(err)
		}
	}
}
