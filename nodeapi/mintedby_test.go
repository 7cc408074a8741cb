package nodeapi

import (
	"context"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/pegbox"
	"github.com/mainstake/sidenode/store"
)

// TestDepositListsShowMintingBlock checks that ListDeposits and GetDeposit
// name, for each minted deposit, the sideblock that minted it: two
// deposits minted by one sideblock, a third by the next, and a fourth, not
// minted yet, by none. The deposit stream's blocks (DepositsIn) leave it
// unset.
func TestDepositListsShowMintingBlock(t *testing.T) {
	s := newSideSim(t)
	b, ctx := s.b, context.Background()
	p := b.params
	x, err := pegbox.NewIndex(s.db, p, mainwatch.NewWatchList())
	if err != nil {
		t.Fatal(err)
	}
	s.peg, b.pegbox = x, x
	s.stakers = stakersWeighing(pegKeys(t, 1))
	s.chain.SetDeposits(x.MintSource())

	s.produce() // lottery height 0
	s.produce() // lottery height 1
	for s.mainTip < 100 {
		s.next(nil)
	}
	var fed *pegbox.Federation
	err = s.db.View(func(r store.Reader) error {
		var ok bool
		fed, ok, err = pegbox.FederationAt(r, 2)
		if err == nil && !ok {
			t.Fatal("no federation for epoch 2")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	pegScript, err := fed.PkScript(p.Main)
	if err != nil {
		t.Fatal(err)
	}
	nullData, err := opreturn.Encode(p.SidechainID, &opreturn.Deposit{Vout: 0, SideScript: s.own})
	if err != nil {
		t.Fatal(err)
	}
	deposit := func(tag byte, value int64) *wire.MsgTx {
		tx := wire.NewMsgTx(2)
		tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{tag}}, nil, nil))
		tx.AddTxOut(wire.NewTxOut(value, pegScript))
		tx.AddTxOut(wire.NewTxOut(0, nullData))
		return tx
	}

	deps := []*wire.MsgTx{deposit(0xf0, 10_000_000), deposit(0xf1, 20_000_000),
		deposit(0xf2, 30_000_000), deposit(0xf3, 40_000_000)}
	s.mainTxs = deps[:2]
	s.next(nil) // 101: deposits 0 and 1
	s.next(nil) // 102: both matured
	first := s.produce()
	s.mainTxs = deps[2:3]
	s.next(nil) // 104: deposit 2
	s.next(nil) // 105: matured
	second := s.produce()
	s.mainTxs = deps[3:]
	s.next(nil) // 107: deposit 3, confirming

	firstRef := &api.SideRef{Height: 2, Hash: first.BlockHash()}
	secondRef := &api.SideRef{Height: 3, Hash: second.BlockHash()}
	want := []*api.SideRef{firstRef, firstRef, secondRef, nil}
	check := func(what string, d api.Deposit) {
		t.Helper()
		w := want[d.Seq]
		switch {
		case w == nil && (d.MintedBy != nil || d.Status == api.DepositMinted):
			t.Errorf("%s: deposit %d (%v) minted by %+v, want none", what, d.Seq, d.Status, d.MintedBy)
		case w != nil && (d.MintedBy == nil || *d.MintedBy != *w || d.Status != api.DepositMinted):
			t.Errorf("%s: deposit %d (%v) minted by %+v, want %+v", what, d.Seq, d.Status, d.MintedBy, *w)
		}
	}

	// The whole list, and a reversed page in the middle.
	ds, total, err := b.Deposits(ctx, api.Page{Limit: 10})
	if err != nil || total != 4 || len(ds) != 4 {
		t.Fatalf("deposits: %+v %d %v", ds, total, err)
	}
	for _, d := range ds {
		check("ListDeposits", d)
	}
	ds, _, err = b.Deposits(ctx, api.Page{Offset: 1, Limit: 2, Reversed: true})
	if err != nil || len(ds) != 2 || ds[0].Seq != 2 || ds[1].Seq != 1 {
		t.Fatalf("reversed page: %+v %v", ds, err)
	}
	for _, d := range ds {
		check("ListDeposits reversed", d)
	}

	// The deposit stream's connected blocks.
	for _, h := range []int32{101, 104, 107} {
		ds, ok, err := b.DepositsIn(ctx, api.MainRef{Height: h, Hash: s.hashes[h]})
		if err != nil || !ok || len(ds) == 0 {
			t.Fatalf("deposits in %d: %+v %v %v", h, ds, ok, err)
		}
		for _, d := range ds {
			if d.MintedBy != nil {
				t.Errorf("DepositsIn %d: minted_by %v, want it unset in the stream", d.Seq, d.MintedBy)
			}
		}
	}

	// GetDeposit keeps naming it.
	for _, tx := range deps {
		found, err := b.Deposit(ctx, api.DepositQuery{TxID: tx.TxHash()})
		if err != nil || found.Accepted == nil {
			t.Fatalf("deposit %v: %+v %v", tx.TxHash(), found, err)
		}
		check("GetDeposit", *found.Accepted)
	}
}
