package registry

import (
	"bytes"
	"math/rand"
	"testing"
)

// FuzzDecode: Decode never panics, and what it accepts encodes back to the
// same bytes. Seeds are states from random deposit, exit and epoch runs.
func FuzzDecode(f *testing.F) {
	rng := rand.New(rand.NewSource(3))
	f.Add((&State{}).Encode())
	for range 4 {
		f.Add(randomState(f, rng, &Devnet, 60).Encode())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Decode(b)
		if err != nil {
			if _, ok := ErrorCodeOf(err); !ok {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if !bytes.Equal(s.Encode(), b) {
			t.Fatal("accepted encoding is not canonical")
		}
	})
}
