package api

import (
	"context"

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

func (p *pegService) SubscribeWithdrawals(req *apiv1.SubscribeWithdrawalsRequest,
	stream apiv1.PegService_SubscribeWithdrawalsServer) error {

	const method = apiv1.PegService_SubscribeWithdrawals_FullMethodName
	ctx, b := stream.Context(), p.s.backend
	return serveStream(ctx, p.s, method, req.GetCursor(), parseSideCursor, sidechainWalk(b),
		streamSends[SideRef, SideEvent]{
			state: func(tip SideRef) error {
				return stream.Send(&apiv1.SubscribeWithdrawalsResponse{
					Event: &apiv1.SubscribeWithdrawalsResponse_State{State: sideRefProto(tip)}})
			},
			disconnected: func(d *SideEvent) error {
				return stream.Send(&apiv1.SubscribeWithdrawalsResponse{
					Event: &apiv1.SubscribeWithdrawalsResponse_Disconnected{
						Disconnected: &apiv1.WithdrawalBlock{Block: sideRefProto(d.Ref())}}})
			},
			connected: blockItems(ctx, method, (*SideEvent).Ref, b.WithdrawalsIn,
				func(block SideRef, ws []Withdrawal) error {
					out := &apiv1.WithdrawalBlock{Block: sideRefProto(block),
						Withdrawals: make([]*apiv1.Withdrawal, len(ws))}
					for j := range ws {
						out.Withdrawals[j] = withdrawalProto(&ws[j])
					}
					return stream.Send(&apiv1.SubscribeWithdrawalsResponse{
						Event: &apiv1.SubscribeWithdrawalsResponse_Connected{Connected: out}})
				}),
		})
}
