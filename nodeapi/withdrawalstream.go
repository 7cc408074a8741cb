package nodeapi

import (
	"context"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/sideblock"
)

// WithdrawalsIn implements api.WithdrawalStreamBackend: the withdrawals
// of a best-chain sideblock's body, in block order.
func (b *Adapter) WithdrawalsIn(_ context.Context, ref api.SideRef) ([]api.Withdrawal, bool, error) {
	if b.sidechain == nil {
		return nil, false, api.Errorf(api.ErrUnimplemented, "this node "+
			"follows no sidechain, so it has no withdrawals")
	}
	block, info, err := b.sidechain.Block(ref.Hash)
	if sideblock.IsErrorCode(err, sideblock.ErrBlockNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if info == nil || !info.OnBestChain || info.Height != ref.Height || block == nil {
		return nil, false, nil
	}
	ws := sideblock.BlockWithdrawals(block.Transactions)
	out := make([]api.Withdrawal, len(ws))
	for i := range ws {
		out[i] = b.apiWithdrawal(&ws[i])
	}
	return out, true, nil
}
