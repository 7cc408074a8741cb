package api_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// TestSubscribeWalletTransactions replays the wallet's transactions from
// the genesis block, one event per mainchain block, sees a reorg take a
// block back, and resumes from a cursor; the read-only credential may
// follow it, and a node without a wallet refuses it.
func TestSubscribeWalletTransactions(t *testing.T) {
	b := apitest.NewBackend(0)
	b.WalletTxsIn = map[int32][]api.WalletTx{
		4: {{TxID: apitest.ConfirmedTxID, Confirmed: true, Height: 4, Confirmations: 8,
			Received: 100_000, Fee: -1}},
	}
	srv := apitest.StartServer(t, b, nil)
	c := dial(t, srv, api.ReadOnlyCredFilename)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	main := b.MainChain()
	stream, err := c.wallet.SubscribeWalletTransactions(ctx, &apiv1.SubscribeWalletTransactionsRequest{
		Cursor: &apiv1.MainchainBlockRef{Height: 0, Hash: main[0].BlockHash.String()}})
	if err != nil {
		t.Fatal(err)
	}
	recv := func() *apiv1.SubscribeWalletTransactionsResponse {
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
	for h := int32(1); h <= 11; h++ {
		ev := recv().GetConnected()
		if ev.GetBlock().GetHeight() != h || ev.GetBlock().GetHash() != main[h].BlockHash.String() {
			t.Fatalf("connected %v, want block %d", ev, h)
		}
		txs := ev.GetTransactions()
		if h != 4 && len(txs) != 0 || h == 4 && (len(txs) != 1 ||
			txs[0].GetTxid() != apitest.ConfirmedTxID.String() || txs[0].GetBlockHeight() != 4 ||
			txs[0].GetNumConfirmations() != 8 || txs[0].GetReceivedSat() != 100_000) {
			t.Fatalf("block %d: transactions %v", h, txs)
		}
	}

	undone, added := b.ReorgMain(1, 1)
	if dis := recv().GetDisconnected(); dis.GetBlock().GetHeight() != 11 ||
		dis.GetBlock().GetHash() != undone[0].BlockHash.String() || len(dis.GetTransactions()) != 0 {
		t.Fatalf("disconnected %v, want block 11", dis)
	}
	if con := recv().GetConnected(); con.GetBlock().GetHash() != added[0].BlockHash.String() {
		t.Fatalf("connected %v, want the new block 11", con)
	}
	cancel()

	// Resuming from block 9 sends 10 and the new 11 only.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	s2, err := c.wallet.SubscribeWalletTransactions(ctx2, &apiv1.SubscribeWalletTransactionsRequest{
		Cursor: &apiv1.MainchainBlockRef{Height: 9, Hash: main[9].BlockHash.String()}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"", main[10].BlockHash.String(), added[0].BlockHash.String()} {
		m, err := s2.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if want == "" {
			continue // the state
		}
		if got := m.GetConnected().GetBlock().GetHash(); got != want {
			t.Fatalf("resumed stream sends block %s, want %s", got, want)
		}
	}

	// Without a wallet: FailedPrecondition, at the first block.
	b.SetWalletErr(api.Errorf(api.ErrNoWallet, "the node runs without a wallet"))
	s3, err := c.wallet.SubscribeWalletTransactions(ctx2, &apiv1.SubscribeWalletTransactionsRequest{
		Cursor: &apiv1.MainchainBlockRef{Height: 9, Hash: main[9].BlockHash.String()}})
	if err == nil {
		for err == nil {
			_, err = s3.Recv()
		}
	}
	wantCode(t, "no wallet", err, codes.FailedPrecondition)
}
