package randomx

import "testing"

func TestSeedHeight(t *testing.T) {
	s := MoneroSchedule
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ height, seed, next uint64 }{
		{0, 0, 0},
		{1, 0, 0},
		{2048, 0, 0},
		{2048 + 64, 0, 2048}, // the last block keyed by genesis
		{2048 + 65, 2048, 2048},
		{4096 + 64, 2048, 4096},
		{4096 + 65, 4096, 4096},
		{4096 + 1, 2048, 4096}, // the next key is known 64 blocks ahead
		{1 << 40, (1<<40 - 65) &^ 2047, 1<<40 - 2048},
	}
	for _, c := range cases {
		if got := s.SeedHeight(c.height); got != c.seed {
			t.Errorf("SeedHeight(%d) = %d, want %d", c.height, got, c.seed)
		}
		if got := s.NextSeedHeight(c.height); got != c.next {
			t.Errorf("NextSeedHeight(%d) = %d, want %d", c.height, got, c.next)
		}
	}
	// The seed block is always at least Lag+1 blocks deep and changes at
	// most once per EpochBlocks.
	prev := uint64(0)
	for h := uint64(1); h < 20000; h++ {
		seed := s.SeedHeight(h)
		if seed != 0 && h-seed <= s.Lag {
			t.Fatalf("height %d keyed by %d: only %d deep", h, seed, h-seed)
		}
		if seed%s.EpochBlocks != 0 || seed < prev {
			t.Fatalf("height %d keyed by %d after %d", h, seed, prev)
		}
		prev = seed
	}
	for _, bad := range []Schedule{{EpochBlocks: 0}, {EpochBlocks: 3}, {EpochBlocks: 8, Lag: 8}} {
		if bad.Validate() == nil {
			t.Errorf("schedule %+v accepted", bad)
		}
	}
}
