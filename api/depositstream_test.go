package api_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// TestSubscribeDeposits replays every deposit from the genesis block,
// follows a new one, resumes from a cursor, and sees a reorg take a
// deposit's block back.
func TestSubscribeDeposits(t *testing.T) {
	b := apitest.NewBackend(3)
	srv := apitest.StartServer(t, b, nil)
	c := dial(t, srv, api.ReadOnlyCredFilename)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	main := b.MainChain()
	stream, err := c.peg.SubscribeDeposits(ctx, &apiv1.SubscribeDepositsRequest{
		Cursor: &apiv1.MainchainBlockRef{Height: 0, Hash: main[0].BlockHash.String()}})
	if err != nil {
		t.Fatal(err)
	}
	recv := func() *apiv1.SubscribeDepositsResponse {
		t.Helper()
		m, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if st := recv().GetState(); st.GetHeight() != 11 || st.GetHash() != main[11].BlockHash.String() {
		t.Fatalf("state %v, want the tip at 11", st)
	}
	// Blocks 1 to 11; the fake's deposits confirmed at 9, 10 and 11.
	var seqs []uint64
	for h := int32(1); h <= 11; h++ {
		ev := recv().GetConnected()
		if ev.GetBlock().GetHeight() != h || ev.GetBlock().GetHash() != main[h].BlockHash.String() {
			t.Fatalf("connected %v, want block %d", ev, h)
		}
		for _, d := range ev.GetDeposits() {
			if d.GetConfHeight() != h {
				t.Fatalf("block %d carries deposit %v", h, d)
			}
			seqs = append(seqs, d.GetSeq())
		}
	}
	if len(seqs) != 3 || seqs[0] != 0 || seqs[2] != 2 {
		t.Fatalf("replayed deposits %v, want 0, 1, 2", seqs)
	}

	d := b.AddDeposit(750_000)
	ev := recv().GetConnected()
	if ev.GetBlock().GetHeight() != 12 || len(ev.GetDeposits()) != 1 ||
		ev.GetDeposits()[0].GetSeq() != 3 || ev.GetDeposits()[0].GetValueSat() != 750_000 {
		t.Fatalf("new deposit's event %v, want deposit %v", ev, d)
	}

	undone, added := b.ReorgMain(1, 1)
	if dis := recv().GetDisconnected(); dis.GetBlock().GetHeight() != 12 ||
		dis.GetBlock().GetHash() != undone[0].BlockHash.String() || len(dis.GetDeposits()) != 0 {
		t.Fatalf("disconnected %v, want block 12", dis)
	}
	if con := recv().GetConnected(); con.GetBlock().GetHash() != added[0].BlockHash.String() {
		t.Fatalf("connected %v, want the new block 12", con)
	}

	// Resuming from block 10 sends 11 and the new 12 only.
	cancel()
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	s2, err := c.peg.SubscribeDeposits(ctx2, &apiv1.SubscribeDepositsRequest{
		Cursor: &apiv1.MainchainBlockRef{Height: 10, Hash: main[10].BlockHash.String()}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []int32{-1, 11, 12} {
		m, err := s2.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if want < 0 {
			continue // the state
		}
		if got := m.GetConnected().GetBlock().GetHeight(); got != want {
			t.Fatalf("resumed stream sends block %d, want %d", got, want)
		}
	}

	// A cursor the node does not know fails before any message.
	s3, err := c.peg.SubscribeDeposits(ctx2, &apiv1.SubscribeDepositsRequest{
		Cursor: &apiv1.MainchainBlockRef{Height: 5, Hash: main[10].BlockHash.String()}})
	if err == nil {
		_, err = s3.Recv()
	}
	if code := status.Code(err); code != codes.NotFound && code != codes.InvalidArgument {
		t.Fatalf("unknown cursor: %v", err)
	}
}
