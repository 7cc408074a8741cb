package node_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// TestBansSurviveNodeRestart bans a subnet through a real node's API,
// restarts the node, and finds the ban listed as before, kept in the
// network's data dir.
func TestBansSurviveNodeRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	net := newNet(t, []string{"node-a"})
	node := net.Nodes[0]
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	listBans := func() []*apiv1.PeerBan {
		t.Helper()
		conn, err := node.Dial()
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		resp, err := apiv1.NewNodeServiceClient(conn).ListBans(ctx, &apiv1.ListBansRequest{})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetBans()
	}

	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	if err := node.WaitREST(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err := node.Dial()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := apiv1.NewNodeServiceClient(conn).BanPeer(ctx, &apiv1.BanPeerRequest{
		Target: "192.0.2.99/24", DurationSeconds: 3600, Reason: "spam"})
	conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	ban := resp.GetBan()
	if got := listBans(); len(got) != 1 || got[0].GetTarget() != "192.0.2.0/24" {
		t.Fatalf("bans before restart: %v", got)
	}
	stopClean(t, node)
	if _, err := os.Stat(filepath.Join(node.NetDir(), "bans.json")); err != nil {
		t.Fatalf("no ban file in the network dir: %v", err)
	}

	mark := node.Mark()
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := node.WaitContains(ctx, mark, "REST gateway listening on"); err != nil {
		t.Fatal(err)
	}
	got := listBans()
	if len(got) != 1 || got[0].GetTarget() != ban.GetTarget() ||
		got[0].GetKind() != apiv1.BanKind_BAN_KIND_BANNED ||
		got[0].GetUntilUnix() != ban.GetUntilUnix() || got[0].GetReason() != "spam" {
		t.Fatalf("bans after restart: %v, want %v", got, ban)
	}
	stopClean(t, node)
}
