package api

import (
	"context"

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

func (p *pegService) SubscribeDeposits(req *apiv1.SubscribeDepositsRequest,
	stream apiv1.PegService_SubscribeDepositsServer) error {

	const method = apiv1.PegService_SubscribeDeposits_FullMethodName
	ctx, b := stream.Context(), p.s.backend
	return serveStream(ctx, p.s, method, req.GetCursor(), parseMainCursor, mainchainWalk(b),
		streamSends[MainRef, Draw]{
			state: func(tip MainRef) error {
				return stream.Send(&apiv1.SubscribeDepositsResponse{
					Event: &apiv1.SubscribeDepositsResponse_State{State: mainRefProto(tip)}})
			},
			disconnected: func(d *Draw) error {
				return stream.Send(&apiv1.SubscribeDepositsResponse{
					Event: &apiv1.SubscribeDepositsResponse_Disconnected{
						Disconnected: &apiv1.DepositBlock{Block: mainRefProto(d.Ref())}}})
			},
			connected: blockItems(ctx, method, (*Draw).Ref, b.DepositsIn,
				func(block MainRef, deps []Deposit) error {
					out := &apiv1.DepositBlock{Block: mainRefProto(block),
						Deposits: make([]*apiv1.Deposit, len(deps))}
					for j := range deps {
						out.Deposits[j] = depositProto(&deps[j])
					}
					return stream.Send(&apiv1.SubscribeDepositsResponse{
						Event: &apiv1.SubscribeDepositsResponse_Connected{Connected: out}})
				}),
		})
}
