package work_test

import (
	"math"
	"math/big"
	"testing"

	"github.com/btcsuite/btcd/blockchain"

	"github.com/mainstake/sidenode/pow/stratum/work"
)

func hexInt(t *testing.T, s string) *big.Int {
	t.Helper()
	v, ok := new(big.Int).SetString(s, 16)
	if !ok {
		t.Fatal(s)
	}
	return v
}

func TestDifficulty(t *testing.T) {
	max := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	for _, c := range []struct {
		diff   float64
		target *big.Int
	}{
		{1, hexInt(t, "00000000ffff0000000000000000000000000000000000000000000000000000")},
		{2, hexInt(t, "000000007fff8000000000000000000000000000000000000000000000000000")},
		{65536, hexInt(t, "000000000000ffff000000000000000000000000000000000000000000000000")},
		{0.5, hexInt(t, "00000001fffe0000000000000000000000000000000000000000000000000000")},
		{1.0 / (1 << 32), hexInt(t, "ffff000000000000000000000000000000000000000000000000000000000000")},
		// Easier than any hash: clamped.
		{1.0 / (1 << 33), max},
		{0, max},
		{-3, max},
		{math.NaN(), max},
		{math.Inf(1), big.NewInt(1)},
		{1e300, big.NewInt(1)},
	} {
		if got := work.TargetFromDifficulty(c.diff); got.Cmp(c.target) != 0 {
			t.Errorf("difficulty %g: target %064x, want %064x", c.diff, got, c.target)
		}
	}
	// Bitcoin's difficulty 1 bits give Stratum difficulty 1; regtest's
	// give a difficulty below 1.
	if d := work.DifficultyFromTarget(blockchain.CompactToBig(0x1d00ffff)); d != 1 {
		t.Errorf("0x1d00ffff: difficulty %g", d)
	}
	if d := work.DifficultyFromTarget(blockchain.CompactToBig(0x207fffff)); d > 1e-9 || d < 4e-10 {
		t.Errorf("0x207fffff: difficulty %g", d)
	}
	for _, d := range []float64{1e-9, 0.001, 0.75, 1, 3.5, 1024, 1e6, 123456789.123, 1e14} {
		back := work.DifficultyFromTarget(work.TargetFromDifficulty(d))
		if math.Abs(back-d)/d > 1e-12 {
			t.Errorf("difficulty %g comes back as %g", d, back)
		}
	}
	if !math.IsInf(work.DifficultyFromTarget(big.NewInt(0)), 1) || !math.IsInf(work.DifficultyFromTarget(nil), 1) {
		t.Error("a zero target's difficulty")
	}
	if work.Diff1Target().Cmp(work.TargetFromDifficulty(1)) != 0 {
		t.Error("Diff1Target")
	}
}
