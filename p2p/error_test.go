package p2p

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// TestErrorCodeStringer keeps errorCodeStrings complete: every code has a
// name.
func TestErrorCodeStringer(t *testing.T) {
	for c := ErrorCode(0); c < numErrorCodes; c++ {
		if strings.HasPrefix(c.String(), "Unknown") {
			t.Errorf("error code %d has no entry in errorCodeStrings",
				int(c))
		}
	}
	if len(errorCodeStrings) != int(numErrorCodes) {
		t.Errorf("errorCodeStrings has %d entries, want %d",
			len(errorCodeStrings), numErrorCodes)
	}
	if s := numErrorCodes.String(); !strings.HasPrefix(s, "Unknown") {
		t.Errorf("numErrorCodes.String() = %q", s)
	}
}

// TestIsErrorCode checks that codes are found through wrapping.
func TestIsErrorCode(t *testing.T) {
	err := fmt.Errorf("outer: %w", ruleError(ErrBadHash, "hash"))
	if !IsErrorCode(err, ErrBadHash) {
		t.Fatal("wrapped code not found")
	}
	if IsErrorCode(err, ErrBadHeader) || IsErrorCode(nil, ErrBadHash) {
		t.Fatal("wrong code found")
	}
	var me *MisbehaviorError
	wrapped := fmt.Errorf("block: %w", &MisbehaviorError{Score: 3, Reason: "r"})
	if !errors.As(wrapped, &me) || me.Score != 3 {
		t.Fatal("MisbehaviorError not found through wrapping")
	}
}

// TestKnownInventory checks the LRU bound and the announced mark.
func TestKnownInventory(t *testing.T) {
	k := newKnownInventory(3)
	it := func(b byte) InvItem { return BlockItem(chainhash.Hash{b}) }
	k.add(it(1), false)
	k.add(it(2), true)
	k.add(it(3), false)
	k.add(it(1), true) // refresh 1: 2 is now the oldest
	k.add(it(4), false)
	if k.has(it(2)) || !k.has(it(1)) || !k.has(it(3)) || !k.has(it(4)) {
		t.Fatal("wrong item evicted")
	}
	if !k.announced(it(1)) || k.announced(it(3)) || k.announced(it(2)) {
		t.Fatal("announced marks wrong")
	}
	if len(k.items) != 3 || k.order.Len() != 3 {
		t.Fatal("over the bound")
	}
}

// TestChunks splits item lists at the limit.
func TestChunks(t *testing.T) {
	items := make([]InvItem, 5)
	got := chunks(items, 2)
	if len(got) != 3 || len(got[0]) != 2 || len(got[2]) != 1 {
		t.Fatalf("chunks: %v", got)
	}
	if chunks(nil, 2) != nil {
		t.Fatal("chunks of nothing")
	}
}
