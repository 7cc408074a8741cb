package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// TestSubscribeWithdrawals replays the fake sidechain's withdrawals, block
// by block, then follows a new block and a reorg.
func TestSubscribeWithdrawals(t *testing.T) {
	b := apitest.NewBackend(3)
	srv := apitest.StartServer(t, b, nil)
	c := dial(t, srv, api.ReadOnlyCredFilename)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := c.peg.SubscribeWithdrawals(ctx, &apiv1.SubscribeWithdrawalsRequest{
		Cursor: &apiv1.SidechainBlockRef{Hash: strings.Repeat("0", 64)}})
	if err != nil {
		t.Fatal(err)
	}
	recv := func() *apiv1.SubscribeWithdrawalsResponse {
		t.Helper()
		m, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if st := recv().GetState(); st.GetBlockHeight() != 2 || st.GetHash() != b.SideBest[2].String() {
		t.Fatalf("state %v, want the tip at 2", st)
	}
	want := []string{apitest.WithdrawalTxID(2).String() + ":0", "", apitest.WithdrawalTxID(1).String() + ":1"}
	for h, w := range want {
		ev := recv().GetConnected()
		if ev.GetBlock().GetBlockHeight() != int32(h) || ev.GetBlock().GetHash() != b.SideBest[h].String() {
			t.Fatalf("connected %v, want sideblock %d", ev, h)
		}
		var got string
		if ws := ev.GetWithdrawals(); len(ws) == 1 {
			got = ws[0].GetOutpoint()
		} else if len(ws) > 1 {
			t.Fatalf("sideblock %d: %v", h, ws)
		}
		if got != w {
			t.Fatalf("sideblock %d withdraws %q, want %q", h, got, w)
		}
	}
	added := b.ExtendSide(1)
	if ev := recv().GetConnected(); ev.GetBlock().GetHash() != added[0].Hash.String() ||
		len(ev.GetWithdrawals()) != 0 {
		t.Fatalf("new sideblock %v", ev)
	}
	gone, again := b.ReorgSide(1, 1, false)
	if ev := recv().GetDisconnected(); ev.GetBlock().GetHash() != gone[0].Hash.String() {
		t.Fatalf("disconnected %v, want %v", ev, gone[0].Hash)
	}
	if ev := recv().GetConnected(); ev.GetBlock().GetHash() != again[0].Hash.String() {
		t.Fatalf("connected %v, want %v", ev, again[0].Hash)
	}
}
