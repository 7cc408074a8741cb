package protection

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseInterchange parses arbitrary interchange files: the parser must
// never panic, and a file it accepts must hold only well-formed records.
// The seeds are the interchanges of the EIP-3076 test vectors.
func FuzzParseInterchange(f *testing.F) {
	files, _ := filepath.Glob("testdata/interchange/*.json")
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var c vectorCase
		if err := json.Unmarshal(raw, &c); err != nil {
			f.Fatal(err)
		}
		for _, s := range c.Steps {
			f.Add([]byte(s.Interchange))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ims, err := parseInterchange(b, Root{})
		if err != nil {
			if _, ok := ErrorCodeOf(err); !ok {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for _, im := range ims {
			for _, blk := range im.blocks {
				if blk.root.known && blk.root.root == (Root{}) {
					t.Fatal("zero root taken as known")
				}
			}
		}
	})
}
