//go:build !cgo

package randomx

import (
	"errors"
	"strings"
	"testing"
)

func TestNoCgo(t *testing.T) {
	if Available {
		t.Fatal("Available in a build without cgo")
	}
	h, err := New(Config{})
	if !errors.Is(err, ErrNoCgo) || h != nil {
		t.Fatalf("New without cgo: %v, %v", h, err)
	}
	if _, err := h.Hash([]byte("k"), nil); !errors.Is(err, ErrNoCgo) {
		t.Fatalf("Hash without cgo: %v", err)
	}
	for _, word := range []string{"without cgo", "CGO_ENABLED=1", "librandomx-dev"} {
		if !strings.Contains(ErrNoCgo.Error(), word) {
			t.Errorf("ErrNoCgo does not say %q", word)
		}
	}
}
