package api_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// listServices asks the server's reflection service for its services.
func listServices(ctx context.Context, conn grpc.ClientConnInterface) ([]string, error) {
	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		return nil, err
	}
	// A refused stream fails Send with io.EOF; Recv has the status.
	_ = stream.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{},
	})
	resp, err := stream.Recv()
	if err != nil {
		return nil, err
	}
	_ = stream.CloseSend()
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	return names, nil
}

// dialConn connects to srv with the credential in credFile.
func dialConn(t *testing.T, srv *apitest.Server, credFile string) *grpc.ClientConn {
	t.Helper()
	cred, err := api.ReadCredential(filepath.Join(srv.Dir, credFile))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := api.Dial(api.ClientConfig{Address: srv.Addr,
		TLSCertPath: filepath.Join(srv.Dir, api.TLSCertFilename),
		Credential:  cred})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// TestReflection checks that grpcurl-style clients can list the services
// with either credential, and are refused without one.
func TestReflection(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(1), nil)
	for _, cred := range []string{api.AdminCredFilename, api.ReadOnlyCredFilename} {
		conn := dialConn(t, srv, cred)
		names, err := listServices(context.Background(), conn)
		if err != nil {
			t.Fatalf("%s: %v", cred, err)
		}
		got := strings.Join(names, " ")
		for _, want := range []string{"sidenode.api.v1.NodeService",
			"sidenode.api.v1.OperatorService", "sidenode.api.v1.PegService"} {
			if !strings.Contains(got, want) {
				t.Errorf("%s: reflection lists %s, not %s", cred, got, want)
			}
		}
	}
	creds, err := tlsCreds(filepath.Join(srv.Dir, api.TLSCertFilename))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(srv.Addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = listServices(context.Background(), conn)
	wantCode(t, "reflection without a credential", err, codes.Unauthenticated)
}

// TestStopDaemon checks that only admin may stop the node, and that the
// request reaches the node once.
func TestStopDaemon(t *testing.T) {
	b := apitest.NewBackend(1)
	srv := apitest.StartServer(t, b, nil)
	_, err := dial(t, srv, api.ReadOnlyCredFilename).operator.StopDaemon(
		context.Background(), &apiv1.StopDaemonRequest{})
	wantCode(t, "StopDaemon read-only", err, codes.PermissionDenied)
	if n := b.StopRequests(); n != 0 {
		t.Fatalf("read-only stop reached the node %d times", n)
	}
	if _, err := dial(t, srv, api.AdminCredFilename).operator.StopDaemon(
		context.Background(), &apiv1.StopDaemonRequest{}); err != nil {
		t.Fatal(err)
	}
	if n := b.StopRequests(); n != 1 {
		t.Fatalf("admin stop reached the node %d times, want 1", n)
	}
}

// TestDebugLevel shows, sets all and one subsystem, and refuses a bad
// spec in the field's name, changing nothing.
func TestDebugLevel(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(1), nil)
	op := dial(t, srv, api.AdminCredFilename).operator
	ctx := context.Background()
	levels := func() string {
		r, err := op.GetDebugLevel(ctx, &apiv1.GetDebugLevelRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, s := range r.GetSubsystems() {
			parts = append(parts, s.GetTag()+"="+s.GetLevel())
		}
		return strings.Join(parts, ",")
	}
	if got := levels(); got != "PEER=info,RPCS=info,SDND=info" {
		t.Fatalf("levels %s", got)
	}
	if _, err := op.SetDebugLevel(ctx, &apiv1.SetDebugLevelRequest{LevelSpec: "warn,PEER=trace"}); err != nil {
		t.Fatal(err)
	}
	if got := levels(); got != "PEER=trace,RPCS=warn,SDND=warn" {
		t.Fatalf("levels after set %s", got)
	}
	for _, spec := range []string{"", "  ", "loud", "NOPE=debug"} {
		_, err := op.SetDebugLevel(ctx, &apiv1.SetDebugLevelRequest{LevelSpec: spec})
		wantCode(t, "spec "+spec, err, codes.InvalidArgument)
		if spec == "" && !strings.Contains(status.Convert(err).Message(), "level_spec") {
			t.Errorf("empty spec: %v does not name level_spec", err)
		}
	}
	if got := levels(); got != "PEER=trace,RPCS=warn,SDND=warn" {
		t.Fatalf("levels changed by bad specs: %s", got)
	}
}

// TestPeerMethods lists, connects and disconnects through the fake.
func TestPeerMethods(t *testing.T) {
	b := apitest.NewBackend(1)
	b.AddPeerSession("192.0.2.1:18555", true)
	srv := apitest.StartServer(t, b, nil)
	op := dial(t, srv, api.AdminCredFilename).operator
	ctx := context.Background()
	r, err := op.ConnectPeer(ctx, &apiv1.ConnectPeerRequest{Address: "192.0.2.2:18555"})
	if err != nil || r.GetPeer().GetAddress() != "192.0.2.2:18555" || r.GetPeer().GetInbound() {
		t.Fatalf("ConnectPeer: %v, %v", r, err)
	}
	l, err := op.ListPeers(ctx, &apiv1.ListPeersRequest{})
	if err != nil || len(l.GetPeers()) != 2 {
		t.Fatalf("ListPeers: %v, %v", l, err)
	}
	d, err := op.DisconnectPeer(ctx, &apiv1.DisconnectPeerRequest{Peer: "192.0.2.1:18555"})
	if err != nil || len(d.GetDisconnected()) != 1 {
		t.Fatalf("DisconnectPeer: %v, %v", d, err)
	}
	_, err = op.DisconnectPeer(ctx, &apiv1.DisconnectPeerRequest{Peer: "192.0.2.1:18555"})
	wantCode(t, "disconnect again", err, codes.NotFound)
	_, err = op.ConnectPeer(ctx, &apiv1.ConnectPeerRequest{})
	wantCode(t, "connect to nothing", err, codes.InvalidArgument)
	if !strings.Contains(status.Convert(err).Message(), "address") {
		t.Errorf("empty address: %v does not name address", err)
	}
	_, err = op.DisconnectPeer(ctx, &apiv1.DisconnectPeerRequest{})
	wantCode(t, "disconnect nothing", err, codes.InvalidArgument)
}
