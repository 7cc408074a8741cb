package chain

import (
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/pos/registry"
	"github.com/mainstake/sidenode/sideblock"
)

// MaxWithdrawalsPerBlock bounds the validators one block pays out
// (MAX_WITHDRAWALS_PER_PAYLOAD).
const MaxWithdrawalsPerBlock = 16

// dueWithdrawals returns the validators a block of the state's slot must
// pay out: those withdrawable at its epoch with a balance left, lowest
// index first, at most MaxWithdrawalsPerBlock.
func dueWithdrawals(c *Config, s *State) []uint64 {
	epoch := c.EpochOf(s.Slot)
	var out []uint64
	for i := range s.Registry.Validators {
		v := &s.Registry.Validators[i]
		if v.WithdrawableEpoch <= epoch && v.Balance > 0 {
			out = append(out, uint64(i))
			if len(out) == MaxWithdrawalsPerBlock {
				break
			}
		}
	}
	return out
}

// WithdrawalTx returns the transaction that must follow the coinbase of a
// block of the state's slot, and nil when none is due: in sideblock's
// mint form (one input with the null outpoint at MintIndex, its signature
// script pushing the state's withdrawal count as the sequence number),
// one output per due validator, in index order, paying its whole balance
// to its withdrawal script.
func WithdrawalTx(c *Config, s *State) (*wire.MsgTx, error) {
	due := dueWithdrawals(c, s)
	if len(due) == 0 {
		return nil, nil
	}
	deps := make([]sideblock.Deposit, len(due))
	for k, i := range due {
		v := &s.Registry.Validators[i]
		deps[k] = sideblock.Deposit{Seq: s.Withdrawals + uint64(k), Value: int64(v.Balance), PkScript: v.WithdrawalScript}
	}
	return sideblock.NewMintTx(deps)
}

// checkWithdrawals checks that the block's second transaction is exactly
// WithdrawalTx when one is due, and that no other transaction creates
// coins (ErrBadWithdrawals).
func checkWithdrawals(c *Config, s *State, txs []*wire.MsgTx) ([]uint64, error) {
	want, err := WithdrawalTx(c, s)
	if err != nil {
		return nil, err
	}
	has := len(txs) > 1 && sideblock.IsMintTx(txs[1])
	switch {
	case want == nil && has:
		return nil, ruleErrorf(ErrBadWithdrawals, "a payout transaction when no validator is withdrawable")
	case want != nil && (!has || txs[1].TxHash() != want.TxHash()):
		return nil, ruleErrorf(ErrBadWithdrawals, "the block does not pay out the withdrawable validators as due")
	}
	return dueWithdrawals(c, s), nil
}

// applyWithdrawals empties the paid validators' balances.
func applyWithdrawals(s *State, paid []uint64) error {
	for _, i := range paid {
		if _, _, err := registry.Withdraw(s.Registry, i); err != nil {
			return err
		}
	}
	s.Withdrawals += uint64(len(paid))
	return nil
}
