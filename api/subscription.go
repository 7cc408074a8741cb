package api

import (
	"context"
	"sync"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// Limits of the subscription streams.
const (
	// streamPageSize is the most events a stream reads from the backend
	// at a time. The stream sends them before it reads more, so a stream
	// holds at most one page of events besides what gRPC's flow control
	// lets it buffer.
	streamPageSize = 100

	// MaxStreams is the most subscription streams the server serves at
	// once; it refuses more with ResourceExhausted.
	MaxStreams = 256

	// AdminStreams of MaxStreams are kept for the admin credential: the
	// read-only credential holds at most MaxStreams - AdminStreams
	// streams, so that a read-only client, or many of them, cannot keep
	// the operator from subscribing.
	AdminStreams = 32
)

// errStopping ends the streams when the server stops.
var errStopping = status.Error(codes.Unavailable, "the API server is stopping")

// subscriptions counts the server's streams and ends them when the server
// stops: Server.Stop's graceful stop would otherwise wait for streams that
// never end by themselves. Its zero value is ready.
type subscriptions struct {
	mu       sync.Mutex
	n        int          // all streams
	byRole   map[role]int // streams per credential
	max      int          // 0: MaxStreams
	reserved int          // kept for admin; with max 0, AdminStreams
	quit     chan struct{}
	stopped  bool

	// what names the calls counted in refusals; "" means "subscription
	// streams".
	what string
}

// noun returns what the counted calls are called.
func (ss *subscriptions) noun() string {
	if ss.what == "" {
		return "subscription streams"
	}
	return ss.what
}

// limits returns the most streams in all and the most the read-only
// credential may hold.
func (ss *subscriptions) limits() (total, readOnly int) {
	total, reserved := ss.max, ss.reserved
	if total <= 0 {
		total, reserved = MaxStreams, AdminStreams
	}
	return total, max(total-reserved, 0)
}

// enter admits a new stream of a caller with role r and returns the
// channel closed on stop; the stream calls leave(r) when it ends. The
// read-only credential is refused once it holds its share, which leaves
// room for admin.
func (ss *subscriptions) enter(r role) (<-chan struct{}, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.quit == nil {
		ss.quit = make(chan struct{})
	}
	if ss.byRole == nil {
		ss.byRole = make(map[role]int)
	}
	total, readOnly := ss.limits()
	switch {
	case ss.stopped:
		return nil, errStopping
	case r != roleAdmin && ss.byRole[r] >= readOnly:
		return nil, status.Errorf(codes.ResourceExhausted, "the %v "+
			"credential already holds its maximum of %d %s (%d more "+
			"are kept for %s)", r, readOnly, ss.noun(),
			total-readOnly, AdminCredFilename)
	case ss.n >= total:
		return nil, status.Errorf(codes.ResourceExhausted, "the server "+
			"already serves its maximum of %d %s", total, ss.noun())
	}
	ss.n++
	ss.byRole[r]++
	return ss.quit, nil
}

func (ss *subscriptions) leave(r role) {
	ss.mu.Lock()
	ss.n--
	ss.byRole[r]--
	ss.mu.Unlock()
}

// stop ends every stream and refuses new ones.
func (ss *subscriptions) stop() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.stopped {
		return
	}
	ss.stopped = true
	if ss.quit == nil {
		ss.quit = make(chan struct{})
	}
	close(ss.quit)
}

// follow runs a stream: it calls step, which reads one page from the
// stream's position and sends it, for as long as step says there is more
// to read; then it waits until the backend's state changes, and starts
// over. changed must have been taken from the backend before the stream's
// first read. Nothing is queued: a slow client blocks step in Send, which
// blocks the loop, and the next read starts from where the client got to.
func follow(ctx context.Context, quit <-chan struct{}, next func() <-chan struct{},
	changed <-chan struct{}, step func() (more bool, err error)) error {

	for {
		for more := true; more; {
			select {
			case <-quit:
				return errStopping
			case <-ctx.Done():
				return status.FromContextError(ctx.Err()).Err()
			default:
			}
			var err error
			if more, err = step(); err != nil {
				return err
			}
		}
		select {
		case <-changed:
			changed = next()
		case <-quit:
			return errStopping
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		}
	}
}

// parseSideCursor checks a sidechain cursor: a hash of 64 zeros with
// height 0 is the position before the first block.
func parseSideCursor(c *apiv1.SidechainBlockRef) (SideRef, error) {
	h, err := parseHash("cursor.hash", "sidechain block hash", c.GetHash())
	if err != nil {
		return SideRef{}, err
	}
	// twinRequest has filled block_height from height, and refused a
	// height above the int32 range.
	switch {
	case h == (chainhash.Hash{}) && c.GetBlockHeight() != 0:
		return SideRef{}, Errorf(ErrInvalidArgument, "cursor: the zero hash "+
			"names the position before the first block, at height 0, not %d",
			c.GetBlockHeight())
	case h == (chainhash.Hash{}):
		return SideRef{Height: -1}, nil
	case c.GetBlockHeight() < 0:
		return SideRef{}, Errorf(ErrInvalidArgument, "cursor.block_height %d is "+
			"negative", c.GetBlockHeight())
	}
	return SideRef{Height: c.GetBlockHeight(), Hash: h}, nil
}

// parseMainCursor checks a mainchain cursor.
func parseMainCursor(c *apiv1.MainchainBlockRef) (MainRef, error) {
	if c.GetHeight() < 0 {
		return MainRef{}, Errorf(ErrInvalidArgument, "cursor.height %d is "+
			"negative", c.GetHeight())
	}
	h, err := parseHash("cursor.hash", "mainchain block hash", c.GetHash())
	if err != nil {
		return MainRef{}, err
	}
	return MainRef{Height: c.GetHeight(), Hash: h}, nil
}

func sideBlockProto(e *SideEvent) *apiv1.SidechainBlock {
	out := &apiv1.SidechainBlock{
		Hash:        e.Hash.String(),
		BlockHeight: num32(max(e.Height, 0)),
		PrevBlock:   e.PrevBlock.String(),
	}
	if !e.Partial {
		out.MerkleRoot = e.MerkleRoot.String()
		out.LotteryHeight = e.LotteryHeight
		out.PublicationHeight = e.PubHeight
		out.PublicationTxid = e.PubTxID.String()
	}
	return out
}

func drawProto(d *Draw) *apiv1.Draw {
	out := &apiv1.Draw{Height: d.Height, BlockHash: d.BlockHash.String()}
	if d.Winner != nil {
		out.Winner = drawWinnerProto(d.Winner)
	}
	return out
}

// subscriptionService implements SubscriptionService.
type subscriptionService struct {
	apiv1.UnimplementedSubscriptionServiceServer
	s *Server
}

func (sub *subscriptionService) SubscribeSideblocks(req *apiv1.SubscribeSideblocksRequest,
	stream apiv1.SubscriptionService_SubscribeSideblocksServer) error {

	const method = apiv1.SubscriptionService_SubscribeSideblocks_FullMethodName
	ctx := stream.Context()
	return serveStream(ctx, sub.s, method, req.GetCursor(), parseSideCursor,
		sidechainWalk(sub.s.backend), streamSends[SideRef, SideEvent]{
			state: func(tip SideRef) error {
				state := &apiv1.SidechainState{}
				if tip.Height >= 0 {
					state.Height, state.TipHash = num32(tip.Height), tip.Hash.String()
				}
				return stream.Send(&apiv1.SubscribeSideblocksResponse{
					Event: &apiv1.SubscribeSideblocksResponse_State{State: state}})
			},
			disconnected: func(d *SideEvent) error {
				return stream.Send(&apiv1.SubscribeSideblocksResponse{
					Event: &apiv1.SubscribeSideblocksResponse_Disconnected{
						Disconnected: sideBlockProto(d)}})
			},
			connected: func(e *SideEvent) (bool, error) {
				return true, stream.Send(&apiv1.SubscribeSideblocksResponse{
					Event: &apiv1.SubscribeSideblocksResponse_Connected{
						Connected: sideBlockProto(e)}})
			},
		})
}

func (sub *subscriptionService) SubscribeLottery(req *apiv1.SubscribeLotteryRequest,
	stream apiv1.SubscriptionService_SubscribeLotteryServer) error {

	const method = apiv1.SubscriptionService_SubscribeLottery_FullMethodName
	ctx := stream.Context()
	return serveStream(ctx, sub.s, method, req.GetCursor(), parseMainCursor,
		mainchainWalk(sub.s.backend), streamSends[MainRef, Draw]{
			state: func(tip MainRef) error {
				return stream.Send(&apiv1.SubscribeLotteryResponse{
					Event: &apiv1.SubscribeLotteryResponse_State{State: mainRefProto(tip)}})
			},
			disconnected: func(d *Draw) error {
				undone := *d
				undone.Winner = nil
				return stream.Send(&apiv1.SubscribeLotteryResponse{
					Event: &apiv1.SubscribeLotteryResponse_Disconnected{
						Disconnected: drawProto(&undone)}})
			},
			connected: func(d *Draw) (bool, error) {
				return true, stream.Send(&apiv1.SubscribeLotteryResponse{
					Event: &apiv1.SubscribeLotteryResponse_Connected{
						Connected: drawProto(d)}})
			},
		})
}
