//go:build !cgo

package powhash

import (
	"errors"
	"testing"

	"github.com/mainstake/sidenode/pow/randomx"
)

// TestNoCgo checks what a node built without cgo does: SHA-256d heights
// verify, RandomX heights are refused with randomx.ErrNoCgo, which is not a
// rule error.
func TestNoCgo(t *testing.T) {
	f, err := New(Config{
		AlgorithmAt: func(h int32) Algorithm {
			if h >= 10 {
				return RandomX
			}
			return SHA256d
		},
		PowLimit: powLimit,
		Seeds:    &seeds{},
	})
	if err != nil {
		t.Fatal(err)
	}
	for nonce := uint32(0); ; nonce++ {
		err := f.Verify(header(easyBits, nonce), 9)
		if err == nil {
			break
		}
		if !IsErrorCode(err, ErrHighHash) {
			t.Fatalf("sha256d height without cgo: %v", err)
		}
	}
	err = f.Verify(header(easyBits, 0), 10)
	var rerr RuleError
	if !errors.Is(err, randomx.ErrNoCgo) || errors.As(err, &rerr) {
		t.Fatalf("randomx height without cgo: %v", err)
	}
	t.Log(err)
}
