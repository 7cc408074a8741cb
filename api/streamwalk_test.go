package api_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// leavingBackend says once that mainchain block 5 left the chain when the
// deposit stream asks for its deposits.
type leavingBackend struct {
	*apitest.Backend
	asked5 atomic.Int32
}

func (b *leavingBackend) DepositsIn(ctx context.Context, block api.MainRef) ([]api.Deposit, bool, error) {
	if block.Height == 5 && b.asked5.Add(1) == 1 {
		return nil, false, nil
	}
	return b.Backend.DepositsIn(ctx, block)
}

// TestStreamRereadsBlockThatLeft checks that a stream whose block left the
// chain between its page's read and its send reads again from the last
// block sent: it neither skips nor repeats a block.
func TestStreamRereadsBlockThatLeft(t *testing.T) {
	b := &leavingBackend{Backend: apitest.NewBackend(3)}
	main := b.MainChain()
	genesis := &apiv1.MainchainBlockRef{Height: 0, Hash: main[0].BlockHash.String()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	peg := dial(t, apitest.StartServer(t, b, nil), api.ReadOnlyCredFilename).peg
	stream, err := peg.SubscribeDeposits(ctx, &apiv1.SubscribeDepositsRequest{Cursor: genesis})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil { // the state
		t.Fatal(err)
	}
	for h := int32(1); h <= 11; h++ {
		m, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if got := m.GetConnected().GetBlock(); got.GetHeight() != h ||
			got.GetHash() != main[h].BlockHash.String() {
			t.Fatalf("connected %v, want block %d", got, h)
		}
	}
	if n := b.asked5.Load(); n != 2 {
		t.Fatalf("block 5's deposits read %d times, want 2", n)
	}
}
