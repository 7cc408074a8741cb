package api

import (
	"context"
	"fmt"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// DepositStreamBackend serves PegService.SubscribeDeposits beside the
// SubscriptionBackend, whose MainTip, DrawsAfter and Changed walk the
// mainchain.
type DepositStreamBackend interface {
	// DepositsIn returns the deposits the pegbox accepted in the
	// mainchain block block, in mint order; onChain is false, with no
	// deposits, when block is no longer on the node's mainchain.
	DepositsIn(ctx context.Context, block MainRef) (deps []Deposit, onChain bool, err error)
}

func mainRefProto(r MainRef) *apiv1.MainchainBlockRef {
	out := &apiv1.MainchainBlockRef{Height: r.Height}
	if r.Height >= 0 {
		out.Hash = r.Hash.String()
	}
	return out
}

func (p *pegService) SubscribeDeposits(req *apiv1.SubscribeDepositsRequest,
	stream apiv1.PegService_SubscribeDepositsServer) error {

	return p.s.followMain(stream.Context(), apiv1.PegService_SubscribeDeposits_FullMethodName,
		req.GetCursor(), mainEvents{
			state: func(tip MainRef) error {
				return stream.Send(&apiv1.SubscribeDepositsResponse{
					Event: &apiv1.SubscribeDepositsResponse_State{State: mainRefProto(tip)}})
			},
			disconnected: func(block MainRef) error {
				return stream.Send(&apiv1.SubscribeDepositsResponse{
					Event: &apiv1.SubscribeDepositsResponse_Disconnected{
						Disconnected: &apiv1.DepositBlock{Block: mainRefProto(block)}}})
			},
			connected: func(ctx context.Context, block MainRef) (bool, error) {
				deps, onChain, err := p.s.backend.DepositsIn(ctx, block)
				if err != nil || !onChain {
					return false, toStatus(apiv1.PegService_SubscribeDeposits_FullMethodName, err)
				}
				out := &apiv1.DepositBlock{Block: mainRefProto(block),
					Deposits: make([]*apiv1.Deposit, len(deps))}
				for j := range deps {
					out.Deposits[j] = depositProto(&deps[j])
				}
				return true, stream.Send(&apiv1.SubscribeDepositsResponse{
					Event: &apiv1.SubscribeDepositsResponse_Connected{Connected: out}})
			},
		})
}

// mainEvents send the messages of a stream that follows the mainchain
// (followMain).
type mainEvents struct {
	// state sends the tip, the first message.
	state func(tip MainRef) error
	// disconnected sends a block that left the chain.
	disconnected func(block MainRef) error
	// connected reads what the stream reports of a block that joined the
	// chain and sends it; onChain false (nothing sent) when the block is
	// no longer on the node's mainchain. Its error is the stream's: a
	// send error as it is, a backend error through toStatus.
	connected func(ctx context.Context, block MainRef) (onChain bool, err error)
}

// followMain runs a stream that follows the mainchain, as SubscribeLottery
// does, from the request's cursor (nil: from the tip), and sends ev's
// messages: the state, then a connected or disconnected event for every
// block that joins or leaves the chain.
func (s *Server) followMain(ctx context.Context, method string, c *apiv1.MainchainBlockRef, ev mainEvents) error {
	var cursor *MainRef
	if c != nil {
		ref, err := parseMainCursor(c)
		if err != nil {
			return toStatus(method, err)
		}
		cursor = &ref
	}
	r := callerRole(ctx)
	quit, err := s.subs.enter(r)
	if err != nil {
		return err
	}
	defer s.subs.leave(r)

	b := s.backend
	changed := b.Changed()
	var first *DrawRead
	if cursor != nil {
		if first, err = b.DrawsAfter(ctx, *cursor, streamPageSize); err != nil {
			return toStatus(method, err)
		}
	}
	tip, err := b.MainTip(ctx)
	if err != nil {
		return toStatus(method, err)
	}
	if err := ev.state(tip); err != nil {
		return err
	}
	pos := tip
	if cursor != nil {
		pos = *cursor
	}
	return follow(ctx, quit, b, changed, func() (bool, error) {
		r := first
		first = nil
		if r == nil {
			var err error
			if r, err = b.DrawsAfter(ctx, pos, streamPageSize); err != nil {
				return false, toStatus(method, err)
			}
		}
		if d := r.Disconnected; d != nil {
			if d.Height != pos.Height || d.Height <= 0 {
				return false, toStatus(method, fmt.Errorf("backend "+
					"undid block %v at height %d from position %d",
					d.BlockHash, d.Height, pos.Height))
			}
			err := ev.disconnected(d.Ref())
			pos = MainRef{Height: d.Height - 1, Hash: d.PrevBlock}
			return true, err
		}
		for i := range r.Connected {
			block := r.Connected[i].Ref()
			onChain, err := ev.connected(ctx, block)
			if err != nil {
				return false, err
			}
			if !onChain {
				// The block left the chain since the page was
				// read: read again from the last block sent.
				return true, nil
			}
			pos = block
		}
		return len(r.Connected) >= streamPageSize, nil
	})
}
