package nodeapi

import (
	"context"
	"testing"

	"github.com/mainstake/sidenode/api"
)

// TestSideTransactions: the node's sidechain history holds its coinbases
// and its payment, with what each received and spent, within the window
// of blocks asked for.
func TestSideTransactions(t *testing.T) {
	s := newSideSim(t)
	ctx := context.Background()
	to, _ := otherAddress(t, s.b.params)
	s.produce()
	s.produce()
	for s.mainTip < 100 {
		s.next(nil)
	}
	txid, err := s.b.SendSide(ctx, to, 10_000_000, 0)
	if err != nil {
		t.Fatal(err)
	}
	s.produce() // mines the payment

	h, err := s.b.SideTransactions(ctx, 1000, api.Page{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if h.Total != 4 || len(h.Txs) != 4 || h.FromHeight != 0 {
		t.Fatalf("history %+v", h)
	}
	for i, tx := range h.Txs[:3] {
		if !tx.Coinbase || tx.Received != simSubsidy && i < 2 || tx.Sent != 0 {
			t.Errorf("coinbase %d %+v", i, tx)
		}
	}
	pay := h.Txs[3]
	if pay.TxID != txid || pay.Coinbase || pay.Sent != simSubsidy ||
		pay.Received <= simSubsidy-10_000_000-1000 || pay.Confirmations != 1 {
		t.Errorf("payment %+v", pay)
	}
	// The newest first, and a window of one block: its coinbase (which
	// also collects the payment's fee) and the payment.
	h, err = s.b.SideTransactions(ctx, 1, api.Page{Limit: 10, Reversed: true})
	if err != nil || h.Total != 2 || h.Txs[0].TxID != txid {
		t.Fatalf("window of one block %+v %v", h, err)
	}
}
