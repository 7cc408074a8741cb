package cli

import (
	"encoding/hex"
	"testing"

	"github.com/mainstake/sidenode/chainparams"
)

// FuzzDecodeTx: whatever raw hex the node answers, tx --verbose decodes it
// or says it does not, never panics, and a decoded transaction has its
// outputs' values in sat and in BTC alike.
func FuzzDecodeTx(f *testing.F) {
	// A P2WPKH spend (the fake wallet's), a coinbase-like input, nothing.
	f.Add("02000000000101" + "c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2" +
		"00000000" + "00" + "ffffffff" + "01" + "005a620200000000" + "16" +
		"0014751e76e8199196d454941c45d1b3a323f1433bd6" + "01" + "01" + "01" + "00000000")
	f.Add("01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff0402ab0001ffffffff0100f2052a010000000151" + "00000000")
	f.Add("")
	f.Add("zz")
	f.Fuzz(func(t *testing.T, raw string) {
		for _, p := range []*chainparams.Params{&chainparams.Regtest} {
			v, err := decodeTx(raw, p.Side)
			if err != nil {
				continue
			}
			if _, err := hex.DecodeString(v.Hex); err != nil {
				t.Fatalf("hex %q", v.Hex)
			}
			for _, o := range v.Vout {
				if int64(o.Value*1e8+0.5) != o.ValueSat && o.ValueSat >= 0 && o.ValueSat < 1<<52 {
					t.Fatalf("output %d: %v BTC and %d sat", o.N, o.Value, o.ValueSat)
				}
			}
		}
	})
}
