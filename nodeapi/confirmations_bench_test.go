package nodeapi

import (
	"context"
	"testing"

	"github.com/mainstake/sidenode/api"
)

// BenchmarkConfirmations measures GetConfirmations' backend over an
// in-memory store: a coinbase transaction 50 sideblocks deep, found
// through the transaction index, its block's depths read in one snapshot.
//
//	go test ./nodeapi -run '^$' -bench Confirmations
func BenchmarkConfirmations(b *testing.B) {
	s := newSideSim(b)
	first := s.produce()
	for i := 0; i < 49; i++ {
		s.produce()
	}
	ctx := context.Background()
	q := api.ConfirmationsQuery{ID: first.Transactions[0].TxHash()}
	c, err := s.b.Confirmations(ctx, q)
	if err != nil || c.Value() != 50 {
		b.Fatalf("confirmations %+v, %v", c, err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.b.Confirmations(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}
