package api

import (
	"context"
	"fmt"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// WithdrawalStreamBackend serves PegService.SubscribeWithdrawals beside
// the SubscriptionBackend, whose SideTip, SideBlocksAfter and Changed walk
// the best sidechain.
type WithdrawalStreamBackend interface {
	// WithdrawalsIn returns the withdrawals of the best-chain sideblock
	// block, in block order; onChain is false, with none, when block is
	// no longer on the best chain.
	WithdrawalsIn(ctx context.Context, block SideRef) (ws []Withdrawal, onChain bool, err error)
}

func sideRefProto(r SideRef) *apiv1.SidechainBlockRef {
	out := &apiv1.SidechainBlockRef{}
	if r.Height >= 0 {
		out.BlockHeight, out.Hash = num32(r.Height), r.Hash.String()
	}
	return out
}

func (p *pegService) SubscribeWithdrawals(req *apiv1.SubscribeWithdrawalsRequest,
	stream apiv1.PegService_SubscribeWithdrawalsServer) error {

	const method = apiv1.PegService_SubscribeWithdrawals_FullMethodName
	var cursor *SideRef
	if c := req.GetCursor(); c != nil {
		ref, err := parseSideCursor(c)
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
	var first *SideRead
	if cursor != nil {
		if first, err = b.SideBlocksAfter(ctx, *cursor, streamPageSize); err != nil {
			return toStatus(method, err)
		}
	}
	tip, err := b.SideTip(ctx)
	if err != nil {
		return toStatus(method, err)
	}
	err = stream.Send(&apiv1.SubscribeWithdrawalsResponse{
		Event: &apiv1.SubscribeWithdrawalsResponse_State{State: sideRefProto(tip)}})
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
			if r, err = b.SideBlocksAfter(ctx, pos, streamPageSize); err != nil {
				return false, toStatus(method, err)
			}
		}
		if d := r.Disconnected; d != nil {
			if d.Height != pos.Height || d.Height < 0 {
				return false, toStatus(method, fmt.Errorf("backend "+
					"disconnected block %v at height %d from position %d",
					d.Hash, d.Height, pos.Height))
			}
			err := stream.Send(&apiv1.SubscribeWithdrawalsResponse{
				Event: &apiv1.SubscribeWithdrawalsResponse_Disconnected{
					Disconnected: &apiv1.WithdrawalBlock{Block: sideRefProto(d.Ref())}}})
			pos = SideRef{Height: d.Height - 1, Hash: d.PrevBlock}
			return true, err
		}
		for i := range r.Connected {
			block := r.Connected[i].Ref()
			ws, onChain, err := b.WithdrawalsIn(ctx, block)
			if err != nil {
				return false, toStatus(method, err)
			}
			if !onChain {
				// The block left the best chain since the page
				// was read: read again from the last block sent.
				return true, nil
			}
			out := &apiv1.WithdrawalBlock{Block: sideRefProto(block),
				Withdrawals: make([]*apiv1.Withdrawal, len(ws))}
			for j := range ws {
				out.Withdrawals[j] = withdrawalProto(&ws[j])
			}
			err = stream.Send(&apiv1.SubscribeWithdrawalsResponse{
				Event: &apiv1.SubscribeWithdrawalsResponse_Connected{Connected: out}})
			if err != nil {
				return false, err
			}
			pos = block
		}
		return len(r.Connected) >= streamPageSize, nil
	})
}
