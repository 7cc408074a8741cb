package nodeapi

import (
	"bytes"
	"context"
	"testing"

	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/pegbox"
	"github.com/mainstake/sidenode/store"
)

// TestDepositsIn finds the deposits of each mainchain block by their
// confirmation height: two in one block, one in a later one, none in the
// blocks between, and none for a block that is not on the chain.
func TestDepositsIn(t *testing.T) {
	s := newPegSim(t)
	ctx := context.Background()
	L := s.p.PegEpochLength
	s.to(L - 2)
	s.stakers = stakersWeighing(pegKeys(t, 3))
	s.connect() // elects epoch 1
	var pkScript []byte
	if err := s.db.View(func(r store.Reader) error {
		f, _, err := pegbox.FederationAt(r, 1)
		if err == nil {
			pkScript, err = f.PkScript(s.p.Main)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	side := append([]byte{0x00, 0x14}, bytes.Repeat([]byte{0x11}, 20)...)
	deposit := func(value int64) *wire.MsgTx {
		return s.tx(wire.NewTxOut(value, pkScript), s.nullData(0, side))
	}
	s.to(L)
	s.connect(deposit(100_000), deposit(200_000))
	first := int32(len(s.hashes) - 1)
	s.connect()
	s.connect(deposit(300_000))
	last := int32(len(s.hashes) - 1)

	in := func(h int32) []int64 {
		t.Helper()
		deps, ok, err := s.b.DepositsIn(ctx, api.MainRef{Height: h, Hash: s.hashes[h]})
		if err != nil || !ok {
			t.Fatalf("block %d: %v %v", h, ok, err)
		}
		var vals []int64
		for _, d := range deps {
			if d.Height != h {
				t.Fatalf("block %d: deposit %+v", h, d)
			}
			vals = append(vals, d.Value)
		}
		return vals
	}
	if got := in(first); len(got) != 2 || got[0] != 100_000 || got[1] != 200_000 {
		t.Fatalf("block %d: %v", first, got)
	}
	if got := in(first + 1); len(got) != 0 {
		t.Fatalf("block %d: %v", first+1, got)
	}
	if got := in(last); len(got) != 1 || got[0] != 300_000 {
		t.Fatalf("block %d: %v", last, got)
	}
	if got := in(first - 1); len(got) != 0 {
		t.Fatalf("block %d: %v", first-1, got)
	}
	_, ok, err := s.b.DepositsIn(ctx, api.MainRef{Height: first, Hash: s.hashes[last]})
	if err != nil || ok {
		t.Fatalf("a block off the chain: %v %v", ok, err)
	}
	_, ok, err = s.b.DepositsIn(ctx, api.MainRef{Height: last + 1})
	if err != nil || ok {
		t.Fatalf("a height above the tip: %v %v", ok, err)
	}
}
