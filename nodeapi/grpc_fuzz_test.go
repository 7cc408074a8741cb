package nodeapi

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/mainwatch"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// rawCodec sends and receives messages as the bytes they are, so that a
// fuzz target can hand the server any bytes as a request.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *v.(*[]byte), nil }

func (rawCodec) Unmarshal(data []byte, v any) error {
	*v.(*[]byte) = append([]byte(nil), data...)
	return nil
}

func (rawCodec) Name() string { return "proto" }

// streamingMethods are the server-streaming methods of the API, read
// from the services' descriptors, so that a new stream is never called as
// a unary method (which would wait for a stream's end).
var streamingMethods = func() map[string]bool {
	out := map[string]bool{}
	protoregistry.GlobalFiles.RangeFilesByPackage("sidenode.api.v1", func(fd protoreflect.FileDescriptor) bool {
		for i := 0; i < fd.Services().Len(); i++ {
			sd := fd.Services().Get(i)
			for j := 0; j < sd.Methods().Len(); j++ {
				if md := sd.Methods().Get(j); md.IsStreamingServer() {
					out["/"+string(sd.FullName())+"/"+string(md.Name())] = true
				}
			}
		}
		return true
	})
	return out
}()

// FuzzGRPCNodeBackend sends arbitrary bytes as the request of every gRPC
// method, with the admin credential, to an API server on the node's own
// backend (this package's Adapter over an in-memory store, the real
// sidechain, mempool and ticket index; no wallet and no pegbox, whose
// methods then answer their documented refusals). It checks that the
// server never panics and never answers Unknown, Internal or DataLoss:
// bytes that are no protobuf message of the request's type included,
// which grpc-go alone would answer Internal. The first byte picks the
// method.
//
//	go test ./nodeapi/ -run '^$' -fuzz FuzzGRPCNodeBackend -fuzztime 1m
func FuzzGRPCNodeBackend(f *testing.F) {
	methods := make([]string, 0, len(api.Permissions()))
	for m := range api.Permissions() {
		methods = append(methods, m)
	}
	sort.Strings(methods)

	hash := strings.Repeat("ab", 32)
	seeds := []proto.Message{
		&apiv1.GetStateHashRequest{Height: 5},
		&apiv1.GetBlockRequest{Block: &apiv1.GetBlockRequest_Hash{Hash: hash}},
		&apiv1.GetBlockRequest{Block: &apiv1.GetBlockRequest_Height{Height: 0}, Limit: 3},
		&apiv1.GetTransactionRequest{Txid: hash},
		&apiv1.GetConfirmationsRequest{Target: &apiv1.GetConfirmationsRequest_Id{Id: hash}},
		&apiv1.GetConfirmationsRequest{Target: &apiv1.GetConfirmationsRequest_Height{Height: 1 << 30}},
		&apiv1.SendRawTransactionRequest{RawHex: "0100000000000000000000"},
		&apiv1.ListTicketsRequest{Offset: 1 << 62, Limit: 1000},
		&apiv1.GetWinnerRequest{Height: -1},
		&apiv1.ListUnspentRequest{Address: "bcrt1qxyz"},
		&apiv1.VerifyPayoutRequest{RawTxHex: "00"},
		&apiv1.SubscribeSideblocksRequest{Cursor: &apiv1.SidechainBlockRef{Hash: hash, BlockHeight: 3}},
		&apiv1.SubscribeLotteryRequest{Cursor: &apiv1.MainchainBlockRef{Hash: hash, Height: 1 << 30}},
		&apiv1.GetBlockTemplateRequest{LongPollId: hash},
		&apiv1.SubmitBlockRequest{Data: strings.Repeat("00", 81)},
		&apiv1.GetMiningInfoRequest{RecentBlocks: -1},
		&apiv1.ListPoolWorkersRequest{Worker: strings.Repeat("w", 300), Limit: 1 << 31},
		&apiv1.ListPoolBlocksRequest{Offset: 1 << 63, Reversed: true},
		&apiv1.GetPoolAuditRequest{Limit: 1 << 20},
	}
	for i := range methods {
		f.Add(byte(i), []byte{})
		f.Add(byte(i), []byte{0x0a, 0x02, 0xc3, 0x28}) // field 1: a string that is not UTF-8
		for _, s := range seeds {
			b, err := proto.Marshal(s)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(byte(i), b)
		}
	}

	params := chainparams.Regtest
	db, err := store.Open("", store.Options{InMemory: true,
		Genesis: *chaincfg.RegressionNetParams.GenesisHash, Network: "regtest"})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	chain, err := sideblock.NewChain(db, &params)
	if err != nil {
		f.Fatal(err)
	}
	index, err := mainstake.NewIndex(db, &params, mainwatch.NewWatchList())
	if err != nil {
		f.Fatal(err)
	}
	backend := New(Env{Version: "fuzz", Network: params.Name, Params: &params, DB: db,
		Follower: idleFollower{}, Tickets: index, Sidechain: chain,
		Mempool: sideblock.NewMempool(chain, &params, sideblock.MempoolConfig{})})
	srv := apitest.StartServer(f, backend, nil)
	cred, err := api.ReadCredential(filepath.Join(srv.Dir, api.AdminCredFilename))
	if err != nil {
		f.Fatal(err)
	}
	conn, err := api.Dial(api.ClientConfig{Address: srv.Addr,
		TLSCertPath: filepath.Join(srv.Dir, api.TLSCertFilename), Credential: cred})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { conn.Close() })

	f.Fuzz(func(t *testing.T, pick byte, req []byte) {
		method := methods[int(pick)%len(methods)]
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var out []byte
		if streamingMethods[method] {
			err = callStream(ctx, conn, method, req)
		} else {
			err = conn.Invoke(ctx, method, &req, &out, grpc.ForceCodec(rawCodec{}))
		}
		switch status.Code(err) {
		case codes.Unknown, codes.Internal, codes.DataLoss:
			t.Fatalf("%s %x: %v", method, req, err)
		}
	})
}

// callStream opens a server stream with req and reads its first message.
func callStream(ctx context.Context, conn *grpc.ClientConn, method string, req []byte) error {
	cs, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, method,
		grpc.ForceCodec(rawCodec{}))
	if err != nil {
		return err
	}
	if err := cs.SendMsg(&req); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if err := cs.CloseSend(); err != nil {
		return err
	}
	var out []byte
	return cs.RecvMsg(&out)
}
