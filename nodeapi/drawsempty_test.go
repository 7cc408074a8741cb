package nodeapi

import (
	"context"
	"testing"

	"github.com/mainstake/sidenode/api"
)

// TestDrawsAfterEmptyStore follows the mainchain from a store that has
// no block yet, as a stream opened on a fresh node does: the position
// MainTip reports then reads nothing, without an error, and the first
// block follows once connected.
func TestDrawsAfterEmptyStore(t *testing.T) {
	s := newPegSim(t)
	ctx := context.Background()
	tip, err := s.b.MainTip(ctx)
	if err != nil || tip.Height != -1 {
		t.Fatalf("tip %+v %v, want none", tip, err)
	}
	r, err := s.b.DrawsAfter(ctx, tip, 10)
	if err != nil || r.Disconnected != nil || len(r.Connected) != 0 {
		t.Fatalf("read before the first block: %+v %v", r, err)
	}
	s.to(1)
	r, err = s.b.DrawsAfter(ctx, tip, 10)
	if err != nil || len(r.Connected) != 2 || r.Connected[0].BlockHash != s.hashes[0] {
		t.Fatalf("read after two blocks: %+v %v", r, err)
	}
	if _, err := s.b.DrawsAfter(ctx, api.MainRef{Height: -1, Hash: s.hashes[0]}, 10); err != nil &&
		!api.IsErrorCode(err, api.ErrNotFound) {
		t.Fatalf("a malformed position: %v", err)
	}
}
