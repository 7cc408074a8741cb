package api_test

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

func TestWalletPayments(t *testing.T) {
	b := apitest.NewBackend(2)
	srv := apitest.StartServer(t, b, nil)
	c := dial(t, srv, api.AdminCredFilename)
	ctx := context.Background()

	sent, err := c.wallet.SendMain(ctx, &apiv1.SendMainRequest{ToAddress: apitest.MainAddress,
		AmountSat: 50_000, FeeRateSatVb: 4})
	if err != nil || sent.GetFeeSat() != 564 || sent.GetVsize() != 141 {
		t.Fatalf("SendMain %v %v", sent, err)
	}
	for _, req := range []*apiv1.SendMainRequest{
		{AmountSat: 1},
		{ToAddress: apitest.MainAddress},
		{ToAddress: apitest.MainAddress, AmountSat: -5},
		{ToAddress: apitest.MainAddress, AmountSat: 5, FeeRateSatVb: -1},
		{ToAddress: apitest.SideAddress, AmountSat: 5},
	} {
		_, err := c.wallet.SendMain(ctx, req)
		wantCode(t, req.String(), err, codes.InvalidArgument)
	}

	coins, err := c.wallet.ListCoins(ctx, &apiv1.ListCoinsRequest{MinConf: 0})
	if err != nil || coins.GetTotal() != 2 || coins.GetCoins()[1].GetNumConfirmations() != 0 ||
		!coins.GetCoins()[1].GetChange() {
		t.Fatalf("ListCoins min_conf 0: %v %v", coins, err)
	}
	coins, err = c.wallet.ListCoins(ctx, &apiv1.ListCoinsRequest{MinConf: 1})
	if err != nil || coins.GetTotal() != 1 {
		t.Fatalf("ListCoins min_conf 1: %v %v", coins, err)
	}
	_, err = c.wallet.ListCoins(ctx, &apiv1.ListCoinsRequest{MinConf: -1})
	wantCode(t, "negative min_conf", err, codes.InvalidArgument)

	txs, err := c.wallet.ListWalletTransactions(ctx, &apiv1.ListWalletTransactionsRequest{Reversed: true})
	if err != nil || txs.GetTotal() != 2 {
		t.Fatalf("ListWalletTransactions %v %v", txs, err)
	}
	if first := txs.GetTransactions()[0]; first.GetConfirmed() || first.GetNetSat() != -60_000_000 ||
		!first.GetReplaceable() {
		t.Errorf("newest transaction %v", first)
	}
	tx, err := c.wallet.GetWalletTransaction(ctx, &apiv1.GetWalletTransactionRequest{Txid: apitest.WalletTxID.String()})
	if err != nil || tx.GetRawHex() == "" || tx.GetTransaction().GetFeeSat() != 282 {
		t.Fatalf("GetWalletTransaction %v %v", tx, err)
	}
	_, err = c.wallet.GetWalletTransaction(ctx, &apiv1.GetWalletTransactionRequest{Txid: "00"})
	wantCode(t, "short txid", err, codes.InvalidArgument)

	bump, err := c.wallet.BumpFee(ctx, &apiv1.BumpFeeRequest{Txid: apitest.WalletTxID.String(), FeeRateSatVb: 10})
	if err != nil || bump.GetReplacedTxid() != apitest.WalletTxID.String() || bump.GetFeeSat() <= bump.GetOldFeeSat() {
		t.Fatalf("BumpFee %v %v", bump, err)
	}
	_, err = c.wallet.BumpFee(ctx, &apiv1.BumpFeeRequest{Txid: apitest.WalletTxID.String()})
	wantCode(t, "bump without a rate", err, codes.InvalidArgument)
	_, err = c.wallet.BumpFee(ctx, &apiv1.BumpFeeRequest{Txid: apitest.ConfirmedTxID.String(), FeeRateSatVb: 10})
	wantCode(t, "bump of a confirmed tx", err, codes.FailedPrecondition)

	_, err = c.wallet.ChangePassphrase(ctx, &apiv1.ChangePassphraseRequest{CurrentPassphrase: "nope", NewPassphrase: "x"})
	wantCode(t, "wrong passphrase", err, codes.InvalidArgument)
	_, err = c.wallet.ChangePassphrase(ctx, &apiv1.ChangePassphraseRequest{CurrentPassphrase: apitest.FakePassphrase})
	wantCode(t, "empty new passphrase", err, codes.InvalidArgument)
	seed, err := c.wallet.BackupSeed(ctx, &apiv1.BackupSeedRequest{Passphrase: apitest.FakePassphrase})
	if err != nil || len(seed.GetSeedHex()) != 128 || len(seed.GetMnemonic()) != 24 || seed.GetLegacy() {
		t.Fatalf("BackupSeed %v %v", seed, err)
	}

	side, err := c.wallet.ListSideTransactions(ctx, &apiv1.ListSideTransactionsRequest{Blocks: 1, Reversed: true})
	if err != nil || side.GetTotal() != 2 || side.GetTransactions()[0].GetNetSat() != 1_000-5_000_000_000 ||
		side.GetFromBlockHeight() != 2 || side.GetToBlockHeight() != 2 {
		t.Fatalf("ListSideTransactions %v %v", side, err)
	}
	_, err = c.wallet.ListSideTransactions(ctx, &apiv1.ListSideTransactionsRequest{Blocks: 10_001})
	wantCode(t, "too many blocks", err, codes.InvalidArgument)

	// The read-only credential neither sends nor reads the seed.
	ro := dial(t, srv, api.ReadOnlyCredFilename)
	_, err = ro.wallet.BackupSeed(ctx, &apiv1.BackupSeedRequest{Passphrase: apitest.FakePassphrase})
	wantCode(t, "read-only backup", err, codes.PermissionDenied)
	if _, err := ro.wallet.ListCoins(ctx, &apiv1.ListCoinsRequest{}); err != nil {
		t.Fatalf("read-only ListCoins: %v", err)
	}
}

// TestWaitingForWallet: a server of a node that waits for its wallet
// answers only CreateWallet and UnlockWallet, after the credential checks.
func TestWaitingForWallet(t *testing.T) {
	b := apitest.NewBackend(2)
	srv := apitest.StartServer(t, b, func(cfg *api.Config) { cfg.WaitingForWallet = true })
	c := dial(t, srv, api.AdminCredFilename)
	ctx := context.Background()
	_, err := c.node.GetInfo(ctx, &apiv1.GetInfoRequest{})
	wantCode(t, "GetInfo while waiting", err, codes.FailedPrecondition)
	_, err = c.wallet.GetBalance(ctx, &apiv1.GetBalanceRequest{})
	wantCode(t, "GetBalance while waiting", err, codes.FailedPrecondition)
	_, err = c.wallet.UnlockWallet(ctx, &apiv1.UnlockWalletRequest{Passphrase: "wrong"})
	wantCode(t, "wrong passphrase", err, codes.InvalidArgument)
	if _, err := c.wallet.UnlockWallet(ctx, &apiv1.UnlockWalletRequest{Passphrase: apitest.FakePassphrase}); err != nil {
		t.Fatal(err)
	}
	_, err = c.wallet.CreateWallet(ctx, &apiv1.CreateWalletRequest{})
	wantCode(t, "empty passphrase", err, codes.InvalidArgument)
	created, err := c.wallet.CreateWallet(ctx, &apiv1.CreateWalletRequest{Passphrase: "p"})
	if err != nil || len(created.GetSeedHex()) != 128 ||
		strings.Join(created.GetMnemonic(), " ") != strings.Join(apitest.FakeMnemonic(), " ") {
		t.Fatalf("CreateWallet %v %v", created, err)
	}
	// A restore: the words reach the backend, and are not sent back.
	words := apitest.FakeMnemonic()
	restored, err := c.wallet.CreateWallet(ctx, &apiv1.CreateWalletRequest{Passphrase: "p", Mnemonic: words})
	if err != nil || len(restored.GetMnemonic()) != 0 ||
		strings.Join(b.LastMnemonic(), " ") != strings.Join(words, " ") {
		t.Fatalf("CreateWallet with a mnemonic %v %v", restored, err)
	}
	words[6] = "foo"
	_, err = c.wallet.CreateWallet(ctx, &apiv1.CreateWalletRequest{Passphrase: "p", Mnemonic: words})
	wantCode(t, "an unknown word", err, codes.InvalidArgument)
	if st, _ := status.FromError(err); !strings.Contains(st.Message(), "word 7 'foo' is not a BIP39 English word") {
		t.Errorf("an unknown word: %q", st.Message())
	}
	ro := dial(t, srv, api.ReadOnlyCredFilename)
	_, err = ro.wallet.UnlockWallet(ctx, &apiv1.UnlockWalletRequest{Passphrase: apitest.FakePassphrase})
	wantCode(t, "read-only unlock", err, codes.PermissionDenied)
}

// TestSideFeeRateInSatPerVByte: sidechain payments take their fee rate in
// sat/vB too (1 sat/vB = 1,000 sat/kB), and the estimate gives it.
func TestSideFeeRateInSatPerVByte(t *testing.T) {
	b := apitest.NewBackend(2)
	srv := apitest.StartServer(t, b, nil)
	c := dial(t, srv, api.AdminCredFilename)
	ctx := context.Background()

	if _, err := c.wallet.SendSide(ctx, &apiv1.SendSideRequest{ToAddress: apitest.OtherSideAddress,
		AmountSat: 10_000, FeeRateSatVb: 3}); err != nil {
		t.Fatal(err)
	}
	if s := b.LastSend(); s == nil || s.FeeRate != 3_000 {
		t.Fatalf("SendSide at 3 sat/vB: backend got %+v", s)
	}
	_, err := c.wallet.SendSide(ctx, &apiv1.SendSideRequest{ToAddress: apitest.OtherSideAddress,
		AmountSat: 10_000, FeeRateSatVb: 3, FeeRateSatKb: 3000})
	wantCode(t, "both rates", err, codes.InvalidArgument)
	_, err = c.wallet.SendSide(ctx, &apiv1.SendSideRequest{ToAddress: apitest.OtherSideAddress,
		AmountSat: 10_000, FeeRateSatVb: 1 << 62})
	wantCode(t, "huge rate", err, codes.InvalidArgument)

	if _, err := c.wallet.PegOut(ctx, &apiv1.PegOutRequest{DestinationAddress: apitest.MainAddress,
		AmountSat: 100_000, FeeRateSatVb: 2}); err != nil {
		t.Fatal(err)
	}
	if p := b.LastPegOut(); p == nil || p.FeeRate != 2_000 {
		t.Fatalf("PegOut at 2 sat/vB: backend got %+v", p)
	}
	est, err := c.sidechain.EstimateFee(ctx, &apiv1.EstimateFeeRequest{})
	if err != nil || est.GetFeeRateSatVb() != 2 || est.GetMinFeeRateSatVb() != 1 {
		t.Fatalf("EstimateFee %v %v", est, err)
	}
}
