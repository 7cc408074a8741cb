package node_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// TestOperatorCommands runs a real sidenode and drives it as an operator
// does: reflection lists the services, the log levels change at run
// time, a peer that is not there is refused, and StopDaemon shuts the
// node down cleanly (exit status 0).
func TestOperatorCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	dn := newNet(t, []string{"node-a"})
	node := dn.Nodes[0]
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := node.WaitREST(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err := node.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	refl, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_ = refl.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}})
	resp, err := refl.Recv()
	if err != nil {
		t.Fatalf("reflection: %v", err)
	}
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	if got := strings.Join(names, " "); !strings.Contains(got, "sidenode.api.v1.OperatorService") {
		t.Fatalf("reflection lists %s", got)
	}
	_ = refl.CloseSend()

	op := apiv1.NewOperatorServiceClient(conn)
	set, err := op.SetDebugLevel(ctx, &apiv1.SetDebugLevelRequest{LevelSpec: "info,PEER=trace"})
	if err != nil {
		t.Fatal(err)
	}
	levels := map[string]string{}
	for _, s := range set.GetSubsystems() {
		levels[s.GetTag()] = s.GetLevel()
	}
	if levels["PEER"] != "trace" || levels["RPCS"] != "info" {
		t.Fatalf("levels after set: %v", levels)
	}
	_, err = op.SetDebugLevel(ctx, &apiv1.SetDebugLevelRequest{LevelSpec: "PEER=loud"})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), "level_spec") {
		t.Fatalf("a bad level: %v", err)
	}

	peers, err := op.ListPeers(ctx, &apiv1.ListPeersRequest{})
	if err != nil || len(peers.GetPeers()) != 0 {
		t.Fatalf("peers of a lone node: %v %v", peers, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	_, err = op.ConnectPeer(ctx, &apiv1.ConnectPeerRequest{Address: closed})
	if status.Code(err) != codes.Unavailable || !strings.Contains(status.Convert(err).Message(), "could not connect") {
		t.Fatalf("connect to a closed port: %v", err)
	}

	mark := node.Mark()
	if _, err := op.StopDaemon(ctx, &apiv1.StopDaemonRequest{}); err != nil {
		t.Fatalf("StopDaemon: %v", err)
	}
	select {
	case <-node.Done():
	case <-ctx.Done():
		t.Fatal("the node did not stop")
	}
	if code := node.ExitCode(); code != 0 {
		t.Fatalf("exit status %d after StopDaemon", code)
	}
	if _, err := node.WaitContains(ctx, mark, "sidenode stopped"); err != nil {
		t.Fatalf("no clean stop in the log: %v", err)
	}
}
