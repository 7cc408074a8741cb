package nodeapi

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/mainwatch"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
	"github.com/mainstake/sidenode/sideblock"
)

// goTerms matches what a message in the user's terms never holds: a Go
// error identifier, a library's message, a Go package prefix.
var goTerms = regexp.MustCompile(`\bErr[A-Z]|strconv|invalid syntax|parsing "|encoding/hex|` +
	`invalid byte|proto: |MsgTx|BtcDecode|unexpected EOF|\b(sideblock|p2p|pegbox|wallet|store|mainstake|withdraw): `)

// TestNodeErrorsInUserTerms sends bad requests to an API server on this
// package's Adapter (a pegbox, a sidechain and a mempool over an
// in-memory store; no wallet, peer server or node controls) and checks
// that each is refused with a message in the user's terms: the field, the
// chain, what to do next, and no Go terms.
func TestNodeErrorsInUserTerms(t *testing.T) {
	s := newPegSim(t)
	s.to(3)
	chain, err := sideblock.NewChain(s.db, s.p)
	if err != nil {
		t.Fatal(err)
	}
	index, err := mainstake.NewIndex(s.db, s.p, mainwatch.NewWatchList())
	if err != nil {
		t.Fatal(err)
	}
	b := New(Env{Version: "test", Network: s.p.Name, Params: s.p, DB: s.db,
		Follower: idleFollower{}, Tickets: index, Sidechain: chain, Pegbox: s.x,
		Mempool: sideblock.NewMempool(chain, s.p, sideblock.MempoolConfig{})})
	srv := apitest.StartServer(t, b, nil)
	cred, err := api.ReadCredential(filepath.Join(srv.Dir, api.AdminCredFilename))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := api.Dial(api.ClientConfig{Address: srv.Addr,
		TLSCertPath: filepath.Join(srv.Dir, api.TLSCertFilename), Credential: cred})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	hash := strings.Repeat("ab", 32)
	mainAddr := "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"
	// A transaction that spends an output the sidechain does not have.
	orphan := "02000000010000000000000000000000000000000000000000000000000000000000000001" +
		"0000000000ffffffff01e803000000000000015100000000"
	calls := []struct {
		name string
		call func(context.Context, *grpc.ClientConn) error
		want string
	}{
		{"GetStateHash", func(ctx context.Context, c *grpc.ClientConn) error {
			_, err := apiv1.NewNodeServiceClient(c).GetStateHash(ctx, &apiv1.GetStateHashRequest{Height: 999})
			return err
		}, "the tip is at height 3"},
		{"GetWinner", func(ctx context.Context, c *grpc.ClientConn) error {
			_, err := apiv1.NewMainchainServiceClient(c).GetWinner(ctx, &apiv1.GetWinnerRequest{Height: 999})
			return err
		}, "999"},
		{"GetBlock by height", func(ctx context.Context, c *grpc.ClientConn) error {
			_, err := apiv1.NewSidechainServiceClient(c).GetBlock(ctx, &apiv1.GetBlockRequest{
				Block: &apiv1.GetBlockRequest_Height{Height: 999}})
			return err
		}, "999"},
		{"GetBlock by hash", func(ctx context.Context, c *grpc.ClientConn) error {
			_, err := apiv1.NewSidechainServiceClient(c).GetBlock(ctx, &apiv1.GetBlockRequest{
				Block: &apiv1.GetBlockRequest_Hash{Hash: hash}})
			return err
		}, hash},
		{"GetTransaction", func(ctx context.Context, c *grpc.ClientConn) error {
			_, err := apiv1.NewSidechainServiceClient(c).GetTransaction(ctx, &apiv1.GetTransactionRequest{Txid: hash})
			return err
		}, hash},
		{"GetConfirmations of an unknown id", func(ctx context.Context, c *grpc.ClientConn) error {
			_, err := apiv1.NewSidechainServiceClient(c).GetConfirmations(ctx, &apiv1.GetConfirmationsRequest{
				Target: &apiv1.GetConfirmationsRequest_Id{Id: hash}})
			return err
		}, "no sidechain transaction or block " + hash},
		{"GetConfirmations above the tip", func(ctx context.Context, c *grpc.ClientConn) error {
			_, err := apiv1.NewSidechainServiceClient(c).GetConfirmations(ctx, &apiv1.GetConfirmationsRequest{
				Target: &apiv1.GetConfirmationsRequest_Height{Height: 999}})
			return err
		}, "no block at height 999"},
		{"GetConfirmations of garbage", func(ctx context.Context, c *grpc.ClientConn) error {
			_, err := apiv1.NewSidechainServiceClient(c).GetConfirmations(ctx, &apiv1.GetConfirmationsRequest{
				Target: &apiv1.GetConfirmationsRequest_Id{Id: "<script>alert(1)</script>"}})
			return err
		}, "id is not a sidechain transaction id or sideblock hash"},
		{"ListUnspent of a mainchain address", func(ctx context.Context, c *grpc.ClientConn) error {
			_, err := apiv1.NewSidechainServiceClient(c).ListUnspent(ctx, &apiv1.ListUnspentRequest{Address: mainAddr})
			return err
		}, "address " + mainAddr + ": a mainchain address was given where a sidechain address is expected"},
		{"PegIn to a mainchain address", func(ctx context.Context, c *grpc.ClientConn) error {
			_, err := apiv1.NewWalletServiceClient(c).PegIn(ctx, &apiv1.PegInRequest{AmountSat: 100_000,
				SideAddress: mainAddr, PsbtOnly: true})
			return err
		}, "side_address " + mainAddr + ": a mainchain address was given where a sidechain address is expected"},
		{"ListUnspent of a mainnet sidechain address", func(ctx context.Context, c *grpc.ClientConn) error {
			_, err := apiv1.NewSidechainServiceClient(c).ListUnspent(ctx, &apiv1.ListUnspentRequest{
				Address: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"})
			return err
		}, "is a mainnet mainchain address, and this node runs regtest"},
		{"GetAddressHistory of a mainchain address", func(ctx context.Context, c *grpc.ClientConn) error {
			_, err := apiv1.NewSidechainServiceClient(c).GetAddressHistory(ctx, &apiv1.GetAddressHistoryRequest{Address: mainAddr})
			return err
		}, "address " + mainAddr + ": a mainchain address was given where a sidechain address is expected"},
		{"GetAddressHistory above the maximum window", func(ctx context.Context, c *grpc.ClientConn) error {
			_, err := apiv1.NewSidechainServiceClient(c).GetAddressHistory(ctx, &apiv1.GetAddressHistoryRequest{
				Address: "sdrt1qcqgpnfpvrka52af4x7c0dwv3v762nzf7wuwf68", Blocks: 10_001})
			return err
		}, "blocks 10001 is above the maximum, 10000 sideblocks"},
		{"GetAddressBalance of nonsense", func(ctx context.Context, c *grpc.ClientConn) error {
			_, err := apiv1.NewSidechainServiceClient(c).GetAddressBalance(ctx, &apiv1.GetAddressBalanceRequest{Address: "nonsense"})
			return err
		}, "address"},
		{"SendRawTransaction of an orphan", func(ctx context.Context, c *grpc.ClientConn) error {
			_, err := apiv1.NewSidechainServiceClient(c).SendRawTransaction(ctx, &apiv1.SendRawTransactionRequest{RawHex: orphan})
			return err
		}, ""},
		{"GetDeposit", func(ctx context.Context, c *grpc.ClientConn) error {
			_, err := apiv1.NewPegServiceClient(c).GetDeposit(ctx, &apiv1.GetDepositRequest{
				Deposit: &apiv1.GetDepositRequest_Txid{Txid: hash}})
			return err
		}, hash},
		{"GetWithdrawal", func(ctx context.Context, c *grpc.ClientConn) error {
			_, err := apiv1.NewPegServiceClient(c).GetWithdrawal(ctx, &apiv1.GetWithdrawalRequest{Outpoint: hash + ":0"})
			return err
		}, hash},
		{"VerifyPayout", func(ctx context.Context, c *grpc.ClientConn) error {
			_, err := apiv1.NewPegServiceClient(c).VerifyPayout(ctx, &apiv1.VerifyPayoutRequest{Txid: hash})
			return err
		}, hash},
		{"PegOut without a wallet", func(ctx context.Context, c *grpc.ClientConn) error {
			_, err := apiv1.NewWalletServiceClient(c).PegOut(ctx, &apiv1.PegOutRequest{AmountSat: 70_000, DestinationAddress: mainAddr})
			return err
		}, "wallet"},
		{"ConnectPeer without a peer server", func(ctx context.Context, c *grpc.ClientConn) error {
			_, err := apiv1.NewOperatorServiceClient(c).ConnectPeer(ctx, &apiv1.ConnectPeerRequest{Address: "127.0.0.1:1"})
			return err
		}, "no peer server"},
		{"SetDebugLevel without controls", func(ctx context.Context, c *grpc.ClientConn) error {
			_, err := apiv1.NewOperatorServiceClient(c).SetDebugLevel(ctx, &apiv1.SetDebugLevelRequest{LevelSpec: "info"})
			return err
		}, "operator commands"},
	}
	for _, tc := range calls {
		err := tc.call(context.Background(), conn)
		st := status.Convert(err)
		if err == nil || st.Code() == codes.Internal || st.Code() == codes.Unknown {
			t.Errorf("%s: %v, want a refusal", tc.name, err)
			continue
		}
		if !strings.Contains(st.Message(), tc.want) {
			t.Errorf("%s: message %q does not contain %q", tc.name, st.Message(), tc.want)
		}
		if m := goTerms.FindString(st.Message()); m != "" {
			t.Errorf("%s: message %q holds %q, not the user's terms", tc.name, st.Message(), m)
		}
	}
	t.Logf("%d bad requests", len(calls))
}
