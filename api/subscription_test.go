package api_test

import (
	"context"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// streamCtx bounds a test's stream, so that a server that sends nothing
// fails the test instead of hanging it.
func streamCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestGetInfoSyncState(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(3), nil)
	c := dial(t, srv, api.ReadOnlyCredFilename)
	info, err := c.node.GetInfo(context.Background(), &apiv1.GetInfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	mc := info.GetMainchain()
	if mc.GetBackendHash() != mc.GetTipHash() || len(mc.GetBackendHash()) != 64 ||
		mc.GetFilterHeight() != 11 || mc.GetHeaderHeight() != 12 ||
		mc.GetBackendPeers() != 1 || mc.GetProgress() != 1 {
		t.Errorf("mainchain state %v", mc)
	}
	if info.GetSidechainPeers() != 2 {
		t.Errorf("sidechain peers %d, want 2", info.GetSidechainPeers())
	}
}

func TestSyncProgress(t *testing.T) {
	for _, tc := range []struct {
		tip, backend int32
		want         float64
	}{
		{-1, 0, 0}, {-1, 100, 0}, {0, 0, 1}, {0, 100, 0}, {50, 100, 0.5},
		{100, 100, 1}, {120, 100, 1}, {5, -1, 1},
	} {
		if got := api.SyncProgress(tc.tip, tc.backend); got != tc.want {
			t.Errorf("SyncProgress(%d, %d) = %v, want %v", tc.tip, tc.backend, got, tc.want)
		}
	}
}

func TestGetWinnerProof(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(5), nil)
	c := dial(t, srv, api.ReadOnlyCredFilename)
	ctx := context.Background()
	w, err := c.mainchain.GetWinner(ctx, &apiv1.GetWinnerRequest{Height: 10})
	if err != nil {
		t.Fatal(err)
	}
	// Weight{Hi: 1, Lo: 7} = 2^64 + 7, and so on.
	if w.GetR() != "18446744073709551623" || w.GetRangeStart() != "18446744073709551616" ||
		w.GetRangeEnd() != "18446744073709551625" || w.GetSidechainId() != 0xd07 ||
		!w.GetOwnTicket() {
		t.Errorf("winner at 10: %v", w)
	}
	// A draw recorded without its proof.
	w, err = c.mainchain.GetWinner(ctx, &apiv1.GetWinnerRequest{Height: 8})
	if err != nil {
		t.Fatal(err)
	}
	if w.GetR() != "" || w.GetRangeStart() != "" || w.GetRangeEnd() != "" ||
		w.GetTicketId() != 3 || !w.GetOwnTicket() {
		t.Errorf("winner at 8: %v", w)
	}
}

func TestListPublicationsAndMissedSlots(t *testing.T) {
	b := apitest.NewBackend(5)
	b.Publications[3] = apitest.NewBackend(0).Publications[11]
	p3 := b.Publications[3]
	p3.Height = 3
	b.Publications[3] = p3
	b.MissReasons = map[int32]string{8: "fee too low"}
	srv := apitest.StartServer(t, b, func(cfg *api.Config) {
		cfg.MaxPageSize, cfg.DefaultPageSize = 5, 3
	})
	c := dial(t, srv, api.ReadOnlyCredFilename)
	ctx := context.Background()

	pubs, err := c.mainchain.ListPublications(ctx, &apiv1.ListPublicationsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if pubs.GetTotal() != 2 || len(pubs.GetPublications()) != 2 ||
		pubs.GetPublications()[0].GetHeight() != 3 || pubs.GetPublications()[1].GetHeight() != 11 {
		t.Fatalf("publications %v", pubs)
	}
	p := pubs.GetPublications()[1]
	if p.GetTicketId() != 1 || p.GetTxIndex() != 3 || len(p.GetTxid()) != 64 ||
		p.GetPrevBlock() != strings.Repeat("0", 64) || len(p.GetBlockHash()) != 64 {
		t.Errorf("publication %v", p)
	}
	pubs, err = c.mainchain.ListPublications(ctx, &apiv1.ListPublicationsRequest{
		Limit: 1, Reversed: true})
	if err != nil {
		t.Fatal(err)
	}
	if pubs.GetTotal() != 2 || len(pubs.GetPublications()) != 1 ||
		pubs.GetPublications()[0].GetHeight() != 11 {
		t.Errorf("reversed page %v", pubs)
	}
	pubs, err = c.mainchain.ListPublications(ctx, &apiv1.ListPublicationsRequest{Offset: 2})
	if err != nil || pubs.GetTotal() != 2 || len(pubs.GetPublications()) != 0 {
		t.Errorf("page past the end: %v %v", pubs, err)
	}

	missed, err := c.mainchain.ListMissedSlots(ctx, &apiv1.ListMissedSlotsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if missed.GetTotal() != 1 || len(missed.GetMissedSlots()) != 1 {
		t.Fatalf("missed slots %v", missed)
	}
	m := missed.GetMissedSlots()[0]
	if m.GetHeight() != 8 || m.GetTicketId() != 3 || !m.GetOwnTicket() || len(m.GetBlockHash()) != 64 ||
		m.GetMissReason() != "fee too low" {
		t.Errorf("missed slot %v", m)
	}

	for _, err := range []error{
		func() error {
			_, err := c.mainchain.ListPublications(ctx, &apiv1.ListPublicationsRequest{Limit: 6})
			return err
		}(),
		func() error {
			_, err := c.mainchain.ListMissedSlots(ctx, &apiv1.ListMissedSlotsRequest{Limit: 1 << 31})
			return err
		}(),
	} {
		wantCode(t, "limit above the maximum page size", err, codes.InvalidArgument)
		if !strings.Contains(status.Convert(err).Message(), "maximum page size") {
			t.Errorf("message %q does not name the limit", status.Convert(err).Message())
		}
	}
}

// sideStream opens SubscribeSideblocks with cursor (nil: none) and checks
// that the first message is the state.
func sideStream(t *testing.T, c clients, cursor *apiv1.SidechainBlockRef) (apiv1.SubscriptionService_SubscribeSideblocksClient, *apiv1.SidechainState) {
	t.Helper()
	stream, err := c.subscription.SubscribeSideblocks(streamCtx(t),
		&apiv1.SubscribeSideblocksRequest{Cursor: cursor})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	state := msg.GetState()
	if state == nil {
		t.Fatalf("first message %v, want the state", msg)
	}
	return stream, state
}

// sideEvent is a received event: connected or not, and the block.
type sideEvent struct {
	connected bool
	block     *apiv1.SidechainBlock
}

func recvSide(t *testing.T, stream apiv1.SubscriptionService_SubscribeSideblocksClient, n int) []sideEvent {
	t.Helper()
	var out []sideEvent
	for len(out) < n {
		msg, err := stream.Recv()
		if err != nil {
			t.Fatalf("after %d events: %v", len(out), err)
		}
		switch {
		case msg.GetConnected() != nil:
			out = append(out, sideEvent{true, msg.GetConnected()})
		case msg.GetDisconnected() != nil:
			out = append(out, sideEvent{false, msg.GetDisconnected()})
		default:
			t.Fatalf("unexpected message %v", msg)
		}
	}
	return out
}

// wantSide checks events against the blocks expected, by kind and hash.
func wantSide(t *testing.T, got []sideEvent, connected []bool, blocks []api.SideEvent) {
	t.Helper()
	for i := range blocks {
		g := got[i]
		if g.connected != connected[i] || g.block.GetHash() != blocks[i].Hash.String() ||
			g.block.GetBlockHeight() != blocks[i].Height ||
			g.block.GetPrevBlock() != blocks[i].PrevBlock.String() {
			t.Fatalf("event %d: connected=%v %v, want connected=%v %v at %d", i,
				g.connected, g.block, connected[i], blocks[i].Hash, blocks[i].Height)
		}
	}
}

func ref(e api.SideEvent) *apiv1.SidechainBlockRef {
	return &apiv1.SidechainBlockRef{BlockHeight: e.Height, Hash: e.Hash.String()}
}

func repeat(v bool, n int) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestSubscribeSideblocks(t *testing.T) {
	b := apitest.NewBackend(3)
	b.ExtendSide(5)
	chain := b.SideChain() // heights 0 to 7
	srv := apitest.StartServer(t, b, nil)
	c := dial(t, srv, api.ReadOnlyCredFilename)

	// The state first; without a cursor, then only what changes.
	live, state := sideStream(t, c, nil)
	if state.GetHeight() != 7 || state.GetTipHash() != chain[7].Hash.String() {
		t.Fatalf("state %v, want the tip %v at 7", state, chain[7].Hash)
	}

	// Resumed from a cursor: exactly the blocks after it.
	resumed, state := sideStream(t, c, ref(chain[4]))
	if state.GetHeight() != 7 {
		t.Fatalf("state %v", state)
	}
	wantSide(t, recvSide(t, resumed, 3), repeat(true, 3), chain[5:])

	// From the start: the whole chain.
	all, _ := sideStream(t, c, &apiv1.SidechainBlockRef{Hash: strings.Repeat("0", 64)})
	got := recvSide(t, all, 8)
	wantSide(t, got, repeat(true, 8), chain)
	if got[2].block.GetLotteryHeight() != 102 || got[2].block.GetPublicationHeight() != 103 ||
		got[2].block.GetMerkleRoot() == "" || len(got[2].block.GetPublicationTxid()) != 64 {
		t.Errorf("block at 2: %v", got[2].block)
	}

	// New blocks reach every stream.
	added := b.ExtendSide(2)
	for _, s := range []apiv1.SubscriptionService_SubscribeSideblocksClient{live, resumed, all} {
		wantSide(t, recvSide(t, s, 2), repeat(true, 2), added)
	}

	// A reorg: the blocks that left, tip first, then the new branch.
	gone, branch := b.ReorgSide(3, 4, false)
	for _, s := range []apiv1.SubscriptionService_SubscribeSideblocksClient{live, resumed, all} {
		events := recvSide(t, s, 7)
		wantSide(t, events[:3], repeat(false, 3), gone)
		wantSide(t, events[3:], repeat(true, 4), branch)
	}

	// A cursor on a block that has left the best chain: back to the fork
	// point, then forward on the new branch.
	stale, _ := sideStream(t, c, ref(gone[0]))
	events := recvSide(t, stale, 7)
	wantSide(t, events[:3], repeat(false, 3), gone)
	wantSide(t, events[3:], repeat(true, 4), branch)

	// A block the node forgot: NOT_FOUND, before any message.
	forgotten, _ := b.ReorgSide(1, 1, true)
	lost, err := c.subscription.SubscribeSideblocks(streamCtx(t),
		&apiv1.SubscribeSideblocksRequest{Cursor: ref(forgotten[0])})
	if err == nil {
		_, err = lost.Recv()
	}
	wantCode(t, "cursor on a forgotten block", err, codes.NotFound)
}

func TestSubscribeCursorErrors(t *testing.T) {
	b := apitest.NewBackend(3)
	srv := apitest.StartServer(t, b, nil)
	c := dial(t, srv, api.ReadOnlyCredFilename)
	good := b.SideChain()[1]
	main := b.MainChain()[5]

	side := func(cur *apiv1.SidechainBlockRef) error {
		stream, err := c.subscription.SubscribeSideblocks(streamCtx(t),
			&apiv1.SubscribeSideblocksRequest{Cursor: cur})
		if err == nil {
			_, err = stream.Recv()
		}
		return err
	}
	lottery := func(cur *apiv1.MainchainBlockRef) error {
		stream, err := c.subscription.SubscribeLottery(streamCtx(t),
			&apiv1.SubscribeLotteryRequest{Cursor: cur})
		if err == nil {
			_, err = stream.Recv()
		}
		return err
	}
	hash := good.Hash.String()
	for _, tc := range []struct {
		cur  *apiv1.SidechainBlockRef
		want string
	}{
		{&apiv1.SidechainBlockRef{BlockHeight: 1, Hash: "zz" + hash[2:]}, "not hex"},
		{&apiv1.SidechainBlockRef{BlockHeight: 1, Hash: hash[2:]}, "64 hex digits"},
		{&apiv1.SidechainBlockRef{BlockHeight: 1}, "64 hex digits"},
		{deprecatedRef(1<<40, hash), "too large"},
		{&apiv1.SidechainBlockRef{BlockHeight: -1, Hash: hash}, "negative"},
		{&apiv1.SidechainBlockRef{BlockHeight: 3, Hash: strings.Repeat("0", 64)}, "zero hash"},
	} {
		err := side(tc.cur)
		wantCode(t, tc.cur.String(), err, codes.InvalidArgument)
		if msg := status.Convert(err).Message(); !strings.Contains(msg, "cursor") ||
			!strings.Contains(msg, tc.want) {
			t.Errorf("%v: message %q", tc.cur, msg)
		}
	}
	// A known block at another height; an unknown block.
	wantCode(t, "wrong height", side(&apiv1.SidechainBlockRef{BlockHeight: 2, Hash: hash}),
		codes.InvalidArgument)
	wantCode(t, "unknown block", side(&apiv1.SidechainBlockRef{BlockHeight: 1,
		Hash: strings.Repeat("ab", 32)}), codes.NotFound)

	mhash := main.BlockHash.String()
	wantCode(t, "negative height", lottery(&apiv1.MainchainBlockRef{Height: -1, Hash: mhash}),
		codes.InvalidArgument)
	wantCode(t, "malformed hash", lottery(&apiv1.MainchainBlockRef{Height: 5, Hash: mhash + "0"}),
		codes.InvalidArgument)
	wantCode(t, "unknown block", lottery(&apiv1.MainchainBlockRef{Height: 5,
		Hash: strings.Repeat("ab", 32)}), codes.NotFound)
	if err := lottery(&apiv1.MainchainBlockRef{Height: 5, Hash: mhash}); err != nil {
		t.Errorf("good cursor: %v", err)
	}
}

// lotteryStream opens SubscribeLottery with cursor and returns the state.
func lotteryStream(t *testing.T, c clients, cursor *apiv1.MainchainBlockRef) (apiv1.SubscriptionService_SubscribeLotteryClient, *apiv1.MainchainBlockRef) {
	t.Helper()
	stream, err := c.subscription.SubscribeLottery(streamCtx(t),
		&apiv1.SubscribeLotteryRequest{Cursor: cursor})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if msg.GetState() == nil {
		t.Fatalf("first message %v, want the state", msg)
	}
	return stream, msg.GetState()
}

// recvDraws receives n events and checks their kinds and blocks.
func recvDraws(t *testing.T, stream apiv1.SubscriptionService_SubscribeLotteryClient,
	connected []bool, blocks []api.Draw) []*apiv1.Draw {

	t.Helper()
	var out []*apiv1.Draw
	for i := range blocks {
		msg, err := stream.Recv()
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		d := msg.GetConnected()
		if !connected[i] {
			d = msg.GetDisconnected()
		}
		if d == nil || d.GetHeight() != blocks[i].Height ||
			d.GetBlockHash() != blocks[i].BlockHash.String() {
			t.Fatalf("event %d: %v, want connected=%v %v at %d", i, msg, connected[i],
				blocks[i].BlockHash, blocks[i].Height)
		}
		out = append(out, d)
	}
	return out
}

func TestSubscribeLottery(t *testing.T) {
	b := apitest.NewBackend(5)
	chain := b.MainChain() // heights 0 to 11
	srv := apitest.StartServer(t, b, nil)
	c := dial(t, srv, api.ReadOnlyCredFilename)

	live, state := lotteryStream(t, c, nil)
	if state.GetHeight() != 11 || state.GetHash() != chain[11].BlockHash.String() {
		t.Fatalf("state %v", state)
	}
	resumed, _ := lotteryStream(t, c, &apiv1.MainchainBlockRef{Height: 7,
		Hash: chain[7].BlockHash.String()})
	draws := recvDraws(t, resumed, repeat(true, 4), chain[8:])
	// The draw at 8 has no proof, the one at 10 has; none at 9 and 11.
	if w := draws[0].GetWinner(); w == nil || w.GetTicketId() != 3 || w.GetR() != "" || !w.GetOwnTicket() {
		t.Errorf("draw at 8: %v", draws[0])
	}
	if w := draws[2].GetWinner(); w == nil || w.GetTicketId() != 1 ||
		w.GetRangeEnd() != "18446744073709551625" || w.GetSidechainId() != 0xd07 {
		t.Errorf("draw at 10: %v", draws[2])
	}
	if draws[1].GetWinner() != nil || draws[3].GetWinner() != nil {
		t.Errorf("draws without a winner: %v %v", draws[1], draws[3])
	}

	added := b.ExtendMain(2, true)
	for _, s := range []apiv1.SubscriptionService_SubscribeLotteryClient{live, resumed} {
		got := recvDraws(t, s, repeat(true, 2), added)
		if w := got[1].GetWinner(); w == nil || w.GetR() != "10" || w.GetRangeStart() != "5" ||
			w.GetRangeEnd() != "20" || w.GetTotalWeight() != "1000" {
			t.Errorf("draw at %d: %v", got[1].GetHeight(), got[1])
		}
	}

	// A reorg: the undone blocks, tip first, without winners; the draws
	// of the new branch.
	undone, branch := b.ReorgMain(3, 4)
	for _, s := range []apiv1.SubscriptionService_SubscribeLotteryClient{live, resumed} {
		got := recvDraws(t, s, repeat(false, 3), undone)
		for _, d := range got {
			if d.GetWinner() != nil {
				t.Errorf("undone block with a winner: %v", d)
			}
		}
		recvDraws(t, s, repeat(true, 4), branch)
	}
	// Resumed from an undone block.
	stale, _ := lotteryStream(t, c, &apiv1.MainchainBlockRef{Height: undone[0].Height,
		Hash: undone[0].BlockHash.String()})
	recvDraws(t, stale, repeat(false, 3), undone)
	recvDraws(t, stale, repeat(true, 4), branch)
}

// TestSlowSubscriberBoundsServer opens a stream over a long sidechain and
// reads nothing after the state: the server must stop reading the chain
// once gRPC's flow control blocks its sends, not queue the rest.
func TestSlowSubscriberBoundsServer(t *testing.T) {
	b := apitest.NewBackend(3)
	const total = 5000
	b.ExtendSide(total - 3)
	srv := apitest.StartServer(t, b, nil)
	cred, err := api.ReadCredential(filepath.Join(srv.Dir, api.ReadOnlyCredFilename))
	if err != nil {
		t.Fatal(err)
	}
	// A fixed window of 64 KiB (no BDP estimation growing it).
	const window = 64 << 10
	conn, err := api.Dial(api.ClientConfig{
		Address:     srv.Addr,
		TLSCertPath: filepath.Join(srv.Dir, api.TLSCertFilename),
		Credential:  cred,
	}, grpc.WithInitialWindowSize(window), grpc.WithInitialConnWindowSize(window))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := newClients(conn)
	stream, _ := sideStream(t, c, &apiv1.SidechainBlockRef{Hash: strings.Repeat("0", 64)})

	// Wait until the stream's handler, which also reads the chain, waits
	// for gRPC's write quota: the client reads nothing, so it can neither
	// send nor read any further (or until it read to the end, which fails
	// below).
	deadline := time.Now().Add(30 * time.Second)
	for !handlerBlockedOnSend() {
		if got, _ := b.SideReads(); got == total-1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the stream handler never blocked on flow control")
		}
		time.Sleep(5 * time.Millisecond) // polls a condition; proves nothing by waiting
	}
	last, _ := b.SideReads()
	// What the server may hold: a page read from the backend, gRPC's
	// per-stream write quota (64 KiB in grpc-go) of messages waiting to go
	// out, and the client's window of messages sent but not read.
	chain := b.SideChain()
	msg := &apiv1.SubscribeSideblocksResponse{Event: &apiv1.SubscribeSideblocksResponse_Connected{
		Connected: &apiv1.SidechainBlock{Hash: chain[0].Hash.String(), PrevBlock: chainhash.Hash{}.String()}}}
	minSize := proto.Size(msg) // smaller than any event sent
	bound := int32(2*api.StreamPageSize + (window+64<<10)/minSize)
	t.Logf("server read up to height %d of %d (bound %d)", last, total-1, bound)
	if last >= bound || last >= total-1 {
		t.Fatalf("the server read the chain up to height %d for a client "+
			"that reads nothing (bound %d)", last, bound)
	}

	// The client reads again: every block comes, in order.
	events := recvSide(t, stream, total)
	for i, e := range events {
		if !e.connected || e.block.GetBlockHeight() != int32(i) || e.block.GetHash() != chain[i].Hash.String() {
			t.Fatalf("event %d: %v", i, e.block)
		}
	}
}

// handlerBlockedOnSend reports whether a goroutine running an api stream
// handler waits in grpc-go's per-stream write quota, which only the
// client's reads replenish.
func handlerBlockedOnSend() bool {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "(*writeQuota).get") &&
			strings.Contains(g, "sidenode/api.") {

			return true
		}
	}
	return false
}

func TestSubscriptionLimitsAndStop(t *testing.T) {
	b := apitest.NewBackend(3)
	srv := apitest.StartServer(t, b, nil)
	api.SetMaxStreams(srv.Server, 2, 0)
	c := dial(t, srv, api.ReadOnlyCredFilename)
	s1, _ := sideStream(t, c, nil)
	s2, _ := lotteryStream(t, c, nil)
	stream, err := c.subscription.SubscribeSideblocks(streamCtx(t), &apiv1.SubscribeSideblocksRequest{})
	if err == nil {
		_, err = stream.Recv()
	}
	wantCode(t, "a stream above the maximum", err, codes.ResourceExhausted)

	// Stopping the server ends the streams.
	srv.Stop()
	_, err = s1.Recv()
	wantCode(t, "sideblock stream after Stop", err, codes.Unavailable)
	_, err = s2.Recv()
	wantCode(t, "lottery stream after Stop", err, codes.Unavailable)
}

// trySideStream opens a sideblock stream and returns the error of its
// first message.
func trySideStream(t *testing.T, c clients) error {
	t.Helper()
	stream, err := c.subscription.SubscribeSideblocks(streamCtx(t), &apiv1.SubscribeSideblocksRequest{})
	if err == nil {
		_, err = stream.Recv()
	}
	return err
}

// TestSubscriptionRoomForAdmin checks the issue 11 case with the default
// limits: the read-only credential, holding every stream it may, leaves
// AdminStreams to admin, and is refused a stream more itself.
func TestSubscriptionRoomForAdmin(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(3), nil)
	ro := dial(t, srv, api.ReadOnlyCredFilename)
	for i := 0; i < api.MaxStreams-api.AdminStreams; i++ {
		if err := trySideStream(t, ro); err != nil {
			t.Fatalf("read-only stream %d: %v", i+1, err)
		}
	}
	wantCode(t, "a read-only stream above its share", trySideStream(t, ro), codes.ResourceExhausted)
	admin := dial(t, srv, api.AdminCredFilename)
	for i := 0; i < api.AdminStreams; i++ {
		if err := trySideStream(t, admin); err != nil {
			t.Fatalf("admin stream %d with the read-only share held: %v", i+1, err)
		}
	}
	wantCode(t, "a stream above the maximum", trySideStream(t, admin), codes.ResourceExhausted)
}

// TestSubscriptionLimitsPerCredential checks that a read-only stream that
// ends gives its place back, and that admin may use places the read-only
// credential does not hold.
func TestSubscriptionLimitsPerCredential(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(3), nil)
	api.SetMaxStreams(srv.Server, 4, 1)
	ro := dial(t, srv, api.ReadOnlyCredFilename)
	admin := dial(t, srv, api.AdminCredFilename)

	// Admin takes two places; read-only may take the other two only.
	for i := 0; i < 2; i++ {
		if err := trySideStream(t, admin); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	first, err := ro.subscription.SubscribeLottery(ctx, &apiv1.SubscribeLotteryRequest{})
	if err == nil {
		_, err = first.Recv()
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := trySideStream(t, ro); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "a stream above the maximum", trySideStream(t, ro), codes.ResourceExhausted)

	// The first read-only stream ends: its place is free again once the
	// server has seen it end.
	cancel()
	for {
		err := trySideStream(t, ro)
		if err == nil {
			break
		}
		wantCode(t, "a read-only stream while one ends", err, codes.ResourceExhausted)
		runtime.Gosched()
	}
	wantCode(t, "a stream above the maximum", trySideStream(t, admin), codes.ResourceExhausted)
}
