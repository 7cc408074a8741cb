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

	const method = apiv1.PegService_SubscribeDeposits_FullMethodName
	var cursor *MainRef
	if c := req.GetCursor(); c != nil {
		ref, err := parseMainCursor(c)
		if err != nil {
			return toStatus(method, err)
		}
		cursor = &ref
	}
	r := callerRole(stream.Context())
	quit, err := p.s.subs.enter(r)
	if err != nil {
		return err
	}
	defer p.s.subs.leave(r)

	ctx, b := stream.Context(), p.s.backend
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
	err = stream.Send(&apiv1.SubscribeDepositsResponse{
		Event: &apiv1.SubscribeDepositsResponse_State{State: mainRefProto(tip)}})
	if err != nil {
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
			err := stream.Send(&apiv1.SubscribeDepositsResponse{
				Event: &apiv1.SubscribeDepositsResponse_Disconnected{
					Disconnected: &apiv1.DepositBlock{Block: mainRefProto(d.Ref())}}})
			pos = MainRef{Height: d.Height - 1, Hash: d.PrevBlock}
			return true, err
		}
		for i := range r.Connected {
			block := r.Connected[i].Ref()
			deps, onChain, err := b.DepositsIn(ctx, block)
			if err != nil {
				return false, toStatus(method, err)
			}
			if !onChain {
				// The block left the chain since the page was
				// read: read again from the last block sent.
				return true, nil
			}
			out := &apiv1.DepositBlock{Block: mainRefProto(block),
				Deposits: make([]*apiv1.Deposit, len(deps))}
			for j := range deps {
				out.Deposits[j] = depositProto(&deps[j])
			}
			err = stream.Send(&apiv1.SubscribeDepositsResponse{
				Event: &apiv1.SubscribeDepositsResponse_Connected{Connected: out}})
			if err != nil {
				return false, err
			}
			pos = block
		}
		return len(r.Connected) >= streamPageSize, nil
	})
}
