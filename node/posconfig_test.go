package node

import (
	"strings"
	"testing"
)

// TestValidatePos checks the pos options: only on pos networks,
// --validator with a test key, keys in range, a genesis time not
// negative; each refusal names the flag.
func TestValidatePos(t *testing.T) {
	for _, c := range []struct {
		network   string
		validator bool
		keys      []string
		genesis   int64
		want      string // "" for accepted
	}{
		{"posregtest", true, []string{"0"}, 1_900_000_000, ""},
		{"posregtest", true, []string{"1", "3"}, 0, ""},
		{"posregtest", false, nil, 0, ""},
		{"posregtest", true, nil, 0, "--validator needs --pos.devkey"},
		{"posregtest", false, []string{"1"}, 0, "--pos.devkey is for --validator"},
		{"posregtest", true, []string{"4"}, 0, "--pos.devkey \"4\""},
		{"posregtest", true, []string{"x"}, 0, "--pos.devkey \"x\""},
		{"posregtest", false, nil, -1, "--pos.genesistime -1"},
		{"regtest", true, []string{"0"}, 0, "for pos networks"},
		{"powregtest", false, nil, 5, "for pos networks"},
	} {
		cfg := DefaultConfig()
		cfg.Network, cfg.Validator, cfg.Pos.DevKeys, cfg.Pos.GenesisTime = c.network, c.validator, c.keys, c.genesis
		err := cfg.validatePos()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%+v: %v", c, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%+v: got %v, want %q", c, err, c.want)
		}
	}
}
