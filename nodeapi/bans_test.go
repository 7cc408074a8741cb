package nodeapi

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
	"github.com/mainstake/sidenode/p2p"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// emptyHandler is a peer protocol handler with nothing to offer.
type emptyHandler struct{}

func (emptyHandler) Best() (chainhash.Hash, uint64)                { return chainhash.Hash{}, 0 }
func (emptyHandler) HaveBlock(chainhash.Hash) bool                 { return false }
func (emptyHandler) HaveTx(chainhash.Hash) bool                    { return false }
func (emptyHandler) Block(chainhash.Hash) ([]byte, []byte, bool)   { return nil, nil, false }
func (emptyHandler) Tx(chainhash.Hash) ([]byte, bool)              { return nil, false }
func (emptyHandler) ReceiveBlock(p2p.PeerID, []byte, []byte) error { return nil }
func (emptyHandler) ReceiveTx(p2p.PeerID, []byte) error            { return nil }

// startPeers starts a peer server, stopped when the test ends.
func startPeers(t *testing.T, connect ...string) *p2p.Server {
	t.Helper()
	s, err := p2p.New(p2p.Config{Listen: []string{"127.0.0.1:0"},
		Connect: connect, Network: "regtest", SidechainID: 1, Genesis: chainhash.Hash{1},
		RetryInterval: 20 * time.Millisecond, MaxRetryInterval: 100 * time.Millisecond},
		emptyHandler{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	return s
}

// waitPeers waits until s has n sessions.
func waitPeers(t *testing.T, s *p2p.Server, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.ConnectedCount() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d peers, want %d", s.ConnectedCount(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// dialAPI returns a NodeService client of srv with the credential file.
func dialAPI(t *testing.T, srv *apitest.Server, credFile string) apiv1.NodeServiceClient {
	t.Helper()
	cred, err := api.ReadCredential(filepath.Join(srv.Dir, credFile))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := api.Dial(api.ClientConfig{Address: srv.Addr,
		TLSCertPath: filepath.Join(srv.Dir, api.TLSCertFilename), Credential: cred})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return apiv1.NewNodeServiceClient(conn)
}

// TestBansOverAPI bans the loopback address of a node's peer through the
// API, on the node's real peer server: the peer is cut off and listed;
// the read-only credential may list but not ban or unban; unbanning lets
// the peer back.
func TestBansOverAPI(t *testing.T) {
	node := startPeers(t)
	peer := startPeers(t, node.ListenAddrs()[0].String())
	waitPeers(t, node, 1)

	srv := apitest.StartServer(t, New(Env{Bans: node}), nil)
	admin := dialAPI(t, srv, api.AdminCredFilename)
	reader := dialAPI(t, srv, api.ReadOnlyCredFilename)
	ctx := context.Background()

	_, err := reader.BanPeer(ctx, &apiv1.BanPeerRequest{Target: "127.0.0.1"})
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("read-only ban: %v", err)
	}
	resp, err := admin.BanPeer(ctx, &apiv1.BanPeerRequest{Target: "127.0.0.1",
		DurationSeconds: 3600, Reason: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ban := resp.GetBan()
	if ban.GetTarget() != "127.0.0.1" || ban.GetKind() != apiv1.BanKind_BAN_KIND_BANNED ||
		ban.GetUntilUnix()-ban.GetCreatedUnix() != 3600 || ban.GetReason() != "test" {
		t.Fatalf("ban %v", ban)
	}
	waitPeers(t, node, 0)

	list, err := reader.ListBans(ctx, &apiv1.ListBansRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetBans()) != 1 || list.GetBans()[0].GetTarget() != "127.0.0.1" {
		t.Fatalf("bans %v", list.GetBans())
	}

	for _, bad := range []*apiv1.BanPeerRequest{
		{Target: "not an address"},
		{Target: "127.0.0.1", DurationSeconds: api.MaxBanSeconds + 1},
		{Target: ""},
	} {
		if _, err := admin.BanPeer(ctx, bad); status.Code(err) != codes.InvalidArgument {
			t.Errorf("ban %v: %v", bad, err)
		}
	}

	_, err = reader.UnbanPeer(ctx, &apiv1.UnbanPeerRequest{Target: "127.0.0.1"})
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("read-only unban: %v", err)
	}
	unban, err := admin.UnbanPeer(ctx, &apiv1.UnbanPeerRequest{Target: "::ffff:127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(unban.GetLifted()) != 1 {
		t.Fatalf("lifted %v", unban.GetLifted())
	}
	waitPeers(t, node, 1)
	waitPeers(t, peer, 1)
	_, err = admin.UnbanPeer(ctx, &apiv1.UnbanPeerRequest{Target: "127.0.0.1"})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("second unban: %v", err)
	}
}

// TestBansWithoutPeers answers Unimplemented on a node without a peer
// server.
func TestBansWithoutPeers(t *testing.T) {
	srv := apitest.StartServer(t, New(Env{}), nil)
	c := dialAPI(t, srv, api.AdminCredFilename)
	_, err := c.ListBans(context.Background(), &apiv1.ListBansRequest{})
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("list: %v", err)
	}
}
