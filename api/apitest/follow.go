package apitest

import (
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
