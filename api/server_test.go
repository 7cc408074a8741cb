package api_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// clients are the six service clients on one connection.
type clients struct {
	node         apiv1.NodeServiceClient
	mainchain    apiv1.MainchainServiceClient
	sidechain    apiv1.SidechainServiceClient
	wallet       apiv1.WalletServiceClient
	subscription apiv1.SubscriptionServiceClient
	peg          apiv1.PegServiceClient
	operator     apiv1.OperatorServiceClient
	mining       apiv1.MiningServiceClient
	pool         apiv1.PoolServiceClient
}

func newClients(conn *grpc.ClientConn) clients {
	return clients{
		node:         apiv1.NewNodeServiceClient(conn),
		mainchain:    apiv1.NewMainchainServiceClient(conn),
		sidechain:    apiv1.NewSidechainServiceClient(conn),
		wallet:       apiv1.NewWalletServiceClient(conn),
		subscription: apiv1.NewSubscriptionServiceClient(conn),
		peg:          apiv1.NewPegServiceClient(conn),
		operator:     apiv1.NewOperatorServiceClient(conn),
		mining:       apiv1.NewMiningServiceClient(conn),
		pool:         apiv1.NewPoolServiceClient(conn),
	}
}

// dial connects to srv over TLS with the credential in credFile (a file
// name in srv.Dir).
func dial(t *testing.T, srv *apitest.Server, credFile string) clients {
	t.Helper()
	cred, err := api.ReadCredential(filepath.Join(srv.Dir, credFile))
	if err != nil {
		t.Fatal(err)
	}
	return dialWith(t, srv, cred)
}

func dialWith(t *testing.T, srv *apitest.Server, cred []byte) clients {
	t.Helper()
	conn, err := api.Dial(api.ClientConfig{
		Address:     srv.Addr,
		TLSCertPath: filepath.Join(srv.Dir, api.TLSCertFilename),
		DisableTLS:  srv.Config.DisableTLS,
		Credential:  cred,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return newClients(conn)
}

// dialNoCredential connects over TLS without a credential; calls add
// their own metadata.
func dialNoCredential(t *testing.T, srv *apitest.Server) clients {
	t.Helper()
	creds, err := tlsCreds(filepath.Join(srv.Dir, api.TLSCertFilename))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(srv.Addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return newClients(conn)
}

func wantCode(t *testing.T, what string, err error, want codes.Code) {
	t.Helper()
	if got := status.Code(err); got != want {
		t.Errorf("%s: code %v (%v), want %v", what, got, err, want)
	}
}

// call is one API call, for tables of methods.
type call struct {
	method string
	write  bool
	do     func(context.Context, clients) error
}

// allCalls calls every method with a valid request.
var allCalls = []call{
	{apiv1.OperatorService_StopDaemon_FullMethodName, true, func(ctx context.Context, c clients) error {
		_, err := c.operator.StopDaemon(ctx, &apiv1.StopDaemonRequest{})
		return err
	}},
	{apiv1.OperatorService_GetDebugLevel_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.operator.GetDebugLevel(ctx, &apiv1.GetDebugLevelRequest{})
		return err
	}},
	{apiv1.OperatorService_SetDebugLevel_FullMethodName, true, func(ctx context.Context, c clients) error {
		_, err := c.operator.SetDebugLevel(ctx, &apiv1.SetDebugLevelRequest{LevelSpec: "info,PEER=debug"})
		return err
	}},
	{apiv1.OperatorService_ListPeers_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.operator.ListPeers(ctx, &apiv1.ListPeersRequest{})
		return err
	}},
	{apiv1.OperatorService_ConnectPeer_FullMethodName, true, func(ctx context.Context, c clients) error {
		_, err := c.operator.ConnectPeer(ctx, &apiv1.ConnectPeerRequest{Address: "192.0.2.7:18555"})
		return err
	}},
	{apiv1.OperatorService_DisconnectPeer_FullMethodName, true, func(ctx context.Context, c clients) error {
		r, err := c.operator.ConnectPeer(ctx, &apiv1.ConnectPeerRequest{Address: "192.0.2.9:18555"})
		if err != nil {
			return err
		}
		_, err = c.operator.DisconnectPeer(ctx, &apiv1.DisconnectPeerRequest{Peer: fmt.Sprint(r.GetPeer().GetId())})
		return err
	}},
	{apiv1.NodeService_GetInfo_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.node.GetInfo(ctx, &apiv1.GetInfoRequest{})
		return err
	}},
	{apiv1.NodeService_GetStateHash_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.node.GetStateHash(ctx, &apiv1.GetStateHashRequest{Height: 3})
		return err
	}},
	{apiv1.NodeService_ListBans_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.node.ListBans(ctx, &apiv1.ListBansRequest{})
		return err
	}},
	{apiv1.NodeService_ListAlarms_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.node.ListAlarms(ctx, &apiv1.ListAlarmsRequest{})
		return err
	}},
	{apiv1.NodeService_SubscribeAlarms_FullMethodName, false, func(ctx context.Context, c clients) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stream, err := c.node.SubscribeAlarms(ctx, &apiv1.SubscribeAlarmsRequest{})
		if err == nil {
			_, err = stream.Recv()
		}
		return err
	}},
	{apiv1.NodeService_BanPeer_FullMethodName, true, func(ctx context.Context, c clients) error {
		_, err := c.node.BanPeer(ctx, &apiv1.BanPeerRequest{Target: "192.0.2.7"})
		return err
	}},
	{apiv1.NodeService_UnbanPeer_FullMethodName, true, func(ctx context.Context, c clients) error {
		_, err := c.node.BanPeer(ctx, &apiv1.BanPeerRequest{Target: "192.0.2.8"})
		if err != nil {
			return err
		}
		_, err = c.node.UnbanPeer(ctx, &apiv1.UnbanPeerRequest{Target: "192.0.2.8"})
		return err
	}},
	{apiv1.MainchainService_ListTickets_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.mainchain.ListTickets(ctx, &apiv1.ListTicketsRequest{})
		return err
	}},
	{apiv1.MainchainService_GetWinner_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.mainchain.GetWinner(ctx, &apiv1.GetWinnerRequest{Height: 10})
		return err
	}},
	{apiv1.MainchainService_GetPublication_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.mainchain.GetPublication(ctx, &apiv1.GetPublicationRequest{Height: 11})
		return err
	}},
	{apiv1.MainchainService_ListPublications_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.mainchain.ListPublications(ctx, &apiv1.ListPublicationsRequest{})
		return err
	}},
	{apiv1.MainchainService_ListMissedSlots_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.mainchain.ListMissedSlots(ctx, &apiv1.ListMissedSlotsRequest{})
		return err
	}},
	{apiv1.MainchainService_GetMainTransaction_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.mainchain.GetMainTransaction(ctx, &apiv1.GetMainTransactionRequest{
			Txid: apitest.ForeignMainTxID.String()})
		return err
	}},
	// A stream's first message is the state; the credential is checked
	// before it.
	{apiv1.SubscriptionService_SubscribeSideblocks_FullMethodName, false, func(ctx context.Context, c clients) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stream, err := c.subscription.SubscribeSideblocks(ctx, &apiv1.SubscribeSideblocksRequest{})
		if err == nil {
			_, err = stream.Recv()
		}
		return err
	}},
	{apiv1.SubscriptionService_SubscribeLottery_FullMethodName, false, func(ctx context.Context, c clients) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stream, err := c.subscription.SubscribeLottery(ctx, &apiv1.SubscribeLotteryRequest{})
		if err == nil {
			_, err = stream.Recv()
		}
		return err
	}},
	{apiv1.PegService_SubscribeDeposits_FullMethodName, false, func(ctx context.Context, c clients) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stream, err := c.peg.SubscribeDeposits(ctx, &apiv1.SubscribeDepositsRequest{})
		if err == nil {
			_, err = stream.Recv()
		}
		return err
	}},
	{apiv1.WalletService_SubscribeWalletTransactions_FullMethodName, false, func(ctx context.Context, c clients) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stream, err := c.wallet.SubscribeWalletTransactions(ctx, &apiv1.SubscribeWalletTransactionsRequest{})
		if err == nil {
			_, err = stream.Recv()
		}
		return err
	}},
	{apiv1.PegService_SubscribeWithdrawals_FullMethodName, false, func(ctx context.Context, c clients) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stream, err := c.peg.SubscribeWithdrawals(ctx, &apiv1.SubscribeWithdrawalsRequest{})
		if err == nil {
			_, err = stream.Recv()
		}
		return err
	}},
	{apiv1.WalletService_NewAddress_FullMethodName, true, func(ctx context.Context, c clients) error {
		_, err := c.wallet.NewAddress(ctx, &apiv1.NewAddressRequest{})
		return err
	}},
	{apiv1.WalletService_GetBalance_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.wallet.GetBalance(ctx, &apiv1.GetBalanceRequest{})
		return err
	}},
	{apiv1.WalletService_CreateStake_FullMethodName, true, func(ctx context.Context, c clients) error {
		_, err := c.wallet.CreateStake(ctx, &apiv1.CreateStakeRequest{AmountSat: 1e8, LockBlocks: 1000})
		return err
	}},
	{apiv1.WalletService_ListStakes_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.wallet.ListStakes(ctx, &apiv1.ListStakesRequest{})
		return err
	}},
	{apiv1.WalletService_RenewStake_FullMethodName, true, func(ctx context.Context, c clients) error {
		_, err := c.wallet.RenewStake(ctx, &apiv1.RenewStakeRequest{
			Stake: &apiv1.RenewStakeRequest_TicketId{TicketId: 1}, LockBlocks: 20})
		return err
	}},
	{apiv1.WalletService_WithdrawStake_FullMethodName, true, func(ctx context.Context, c clients) error {
		_, err := c.wallet.WithdrawStake(ctx, &apiv1.WithdrawStakeRequest{
			Stake: &apiv1.WithdrawStakeRequest_TicketId{TicketId: 1}})
		return err
	}},
	{apiv1.WalletService_TopUpStake_FullMethodName, true, func(ctx context.Context, c clients) error {
		_, err := c.wallet.TopUpStake(ctx, &apiv1.TopUpStakeRequest{TicketId: 1, AmountSat: 50_000})
		return err
	}},
	{apiv1.WalletService_GetSideAddress_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.wallet.GetSideAddress(ctx, &apiv1.GetSideAddressRequest{})
		return err
	}},
	{apiv1.WalletService_GetSideBalance_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.wallet.GetSideBalance(ctx, &apiv1.GetSideBalanceRequest{})
		return err
	}},
	{apiv1.WalletService_SendSide_FullMethodName, true, func(ctx context.Context, c clients) error {
		_, err := c.wallet.SendSide(ctx, &apiv1.SendSideRequest{
			ToAddress: apitest.OtherSideAddress, AmountSat: 10_000})
		return err
	}},
	{apiv1.WalletService_SendMain_FullMethodName, true, func(ctx context.Context, c clients) error {
		_, err := c.wallet.SendMain(ctx, &apiv1.SendMainRequest{
			ToAddress: apitest.MainAddress, AmountSat: 10_000})
		return err
	}},
	{apiv1.WalletService_ListCoins_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.wallet.ListCoins(ctx, &apiv1.ListCoinsRequest{})
		return err
	}},
	{apiv1.WalletService_ListWalletTransactions_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.wallet.ListWalletTransactions(ctx, &apiv1.ListWalletTransactionsRequest{})
		return err
	}},
	{apiv1.WalletService_GetWalletTransaction_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.wallet.GetWalletTransaction(ctx, &apiv1.GetWalletTransactionRequest{
			Txid: apitest.WalletTxID.String()})
		return err
	}},
	{apiv1.WalletService_BumpFee_FullMethodName, true, func(ctx context.Context, c clients) error {
		_, err := c.wallet.BumpFee(ctx, &apiv1.BumpFeeRequest{
			Txid: apitest.WalletTxID.String(), FeeRateSatVb: 10})
		return err
	}},
	{apiv1.WalletService_ChangePassphrase_FullMethodName, true, func(ctx context.Context, c clients) error {
		_, err := c.wallet.ChangePassphrase(ctx, &apiv1.ChangePassphraseRequest{
			CurrentPassphrase: apitest.FakePassphrase, NewPassphrase: "x"})
		return err
	}},
	{apiv1.WalletService_BackupSeed_FullMethodName, true, func(ctx context.Context, c clients) error {
		_, err := c.wallet.BackupSeed(ctx, &apiv1.BackupSeedRequest{Passphrase: apitest.FakePassphrase})
		return err
	}},
	{apiv1.WalletService_CreateWallet_FullMethodName, true, func(ctx context.Context, c clients) error {
		_, err := c.wallet.CreateWallet(ctx, &apiv1.CreateWalletRequest{Passphrase: "x"})
		return err
	}},
	{apiv1.WalletService_UnlockWallet_FullMethodName, true, func(ctx context.Context, c clients) error {
		_, err := c.wallet.UnlockWallet(ctx, &apiv1.UnlockWalletRequest{Passphrase: apitest.FakePassphrase})
		return err
	}},
	{apiv1.WalletService_ListSideTransactions_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.wallet.ListSideTransactions(ctx, &apiv1.ListSideTransactionsRequest{})
		return err
	}},
	{apiv1.WalletService_PegIn_FullMethodName, true, func(ctx context.Context, c clients) error {
		_, err := c.wallet.PegIn(ctx, &apiv1.PegInRequest{
			SideAddress: apitest.SideAddress, AmountSat: 100_000})
		return err
	}},
	{apiv1.WalletService_PegOut_FullMethodName, true, func(ctx context.Context, c clients) error {
		_, err := c.wallet.PegOut(ctx, &apiv1.PegOutRequest{
			DestinationAddress: apitest.MainAddress, AmountSat: 100_000})
		return err
	}},
	{apiv1.PegService_GetWithdrawal_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.peg.GetWithdrawal(ctx, &apiv1.GetWithdrawalRequest{
			Outpoint: apitest.WithdrawalTxID(1).String()})
		return err
	}},
	{apiv1.PegService_VerifyPayout_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.peg.VerifyPayout(ctx, &apiv1.VerifyPayoutRequest{
			Txid: apitest.PayoutTxID(0).String()})
		return err
	}},
	{apiv1.PegService_GetPegInfo_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.peg.GetPegInfo(ctx, &apiv1.GetPegInfoRequest{})
		return err
	}},
	{apiv1.PegService_ListDeposits_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.peg.ListDeposits(ctx, &apiv1.ListDepositsRequest{})
		return err
	}},
	{apiv1.PegService_ListRefusedDeposits_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.peg.ListRefusedDeposits(ctx, &apiv1.ListRefusedDepositsRequest{})
		return err
	}},
	{apiv1.PegService_ListPegboxCoins_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.peg.ListPegboxCoins(ctx, &apiv1.ListPegboxCoinsRequest{})
		return err
	}},
	{apiv1.PegService_GetDeposit_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.peg.GetDeposit(ctx, &apiv1.GetDepositRequest{
			Deposit: &apiv1.GetDepositRequest_Txid{Txid: apitest.DepositTxID(0).String()}})
		return err
	}},
	{apiv1.SidechainService_GetBlock_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.sidechain.GetBlock(ctx, &apiv1.GetBlockRequest{
			Block: &apiv1.GetBlockRequest_Height{Height: 1}})
		return err
	}},
	{apiv1.SidechainService_GetTransaction_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.sidechain.GetTransaction(ctx, &apiv1.GetTransactionRequest{Txid: mempoolTxID})
		return err
	}},
	{apiv1.SidechainService_GetConfirmations_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.sidechain.GetConfirmations(ctx, &apiv1.GetConfirmationsRequest{
			Target: &apiv1.GetConfirmationsRequest_Height{Height: 1}})
		return err
	}},
	{apiv1.SidechainService_ListUnspent_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.sidechain.ListUnspent(ctx, &apiv1.ListUnspentRequest{Address: apitest.SideAddress})
		return err
	}},
	{apiv1.SidechainService_GetAddressBalance_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.sidechain.GetAddressBalance(ctx, &apiv1.GetAddressBalanceRequest{Address: apitest.SideAddress})
		return err
	}},
	{apiv1.SidechainService_GetAddressHistory_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.sidechain.GetAddressHistory(ctx, &apiv1.GetAddressHistoryRequest{Address: apitest.SideAddress})
		return err
	}},
	{apiv1.SidechainService_SendRawTransaction_FullMethodName, true, func(ctx context.Context, c clients) error {
		_, err := c.sidechain.SendRawTransaction(ctx, &apiv1.SendRawTransactionRequest{RawHex: sampleTxHex})
		return err
	}},
	{apiv1.SidechainService_EstimateFee_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.sidechain.EstimateFee(ctx, &apiv1.EstimateFeeRequest{})
		return err
	}},
	{apiv1.MiningService_GetBlockTemplate_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.mining.GetBlockTemplate(ctx, &apiv1.GetBlockTemplateRequest{})
		return err
	}},
	{apiv1.MiningService_SubmitBlock_FullMethodName, true, func(ctx context.Context, c clients) error {
		_, err := c.mining.SubmitBlock(ctx, &apiv1.SubmitBlockRequest{Data: sampleBlockHex})
		return err
	}},
	{apiv1.MiningService_GetMiningInfo_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.mining.GetMiningInfo(ctx, &apiv1.GetMiningInfoRequest{RecentBlocks: 5})
		return err
	}},
	{apiv1.PoolService_GetPoolStats_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.pool.GetPoolStats(ctx, &apiv1.GetPoolStatsRequest{})
		return err
	}},
	{apiv1.PoolService_ListPoolWorkers_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.pool.ListPoolWorkers(ctx, &apiv1.ListPoolWorkersRequest{Worker: apitest.PoolWorkerB})
		return err
	}},
	{apiv1.PoolService_ListPoolBlocks_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.pool.ListPoolBlocks(ctx, &apiv1.ListPoolBlocksRequest{Reversed: true})
		return err
	}},
	{apiv1.PoolService_GetPoolAudit_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.pool.GetPoolAudit(ctx, &apiv1.GetPoolAuditRequest{Limit: 1})
		return err
	}},
	{apiv1.PoolService_ListPoolPayouts_FullMethodName, false, func(ctx context.Context, c clients) error {
		_, err := c.pool.ListPoolPayouts(ctx, &apiv1.ListPoolPayoutsRequest{Offset: 1})
		return err
	}},
}

// TestCallsCoverPermissions keeps allCalls in step with the permission
// map, so that the credential tests below cover every method.
func TestCallsCoverPermissions(t *testing.T) {
	perms := api.Permissions()
	for _, c := range allCalls {
		p, ok := perms[c.method]
		if !ok {
			t.Errorf("%s: no permission entry", c.method)
			continue
		}
		if (p.Action == api.Write) != c.write {
			t.Errorf("%s: permission %v, test expects write=%v", c.method, p, c.write)
		}
		delete(perms, c.method)
	}
	for m := range perms {
		t.Errorf("%s: not called by allCalls", m)
	}
}

func TestAdminCredentialCallsEverything(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(3), nil)
	c := dial(t, srv, api.AdminCredFilename)
	for _, call := range allCalls {
		if err := call.do(context.Background(), c); err != nil {
			t.Errorf("%s: %v", call.method, err)
		}
	}
}

func TestReadOnlyCredential(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(3), nil)
	c := dial(t, srv, api.ReadOnlyCredFilename)
	for _, call := range allCalls {
		err := call.do(context.Background(), c)
		if call.write {
			wantCode(t, call.method, err, codes.PermissionDenied)
		} else if err != nil {
			t.Errorf("%s: %v", call.method, err)
		}
	}
}

func TestNoCredential(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(3), nil)
	c := dialNoCredential(t, srv)
	for _, call := range allCalls {
		wantCode(t, call.method, call.do(context.Background(), c), codes.Unauthenticated)
	}
}

func TestWrongCredential(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(3), nil)
	wrong := make([]byte, api.CredentialSize)
	if _, err := rand.Read(wrong); err != nil {
		t.Fatal(err)
	}
	c := dialWith(t, srv, wrong)
	for _, call := range allCalls {
		wantCode(t, call.method, call.do(context.Background(), c), codes.Unauthenticated)
	}

	// Malformed authorization metadata.
	hexAdmin := strings.TrimSpace(readFile(t, filepath.Join(srv.Dir, api.AdminCredFilename)))
	if len(hexAdmin) != 2*api.CredentialSize {
		t.Fatalf("admin credential file holds %q", hexAdmin)
	}
	nc := dialNoCredential(t, srv)
	for _, md := range [][]string{
		{"authorization", hexAdmin},                   // no scheme
		{"authorization", "Basic " + hexAdmin},        // another scheme
		{"authorization", "Bearer " + hexAdmin[:62]},  // short
		{"authorization", "Bearer " + hexAdmin + "0"}, // odd length
		{"authorization", "Bearer zz" + hexAdmin[2:]}, // not hex
		// Twice.
		{"authorization", "Bearer " + hexAdmin, "authorization", "Bearer " + hexAdmin},
	} {
		ctx := metadata.AppendToOutgoingContext(context.Background(), md...)
		_, err := nc.node.GetInfo(ctx, &apiv1.GetInfoRequest{})
		wantCode(t, strings.Join(md, " "), err, codes.Unauthenticated)
	}
	// The same credential sent by hand works, with the scheme in any case.
	ctx := metadata.AppendToOutgoingContext(context.Background(),
		"authorization", "bearer "+hexAdmin)
	if _, err := nc.wallet.NewAddress(ctx, &apiv1.NewAddressRequest{}); err != nil {
		t.Errorf("hand-made admin metadata: %v", err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPagination(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(7), func(cfg *api.Config) {
		cfg.MaxPageSize = 5
		cfg.DefaultPageSize = 3
	})
	c := dial(t, srv, api.ReadOnlyCredFilename)
	ctx := context.Background()

	ids := func(ts []*apiv1.Ticket) []uint64 {
		var out []uint64
		for _, t := range ts {
			out = append(out, t.GetId())
		}
		return out
	}
	for _, tc := range []struct {
		req  *apiv1.ListTicketsRequest
		want []uint64
	}{
		{&apiv1.ListTicketsRequest{}, []uint64{0, 1, 2}}, // default page size
		{&apiv1.ListTicketsRequest{Limit: 5}, []uint64{0, 1, 2, 3, 4}},
		{&apiv1.ListTicketsRequest{Offset: 5, Limit: 5}, []uint64{5, 6}},
		{&apiv1.ListTicketsRequest{Offset: 7, Limit: 5}, nil},
		{&apiv1.ListTicketsRequest{Offset: 1 << 62, Limit: 5}, nil},
		{&apiv1.ListTicketsRequest{Limit: 2, Reversed: true}, []uint64{6, 5}},
		{&apiv1.ListTicketsRequest{Offset: 5, Limit: 5, Reversed: true}, []uint64{1, 0}},
	} {
		resp, err := c.mainchain.ListTickets(ctx, tc.req)
		if err != nil {
			t.Errorf("%v: %v", tc.req, err)
			continue
		}
		if got := ids(resp.GetTickets()); !equal(got, tc.want) {
			t.Errorf("%v: ids %v, want %v", tc.req, got, tc.want)
		}
		if resp.GetTotal() != 7 {
			t.Errorf("%v: total %d, want 7", tc.req, resp.GetTotal())
		}
	}

	_, err := c.mainchain.ListTickets(ctx, &apiv1.ListTicketsRequest{Limit: 6})
	wantCode(t, "ListTickets above the maximum page size", err, codes.InvalidArgument)
	_, err = c.wallet.ListStakes(ctx, &apiv1.ListStakesRequest{Limit: 6})
	wantCode(t, "ListStakes above the maximum page size", err, codes.InvalidArgument)

	stakes, err := c.wallet.ListStakes(ctx, &apiv1.ListStakesRequest{Reversed: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(stakes.GetTickets()); !equal(got, []uint64{3, 1}) || stakes.GetTotal() != 2 {
		t.Errorf("ListStakes: ids %v total %d, want [3 1] total 2", got, stakes.GetTotal())
	}
}

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestInvalidArguments(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(3), nil)
	c := dial(t, srv, api.AdminCredFilename)
	ctx := context.Background()
	txid := strings.Repeat("ab", 32)

	withdraw := func(op string) error {
		_, err := c.wallet.WithdrawStake(ctx, &apiv1.WithdrawStakeRequest{
			Stake: &apiv1.WithdrawStakeRequest_StakeOutpoint{StakeOutpoint: op}})
		return err
	}
	for _, op := range []string{
		"zz" + txid[2:] + ":0", // not hex
		txid[2:] + ":0",        // short
		txid + "00:0",          // long
		txid,                   // no vout
		txid + ":x",            // vout not a number
		txid + ":4294967296",   // vout too large
		txid + ":-1",
		"",
	} {
		err := withdraw(op)
		wantCode(t, "stake_outpoint "+op, err, codes.InvalidArgument)
		if op == "zz"+txid[2:]+":0" && !strings.Contains(status.Convert(err).Message(), "not hex") {
			t.Errorf("malformed hex: message %q does not say so", status.Convert(err).Message())
		}
	}
	if err := withdraw(txid + ":1"); err != nil {
		t.Fatalf("valid outpoint: %v", err)
	}

	_, err := c.wallet.WithdrawStake(ctx, &apiv1.WithdrawStakeRequest{})
	wantCode(t, "WithdrawStake without a stake", err, codes.InvalidArgument)
	_, err = c.wallet.WithdrawStake(ctx, &apiv1.WithdrawStakeRequest{
		Stake: &apiv1.WithdrawStakeRequest_TicketId{TicketId: 1}, FeeRateSatVb: -1})
	wantCode(t, "negative fee rate", err, codes.InvalidArgument)

	for _, req := range []*apiv1.CreateStakeRequest{
		{AmountSat: 0, LockBlocks: 10},
		{AmountSat: -5, LockBlocks: 10},
		{AmountSat: 1e8, LockBlocks: 0},
		{AmountSat: 1e8, LockBlocks: 1 << 31},
		{AmountSat: 1e8, LockBlocks: 10, FeeRateSatVb: -1},
		{AmountSat: 1e8, LockBlocks: 10, OwnerPubkey: "02"},
		{AmountSat: 1e8, LockBlocks: 10, OwnerPubkey: "04" + strings.Repeat("11", 32)},
		{AmountSat: 1e8, LockBlocks: 10, OwnerPubkey: "02" + strings.Repeat("zz", 32)},
		{AmountSat: 1e8, LockBlocks: 10, OwnerPubkey: "02" + strings.Repeat("ff", 32)}, // x ≥ p
	} {
		_, err := c.wallet.CreateStake(ctx, req)
		wantCode(t, req.String(), err, codes.InvalidArgument)
	}
	for _, req := range []*apiv1.RenewStakeRequest{
		{LockBlocks: 10},
		{Stake: &apiv1.RenewStakeRequest_TicketId{TicketId: 1}},
		{Stake: &apiv1.RenewStakeRequest_TicketId{TicketId: 1}, LockBlocks: -1},
		{Stake: &apiv1.RenewStakeRequest_TicketId{TicketId: 1}, LockBlocks: 10, FeeRateSatVb: -1},
		{Stake: &apiv1.RenewStakeRequest_StakeOutpoint{StakeOutpoint: "x:1"}, LockBlocks: 10},
	} {
		_, err := c.wallet.RenewStake(ctx, req)
		wantCode(t, req.String(), err, codes.InvalidArgument)
	}

	_, err = c.mainchain.GetWinner(ctx, &apiv1.GetWinnerRequest{Height: -1})
	wantCode(t, "negative height", err, codes.InvalidArgument)
	_, err = c.wallet.GetBalance(ctx, &apiv1.GetBalanceRequest{MinConf: -1})
	wantCode(t, "negative min_conf", err, codes.InvalidArgument)
}

func TestResponses(t *testing.T) {
	b := apitest.NewBackend(5)
	srv := apitest.StartServer(t, b, nil)
	c := dial(t, srv, api.AdminCredFilename)
	ctx := context.Background()

	info, err := c.node.GetInfo(ctx, &apiv1.GetInfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	// Hashes are in display order: the fake's hash(0x11) has internal
	// bytes 11 12 ... 30, so its display string starts with 30.
	if h := info.GetMainchain().GetTipHash(); !strings.HasPrefix(h, "302f2e") || len(h) != 64 {
		t.Errorf("tip hash %q is not in display order", h)
	}
	if info.GetSidechain().GetTipHash() != "" {
		t.Errorf("sidechain tip hash %q, want empty", info.GetSidechain().GetTipHash())
	}
	if info.GetOwnTicketCount() != 2 || !equal(info.GetOwnTicketIds(), []uint64{1, 3}) {
		t.Errorf("own tickets %d %v", info.GetOwnTicketCount(), info.GetOwnTicketIds())
	}

	tickets, err := c.mainchain.ListTickets(ctx, &apiv1.ListTicketsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	tk := tickets.GetTickets()[2]
	// Weight{Hi: 1, Lo: 2} = 2^64 + 2.
	if tk.GetWeight() != "18446744073709551618" {
		t.Errorf("weight %q", tk.GetWeight())
	}
	if !strings.HasSuffix(tk.GetStakeOutpoint(), ":0") || !strings.HasSuffix(tk.GetPublisherOutpoint(), ":1") ||
		!tk.GetLive() || tk.GetEndHeight() != -1 || len(tk.GetPubkey()) != 66 {
		t.Errorf("ticket %v", tk)
	}

	w, err := c.mainchain.GetWinner(ctx, &apiv1.GetWinnerRequest{Height: 10})
	if err != nil {
		t.Fatal(err)
	}
	if w.GetTicketId() != 1 || w.GetTotalWeight() != "36893488147419103237" {
		t.Errorf("winner %v", w)
	}
	_, err = c.mainchain.GetWinner(ctx, &apiv1.GetWinnerRequest{Height: 9})
	wantCode(t, "GetWinner without a winner", err, codes.NotFound)
	_, err = c.mainchain.GetPublication(ctx, &apiv1.GetPublicationRequest{Height: 10})
	wantCode(t, "GetPublication without a publication", err, codes.NotFound)

	bal, err := c.wallet.GetBalance(ctx, &apiv1.GetBalanceRequest{})
	if err != nil {
		t.Fatal(err)
	}
	// min_conf 0 means 0, as bitcoind's getbalance has it.
	if bal.GetMinConf() != 0 || b.LastMinConf() != 0 || bal.GetSpendableSat() != 100_000_000 {
		t.Errorf("balance %v, backend min conf %d", bal, b.LastMinConf())
	}

	psbt, err := c.wallet.CreateStake(ctx, &apiv1.CreateStakeRequest{
		AmountSat: 5e8, LockBlocks: 1000, FeeRateSatVb: 3, PsbtOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if psbt.GetTxid() != "" || psbt.GetPsbt() == "" {
		t.Errorf("psbt_only response %v", psbt)
	}
	want := api.StakeRequest{Amount: 5e8, LockBlocks: 1000, FeeRate: 3, PSBTOnly: true}
	if got := b.LastStake(); got == nil || !reflect.DeepEqual(*got, want) {
		t.Errorf("backend got %+v, want %+v", got, want)
	}

	txid := strings.Repeat("01", 31) + "ff"
	if _, err := c.wallet.WithdrawStake(ctx, &apiv1.WithdrawStakeRequest{
		Stake:              &apiv1.WithdrawStakeRequest_StakeOutpoint{StakeOutpoint: txid + ":7"},
		DestinationAddress: "bcrt1qdest",
	}); err != nil {
		t.Fatal(err)
	}
	got := b.LastWithdraw()
	if got == nil || !got.ByOutPoint || got.Stake.Index != 7 || got.Stake.Hash[0] != 0xff ||
		got.Stake.String() != txid+":7" || got.Destination != "bcrt1qdest" {
		t.Errorf("backend got %+v", got)
	}
}

func TestBackendErrors(t *testing.T) {
	b := apitest.NewBackend(3)
	srv := apitest.StartServer(t, b, nil)
	c := dial(t, srv, api.AdminCredFilename)
	ctx := context.Background()

	for _, tc := range []struct {
		err  error
		want codes.Code
	}{
		{api.Errorf(api.ErrNoWallet, "no wallet"), codes.FailedPrecondition},
		{api.Errorf(api.ErrWalletLocked, "locked"), codes.FailedPrecondition},
		{api.Errorf(api.ErrFailedPrecondition, "need %d sat", 5), codes.FailedPrecondition},
		{api.Errorf(api.ErrInvalidArgument, "address of another network"), codes.InvalidArgument},
		{api.Errorf(api.ErrNotFound, "no ticket"), codes.NotFound},
		{api.Errorf(api.ErrUnavailable, "backend down"), codes.Unavailable},
		{api.Errorf(api.ErrUnimplemented, "not yet"), codes.Unimplemented},
		{errors.New("disk on fire"), codes.Internal},
		{context.DeadlineExceeded, codes.DeadlineExceeded},
	} {
		b.SetWalletErr(tc.err)
		_, err := c.wallet.NewAddress(ctx, &apiv1.NewAddressRequest{})
		wantCode(t, tc.err.Error(), err, tc.want)
		if msg := status.Convert(err).Message(); !strings.Contains(msg, tc.err.Error()) {
			t.Errorf("%v: message %q", tc.err, msg)
		}
	}
}

func TestMaxMessageSize(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(3), func(cfg *api.Config) {
		cfg.MaxMsgSize = 1024
	})
	c := dial(t, srv, api.AdminCredFilename)
	_, err := c.wallet.WithdrawStake(context.Background(), &apiv1.WithdrawStakeRequest{
		Stake:              &apiv1.WithdrawStakeRequest_TicketId{TicketId: 1},
		DestinationAddress: strings.Repeat("x", 2048),
	})
	wantCode(t, "request above the maximum message size", err, codes.InvalidArgument)
	if !strings.Contains(status.Convert(err).Message(), "maximum message size") {
		t.Errorf("unclear message: %v", err)
	}
	// Far above it, the transport refuses it from the length prefix,
	// before reading it.
	_, err = c.wallet.WithdrawStake(context.Background(), &apiv1.WithdrawStakeRequest{
		Stake:              &apiv1.WithdrawStakeRequest_TicketId{TicketId: 1},
		DestinationAddress: strings.Repeat("x", 8192),
	})
	wantCode(t, "request far above the maximum message size", err, codes.ResourceExhausted)
}

func TestStartFailsOnTakenPort(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()

	cfg := api.DefaultConfig(t.TempDir(), "regtest")
	cfg.Listeners = []string{"127.0.0.1:0", lis.Addr().String()}
	srv, err := api.New(cfg, apitest.NewBackend(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err == nil {
		srv.Stop()
		t.Fatal("Start on a taken port succeeded")
	} else if !strings.Contains(err.Error(), lis.Addr().String()) {
		t.Errorf("error %q does not name the address", err)
	}
	if len(srv.Addrs()) != 0 {
		t.Errorf("a failed Start left listeners %v", srv.Addrs())
	}
	srv.Stop() // safe after a failed Start
}

func TestNoTLSOnLoopback(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(3), func(cfg *api.Config) {
		cfg.DisableTLS = true
	})
	c := dial(t, srv, api.ReadOnlyCredFilename)
	if _, err := c.node.GetInfo(context.Background(), &apiv1.GetInfoRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(srv.Dir, api.TLSCertFilename)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a server without TLS wrote a certificate: %v", err)
	}

	_, err := api.Dial(api.ClientConfig{Address: "192.0.2.1:8560", DisableTLS: true,
		Credential: make([]byte, api.CredentialSize)})
	if err == nil {
		t.Error("Dial sent a credential in the clear to a remote address")
	}
}

func TestClientPinsCertificate(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(3), nil)
	other := apitest.StartServer(t, apitest.NewBackend(3), nil)
	cred, err := api.ReadCredential(filepath.Join(srv.Dir, api.AdminCredFilename))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := api.Dial(api.ClientConfig{
		Address:     srv.Addr,
		TLSCertPath: filepath.Join(other.Dir, api.TLSCertFilename),
		Credential:  cred,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = apiv1.NewNodeServiceClient(conn).GetInfo(context.Background(), &apiv1.GetInfoRequest{})
	wantCode(t, "another server's certificate", err, codes.Unavailable)
}

// TestUnknownFieldsRefused sends a request with a field the server does
// not know, as a newer client would: the server refuses it rather than
// run the method without an option its caller set.
func TestUnknownFieldsRefused(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(3), nil)
	c := dial(t, srv, api.ReadOnlyCredFilename)

	b, err := proto.Marshal(&apiv1.GetWinnerRequest{Height: 10})
	if err != nil {
		t.Fatal(err)
	}
	b = protowire.AppendTag(b, 99, protowire.BytesType)
	b = protowire.AppendString(b, "from a newer client")
	req := &apiv1.GetWinnerRequest{}
	if err := proto.Unmarshal(b, req); err != nil {
		t.Fatal(err)
	}
	if len(req.ProtoReflect().GetUnknown()) == 0 {
		t.Fatal("the unknown field was not kept for sending")
	}
	_, err = c.mainchain.GetWinner(context.Background(), req)
	wantCode(t, "a request with an unknown field", err, codes.InvalidArgument)
	if !strings.Contains(status.Convert(err).Message(), "field number 99") {
		t.Errorf("the error does not name the field: %v", err)
	}
}
