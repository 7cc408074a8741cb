package selection

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// shuffleVector is one consensus-spec-tests shuffling case
// (tests/<preset>/phase0/shuffling/core/shuffle/*/mapping.yaml): mapping[i]
// is compute_shuffled_index(i, count, seed).
type shuffleVector struct {
	Seed    string   `yaml:"seed"`
	Count   uint64   `yaml:"count"`
	Mapping []uint64 `yaml:"mapping"`
}

func loadShuffleVectors(t *testing.T, preset string) map[string]shuffleVector {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "shuffling", preset, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no %s shuffling vectors: %v", preset, err)
	}
	out := make(map[string]shuffleVector)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v shuffleVector
		if err := yaml.Unmarshal(raw, &v); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if uint64(len(v.Mapping)) != v.Count {
			t.Fatalf("%s: %d entries for count %d", f, len(v.Mapping), v.Count)
		}
		out[filepath.Base(f)] = v
	}
	return out
}

func parseSeed(t *testing.T, s string) Seed {
	t.Helper()
	b, err := hex.DecodeString(strings.TrimPrefix(s, "0x"))
	if err != nil || len(b) != 32 {
		t.Fatalf("bad seed %q: %v", s, err)
	}
	return Seed(b)
}

// TestShuffleVectors runs the published vectors through all four forms the
// test format lists: per index, its inverse, the whole list, and the whole
// list's inverse.
func TestShuffleVectors(t *testing.T) {
	for _, preset := range []struct {
		name   string
		rounds uint8
	}{{"mainnet", Mainnet.ShuffleRoundCount}, {"minimal", Minimal.ShuffleRoundCount}} {
		for name, v := range loadShuffleVectors(t, preset.name) {
			t.Run(preset.name+"/"+name, func(t *testing.T) {
				seed := parseSeed(t, v.Seed)
				for i := uint64(0); i < v.Count; i++ {
					got, err := ShuffledIndex(i, v.Count, seed, preset.rounds)
					if err != nil || got != v.Mapping[i] {
						t.Fatalf("ShuffledIndex(%d) = %d, %v; want %d", i, got, err, v.Mapping[i])
					}
					back, err := UnshuffledIndex(v.Mapping[i], v.Count, seed, preset.rounds)
					if err != nil || back != i {
						t.Fatalf("UnshuffledIndex(%d) = %d, %v; want %d", v.Mapping[i], back, err, i)
					}
				}
				list := identity(v.Count)
				if err := ShuffleList(list, seed, preset.rounds); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(list, v.Mapping) {
					t.Fatalf("ShuffleList differs from the mapping")
				}
				if err := UnshuffleList(list, seed, preset.rounds); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(list, identity(v.Count)) {
					t.Fatalf("UnshuffleList does not restore the list")
				}
			})
		}
	}
}

func identity(n uint64) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = uint64(i)
	}
	return out
}
