package node_test

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mainstake/sidenode/devnet"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// sideWatch follows a node's SubscribeSideblocks stream in the background
// and keeps the chain its events describe.
type sideWatch struct {
	mu           sync.Mutex
	chain        []*apiv1.SidechainBlock
	disconnected int
	err          error
}

// drawWatch follows a node's SubscribeLottery stream in the background and
// keeps the mainchain its events describe.
type drawWatch struct {
	mu           sync.Mutex
	tip          *apiv1.MainchainBlockRef
	hashes       map[int32]string
	winners      map[int32]uint64
	disconnected int
	err          error
}

// openStream calls open until it opens a stream and receives its first
// message: the node's API may still be starting.
func openStream(t *testing.T, n *devnet.Node,
	open func(context.Context, apiv1.SubscriptionServiceClient) error) {

	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	deadline := time.Now().Add(90 * time.Second)
	for {
		conn, err := n.Dial()
		if err == nil {
			if err = open(ctx, apiv1.NewSubscriptionServiceClient(conn)); err == nil {
				t.Cleanup(func() { conn.Close() })
				return
			}
			conn.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no stream: %v", n.Spec.Name, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// watchSideblocks streams node n's best sidechain from its first block.
func watchSideblocks(t *testing.T, n *devnet.Node) *sideWatch {
	var stream apiv1.SubscriptionService_SubscribeSideblocksClient
	openStream(t, n, func(ctx context.Context, c apiv1.SubscriptionServiceClient) error {
		var err error
		stream, err = c.SubscribeSideblocks(ctx, &apiv1.SubscribeSideblocksRequest{
			Cursor: &apiv1.SidechainBlockRef{Hash: strings.Repeat("0", 64)}})
		if err == nil {
			_, err = stream.Recv() // the state
		}
		return err
	})
	w := &sideWatch{}
	go func() {
		for {
			msg, err := stream.Recv()
			w.mu.Lock()
			if err != nil {
				if status.Code(err) != codes.Canceled {
					w.err = err
				}
				w.mu.Unlock()
				return
			}
			w.apply(msg)
			w.mu.Unlock()
		}
	}()
	return w
}

func (w *sideWatch) apply(msg *apiv1.SubscribeSideblocksResponse) {
	if w.err != nil {
		return
	}
	prev, height := strings.Repeat("0", 64), uint64(len(w.chain))
	if len(w.chain) > 0 {
		prev = w.chain[len(w.chain)-1].GetHash()
	}
	switch {
	case msg.GetConnected() != nil:
		b := msg.GetConnected()
		if uint64(b.GetBlockHeight()) != height || b.GetPrevBlock() != prev {
			w.err = fmt.Errorf("connected %v on %s at height %d", b, prev, height)
			return
		}
		w.chain = append(w.chain, b)
	case msg.GetDisconnected() != nil:
		b := msg.GetDisconnected()
		if len(w.chain) == 0 || b.GetHash() != prev || uint64(b.GetBlockHeight()) != height-1 {
			w.err = fmt.Errorf("disconnected %v, tip %s at %d", b, prev, int(height)-1)
			return
		}
		w.chain = w.chain[:len(w.chain)-1]
		w.disconnected++
	default:
		w.err = fmt.Errorf("unexpected message %v", msg)
	}
}

// waitTip waits until the stream's chain ends at hash, height.
func (w *sideWatch) waitTip(t *testing.T, hash string, height uint64) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		w.mu.Lock()
		err, n := w.err, len(w.chain)
		tip := ""
		if n > 0 {
			tip = w.chain[n-1].GetHash()
		}
		w.mu.Unlock()
		if err != nil {
			t.Fatalf("sideblock stream: %v", err)
		}
		if tip == hash && uint64(n) == height+1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sideblock stream at %s (%d blocks), node at %s height %d",
				tip, n, hash, height)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// watchLottery streams node n's draws from its tip.
func watchLottery(t *testing.T, n *devnet.Node) *drawWatch {
	var (
		stream apiv1.SubscriptionService_SubscribeLotteryClient
		first  *apiv1.SubscribeLotteryResponse
	)
	openStream(t, n, func(ctx context.Context, c apiv1.SubscriptionServiceClient) error {
		var err error
		stream, err = c.SubscribeLottery(ctx, &apiv1.SubscribeLotteryRequest{})
		if err == nil {
			first, err = stream.Recv()
		}
		return err
	})
	w := &drawWatch{tip: first.GetState(), hashes: make(map[int32]string),
		winners: make(map[int32]uint64)}
	if w.tip == nil {
		t.Fatalf("first message %v, want the state", first)
	}
	w.hashes[w.tip.GetHeight()] = w.tip.GetHash()
	go func() {
		for {
			msg, err := stream.Recv()
			w.mu.Lock()
			if err != nil {
				if status.Code(err) != codes.Canceled {
					w.err = err
				}
				w.mu.Unlock()
				return
			}
			w.apply(msg)
			w.mu.Unlock()
		}
	}()
	return w
}

func (w *drawWatch) apply(msg *apiv1.SubscribeLotteryResponse) {
	if w.err != nil {
		return
	}
	switch {
	case msg.GetConnected() != nil:
		d := msg.GetConnected()
		if d.GetHeight() != w.tip.GetHeight()+1 {
			w.err = fmt.Errorf("connected %v on tip %v", d, w.tip)
			return
		}
		w.tip = &apiv1.MainchainBlockRef{Height: d.GetHeight(), Hash: d.GetBlockHash()}
		w.hashes[d.GetHeight()] = d.GetBlockHash()
		delete(w.winners, d.GetHeight())
		if win := d.GetWinner(); win != nil {
			w.winners[d.GetHeight()] = win.GetTicketId()
			if err := checkRange(win.GetR(), win.GetRangeStart(), win.GetRangeEnd(),
				win.GetTotalWeight()); err != nil {
				w.err = fmt.Errorf("draw at %d: %v", d.GetHeight(), err)
			}
		}
	case msg.GetDisconnected() != nil:
		d := msg.GetDisconnected()
		if d.GetHeight() != w.tip.GetHeight() || d.GetBlockHash() != w.tip.GetHash() || d.GetWinner() != nil {
			w.err = fmt.Errorf("disconnected %v, tip %v", d, w.tip)
			return
		}
		delete(w.winners, d.GetHeight())
		w.tip = &apiv1.MainchainBlockRef{Height: d.GetHeight() - 1, Hash: w.hashes[d.GetHeight()-1]}
		w.disconnected++
	default:
		w.err = fmt.Errorf("unexpected message %v", msg)
	}
}

// checkRange checks a draw's proof numbers: start <= r < end <= total.
func checkRange(r, start, end, total string) error {
	var vals [4]*big.Int
	for i, s := range []string{r, start, end, total} {
		v, ok := new(big.Int).SetString(s, 10)
		if !ok {
			return fmt.Errorf("%q is not a decimal number", s)
		}
		vals[i] = v
	}
	if vals[1].Cmp(vals[0]) > 0 || vals[0].Cmp(vals[2]) >= 0 || vals[2].Cmp(vals[3]) > 0 {
		return fmt.Errorf("r %s not in [%s, %s) within %s", r, start, end, total)
	}
	return nil
}

// waitTip waits until the stream's chain ends at the block height:hash,
// and returns the draws it saw with a winner, by height.
func (w *drawWatch) waitTip(t *testing.T, height int32, hash string) map[int32]uint64 {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		w.mu.Lock()
		err, tip := w.err, w.tip
		w.mu.Unlock()
		if err != nil {
			t.Fatalf("lottery stream: %v", err)
		}
		if tip.GetHeight() == height && tip.GetHash() == hash {
			w.mu.Lock()
			defer w.mu.Unlock()
			out := make(map[int32]uint64, len(w.winners))
			for h, id := range w.winners {
				out[h] = id
			}
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("lottery stream at %v, node at %d:%s", tip, height, hash)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkStreams checks that node a's streams reached the chains' tips, and
// that the draws the lottery stream saw are the node's.
func (e *e2e) checkStreams(side *sideWatch, draws *drawWatch, sideTip string, sideHeight uint64) {
	t := e.t
	t.Helper()
	side.waitTip(t, sideTip, sideHeight)
	height, hash, err := e.net.H.Tip()
	if err != nil {
		t.Fatal(err)
	}
	winners := draws.waitTip(t, height, hash.String())
	conn, err := e.net.Nodes[0].Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	mc := apiv1.NewMainchainServiceClient(conn)
	ctx, cancel := e.ctx()
	defer cancel()
	for h, id := range winners {
		w, err := mc.GetWinner(ctx, &apiv1.GetWinnerRequest{Height: h})
		if err != nil || w.GetTicketId() != id {
			t.Fatalf("draw at %d: the stream says ticket %d, GetWinner %v %v", h, id, w, err)
		}
	}
	side.mu.Lock()
	sd := side.disconnected
	side.mu.Unlock()
	draws.mu.Lock()
	dd := draws.disconnected
	draws.mu.Unlock()
	t.Logf("streams: sidechain at %d, %d sideblocks disconnected; mainchain at %d, %d "+
		"blocks undone, %d draws with a winner", sideHeight, sd, height, dd, len(winners))
}

// checkSlots compares ListPublications and ListMissedSlots with a scan of
// every height through GetPublication and GetWinner on the first node, and
// checks that every node lists the same.
func (e *e2e) checkSlots(nodes []*devnet.Node) {
	t := e.t
	t.Helper()
	ctx, cancel := e.ctx()
	defer cancel()
	height, _, err := e.net.H.Tip()
	if err != nil {
		t.Fatal(err)
	}
	lists := func(n *devnet.Node) (pubs, missed []string) {
		conn, err := n.Dial()
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		mc := apiv1.NewMainchainServiceClient(conn)
		for off := uint64(0); ; off += 100 {
			resp, err := mc.ListPublications(ctx, &apiv1.ListPublicationsRequest{Offset: off, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range resp.GetPublications() {
				pubs = append(pubs, fmt.Sprintf("%d:%d:%s", p.GetHeight(), p.GetTicketId(), p.GetTxid()))
			}
			if off+100 >= resp.GetTotal() {
				if uint64(len(pubs)) != resp.GetTotal() {
					t.Fatalf("%s: %d publications listed, total %d", n.Spec.Name, len(pubs), resp.GetTotal())
				}
				break
			}
		}
		resp, err := mc.ListMissedSlots(ctx, &apiv1.ListMissedSlotsRequest{Limit: 1000, Reversed: true})
		if err != nil {
			t.Fatal(err)
		}
		if uint64(len(resp.GetMissedSlots())) != resp.GetTotal() {
			t.Fatalf("%s: %d missed slots listed, total %d", n.Spec.Name,
				len(resp.GetMissedSlots()), resp.GetTotal())
		}
		for i := len(resp.GetMissedSlots()) - 1; i >= 0; i-- {
			m := resp.GetMissedSlots()[i]
			missed = append(missed, fmt.Sprintf("%d:%d:%s", m.GetHeight(), m.GetTicketId(), m.GetBlockHash()))
		}
		return pubs, missed
	}

	// The scan, on the first node.
	conn, err := nodes[0].Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	mc := apiv1.NewMainchainServiceClient(conn)
	var wantPubs, wantMissed []string
	var winner *apiv1.GetWinnerResponse
	for h := int32(0); h <= height; h++ {
		p, err := mc.GetPublication(ctx, &apiv1.GetPublicationRequest{Height: h})
		switch {
		case err == nil:
			wantPubs = append(wantPubs, fmt.Sprintf("%d:%d:%s", h, p.GetTicketId(), p.GetTxid()))
		case status.Code(err) != codes.NotFound:
			t.Fatal(err)
		}
		if winner != nil && err != nil {
			wantMissed = append(wantMissed, fmt.Sprintf("%d:%d:%s", winner.GetHeight(),
				winner.GetTicketId(), winner.GetBlockHash()))
		}
		winner, err = mc.GetWinner(ctx, &apiv1.GetWinnerRequest{Height: h})
		if err != nil && status.Code(err) != codes.NotFound {
			t.Fatal(err)
		}
		if winner != nil {
			if err := checkRange(winner.GetR(), winner.GetRangeStart(), winner.GetRangeEnd(),
				winner.GetTotalWeight()); err != nil {
				t.Fatalf("winner at %d: %v", h, err)
			}
		}
	}
	for i, n := range nodes {
		pubs, missed := lists(n)
		if strings.Join(pubs, " ") != strings.Join(wantPubs, " ") ||
			strings.Join(missed, " ") != strings.Join(wantMissed, " ") {
			t.Fatalf("%s lists %d publications and missed slots %v; the scan of %s "+
				"finds %d and %v", n.Spec.Name, len(pubs), missed, nodes[0].Spec.Name,
				len(wantPubs), wantMissed)
		}
		if i == 0 {
			t.Logf("up to mainchain %d: %d publications, %d missed slots", height,
				len(pubs), len(missed))
		}
	}
}
