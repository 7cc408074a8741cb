package nodeapi

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/pegbox"
	"github.com/mainstake/sidenode/store"
)

// TestRefusedDepositOutlivesItsCoins refuses two transactions that pay the
// pegbox with a payload naming none of their outputs, has a rotation move
// their coins to the next federation's pegbox, and checks that
// ListRefusedDeposits and GetDeposit still show the output that paid the
// pegbox, its value and its address, and every output that paid it.
func TestRefusedDepositOutlivesItsCoins(t *testing.T) {
	s := newPegSim(t)
	b, ctx := s.b, context.Background()
	L := s.p.PegEpochLength
	side := append([]byte{0x00, 0x14}, bytes.Repeat([]byte{0x11}, 20)...)
	privs := pegKeys(t, 6)
	s.stakers = stakersWeighing(privs[:3])
	s.to(L - 1) // elects epoch 1
	var from, to *pegbox.Federation
	var pkScript []byte
	view := func(fn func(r store.Reader) error) {
		t.Helper()
		if err := s.db.View(fn); err != nil {
			t.Fatal(err)
		}
	}
	view(func(r store.Reader) error {
		var err error
		from, _, _ = pegbox.FederationAt(r, 1)
		pkScript, err = from.PkScript(s.p.Main)
		return err
	})
	addr := scriptAddress(pkScript, s.p.Main)

	badVout := s.tx(wire.NewTxOut(80_000, pkScript), wire.NewTxOut(5_000, pkScript), s.nullData(7, side))
	noPayload := s.tx(wire.NewTxOut(90_000, pkScript))
	s.connect(badVout, noPayload)

	want := []struct {
		tx     *wire.MsgTx
		reason string
		outs   []int64 // the values of the outputs that paid the pegbox, from vout 0
	}{
		{badVout, "ErrBadDepositVout", []int64{80_000, 5_000}},
		{noPayload, "ErrNoDeposit", []int64{90_000}},
	}
	check := func(when string) {
		t.Helper()
		refused, total, err := b.RefusedDeposits(ctx, api.Page{Limit: 10})
		if err != nil || total != 2 || len(refused) != 2 {
			t.Fatalf("%s: refused %+v %d %v", when, refused, total, err)
		}
		for i, w := range want {
			found, err := b.Deposit(ctx, api.DepositQuery{TxID: w.tx.TxHash()})
			if err != nil || found.Refused == nil {
				t.Fatalf("%s: GetDeposit %d: %+v %v", when, i, found, err)
			}
			first := wire.OutPoint{Hash: w.tx.TxHash()}
			byOutPoint, err := b.Deposit(ctx, api.DepositQuery{TxID: first.Hash, OutPoint: first, ByOutPoint: true})
			if err != nil || byOutPoint.Refused == nil {
				t.Fatalf("%s: GetDeposit %v: %+v %v", when, first, byOutPoint, err)
			}
			for _, r := range []api.RefusedDeposit{refused[i], *found.Refused, *byOutPoint.Refused} {
				if r.TxID != w.tx.TxHash() || r.Reason != w.reason || !r.HasOutPoint ||
					r.OutPoint != first || r.Value != w.outs[0] || r.Address != addr ||
					!strings.Contains(r.Message, first.String()) || !strings.Contains(r.Message, addr) {
					t.Errorf("%s: refusal %d %+v", when, i, r)
				}
				if len(w.outs) > 1 && !strings.Contains(r.Message, "85000 sat in all") {
					t.Errorf("%s: refusal %d message %q does not sum the outputs", when, i, r.Message)
				}
				if len(r.PegboxOutputs) != len(w.outs) {
					t.Fatalf("%s: refusal %d pegbox outputs %+v", when, i, r.PegboxOutputs)
				}
				for j, o := range r.PegboxOutputs {
					if o.OutPoint != (wire.OutPoint{Hash: first.Hash, Index: uint32(j)}) ||
						o.Value != w.outs[j] || o.Address != addr {
						t.Errorf("%s: refusal %d pegbox output %d %+v", when, i, j, o)
					}
				}
			}
		}
	}
	check("while the pegbox holds the coins")

	// Epoch 2 elects other stakers; a rotation moves every coin.
	s.stakers = stakersWeighing(privs[3:])
	s.to(2*L - 1)
	var coins []pegbox.Coin
	view(func(r store.Reader) error {
		var err error
		to, _, _ = pegbox.FederationAt(r, 2)
		coins, err = pegbox.Coins(r)
		return err
	})
	if len(coins) != 3 {
		t.Fatalf("coins before the rotation %+v", coins)
	}
	rot, err := pegbox.BuildRotation(s.p, coins, from, to, 0)
	if err != nil {
		t.Fatal(err)
	}
	s.connect(rot.Tx)
	view(func(r store.Reader) error {
		coins, err := pegbox.Coins(r)
		if err != nil || len(coins) != 1 || coins[0].OutPoint.Hash != rot.Tx.TxHash() {
			t.Fatalf("coins after the rotation %+v %v", coins, err)
		}
		return nil
	})
	check("after the rotation spent them")
}
