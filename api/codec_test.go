package api_test

import (
	"context"
	"path/filepath"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// rawCodec sends a request as the bytes it is.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *v.(*[]byte), nil }

func (rawCodec) Unmarshal(data []byte, v any) error {
	*v.(*[]byte) = append([]byte(nil), data...)
	return nil
}

func (rawCodec) Name() string { return "proto" }

// TestUndecodableRequest checks that bytes that are no request message
// are InvalidArgument, unary and streaming, never grpc-go's Internal, and
// that the credential and the permission are checked first.
func TestUndecodableRequest(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(3), nil)
	dialRaw := func(file string) *grpc.ClientConn {
		cred := make([]byte, api.CredentialSize) // no credential of the server
		if file != "" {
			var err error
			if cred, err = api.ReadCredential(filepath.Join(srv.Dir, file)); err != nil {
				t.Fatal(err)
			}
		}
		conn, err := api.Dial(api.ClientConfig{Address: srv.Addr,
			TLSCertPath: filepath.Join(srv.Dir, api.TLSCertFilename), Credential: cred})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	// Field 1 of the wire type of a string, holding bytes that are not
	// UTF-8; and a truncated field.
	for _, req := range [][]byte{{0x0a, 0x02, 0xc3, 0x28}, {0x0a, 0x05, 0x00}} {
		for _, tc := range []struct {
			file   string
			method string
			want   codes.Code
		}{
			{"", apiv1.SidechainService_GetTransaction_FullMethodName, codes.Unauthenticated},
			{api.AdminCredFilename, apiv1.SidechainService_GetTransaction_FullMethodName, codes.InvalidArgument},
			{api.ReadOnlyCredFilename, apiv1.SidechainService_SendRawTransaction_FullMethodName, codes.PermissionDenied},
			{api.AdminCredFilename, apiv1.SidechainService_SendRawTransaction_FullMethodName, codes.InvalidArgument},
		} {
			var out []byte
			err := dialRaw(tc.file).Invoke(context.Background(), tc.method, &req, &out,
				grpc.ForceCodec(rawCodec{}))
			wantCode(t, tc.method+" with "+tc.file, err, tc.want)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cs, err := dialRaw(api.AdminCredFilename).NewStream(ctx, &grpc.StreamDesc{ServerStreams: true},
			apiv1.SubscriptionService_SubscribeSideblocks_FullMethodName, grpc.ForceCodec(rawCodec{}))
		if err != nil {
			t.Fatal(err)
		}
		if err := cs.SendMsg(&req); err != nil {
			t.Fatal(err)
		}
		_ = cs.CloseSend()
		var out []byte
		wantCode(t, "stream", cs.RecvMsg(&out), codes.InvalidArgument)
		cancel()
	}
}
