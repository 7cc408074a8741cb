package protection

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// vectorCase is a case of the EIP-3076 interchange tests
// (testdata/interchange/README).
type vectorCase struct {
	Name  string `json:"name"`
	GVR   string `json:"genesis_validators_root"`
	Steps []struct {
		ShouldSucceed bool            `json:"should_succeed"`
		Slashable     bool            `json:"contains_slashable_data"`
		Interchange   json.RawMessage `json:"interchange"`
		Blocks        []struct {
			Pubkey        string `json:"pubkey"`
			Slot          string `json:"slot"`
			SigningRoot   string `json:"signing_root"`
			ShouldSucceed bool   `json:"should_succeed"`
		} `json:"blocks"`
		Attestations []struct {
			Pubkey        string `json:"pubkey"`
			Source        string `json:"source_epoch"`
			Target        string `json:"target_epoch"`
			SigningRoot   string `json:"signing_root"`
			ShouldSucceed bool   `json:"should_succeed"`
		} `json:"attestations"`
	} `json:"steps"`
}

func mustHex(t *testing.T, s string, n int) []byte {
	t.Helper()
	if s == "" {
		return make([]byte, n)
	}
	b, err := hex.DecodeString(strings.TrimPrefix(s, "0x"))
	if err != nil || len(b) != n {
		t.Fatalf("bad hex %q", s)
	}
	return b
}

func mustUint(t *testing.T, s string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestInterchangeVectors(t *testing.T) {
	files, err := filepath.Glob("testdata/interchange/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no vectors: %v", err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c vectorCase
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		t.Run(c.Name, func(t *testing.T) {
			d := openMem(t, Root(mustHex(t, c.GVR, 32)))
			for si, step := range c.Steps {
				err := d.Import(step.Interchange)
				if !step.ShouldSucceed {
					if err == nil {
						t.Fatalf("step %d: import succeeded, should fail", si)
					}
					continue
				}
				if err != nil {
					if step.Slashable {
						return // allowed to refuse; the case ends
					}
					t.Fatalf("step %d: import: %v", si, err)
				}
				for bi, b := range step.Blocks {
					err := d.SignBlock(PublicKey(mustHex(t, b.Pubkey, 48)),
						mustUint(t, b.Slot), Root(mustHex(t, b.SigningRoot, 32)))
					if (err == nil) != b.ShouldSucceed {
						t.Fatalf("step %d block %d (slot %s): %v, should succeed %v",
							si, bi, b.Slot, err, b.ShouldSucceed)
					}
				}
				for ai, a := range step.Attestations {
					err := d.SignAttestation(PublicKey(mustHex(t, a.Pubkey, 48)),
						mustUint(t, a.Source), mustUint(t, a.Target),
						Root(mustHex(t, a.SigningRoot, 32)))
					if (err == nil) != a.ShouldSucceed {
						t.Fatalf("step %d attestation %d (%s, %s): %v, should succeed %v",
							si, ai, a.Source, a.Target, err, a.ShouldSucceed)
					}
				}
			}
		})
	}
}
