package node_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/wire"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mainstake/sidenode/devnet"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// TestWalletSendAndBump: against a real btcd, the wallet pays a mainchain
// address, its spent coin leaves the balance at once, btcd accepts the
// transaction and then its BIP125 replacement, and the replacement is
// mined and listed in place of the original. Then a stake of the wallet
// goes from locked to expired, withdrawing and withdrawn.
func TestWalletSendAndBump(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	net, err := devnet.New(t.TempDir(), sidenodeBinary(t), []devnet.NodeSpec{
		{Name: "a", Backend: "btcd"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopNet(t, net) })
	node := net.Nodes[0]
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := net.H.Generate(110); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if _, err := node.WaitContains(ctx, 0, "API server listening on"); err != nil {
		t.Fatal(err)
	}
	conn, err := node.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	wlt := apiv1.NewWalletServiceClient(conn)
	// New addresses while the node catches up with the 110 blocks: the
	// wallet's lock and the store's block batches once deadlocked here.
	for i := 0; i < 100; i++ {
		if _, err := wlt.NewAddress(ctx, &apiv1.NewAddressRequest{}); err != nil {
			t.Fatalf("new address %d during the catch-up: %v", i, err)
		}
	}
	mark := node.Mark()
	fundWallet(ctx, t, net, wlt, 500_000_000)
	// The payment is incoming from btcd's mempool, before any block.
	if _, err := node.WaitContains(ctx, mark, "Incoming 500000000 sat in mainchain mempool transaction"); err != nil {
		t.Fatal(err)
	}
	bal, err := wlt.GetBalance(ctx, &apiv1.GetBalanceRequest{MinConf: 1})
	if err != nil || bal.GetIncomingSat() != 500_000_000 || !bal.GetMempoolWatched() ||
		bal.GetConfirmedSat() != 0 || bal.GetSpendableSat() != 0 {
		t.Fatalf("balance with the funding in the mempool %v %v", bal, err)
	}
	mine := func() {
		t.Helper()
		mark := node.Mark()
		hashes, err := net.H.Generate(1)
		if err != nil {
			t.Fatal(err)
		}
		height, _, err := net.H.Tip()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := node.WaitContains(ctx, mark, fmt.Sprintf("connected block %d %v", height, hashes[0])); err != nil {
			t.Fatal(err)
		}
	}
	mine()
	bal, err = wlt.GetBalance(ctx, &apiv1.GetBalanceRequest{MinConf: 1})
	if err != nil || bal.GetConfirmedSat() != 500_000_000 || bal.GetIncomingSat() != 0 {
		t.Fatalf("balance after the funding block %v %v", bal, err)
	}

	dest, err := btcutil.NewAddressWitnessPubKeyHash(make([]byte, 20), net.H.Params)
	if err != nil {
		t.Fatal(err)
	}

	// Any mainchain transaction btcd knows, not only the wallet's: in its
	// mempool, then in a block (the devnet's btcd runs --txindex).
	others, err := net.H.Send([]*wire.TxOut{wire.NewTxOut(10_000_000, net.H.MiningScript)}, 2)
	if err != nil {
		t.Fatal(err)
	}
	mainSvc := apiv1.NewMainchainServiceClient(conn)
	mt, err := mainSvc.GetMainTransaction(ctx, &apiv1.GetMainTransactionRequest{Txid: others.TxHash().String()})
	if err != nil || mt.GetSource() != "btcd" || mt.GetBlockHash() != "" || mt.GetNumConfirmations() != 0 ||
		mt.GetRawHex() == "" {
		t.Fatalf("a mempool transaction of others %v %v", mt, err)
	}
	mine()
	mt, err = mainSvc.GetMainTransaction(ctx, &apiv1.GetMainTransactionRequest{Txid: others.TxHash().String()})
	if err != nil || mt.GetSource() != "btcd" || mt.GetBlockHash() == "" || mt.GetNumConfirmations() != 1 {
		t.Fatalf("a mined transaction of others %v %v", mt, err)
	}
	_, err = mainSvc.GetMainTransaction(ctx, &apiv1.GetMainTransactionRequest{Txid: strings.Repeat("01", 32)})
	if status.Code(err) != codes.NotFound || !strings.Contains(err.Error(), "btcd does not know it") {
		t.Fatalf("an unknown mainchain transaction: %v", err)
	}
	sent, err := wlt.SendMain(ctx, &apiv1.SendMainRequest{ToAddress: dest.EncodeAddress(),
		AmountSat: 100_000_000, FeeRateSatVb: 2})
	if err != nil {
		t.Fatal(err)
	}
	bal, err = wlt.GetBalance(ctx, &apiv1.GetBalanceRequest{MinConf: 1})
	if err != nil || bal.GetConfirmedSat() != 0 || bal.GetSpentUnconfirmedSat() != 500_000_000 ||
		bal.GetUnconfirmedSat() != 400_000_000-sent.GetFeeSat() {
		t.Fatalf("balance after the send %v %v", bal, err)
	}
	inMempool := func(txid string) bool {
		t.Helper()
		pool, err := net.H.Client().GetRawMempool()
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range pool {
			if h.String() == txid {
				return true
			}
		}
		return false
	}
	if !inMempool(sent.GetTxid()) {
		t.Fatal("btcd's mempool does not hold the payment")
	}

	bump, err := wlt.BumpFee(ctx, &apiv1.BumpFeeRequest{Txid: sent.GetTxid(), FeeRateSatVb: 12})
	if err != nil {
		t.Fatal(err)
	}
	if !inMempool(bump.GetTxid()) || inMempool(sent.GetTxid()) {
		t.Fatal("btcd did not take the replacement in place of the payment")
	}
	mine()
	got, err := wlt.GetWalletTransaction(ctx, &apiv1.GetWalletTransactionRequest{Txid: bump.GetTxid()})
	if err != nil || !got.GetTransaction().GetConfirmed() ||
		got.GetTransaction().GetFeeSat() != bump.GetFeeSat() ||
		got.GetTransaction().GetNetSat() != -100_000_000-bump.GetFeeSat() {
		t.Fatalf("mined replacement %v %v", got, err)
	}
	_, err = wlt.BumpFee(ctx, &apiv1.BumpFeeRequest{Txid: bump.GetTxid(), FeeRateSatVb: 20})
	if err == nil {
		t.Fatal("a confirmed transaction was bumped")
	}

	// A stake says where it stands: locked, expired, withdrawing,
	// withdrawn.
	if _, err := wlt.CreateStake(ctx, &apiv1.CreateStakeRequest{AmountSat: 100_000_000,
		LockBlocks: 12, FeeRateSatVb: 2}); err != nil {
		t.Fatal(err)
	}
	mine()
	state := func(want string) *apiv1.Ticket {
		t.Helper()
		stakes, err := wlt.ListStakes(ctx, &apiv1.ListStakesRequest{})
		if err != nil || len(stakes.GetTickets()) != 1 {
			t.Fatalf("stake list %v %v", stakes, err)
		}
		tk := stakes.GetTickets()[0]
		if tk.GetStakeState() != want {
			t.Fatalf("stake state %q, want %q (%v)", tk.GetStakeState(), want, tk)
		}
		return tk
	}
	tk := state("locked")
	for {
		height, _, err := net.H.Tip()
		if err != nil {
			t.Fatal(err)
		}
		if uint32(height) >= tk.GetLockHeight() {
			break
		}
		state("locked")
		mine()
	}
	state("expired")
	out, err := wlt.WithdrawStake(ctx, &apiv1.WithdrawStakeRequest{
		Stake: &apiv1.WithdrawStakeRequest_TicketId{TicketId: tk.GetId()}})
	if err != nil {
		t.Fatal(err)
	}
	if tk := state("withdrawing"); tk.GetWithdrawalTxid() != out.GetTxid() {
		t.Fatalf("withdrawing %v, sent %s", tk, out.GetTxid())
	}
	mine()
	height, _, err := net.H.Tip()
	if err != nil {
		t.Fatal(err)
	}
	if tk := state("withdrawn"); tk.GetWithdrawalTxid() != out.GetTxid() || tk.GetWithdrawnHeight() != height {
		t.Fatalf("withdrawn %v, at %d by %s", tk, height, out.GetTxid())
	}
}
