package api

import (
	"context"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// WalletStreamBackend serves WalletService.SubscribeWalletTransactions
// beside the SubscriptionBackend, whose MainTip, DrawsAfter and Changed
// walk the mainchain.
type WalletStreamBackend interface {
	// WalletTransactionsIn returns the wallet's transactions that the
	// mainchain block block confirms, in the order of ListWalletTransactions;
	// onChain is false, with no transactions, when block is no longer on
	// the node's mainchain.
	WalletTransactionsIn(ctx context.Context, block MainRef) (txs []WalletTx, onChain bool, err error)
}

// SubscribeWalletTransactions follows the mainchain as SubscribeDeposits
// does, with the wallet's transactions in each block.
func (w *walletService) SubscribeWalletTransactions(req *apiv1.SubscribeWalletTransactionsRequest,
	stream apiv1.WalletService_SubscribeWalletTransactionsServer) error {

	const method = apiv1.WalletService_SubscribeWalletTransactions_FullMethodName
	ctx, b := stream.Context(), w.s.backend
	return serveStream(ctx, w.s, method, req.GetCursor(), parseMainCursor, mainchainWalk(b),
		streamSends[MainRef, Draw]{
			state: func(tip MainRef) error {
				return stream.Send(&apiv1.SubscribeWalletTransactionsResponse{
					Event: &apiv1.SubscribeWalletTransactionsResponse_State{State: mainRefProto(tip)}})
			},
			disconnected: func(d *Draw) error {
				return stream.Send(&apiv1.SubscribeWalletTransactionsResponse{
					Event: &apiv1.SubscribeWalletTransactionsResponse_Disconnected{
						Disconnected: &apiv1.WalletTransactionBlock{Block: mainRefProto(d.Ref())}}})
			},
			connected: blockItems(ctx, method, (*Draw).Ref, b.WalletTransactionsIn,
				func(block MainRef, txs []WalletTx) error {
					out := &apiv1.WalletTransactionBlock{Block: mainRefProto(block),
						Transactions: make([]*apiv1.WalletTransaction, len(txs))}
					for i := range txs {
						out.Transactions[i] = walletTxProto(&txs[i])
					}
					return stream.Send(&apiv1.SubscribeWalletTransactionsResponse{
						Event: &apiv1.SubscribeWalletTransactionsResponse_Connected{Connected: out}})
				}),
		})
}
