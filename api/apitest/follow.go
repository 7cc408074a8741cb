package apitest

import (
	"context"
	"sort"

	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
)

// AdvanceWithdrawal moves the withdrawal at op to stage, as the node's
// chains would, and connects a mainchain block so that followers look
// again. Paid gets the payout of PayoutTxID(1).
func (b *Backend) AdvanceWithdrawal(op wire.OutPoint, stage api.WithdrawalStage) {
	b.mu.Lock()
	st := b.peg.withdrawals[op]
	st.Stage = stage
	if stage == api.WithdrawalPaid {
		st.PayoutTxID, st.PayoutHeight, st.PayoutConfirmations = PayoutTxID(1), 105, 1
	}
	b.peg.withdrawals[op] = st
	b.mu.Unlock()
	b.ExtendMain(1, false)
}

// ConfirmStake makes the last registration CreateStake paid a ticket of
// the wallet's, and connects the mainchain block that holds it.
func (b *Backend) ConfirmStake() {
	b.mu.Lock()
	id := len(b.TicketList)
	t := api.Ticket{ID: uint64(id), TxID: hash(0xcd), Value: b.lastStake.Amount,
		LockHeight: 3_000, ConfHeight: 300, PubKey: pubKey(), EndHeight: -1,
		State: api.TicketMaturing}
	t.Stake = wire.OutPoint{Hash: t.TxID}
	t.Publisher = wire.OutPoint{Hash: t.TxID, Index: 1}
	b.TicketList = append(b.TicketList, t)
	b.OwnTickets = append(b.OwnTickets, id)
	b.mu.Unlock()
	b.ExtendMain(1, false)
}

// DepositsIn implements api.DepositStreamBackend: the fake's accepted
// deposits whose Height is the block's, while the block is on the fake
// mainchain.
func (b *Backend) DepositsIn(_ context.Context, block api.MainRef) ([]api.Deposit, bool, error) {
	c := &b.chains
	c.mu.Lock()
	defer c.mu.Unlock()
	h := int(block.Height)
	if h < 0 || h >= len(c.main) || c.main[h].BlockHash != block.Hash {
		return nil, false, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []api.Deposit
	for _, d := range b.peg.accept {
		if d.Height == block.Height {
			out = append(out, d)
		}
	}
	return out, true, nil
}

// AddDeposit appends an accepted deposit confirmed in a new mainchain
// block, which it connects, and returns the deposit.
func (b *Backend) AddDeposit(value int64) api.Deposit {
	c := &b.chains
	c.mu.Lock()
	defer c.mu.Unlock()
	blk := b.extendMainLocked(1, false)[0]
	b.mu.Lock()
	d := b.peg.accept[len(b.peg.accept)-1]
	d.Seq++
	d.OutPoint = wire.OutPoint{Hash: c.newHash(0xdd)}
	d.Value, d.Height, d.Confirmations = value, blk.Height, 1
	d.MatureHeight, d.Status = blk.Height+1, api.DepositConfirming
	b.peg.accept = append(b.peg.accept, d)
	b.mu.Unlock()
	c.notify()
	return d
}

// WithdrawalsIn implements api.WithdrawalStreamBackend: the fake's
// withdrawals included in the sideblock, while it is on the fake's best
// sidechain, ordered by index.
func (b *Backend) WithdrawalsIn(_ context.Context, block api.SideRef) ([]api.Withdrawal, bool, error) {
	c := &b.chains
	c.mu.Lock()
	defer c.mu.Unlock()
	h := int(block.Height)
	if h < 0 || h >= len(c.side) || c.side[h].Hash != block.Hash {
		return nil, false, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var sts []api.WithdrawalStatus
	for _, st := range b.peg.withdrawals {
		if st.Stage >= api.WithdrawalIncluded && st.SideBlock == block.Hash {
			sts = append(sts, st)
		}
	}
	sort.Slice(sts, func(i, j int) bool { return sts[i].Index < sts[j].Index })
	out := make([]api.Withdrawal, len(sts))
	for i := range sts {
		out[i] = sts[i].Withdrawal
	}
	return out, true, nil
}

// WalletTransactionsIn implements api.WalletStreamBackend: the fake's
// WalletTxsIn at the block's height, while the block is on the fake
// mainchain.
func (b *Backend) WalletTransactionsIn(_ context.Context, block api.MainRef) ([]api.WalletTx, bool, error) {
	if err := b.walletError(); err != nil {
		return nil, false, err
	}
	c := &b.chains
	c.mu.Lock()
	defer c.mu.Unlock()
	h := int(block.Height)
	if h < 0 || h >= len(c.main) || c.main[h].BlockHash != block.Hash {
		return nil, false, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]api.WalletTx(nil), b.WalletTxsIn[block.Height]...), true, nil
}
